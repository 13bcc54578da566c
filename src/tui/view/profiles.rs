//! The profile picker: every target in the settings, production ones marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::domain::safe_text;
use crate::tui::layout::centered;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let t = state.theme;
    let mut lines = vec![
        Line::styled(
            "Send to which profile? History follows the choice.",
            t.muted(),
        ),
        Line::raw(""),
    ];
    for (i, p) in state.profiles.iter().enumerate() {
        let current = p.name == state.target.profile;
        let mut spans = vec![
            Span::styled(if i == selected { "› " } else { "  " }, t.key()),
            Span::styled(
                format!("{:<14}", p.name),
                if i == selected {
                    t.selected().patch(t.bold())
                } else {
                    t.bold()
                },
            ),
            Span::raw(" "),
        ];
        if p.production {
            spans.push(Span::styled(" PRODUCTION ", t.production_badge()));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(safe_text(&p.target).into_owned(), t.muted()));
        if current {
            spans.push(Span::styled("  (current)", t.ok()));
        }
        lines.push(Line::from(spans));
    }
    let height = u16::try_from(lines.len()).unwrap_or(20) + 2;
    let popup = centered(area, 80, 10, (70, height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Profiles ")
                .border_style(t.focus_border()),
        ),
        popup,
    );
}
