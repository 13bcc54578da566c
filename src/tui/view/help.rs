//! Every key, from the binding table, once each with the screens where it works, those of
//! the screen help was opened from first; and where the console keeps its files.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::wrap::wrap;
use crate::domain::safe_text;
use crate::tui::action::Action;
use crate::tui::keyhelp::{sections, where_label};
use crate::tui::keymap::{Mode, key_name, keys_label};
use crate::tui::layout::overlay_area;
use crate::tui::state::State;

/// The keys column's width.
const KEYS: usize = 15;

/// The help's lines, wrapped to `width`.
pub fn lines(state: &State, from: Mode, width: usize) -> Vec<Line<'static>> {
    let t = state.theme;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(keys_label(Mode::Help, Action::Quit), t.key()),
            Span::raw(" quits from anywhere · "),
            Span::styled(key_name(Mode::TextField, Action::Help), t.key()),
            Span::raw(" opens this from text fields, "),
            Span::styled(key_name(Mode::History, Action::Help), t.key()),
            Span::raw(" elsewhere · each key once, with where it works"),
        ]),
        Line::raw(""),
    ];
    for (i, section) in sections(from).into_iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        let mut title = vec![Span::styled(section.mode.title(), t.bold())];
        if i == 0 {
            title.push(Span::styled(" · where you are", t.muted()));
        }
        lines.push(Line::from(title));
        for e in section.entries {
            let mut spans = vec![Span::styled(
                format!("  {:<w$}", e.keys, w = KEYS - 2),
                t.key(),
            )];
            for (i, m) in e.meanings.iter().enumerate() {
                spans.push(Span::raw(format!(
                    "{} {}",
                    if i > 0 { ";" } else { "" },
                    m.help
                )));
                // Where a key works stays on one line: its spaces do not break.
                let place = where_label(&m.modes).replace(' ', NBSP);
                spans.push(Span::styled(format!("  [{place}]"), t.muted()));
            }
            lines.push(Line::from(spans));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Files", t.bold()));
    for (name, path) in [
        ("settings", &state.paths.config),
        ("data", &state.paths.data),
        ("logs", &state.paths.log),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {name:<w$}", w = KEYS - 2), t.muted()),
            Span::raw(format!(" {}", safe_text(path))),
        ]));
    }
    lines
        .iter()
        .flat_map(|l| {
            // Continuation lines start under the description.
            let hang = if l.spans.len() > 1 && l.spans[0].content.starts_with("  ") {
                KEYS + 1
            } else {
                0
            };
            wrap(l, width, hang)
        })
        .map(|line| {
            let spans = line.spans.into_iter().map(|s| {
                let text = s.content.replace(NBSP, " ");
                Span::styled(text, s.style)
            });
            Line::from(spans.collect::<Vec<_>>())
        })
        .collect()
}

/// A space that does not break a line, put back as a plain space once wrapped.
const NBSP: &str = "\u{a0}";

pub fn render(frame: &mut Frame, area: Rect, state: &State, scroll: u16, from: Mode) {
    let popup = overlay_area(area);
    let lines = lines(state, from, usize::from(popup.width.saturating_sub(2)));
    let title = format!(
        " Help: keys and files ({} closes) ",
        keys_label(Mode::Help, Action::Close)
    );
    let more = format!(
        "{}/{}",
        key_name(Mode::Help, Action::ScrollDown),
        key_name(Mode::Help, Action::PageDown)
    );
    super::scrolled_page(frame, popup, lines, (scroll, &more), &title, state.theme);
}
