//! Sending a recorded batch: bounded concurrency, paced by the API's rate-limit headers
//! (and the profile's own limit, kept by the client), every row with its own idempotency
//! key. Pausing stops dispatching; stopping lets rows in flight finish and leaves the rest
//! not sent, to be resumed later. A server that asks for a longer wait than the profile's
//! `max_wait_secs` stops dispatching the same way.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::api::{Attempt, Exchange, RateLimit, ceil_secs};
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

/// The longest rate-limit reset kept as an instant; anything longer is beyond every
/// `max_wait_secs` anyway.
const MAX_RESET: Duration = Duration::from_secs(366 * 86_400);
/// Slack after a window's reset before sending again.
const AFTER_RESET: Duration = Duration::from_millis(250);

/// The API's rate-limit budget as last seen, shared by the rows in flight.
#[derive(Debug, Default)]
struct Budget {
    remaining: Option<u64>,
    /// When the window resets (at most [`MAX_RESET`] after it was seen).
    reset_at: Option<Instant>,
    /// The reset as the server said it, in seconds, and when it said so.
    said: Option<(u64, Instant)>,
}

/// What the budget says about sending one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pace {
    Go,
    /// Wait for the window to reset.
    Until(Instant),
    /// The window resets later than `max_wait` from now: `asked_secs` from now.
    TooLong {
        asked_secs: u64,
    },
}

impl Budget {
    /// Takes in an answer's rate-limit headers, whatever numbers they hold.
    fn observe(&mut self, rate: &RateLimit, now: Instant) {
        let (Some(remaining), Some(reset)) = (rate.remaining, rate.reset_secs) else {
            return;
        };
        let Some(reset_at) = now.checked_add(Duration::from_secs(reset).min(MAX_RESET)) else {
            return;
        };
        let same_window = self.reset_at.is_some_and(|at| {
            at.max(reset_at).saturating_duration_since(at.min(reset_at)) <= Duration::from_secs(2)
        });
        // Answers arrive out of order: within one window the lowest count is the newest.
        self.remaining = Some(match (same_window, self.remaining) {
            (true, Some(before)) => before.min(remaining),
            _ => remaining,
        });
        self.reset_at = Some(reset_at);
        self.said = Some((reset, now));
    }

