//! The batch screen: paste, preview every row, then watch the run with a gauge.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Gauge, Paragraph, Row, Table, Wrap};

use crate::batch::Check;
use crate::domain::{OutcomeKind, safe_text, safe_text_within};
use crate::present::format_duration;
use crate::tui::action::Action;
use crate::tui::batch_state::{BatchScreen, RowState, Stage};
use crate::tui::keymap::{Mode, key_name};
use crate::tui::layout::overlay_area;
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// The longest an input row's id or type is echoed, in bytes.
const ROW_ECHO: usize = 80;

pub fn render(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let area = overlay_area(area);
    frame.render_widget(Clear, area);
    let title = match b.stage {
        Stage::Input | Stage::Planning => " Batch: paste user ids or a CSV, or type a file path ",
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

fn input(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let [help, text, footer] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(3),
        Constraint::Length(3),
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
                    "none"
                } else {
                    redirect
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
    let count = b.text.lines().filter(|l| !l.trim().is_empty()).count();
    let shown: Vec<Line> = {
        let all: Vec<&str> = b.text.split('\n').collect();
        let room = usize::from(text.height.saturating_sub(2)).max(1);
        let skip = all.len().saturating_sub(room);
        all.into_iter()
            .skip(skip)
            .map(|l| Line::raw(safe_text(l).into_owned()))
            .collect()
    };
    frame.render_widget(
        Paragraph::new(shown).style(t.input_focused()).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {count} line(s) "))
                .border_style(t.border()),
        ),
        text,
    );
    let mut notes = Vec::new();
    if b.stage == Stage::Planning {
        notes.push(Line::styled("checking every row…", t.pending()));
    }
    if let Some(e) = &b.error {
        notes.push(Line::styled(format!("✗ {}", safe_text(e)), t.error()));
    }
    if let Some(u) = b.unfinished.first() {
        notes.push(Line::styled(
            format!(
                "{} resumes batch {} ({}: {} of {} row(s) without an outcome)",
                key_name(Mode::BatchInput, Action::BatchResume),
                safe_text(&u.id),
                safe_text(&u.source),
                u.unfinished,
                u.total
            ),
            t.warn(),
        ));
    }
    frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: false }), footer);
}

fn preview(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let [summary, table, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(2),
    ])
    .areas(area);
    let counts = b
        .plan
        .as_ref()
        .map(crate::batch::Plan::counts)
        .unwrap_or_default();
    let (valid, invalid, duplicate, already, held) = (
        counts.valid,
        counts.invalid,
        counts.duplicate,
        counts.initiated,
        counts.held,
    );
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled(
                format!("{} row(s) from {}", b.rows.len(), safe_text(&b.source)),
                t.bold(),
            ),
            Line::from(vec![
                Span::styled(format!("{valid} to send"), t.ok()),
                Span::raw(", "),
                Span::styled(
                    format!("{invalid} invalid"),
                    if invalid > 0 { t.error() } else { t.muted() },
                ),
                Span::raw(", "),
                Span::styled(
                    format!("{duplicate} duplicate"),
                    if duplicate > 0 { t.warn() } else { t.muted() },
                ),
                Span::raw(", "),
                Span::styled(
                    format!("{already} already initiated"),
                    if already > 0 { t.warn() } else { t.muted() },
                ),
                Span::raw(", "),
                Span::styled(
                    format!("{held} held elsewhere"),
                    if held > 0 { t.warn() } else { t.muted() },
                ),
            ]),
            Line::styled(
                format!(
                    "to profile {} ({})",
                    state.target.profile, state.target.endpoint
                ),
                if state.target.production {
                    t.error()
                } else {
                    t.muted()
                },
            ),
        ]),
        summary,
    );
    rows_table(frame, table, state, b);
    let line = match b.stage {
        Stage::Confirm => {
            let value = b.confirm.value();
            let x = footer.x
                + 2
                + u16::try_from(prompt_len(state) + b.confirm.visual_cursor()).unwrap_or(0);
            frame.set_cursor_position((x.min(footer.right().saturating_sub(1)), footer.y));
            Line::from(vec![
                Span::styled(" PRODUCTION ", t.production_badge()),
                Span::raw(format!(
                    " type {} to send {valid} verification(s): ",
                    state.target.profile
                )),
                Span::styled(value.to_string(), t.input_focused()),
            ])
        }
        _ => match b
            .plan
            .as_ref()
            .and_then(|p| p.holding_batches().into_iter().next())
        {
            Some(holding) => Line::styled(
                format!(
                    "batch {holding} holds rows of this list, unfinished: {} resumes it · {} sends the valid rows",
                    key_name(Mode::BatchPreview, Action::BatchResume),
                    key_name(Mode::BatchPreview, Action::BatchSend),
                ),
                t.warn(),
            ),
            None => Line::styled(
                format!(
                    "{} sends the valid rows · {} edits · {} closes",
                    key_name(Mode::BatchPreview, Action::BatchSend),
                    key_name(Mode::BatchPreview, Action::BatchEdit),
                    key_name(Mode::BatchPreview, Action::Close)
                ),
                t.muted(),
            ),
        },
    };
    let mut lines = vec![line];
    if let Some(e) = &b.error {
        lines.push(Line::styled(format!("✗ {e}"), t.error()));
    }
    frame.render_widget(Paragraph::new(lines), footer);
}

