//! A batch run second by second, for the batch screen's sparklines: how many rows went
//! out each second, and how long each second's answers took. Only the last
//! [`KEEP_SECONDS`] are kept (more than any screen is wide); the latency percentiles
//! cover the whole run.

use std::collections::{BTreeMap, VecDeque};

/// Seconds kept for the sparklines.
pub const KEEP_SECONDS: usize = 600;

/// One second of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Second {
    sent: u64,
    latency_total: u64,
    answers: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendTrace {
    /// The run's second `seconds[0]` is.
    first: u64,
    seconds: VecDeque<Second>,
    /// Every answer's latency (ms) and how many took it: percentiles without sorting.
    latencies: BTreeMap<u64, u64>,
    answered: u64,
}

impl SendTrace {
    /// The slot of the run's `second`, made if needed; `None` for a second already
    /// dropped.
    fn slot(&mut self, second: u64) -> Option<&mut Second> {
        let index = usize::try_from(second.checked_sub(self.first)?).ok()?;
        if index >= KEEP_SECONDS {
            // Slide the window so `second` is its last slot.
            let drop = (index + 1 - KEEP_SECONDS).min(self.seconds.len());
            self.seconds.drain(..drop);
            self.first = second.saturating_add(1).saturating_sub(KEEP_SECONDS as u64);
            self.seconds.truncate(KEEP_SECONDS - 1);
        }
        let index = usize::try_from(second - self.first).ok()?;
        while self.seconds.len() <= index {
            self.seconds.push_back(Second::default());
        }
        self.seconds.get_mut(index)
    }

    /// A row went out in the run's `second`.
    pub fn sent(&mut self, second: u64) {
        if let Some(s) = self.slot(second) {
            s.sent = s.sent.saturating_add(1);
        }
    }

    /// An answer (or a failure) after `latency_ms`, noted in the run's `second`.
    pub fn answered(&mut self, second: u64, latency_ms: u64) {
        if let Some(s) = self.slot(second) {
            s.latency_total = s.latency_total.saturating_add(latency_ms);
            s.answers = s.answers.saturating_add(1);
        }
        let n = self.latencies.entry(latency_ms).or_default();
        *n = n.saturating_add(1);
        self.answered = self.answered.saturating_add(1);
    }

    /// The `n` seconds up to and including the run's `now`, oldest first: what `pick`
    /// takes of each (zero for seconds with nothing, or dropped).
    fn last<T: Default>(&self, now: u64, n: usize, pick: impl Fn(&Second) -> T) -> Vec<T> {
        let Some(back) = n.checked_sub(1) else {
            return Vec::new();
        };
        let from = now.saturating_sub(u64::try_from(back).unwrap_or(u64::MAX));
        (from..=now)
            .map(|second| {
                second
                    .checked_sub(self.first)
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| self.seconds.get(i))
                    .map_or_else(T::default, &pick)
            })
            .collect()
    }

    /// Rows sent in each of the last `n` seconds up to `now`.
    pub fn sent_per_second(&self, now: u64, n: usize) -> Vec<u64> {
        self.last(now, n, |s| s.sent)
    }

    /// The mean latency (ms) of each of the last `n` seconds' answers up to `now`; none
    /// for a second without answers.
    pub fn latency_per_second(&self, now: u64, n: usize) -> Vec<Option<u64>> {
        self.last(now, n, |s| s.latency_total.checked_div(s.answers))
    }

    /// The nearest-rank percentile of every answer's latency so far.
    pub fn latency_percentile(&self, p: u64) -> Option<u64> {
        if self.answered == 0 {
            return None;
        }
        let rank = self
            .answered
            .saturating_mul(p.min(100))
            .div_ceil(100)
            .max(1);
        let mut seen = 0u64;
        self.latencies.iter().find_map(|(ms, n)| {
            seen = seen.saturating_add(*n);
            (seen >= rank).then_some(*ms)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_count_rows_and_average_latency() {
        let mut t = SendTrace::default();
        t.sent(0);
        t.sent(0);
        t.sent(2);
        t.answered(0, 100);
        t.answered(0, 300);
        t.answered(2, 50);
        // Nothing before the run's first second.
        assert_eq!(t.sent_per_second(2, 4), [2, 0, 1]);
        assert_eq!(t.sent_per_second(2, 2), [0, 1]);
        assert!(t.sent_per_second(2, 0).is_empty());
        assert_eq!(t.latency_per_second(2, 3), [Some(200), None, Some(50)]);
        assert_eq!(t.latency_percentile(50), Some(100));
        assert_eq!(t.latency_percentile(95), Some(300));
        assert_eq!(SendTrace::default().latency_percentile(50), None);
    }

    #[test]
    fn a_long_run_keeps_its_last_seconds_and_every_latency() {
        let mut t = SendTrace::default();
        for second in 0..2_000u64 {
            t.sent(second);
            t.answered(second, second);
        }
        assert_eq!(t.seconds.len(), KEEP_SECONDS);
        assert_eq!(t.sent_per_second(1_999, 3), [1, 1, 1]);
        assert_eq!(t.latency_per_second(1_999, 2), [Some(1_998), Some(1_999)]);
        // A second already dropped counts nothing, and is not kept again.
        t.sent(5);
        assert_eq!(t.sent_per_second(5, 1), [0]);
        assert_eq!(t.latency_percentile(50), Some(999));
        // A second far ahead slides the window past everything kept.
        t.sent(u64::MAX);
        assert_eq!(t.sent_per_second(u64::MAX, 2), [0, 1]);
    }
}
