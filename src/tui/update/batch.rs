//! The batch screen: editing the list, previewing, confirming, and steering a running
//! batch; resuming one previews what it will send first.

use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;

use super::common::{reload_history, toast};
use crate::batch::{BatchEvent, Check, Control, Defaults};
use crate::production::{Answer, Confirmation, SendKind, accepts, confirmation};
use crate::tui::action::Action;
use crate::tui::batch_state::{BatchScreen, RowState, Stage, clean_paste, new_editor};
use crate::tui::keymap::{Mode, key_name};
use crate::tui::message::{Effect, Msg};
use crate::tui::state::{RouteId, SeenRate, State};
use crate::tui::view::TableFit;

/// Opens the batch screen (or returns to a running one), with the text it had when it was
/// closed. Ids pasted into the form together come along, after that text.
pub fn open(state: &mut State) -> Vec<Effect> {
    let theme = state.theme;
    let b = state.batch.get_or_insert_with(|| {
        let editor = state
            .batch_draft
            .take()
            .map_or_else(|| new_editor(theme), |draft| *draft);
        BatchScreen::new(editor)
    });
    let mut effects = vec![load_unfinished_for(&state.target.profile)];
    if let Some(list) = state.form.pasted_list().cloned() {
        match b.stage {
            Stage::Input | Stage::Preview | Stage::Done => {
                if b.stage != Stage::Input {
                    b.back_to_editor();
                }
                b.append(&list.text);
                b.error = None;
                b.note = Some(format!(
                    "{} ids moved here from the form: {} checks every row",
                    list.ids,
                    key_name(Mode::BatchInput, Action::BatchPreview)
                ));
                // The field held the list's first id: it went with the list.
                state.form.user_id = Input::default();
                state.form.pasted_list = None;
            }
            Stage::Planning | Stage::Confirm | Stage::Running => {
                effects.extend(toast(
                    state,
                    "the batch screen is busy: the pasted ids stay in the form",
                    true,
                ));
            }
        }
    }
    effects
}

/// Asks for this profile's interrupted batches, which can then be resumed.
fn load_unfinished(state: &State) -> Effect {
    load_unfinished_for(&state.target.profile)
}

fn load_unfinished_for(profile: &str) -> Effect {
    Effect::BatchLoadUnfinished {
        profile: profile.to_string(),
    }
}

/// An action while the batch screen is open.
pub fn handle(state: &mut State, action: Action) -> Vec<Effect> {
    // The preview and its Enter are the yes a batch needs; production asks for the name.
    let needs_name =
        confirmation(state.target.production, SendKind::Batch) == Confirmation::ProfileName;
    let profile = state.target.profile.clone();
    let route = state.route;
    let defaults = Defaults {
        kyc_type: state.form.kyc_type(),
        redirect_uri: state.form.check_redirect().ok().flatten().map(|(u, _)| u),
    };
    // How the rows fit the table as drawn now: what scrolling and paging move by.
    let fit = crate::tui::view::batch_table_fit(state);
    let Some(b) = state.batch.as_mut() else {
        return Vec::new();
    };
    let now = state.now;
    match action {
        Action::BatchPreview => {
            if b.stage != Stage::Input {
                return Vec::new();
            }
            if b.is_blank() {
                b.error = Some(
                    "paste user ids (one per line) or a CSV with a header, or type a file path"
                        .into(),
                );
                Vec::new()
            } else {
                b.stage = Stage::Planning;
                b.error = None;
                b.note = None;
                vec![Effect::BatchPlan {
                    text: b.text(),
                    defaults,
                    route,
                }]
            }
        }
        Action::BatchClear => {
            b.clear_text();
            b.error = None;
            b.note = None;
            Vec::new()
        }
        Action::BatchEdit => {
            b.back_to_editor();
            Vec::new()
        }
        Action::BatchSend => match b.stage {
            Stage::Preview if b.to_send == 0 => {
                b.error = Some("no row to send".into());
                Vec::new()
            }
            Stage::Preview if needs_name => {
                b.stage = Stage::Confirm;
                b.confirm = Input::default();
                b.error = None;
                Vec::new()
            }
            Stage::Preview => start(b, route),
            Stage::Confirm
                if accepts(
                    Confirmation::ProfileName,
                    &profile,
                    Answer::Name(b.confirm.value()),
                ) =>
            {
                start(b, route)
            }
            Stage::Confirm => {
                b.error = Some(format!(
                    "type the profile's name, {profile}, exactly to send"
                ));
                Vec::new()
            }
            _ => Vec::new(),
        },
        Action::BatchResume => match (b.stage, resumable(b)) {
            (Stage::Planning | Stage::Confirm | Stage::Running, _) => Vec::new(),
            (_, None) => {
                b.error = Some(format!(
                    "nothing to resume: no batch of profile {profile} has rows without an outcome"
                ));
                Vec::new()
            }
            (_, Some(id)) => {
                b.error = None;
                b.note = Some(format!("loading batch {id} to preview what it would send…"));
                vec![Effect::BatchLoadResume { batch_id: id }]
            }
        },
        Action::BatchPause => {
            if b.stage != Stage::Running || b.stopping {
                return Vec::new();
            }
            b.set_paused(!b.paused, now);
            vec![Effect::BatchControl(if b.paused {
                Control::Pause
            } else {
                Control::Run
            })]
        }
        Action::BatchStop => {
            if b.stage != Stage::Running {
                return Vec::new();
            }
            b.stopping = true;
            b.set_paused(false, now);
            vec![Effect::BatchControl(Control::Stop)]
        }
        Action::ScrollDown
        | Action::ScrollUp
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom => {
            if let Some(fit) = fit {
                scroll(b, action, &fit);
            }
            Vec::new()
        }
        Action::Close => match b.stage {
            Stage::Running => {
                let stop = key_name(Mode::BatchRun, Action::BatchStop);
                b.error = Some(format!(
                    "the batch is running: {stop} stops it (rows in flight finish)"
                ));
                Vec::new()
            }
            Stage::Confirm => {
                b.stage = Stage::Preview;
                b.error = None;
                Vec::new()
            }
            // Back to the text, as it was.
            Stage::Preview | Stage::Planning => {
                b.back_to_editor();
                b.error = None;
                Vec::new()
            }
            // Closing keeps the text for the next opening.
            Stage::Input => {
                if let Some(b) = state.batch.take()
                    && !b.is_blank()
                {
                    state.batch_draft = Some(Box::new(b.editor));
                }
                vec![reload_history(state)]
            }
            Stage::Done => {
                state.batch = None;
                vec![reload_history(state)]
            }
        },
        _ => Vec::new(),
    }
}

