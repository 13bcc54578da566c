//! The bottom lines: the keys that work where the focus is, and above them a short message
//! when there is one (it never hides the keys). Keys take a second line when one is not
//! enough; when even two are not, the last says which key lists the rest (`more: ?`). A
//! message wraps rather than being cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::wrap::wrap;
use crate::domain::safe_text;
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, footer_where, key_name};
use crate::tui::state::State;

/// The most lines the footer takes: a message of up to two lines above two lines of keys.
const MAX_LINES: usize = 4;
/// Lines the keys may take before the rest is left to the help.
const KEY_LINES: usize = 2;

/// The footer's items laid out in lines at most `width` wide, whole items only, in at most
/// `max` lines; the last line names the help key when some did not fit.
fn arrange(
    items: Vec<(String, &'static str)>,
    mode: Mode,
    width: usize,
    max: usize,
) -> Vec<Vec<(String, &'static str)>> {
    let item_width = |(keys, text): &(String, &str)| {
        Line::raw(keys.as_str()).width() + 1 + Line::raw(*text).width()
    };
    let more = more_item(mode);
    let mut lines: Vec<Vec<(String, &'static str)>> = vec![Vec::new()];
    let mut used = 1;
    for (i, item) in items.iter().enumerate() {
        let w = item_width(item) + 2;
        let last_line = lines.len() == max;
        // On the last line, room for the marker stays unless this is the last item.
        let reserve = if last_line && i + 1 < items.len() {
            item_width(&more) + 2
        } else {
            0
        };
        if used + w + reserve > width + 2 {
            if last_line {
                if let Some(line) = lines.last_mut() {
                    line.push(more);
                }
                return lines;
            }
            lines.push(Vec::new());
            used = 1;
        }
        used += w;
        if let Some(line) = lines.last_mut() {
            line.push(item.clone());
        }
    }
    lines
}

/// The item that says where the keys left out are.
fn more_item(mode: Mode) -> (String, &'static str) {
    (format!("more: {}", key_name(mode, Action::Help)), "")
}

/// The footer's keys at a width: those that act in the state now.
fn key_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let mode = state.mode();
    let items = footer_where(mode, |a| state.offers(a));
    mode_key_lines(items, mode, width)
}

fn mode_key_lines(
    items: Vec<(String, &'static str)>,
    mode: Mode,
    width: u16,
) -> Vec<Line<'static>> {
    arrange(items, mode, usize::from(width), KEY_LINES)
        .into_iter()
        .map(|items| {
            let mut spans = vec![Span::raw(" ")];
            for (keys, text) in items {
                spans.push(Span::raw(keys));
                spans.push(Span::raw(if text.is_empty() {
                    "  ".to_string()
                } else {
                    format!(" {text}  ")
                }));
            }
            Line::from(spans)
        })
        .collect()
}

/// The message shown above the keys, wrapped to the width.
fn toast_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    match &state.toast {
        Some(toast) => {
            let style = if toast.error { t.error() } else { t.ok() };
            let line = Line::from(Span::styled(format!(" {}", safe_text(&toast.text)), style));
            wrap(&line, usize::from(width), 1)
        }
        None => Vec::new(),
    }
}

/// How many lines the footer takes at this width: its message and its keys.
pub fn height(state: &State, width: u16) -> u16 {
    let keys = key_lines(state, width).len();
    let toast = toast_lines(state, width).len();
    u16::try_from((keys + toast).clamp(1, MAX_LINES)).unwrap_or(1)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let t = state.theme;
    let keys: Vec<Line<'static>> = key_lines(state, area.width)
        .into_iter()
        .map(|line| {
            // Keys and their meaning in turn after the leading space.
            let spans = line
                .spans
                .into_iter()
                .enumerate()
                .map(|(i, s)| match i {
                    0 => s,
                    i if i % 2 == 1 => s.style(t.key()),
                    _ => s.style(t.muted()),
                })
                .collect::<Vec<_>>();
            Line::from(spans)
        })
        .collect();
    // The keys keep their lines; the message takes what is left above them.
    let room = usize::from(area.height).saturating_sub(keys.len()).max(1);
    let mut lines: Vec<Line<'static>> = toast_lines(state, area.width)
        .into_iter()
        .take(room)
        .collect();
    lines.extend(keys);
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tui::keymap::footer;

    fn text(mode: Mode, width: u16) -> Vec<String> {
        mode_key_lines(footer(mode), mode, width)
            .iter()
            .map(|l| l.to_string().trim_end().to_string())
            .collect()
    }

    #[test]
    fn at_80_columns_the_detail_footer_shows_every_key() {
        let lines = text(Mode::Detail, 80);
        let all = lines.join(" ");
        for item in [
            "r resend",
            "R retry same key",
            "l edit",
            "b body",
            "j/k scroll",
            "g/G top/end",
        ] {
            assert!(all.contains(item), "{item} in {lines:?}");
        }
        assert!(lines.iter().all(|l| Line::raw(l.as_str()).width() <= 80));
    }

    #[test]
    fn the_type_picker_footer_reads_cleanly() {
        let all = text(Mode::TypePicker, 120).join(" ");
        assert!(all.contains("↑/↓ type  1-4/f/s/r/i pick"), "{all}");
        assert!(!all.contains("1/f"), "{all}");
    }

    #[test]
    fn keys_that_do_not_fit_in_two_lines_are_left_to_the_help() {
        for mode in crate::tui::keymap::HELP_ORDER {
            for width in [80, 100, 120, 200] {
                let lines = text(mode, width);
                assert!(lines.len() <= KEY_LINES, "{mode:?} at {width}: {lines:?}");
                let shown = lines.join(" ");
                let all_there = footer(mode)
                    .iter()
                    .all(|(keys, text)| shown.contains(&format!("{keys} {text}")));
                let help = key_name(mode, Action::Help);
                assert!(
                    all_there || shown.ends_with(&format!("more: {help}")),
                    "{mode:?} at {width}: {lines:?}"
                );
                for l in &lines {
                    assert!(Line::raw(l.as_str()).width() <= usize::from(width), "{l}");
                }
            }
        }
    }
}
