//! Drawing the console. Every function here reads `&State` and changes nothing.

mod batch;
mod batch_run;
mod batch_table;
pub use batch_table::TableFit;
mod batch_trace;
mod confirm;
mod detail;
mod footer;
mod form;
mod header;
mod help;
mod history;
mod profiles;
mod result;
mod stats;
mod wrap;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::action::Action;
use super::keymap::{Mode, key_name};
use super::layout::{
    MIN_HEIGHT, MIN_WIDTH, Needs, ScreenLayout, centered, fits, layout_with, overlay_area,
};
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
    let l = screen(state, area);
    header::render(frame, l.header, state);
    form::render(frame, l.form, state, l.full_picker);
    result::render(frame, l.result, state);
    history::render(frame, l.history, state);
    footer::render(frame, l.footer, state);
    // Screens over the main one leave the header and the footer uncovered.
    let area = covered(area, &l);
    if let Some(b) = &state.batch {
        batch::render(frame, area, state, b);
    }
    // What a question or the help covers stays drawn under it.
    for overlay in state.behind.iter().chain(&state.overlay) {
        render_overlay(frame, area, state, overlay);
    }
    guard_cells(frame.buffer_mut());
}

/// The main screen's layout for the state: the footer and the form as tall as what they
/// show needs.
pub fn screen(state: &State, area: Rect) -> ScreenLayout {
    let footer = footer::height(state, area.width);
    let least = layout_with(area, Needs { footer, form: 0 });
    let form = form::extra_lines(state, least.form.width, least.full_picker);
    let l = layout_with(area, Needs { footer, form });
    if l.full_picker == least.full_picker {
        return l;
    }
    // The lines the messages need left no room for the full picker: the compact one's.
    let form = form::extra_lines(state, l.form.width, l.full_picker);
    layout_with(area, Needs { footer, form })
}

/// The whole screen at the state's size.
fn full(state: &State) -> Rect {
    Rect::new(0, 0, state.size.0, state.size.1)
}

/// How many history rows the screen shows now (borders and headings excluded): what
/// paging moves by.
pub fn history_rows(state: &State) -> usize {
    super::layout::history_rows(&screen(state, full(state)))
}

/// How the batch screen's rows fit its table now, when it shows rows: what scrolling
/// and paging move by.
pub fn batch_table_fit(state: &State) -> Option<TableFit> {
    let b = state.batch.as_ref()?;
    let area = full(state);
    let table = batch::table_area(covered(area, &screen(state, area)), state, b)?;
    Some(batch_table::fit(table, state, b))
}

/// The part of the screen a screen over the main one may use: down to the footer's first
/// line, which [`overlay_area`] leaves out with the header.
fn covered(area: Rect, l: &ScreenLayout) -> Rect {
    Rect::new(
        area.x,
        area.y,
        area.width,
        l.footer.y.saturating_sub(area.y).saturating_add(1),
    )
}

/// The lines the help or the detail on top has once wrapped, and how many of them fit on
/// screen; scrolling stops where the last line reaches the bottom.
pub fn page_size(state: &State) -> Option<(usize, usize)> {
    let area = full(state);
    let page = overlay_area(covered(area, &screen(state, area)));
    let width = usize::from(page.width.saturating_sub(2));
    let height = usize::from(page.height.saturating_sub(2)).max(1);
    let lines = match &state.overlay {
        Some(Overlay::Help { from, .. }) => help::lines(state, *from, width).len(),
        Some(Overlay::Detail(d)) => detail::lines(state, d, width).len(),
        Some(Overlay::Stats(v)) => stats::lines(state, v, width).len(),
        _ => return None,
    };
    Some((lines, height))
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
        Overlay::Help { scroll, from } => help::render(frame, area, state, *scroll, *from),
        Overlay::Detail(d) => detail::render(frame, area, state, d),
        Overlay::Stats(v) => stats::render(frame, area, state, v),
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

/// A full page of lines (wrapped to its width) over the screen, scrolled no further than
/// its last line, saying when more is below and which keys (`down`) scroll to it.
fn scrolled_page(
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line<'static>>,
    (scroll, down): (u16, &str),
    title: &str,
    t: Theme,
) {
    let height = usize::from(area.height.saturating_sub(2));
    let total = lines.len();
    let scroll = usize::from(scroll).min(total.saturating_sub(height));
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(title.to_string())
        .border_style(t.focus_border());
    if scroll + height < total {
        block = block.title_bottom(
            Line::from(format!(
                " {}-{} of {total} · more below: {down} ",
                scroll + 1,
                scroll + height
            ))
            .right_aligned(),
        );
    } else if scroll > 0 {
        block = block.title_bottom(
            Line::from(format!(" {}-{total} of {total} · end ", scroll + 1)).right_aligned(),
        );
    }
    let visible: Vec<Line<'static>> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(visible).block(block), area);
}

/// The spinner frame for the state's tick count.
fn spinner(state: &State) -> &'static str {
    SPINNER[usize::try_from(state.frame % SPINNER.len() as u64).unwrap_or(0)]
}

/// A user id in at most `width` columns: whole when it fits, else its start and its end
/// (which tell ids and sandbox statuses apart) around `…`.
pub(crate) fn fit_user_id(id: &str, width: usize) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= width {
        return id.to_string();
    }
    let tail = 4.min(chars.len());
    let head = width.saturating_sub(tail + 1).min(chars.len() - tail);
    let head: String = chars[..head].iter().collect();
    let tail: String = chars[chars.len() - tail..].iter().collect();
    format!("{head}…{tail}")
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
