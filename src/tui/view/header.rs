//! The top line: where requests go, the rate-limit budget, session counts, who sends.
//! Parts are dropped from the right when the terminal is narrow, never cut mid-word.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::safe_text;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let t = state.theme;
    let mut target = Vec::new();
    if state.target.production {
        target.push(Span::styled(" PRODUCTION ", t.production_badge()));
    }
    target.push(Span::styled(format!(" {}", state.target.profile), t.bold()));

    let rate = match &state.last_rate {
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
                spans.push(Span::styled(format!(" reset {reset} s"), t.muted()));
            }
            spans
        }
        None => vec![Span::styled("rate: not seen yet", t.muted())],
    };

    // Each submission once, by its latest outcome; sending one again is a retry.
    let counts = &state.session;
    let session = if counts.is_empty() {
        vec![Span::styled("session: none sent", t.muted())]
    } else {
        let mut head = format!("session {} submitted", counts.submitted());
        if counts.retried() > 0 {
            head.push_str(&format!(" · {} retried", counts.retried()));
        }
        head.push(':');
        let mut spans = vec![Span::raw(head)];
        for (kind, n) in counts.by_outcome() {
            spans.push(Span::styled(
                format!(" {n} {}", kind.label()),
                t.outcome(kind),
            ));
        }
        spans
    };
    let operator = vec![Span::styled(
        format!("operator {}", safe_text(&state.target.operator)),
        t.muted(),
    )];
    let url = vec![Span::styled(
        safe_text(&state.target.base_url).into_owned(),
        t.muted(),
    )];

    let width = usize::from(area.width);
    let mut spans = target;
    let mut used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    for part in [rate, session, operator, url] {
        let len = 3 + part
            .iter()
            .map(|s| s.content.chars().count())
            .sum::<usize>();
        if used + len > width {
            break;
        }
        used += len;
        spans.push(Span::styled(" │ ", t.muted()));
        spans.extend(part);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