fn prompt_len(state: &State) -> usize {
    " PRODUCTION ".chars().count()
        + format!(" type {} to send ", state.target.profile)
            .chars()
            .count()
        + 24
}

fn running(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let [gauge, counts, table, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let ratio = if b.to_send == 0 {
        1.0
    } else {
        (b.done as f64 / b.to_send as f64).clamp(0.0, 1.0)
    };
    let rate = b.rate(state.now);
    let mut label = format!("{}/{} · {rate:.1}/s", b.done, b.to_send);
    if let Some(eta) = b.eta(state.now).filter(|_| b.stage == Stage::Running) {
        label.push_str(&format!(" · ETA {}", format_duration(eta)));
    }
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(if b.stage == Stage::Done {
                t.ok()
            } else {
                t.pending()
            }),
        gauge,
    );
    let mut spans = Vec::new();
    for (kind, n) in &b.counts {
        spans.push(Span::styled(
            format!("{n} {}  ", kind.label()),
            t.outcome(*kind),
        ));
    }
    let status = if b.stage == Stage::Done {
        let unsent = b
            .rows
            .iter()
            .filter(|r| matches!(r.state, RowState::NotSent | RowState::Unknown))
            .count();
        // Rows that ended without a settled outcome are resumed too, each with its own key.
        let unknown = b
            .rows
            .iter()
            .filter(
                |r| matches!(r.state, RowState::Finished { outcome, .. } if outcome.retryable()),
            )
            .count();
        if unsent + unknown > 0 {
            format!(
                "{unknown} row(s) of unknown outcome, {unsent} not sent · {} then {} resends them with their own keys",
                key_name(Mode::TextField, Action::OpenBatch),
                key_name(Mode::BatchInput, Action::BatchResume)
            )
        } else {
            "every row has its outcome in history".to_string()
        }
    } else if b.stopping {
        "stopping: rows in flight finish, the rest stays not sent".to_string()
    } else if b.paused {
        format!(
            "paused: {} resumes",
            key_name(Mode::BatchRun, Action::BatchPause)
        )
    } else if let Some(until) = b.waiting_until {
        format!(
            "rate-limit budget used: waiting {} for the window",
            format_duration(until.saturating_duration_since(state.now))
        )
    } else {
        String::new()
    };
    spans.push(Span::styled(status, t.warn()));
    if let Some(id) = &b.batch_id {
        spans.push(Span::styled(
            format!("  batch {}", safe_text(id)),
            t.muted(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), counts);
    rows_table(frame, table, state, b);
    let keys = if b.stage == Stage::Done {
        format!(
            "{} closes (the rows are in history)",
            key_name(Mode::BatchRun, Action::Close)
        )
    } else {
        format!(
            "{} pauses/resumes · {} stops",
            key_name(Mode::BatchRun, Action::BatchPause),
            key_name(Mode::BatchRun, Action::BatchStop)
        )
    };
    let mut line = vec![Span::styled(keys, t.muted())];
    if let Some(e) = &b.error {
        line.push(Span::styled(format!("  ✗ {}", safe_text(e)), t.error()));
    }
    frame.render_widget(Paragraph::new(Line::from(line)), footer);
}

fn rows_table(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let visible = usize::from(area.height.saturating_sub(1));
    let wide = area.width >= 100;
    let start = b.scroll.min(b.rows.len().saturating_sub(visible.max(1)));
    let rows: Vec<Row> = b
        .rows
        .iter()
        .skip(start)
        .take(visible)
        .map(|r| {
            let (text, style) = row_state(&r.state, state, t);
            let user_id = safe_text_within(&r.user_id, ROW_ECHO);
            Row::new(vec![
                Cell::from(Span::styled(format!("{:>5}", r.line), t.muted())),
                Cell::from(if wide {
                    user_id.into_owned()
                } else {
                    super::short_user_id(&user_id)
                }),
                Cell::from(safe_text_within(&r.kyc_type, ROW_ECHO).into_owned()),
                Cell::from(Span::styled(text, style)),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(5),
        Constraint::Length(if wide { 40 } else { 17 }),
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
    }
}