/// The batch to resume: in a preview, the unfinished batch that holds rows of it; on the
/// finished screen, the batch just run (its preview says if nothing is left); else the
/// profile's newest interrupted one.
fn resumable(b: &BatchScreen) -> Option<String> {
    let own = match b.stage {
        Stage::Preview => b
            .plan
            .as_ref()
            .and_then(|p| p.holding_batches().into_iter().next()),
        Stage::Done => b.batch_id.clone(),
        _ => None,
    };
    own.or_else(|| b.unfinished.first().map(|u| u.id.clone()))
}

fn start(b: &mut BatchScreen, route: RouteId) -> Vec<Effect> {
    b.stage = Stage::Running;
    b.error = None;
    b.note = None;
    b.done = 0;
    b.counts.clear();
    b.paused = false;
    b.stopping = false;
    if let Some(id) = b.pending_resume.take() {
        return vec![Effect::BatchResume {
            batch_id: id,
            route,
        }];
    }
    match b.plan.clone() {
        Some(plan) => vec![Effect::BatchStart {
            plan,
            source: b.source.clone(),
            route,
        }],
        None => Vec::new(),
    }
}

/// Moves the rows shown; never past the page that ends with the last row, so a key up
/// always moves.
fn scroll(b: &mut BatchScreen, action: Action, fit: &TableFit) {
    let last = fit.last_start();
    let now = b.scroll.min(last);
    b.scroll = match action {
        Action::ScrollDown => now + 1,
        Action::ScrollUp => now.saturating_sub(1),
        Action::PageDown => now + fit.rows_from(now),
        Action::PageUp => now.saturating_sub(fit.rows_before(now)),
        Action::Top => 0,
        Action::Bottom => last,
        _ => now,
    }
    .min(last);
}

/// Typing in the editor or the production confirmation. In the editor, printable keys,
/// Enter, Backspace and Delete edit; other keys do nothing (the key table names the
/// editor's own keys, which go to [`editor_key`]).
pub fn key(state: &mut State, key: &KeyEvent) {
    let Some(b) = state.batch.as_mut() else {
        return;
    };
    match b.stage {
        Stage::Input => {
            let text_key = match key.code {
                KeyCode::Char(_) => !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT),
                KeyCode::Enter => key.modifiers.is_empty(),
                _ => false,
            };
            if text_key && b.editor.get_mut().input_without_shortcuts(*key) {
                b.error = None;
            }
        }
        Stage::Confirm => {
            if let Some(request) = tui_input::backend::crossterm::to_input_request(
                &ratatui::crossterm::event::Event::Key(*key),
            ) {
                b.confirm.handle(request);
            }
        }
        _ => {}
    }
}

