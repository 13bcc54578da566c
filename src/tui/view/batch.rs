//! The batch screen: the editor, the preview of every row, then the run with a gauge.
//! Messages wrap to the width they are given: none is cut.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Clear, Gauge, Paragraph, Row, Table, Wrap};

use crate::batch::Check;
use crate::domain::{OutcomeKind, safe_text, safe_text_within};
use crate::present::{format_duration, format_rate};
use crate::tui::action::Action;
use crate::tui::batch_state::{BatchScreen, RowState, Stage};
use crate::tui::keymap::{Mode, key_name};
use crate::tui::layout::overlay_area;
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// The longest an input row's id or type is echoed, in bytes.
const ROW_ECHO: usize = 80;
/// The most lines the notes under the editor or a table take.
const NOTES_MAX: u16 = 6;

pub fn render(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let area = overlay_area(area);
    frame.render_widget(Clear, area);
    let title = match b.stage {
        Stage::Input | Stage::Planning => " Batch: paste user ids or a CSV, or type a file path ",
        Stage::Preview if b.pending_resume.is_some() => {
            " Batch: resume preview (nothing sent yet) "
        }
        Stage::Preview => " Batch: preview (nothing sent yet) ",
        Stage::Confirm => " Batch: confirm PRODUCTION ",
        Stage::Running => " Batch: sending ",
        Stage::Done => " Batch: done ",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(t.focus_border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match b.stage {
        Stage::Input | Stage::Planning => input(frame, inner, state, b),
        Stage::Preview | Stage::Confirm => preview(frame, inner, state, b),
        Stage::Running | Stage::Done => running(frame, inner, state, b),
    }
}

/// Splits text into lines of at most `width` columns, at spaces where it can; a word
/// longer than a line is cut where the line ends.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let w = Span::raw(word).width();
        if used > 0 && used + 1 + w > width {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        let mut buf = [0u8; 4];
        for c in word.chars() {
            let cw = Span::raw(&*c.encode_utf8(&mut buf)).width();
            if used > 0 && used + cw > width {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
    lines
}

/// Messages as lines wrapped to `width`, each in its style.
fn wrapped(messages: &[(String, Style)], width: u16) -> Vec<Line<'static>> {
    messages
        .iter()
        .flat_map(|(text, style)| {
            wrap(text, usize::from(width))
                .into_iter()
                .map(move |l| Line::styled(l, *style))
        })
        .collect()
}

fn height(lines: &[Line], max: u16) -> u16 {
    u16::try_from(lines.len()).unwrap_or(u16::MAX).min(max)
}

fn input(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let mut notes = Vec::new();
    if b.stage == Stage::Planning {
        notes.push(("checking every row…".to_string(), t.pending()));
    }
    if let Some(e) = &b.error {
        notes.push((format!("✗ {}", safe_text(e)), t.error()));
    }
    if let Some(n) = &b.note {
        notes.push((safe_text(n).into_owned(), t.ok()));
    }
    if let Some(u) = b.unfinished.first() {
        notes.push((
            format!(
                "{} resumes batch {} ({}: {} of {} row(s) without an outcome), after a preview",
                key_name(Mode::BatchInput, Action::BatchResume),
                safe_text(&u.id),
                safe_text(&u.source),
                u.unfinished,
                u.total
            ),
            t.warn(),
        ));
    }
    let notes = wrapped(&notes, area.width);
    let [help, text, footer] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(3),
        Constraint::Length(height(&notes, NOTES_MAX)),
    ])
    .areas(area);
    let redirect = state.form.redirect_uri.value().trim();
    let lines = vec![
        Line::raw("Paste ids, one per line, or a CSV: user_id[,type][,redirect_uri]."),
        Line::raw(format!(
            "Or type a file's path. {} checks every row; nothing is sent yet.",
            key_name(Mode::BatchInput, Action::BatchPreview)
        )),
        Line::styled(
            format!(
                "Rows without a type: {}; without a redirect URI: {} (set in the form).",
                state.form.kyc_type(),
                if redirect.is_empty() {
                    "none".into()
                } else {
                    safe_text(redirect)
                }
            ),
            t.muted(),
        ),
        Line::styled(
            format!(
                "Target: profile {} ({})",
                state.target.profile, state.target.endpoint
            ),
            if state.target.production {
                t.error()
            } else {
                t.muted()
            },
        ),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), help);
    let filled = b.filled_lines();
    let editor = b.editor.lock();
    let ratatui_textarea::DataCursor(row, col) = editor.cursor();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(
            " {} line(s) · line {}, column {} ",
            filled,
            row + 1,
            col + 1
        ))
        .border_style(t.border());
    let inner = block.inner(text);
    frame.render_widget(block, text);
    // The editor draws its own cursor; pasted control characters were made visible when
    // they were pasted.
    frame.render_widget(&*editor, inner);
    frame.render_widget(Paragraph::new(notes), footer);
}

