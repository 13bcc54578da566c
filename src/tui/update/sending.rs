//! Starting, cancelling and following single submissions, whichever screen asked: the form,
//! the history pane and the detail all start and cancel them the same way.

use tui_input::Input;

use super::common::{detail, open_overlay, reload_history, saw_rate, toast};
use crate::api::Exchange;
use crate::domain::{FormField, OutcomeKind, UserId};
use crate::history::SubmissionId;
use crate::production::{Confirmation, SendKind, confirmation};
use crate::send::{Consent, Question};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::message::{Effect, Msg};
use crate::tui::state::{Confirm, Focus, LastResult, Live, Overlay, PendingSend, State};

/// Sends what the form holds, or points at the first field that is wrong. A second press
/// while the form's submission is being recorded or sent sends nothing: it would only ask
/// whether to start that user's verification twice.
pub fn submit_form(state: &mut State) -> Vec<Effect> {
    if state.starting > 0 && state.starting_route == state.route {
        return toast(
            state,
            "already being recorded: its outcome shows here",
            false,
        );
    }
    let route = state.route;
    let sending = state
        .form
        .request()
        .ok()
        .and_then(|request| {
            state
                .live
                .values()
                .find(|l| l.route == route && l.user_id == request.user_id.as_str())
        })
        .map(|l| l.id);
    match state.form.request() {
        Ok(_) if let Some(id) = sending => {
            let cancel = key_name(Mode::TextField, Action::CancelPending);
            toast(
                state,
                &format!(
                    "#{id} for this user is being sent: its outcome shows here ({cancel} cancels it)"
                ),
                false,
            )
        }
        Ok(request) => start_or_confirm(
            state,
            PendingSend::New {
                request,
                resend_of: None,
            },
        ),
        Err((field, message)) => {
            state.focus = Focus::of_field(field);
            toast(
                state,
                &format!("not sent: {}: {message}", field.label()),
                true,
            )
        }
    }
}

/// Sends at once, or asks first when the target is production (the core's rule; the send
/// path checks the answer again).
pub fn start_or_confirm(state: &mut State, send: PendingSend) -> Vec<Effect> {
    match confirmation(state.target.production, SendKind::One) {
        Confirmation::None => start_send(state, send, Consent::default()),
        Confirmation::Yes | Confirmation::ProfileName => {
            open_overlay(state, Overlay::Confirm(Confirm::Production(send)));
            Vec::new()
        }
    }
}

/// Asks the send path to send, with what the operator has agreed to. The last result
/// shows it once it is recorded: a question or a refusal before that leaves the previous
/// result in view.
pub fn start_send(state: &mut State, send: PendingSend, consent: Consent) -> Vec<Effect> {
    state.starting += 1;
    let route = state.route;
    state.starting_route = route;
    match send {
        PendingSend::New { request, resend_of } => {
            vec![Effect::Submit {
                request,
                resend_of,
                route,
                consent,
            }]
        }
        PendingSend::Again {
            id,
            user_id,
            idempotency_key,
        } => {
            state.session.retry_started(id);
            vec![Effect::Retry {
                id,
                user_id,
                idempotency_key,
                route,
                consent,
            }]
        }
    }
}

/// Asks to cancel the selected submission (history) or the newest one (form). Cancelling
/// cuts it off mid-flight, so its outcome becomes unknown: that is said before, not after.
pub fn cancel_pending(state: &mut State) -> Vec<Effect> {
    let id = if state.focus == Focus::History {
        state
            .history
            .selected_row()
            .map(|r| r.id)
            .filter(|id| state.live.contains_key(id))
    } else {
        state.live.keys().next_back().copied()
    };
    match id.and_then(|id| state.live.get(&id)) {
        Some(live) if !live.cancelling => {
            let question = Confirm::Cancel {
                idempotency_key: live.idempotency_key.clone(),
                user_id: live.user_id.clone(),
            };
            open_overlay(state, Overlay::Confirm(question));
            Vec::new()
        }
        _ => toast(state, "nothing in flight to cancel", false),
    }
}

/// Cancels a submission the operator confirmed cancelling, once.
pub fn cancel(state: &mut State, idempotency_key: &str) -> Vec<Effect> {
    let live = state
        .live
        .values_mut()
        .find(|l| l.idempotency_key == idempotency_key && !l.cancelling);
    let Some(live) = live else {
        return toast(state, "it finished before it could be cancelled", false);
    };
    live.cancelling = true;
    let mut effects = vec![Effect::Cancel(idempotency_key.to_string())];
    effects.extend(toast(
        state,
        "cancelling: it will be recorded as cancelled (outcome unknown)",
        false,
    ));
    effects
}

