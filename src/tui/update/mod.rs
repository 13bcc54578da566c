//! State transitions, synchronous and free of I/O: each returns the effects to run.
//! Keys are routed on the active screen (`State::mode`), one file per screen; messages
//! from effects go to the part of the console they concern.

/// The batch screen.
mod batch;
/// Helpers every screen shares.
mod common;
/// The detail of one submission.
mod detail;
/// The form and its fields.
mod form;
/// The history pane and its filter.
mod history;
/// Help, questions and the profile picker.
mod overlays;
/// Starting, cancelling and following single submissions.
mod sending;
/// The figures over the rows in view.
mod stats;

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use tui_input::backend::crossterm::to_input_request;

pub use common::{TOAST_FOR, WINDOW, remaining};

use super::action::Action;
use super::keymap::{Mode, action_for};
use super::message::{Effect, Msg};
use super::state::{Overlay, State};

/// Handles one terminal event.
pub fn handle_event(state: &mut State, event: &Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => handle_key(state, key, event),
        Event::Paste(_) if !state.fits() => Vec::new(),
        Event::Paste(text) => match state.mode() {
            Mode::BatchInput => {
                batch::paste(state, text);
                Vec::new()
            }
            Mode::TextField => form::paste(state, text),
            Mode::Filter => history::paste_filter(state, text),
            _ => Vec::new(),
        },
        Event::Resize(w, h) => {
            state.size = (*w, *h);
            history::keep_selection_visible(state);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A bound key becomes its action; an unbound one is text where the screen takes text.
/// While the terminal is too small to show anything, only quitting acts.
fn handle_key(state: &mut State, key: &KeyEvent, event: &Event) -> Vec<Effect> {
    let mode = state.mode();
    if !state.fits() {
        return match action_for(mode, key) {
            Some(Action::Quit) => update(state, Action::Quit),
            _ => Vec::new(),
        };
    }
    match action_for(mode, key) {
        // The batch editor's own keys: the key itself goes to the editor.
        Some(Action::EditorKey) => {
            batch::editor_key(state, key);
            return Vec::new();
        }
        Some(action) => return update(state, action),
        None => {}
    }
    match mode {
        Mode::TextField => {
            if let Some(request) = to_input_request(event) {
                form::edit(state, request);
            }
            Vec::new()
        }
        Mode::Filter => match to_input_request(event) {
            Some(request) => history::edit_filter(state, request),
            None => Vec::new(),
        },
        Mode::BatchInput | Mode::BatchConfirm => {
            batch::key(state, key);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Performs an action: the app-wide ones here, the rest on the active screen.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => return common::quit(state),
        Action::Help => return common::open_help(state),
        Action::OpenBatch => return batch::open(state),
        Action::Profiles => return overlays::open_profiles(state),
        _ => {}
    }
    match state.mode() {
        Mode::TextField | Mode::TypePicker | Mode::SubmitButton => form::handle(state, action),
        Mode::History | Mode::Filter => history::handle(state, action),
        Mode::Detail => detail::handle(state, action),
        Mode::Stats => stats::handle(state, action),
        mode @ (Mode::Help | Mode::Confirm | Mode::Picker) => overlays::handle(state, mode, action),
        Mode::BatchInput
        | Mode::BatchPreview
        | Mode::BatchConfirm
        | Mode::BatchRun
        | Mode::BatchDone => batch::handle(state, action),
    }
}

/// Applies a message from an effect.
pub fn apply(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        msg @ (Msg::Created { .. }
        | Msg::CreateFailed { .. }
        | Msg::Asked { .. }
        | Msg::AttemptStarted { .. }
        | Msg::AttemptFinished { .. }
        | Msg::Finished { .. }) => sending::message(state, msg),
        msg @ (Msg::HistoryLoaded { .. } | Msg::Exported { .. }) => history::message(state, msg),
        msg @ Msg::DetailLoaded(_) => detail::loaded(state, msg),
        msg @ Msg::StatsLoaded { .. } => stats::loaded(state, msg),
        msg @ (Msg::ProfileSwitched { .. } | Msg::ProfileFailed { .. }) => {
            overlays::profile_message(state, msg)
        }
        msg @ (Msg::BatchUnfinished(_)
        | Msg::BatchPlanned { .. }
        | Msg::BatchRecorded { .. }
        | Msg::BatchResumed(_)
        | Msg::BatchResumeLoaded(_)
        | Msg::Batch(_)
        | Msg::BatchFinished(_)
        | Msg::BatchFailed(_)) => batch::message(state, msg),
        Msg::StoreFailed(error) => {
            if matches!(state.overlay, Some(Overlay::LoadingDetail(_))) {
                common::close_overlay(state);
            }
            common::toast(state, &format!("history: {error}"), true)
        }
        Msg::Copied { what } => {
            common::toast(state, &format!("copied {what} to the clipboard"), false)
        }
        Msg::ClearToast(id) => {
            if state.toast.as_ref().is_some_and(|t| t.id == id) {
                state.toast = None;
            }
            Vec::new()
        }
        Msg::Tick => {
            state.frame = state.frame.wrapping_add(1);
            Vec::new()
        }
    }
}

/// Asks for the history window around the current scroll position.
pub fn reload(state: &mut State) -> Effect {
    common::reload_history(state)
}

#[cfg(test)]
mod tests;
