//! The bottom line: the keys that work where the focus is, or a short message.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::safe_text;
use crate::tui::keymap::footer;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let t = state.theme;
    let line = match &state.toast {
        Some(toast) => {
            let style = if toast.error { t.error() } else { t.ok() };
            Line::from(Span::styled(format!(" {}", safe_text(&toast.text)), style))
        }
        None => {
            let mut spans = vec![Span::raw(" ")];
            let mut used = 1;
            let width = usize::from(area.width);
            // Whole items only: a key without its meaning is worse than no key.
            for (keys, text) in footer(state.mode()) {
                let item = format!(" {text}  ");
                let len = keys.chars().count() + item.chars().count();
                if used + len > width + 2 {
                    break;
                }
                used += len;
                spans.push(Span::styled(keys, t.key()));
                spans.push(Span::styled(item, t.muted()));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}
