//! The top line: where requests go, who sends them, the rate-limit budget, session counts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let t = state.theme;
    let mut spans = Vec::new();
    if state.target.production {
        spans.push(Span::styled(" PRODUCTION ", t.production_badge()));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(format!(" {}", state.target.profile), t.bold()));
    let sep = || Span::styled(" │ ", t.muted());
    spans.push(sep());
    match &state.last_rate {
        Some(rate) => {
            let remaining = rate.remaining.map_or("?".to_string(), |r| r.to_string());
            let limit = rate.limit.map_or(String::new(), |l| format!("/{l}"));
            let style = if rate.remaining == Some(0) {
                t.error()
            } else {
                t.bold()
            };
            spans.push(Span::raw("rate "));
            spans.push(Span::styled(format!("{remaining}{limit}"), style));
            if let Some(reset) = rate.reset_secs {
                spans.push(Span::styled(format!(" reset {reset} s"), t.muted()));
            }
        }
        None => spans.push(Span::styled("rate: not seen yet", t.muted())),
    }
    spans.push(sep());
    if state.session_counts.is_empty() {
        spans.push(Span::styled("session: none sent", t.muted()));
    } else {
        spans.push(Span::raw("session "));
        for (i, (kind, n)) in state.session_counts.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(
                format!("{n} {}", kind.label()),
                t.outcome(*kind),
            ));
        }
    }
    spans.push(sep());
    spans.push(Span::styled(
        format!("operator {}", state.target.operator),
        t.muted(),
    ));
    spans.push(sep());
    spans.push(Span::styled(state.target.base_url.clone(), t.muted()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