/// Copies the webview link of what is in view: the detail, the selected row, or the
/// newest success.
pub fn copy_link(state: &mut State) -> Vec<Effect> {
    let link = match (&state.overlay, state.focus) {
        (Some(Overlay::Detail(d)), _) => d
            .submission
            .exchange()
            .final_response()
            .and_then(|r| r.json_field("url")),
        (None, Focus::History) => state
            .history
            .selected_row()
            .and_then(|r| r.webview_url.clone()),
        (None, _) => state.last_link.clone(),
        _ => None,
    };
    match link {
        Some(text) => vec![Effect::Copy {
            what: "webview link",
            text,
        }],
        None => toast(
            state,
            "no webview link here: only successful verifications have one",
            true,
        ),
    }
}

/// Follows a submission's progress messages.
pub fn message(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Created {
            id,
            user_id,
            idempotency_key,
        } => {
            state.starting = state.starting.saturating_sub(1);
            state.last_result = Some(LastResult::Sending {
                user_id: user_id.clone(),
            });
            state.live.insert(
                id,
                Live {
                    id,
                    user_id,
                    idempotency_key,
                    started: state.now,
                    attempt: 1,
                    last: None,
                    retry_at: None,
                    cancelling: false,
                    route: state.route,
                },
            );
            vec![reload_history(state)]
        }
        Msg::CreateFailed { error, .. } => {
            state.starting = state.starting.saturating_sub(1);
            toast(state, &format!("not sent: {error}"), true)
        }
        Msg::Asked {
            send,
            consent,
            question,
        } => {
            state.starting = state.starting.saturating_sub(1);
            let confirm = match question {
                Question::Duplicate(earlier) => Confirm::Duplicate {
                    send,
                    consent,
                    earlier,
                },
                Question::Production { .. } => Confirm::Production(send),
            };
            open_overlay(state, Overlay::Confirm(confirm));
            Vec::new()
        }
        Msg::AttemptStarted { id, number } => {
            if let Some(live) = state.live.get_mut(&id) {
                live.attempt = number;
                live.retry_at = None;
            }
            Vec::new()
        }
        Msg::AttemptFinished { id, attempt } => {
            if let Some(r) = attempt.response() {
                saw_rate(state, r.rate_limit);
            }
            if let Some(live) = state.live.get_mut(&id) {
                live.retry_at = attempt
                    .retry
                    .as_ref()
                    .and_then(|r| state.now.checked_add(r.wait));
                live.last = Some(*attempt);
            }
            refresh_detail(state, id)
        }
        Msg::Finished { id, exchange } => finished(state, id, *exchange),
        _ => Vec::new(),
    }
}

fn finished(state: &mut State, id: SubmissionId, exchange: Exchange) -> Vec<Effect> {
    let live = state.live.remove(&id);
    let outcome = exchange.outcome();
    state.session.finished(id, outcome);
    // Its last answer's headers came with `AttemptFinished` already: taking them in again
    // would start their reset's countdown over.
    if let Some(r) = exchange.final_response()
        && state.last_rate.is_none_or(|seen| seen.rate != r.rate_limit)
    {
        saw_rate(state, r.rate_limit);
    }
    let user_id = live.map(|l| l.user_id).unwrap_or_default();
    let form_holds_it =
        UserId::parse(state.form.user_id.value()).is_ok_and(|(id, _)| id.as_str() == user_id);
    if outcome == OutcomeKind::Initiated {
        if let Some(url) = exchange.final_response().and_then(|r| r.json_field("url")) {
            state.last_link = Some(url);
        }
        // Rapid entry: clear the id for the next paste, keep type and redirect URI.
        if form_holds_it {
            state.form.user_id = Input::default();
            state.form.server_errors.clear();
            state.form.rapid = true;
            if state.overlay.is_none() {
                state.focus = Focus::UserId;
            }
        }
    } else if form_holds_it && let Some(r) = exchange.final_response() {
        let mut about_the_id = true;
        for e in r.summary().field_errors {
            if let Some(field) = e.field {
                about_the_id &= field == FormField::UserId;
                state.form.server_errors.insert(field, e.message);
            }
        }
        // Rapid entry: a refused id is selected, so the next paste or key replaces it
        // (unless the platform named another field as the reason).
        if outcome == OutcomeKind::Rejected && about_the_id {
            state.form.refused = Some(state.form.user_id.value().to_string());
            // The next id is sent with Enter, as after a success.
            state.form.rapid = true;
            if state.overlay.is_none() {
                state.focus = Focus::UserId;
            }
        }
    }
    state.last_result = Some(LastResult::Done {
        user_id,
        exchange: Box::new(exchange),
    });
    let mut effects = refresh_detail(state, id);
    effects.push(reload_history(state));
    effects
}

/// Reloads the open detail when it shows this submission.
fn refresh_detail(state: &State, id: SubmissionId) -> Vec<Effect> {
    match detail(state) {
        Some(d) if d.submission.id == id => vec![Effect::LoadDetail(id)],
        _ => Vec::new(),
    }
}
