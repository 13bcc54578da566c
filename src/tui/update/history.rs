//! The history pane: moving through a window of rows, the filter, exports, and opening
//! a submission's detail.

use tui_input::{Input, InputRequest};

use super::common::{open_overlay, reload_history, toast};
use super::form::{next_field, prev_field};
use super::sending::{cancel_pending, copy_link, submit_form};
use crate::history::SEARCH_MIN_CHARS;
use crate::history::export::ExportFormat;
use crate::tui::action::Action;
use crate::tui::message::{Effect, Msg};
use crate::tui::state::{Focus, Overlay, State};
use crate::tui::view::history_rows;

/// An action while the history pane (or its filter) has the keyboard.
pub fn handle(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::RowUp => move_selection(state, -1),
        Action::RowDown => move_selection(state, 1),
        Action::PageUp => move_selection(state, -page(state)),
        Action::PageDown => move_selection(state, page(state)),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::ToggleAllProfiles => {
            state.history.filter.profile = match state.history.filter.profile {
                Some(_) => None,
                None => Some(state.target.profile.clone()),
            };
            restart(state)
        }
        Action::ToggleErrors => {
            state.history.filter.errors_only = !state.history.filter.errors_only;
            restart(state)
        }
        Action::Filter => {
            state.history.editing_filter = true;
            // The filter as it was typed: its status word first.
            let mut typed = (state.history.filter.status)
                .map(|s| format!("status:{s} "))
                .unwrap_or_default();
            typed.push_str(&state.history.filter.text);
            state.history.filter_input = Input::new(typed);
            Vec::new()
        }
        Action::FilterDone => {
            state.history.editing_filter = false;
            Vec::new()
        }
        Action::FilterClear => {
            state.history.editing_filter = false;
            state.history.filter_input = Input::default();
            apply_filter_text(state)
        }
        Action::OpenDetail => match state.history.selected_row() {
            Some(row) => {
                let id = row.id;
                open_overlay(state, Overlay::LoadingDetail(id));
                vec![Effect::LoadDetail(id)]
            }
            None => Vec::new(),
        },
        Action::OpenStats => super::stats::open(state),
        Action::ExportCsv | Action::ExportJson => {
            let format = if action == Action::ExportCsv {
                ExportFormat::Csv
            } else {
                ExportFormat::Json
            };
            let mut effects = vec![Effect::Export {
                filter: state.history.filter.clone(),
                format,
            }];
            effects.extend(toast(state, "exporting…", false));
            effects
        }
        Action::Close => {
            // Back to where the next id goes.
            state.focus = Focus::UserId;
            Vec::new()
        }
        Action::Submit => submit_form(state),
        Action::NextField => next_field(state),
        Action::PrevField => prev_field(state),
        Action::CancelPending => cancel_pending(state),
        Action::CopyLink => copy_link(state),
        _ => Vec::new(),
    }
}

/// A key typed into the filter: the list follows as typed.
pub fn edit_filter(state: &mut State, request: InputRequest) -> Vec<Effect> {
    state.history.filter_input.handle(request);
    apply_filter_text(state)
}

/// A paste into the filter: its first non-blank line.
pub fn paste_filter(state: &mut State, text: &str) -> Vec<Effect> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    for c in line.chars() {
        state
            .history
            .filter_input
            .handle(InputRequest::InsertChar(c));
    }
    apply_filter_text(state)
}

/// A window of rows (or an export) came back from the store.
pub fn message(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::HistoryLoaded {
            generation,
            total,
            more,
            offset,
            rows,
        } => {
            if generation != state.history.generation {
                return Vec::new();
            }
            let pane = &mut state.history;
            pane.total = total;
            pane.more = more;
            pane.offset = offset;
            pane.rows = rows;
            pane.loaded = true;
            pane.selected = pane.selected.min(total.saturating_sub(1));
            keep_selection_visible(state);
            // After counting every match for a jump to the oldest, the window goes there.
            if std::mem::take(&mut state.history.jumping_to_oldest) {
                ensure_window(state).into_iter().collect()
            } else {
                Vec::new()
            }
        }
        Msg::Exported { rows, path } => {
            toast(state, &format!("exported {rows} row(s) to {path}"), false)
        }
        _ => Vec::new(),
    }
}