/// A key the editor acts on itself: moving (Shift selects), scrolling, deleting, undo and
/// redo.
pub fn editor_key(state: &mut State, key: &KeyEvent) {
    let Some(b) = state.batch.as_mut().filter(|b| b.stage == Stage::Input) else {
        return;
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let editor = b.editor.get_mut();
    let changed = match key.code {
        KeyCode::Char(c) if ctrl && c.eq_ignore_ascii_case(&'z') => editor.undo(),
        KeyCode::Char(c) if ctrl && c.eq_ignore_ascii_case(&'y') => editor.redo(),
        KeyCode::Char(_) => false,
        _ => editor.input(*key),
    };
    if changed {
        b.error = None;
    }
}

/// A paste goes into the editor at the cursor, whole (line breaks kept).
pub fn paste(state: &mut State, text: &str) {
    if let Some(b) = state.batch.as_mut()
        && b.stage == Stage::Input
    {
        b.editor.get_mut().insert_str(clean_paste(text));
        b.error = None;
    }
}

/// Results of batch effects.
pub fn message(state: &mut State, msg: Msg) -> Vec<Effect> {
    let now = state.now;
    let Some(b) = state.batch.as_mut() else {
        return Vec::new();
    };
    match msg {
        Msg::BatchUnfinished(list) => b.unfinished = list,
        Msg::BatchPlanned { source, result } => match result {
            // A plan that comes after the operator went back to the text is stale.
            Ok(plan) if b.stage == Stage::Planning => b.show_plan(source, plan),
            Ok(_) => {}
            Err(e) => {
                b.stage = Stage::Input;
                b.error = Some(e);
            }
        },
        Msg::BatchResumeLoaded(info) => {
            b.note = None;
            if matches!(b.stage, Stage::Planning | Stage::Confirm | Stage::Running) {
                return Vec::new();
            }
            if info.unfinished().next().is_none() {
                b.error = Some(format!(
                    "nothing to resume: every row of batch {} has its outcome",
                    info.batch.id
                ));
            } else {
                b.show_resume_preview(&info);
            }
        }
        Msg::BatchRecorded { batch_id, skipped } => {
            b.batch_id = Some(batch_id);
            for row in &mut b.rows {
                if row.state == RowState::Check(Check::Valid) {
                    row.state = RowState::Queued;
                }
            }
            // Rows another submission claimed since the preview are not this batch's.
            for (line, earlier) in skipped {
                b.to_send = b.to_send.saturating_sub(1);
                if let Some(row) = b.row_mut(line) {
                    row.submission = Some(earlier.id);
                    row.state = RowState::Check(Check::Held {
                        submission: earlier.id,
                        batch: earlier.batch_id,
                    });
                }
            }
            b.start_clock(now);
        }
        Msg::BatchResumed(info) => {
            // Rows sent before are sent again: the session counts them as retries.
            for row in info.unfinished().filter(|r| r.dispatched()) {
                state.session.retry_started(row.id);
            }
            b.show_recorded(&info);
            b.stage = Stage::Running;
            b.start_clock(now);
        }
        Msg::Batch(event) => match event {
            BatchEvent::RowStarted { line, id } => {
                b.set_waiting(None, now);
                let second = b.run_second(now);
                b.trace.sent(second);
                if let Some(row) = b.row_mut(line) {
                    row.state = RowState::Sending;
                    row.submission = Some(id);
                }
            }
            BatchEvent::Attempt { attempt, .. } => {
                let second = b.run_second(now);
                let ms = u64::try_from(attempt.latency.as_millis()).unwrap_or(u64::MAX);
                b.trace.answered(second, ms);
                // The header counts this answer's reset down from now.
                if let Some(r) = attempt.response()
                    && r.rate_limit.is_known()
                {
                    // The longest reset seen is about one window: what the ETA counts
                    // for each further window the rows left need.
                    if let Some(reset) = r.rate_limit.reset_secs.map(Duration::from_secs)
                        && b.window.is_none_or(|w| w < reset)
                    {
                        b.window = Some(reset);
                    }
                    state.last_rate = Some(SeenRate {
                        rate: r.rate_limit,
                        at: now,
                    });
                }
            }
            BatchEvent::RowFinished { line, id, exchange } => {
                let outcome = exchange.outcome();
                let status = exchange.final_response().map(|r| r.status);
                if let Some(row) = b.row_mut(line) {
                    row.state = RowState::Finished { outcome, status };
                }
                b.done += 1;
                *b.counts.entry(outcome).or_default() += 1;
                state.session.finished(id, outcome);
            }
            BatchEvent::RowFailed { line, error, .. } => {
                if let Some(row) = b.row_mut(line) {
                    row.state = RowState::Failed(error);
                }
                b.done += 1;
            }
            BatchEvent::Waiting { until, .. } => b.set_waiting(Some(until), now),
        },
        Msg::BatchFinished(summary) => {
            b.stage = Stage::Done;
            // What was said while sending (e.g. that closing needs a stop first) no
            // longer applies to the finished screen.
            b.error = None;
            b.note = None;
            b.stop_clock(now);
            b.stopping = false;
            if let Some(crate::domain::Stop::WaitTooLong {
                asked_secs,
                max_wait_secs,
            }) = summary.halted
            {
                b.error = Some(format!(
                    "stopped sending: the server asked to wait {asked_secs} s, more than \
                     max_wait_secs {max_wait_secs}; {} row(s) not sent: {} resumes later",
                    summary.not_sent,
                    key_name(Mode::BatchDone, Action::BatchResume)
                ));
            }
            if summary.not_sent > 0 {
                for row in &mut b.rows {
                    if row.state == RowState::Queued {
                        row.state = RowState::NotSent;
                    }
                }
            }
            return vec![reload_history(state), load_unfinished(state)];
        }
        Msg::BatchFailed(error) => {
            b.stage = if b.plan.is_some() {
                Stage::Preview
            } else {
                Stage::Input
            };
            b.error = Some(error);
        }
        _ => {}
    }
    Vec::new()
}
