//! The form: moving between fields, the type picker, typing and pasting, and sending.

use tui_input::{Input, InputRequest};

use super::common::{cycle, toast};
use super::sending::{cancel_pending, copy_link, submit_form};
use crate::domain::{FormField, KycType};
use crate::tui::action::Action;
use crate::tui::message::Effect;
use crate::tui::state::{Focus, State};

/// An action while a form field has the keyboard.
pub fn handle(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Submit => submit_form(state),
        Action::NextField => next_field(state),
        Action::PrevField => prev_field(state),
        Action::FieldDown => {
            if state.focus != Focus::Submit {
                state.focus = cycle(state.focus, 1);
            }
            Vec::new()
        }
        Action::FieldUp => {
            if state.focus != Focus::UserId {
                state.focus = cycle(state.focus, Focus::ORDER.len() - 1);
            }
            Vec::new()
        }
        Action::Advance => match state.focus {
            Focus::UserId if state.form.rapid && state.form.request().is_ok() => submit_form(state),
            Focus::UserId | Focus::KycType => {
                state.focus = cycle(state.focus, 1);
                Vec::new()
            }
            _ => submit_form(state),
        },
        Action::TypeNext | Action::TypePrev | Action::TypePick(_) => {
            pick_type(state, action);
            Vec::new()
        }
        Action::CancelPending => cancel_pending(state),
        Action::CopyLink => copy_link(state),
        _ => Vec::new(),
    }
}

pub fn next_field(state: &mut State) -> Vec<Effect> {
    state.focus = cycle(state.focus, 1);
    Vec::new()
}

pub fn prev_field(state: &mut State) -> Vec<Effect> {
    state.focus = cycle(state.focus, Focus::ORDER.len() - 1);
    Vec::new()
}

fn pick_type(state: &mut State, action: Action) {
    let current = state.form.kyc_type().index();
    let n = KycType::ALL.len();
    let index = match action {
        Action::TypeNext => (current + 1) % n,
        Action::TypePrev => (current + n - 1) % n,
        Action::TypePick(i) => i.min(n - 1),
        _ => current,
    };
    state.form.kyc_type = Some(KycType::ALL[index]);
    state.form.server_errors.remove(&FormField::KycType);
}

/// A key typed into the focused text field; editing clears the API's error for it.
pub fn edit(state: &mut State, request: InputRequest) {
    let (input, field) = match state.focus {
        Focus::UserId => (&mut state.form.user_id, FormField::UserId),
        Focus::RedirectUri => (&mut state.form.redirect_uri, FormField::RedirectUri),
        _ => return,
    };
    if input.handle(request).is_some_and(|c| c.value) {
        state.form.server_errors.remove(&field);
    }
}

/// A paste: only its first non-blank line, trimmed, goes into a one-line field.
pub fn paste(state: &mut State, text: &str) -> Vec<Effect> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines.next().unwrap_or_default();
    let more_lines = lines.next().is_some();
    // Pasting over a complete id replaces it: appending would never make sense.
    if state.focus == Focus::UserId && state.form.check_user_id().is_ok() {
        state.form.user_id = Input::default();
    }
    for c in line.chars() {
        edit(state, InputRequest::InsertChar(c));
    }
    if more_lines {
        return toast(
            state,
            "pasted the first line only: this field takes one value",
            true,
        );
    }
    Vec::new()
}