/// What a resume preview sends: (never sent, sent before without a settled outcome,
/// settled).
fn resume_counts(b: &BatchScreen) -> (usize, usize, usize) {
    b.rows
        .iter()
        .fold((0, 0, 0), |(new, again, settled), r| match r.state {
            RowState::Resend {
                dispatched: false, ..
            } => (new + 1, again, settled),
            RowState::Resend { .. } => (new, again + 1, settled),
            _ => (new, again, settled + 1),
        })
}

fn summary(state: &State, b: &BatchScreen) -> Vec<Line<'static>> {
    let t = state.theme;
    let target = Line::styled(
        format!(
            "to profile {} ({})",
            state.target.profile, state.target.endpoint
        ),
        if state.target.production {
            t.error()
        } else {
            t.muted()
        },
    );
    if let Some(id) = &b.pending_resume {
        let (new, again, settled) = resume_counts(b);
        return vec![
            Line::styled(
                format!(
                    "resume batch {} ({}): {} of {} row(s) to send",
                    safe_text(id),
                    safe_text(&b.source),
                    new + again,
                    b.rows.len()
                ),
                t.bold(),
            ),
            Line::from(vec![
                Span::styled(format!("{new} never sent"), t.ok()),
                Span::raw(", "),
                Span::styled(
                    format!(
                        "{again} sent before without an outcome (sent again with their own keys)"
                    ),
                    if again > 0 { t.warn() } else { t.muted() },
                ),
                Span::raw(", "),
                Span::styled(format!("{settled} settled"), t.muted()),
            ]),
            target,
        ];
    }
    let counts = b
        .plan
        .as_ref()
        .map(crate::batch::Plan::counts)
        .unwrap_or_default();
    let warn_if = |n: usize, style: Style| if n > 0 { style } else { t.muted() };
    vec![
        Line::styled(
            format!("{} row(s) from {}", b.rows.len(), safe_text(&b.source)),
            t.bold(),
        ),
        Line::from(vec![
            Span::styled(format!("{} to send", counts.valid), t.ok()),
            Span::raw(", "),
            Span::styled(
                format!("{} invalid", counts.invalid),
                warn_if(counts.invalid, t.error()),
            ),
            Span::raw(", "),
            Span::styled(
                format!("{} duplicate", counts.duplicate),
                warn_if(counts.duplicate, t.warn()),
            ),
            Span::raw(", "),
            Span::styled(
                format!("{} already initiated", counts.initiated),
                warn_if(counts.initiated, t.warn()),
            ),
            Span::raw(", "),
            Span::styled(
                format!("{} held elsewhere", counts.held),
                warn_if(counts.held, t.warn()),
            ),
        ]),
        target,
    ]
}

fn preview(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let summary_lines = summary(state, b);
    let summary_height: usize = summary_lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap(&text, usize::from(area.width)).len()
        })
        .sum();
    let summary_height = u16::try_from(summary_height).unwrap_or(3).clamp(3, 5);
    let summary = Paragraph::new(summary_lines).wrap(Wrap { trim: false });
    let mut notes = Vec::new();
    let mut prompt = None;
    if b.stage == Stage::Confirm {
        prompt = Some(format!(
            " type {} to send {} verification(s): ",
            state.target.profile, b.to_send
        ));
    } else if b.pending_resume.is_some() {
        notes.push((
            format!(
                "{} sends these rows · {} back to the text",
                key_name(Mode::BatchPreview, Action::BatchSend),
                key_name(Mode::BatchPreview, Action::Close)
            ),
            t.muted(),
        ));
    } else if let Some(holding) = b
        .plan
        .as_ref()
        .and_then(|p| p.holding_batches().into_iter().next())
    {
        notes.push((
            format!(
                "batch {} holds rows of this list, unfinished: {} previews resuming it · {} sends the valid rows",
                safe_text(&holding),
                key_name(Mode::BatchPreview, Action::BatchResume),
                key_name(Mode::BatchPreview, Action::BatchSend),
            ),
            t.warn(),
        ));
    } else {
        notes.push((
            format!(
                "{} sends the valid rows · {} back to the text",
                key_name(Mode::BatchPreview, Action::BatchSend),
                key_name(Mode::BatchPreview, Action::Close)
            ),
            t.muted(),
        ));
    }
    if let Some(e) = &b.error {
        notes.push((format!("✗ {}", safe_text(e)), t.error()));
    }
    let notes = wrapped(&notes, area.width);
    let footer_height = height(&notes, NOTES_MAX) + u16::from(prompt.is_some());
    let [summary_area, table, footer] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Min(3),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    frame.render_widget(summary, summary_area);
    rows_table(frame, table, state, b);
    let mut lines = Vec::new();
    if let Some(prompt) = prompt {
        let badge = " PRODUCTION ";
        let typed = b.confirm.value();
        let at = badge.chars().count() + prompt.chars().count() + b.confirm.visual_cursor();
        let x = footer.x + u16::try_from(at).unwrap_or(u16::MAX);
        frame.set_cursor_position((x.min(footer.right().saturating_sub(1)), footer.y));
        lines.push(Line::from(vec![
            Span::styled(badge, t.production_badge()),
            Span::raw(prompt),
            Span::styled(safe_text(typed).into_owned(), t.input_focused()),
        ]));
    }
    lines.extend(notes);
    frame.render_widget(Paragraph::new(lines), footer);
}

