//! The batch screen: the editor, the preview of every row (the run is drawn by
//! `batch_run`).
//! Messages wrap to the width they are given: none is cut.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::batch_run::running;
use super::batch_table::rows_table;
use super::wrap::{NOTES_MAX, height, wrap_text, wrapped};
use crate::domain::safe_text;
use crate::tui::action::Action;
use crate::tui::batch_state::{BatchScreen, RowState, Stage};
use crate::tui::keymap::{Mode, key_name};
use crate::tui::layout::overlay_area;
use crate::tui::state::State;

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
    // Every line of the help shows, the target's last, however they wrap.
    let help_height: usize = lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap_text(&text, usize::from(area.width)).len()
        })
        .sum();
    let [help, text, footer] = Layout::vertical([
        Constraint::Length(u16::try_from(help_height).unwrap_or(4).clamp(4, 7)),
        Constraint::Min(3),
        Constraint::Length(height(&notes, NOTES_MAX)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), help);
    let filled = b.filled_lines();
    let editor = b.editor.lock();
    let ratatui_textarea::DataCursor(row, col) = editor.cursor();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(
            " {filled} filled line(s) · cursor at line {} of {}, column {} ",
            row + 1,
            editor.lines().len(),
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

/// What the preview shows around its rows: the summary and its height, the notes, and
/// the production prompt.
struct PreviewParts {
    summary: Vec<Line<'static>>,
    summary_height: u16,
    notes: Vec<Line<'static>>,
    prompt: Option<String>,
}

impl PreviewParts {
    /// The summary, the rows and the footer, top to bottom.
    fn areas(&self, area: Rect) -> [Rect; 3] {
        let footer_height = height(&self.notes, NOTES_MAX) + u16::from(self.prompt.is_some());
        Layout::vertical([
            Constraint::Length(self.summary_height),
            Constraint::Min(3),
            Constraint::Length(footer_height),
        ])
        .areas(area)
    }
}

fn preview_parts(area: Rect, state: &State, b: &BatchScreen) -> PreviewParts {
    let t = state.theme;
    let summary_lines = summary(state, b);
    let summary_height: usize = summary_lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap_text(&text, usize::from(area.width)).len()
        })
        .sum();
    let summary_height = u16::try_from(summary_height).unwrap_or(3).clamp(3, 5);
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
    PreviewParts {
        summary: summary_lines,
        summary_height,
        notes: wrapped(&notes, area.width),
        prompt,
    }
}

/// Where the rows go, in the batch screen's `area` (what [`render`] is given), when
/// the screen shows rows.
pub fn table_area(area: Rect, state: &State, b: &BatchScreen) -> Option<Rect> {
    let inner = Block::default()
        .borders(Borders::ALL)
        .inner(overlay_area(area));
    match b.stage {
        Stage::Input | Stage::Planning => None,
        Stage::Preview | Stage::Confirm => Some(preview_parts(inner, state, b).areas(inner)[1]),
        Stage::Running | Stage::Done => Some(super::batch_run::table_area(inner, state, b)),
    }
}

fn preview(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let parts = preview_parts(area, state, b);
    let [summary_area, table, footer] = parts.areas(area);
    let PreviewParts {
        summary,
        notes,
        prompt,
        ..
    } = parts;
    frame.render_widget(
        Paragraph::new(summary).wrap(Wrap { trim: false }),
        summary_area,
    );
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
