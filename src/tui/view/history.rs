//! The history pane: newest first, read from the store a window at a time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::spinner;
use crate::domain::{OutcomeKind, safe_text};
use crate::history::HistoryRow;
use crate::history::SEARCH_MIN_CHARS;
use crate::present::{format_duration, local_clock};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::state::{Focus, State};
use crate::tui::update::remaining;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let t = state.theme;
    let pane = &state.history;
    let focused = state.overlay.is_none() && state.focus == Focus::History;
    let plus = if pane.more { "+" } else { "" };
    let mut title = vec![Span::raw(format!(" History ({}{plus}) ", pane.total))];
    if !pane.filter.text.is_empty() {
        title.push(Span::styled(
            format!("filter “{}” ", pane.filter.text),
            t.warn(),
        ));
    }
    if let Some(status) = pane.filter.status {
        title.push(Span::styled(format!("status {status} "), t.warn()));
    }
    if pane.filter.errors_only {
        title.push(Span::styled("errors only ", t.warn()));
    }
    if pane.filter.profile.is_none() {
        title.push(Span::styled("all profiles ", t.warn()));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::from(title))
        .border_style(if focused {
            t.focus_border()
        } else {
            t.border()
        });
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let [filter_line, table_area] = Layout::vertical([
        Constraint::Length(u16::from(pane.editing_filter)),
        Constraint::Min(0),
    ])
    .areas(inner);
    if pane.editing_filter {
        let value = pane.filter_input.value();
        // The prompt is the key that opened the filter.
        let prompt = key_name(Mode::History, Action::Filter);
        let prompt_width = u16::try_from(prompt.chars().count()).unwrap_or(0);
        let mut line = vec![
            Span::styled(prompt, t.key()),
            Span::styled(value.to_string(), t.input_focused()),
        ];
        let typed = value.trim().chars().count();
        if (1..SEARCH_MIN_CHARS).contains(&typed) {
            line.push(Span::styled(
                format!("  searches from {SEARCH_MIN_CHARS} characters"),
                t.muted(),
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(line)), filter_line);
        let x = filter_line.x
            + prompt_width
            + u16::try_from(pane.filter_input.visual_cursor()).unwrap_or(0);
        frame.set_cursor_position((x.min(filter_line.right().saturating_sub(1)), filter_line.y));
    }

    if pane.total == 0 {
        let text = if !pane.loaded {
            "loading…".to_string()
        } else if pane.filter.is_active() {
            format!(
                "No submissions match the filter ({} in the filter clears it).",
                key_name(Mode::Filter, Action::FilterClear)
            )
        } else {
            "No submissions yet.".to_string()
        };
        frame.render_widget(Paragraph::new(Line::styled(text, t.muted())), table_area);
        return;
    }

    // The rows on screen, the selection among them whatever the form's height left.
    let visible = usize::from(table_area.height.saturating_sub(1)).max(1);
    let first = pane
        .scroll
        .max((pane.selected + 1).saturating_sub(visible))
        .min(pane.selected);
    let shown: Vec<(usize, Option<RowText>)> = (first..(first + visible).min(pane.total))
        .map(|index| (index, pane.row_at(index).map(|row| row_text(state, row))))
        .collect();
    let texts = shown.iter().filter_map(|(_, r)| r.as_ref());
    let columns = Columns::fit(
        table_area.width,
        texts.clone().map(|r| width(&r.outcome)).max().unwrap_or(0),
        texts.clone().map(|r| width(&r.user)).max().unwrap_or(0),
        pane.filter
            .profile
            .is_none()
            .then(|| texts.map(|r| width(&r.profile)).max().unwrap_or(0)),
    );
    let rows: Vec<Row> = shown
        .into_iter()
        .map(|(index, text)| {
            let row = match text {
                Some(text) => render_row(state, text, columns),
                None => Row::new(vec![Cell::from(Span::styled("…", t.muted()))]),
            };
            if index == pane.selected {
                row.style(if focused { t.selected() } else { t.bold() })
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(TIME),
        Constraint::Length(columns.user),
        Constraint::Length(TYPE),
        Constraint::Length(STATUS),
        Constraint::Min(columns.outcome),
        Constraint::Length(TOOK),
    ];
    // When each row was sent (a batch's rows each at its turn); a row never sent, whose
    // outcome says so, when it was recorded.
    let mut header = vec!["sent", "user id", "type", "st", "outcome", "took"];
    if let Some(width) = columns.profile {
        widths.insert(1, Constraint::Length(width));
        header.insert(1, "profile");
    }
    if !columns.took {
        widths.pop();
        header.pop();
    }
    let header = Row::new(header).style(t.muted());
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        table_area,
    );
}

// Widths of the columns that do not change.
const TIME: u16 = 8;
const TYPE: u16 = 8;
const STATUS: u16 = 3;
const TOOK: u16 = 7;
/// The outcome column's least width: its usual texts, so it rarely changes.
const OUTCOME: u16 = 19;
/// The user id column's least width (`usr-3f0e…e5f6`), and its width before the time
/// taken is shown (`usr-3f0e8d4a…e5f6`).
const USER_LEAST: u16 = 13;
const USER_SHORT: u16 = 17;
/// The profile column's least width, and the most it takes.
const PROFILE_LEAST: u16 = 7;
const PROFILE_MOST: u16 = 16;

/// The columns' widths in a table `width` wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    user: u16,
    outcome: u16,
    /// The profile column's width, when every profile's rows are shown.
    profile: Option<u16>,
    took: bool,
}

