//! One pace shared by every clone of a client: requests take turns (first come, first
//! served), each waits for its point of the [`Pacer`]'s grid, and every answer is taken in
//! as it comes. No wait here is longer than the caller's `max_wait`: a send the pace would
//! hold longer goes at once and the server answers for itself.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::exchange::AttemptResult;
use super::pacer::{Answer, Gate, Outlook, Pacer, Sent};
use super::ratelimit::read_rate_headers;
use super::retry::parse_retry_after;

/// The pace of a client and its clones.
#[derive(Debug)]
pub struct Pace {
    pacer: Mutex<Pacer>,
    /// Held from a request's turn until it is on its way: one at a time, in order.
    turn: tokio::sync::Mutex<()>,
    /// Bumped whenever something is learned, so waiting turns look again.
    learned: watch::Sender<u64>,
}

/// A request's turn to go. [`Permit::send`] when it is about to leave; dropped without
/// that, nothing was sent and the pace is as before.
#[derive(Debug)]
pub struct Permit<'a> {
    pace: &'a Pace,
    /// `None` when the wait was cancelled: sending then records nothing.
    turn: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl Permit<'_> {
    /// The request leaves now: the next one is spaced from here.
    pub fn send(self) -> Option<Sent> {
        self.turn.as_ref()?;
        Some(self.pace.lock().sent(Instant::now()))
    }
}

impl Pace {
    /// A pace for a profile allowing itself `per_minute` requests a minute, if it says,
    /// whose requests are given up after `timeout`.
    pub fn new(per_minute: Option<u32>, timeout: Duration) -> Pace {
        Pace {
            pacer: Mutex::new(Pacer::new(per_minute).with_timeout(timeout)),
            turn: tokio::sync::Mutex::new(()),
            learned: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pacer> {
        // A panic elsewhere while holding it leaves numbers that are still usable.
        self.pacer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What a batch should do before its next row (see [`Pacer::outlook`]).
    pub fn outlook(&self, max_wait: Duration) -> Outlook {
        self.lock().outlook(Instant::now(), max_wait)
    }

    /// The pace as it stands, to look at.
    pub fn snapshot(&self) -> Pacer {
        self.lock().clone()
    }

    /// Waits for this request's turn and its point on the grid, at most `max_wait` once
    /// its turn has come. Cancelling returns at once with a permit that sends nothing.
    pub async fn acquire(&self, max_wait: Duration, cancel: &CancellationToken) -> Permit<'_> {
        let inert = Permit {
            pace: self,
            turn: None,
        };
        let turn = tokio::select! {
            biased;
            () = cancel.cancelled() => return inert,
            turn = self.turn.lock() => turn,
        };
        let mut learned = self.learned.subscribe();
        let started = Instant::now();
        let deadline = started.checked_add(max_wait);
        loop {
            learned.borrow_and_update();
            let now = Instant::now();
            let wake = match self.lock().gate(now) {
                Gate::Go => break,
                // Longer than allowed: go now, and let the server answer.
                Gate::Until(at) if deadline.is_some_and(|d| at > d) => break,
                Gate::Until(at) => Some(at),
                Gate::Learning => deadline,
            };
            if deadline.is_some_and(|d| now >= d) {
                break;
            }
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => futures::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => return inert,
                _ = learned.changed() => {}
                () = sleep => {}
            }
        }
        Permit {
            pace: self,
            turn: Some(turn),
        }
    }

    /// Takes in how a request sent as `sent` ended.
    pub fn settle(&self, sent: Option<Sent>, result: &AttemptResult) {
        let Some(sent) = sent else { return };
        let now = Instant::now();
        match result {
            AttemptResult::Response(r) => {
                let unix = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let rate = read_rate_headers(&r.headers, unix);
                let retry_after = r
                    .header("retry-after")
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let answer = Answer {
                    status: r.status,
                    rate: &rate,
                    retry_after,
                };
                self.lock().answered(sent, answer, now);
            }
            AttemptResult::Failed { .. } => self.lock().failed(sent, now),
        }
        self.learned.send_modify(|n| *n = n.wrapping_add(1));
    }
}
