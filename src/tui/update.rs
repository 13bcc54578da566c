//! State transitions. Synchronous and free of I/O: each returns the effects to run.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use super::action::Action;
use super::keymap::{Mode, action_for};
use super::layout::history_rows;
use super::message::{Effect, Msg};
use super::state::{Confirm, Detail, Focus, LastResult, Live, Overlay, State, Toast};
use crate::api::{CapturedResponse, to_curl};
use crate::domain::{FormField, InitiateRequest, KycType, OutcomeKind, RedirectUri, UserId};
use crate::history::SubmissionId;

/// Rows loaded around the selection; the pane never holds more.
pub const WINDOW: usize = 200;
/// How long a footer message stays.
pub const TOAST_FOR: Duration = Duration::from_secs(4);

/// Handles one terminal event.
pub fn handle_event(state: &mut State, event: &Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => handle_key(state, key, event),
        Event::Paste(text) => paste(state, text),
        Event::Resize(w, h) => {
            state.size = (*w, *h);
            keep_selection_visible(state);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn handle_key(state: &mut State, key: &KeyEvent, event: &Event) -> Vec<Effect> {
    let mode = state.mode();
    if let Some(action) = action_for(mode, key) {
        return update(state, action);
    }
    match mode {
        Mode::TextField => {
            if let Some(request) = to_input_request(event) {
                edit_focused(state, request);
            }
            Vec::new()
        }
        Mode::Filter => {
            let Some(request) = to_input_request(event) else {
                return Vec::new();
            };
            state.history.filter_input.handle(request);
            apply_filter_text(state)
        }
        _ => Vec::new(),
    }
}

fn edit_focused(state: &mut State, request: InputRequest) {
    let (input, field) = match state.focus {
        Focus::UserId => (&mut state.form.user_id, FormField::UserId),
        Focus::RedirectUri => (&mut state.form.redirect_uri, FormField::RedirectUri),
        _ => return,
    };
    if input.handle(request).is_some_and(|c| c.value) {
        state.form.server_errors.remove(&field);
    }
}

/// A paste is trimmed, and only its first line goes into a one-line field.
fn paste(state: &mut State, text: &str) -> Vec<Effect> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let more_lines = text.lines().filter(|l| !l.trim().is_empty()).count() > 1;
    match state.mode() {
        Mode::TextField => {
            for c in line.chars() {
                edit_focused(state, InputRequest::InsertChar(c));
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
        Mode::Filter => {
            for c in line.chars() {
                state
                    .history
                    .filter_input
                    .handle(InputRequest::InsertChar(c));
            }
            apply_filter_text(state)
        }
        _ => Vec::new(),
    }
}

/// Performs an action.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            let in_flight = state.in_flight();
            if in_flight > 0
                && !matches!(state.overlay, Some(Overlay::Confirm(Confirm::Quit { .. })))
            {
                state.overlay = Some(Overlay::Confirm(Confirm::Quit { in_flight }));
            } else {
                state.quit = true;
            }
            Vec::new()
        }
        Action::Yes => match state.overlay.take() {
            Some(Overlay::Confirm(Confirm::Production { request, resend_of })) => {
                start_submit(state, request, resend_of)
            }
            Some(Overlay::Confirm(Confirm::Quit { .. })) => {
                state.quit = true;
                Vec::new()
            }
            other => {
                state.overlay = other;
                Vec::new()
            }
        },
        Action::No => {
            if let Some(Overlay::Confirm(Confirm::Production { .. })) = state.overlay {
                state.overlay = None;
                return toast(state, "not sent", false);
            }
            state.overlay = None;
            Vec::new()
        }
        Action::Help => {
            state.overlay = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        Action::Close => {
            state.overlay = None;
            Vec::new()
        }
        Action::Submit => submit_form(state),
        Action::NextField => {
            state.focus = cycle(state.focus, 1);
            Vec::new()
        }
        Action::PrevField => {
            state.focus = cycle(state.focus, Focus::ORDER.len() - 1);
            Vec::new()
        }
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
            Focus::UserId | Focus::KycType => {
                state.focus = cycle(state.focus, 1);
                Vec::new()
            }
            _ => submit_form(state),
        },
        Action::TypeNext | Action::TypePrev | Action::TypePick(_) => {
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
            Vec::new()
        }
        Action::RowUp => move_selection(state, -1),
        Action::RowDown => move_selection(state, 1),
        Action::PageUp => move_selection(state, -page(state)),
        Action::PageDown => move_selection(state, page(state)),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::Filter => {
            state.history.editing_filter = true;
            state.history.filter_input = Input::new(state.history.filter.text.clone());
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
        Action::ToggleErrors => {
            state.history.filter.errors_only = !state.history.filter.errors_only;
            state.history.selected = 0;
            state.history.scroll = 0;
            vec![reload_history(state)]
        }
        Action::OpenDetail => match state.history.selected_row() {
            Some(row) => {
                let id = row.id;
                state.overlay = Some(Overlay::LoadingDetail(id));
                vec![Effect::LoadDetail(id)]
            }
            None => Vec::new(),
        },
        Action::CancelPending => cancel_pending(state),
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
        Action::Resend => {
            let Some(d) = detail(state) else {
                return Vec::new();
            };
            let id = d.submission.id;
            match stored_request(&d.submission.new) {
                Some(request) => {
                    if let Some(Overlay::Detail(d)) = &mut state.overlay {
                        d.resent = true;
                    }
                    let mut effects = start_or_confirm(state, request, Some(id));
                    effects.extend(toast(
                        state,
                        "resent as a new submission with a new idempotency key",
                        false,
                    ));
                    effects
                }
                None => toast(
                    state,
                    "this stored request cannot be rebuilt; load it with l and fix it",
                    true,
                ),
            }
        }
        Action::LoadIntoForm => {
            let Some(d) = detail(state) else {
                return Vec::new();
            };
            let new = d.submission.new.clone();
            state.form.user_id = Input::new(new.user_id);
            state.form.kyc_type = Some(new.kyc_type);
            state.form.redirect_uri = Input::new(new.redirect_uri.unwrap_or_default());
            state.form.server_errors.clear();
            state.overlay = None;
            state.focus = Focus::UserId;
            toast(
                state,
                "loaded into the form: edit, then Ctrl-S to send as a new submission",
                false,
            )
        }
        Action::ScrollUp | Action::ScrollDown => {
            let down = action == Action::ScrollDown;
            let scroll = match &mut state.overlay {
                Some(Overlay::Help { scroll }) => scroll,
                Some(Overlay::Detail(d)) => &mut d.scroll,
                _ => return Vec::new(),
            };
            *scroll = if down {
                scroll.saturating_add(1)
            } else {
                scroll.saturating_sub(1)
            };
            Vec::new()
        }
    }
}

/// Applies a message from an effect.
pub fn apply(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Created { id, user_id, .. } => {
            state.starting = state.starting.saturating_sub(1);
            state.live.insert(
                id,
                Live {
                    id,
                    user_id,
                    started: state.now,
                    attempt: 1,
                    last: None,
                    retry_at: None,
                    cancelling: false,
                },
            );
            vec![reload_history(state)]
        }
        Msg::CreateFailed { error, .. } => {
            state.starting = state.starting.saturating_sub(1);
            state.last_result = None;
            toast(state, &format!("not sent: {error}"), true)
        }
        Msg::AttemptStarted { id, number } => {
            if let Some(live) = state.live.get_mut(&id) {
                live.attempt = number;
                live.retry_at = None;
            }
            Vec::new()
        }
        Msg::AttemptFinished { id, attempt } => {
            if let Some(r) = attempt.response()
                && r.rate_limit.is_known()
            {
                state.last_rate = Some(r.rate_limit);
            }
            if let Some(live) = state.live.get_mut(&id) {
                live.retry_at = attempt.retry.as_ref().map(|r| state.now + r.wait);
                live.last = Some(*attempt);
            }
            Vec::new()
        }
        Msg::Finished { id, exchange } => finished(state, id, *exchange),
        Msg::HistoryLoaded {
            generation,
            total,
            offset,
            rows,
        } => {
            if generation == state.history.generation {
                let pane = &mut state.history;
                pane.total = total;
                pane.offset = offset;
                pane.rows = rows;
                pane.loaded = true;
                pane.selected = pane.selected.min(total.saturating_sub(1));
                keep_selection_visible(state);
            }
            Vec::new()
        }
        Msg::DetailLoaded(submission) => {
            if matches!(state.overlay, Some(Overlay::LoadingDetail(id)) if id == submission.id) {
                state.overlay = Some(Overlay::Detail(Detail {
                    submission,
                    scroll: 0,
                    resent: false,
                }));
            }
            Vec::new()
        }
        Msg::StoreFailed(error) => {
            if matches!(state.overlay, Some(Overlay::LoadingDetail(_))) {
                state.overlay = None;
            }
            toast(state, &format!("history: {error}"), true)
        }
        Msg::Copied { what } => toast(state, &format!("copied {what} to the clipboard"), false),
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

fn finished(state: &mut State, id: SubmissionId, exchange: crate::api::Exchange) -> Vec<Effect> {
    let live = state.live.remove(&id);
    let outcome = exchange.outcome();
    *state.session_counts.entry(outcome).or_default() += 1;
    if let Some(r) = exchange.final_response()
        && r.rate_limit.is_known()
    {
        state.last_rate = Some(r.rate_limit);
    }
    let user_id = live.map(|l| l.user_id).unwrap_or_default();
    let form_holds_it =
        UserId::parse(state.form.user_id.value()).is_ok_and(|(id, _)| id.as_str() == user_id);
    if outcome == OutcomeKind::Initiated {
        // Rapid entry: clear the id for the next paste, keep type and redirect URI.
        if form_holds_it {
            state.form.user_id = Input::default();
            state.form.server_errors.clear();
            if state.overlay.is_none() {
                state.focus = Focus::UserId;
            }
        }
    } else if form_holds_it && let Some(r) = exchange.final_response() {
        for e in r.summary().field_errors {
            if let Some(field) = e.field {
                state.form.server_errors.insert(field, e.message);
            }
        }
    }
    state.last_result = Some(LastResult::Done {
        user_id,
        exchange: Box::new(exchange),
    });
    vec![reload_history(state)]
}

fn submit_form(state: &mut State) -> Vec<Effect> {
    match state.form.request() {
        Ok(request) => start_or_confirm(state, request, None),
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

fn start_or_confirm(
    state: &mut State,
    request: InitiateRequest,
    resend_of: Option<SubmissionId>,
) -> Vec<Effect> {
    if state.target.production {
        state.overlay = Some(Overlay::Confirm(Confirm::Production { request, resend_of }));
        Vec::new()
    } else {
        start_submit(state, request, resend_of)
    }
}

fn start_submit(
    state: &mut State,
    request: InitiateRequest,
    resend_of: Option<SubmissionId>,
) -> Vec<Effect> {
    state.starting += 1;
    state.last_result = Some(LastResult::Sending {
        user_id: request.user_id.to_string(),
    });
    vec![Effect::Submit { request, resend_of }]
}

fn cancel_pending(state: &mut State) -> Vec<Effect> {
    let id = if state.focus == Focus::History {
        state
            .history
            .selected_row()
            .map(|r| r.id)
            .filter(|id| state.live.contains_key(id))
    } else {
        state.live.keys().next_back().copied()
    };
    match id.and_then(|id| state.live.get_mut(&id)) {
        Some(live) if !live.cancelling => {
            live.cancelling = true;
            let id = live.id;
            let mut effects = vec![Effect::Cancel(id)];
            effects.extend(toast(
                state,
                "cancelling: it will be recorded as cancelled (outcome unknown)",
                false,
            ));
            effects
        }
        _ => Vec::new(),
    }
}

fn copy_link(state: &mut State) -> Vec<Effect> {
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
        (None, _) => match &state.last_result {
            Some(LastResult::Done { exchange, .. })
                if exchange.outcome() == OutcomeKind::Initiated =>
            {
                exchange.final_response().and_then(|r| r.json_field("url"))
            }
            _ => None,
        },
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

fn detail(state: &State) -> Option<&Detail> {
    match &state.overlay {
        Some(Overlay::Detail(d)) => Some(d),
        _ => None,
    }
}

/// Rebuilds the request a stored submission sent.
fn stored_request(new: &crate::history::NewSubmission) -> Option<InitiateRequest> {
    let user_id = UserId::parse(&new.user_id).ok()?.0;
    let redirect_uri = match &new.redirect_uri {
        Some(uri) => RedirectUri::parse_optional(uri).ok()?.map(|(u, _)| u),
        None => None,
    };
    Some(InitiateRequest {
        user_id,
        kyc_type: new.kyc_type,
        redirect_uri,
    })
}

fn cycle(focus: Focus, step: usize) -> Focus {
    let order = Focus::ORDER;
    let at = order.iter().position(|f| *f == focus).unwrap_or(0);
    order[(at + step) % order.len()]
}

fn page(state: &State) -> isize {
    isize::try_from(history_rows(state.size))
        .unwrap_or(1)
        .max(1)
}

fn move_selection(state: &mut State, delta: isize) -> Vec<Effect> {
    let total = state.history.total;
    if total == 0 {
        return Vec::new();
    }
    let current = isize::try_from(state.history.selected).unwrap_or(0);
    let last = isize::try_from(total - 1).unwrap_or(0);
    state.history.selected =
        usize::try_from(current.saturating_add(delta).clamp(0, last)).unwrap_or(0);
    keep_selection_visible(state);
    ensure_window(state).into_iter().collect()
}

fn keep_selection_visible(state: &mut State) {
    let visible = history_rows(state.size);
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
    let visible = history_rows(state.size);
    let pane = &state.history;
    let start = pane.scroll;
    let end = (pane.scroll + visible).min(pane.total);
    let loaded_end = pane.offset + pane.rows.len();
    let margin = visible;
    let need_before = start < pane.offset || (pane.offset > 0 && start < pane.offset + margin);
    let need_after = end > loaded_end || (loaded_end < pane.total && end + margin > loaded_end);
    (need_before || need_after).then(|| reload_history(state))
}

/// Asks for the window around the current scroll position.
pub fn reload(state: &mut State) -> Effect {
    reload_history(state)
}

fn reload_history(state: &mut State) -> Effect {
    let margin = WINDOW.saturating_sub(history_rows(state.size)) / 2;
    let pane = &mut state.history;
    pane.generation += 1;
    let offset = pane.scroll.saturating_sub(margin);
    Effect::LoadHistory {
        filter: pane.filter.clone(),
        offset,
        limit: WINDOW,
        generation: pane.generation,
    }
}

fn apply_filter_text(state: &mut State) -> Vec<Effect> {
    let text = state.history.filter_input.value().to_string();
    if text == state.history.filter.text {
        return Vec::new();
    }
    state.history.filter.text = text;
    state.history.selected = 0;
    state.history.scroll = 0;
    vec![reload_history(state)]
}

fn toast(state: &mut State, text: &str, error: bool) -> Vec<Effect> {
    state.next_toast += 1;
    let id = state.next_toast;
    state.toast = Some(Toast {
        id,
        text: text.to_string(),
        error,
    });
    vec![Effect::ClearToastAfter(id)]
}

/// Seconds left until an instant, as of the state's clock.
pub fn remaining(state: &State, until: Instant) -> Duration {
    until.saturating_duration_since(state.now)
}