impl Columns {
    /// The outcome as wide as the widest on screen (never cut); then, as room allows, the
    /// user id at its least, the profile at its least, the time taken, the user id whole,
    /// and the profile whole. What is left widens the outcome.
    fn fit(width: u16, outcome: usize, user: usize, profile: Option<usize>) -> Columns {
        let outcome = u16::try_from(outcome).unwrap_or(u16::MAX).max(OUTCOME);
        let user_whole = u16::try_from(user).unwrap_or(u16::MAX).max(USER_LEAST);
        // Time, user id, type, status and outcome, and the gaps between them.
        let wanted = profile_want(profile);
        let mut rest = width.saturating_sub(TIME + TYPE + STATUS + outcome + 4);
        let mut user = take(&mut rest, USER_LEAST.min(user_whole));
        // The profile column comes with a gap before it.
        let mut profile = wanted.map(|_| take(&mut rest, PROFILE_LEAST + 1).saturating_sub(1));
        user += take(&mut rest, USER_SHORT.min(user_whole).saturating_sub(user));
        let took = rest > TOOK;
        if took {
            take(&mut rest, TOOK + 1);
        }
        user += take(&mut rest, user_whole.saturating_sub(user));
        if let (Some(p), Some(want)) = (profile.as_mut(), wanted) {
            *p += take(&mut rest, want.saturating_sub(*p));
        }
        Columns {
            user,
            outcome,
            profile,
            took,
        }
    }
}

/// Up to `want` columns out of `rest`.
fn take(rest: &mut u16, want: u16) -> u16 {
    let got = want.min(*rest);
    *rest -= got;
    got
}

/// How wide the profile column would like to be for names this wide.
fn profile_want(widest: Option<usize>) -> Option<u16> {
    widest.map(|w| {
        u16::try_from(w)
            .unwrap_or(u16::MAX)
            .clamp(PROFILE_LEAST, PROFILE_MOST)
    })
}

/// Columns a text takes on screen.
fn width(text: &str) -> usize {
    Line::raw(text).width()
}

/// A row's texts, measured before the columns are laid out.
struct RowText {
    time: String,
    /// The profile as the column shows it: production ones marked `!`.
    profile: String,
    production: bool,
    user: String,
    kind: &'static str,
    status: String,
    status_style: Style,
    outcome: String,
    outcome_style: Style,
    took: String,
}

