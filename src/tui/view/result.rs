//! What happened to the newest submission, readable at a glance.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::spinner;
use super::wrap::wrap;
use crate::domain::{OutcomeKind, safe_text};
use crate::present::{describe_exchange, timing};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::state::{LastResult, State};
use crate::tui::update::remaining;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    if area.height == 0 {
        return;
    }
    let t = state.theme;
    let compact = area.height <= 4;
    let mut lines: Vec<Line> = Vec::new();
    match &state.last_result {
        None => lines.push(Line::styled(
            format!(
                "Nothing sent yet: fill in the form, then {} on the last field or {}.",
                key_name(Mode::TextField, Action::Advance),
                key_name(Mode::TextField, Action::Submit)
            ),
            t.muted(),
        )),
        Some(LastResult::Sending { user_id }) => {
            let live = state.live.values().rev().find(|l| &l.user_id == user_id);
            let user_id = safe_text(user_id);
            let text = match live.and_then(|l| l.last.as_ref().zip(l.retry_at)) {
                Some((last, at)) => format!(
                    "{} {user_id}: {}, retry {}/{} in {:.1} s",
                    spinner(state),
                    last.short(),
                    last.number,
                    state.target.max_retries,
                    remaining(state, at).as_secs_f64()
                ),
                None => format!("{} sending {user_id}…", spinner(state)),
            };
            lines.push(Line::styled(text, t.pending()));
        }
        Some(LastResult::Done { user_id, exchange }) => {
            let user_id = safe_text(user_id);
            let e = describe_exchange(exchange);
            let took = timing(e.attempts, e.took, e.waited);
            if e.kind == OutcomeKind::Initiated {
                let v = e.verification.as_ref();
                let id = v.and_then(|v| v.id.clone()).unwrap_or_default();
                let status = v.and_then(|v| v.status.clone()).unwrap_or_default();
                let mut title = vec![
                    Span::styled(
                        format!("{} {}", e.mark, e.kind.label()),
                        t.ok().patch(t.bold()),
                    ),
                    Span::styled(format!(" · {status} · {took}"), t.muted()),
                ];
                if compact {
                    title.push(Span::styled(format!(" · {id}"), t.bold()));
                    lines.push(Line::from(title));
                } else {
                    lines.push(Line::from(title));
                    lines.push(Line::styled(format!("  {id}"), t.bold()));
                    lines.push(Line::styled(format!("  for {user_id}"), t.muted()));
                }
                if let Some(url) = v.and_then(|v| v.url.as_ref()) {
                    lines.push(Line::styled(format!("  {url}"), t.pending()));
                }
                lines.push(Line::styled(
                    format!(
                        "  {} copy link · next: paste an id, {}",
                        key_name(Mode::TextField, Action::CopyLink),
                        key_name(Mode::TextField, Action::Advance)
                    ),
                    t.muted(),
                ));
            } else {
                lines.push(Line::from(vec![
                    Span::styled(
                        // "outcome unknown (timed out)" already says what kind it is.
                        if e.title.contains(e.kind.label()) {
                            format!("{} ", e.mark)
                        } else {
                            format!("{} {} ", e.mark, e.kind.label())
                        },
                        t.outcome(e.kind).patch(t.bold()),
                    ),
                    Span::styled(e.title.clone(), t.bold()),
                    Span::styled(format!(" · {took}"), t.muted()),
                ]));
                let mut details = Vec::new();
                for f in &e.field_errors {
                    details.push(Line::styled(
                        format!("  {}: {}", f.name, f.message),
                        t.error(),
                    ));
                }
                if e.field_errors.is_empty()
                    && let Some(line) = &e.says
                {
                    details.push(Line::styled(format!("  says: {line}"), t.muted()));
                }
                if let Some(id) = &e.request_id {
                    details.push(Line::styled(format!("  request id {id}"), t.muted()));
                }
                let action = Line::styled(format!("  → {}", e.action), t.warn());
                if compact {
                    // Three lines: what happened, what to do, the most specific detail.
                    lines.push(action);
                    lines.extend(details.into_iter().take(1));
                } else {
                    lines.push(Line::raw(format!("  {user_id}")));
                    lines.push(Line::raw(format!("  {}", e.meaning)));
                    lines.push(action);
                    lines.extend(details);
                }
            }
        }
    }
    // Wrapped here, continuation lines under the text they continue and links broken
    // only between their parts, so an id is never split.
    let width = usize::from(if compact {
        area.width
    } else {
        area.width.saturating_sub(2)
    });
    let lines: Vec<Line> = lines
        .iter()
        .flat_map(|l| {
            let lead = super::wrap::leading_spaces(l);
            // `✗ title` and `→ what to do` continue under their text.
            let text = l.to_string();
            let marked = text.chars().nth(lead + 1) == Some(' ')
                && text.chars().nth(lead).is_some_and(|c| !c.is_alphanumeric());
            wrap(l, width, lead + if marked { 2 } else { 0 })
        })
        .collect();
    let mut paragraph = Paragraph::new(lines);
    if !compact {
        paragraph = paragraph.block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Last result ")
                .border_style(t.border()),
        );
    }
    frame.render_widget(paragraph, area);
}
