//! The detail of one submission: copying its parts, resending, retrying with its key,
//! loading it into the form, scrolling.

use tui_input::Input;

use super::common::{close_all_overlays, close_overlay, detail, scroll_page, toast};
use super::sending::{copy_link, start_or_confirm};
use crate::api::{CapturedResponse, to_curl};
use crate::domain::OutcomeKind;
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::message::{Effect, Msg};
use crate::tui::state::{Detail, Focus, Overlay, PendingSend, State};

/// An action while the detail (or its loading placeholder) is on screen.
pub fn handle(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Close => {
            close_overlay(state);
            Vec::new()
        }
        Action::CopyLink => copy_link(state),
        Action::CopyCurl => match detail(state) {
            Some(d) => vec![Effect::Copy {
                what: "curl command (key as $KYC_API_KEY)",
                text: to_curl(&d.submission.new.request),
            }],
            None => Vec::new(),
        },
        Action::CopyRequestId => {
            let id = detail(state).and_then(|d| {
                d.submission
                    .exchange()
                    .final_response()
                    .and_then(|r| r.request_id.clone())
            });
            match id {
                Some(text) => vec![Effect::Copy {
                    what: "request id",
                    text,
                }],
                None => toast(state, "no request id: no response was received", true),
            }
        }
        Action::CopyBody => {
            let body = detail(state).and_then(|d| {
                d.submission
                    .exchange()
                    .final_response()
                    .map(CapturedResponse::body_text)
            });
            match body {
                Some(text) => vec![Effect::Copy {
                    what: "response body",
                    text,
                }],
                None => toast(state, "no response body: no response was received", true),
            }
        }
        Action::Resend => resend(state),
        Action::RetrySameKey => retry_same_key(state),
        Action::LoadIntoForm => load_into_form(state),
        Action::ScrollUp
        | Action::ScrollDown
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => scroll_page(state, action),
        _ => Vec::new(),
    }
}

/// A submission came back from the store: open it, or refresh the one on screen.
pub fn loaded(state: &mut State, msg: Msg) -> Vec<Effect> {
    let Msg::DetailLoaded(submission) = msg else {
        return Vec::new();
    };
    match &mut state.overlay {
        Some(Overlay::LoadingDetail(id)) if *id == submission.id => {
            state.overlay = Some(Overlay::Detail(Detail {
                submission,
                scroll: 0,
                resent: false,
            }));
        }
        // A refresh of the submission on screen keeps the reader's place.
        Some(Overlay::Detail(d)) if d.submission.id == submission.id => {
            d.submission = submission;
        }
        _ => {}
    }
    Vec::new()
}

fn resend(state: &mut State) -> Vec<Effect> {
    let Some(d) = detail(state) else {
        return Vec::new();
    };
    let id = d.submission.id;
    match d.submission.request().ok() {
        Some(request) => {
            if let Some(Overlay::Detail(d)) = &mut state.overlay {
                d.resent = true;
            }
            let send = PendingSend::New {
                request,
                resend_of: Some(id),
            };
            let mut effects = start_or_confirm(state, send);
            effects.extend(toast(
                state,
                "resent as a new submission with a new idempotency key",
                false,
            ));
            effects
        }
        None => {
            let load = key_name(Mode::Detail, Action::LoadIntoForm);
            toast(
                state,
                &format!("this stored request cannot be rebuilt; load it with {load} and fix it"),
                true,
            )
        }
    }
}

fn retry_same_key(state: &mut State) -> Vec<Effect> {
    let Some(d) = detail(state) else {
        return Vec::new();
    };
    let s = &d.submission;
    let retryable = s.outcome.is_none_or(OutcomeKind::retryable);
    if state.live.contains_key(&s.id) {
        return toast(state, "it is still in flight", true);
    }
    if !retryable {
        let resend = key_name(Mode::Detail, Action::Resend);
        return toast(
            state,
            &format!(
                "it has a final outcome: resend it with {resend} (a new idempotency key) instead"
            ),
            true,
        );
    }
    let send = PendingSend::Again {
        id: s.id,
        user_id: s.new.user_id.clone(),
        idempotency_key: s.new.idempotency_key.clone(),
    };
    let mut effects = start_or_confirm(state, send);
    effects.extend(toast(
        state,
        "retrying with the same idempotency key: the platform will not start it twice",
        false,
    ));
    effects
}

fn load_into_form(state: &mut State) -> Vec<Effect> {
    let Some(d) = detail(state) else {
        return Vec::new();
    };
    let new = d.submission.new.clone();
    state.form.user_id = Input::new(new.user_id);
    state.form.kyc_type = Some(new.kyc_type);
    state.form.redirect_uri = Input::new(new.redirect_uri.unwrap_or_default());
    state.form.server_errors.clear();
    state.form.rapid = false;
    close_all_overlays(state);
    state.focus = Focus::UserId;
    let send = key_name(Mode::TextField, Action::Submit);
    toast(
        state,
        &format!("loaded into the form: edit, then {send} to send as a new submission"),
        false,
    )
}