fn row_text(state: &State, row: &HistoryRow) -> RowText {
    let t = state.theme;
    let production = state
        .profiles
        .iter()
        .any(|p| p.production && p.name == row.profile);
    let profile = safe_text(&row.profile);
    let live = state.live.get(&row.id);
    let live_status = live
        .and_then(|l| l.last.as_ref())
        .and_then(|a| a.response())
        .map(|r| r.status);
    let status = live_status
        .or(row.status)
        .map_or("—".to_string(), |s| s.to_string());
    let (outcome, outcome_style) = match (live, row.outcome) {
        (Some(live), _) => {
            let text = if live.cancelling {
                format!("{} cancelling…", spinner(state))
            } else if let (Some(last), Some(at)) = (&live.last, live.retry_at) {
                format!(
                    "retry {}/{} in {:.1} s",
                    last.number,
                    state.target.max_retries,
                    remaining(state, at).as_secs_f64()
                )
            } else if live.attempt > 1 {
                format!(
                    "{} retry {}/{}…",
                    spinner(state),
                    live.attempt - 1,
                    state.target.max_retries
                )
            } else {
                format!(
                    "{} sending… {}",
                    spinner(state),
                    format_duration(state.elapsed(live.started))
                )
            };
            (text, t.pending())
        }
        (None, Some(kind)) => {
            let mut text = kind.label().to_string();
            // "not sent" has one cause, so it names none and keeps the column narrow.
            if let Some(failure) = row.failure.filter(|_| kind != OutcomeKind::NotSent) {
                text = format!("{text} ({})", failure.label());
            } else if row.attempts > 1 {
                text = format!("{text}, {} tries", row.attempts);
            }
            (text, t.outcome(kind))
        }
        (None, None) if row.dispatched() => (
            "unknown (no outcome)".to_string(),
            t.outcome(OutcomeKind::Unknown),
        ),
        (None, None) => ("not sent".to_string(), t.muted()),
    };
    RowText {
        time: local_clock(row.listed_at()),
        profile: if production {
            format!("!{profile}")
        } else {
            profile.into_owned()
        },
        production,
        user: safe_text(&row.user_id).into_owned(),
        kind: row.kyc_type.as_str(),
        status,
        status_style: row.outcome.map_or(t.muted(), |k| t.outcome(k)),
        outcome,
        outcome_style,
        took: row.latency_ms.map_or(String::new(), |ms| {
            format_duration(std::time::Duration::from_millis(ms))
        }),
    }
}

fn render_row(state: &State, text: RowText, columns: Columns) -> Row<'static> {
    let t = state.theme;
    let mut cells = vec![
        Cell::from(Span::styled(text.time, t.muted())),
        Cell::from(super::fit_user_id(&text.user, usize::from(columns.user))),
        Cell::from(text.kind),
        Cell::from(Span::styled(text.status, text.status_style)),
        Cell::from(Span::styled(text.outcome, text.outcome_style)),
        Cell::from(Span::styled(text.took, t.muted())),
    ];
    if columns.profile.is_some() {
        let style = if text.production {
            t.production_badge()
        } else {
            t.muted()
        };
        cells.insert(1, Cell::from(Span::styled(text.profile, style)));
    }
    if !columns.took {
        cells.pop();
    }
    Row::new(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_is_never_cut_and_user_ids_are_whole_when_there_is_room() {
        // 120x40: the pane beside the form.
        let c = Columns::fit(67, 20, 40, None);
        assert_eq!(c.outcome, 20, "{c:?}");
        assert!(c.user >= USER_LEAST, "{c:?}");
        // 80 columns: the id shows more of itself than before, the time taken stays.
        let c = Columns::fit(78, 20, 40, None);
        assert!(c.took && c.user > USER_SHORT, "{c:?}");
        // Wide enough: the whole id.
        let c = Columns::fit(100, 20, 40, None);
        assert_eq!((c.user, c.took), (40, true), "{c:?}");
        let c = Columns::fit(120, 20, 40, Some(11));
        assert_eq!((c.user, c.profile, c.took), (40, Some(11), true), "{c:?}");
        // Narrow: the outcome keeps its width, the rest gives way.
        let c = Columns::fit(70, 28, 40, Some(11));
        let used = TIME + c.user + TYPE + STATUS + c.outcome + 4;
        let used = used + c.profile.map_or(0, |p| p + 1) + if c.took { TOOK + 1 } else { 0 };
        assert_eq!(c.outcome, 28);
        assert!(used <= 70, "{c:?}");
    }
}
