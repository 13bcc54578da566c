//! The small overlays: help, yes/no questions, and the profile picker with the switch it
//! starts.

use super::common::{close_overlay, open_overlay, reload_history, scroll_page, toast};
use super::sending::{cancel, start_send};
use crate::batch::Control;
use crate::send::Consent;
use crate::tui::action::Action;
use crate::tui::keymap::Mode;
use crate::tui::message::{Effect, Msg};
use crate::tui::state::{Confirm, Overlay, State};

/// An action while help, a question or the picker is on screen.
pub fn handle(state: &mut State, mode: Mode, action: Action) -> Vec<Effect> {
    match mode {
        Mode::Confirm => confirm(state, action),
        Mode::Picker => picker(state, action),
        _ => help(state, action),
    }
}

fn help(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Close => {
            close_overlay(state);
            Vec::new()
        }
        _ => scroll_page(state, action),
    }
}

/// A question answered: either way, back to the screen it was asked over.
fn confirm(state: &mut State, action: Action) -> Vec<Effect> {
    let yes = match action {
        Action::Yes => true,
        Action::No => false,
        _ => return Vec::new(),
    };
    let Some(Overlay::Confirm(question)) = state.overlay.take() else {
        return Vec::new();
    };
    close_overlay(state);
    match (question, yes) {
        (Confirm::Production(send), true) => {
            let consent = Consent {
                production: true,
                ..Consent::default()
            };
            start_send(state, send, consent)
        }
        (
            Confirm::Duplicate {
                send, mut consent, ..
            },
            true,
        ) => {
            consent.duplicate = true;
            start_send(state, send, consent)
        }
        (Confirm::Production(_) | Confirm::Duplicate { .. }, false) => {
            toast(state, "not sent", false)
        }
        (Confirm::Quit { .. }, true) => {
            state.quit = true;
            Vec::new()
        }
        (Confirm::Quit { resume_batch, .. }, false) => match state.batch.as_mut() {
            Some(b) if resume_batch && b.paused => {
                b.set_paused(false, state.now);
                vec![Effect::BatchControl(Control::Run)]
            }
            _ => Vec::new(),
        },
        (
            Confirm::Cancel {
                idempotency_key, ..
            },
            true,
        ) => cancel(state, &idempotency_key),
        (Confirm::Cancel { .. }, false) => toast(state, "not cancelled: it goes on", false),
    }
}

/// Opens the profile picker on the profile in use.
pub fn open_profiles(state: &mut State) -> Vec<Effect> {
    let selected = state
        .profiles
        .iter()
        .position(|p| p.name == state.target.profile)
        .unwrap_or(0);
    open_overlay(state, Overlay::Profiles { selected });
    Vec::new()
}

fn picker(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::RowUp | Action::RowDown => {
            let n = state.profiles.len().max(1);
            if let Some(Overlay::Profiles { selected }) = &mut state.overlay {
                *selected = if action == Action::RowDown {
                    (*selected + 1) % n
                } else {
                    (*selected + n - 1) % n
                };
            }
            Vec::new()
        }
        Action::Close => {
            close_overlay(state);
            Vec::new()
        }
        Action::Choose => choose(state),
        _ => Vec::new(),
    }
}

fn choose(state: &mut State) -> Vec<Effect> {
    let Some(Overlay::Profiles { selected }) = state.overlay else {
        return Vec::new();
    };
    close_overlay(state);
    let Some(choice) = state.profiles.get(selected).cloned() else {
        return Vec::new();
    };
    if choice.name == state.target.profile {
        return Vec::new();
    }
    state.switching = Some(choice.name.clone());
    let mut effects = vec![Effect::SwitchProfile(choice.name.clone())];
    effects.extend(toast(
        state,
        &format!("opening profile {}…", choice.name),
        false,
    ));
    effects
}

/// The outcome of a profile switch.
pub fn profile_message(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::ProfileSwitched { info, route } => {
            let name = info.profile.clone();
            let production = info.production;
            state.switching = None;
            state.target = info;
            state.route = route;
            state.last_rate = None;
            if state.history.filter.profile.is_some() {
                state.history.filter.profile = Some(name.clone());
            }
            state.history.selected = 0;
            state.history.scroll = 0;
            let mut effects = vec![reload_history(state)];
            let text = if production {
                format!("now sending to {name}: PRODUCTION, every submission is confirmed")
            } else {
                format!("now sending to {name}")
            };
            effects.extend(toast(state, &text, production));
            effects
        }
        Msg::ProfileFailed { name, error } => {
            state.switching = None;
            toast(
                state,
                &format!(
                    "cannot use profile {name}: {error} (still sending to {})",
                    state.target.profile
                ),
                true,
            )
        }
        _ => Vec::new(),
    }
}
