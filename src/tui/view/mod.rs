//! Drawing the console. Every function here reads `&State` and changes nothing.

mod batch;
mod confirm;
mod detail;
mod footer;
mod form;
mod header;
mod help;
mod history;
mod profiles;
mod result;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::layout::{MIN_HEIGHT, MIN_WIDTH, centered, fits, layout};
use super::state::{Overlay, State};
use super::theme::Theme;

/// Spinner frames for work in flight.
const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// Draws the whole screen.
pub fn render(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if !fits(area) {
        too_small(frame, area);
        return;
    }
    let l = layout(area);
    header::render(frame, l.header, state);
    form::render(frame, l.form, state, l.full_picker);
    result::render(frame, l.result, state);
    history::render(frame, l.history, state);
    footer::render(frame, l.footer, state);
    if let Some(b) = &state.batch {
        batch::render(frame, area, state, b);
    }
    match &state.overlay {
        Some(Overlay::Help { scroll }) => help::render(frame, area, state, *scroll),
        Some(Overlay::Detail(d)) => detail::render(frame, area, state, d),
        Some(Overlay::LoadingDetail(_)) => {
            let popup = centered(area, 30, 10, (30, 3));
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new("loading…")
                    .alignment(Alignment::Center)
                    .block(Block::default().borders(Borders::ALL)),
                popup,
            );
        }
        Some(Overlay::Confirm(c)) => confirm::render(frame, area, state, c),
        Some(Overlay::Profiles { selected }) => profiles::render(frame, area, state, *selected),
        None => {}
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from("Terminal too small"),
        Line::from(format!(
            "{}x{} now; kyc-console needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window; Ctrl-C quits."),
    ];
    let y = area.height.saturating_sub(3) / 2;
    let inner = Rect::new(
        area.x,
        area.y + y,
        area.width,
        area.height.saturating_sub(y),
    );
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        inner,
    );
}

/// A full page of text over the screen, scrolled, saying when more is below.
fn scrolled_page(
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line<'_>>,
    scroll: u16,
    title: &str,
    t: Theme,
) {
    // Lines before wrapping: enough to say whether more is below.
    let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let scroll = scroll.min(total.saturating_sub(1));
    let more = if scroll.saturating_add(area.height.saturating_sub(2)) < total {
        " · more below: j/↓ "
    } else {
        " "
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!("{title}{more}"))
                    .border_style(t.focus_border()),
            ),
        area,
    );
}

/// The spinner frame for the state's tick count.
fn spinner(state: &State) -> &'static str {
    SPINNER[usize::try_from(state.frame % SPINNER.len() as u64).unwrap_or(0)]
}

/// `usr-3f0e8d4a…e5f6`: the start and the end, which tell ids (and sandbox statuses) apart.
pub(crate) fn short_user_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 17 {
        return id.to_string();
    }
    let head: String = chars[..12].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}
