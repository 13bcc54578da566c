//! The batch screen: pasting, previewing, confirming, and steering a running batch.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::common::reload_history;
use crate::batch::{BatchEvent, Check, Control, Defaults};
use crate::production::{Answer, Confirmation, SendKind, accepts, confirmation};
use crate::tui::action::Action;
use crate::tui::batch_state::{BatchScreen, RowState, Stage};
use crate::tui::keymap::{Mode, key_name};
use crate::tui::message::{Effect, Msg};
use crate::tui::state::{RouteId, SeenRate, State};

/// Rows a page of the batch table moves.
const PAGE: usize = 10;

/// Opens the batch screen (or returns to a running one).
pub fn open(state: &mut State) -> Vec<Effect> {
    if state.batch.is_none() {
        state.batch = Some(BatchScreen::new());
    }
    vec![load_unfinished(state)]
}

/// Asks for this profile's interrupted batches, which can then be resumed.
fn load_unfinished(state: &State) -> Effect {
    Effect::BatchLoadUnfinished {
        profile: state.target.profile.clone(),
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
    let Some(b) = state.batch.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::BatchPreview => {
            if b.text.trim().is_empty() {
                b.error = Some(
                    "paste user ids (one per line) or a CSV with a header, or type a file path"
                        .into(),
                );
                Vec::new()
            } else {
                b.stage = Stage::Planning;
                b.error = None;
                vec![Effect::BatchPlan {
                    text: b.text.clone(),
                    defaults,
                    route,
                }]
            }
        }
        Action::BatchClear => {
            b.text.clear();
            b.error = None;
            Vec::new()
        }
        Action::BatchEdit => {
            b.stage = Stage::Input;
            Vec::new()
        }
        Action::BatchSend => match b.stage {
            Stage::Preview if b.to_send == 0 => {
                b.error = Some("no valid row to send".into());
                Vec::new()
            }
            Stage::Preview if needs_name => {
                b.stage = Stage::Confirm;
                b.confirm = tui_input::Input::default();
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
        Action::BatchResume => match resumable(b) {
            None => {
                b.error = Some("no interrupted batch for this profile".into());
                Vec::new()
            }
            Some(id) => {
                b.pending_resume = Some(id);
                if needs_name {
                    b.stage = Stage::Confirm;
                    b.confirm = tui_input::Input::default();
                    Vec::new()
                } else {
                    start(b, route)
                }
            }
        },
        Action::BatchPause => {
            if b.stage != Stage::Running || b.stopping {
                return Vec::new();
            }
            b.paused = !b.paused;
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
            b.paused = false;
            vec![Effect::BatchControl(Control::Stop)]
        }
        Action::ScrollDown => scroll(b, 1),
        Action::ScrollUp => scroll(b, -1),
        Action::PageDown => scroll(b, PAGE as isize),
        Action::PageUp => scroll(b, -(PAGE as isize)),
        Action::Close => match b.stage {
            Stage::Running => {
                let stop = key_name(Mode::BatchRun, Action::BatchStop);
                b.error = Some(format!(
                    "the batch is running: {stop} stops it (rows in flight finish)"
                ));
                Vec::new()
            }
            Stage::Confirm => {
                b.stage = if b.pending_resume.is_some() {
                    Stage::Input
                } else {
                    Stage::Preview
                };
                b.pending_resume = None;
                b.error = None;
                Vec::new()
            }
            _ => {
                state.batch = None;
                vec![reload_history(state)]
            }
        },
        _ => Vec::new(),
    }
}

/// The batch to resume: in a preview, the unfinished batch that holds rows of it; else
/// the profile's newest interrupted one.
fn resumable(b: &BatchScreen) -> Option<String> {
    let holding = match b.stage {
        Stage::Preview => b
            .plan
            .as_ref()
            .and_then(|p| p.holding_batches().into_iter().next()),
        _ => None,
    };
    holding.or_else(|| b.unfinished.first().map(|u| u.id.clone()))
}

fn start(b: &mut BatchScreen, route: RouteId) -> Vec<Effect> {
    b.stage = Stage::Running;
    b.error = None;
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

fn scroll(b: &mut BatchScreen, delta: isize) -> Vec<Effect> {
    let last = b.rows.len().saturating_sub(1);
    b.scroll = b.scroll.saturating_add_signed(delta).min(last);
    Vec::new()
}

/// Typing in the paste area or the production confirmation.
pub fn key(state: &mut State, key: &KeyEvent) {
    let Some(b) = state.batch.as_mut() else {
        return;
    };
    match b.stage {
        Stage::Input => {
            match key.code {
                KeyCode::Char(c)
                    if !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    b.text.push(c);
                }
                KeyCode::Enter => b.text.push('\n'),
                KeyCode::Backspace => {
                    b.text.pop();
                }
                _ => {}
            }
            b.error = None;
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

/// A paste goes into the paste area whole (line breaks kept).
pub fn paste(state: &mut State, text: &str) {
    if let Some(b) = state.batch.as_mut()
        && b.stage == Stage::Input
    {
        b.text
            .push_str(&text.replace("\r\n", "\n").replace('\r', "\n"));
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
            Ok(plan) => b.show_plan(source, plan),
            Err(e) => {
                b.stage = Stage::Input;
                b.error = Some(e);
            }
        },
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
            b.started = Some(now);
            b.finished_at = None;
        }
        Msg::BatchResumed(info) => {
            b.show_recorded(&info);
            b.stage = Stage::Running;
            b.started = Some(now);
            b.finished_at = None;
        }
        Msg::Batch(event) => match event {
            BatchEvent::RowStarted { line, id } => {
                b.waiting_until = None;
                if let Some(row) = b.row_mut(line) {
                    row.state = RowState::Sending;
                    row.submission = Some(id);
                }
            }
            BatchEvent::Attempt { attempt, .. } => {
                // The header counts this answer's reset down from now.
                if let Some(r) = attempt.response()
                    && r.rate_limit.is_known()
                {
                    state.last_rate = Some(SeenRate {
                        rate: r.rate_limit,
                        at: now,
                    });
                }
            }
            BatchEvent::RowFinished { line, exchange, .. } => {
                let outcome = exchange.outcome();
                let status = exchange.final_response().map(|r| r.status);
                if let Some(row) = b.row_mut(line) {
                    row.state = RowState::Finished { outcome, status };
                }
                b.done += 1;
                *b.counts.entry(outcome).or_default() += 1;
                *state.session_counts.entry(outcome).or_default() += 1;
            }
            BatchEvent::RowFailed { line, error, .. } => {
                if let Some(row) = b.row_mut(line) {
                    row.state = RowState::Failed(error);
                }
                b.done += 1;
            }
            BatchEvent::Waiting { until, .. } => b.waiting_until = Some(until),
        },
        Msg::BatchFinished(summary) => {
            b.stage = Stage::Done;
            b.finished_at = Some(now);
            b.waiting_until = None;
            if let Some(crate::domain::Stop::WaitTooLong {
                asked_secs,
                max_wait_secs,
            }) = summary.halted
            {
                b.error = Some(format!(
                    "stopped sending: the server asked to wait {asked_secs} s, more than \
                     max_wait_secs {max_wait_secs}; {} row(s) not sent: Ctrl-R resumes later",
                    summary.not_sent
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