/// `ETA 12 s`, `3 min 05 s`, `1 h 02 min`: whole units, as a countdown reads.
fn format_eta(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}

/// Rows of a finished run left without a settled outcome: (never sent, unknown).
fn unsettled(b: &BatchScreen) -> (usize, usize) {
    let unsent = b
        .rows
        .iter()
        .filter(|r| matches!(r.state, RowState::NotSent | RowState::Unknown))
        .count();
    let unknown = b
        .rows
        .iter()
        .filter(|r| matches!(r.state, RowState::Finished { outcome, .. } if outcome.retryable()))
        .count();
    (unsent, unknown)
}

fn running(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let done = b.stage == Stage::Done;
    let mut notes = Vec::new();
    if done {
        let (unsent, unknown) = unsettled(b);
        if unsent + unknown > 0 {
            notes.push((
                format!(
                    "{unknown} row(s) of unknown outcome, {unsent} not sent · {} previews them, to send each again with its own key",
                    key_name(Mode::BatchDone, Action::BatchResume)
                ),
                t.warn(),
            ));
        } else {
            notes.push(("every row has its outcome in history".to_string(), t.ok()));
        }
        notes.push((
            format!(
                "{} closes (the rows are in history)",
                key_name(Mode::BatchDone, Action::Close)
            ),
            t.muted(),
        ));
    } else if b.stopping {
        notes.push((
            "stopping: rows in flight finish, the rest stays not sent".to_string(),
            t.warn(),
        ));
    } else {
        if b.paused {
            notes.push((
                format!(
                    "paused: nothing more is sent · {} resumes · {} stops",
                    key_name(Mode::BatchRun, Action::BatchPause),
                    key_name(Mode::BatchRun, Action::BatchStop)
                ),
                t.warn(),
            ));
        } else {
            if let Some(until) = b.waiting_until {
                notes.push((
                    format!(
                        "rate-limit budget used: waiting {} for the window",
                        format_duration(until.saturating_duration_since(state.now))
                    ),
                    t.warn(),
                ));
            }
            notes.push((
                format!(
                    "{} pauses · {} stops (rows in flight finish)",
                    key_name(Mode::BatchRun, Action::BatchPause),
                    key_name(Mode::BatchRun, Action::BatchStop)
                ),
                t.muted(),
            ));
        }
    }
    if let Some(e) = &b.error {
        notes.push((format!("✗ {}", safe_text(e)), t.error()));
    }
    let notes = wrapped(&notes, area.width);
    let [gauge, counts, table, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(height(&notes, NOTES_MAX)),
    ])
    .areas(area);
    let ratio = if b.to_send == 0 {
        1.0
    } else {
        (b.done as f64 / b.to_send as f64).clamp(0.0, 1.0)
    };
    let mut label = format!(
        "{}/{} · {}",
        b.done,
        b.to_send,
        format_rate(b.rate(state.now))
    );
    if done {
        label.push_str(&format!(" · sent in {}", format_eta(b.active(state.now))));
    } else if b.paused {
        label.push_str(" · paused");
    } else if let Some(eta) = b.eta(state.now) {
        label.push_str(&format!(" · ETA {}", format_eta(eta)));
    }
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(if done { t.ok() } else { t.pending() }),
        gauge,
    );
    let mut spans = Vec::new();
    for (kind, n) in &b.counts {
        spans.push(Span::styled(
            format!("{n} {}  ", kind.label()),
            t.outcome(*kind),
        ));
    }
    if let Some(id) = &b.batch_id {
        spans.push(Span::styled(format!("batch {}", safe_text(id)), t.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), counts);
    rows_table(frame, table, state, b);
    frame.render_widget(Paragraph::new(notes), footer);
}

