//! Sending a recorded batch: bounded concurrency, paced by the API's rate-limit headers
//! (and the profile's own limit, kept by the client), every row with its own idempotency
//! key. Pausing stops dispatching; stopping lets rows in flight finish and leaves the rest
//! not sent, to be resumed later.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::api::{Attempt, Exchange, RateLimit};
use crate::history::{HistoryStore, SubmissionId};
use crate::send::{self, Consent, Destination, Progress};

/// What the operator wants the runner to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Run,
    Pause,
    /// Send nothing more; rows in flight finish.
    Stop,
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
    /// Rows left unsent because the operator stopped.
    pub not_sent: usize,
}

/// The API's rate-limit budget as last seen, shared by the rows in flight.
#[derive(Debug, Default)]
struct Budget {
    remaining: Option<u64>,
    reset_at: Option<Instant>,
}

impl Budget {
    fn observe(&mut self, rate: &RateLimit, now: Instant) {
        let (Some(remaining), Some(reset)) = (rate.remaining, rate.reset_secs) else {
            return;
        };
        let reset_at = now + Duration::from_secs(reset);
        let same_window = self
            .reset_at
            .is_some_and(|at| at.max(reset_at) - at.min(reset_at) <= Duration::from_secs(2));
        // Answers arrive out of order: within one window the lowest count is the newest.
        self.remaining = Some(match (same_window, self.remaining) {
            (true, Some(before)) => before.min(remaining),
            _ => remaining,
        });
        self.reset_at = Some(reset_at);
    }

    /// How long to wait before sending one more while `in_flight` are out.
    fn wait(&mut self, in_flight: usize, now: Instant) -> Option<Instant> {
        let (remaining, reset_at) = (self.remaining?, self.reset_at?);
        if now >= reset_at {
            // A new window: the next answer will tell its budget.
            self.remaining = None;
            return None;
        }
        (remaining <= u64::try_from(in_flight).unwrap_or(u64::MAX))
            .then_some(reset_at + Duration::from_millis(250))
    }
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
    let budget = Arc::new(Mutex::new(Budget::default()));
    let (tx, mut rx) = mpsc::unbounded_channel::<BatchEvent>();
    let mut queue = jobs.into_iter();
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut summary = RunSummary::default();
    let mut waiting_until: Option<Instant> = None;
    let mut exhausted = false;
    // A closed control channel answers `changed()` at once, forever: stop polling it then.
    let mut control_open = true;
    loop {
        let state = *control.borrow();
        // Fill the free slots, unless paused, stopped or out of budget.
        while state == Control::Run
            && !exhausted
            && tasks.len() < concurrency
            && waiting_until.is_none()
        {
            let now = Instant::now();
            let wait = budget.lock().map_or(None, |mut b| b.wait(tasks.len(), now));
            if let Some(until) = wait {
                waiting_until = Some(until);
                on(BatchEvent::Waiting {
                    until,
                    reason: "rate-limit budget used: waiting for the window to reset".into(),
                });
                break;
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
                budget.clone(),
                tx.clone(),
            ));
        }
        if tasks.is_empty() && (exhausted || state == Control::Stop || !control_open) {
            break;
        }
        let sleep_until = waiting_until.map(tokio::time::Instant::from_std);
        tokio::select! {
            Some(event) = rx.recv() => on(event),
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
        on(event);
    }
    summary.not_sent = queue.count();
    summary
}

async fn send_row(
    to: Destination,
    store: Arc<dyn HistoryStore>,
    job: Job,
    budget: Arc<Mutex<Budget>>,
    tx: mpsc::UnboundedSender<BatchEvent>,
) {
    let never = CancellationToken::new();
    let line = job.line;
    let progress = |p: Progress| {
        if let Progress::Finished { id, attempt } = p {
            if let (Some(r), Ok(mut b)) = (attempt.response(), budget.lock()) {
                b.observe(&r.rate_limit, Instant::now());
            }
            let _ = tx.send(BatchEvent::Attempt { line, id, attempt });
        }
    };
    // Each row is recorded already: send it with its own key (a first send or a resume).
    let consent = Consent {
        production: true,
        duplicate: false,
    };
    let event = match send::send_again(&to, store, job.id, consent, &never, progress).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_holds_dispatch_when_what_is_left_is_in_flight() {
        let now = Instant::now();
        let mut b = Budget::default();
        assert_eq!(b.wait(4, now), None, "nothing seen yet");
        let rate = |remaining| RateLimit {
            limit: Some(120),
            remaining: Some(remaining),
            reset_secs: Some(30),
            retry_after_secs: None,
        };
        b.observe(&rate(10), now);
        assert_eq!(b.wait(4, now), None);
        b.observe(&rate(3), now);
        b.observe(&rate(7), now); // an older answer arriving late
        assert_eq!(b.remaining, Some(3));
        let until = b.wait(3, now).unwrap();
        assert!(until >= now + Duration::from_secs(30));
        assert_eq!(b.wait(2, now), None);
        assert_eq!(
            b.wait(3, now + Duration::from_secs(31)),
            None,
            "a new window"
        );
        assert_eq!(b.remaining, None);
    }
}
