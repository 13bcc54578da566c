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
use super::update_batch;
use crate::api::{CapturedResponse, to_curl};
use crate::domain::{FormField, InitiateRequest, KycType, OutcomeKind, UserId};
use crate::history::SubmissionId;
use crate::history::export::ExportFormat;

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
        Mode::BatchInput | Mode::BatchConfirm => {
            update_batch::key(state, key);
            Vec::new()
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
        Mode::BatchInput => {
            update_batch::paste(state, text);
            Vec::new()
        }
        Mode::TextField => {
            // Pasting over a complete id replaces it: appending would never make sense.
            if state.focus == Focus::UserId && state.form.check_user_id().is_ok() {
                state.form.user_id = Input::default();
            }
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
    if state.overlay.is_none()
        && let Some(effects) = update_batch::action(state, action)
    {
        return effects;
    }
    match action {
        Action::OpenBatch => update_batch::open(state),
        // Batch keys outside the batch screen do nothing.
        Action::BatchPreview
        | Action::BatchSend
        | Action::BatchEdit
        | Action::BatchResume
        | Action::BatchPause
        | Action::BatchStop
        | Action::BatchClear => Vec::new(),
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
            Focus::UserId if state.form.rapid && state.form.request().is_ok() => submit_form(state),
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
        Action::RowUp | Action::RowDown
            if matches!(state.overlay, Some(Overlay::Profiles { .. })) =>
        {
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
        Action::RowUp => move_selection(state, -1),
        Action::RowDown => move_selection(state, 1),
        Action::Profiles => {
            let selected = state
                .profiles
                .iter()
                .position(|p| p.name == state.target.profile)
                .unwrap_or(0);
            state.overlay = Some(Overlay::Profiles { selected });
            Vec::new()
        }
        Action::Choose => {
            let Some(Overlay::Profiles { selected }) = state.overlay.take() else {
                return Vec::new();
            };
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
        Action::ToggleAllProfiles => {
            state.history.filter.profile = match state.history.filter.profile {
                Some(_) => None,
                None => Some(state.target.profile.clone()),
            };
            state.history.selected = 0;
            state.history.scroll = 0;
            vec![reload_history(state)]
        }
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
            match d.submission.request().ok() {
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
        Action::RetrySameKey => {
            let Some(d) = detail(state) else {
                return Vec::new();
            };
            let s = &d.submission;
            let retryable = s.outcome.is_none_or(OutcomeKind::retryable);
            if state.live.contains_key(&s.id) {
                return toast(state, "it is still in flight", true);
            }
            if !retryable {
                return toast(
                    state,
                    "it has a final outcome: resend it with r (a new idempotency key) instead",
                    true,
                );
            }
            let user_id = s.new.user_id.clone();
            let effect = Effect::Retry {
                id: s.id,
                user_id: user_id.clone(),
                idempotency_key: s.new.idempotency_key.clone(),
            };
            state.starting += 1;
            state.last_result = Some(LastResult::Sending { user_id });
            let mut effects = vec![effect];
            effects.extend(toast(
                state,
                "retrying with the same idempotency key: the platform will not start it twice",
                false,
            ));
            effects
        }
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
        Action::LoadIntoForm => {
            let Some(d) = detail(state) else {
                return Vec::new();
            };
            let new = d.submission.new.clone();
            state.form.user_id = Input::new(new.user_id);
            state.form.kyc_type = Some(new.kyc_type);
            state.form.redirect_uri = Input::new(new.redirect_uri.unwrap_or_default());
            state.form.server_errors.clear();
            state.form.rapid = false;
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
            refresh_detail(state, id)
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
        Msg::StoreFailed(error) => {
            if matches!(state.overlay, Some(Overlay::LoadingDetail(_))) {
                state.overlay = None;
            }
            toast(state, &format!("history: {error}"), true)
        }
        Msg::Exported { rows, path } => {
            toast(state, &format!("exported {rows} row(s) to {path}"), false)
        }
        Msg::Copied { what } => toast(state, &format!("copied {what} to the clipboard"), false),
        Msg::ClearToast(id) => {
            if state.toast.as_ref().is_some_and(|t| t.id == id) {
                state.toast = None;
            }
            Vec::new()
        }
        Msg::ProfileSwitched { info, .. } => {
            let name = info.profile.clone();
            let production = info.production;
            state.switching = None;
            state.target = info;
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
        msg @ (Msg::BatchUnfinished(_)
        | Msg::BatchPlanned { .. }
        | Msg::BatchRecorded { .. }
        | Msg::BatchResumed(_)
        | Msg::Batch(_)
        | Msg::BatchFinished(_)
        | Msg::BatchFailed(_)) => update_batch::message(state, msg),
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
    let mut effects = refresh_detail(state, id);
    effects.push(reload_history(state));
    effects
}

/// Reloads the open detail when it shows this submission.
fn refresh_detail(state: &State, id: SubmissionId) -> Vec<Effect> {
    match &state.overlay {
        Some(Overlay::Detail(d)) if d.submission.id == id => vec![Effect::LoadDetail(id)],
        _ => Vec::new(),
    }
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

fn detail(state: &State) -> Option<&Detail> {
    match &state.overlay {
        Some(Overlay::Detail(d)) => Some(d),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{
        Attempt, AttemptResult, CapturedResponse, Exchange, RateLimit, RequestRecord,
    };
    use crate::history::HistoryRow;
    use crate::tui::state::{PathsInfo, TargetInfo};
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    const GOOD: &str = "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6";

    fn state(production: bool) -> State {
        State::new(
            TargetInfo {
                profile: if production { "production" } else { "sandbox" }.into(),
                base_url: "http://127.0.0.1:1/v1".into(),
                endpoint: "POST http://127.0.0.1:1/v1/kycs".into(),
                production,
                operator: "op".into(),
                max_retries: 3,
            },
            PathsInfo::default(),
            (120, 40),
            Instant::now(),
        )
    }

    fn key(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
        handle_event(s, &Event::Key(KeyEvent::new(code, mods)))
    }

    fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
        key(s, code, KeyModifiers::NONE)
    }

    fn type_text(s: &mut State, text: &str) {
        for c in text.chars() {
            press(s, KeyCode::Char(c));
        }
    }

    fn exchange(status: u16, body: &str, content_type: &str) -> Exchange {
        Exchange {
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:1/v1/kycs".into(),
                headers: vec![],
                body: "{}".into(),
            },
            idempotency_key: "k".into(),
            attempts: vec![Attempt {
                number: 1,
                started_at: chrono::Utc::now(),
                latency: Duration::from_millis(5),
                result: AttemptResult::Response(CapturedResponse {
                    status,
                    headers: vec![("content-type".into(), content_type.into())],
                    body: body.as_bytes().to_vec(),
                    body_truncated: false,
                    request_id: Some("req_1".into()),
                    rate_limit: RateLimit {
                        limit: Some(300),
                        remaining: Some(299),
                        reset_secs: Some(60),
                        retry_after_secs: None,
                    },
                }),
                retry: None,
            }],
        }
    }

    fn created(s: &mut State, id: SubmissionId, user_id: &str) {
        apply(
            s,
            Msg::Created {
                id,
                user_id: user_id.into(),
                idempotency_key: "k".into(),
            },
        );
    }

    #[test]
    fn text_fields_take_letters_that_are_keys_elsewhere() {
        let mut s = state(false);
        type_text(&mut s, "jk?qe/");
        assert_eq!(s.form.user_id.value(), "jk?qe/");
        assert_eq!(s.focus, Focus::UserId);
        assert!(s.overlay.is_none());
    }

    #[test]
    fn release_events_are_ignored() {
        let mut s = state(false);
        let mut release = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        handle_event(&mut s, &Event::Key(release));
        assert_eq!(s.form.user_id.value(), "");
    }

    #[test]
    fn tab_order_runs_through_the_form_then_history() {
        let mut s = state(false);
        let mut seen = vec![s.focus];
        for _ in 0..5 {
            press(&mut s, KeyCode::Tab);
            seen.push(s.focus);
        }
        assert_eq!(
            seen,
            [
                Focus::UserId,
                Focus::KycType,
                Focus::RedirectUri,
                Focus::Submit,
                Focus::History,
                Focus::UserId
            ]
        );
        key(&mut s, KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(s.focus, Focus::History);
        press(&mut s, KeyCode::Tab);
        press(&mut s, KeyCode::Down);
        assert_eq!(
            s.focus,
            Focus::KycType,
            "down on the picker changes the type, not the field"
        );
        assert_eq!(s.form.kyc_type(), KycType::Full);
    }

    #[test]
    fn the_type_picker_answers_arrows_digits_and_letters() {
        let mut s = state(false);
        press(&mut s, KeyCode::Tab);
        press(&mut s, KeyCode::Down);
        assert_eq!(s.form.kyc_type(), KycType::Shipping);
        press(&mut s, KeyCode::Char('k'));
        press(&mut s, KeyCode::Char('k'));
        assert_eq!(s.form.kyc_type(), KycType::Import, "wraps around");
        press(&mut s, KeyCode::Char('3'));
        assert_eq!(s.form.kyc_type(), KycType::Rfi);
        press(&mut s, KeyCode::Char('f'));
        assert_eq!(s.form.kyc_type(), KycType::Full);
    }

    #[test]
    fn an_invalid_form_is_not_sent_and_focus_goes_to_the_field() {
        let mut s = state(false);
        type_text(&mut s, GOOD);
        press(&mut s, KeyCode::Tab);
        press(&mut s, KeyCode::Tab);
        type_text(&mut s, "/relative");
        press(&mut s, KeyCode::Tab);
        let effects = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert!(!effects.iter().any(|e| matches!(e, Effect::Submit { .. })));
        assert_eq!(s.focus, Focus::RedirectUri);
        assert!(
            s.toast
                .as_ref()
                .is_some_and(|t| t.error && t.text.contains("redirect URI"))
        );
        assert_eq!(s.in_flight(), 0);
    }

    #[test]
    fn enter_moves_on_then_submits_from_the_last_field() {
        let mut s = state(false);
        type_text(&mut s, GOOD);
        assert!(press(&mut s, KeyCode::Enter).is_empty());
        assert_eq!(s.focus, Focus::KycType);
        press(&mut s, KeyCode::Enter);
        assert_eq!(s.focus, Focus::RedirectUri);
        let effects = press(&mut s, KeyCode::Enter);
        match effects.as_slice() {
            [
                Effect::Submit {
                    request,
                    resend_of: None,
                },
            ] => {
                assert_eq!(request.user_id.as_str(), GOOD);
                assert_eq!(request.kyc_type, KycType::Full);
                assert_eq!(request.redirect_uri, None);
            }
            other => panic!("expected one submit, got {other:?}"),
        }
        assert_eq!(s.in_flight(), 1);
        assert!(s.needs_tick());
    }

    #[test]
    fn production_asks_first_and_defaults_to_no() {
        let mut s = state(true);
        type_text(&mut s, GOOD);
        assert!(key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
        assert!(matches!(
            s.overlay,
            Some(Overlay::Confirm(Confirm::Production { .. }))
        ));
        let effects = press(&mut s, KeyCode::Enter);
        assert!(!effects.iter().any(|e| matches!(e, Effect::Submit { .. })));
        assert!(s.overlay.is_none());
        key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
        let effects = press(&mut s, KeyCode::Char('y'));
        assert!(matches!(effects.as_slice(), [Effect::Submit { .. }]));
    }

    #[test]
    fn a_paste_is_trimmed_normalised_and_replaces_a_complete_id() {
        let mut s = state(false);
        handle_event(
            &mut s,
            &Event::Paste(format!("  {}\n", GOOD.to_uppercase())),
        );
        let (id, norm) = s.form.check_user_id().unwrap();
        assert_eq!(id.as_str(), GOOD);
        assert!(norm.lowercased);
        let other = "usr-00000000-0000-4000-8000-000000000503";
        handle_event(&mut s, &Event::Paste(other.into()));
        assert_eq!(s.form.user_id.value(), other);
        handle_event(&mut s, &Event::Paste(format!("{GOOD}\n{other}\n")));
        assert_eq!(s.form.user_id.value(), GOOD);
        assert!(
            s.toast
                .as_ref()
                .is_some_and(|t| t.text.contains("first line"))
        );
    }

    #[test]
    fn success_clears_the_id_keeps_the_rest_and_enables_rapid_entry() {
        let mut s = state(false);
        type_text(&mut s, GOOD);
        press(&mut s, KeyCode::Tab);
        press(&mut s, KeyCode::Char('3'));
        press(&mut s, KeyCode::Tab);
        type_text(&mut s, "https://example.com/done");
        press(&mut s, KeyCode::Enter);
        created(&mut s, 1, GOOD);
        let body = r#"{"id":"kyc-1","status":"pending","url":"https://kyc.example/v/1"}"#;
        apply(
            &mut s,
            Msg::Finished {
                id: 1,
                exchange: Box::new(exchange(201, body, "application/json")),
            },
        );
        assert_eq!(s.form.user_id.value(), "");
        assert_eq!(s.form.kyc_type(), KycType::Rfi);
        assert_eq!(s.form.redirect_uri.value(), "https://example.com/done");
        assert_eq!(s.focus, Focus::UserId);
        assert_eq!(s.session_counts.get(&OutcomeKind::Initiated), Some(&1));
        assert_eq!(s.last_rate.and_then(|r| r.remaining), Some(299));
        // Paste + Enter sends the next one.
        handle_event(
            &mut s,
            &Event::Paste("usr-00000000-0000-4000-8000-000000000400".into()),
        );
        assert!(matches!(
            press(&mut s, KeyCode::Enter).as_slice(),
            [Effect::Submit { .. }]
        ));
        // Ctrl-Y copies the last success's link.
        let copy = key(&mut s, KeyCode::Char('y'), KeyModifiers::CONTROL);
        assert!(copy.contains(&Effect::Copy {
            what: "webview link",
            text: "https://kyc.example/v/1".into()
        }));
    }

    #[test]
    fn a_success_does_not_wipe_an_id_typed_since() {
        let mut s = state(false);
        type_text(&mut s, GOOD);
        key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
        key(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
        type_text(&mut s, "usr-1");
        created(&mut s, 1, GOOD);
        apply(
            &mut s,
            Msg::Finished {
                id: 1,
                exchange: Box::new(exchange(201, "{}", "application/json")),
            },
        );
        assert_eq!(s.form.user_id.value(), "usr-1");
    }

    #[test]
    fn field_errors_from_the_body_show_at_the_field_until_edited() {
        let mut s = state(false);
        type_text(&mut s, GOOD);
        key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
        created(&mut s, 1, GOOD);
        let body = r##"{"title":"Invalid","status":400,"errors":[{"pointer":"#/userId","detail":"unknown user"}]}"##;
        apply(
            &mut s,
            Msg::Finished {
                id: 1,
                exchange: Box::new(exchange(400, body, "application/problem+json")),
            },
        );
        assert_eq!(
            s.form
                .server_errors
                .get(&FormField::UserId)
                .map(String::as_str),
            Some("unknown user")
        );
        assert_eq!(
            s.form.user_id.value(),
            GOOD,
            "a failure keeps the id to fix"
        );
        press(&mut s, KeyCode::Backspace);
        assert!(s.form.server_errors.is_empty());
    }

    fn rows(n: usize, from: usize) -> Vec<HistoryRow> {
        (from..from + n)
            .map(|i| HistoryRow {
                id: i64::try_from(10_000 - i).unwrap(),
                profile: "sandbox".into(),
                created_at: chrono::Utc::now(),
                user_id: GOOD.into(),
                kyc_type: KycType::Full,
                status: Some(201),
                outcome: Some(OutcomeKind::Initiated),
                failure: None,
                latency_ms: Some(3),
                verification_id: None,
                webview_url: None,
                request_id: None,
                attempts: 1,
                batch_line: None,
                dispatched: true,
            })
            .collect()
    }

    #[test]
    fn history_loads_windows_as_the_selection_moves_and_ignores_stale_answers() {
        let mut s = state(false);
        let Effect::LoadHistory {
            generation,
            offset: 0,
            limit,
            ..
        } = reload(&mut s)
        else {
            panic!("expected a load")
        };
        assert_eq!(limit, WINDOW);
        apply(
            &mut s,
            Msg::HistoryLoaded {
                generation,
                total: 5000,
                offset: 0,
                rows: rows(WINDOW, 0),
            },
        );
        assert_eq!(s.history.rows.len(), WINDOW);
        s.focus = Focus::History;
        assert!(
            press(&mut s, KeyCode::Char('j')).is_empty(),
            "inside the window: no load"
        );
        assert_eq!(s.history.selected, 1);
        let effects = press(&mut s, KeyCode::End);
        assert_eq!(s.history.selected, 4999);
        let Some(Effect::LoadHistory {
            generation: newer,
            offset,
            ..
        }) = effects.first().cloned()
        else {
            panic!("expected a load at the end, got {effects:?}")
        };
        assert!(offset > 4000 && offset < 4999, "{offset}");
        // An answer to an older request is dropped.
        apply(
            &mut s,
            Msg::HistoryLoaded {
                generation,
                total: 5000,
                offset: 0,
                rows: rows(WINDOW, 0),
            },
        );
        assert_eq!(s.history.offset, 0);
        apply(
            &mut s,
            Msg::HistoryLoaded {
                generation: newer,
                total: 5000,
                offset,
                rows: rows(5000 - offset, offset),
            },
        );
        assert_eq!(s.history.offset, offset);
        assert!(s.history.selected_row().is_some());
        press(&mut s, KeyCode::Char('g'));
        assert_eq!((s.history.selected, s.history.scroll), (0, 0));
    }

    #[test]
    fn the_filter_reloads_as_typed_and_esc_clears_it() {
        let mut s = state(false);
        s.focus = Focus::History;
        press(&mut s, KeyCode::Char('/'));
        assert_eq!(s.mode(), Mode::Filter);
        let effects = press(&mut s, KeyCode::Char('5'));
        assert!(
            matches!(effects.as_slice(), [Effect::LoadHistory { filter, .. }] if filter.text == "5")
        );
        press(&mut s, KeyCode::Enter);
        assert_eq!(s.mode(), Mode::History);
        let effects = press(&mut s, KeyCode::Char('e'));
        assert!(
            matches!(effects.as_slice(), [Effect::LoadHistory { filter, .. }] if filter.errors_only && filter.text == "5")
        );
        press(&mut s, KeyCode::Char('/'));
        press(&mut s, KeyCode::Esc);
        assert_eq!(s.history.filter.text, "");
    }

    #[test]
    fn quit_asks_only_while_something_is_in_flight() {
        let mut s = state(false);
        type_text(&mut s, GOOD);
        key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
        key(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(!s.quit);
        assert!(matches!(
            s.overlay,
            Some(Overlay::Confirm(Confirm::Quit { in_flight: 1 }))
        ));
        press(&mut s, KeyCode::Char('y'));
        assert!(s.quit);
        let mut idle = state(false);
        key(&mut idle, KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert!(idle.quit);
    }

    #[test]
    fn esc_cancels_the_newest_pending_submission_once() {
        let mut s = state(false);
        type_text(&mut s, GOOD);
        key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
        created(&mut s, 7, GOOD);
        let effects = press(&mut s, KeyCode::Esc);
        assert!(effects.contains(&Effect::Cancel(7)));
        assert!(!press(&mut s, KeyCode::Esc).contains(&Effect::Cancel(7)));
    }

    #[test]
    fn history_follows_the_profile_and_a_shows_every_profile() {
        let mut s = state(false);
        assert_eq!(s.history.filter.profile.as_deref(), Some("sandbox"));
        s.focus = Focus::History;
        let effects = press(&mut s, KeyCode::Char('a'));
        assert!(
            matches!(effects.as_slice(), [Effect::LoadHistory { filter, .. }] if filter.profile.is_none())
        );
        press(&mut s, KeyCode::Char('a'));
        assert_eq!(s.history.filter.profile.as_deref(), Some("sandbox"));
        // Switching profile moves the pane to the new profile's rows.
        press(&mut s, KeyCode::Char('p'));
        assert!(matches!(s.overlay, Some(Overlay::Profiles { .. })));
        press(&mut s, KeyCode::Esc);
        assert!(s.overlay.is_none());
    }
}
