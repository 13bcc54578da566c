//! The top line: where requests go, the rate-limit budget, session counts, who sends.
//! When the terminal is narrow the URL and the operator go first, then the rate and the
//! session counts take short forms; parts are never cut mid-word.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::{OutcomeKind, safe_text};
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let t = state.theme;
    let mut target = Vec::new();
    if state.target.production {
        target.push(Span::styled(" PRODUCTION ", t.production_badge()));
    }
    target.push(Span::styled(format!(" {}", state.target.profile), t.bold()));

    let rate = |short: bool| -> Vec<Span<'static>> {
        match &state.last_rate {
            Some(seen) => {
                let rate = &seen.rate;
                let remaining = rate.remaining.map_or("?".to_string(), |r| r.to_string());
                let limit = rate.limit.map_or(String::new(), |l| format!("/{l}"));
                let style = if rate.remaining == Some(0) {
                    t.error()
                } else {
                    t.bold()
                };
                let mut spans = vec![
                    Span::raw("rate "),
                    Span::styled(format!("{remaining}{limit}"), style),
                ];
                // Counted down from when the answer came (the loop ticks while it is above 0).
                if let Some(reset) = seen.reset_in(state.now) {
                    let text = if short {
                        format!(" ↺{reset}s")
                    } else {
                        format!(" reset {reset} s")
                    };
                    spans.push(Span::styled(text, t.muted()));
                }
                spans
            }
            None if short => vec![Span::styled("rate ?", t.muted())],
            None => vec![Span::styled("rate: not seen yet", t.muted())],
        }
    };

    // Each submission once, by its latest outcome; sending one again is a retry. The
    // short form reads `10 sent · 3 retried: 5✓ 2✗ 3?`.
    let counts = &state.session;
    let session = |short: bool| -> Vec<Span<'static>> {
        if counts.is_empty() {
            let text = if short {
                "none sent"
            } else {
                "session: none sent"
            };
            return vec![Span::styled(text, t.muted())];
        }
        let mut head = if short {
            format!("{} sent", counts.submitted())
        } else {
            format!("session {} submitted", counts.submitted())
        };
        if counts.retried() > 0 {
            head.push_str(&format!(" · {} retried", counts.retried()));
        }
        head.push(':');
        let mut spans = vec![Span::raw(head)];
        for (kind, n) in counts.by_outcome() {
            let text = if short {
                format!(" {n}{}", short_mark(kind))
            } else {
                format!(" {n} {}", kind.label())
            };
            spans.push(Span::styled(text, t.outcome(kind)));
        }
        spans
    };
    let operator = || {
        vec![Span::styled(
            format!("operator {}", safe_text(&state.target.operator)),
            t.muted(),
        )]
    };
    let url = || {
        vec![Span::styled(
            safe_text(&state.target.base_url).into_owned(),
            t.muted(),
        )]
    };

    // The widest form that fits: the URL goes first, then the operator, then the rate and
    // the session counts take their short forms; the counts stay to the last.
    let width = usize::from(area.width);
    let used: usize = target.iter().map(Span::width).sum();
    let forms: [Vec<Vec<Span<'static>>>; 6] = [
        vec![rate(false), session(false), operator(), url()],
        vec![rate(false), session(false), operator()],
        vec![rate(false), session(false)],
        vec![rate(false), session(true)],
        vec![rate(true), session(true)],
        vec![session(true), rate(true)],
    ];
    let part_width = |p: &Vec<Span<'static>>| 3 + p.iter().map(Span::width).sum::<usize>();
    let chosen = forms
        .iter()
        .find(|parts| used + parts.iter().map(part_width).sum::<usize>() <= width)
        .unwrap_or(&forms[5]);
    let mut spans = target;
    let mut used = used;
    for part in chosen {
        let len = part_width(part);
        if used + len > width {
            break;
        }
        used += len;
        spans.push(Span::styled(" │ ", t.muted()));
        spans.extend(part.iter().cloned());
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A kind's mark in the header's short form: `5✓ 2✗ 1 5xx 3?`.
fn short_mark(kind: OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Initiated => "✓",
        OutcomeKind::Rejected => "✗",
        OutcomeKind::ServerError => " 5xx",
        OutcomeKind::Transient => "↻",
        OutcomeKind::Unknown => "?",
        OutcomeKind::NotSent => "⊘",
    }
}