/// Back to the top of a list whose filter changed.
fn restart(state: &mut State) -> Vec<Effect> {
    state.history.selected = 0;
    state.history.scroll = 0;
    state.history.count_all = false;
    state.history.jumping_to_oldest = false;
    vec![reload_history(state)]
}

fn page(state: &State) -> isize {
    isize::try_from(history_rows(state)).unwrap_or(1).max(1)
}

fn move_selection(state: &mut State, delta: isize) -> Vec<Effect> {
    let total = state.history.total;
    if total == 0 {
        return Vec::new();
    }
    let pane = &mut state.history;
    if pane.more && delta >= isize::MAX / 2 {
        // The oldest match is past where counting stopped: count them all, then go there.
        pane.count_all = true;
        pane.jumping_to_oldest = true;
        pane.selected = usize::MAX / 2;
        return vec![reload_history(state)];
    }
    let current = isize::try_from(state.history.selected).unwrap_or(0);
    let last = isize::try_from(total - 1).unwrap_or(0);
    state.history.selected =
        usize::try_from(current.saturating_add(delta).clamp(0, last)).unwrap_or(0);
    keep_selection_visible(state);
    ensure_window(state).into_iter().collect()
}

/// Scrolls so the selection is on screen (after a move or a resize).
pub fn keep_selection_visible(state: &mut State) {
    let visible = history_rows(state);
    let pane = &mut state.history;
    if pane.selected < pane.scroll {
        pane.scroll = pane.selected;
    } else if pane.selected >= pane.scroll + visible {
        pane.scroll = pane.selected + 1 - visible;
    }
    pane.scroll = pane.scroll.min(pane.total.saturating_sub(visible));
}

/// Loads a new window when what the pane shows is not (or barely) loaded.
fn ensure_window(state: &mut State) -> Option<Effect> {
    let visible = history_rows(state);
    let pane = &state.history;
    let start = pane.scroll;
    let end = (pane.scroll + visible).min(pane.total);
    let loaded_end = pane.offset + pane.rows.len();
    let margin = visible;
    let need_before = start < pane.offset || (pane.offset > 0 && start < pane.offset + margin);
    let need_after = end > loaded_end
        || (loaded_end < pane.total && end + margin > loaded_end)
        || (pane.more && end + margin > pane.total);
    (need_before || need_after).then(|| reload_history(state))
}

/// The typed text becomes the filter from [`SEARCH_MIN_CHARS`] characters on: shorter
/// text would match most of a large history, so until then the whole list stays.
fn apply_filter_text(state: &mut State) -> Vec<Effect> {
    let (status, rest) = status_word(state.history.filter_input.value());
    let text = if rest.trim().chars().count() < SEARCH_MIN_CHARS {
        String::new()
    } else {
        rest
    };
    if text == state.history.filter.text && status == state.history.filter.status {
        return Vec::new();
    }
    state.history.filter.text = text;
    state.history.filter.status = status;
    restart(state)
}

/// A filter's `status:503` (any case): only rows whose final status is that code, as
/// `history --status`; the rest of the text is searched as typed.
fn status_word(typed: &str) -> (Option<u16>, String) {
    let mut status = None;
    let mut rest = Vec::new();
    for word in typed.split(' ') {
        let code = word
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("status:"))
            .and_then(|_| word.get(7..))
            .and_then(|n| n.parse::<u16>().ok())
            .filter(|n| (100..=599).contains(n));
        match code {
            Some(code) => status = Some(code),
            None => rest.push(word),
        }
    }
    (status, rest.join(" "))
}

#[cfg(test)]
mod tests {
    use super::status_word;

    #[test]
    fn a_status_word_is_taken_out_of_the_text() {
        assert_eq!(status_word("status:503"), (Some(503), String::new()));
        assert_eq!(
            status_word("STATUS:429 usr-0a"),
            (Some(429), "usr-0a".to_string())
        );
        // Not a status: searched as typed.
        for typed in ["status:", "status:99", "status:600", "status:50x", "503"] {
            assert_eq!(status_word(typed), (None, typed.to_string()), "{typed}");
        }
        assert_eq!(status_word("é"), (None, "é".to_string()));
    }
}
