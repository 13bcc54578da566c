//! Every key, from the binding table, and where the console keeps its files.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::tui::action::Action;
use crate::tui::keymap::{BINDINGS, HELP_ORDER, Mode, key_name, keys_label};
use crate::tui::layout::overlay_area;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State, scroll: u16) {
    let t = state.theme;
    let popup = overlay_area(area);
    let mut lines = vec![Line::from(vec![
        Span::styled(keys_label(Mode::Help, Action::Quit), t.key()),
        Span::raw(" quits from anywhere · "),
        Span::styled(key_name(Mode::TextField, Action::Help), t.key()),
        Span::raw(" opens this from text fields, "),
        Span::styled(key_name(Mode::History, Action::Help), t.key()),
        Span::raw(" elsewhere"),
    ])];
    for mode in HELP_ORDER {
        lines.push(Line::raw(""));
        lines.push(Line::styled(mode.title(), t.bold()));
        for b in BINDINGS.iter().filter(|b| b.modes.contains(&mode)) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<22}", b.keys_label()), t.key()),
                Span::raw(b.help),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Files", t.bold()));
    for (name, path) in [
        ("config", &state.paths.config),
        ("data", &state.paths.data),
        ("logs", &state.paths.log),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {name:<22}"), t.muted()),
            Span::raw(path.clone()),
        ]));
    }
    let title = format!(
        " Help: keys and files ({} closes)",
        key_name(Mode::Help, Action::Close)
    );
    let more = keys_label(Mode::Help, Action::ScrollDown);
    super::scrolled_page(frame, popup, lines, (scroll, &more), &title, t);
}
