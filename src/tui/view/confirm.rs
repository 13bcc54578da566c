//! Yes/no questions: sending to production, quitting with work in flight.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name, key_names};
use crate::tui::layout::centered;
use crate::tui::state::{Confirm, State};

pub fn render(frame: &mut Frame, area: Rect, state: &State, confirm: &Confirm) {
    let t = state.theme;
    let (title, mut lines) = match confirm {
        Confirm::Production { request, .. } => {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(" PRODUCTION ", t.production_badge()),
                    Span::raw(format!(
                        " profile {} · {}",
                        state.target.profile, state.target.base_url
                    )),
                ]),
                Line::raw(""),
                Line::raw("This starts a real verification for a real user:"),
                Line::styled(format!("  {}", state.target.endpoint), t.bold()),
            ];
            let body = serde_json::to_string_pretty(&request.to_json()).unwrap_or_default();
            lines.extend(
                body.lines()
                    .map(|l| Line::styled(format!("  {l}"), t.bold())),
            );
            (" Send to PRODUCTION? ", lines)
        }
        Confirm::Quit { in_flight } => (
            " Quit? ",
            vec![
                Line::raw(format!("{in_flight} submission(s) still in flight.")),
                Line::raw("Quitting stops waiting for them: their outcome stays unknown,"),
                Line::raw("and a retry with the same idempotency key never starts one twice."),
            ],
        ),
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(key_name(Mode::Confirm, Action::Yes), t.key()),
        Span::raw(" yes   "),
        Span::styled(key_names(Mode::Confirm, Action::No).join(" / "), t.key()),
        Span::raw(" no (default)"),
    ]));
    let height = u16::try_from(lines.len()).unwrap_or(20) + 2;
    let popup = centered(area, 70, 10, (60, height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title)
                .border_style(if matches!(confirm, Confirm::Production { .. }) {
                    t.error()
                } else {
                    t.focus_border()
                }),
        ),
        popup,
    );
}
