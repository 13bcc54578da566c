//! The history pane: newest first, read from the store a window at a time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::spinner;
use crate::domain::{OutcomeKind, safe_text};
use crate::history::HistoryRow;
use crate::history::SEARCH_MIN_CHARS;
use crate::present::{format_duration, local_clock};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::layout::history_rows;
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

    let wide = table_area.width >= 100;
    // Every profile's rows at once: each says whose it is, production ones marked, in a
    // column as wide as the other columns leave room for (the time taken gives way first).
    let user_width: u16 = if wide { 40 } else { 17 };
    let columns = ProfileColumn::fit(
        pane.filter.profile.is_none(),
        table_area.width,
        // time, user id, type, status, outcome (at least), took, and the gaps between.
        8 + user_width + 8 + 3 + 19 + 7 + 5,
        if wide { 16 } else { 10 },
    );
    let visible = history_rows(state.size).min(usize::from(table_area.height.saturating_sub(1)));
    let rows: Vec<Row> = (pane.scroll..(pane.scroll + visible).min(pane.total))
        .map(|index| {
            let row = match pane.row_at(index) {
                Some(row) => render_row(state, row, wide, columns),
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
        Constraint::Length(8),
        Constraint::Length(user_width),
        Constraint::Length(8),
        Constraint::Length(3),
        Constraint::Min(19),
        Constraint::Length(7),
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

/// Which columns beside the fixed ones a row shows.
#[derive(Debug, Clone, Copy)]
struct ProfileColumn {
    /// The profile column's width, when every profile's rows are shown.
    profile: Option<u16>,
    took: bool,
}

impl ProfileColumn {
    /// `width` wide, with `others` taken by the other columns: the profile column as wide
    /// as `wanted` where there is room, else narrower (at least 7) with the time taken
    /// given up.
    fn fit(all_profiles: bool, width: u16, others: u16, wanted: u16) -> ProfileColumn {
        if !all_profiles {
            return ProfileColumn {
                profile: None,
                took: true,
            };
        }
        // The column and the gap before it; giving up the time taken frees 8 more.
        let room = width.saturating_sub(others);
        if room >= 8 {
            ProfileColumn {
                profile: Some((room - 1).min(wanted)),
                took: true,
            }
        } else {
            ProfileColumn {
                profile: Some((room + 7).clamp(7, wanted)),
                took: false,
            }
        }
    }
}

/// The profile cell: its name, and for a production profile a mark that reads without
/// colour too.
fn profile_cell<'a>(state: &State, row: &HistoryRow) -> Cell<'a> {
    let t = state.theme;
    let name = safe_text(&row.profile).into_owned();
    let production = state
        .profiles
        .iter()
        .any(|p| p.production && p.name == row.profile);
    if production {
        Cell::from(Span::styled(format!("!{name}"), t.production_badge()))
    } else {
        Cell::from(Span::styled(name, t.muted()))
    }
}

fn render_row<'a>(
    state: &State,
    row: &'a HistoryRow,
    wide: bool,
    columns: ProfileColumn,
) -> Row<'a> {
    let t = state.theme;
    let time = local_clock(row.listed_at());
    let user_id = safe_text(&row.user_id);
    let user = if wide {
        user_id.into_owned()
    } else {
        super::short_user_id(&user_id)
    };
    let live = state.live.get(&row.id);
    let live_status = live
        .and_then(|l| l.last.as_ref())
        .and_then(|a| a.response())
        .map(|r| r.status);
    let status = live_status
        .or(row.status)
        .map_or("—".to_string(), |s| s.to_string());
    let (outcome, style) = match (live, row.outcome) {
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
    let latency = row.latency_ms.map_or(String::new(), |ms| {
        format_duration(std::time::Duration::from_millis(ms))
    });
    let mut cells = vec![
        Cell::from(Span::styled(time, t.muted())),
        Cell::from(user),
        Cell::from(row.kyc_type.as_str()),
        Cell::from(Span::styled(
            status,
            row.outcome.map_or(t.muted(), |k| t.outcome(k)),
        )),
        Cell::from(Span::styled(outcome, style)),
        Cell::from(Span::styled(latency, t.muted())),
    ];
    if columns.profile.is_some() {
        cells.insert(1, profile_cell(state, row));
    }
    if !columns.took {
        cells.pop();
    }
    Row::new(cells)
}