    /// Whether one more may be sent while `in_flight` are out, and if not, until when to
    /// wait: never longer than `max_wait` from `now`.
    fn pace(&mut self, in_flight: usize, now: Instant, max_wait: Duration) -> Pace {
        let (Some(remaining), Some(reset_at)) = (self.remaining, self.reset_at) else {
            return Pace::Go;
        };
        if now >= reset_at {
            // A new window: the next answer will tell its budget.
            self.remaining = None;
            return Pace::Go;
        }
        if remaining > u64::try_from(in_flight).unwrap_or(u64::MAX) {
            return Pace::Go;
        }
        let left = reset_at.saturating_duration_since(now);
        if left > max_wait {
            // In the server's own number, less the time since it said it.
            let asked_secs = self.said.map_or(ceil_secs(left), |(secs, seen)| {
                secs.saturating_sub(now.saturating_duration_since(seen).as_secs())
            });
            return Pace::TooLong { asked_secs };
        }
        // A little after the reset, but never past `max_wait` from now.
        let slack = reset_at.checked_add(AFTER_RESET).unwrap_or(reset_at);
        Pace::Until(
            now.checked_add(max_wait)
                .map_or(slack, |cap| slack.min(cap)),
        )
    }
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
    let budget = Arc::new(Mutex::new(Budget::default()));
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
            let now = Instant::now();
            let pace = budget
                .lock()
                .map_or(Pace::Go, |mut b| b.pace(tasks.len(), now, max_wait));
            match pace {
                Pace::Go => {}
                Pace::Until(until) => {
                    waiting_until = Some(until);
                    on(BatchEvent::Waiting {
                        until,
                        reason: "rate-limit budget used: waiting for the window to reset".into(),
                    });
                    break;
                }
                Pace::TooLong { asked_secs } => {
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
                budget.clone(),
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
    budget: Arc<Mutex<Budget>>,
    tx: mpsc::UnboundedSender<BatchEvent>,
    cut_off: CancellationToken,
) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_budget_holds_dispatch_when_what_is_left_is_in_flight() {
        let now = Instant::now();
        let mut b = Budget::default();
        assert_eq!(
            b.pace(4, now, Duration::from_secs(120)),
            Pace::Go,
            "nothing seen yet"
        );
        let rate = |remaining| RateLimit {
            limit: Some(120),
            remaining: Some(remaining),
            reset_secs: Some(30),
            retry_after_secs: None,
        };
        let cap = Duration::from_secs(120);
        b.observe(&rate(10), now);
        assert_eq!(b.pace(4, now, cap), Pace::Go);
        b.observe(&rate(3), now);
        b.observe(&rate(7), now); // an older answer arriving late
        assert_eq!(b.remaining, Some(3));
        let Pace::Until(until) = b.pace(3, now, cap) else {
            panic!("waits")
        };
        assert!(until >= now + Duration::from_secs(30));
        assert_eq!(b.pace(2, now, cap), Pace::Go);
        assert_eq!(
            b.pace(3, now + Duration::from_secs(31), cap),
            Pace::Go,
            "a new window"
        );
        assert_eq!(b.remaining, None);
    }

    fn extreme() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just(1),
            Just(u64::MAX),
            Just(i64::MAX as u64),
            Just(i64::MAX as u64 + 1),
            0u64..200,
            any::<u64>(),
        ]
    }

    proptest! {
        #[test]
        fn the_budget_never_panics_and_never_waits_past_the_cap(
            answers in prop::collection::vec(
                (prop::option::of(extreme()), prop::option::of(extreme())),
                0..8,
            ),
            in_flight in prop_oneof![Just(usize::MAX), 0usize..8],
            cap_secs in 1u64..=86_400,
            later in extreme(),
        ) {
            let now = Instant::now();
            let cap = Duration::from_secs(cap_secs);
            let mut b = Budget::default();
            for (remaining, reset_secs) in answers {
                let rate = RateLimit { limit: remaining, remaining, reset_secs, retry_after_secs: reset_secs };
                b.observe(&rate, now);
            }
            for at in [now, now.checked_add(Duration::from_millis(later % 1_000_000_000)).unwrap_or(now)] {
                match b.pace(in_flight, at, cap) {
                    Pace::Go => {}
                    Pace::Until(until) => {
                        prop_assert!(until.saturating_duration_since(at) <= cap);
                    }
                    Pace::TooLong { asked_secs } => {
                        prop_assert!(u128::from(asked_secs) * 1000 + 1000 > cap.as_millis());
                    }
                }
            }
        }
    }

    #[test]
    fn a_reset_beyond_the_cap_is_too_long_and_never_overflows() {
        let now = Instant::now();
        let cap = Duration::from_secs(2);
        for reset in [u64::MAX, i64::MAX as u64, 999_999, 3] {
            let mut b = Budget::default();
            b.observe(
                &RateLimit {
                    limit: None,
                    remaining: Some(0),
                    reset_secs: Some(reset),
                    retry_after_secs: None,
                },
                now,
            );
            let Pace::TooLong { asked_secs } = b.pace(0, now, cap) else {
                panic!("too long for {reset}")
            };
            assert_eq!(asked_secs, reset, "the server's own number");
        }
        let mut b = Budget::default();
        let rate = RateLimit {
            remaining: Some(0),
            reset_secs: Some(0),
            ..RateLimit::default()
        };
        b.observe(&rate, now);
        assert_eq!(b.pace(0, now, cap), Pace::Go, "a window that reset already");
    }
}
