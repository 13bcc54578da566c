//! What happened to the newest submission, readable at a glance.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::spinner;
use crate::domain::{FormField, OutcomeKind};
use crate::present::format_duration;
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
            "Nothing sent yet: fill in the form, then Enter on the last field or Ctrl-S.",
            t.muted(),
        )),
        Some(LastResult::Sending { user_id }) => {
            let live = state.live.values().rev().find(|l| &l.user_id == user_id);
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
            let outcome = exchange.outcome();
            let explanation = exchange.explanation();
            let response = exchange.final_response();
            let attempts = exchange.attempts.len();
            let tries = if attempts > 1 {
                format!(", {attempts} attempts")
            } else {
                String::new()
            };
            if outcome == OutcomeKind::Initiated {
                let id = response
                    .and_then(|r| r.json_field("id"))
                    .unwrap_or_default();
                let status = response
                    .and_then(|r| r.json_field("status"))
                    .unwrap_or_default();
                let mut title = vec![
                    Span::styled("✓ initiated", t.ok().patch(t.bold())),
                    Span::styled(
                        format!(
                            " · {status} · {}{tries}",
                            format_duration(exchange.total_latency())
                        ),
                        t.muted(),
                    ),
                ];
                if compact {
                    title.push(Span::styled(format!(" · {id}"), t.bold()));
                    lines.push(Line::from(title));
                } else {
                    lines.push(Line::from(title));
                    lines.push(Line::styled(format!("  {id}"), t.bold()));
                    lines.push(Line::styled(format!("  for {user_id}"), t.muted()));
                }
                if let Some(url) = response.and_then(|r| r.json_field("url")) {
                    lines.push(Line::styled(format!("  {url}"), t.pending()));
                }
                lines.push(Line::styled(
                    "  Ctrl-Y copy link · next: paste an id, Enter",
                    t.muted(),
                ));
            } else {
                lines.push(Line::from(vec![
                    Span::styled(
                        // "outcome unknown (timed out)" already says what kind it is.
                        if explanation.title.contains(outcome.label()) {
                            String::from("✗ ")
                        } else {
                            format!("✗ {} ", outcome.label())
                        },
                        t.outcome(outcome).patch(t.bold()),
                    ),
                    Span::styled(explanation.title.clone(), t.bold()),
                    Span::styled(
                        format!(" · {}{tries}", format_duration(exchange.total_latency())),
                        t.muted(),
                    ),
                ]));
                let mut details = Vec::new();
                if let Some(r) = response {
                    let summary = r.summary();
                    for e in &summary.field_errors {
                        let name = e
                            .field
                            .map_or(e.reference.clone(), |f: FormField| f.label().to_string());
                        details.push(Line::styled(format!("  {name}: {}", e.message), t.error()));
                    }
                    if summary.field_errors.is_empty()
                        && let Some(line) = summary.one_line()
                    {
                        details.push(Line::styled(format!("  says: {line}"), t.muted()));
                    }
                    if let Some(id) = &r.request_id {
                        details.push(Line::styled(format!("  request id {id}"), t.muted()));
                    }
                }
                let action = Line::styled(format!("  → {}", explanation.action), t.warn());
                if compact {
                    // Three lines: what happened, what to do, the most specific detail.
                    lines.push(action);
                    lines.extend(details.into_iter().take(1));
                } else {
                    lines.push(Line::raw(format!("  {user_id}")));
                    lines.push(Line::raw(format!("  {}", explanation.meaning)));
                    lines.push(action);
                    lines.extend(details);
                }
            }
        }
    }
    let mut paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
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
