//! Sending a recorded batch: bounded concurrency, every row with its own idempotency key,
//! paced by the client (see [`crate::api::Pacer`]: evenly spaced at the rate the profile
//! and the server's policy allow, learnt from the first answer when unknown). Dispatch
//! holds while the server's budget is used up or it asked to wait (a 429). Pausing stops
//! dispatching; stopping lets rows in flight finish and leaves the rest not sent, to be
//! resumed later. A server that asks for a longer wait than the profile's `max_wait_secs`
//! stops dispatching the same way.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::api::{Attempt, Exchange, HoldReason, Outlook, ceil_secs};
use crate::domain::Stop;
use crate::history::{HistoryStore, SubmissionId};
use crate::send::{self, Consent, Destination, Progress};

/// What the operator wants the runner to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Run,
    Pause,
    /// Send nothing more; rows in flight finish.
    Stop,
    /// Send nothing more and cut off rows in flight (the console quitting or signalled):
    /// each is recorded as cancelled, outcome unknown, for a resume to settle.
    Interrupt,
}

/// A row to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: SubmissionId,
    pub line: u32,
}

/// Progress of a batch, as it happens.
#[derive(Debug, Clone)]
pub enum BatchEvent {
    RowStarted {
        line: u32,
        id: SubmissionId,
    },
    Attempt {
        line: u32,
        id: SubmissionId,
        attempt: Box<Attempt>,
    },
    RowFinished {
        line: u32,
        id: SubmissionId,
        exchange: Box<Exchange>,
    },
    /// A row could not be sent (history failed, or it was sent to another target).
    RowFailed {
        line: u32,
        id: SubmissionId,
        error: String,
    },
    /// Dispatch waits for the rate-limit window.
    Waiting {
        until: Instant,
        reason: String,
    },
}

/// How the run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub dispatched: usize,
    /// Rows left unsent because the operator stopped, or the server asked for too long a
    /// wait.
    pub not_sent: usize,
    /// Set when dispatch stopped because the server asked for a longer wait than the
    /// profile's `max_wait_secs` (a rate-limit reset, or a row's `Retry-After`).
    pub halted: Option<Stop>,
}

/// Passes an event on, halting dispatch when it tells of a row the server stopped.
fn deliver(event: BatchEvent, halted: &mut Option<Stop>, on: &mut impl FnMut(BatchEvent)) {
    if halted.is_none() {
        *halted = wait_too_long(&event);
    }
    on(event);
}

/// The server's own stop of a row: a wait asked for beyond `max_wait_secs`.
fn wait_too_long(event: &BatchEvent) -> Option<Stop> {
    let BatchEvent::RowFinished { exchange, .. } = event else {
        return None;
    };
    exchange
        .last()
        .and_then(|a| a.stop)
        .filter(|s| matches!(s, Stop::WaitTooLong { .. }))
}

/// Sends the jobs, at most `concurrency` at once. The batch was confirmed as a whole
/// (production included) before it was recorded, so each row goes without asking again.
pub async fn run(
    to: &Destination,
    store: Arc<dyn HistoryStore>,
    jobs: Vec<Job>,
    concurrency: usize,
    mut control: watch::Receiver<Control>,
    mut on: impl FnMut(BatchEvent),
) -> RunSummary {
    let concurrency = concurrency.max(1);
    let max_wait = to.client.options().retry.max_wait;
    let (tx, mut rx) = mpsc::unbounded_channel::<BatchEvent>();
    let mut queue = jobs.into_iter();
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut summary = RunSummary::default();
    let mut waiting_until: Option<Instant> = None;
    let mut exhausted = false;
    // A closed control channel answers `changed()` at once, forever: stop polling it then.
    let mut control_open = true;
    let cut_off = CancellationToken::new();
    loop {
        // Events of rows that ended come first: a row the server stopped halts dispatch
        // before another row goes out.
        while let Ok(event) = rx.try_recv() {
            deliver(event, &mut summary.halted, &mut on);
        }
        let state = *control.borrow();
        if state == Control::Interrupt {
            cut_off.cancel();
        }
        // Fill the free slots, unless paused, stopped or out of budget.
        while state == Control::Run
            && !exhausted
            && summary.halted.is_none()
            && tasks.len() < concurrency
            && waiting_until.is_none()
        {
            match to.client.pace().outlook(max_wait) {
                Outlook::Go => {}
                Outlook::Hold { until, why } => {
                    waiting_until = Some(until);
                    let reason = match why {
                        HoldReason::Budget => {
                            "rate-limit budget used: waiting for the window to reset"
                        }
                        HoldReason::TooMany => "the API answered 429: waiting as it asked",
                    };
                    on(BatchEvent::Waiting {
                        until,
                        reason: reason.into(),
                    });
                    break;
                }
                Outlook::TooLong { asked_secs } => {
                    summary.halted = Some(Stop::WaitTooLong {
                        asked_secs,
                        max_wait_secs: ceil_secs(max_wait),
                    });
                    break;
                }
            }
            let Some(job) = queue.next() else {
                exhausted = true;
                break;
            };
            summary.dispatched += 1;
            on(BatchEvent::RowStarted {
                line: job.line,
                id: job.id,
            });
            tasks.spawn(send_row(
                to.clone(),
                store.clone(),
                job,
                tx.clone(),
                cut_off.clone(),
            ));
        }
        if tasks.is_empty()
            && (exhausted
                || matches!(state, Control::Stop | Control::Interrupt)
                || !control_open
                || summary.halted.is_some())
        {
            break;
        }
        let sleep_until = waiting_until.map(tokio::time::Instant::from_std);
        tokio::select! {
            Some(event) = rx.recv() => deliver(event, &mut summary.halted, &mut on),
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            changed = control.changed(), if control_open => control_open = changed.is_ok(),
            () = async {
                match sleep_until {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => futures::future::pending().await,
                }
            } => waiting_until = None,
        }
    }
    while let Ok(event) = rx.try_recv() {
        deliver(event, &mut summary.halted, &mut on);
    }
    summary.not_sent = queue.count();
    summary
}

async fn send_row(
    to: Destination,
    store: Arc<dyn HistoryStore>,
    job: Job,
    tx: mpsc::UnboundedSender<BatchEvent>,
    cut_off: CancellationToken,
) {
    let line = job.line;
    let progress = |p: Progress| {
        if let Progress::Finished { id, attempt } = p {
            let _ = tx.send(BatchEvent::Attempt { line, id, attempt });
        }
    };
    // Each row is recorded already: send it with its own key (a first send or a resume).
    let consent = Consent {
        production: true,
        duplicate: false,
    };
    let event = match send::send_again(&to, store, job.id, consent, &cut_off, progress).await {
        Ok(exchange) => BatchEvent::RowFinished {
            line,
            id: job.id,
            exchange: Box::new(exchange),
        },
        Err(e) => BatchEvent::RowFailed {
            line,
            id: job.id,
            error: e.to_string(),
        },
    };
    let _ = tx.send(event);
}
