//! Drawing the console. Every function here reads `&State` and changes nothing.

mod batch;
mod batch_run;
mod batch_table;
mod confirm;
mod detail;
mod footer;
mod form;
mod header;
mod help;
mod history;
mod profiles;
mod result;
mod wrap;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::action::Action;
use super::keymap::{Mode, key_name};
use super::layout::{MIN_HEIGHT, MIN_WIDTH, centered, fits, layout};
use super::state::{Overlay, State};
use super::theme::Theme;
use crate::domain::needs_escape;

/// Spinner frames for work in flight.
const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// Draws the whole screen.
pub fn render(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if !fits(area) {
        too_small(frame, area, state.mode());
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
    // What a question or the help covers stays drawn under it.
    for overlay in state.behind.iter().chain(&state.overlay) {
        render_overlay(frame, area, state, overlay);
    }
    guard_cells(frame.buffer_mut());
}

/// The last guard before the terminal: text from a server, a file, the history or a paste
/// is made safe where it is written ([`safe_text`](crate::domain::safe_text)); a control
/// character or bidi override that got past that anyway is drawn as `�`, never sent.
fn guard_cells(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        if cell.symbol().chars().any(needs_escape) {
            cell.set_symbol("\u{fffd}");
        }
    }
}

fn render_overlay(frame: &mut Frame, area: Rect, state: &State, overlay: &Overlay) {
    match overlay {
        Overlay::Help { scroll } => help::render(frame, area, state, *scroll),
        Overlay::Detail(d) => detail::render(frame, area, state, d),
        Overlay::LoadingDetail(_) => {
            let popup = centered(area, 30, 10, (30, 3));
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new("loading…")
                    .alignment(Alignment::Center)
                    .block(Block::default().borders(Borders::ALL)),
                popup,
            );
        }
        Overlay::Confirm(c) => confirm::render(frame, area, state, c),
        Overlay::Profiles { selected } => profiles::render(frame, area, state, *selected),
    }
}

fn too_small(frame: &mut Frame, area: Rect, mode: Mode) {
    let text = vec![
        Line::from("Terminal too small"),
        Line::from(format!(
            "{}x{} now; kyc-console needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::from(format!(
            "Enlarge the window; {} quits.",
            key_name(mode, Action::Quit)
        )),
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

/// A full page of text over the screen, scrolled, saying when more is below and which
/// keys (`down`) scroll to it.
fn scrolled_page(
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line<'_>>,
    (scroll, down): (u16, &str),
    title: &str,
    t: Theme,
) {
    // Lines before wrapping: enough to say whether more is below.
    let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let scroll = scroll.min(total.saturating_sub(1));
    let more = if scroll.saturating_add(area.height.saturating_sub(2)) < total {
        format!(" · more below: {down} ")
    } else {
        " ".to_string()
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::domain::KycType;
    use crate::tui::action::Action;
    use crate::tui::keymap::{BINDINGS, HELP_ORDER, Mode, key_names};

    /// The functions through which screen text names a key.
    const NAMERS: [&str; 3] = ["key_name(", "key_names(", "keys_label("];

    /// Every call to a [`NAMERS`] function in the view sources: file and argument text.
    fn calls() -> Vec<(String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = Vec::new();
        // Views draw key names; update's messages name keys too.
        let entries = ["src/tui/view", "src/tui/update"]
            .into_iter()
            .flat_map(|dir| std::fs::read_dir(root.join(dir)).expect("the console sources"));
        for entry in entries {
            let path = entry.expect("a console source").path();
            // Subfolders hold tests (update's `tests/`), not screen text.
            if path.is_dir() {
                continue;
            }
            let whole = std::fs::read_to_string(&path).expect("readable");
            // What the screens draw; tests (this one included) are not screen text.
            let text = whole.split("#[cfg(test)]").next().unwrap_or_default();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for namer in NAMERS {
                for (at, _) in text.match_indices(namer) {
                    // `b.keys_label()` is a binding's own keys, not a name looked up.
                    let before = text[..at].chars().next_back();
                    if before.is_some_and(|c| c == '.' || c == '_' || c.is_alphanumeric()) {
                        continue;
                    }
                    let rest = &text[at + namer.len()..];
                    let mut depth = 0;
                    let end = rest
                        .char_indices()
                        .find(|&(_, c)| {
                            match c {
                                '(' => depth += 1,
                                ')' if depth == 0 => return true,
                                ')' => depth -= 1,
                                _ => {}
                            }
                            false
                        })
                        .map(|(i, _)| i)
                        .expect("a closing parenthesis");
                    let args: String = rest[..end].split_whitespace().collect();
                    found.push((name.clone(), args));
                }
            }
        }
        found
    }

    /// The modes a call's first argument names: one literal mode, or every mode when the
    /// text shows wherever the focus is.
    fn modes(arg: &str) -> Vec<Mode> {
        match arg.strip_prefix("Mode::") {
            Some(name) => HELP_ORDER
                .into_iter()
                .filter(|m| format!("{m:?}") == name)
                .collect(),
            None => HELP_ORDER.to_vec(),
        }
    }

    /// The actions a call's second argument names: `TypePick(i)` over a loop is each pick.
    fn actions(arg: &str) -> Vec<Action> {
        let name = arg.strip_prefix("Action::").unwrap_or(arg);
        let all = BINDINGS.iter().map(|b| b.action);
        match name.strip_prefix("TypePick(") {
            Some(index) if index.trim_end_matches(')').parse::<usize>().is_err() => {
                (0..KycType::ALL.len()).map(Action::TypePick).collect()
            }
            _ => {
                let mut named: Vec<Action> = all.filter(|a| format!("{a:?}") == name).collect();
                named.dedup();
                named
            }
        }
    }

    #[test]
    fn every_key_a_text_names_is_bound_where_the_text_shows() {
        let calls = calls();
        assert!(calls.len() >= 25, "too few key names found: {calls:?}");
        for (file, args) in &calls {
            let (mode_arg, action_arg) = args
                .rsplit_once(',')
                .unwrap_or_else(|| panic!("{file}: two arguments expected in {args}"));
            let modes = modes(mode_arg);
            let actions = actions(action_arg);
            assert!(!modes.is_empty(), "{file}: no mode {mode_arg}");
            assert!(!actions.is_empty(), "{file}: {action_arg} is bound nowhere");
            for mode in &modes {
                for action in &actions {
                    assert!(
                        !key_names(*mode, *action).is_empty(),
                        "{file}: {args}: no key does {action:?} in {mode:?}"
                    );
                }
            }
        }
    }
}