fn rows_table(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let room = usize::from(area.height.saturating_sub(1)).max(1);
    let wide = area.width >= 100;
    let id_width: u16 = if wide { 40 } else { 17 };
    // line, user id, type, and the spaces between the four columns.
    let status_width = usize::from(area.width.saturating_sub(5 + id_width + 8 + 3)).max(10);
    let statuses: Vec<(Vec<String>, Style)> = b
        .rows
        .iter()
        .map(|r| {
            let (text, style) = row_state(&r.state, state, t);
            (wrap(&text, status_width), style)
        })
        .collect();
    // The last page is full: scrolling stops where the last row shows at the bottom.
    let mut last_start = statuses.len();
    let mut used = 0;
    while last_start > 0 {
        let h = statuses[last_start - 1].0.len();
        if used + h > room {
            break;
        }
        used += h;
        last_start -= 1;
    }
    let start = b
        .scroll
        .min(last_start.min(statuses.len().saturating_sub(1)));
    let mut used = 0;
    let mut rows = Vec::new();
    for (r, (lines, style)) in b.rows.iter().zip(&statuses).skip(start) {
        let left = room.saturating_sub(used);
        if left == 0 {
            break;
        }
        let lines: Vec<Line> = lines
            .iter()
            .take(left)
            .map(|l| Line::styled(l.clone(), *style))
            .collect();
        let h = lines.len();
        used += h;
        let user_id = safe_text_within(&r.user_id, ROW_ECHO);
        rows.push(
            Row::new(vec![
                Cell::from(Span::styled(format!("{:>5}", r.line), t.muted())),
                Cell::from(if wide {
                    user_id.into_owned()
                } else {
                    super::short_user_id(&user_id)
                }),
                Cell::from(safe_text_within(&r.kyc_type, ROW_ECHO).into_owned()),
                Cell::from(Text::from(lines)),
            ])
            .height(u16::try_from(h).unwrap_or(1)),
        );
    }
    let widths = [
        Constraint::Length(5),
        Constraint::Length(id_width),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(["line", "user id", "type", "status"]).style(t.muted()))
            .column_spacing(1),
        area,
    );
}

fn row_state(s: &RowState, state: &State, t: Theme) -> (String, Style) {
    match s {
        RowState::Check(Check::Valid) => ("valid: will be sent".into(), t.ok()),
        RowState::Check(c @ Check::Invalid { .. }) => {
            (safe_text(&c.describe()).into_owned(), t.error())
        }
        RowState::Check(c) => (safe_text(&c.describe()).into_owned(), t.warn()),
        RowState::Queued => ("queued".into(), t.muted()),
        RowState::Sending => (format!("{} sending…", super::spinner(state)), t.pending()),
        RowState::Finished { outcome, status } => (
            match status {
                Some(code) => format!("{code} {}", outcome.label()),
                None => outcome.label().to_string(),
            },
            t.outcome(*outcome),
        ),
        RowState::NotSent => ("not sent".into(), t.muted()),
        RowState::Unknown => (
            "no outcome yet (resend with its key)".into(),
            t.outcome(OutcomeKind::Unknown),
        ),
        RowState::Failed(e) => (format!("not sent: {}", safe_text(e)), t.error()),
        RowState::Resend {
            dispatched: false, ..
        } => ("never sent: will be sent".into(), t.ok()),
        RowState::Resend { last, status, .. } => {
            let was = match (status, last) {
                (Some(code), Some(kind)) => format!("{code} {}", kind.label()),
                (None, Some(kind)) => kind.label().to_string(),
                _ => "no outcome".to_string(),
            };
            (
                format!("{was}: will be sent again with its own key"),
                t.warn(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_only_words_longer_than_a_line() {
        assert_eq!(
            wrap("column 24: expected one of full, shipping, rfi, import", 20),
            [
                "column 24: expected",
                "one of full,",
                "shipping, rfi,",
                "import"
            ]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("a b", 0), ["a", "b"]);
    }

    #[test]
    fn eta_reads_in_whole_units() {
        assert_eq!(format_eta(Duration::from_millis(12_400)), "12 s");
        assert_eq!(format_eta(Duration::from_secs(185)), "3 min 05 s");
        assert_eq!(format_eta(Duration::from_secs(3720)), "1 h 02 min");
    }
}
