//! Figures over the rows a filter passes: how they ended, by status; when, minute by
//! minute; and how long sending took, per target. Each store hands over grouped counts
//! and latencies and this file folds them, so every store reports the same figures.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

use super::HistoryRow;
use crate::domain::{FailureKind, OutcomeKind};

/// How long a timeline's bucket lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    Minute,
    Hour,
}

impl Per {
    /// Per minute while the rows span at most this long; per hour beyond.
    pub const MINUTES_UP_TO: Duration = Duration::hours(3);

    pub fn name(self) -> &'static str {
        match self {
            Per::Minute => "minute",
            Per::Hour => "hour",
        }
    }

    pub fn length(self) -> Duration {
        match self {
            Per::Minute => Duration::minutes(1),
            Per::Hour => Duration::hours(1),
        }
    }

    /// The other one.
    pub fn toggled(self) -> Per {
        match self {
            Per::Minute => Per::Hour,
            Per::Hour => Per::Minute,
        }
    }
}

/// How a row ended, as its status column tells it: the final status code, else why no
/// response came, else whether it was sent at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Answer {
    /// The final response's status code.
    pub status: Option<u16>,
    /// Why no response came (only without a status).
    pub failure: Option<FailureKind>,
    /// The outcome recorded; `None` while in flight or when the console stopped first.
    pub outcome: Option<OutcomeKind>,
    /// Whether sending started.
    pub sent: bool,
}

impl Answer {
    /// The answer of a row as stored, the failure left out where a status is known.
    pub fn new(
        status: Option<u16>,
        failure: Option<FailureKind>,
        outcome: Option<OutcomeKind>,
        sent: bool,
    ) -> Answer {
        Answer {
            status,
            failure: failure.filter(|_| status.is_none()),
            outcome,
            sent,
        }
    }

    pub fn of(row: &HistoryRow) -> Answer {
        Answer::new(row.status, row.failure, row.outcome, row.dispatched())
    }

    /// What the figures call it: `503`, `timed out`, `no outcome`, `never sent`.
    pub fn label(&self) -> String {
        match (self.status, self.failure, self.outcome) {
            (Some(status), _, _) => status.to_string(),
            (None, Some(failure), _) => failure.label().to_string(),
            (None, None, Some(outcome)) => outcome.label().to_string(),
            (None, None, None) if self.sent => "no outcome".to_string(),
            (None, None, None) => "never sent".to_string(),
        }
    }

    /// Listing order: status codes, then failures, then rows without an outcome.
    fn rank(&self) -> (u8, u16, Option<FailureKind>, Option<OutcomeKind>) {
        let group = match (self.status, self.failure, self.outcome) {
            (Some(_), _, _) => 0,
            (None, Some(_), _) => 1,
            (None, None, Some(_)) => 2,
            (None, None, None) if self.sent => 3,
            (None, None, None) => 4,
        };
        (group, self.status.unwrap_or(0), self.failure, self.outcome)
    }
}

impl PartialOrd for Answer {
    fn partial_cmp(&self, other: &Answer) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Answer {
    fn cmp(&self, other: &Answer) -> std::cmp::Ordering {
        self.rank()
            .cmp(&other.rank())
            .then(self.sent.cmp(&other.sent))
    }
}

/// Rows that ended one way, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerCount {
    pub answer: Answer,
    pub rows: usize,
}

/// One stretch of the timeline: the rows listed in it (sent then, or recorded then if
/// never sent), by answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub counts: Vec<AnswerCount>,
}

impl Bucket {
    pub fn rows(&self) -> usize {
        self.counts.iter().map(|c| c.rows).sum()
    }

    /// Rows that ended without initiating.
    pub fn errors(&self) -> usize {
        self.counts
            .iter()
            .filter(|c| {
                c.answer
                    .outcome
                    .is_some_and(|o| o != OutcomeKind::Initiated)
            })
            .map(|c| c.rows)
            .sum()
    }

    /// Rows without an outcome: queued, in flight, or cut off before their answer.
    pub fn pending(&self) -> usize {
        self.counts
            .iter()
            .filter(|c| c.answer.outcome.is_none())
            .map(|c| c.rows)
            .sum()
    }
}

/// How long the requests to one target took to be answered (or to fail): each attempt
/// apart, a retry being a request of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetLatency {
    pub target: String,
    pub requests: usize,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
}

impl TargetLatency {
    /// The figures of `sorted` (ascending; empty gives none).
    pub fn of(target: &str, sorted: &[u64]) -> Option<TargetLatency> {
        Some(TargetLatency {
            target: target.to_string(),
            requests: sorted.len(),
            p50_ms: percentile(sorted, 50)?,
            p95_ms: percentile(sorted, 95)?,
            p99_ms: percentile(sorted, 99)?,
            max_ms: *sorted.last()?,
        })
    }
}

/// The nearest-rank percentile of ascending `sorted`: the smallest value at least `p`% of
/// the values are at or below (what PostgreSQL's `percentile_disc` gives).
pub fn percentile(sorted: &[u64], p: u32) -> Option<u64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = usize::try_from(p.min(100)).unwrap_or(100);
    let rank = (n.saturating_mul(p).div_ceil(100)).clamp(1, n);
    sorted.get(rank - 1).copied()
}

/// The figures over the rows a filter passes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistoryStats {
    pub rows: usize,
    /// How the rows ended, in listing order (see [`Answer`]).
    pub by_answer: Vec<AnswerCount>,
    /// Minute by minute, oldest first; minutes without rows left out.
    pub minutes: Vec<Bucket>,
    /// Per target, by name.
    pub latency: Vec<TargetLatency>,
}

impl HistoryStats {
    /// The first and last minute holding rows.
    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((self.minutes.first()?.start, self.minutes.last()?.start))
    }

    /// Per minute over a short span, per hour over a longer one.
    pub fn auto_per(&self) -> Per {
        match self.span() {
            Some((first, last)) if last - first > Per::MINUTES_UP_TO => Per::Hour,
            _ => Per::Minute,
        }
    }

    /// Whether the timeline per `per` shows every stretch from the first row's to the
    /// last's, those without rows too; over a span of more than [`FILL_UP_TO`] stretches,
    /// those without rows are left out.
    pub fn fills_gaps(&self, per: Per) -> bool {
        self.span().is_none_or(|(first, last)| {
            let stretches = (truncate(last, per) - truncate(first, per)).num_seconds()
                / per.length().num_seconds().max(1);
            stretches < FILL_UP_TO
        })
    }

    /// The timeline per minute or per hour, oldest first, its hours those of the clock
    /// `offset` gives (seconds east of UTC at an instant: [`utc`], or the operator's
    /// zone); see [`HistoryStats::fills_gaps`].
    pub fn timeline(&self, per: Per, offset: &dyn Fn(DateTime<Utc>) -> i32) -> Vec<Bucket> {
        let mut stretches: BTreeMap<DateTime<Utc>, BTreeMap<Answer, usize>> = BTreeMap::new();
        for minute in &self.minutes {
            let shift = Duration::seconds(i64::from(offset(minute.start)));
            let start = truncate(minute.start + shift, per) - shift;
            let slot = stretches.entry(start).or_default();
            for c in &minute.counts {
                let n = slot.entry(c.answer).or_default();
                *n = n.saturating_add(c.rows);
            }
        }
        if self.fills_gaps(per)
            && let (Some(first), Some(last)) = (
                stretches.keys().next().copied(),
                stretches.keys().next_back().copied(),
            )
        {
            let mut at = first;
            while at < last {
                stretches.entry(at).or_default();
                at += per.length();
            }
        }
        stretches
            .into_iter()
            .map(|(start, counts)| Bucket {
                start,
                counts: listed(counts),
            })
            .collect()
    }
}

/// The most stretches a timeline shows with those without rows.
pub const FILL_UP_TO: i64 = 1_440;

/// UTC's clock: no offset.
pub fn utc(_: DateTime<Utc>) -> i32 {
    0
}

/// The start of the minute or hour holding `at`.
pub fn truncate(at: DateTime<Utc>, per: Per) -> DateTime<Utc> {
    at.duration_trunc(per.length()).unwrap_or(at)
}

fn listed(counts: BTreeMap<Answer, usize>) -> Vec<AnswerCount> {
    counts
        .into_iter()
        .map(|(answer, rows)| AnswerCount { answer, rows })
        .collect()
}

/// Gathers what a store reads, in any order, into [`HistoryStats`].
#[derive(Debug, Default)]
pub struct StatsBuilder {
    minutes: BTreeMap<DateTime<Utc>, BTreeMap<Answer, usize>>,
    latencies: BTreeMap<String, Vec<u64>>,
    figured: Vec<TargetLatency>,
}

impl StatsBuilder {
    /// `rows` rows listed at `at` that ended as `answer`.
    pub fn count(&mut self, at: DateTime<Utc>, answer: Answer, rows: usize) {
        let n = self
            .minutes
            .entry(truncate(at, Per::Minute))
            .or_default()
            .entry(answer)
            .or_default();
        *n = n.saturating_add(rows);
    }

    /// A request's latency (one attempt), on `target`.
    pub fn latency(&mut self, target: &str, ms: u64) {
        match self.latencies.get_mut(target) {
            Some(v) => v.push(ms),
            None => {
                self.latencies.insert(target.to_string(), vec![ms]);
            }
        }
    }

    /// A target's figures, worked out by the store itself.
    pub fn target_latency(&mut self, figures: TargetLatency) {
        self.figured.push(figures);
    }

    /// A whole row (for stores that read rows one by one), without its requests.
    pub fn row(&mut self, row: &HistoryRow) {
        self.count(row.listed_at(), Answer::of(row), 1);
    }

    pub fn finish(self) -> HistoryStats {
        let mut by_answer: BTreeMap<Answer, usize> = BTreeMap::new();
        for counts in self.minutes.values() {
            for (answer, n) in counts {
                let total = by_answer.entry(*answer).or_default();
                *total = total.saturating_add(*n);
            }
        }
        let mut latency = self.figured;
        for (target, mut values) in self.latencies {
            values.sort_unstable();
            latency.extend(TargetLatency::of(&target, &values));
        }
        latency.sort_by(|a, b| a.target.cmp(&b.target));
        HistoryStats {
            rows: by_answer.values().fold(0, |a, n| a.saturating_add(*n)),
            by_answer: listed(by_answer),
            minutes: self
                .minutes
                .into_iter()
                .map(|(start, counts)| Bucket {
                    start,
                    counts: listed(counts),
                })
                .collect(),
            latency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn answer(status: u16, outcome: OutcomeKind) -> Answer {
        Answer::new(Some(status), None, Some(outcome), true)
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 95), Some(95));
        assert_eq!(percentile(&v, 99), Some(99));
        assert_eq!(percentile(&[7], 99), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 95), Some(4));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn answers_list_statuses_then_failures_then_rows_without_outcome() {
        let mut all = [
            Answer::new(None, None, None, false),
            Answer::new(None, None, None, true),
            Answer::new(
                None,
                Some(FailureKind::Timeout),
                Some(OutcomeKind::Unknown),
                true,
            ),
            answer(503, OutcomeKind::Transient),
            answer(201, OutcomeKind::Initiated),
        ];
        all.sort();
        let labels: Vec<String> = all.iter().map(Answer::label).collect();
        assert_eq!(
            labels,
            ["201", "503", "timed out", "no outcome", "never sent"]
        );
        // A status says it all: a failure beside it is not another answer.
        assert_eq!(
            Answer::new(Some(503), Some(FailureKind::Timeout), None, true),
            Answer::new(Some(503), None, None, true)
        );
    }

    #[test]
    fn counts_fold_into_minutes_hours_and_answers() {
        let mut b = StatsBuilder::default();
        let ok = answer(201, OutcomeKind::Initiated);
        let busy = answer(503, OutcomeKind::Transient);
        b.count(at("2026-11-28T14:01:59.999Z"), ok, 3);
        b.count(at("2026-11-28T14:02:00Z"), busy, 2);
        b.count(at("2026-11-28T14:02:30Z"), ok, 1);
        b.count(at("2026-11-28T15:10:00Z"), busy, 4);
        let stats = b.finish();
        assert_eq!(stats.rows, 10);
        assert_eq!(
            stats.by_answer,
            vec![
                AnswerCount {
                    answer: ok,
                    rows: 4
                },
                AnswerCount {
                    answer: busy,
                    rows: 6
                }
            ]
        );
        let minutes: Vec<(String, usize, usize)> = stats
            .timeline(Per::Minute, &utc)
            .iter()
            .map(|m| (m.start.format("%H:%M").to_string(), m.rows(), m.errors()))
            .collect();
        assert_eq!(
            minutes[..3],
            [
                ("14:01".to_string(), 3, 0),
                ("14:02".to_string(), 3, 2),
                ("14:03".to_string(), 0, 0)
            ]
        );
        // Every minute from the first row's to the last's, those without rows too.
        assert_eq!(minutes.len(), 70);
        assert_eq!(minutes[69], ("15:10".to_string(), 4, 4));
        assert_eq!(stats.minutes.len(), 3, "kept: minutes with rows");
        let hours: Vec<(String, usize)> = stats
            .timeline(Per::Hour, &utc)
            .iter()
            .map(|h| (h.start.format("%H:%M").to_string(), h.rows()))
            .collect();
        assert_eq!(hours, [("14:00".to_string(), 6), ("15:00".to_string(), 4)]);
        assert_eq!(stats.auto_per(), Per::Minute);
    }

    #[test]
    fn a_long_span_reads_per_hour() {
        let mut b = StatsBuilder::default();
        let ok = answer(201, OutcomeKind::Initiated);
        b.count(at("2026-11-28T10:00:00Z"), ok, 1);
        b.count(at("2026-11-28T13:01:00Z"), ok, 1);
        let stats = b.finish();
        assert_eq!(stats.auto_per(), Per::Hour);
        assert_eq!(HistoryStats::default().auto_per(), Per::Minute);
        assert_eq!(stats.timeline(Per::Minute, &utc).len(), 182);
        // Over more than a day of minutes, those without rows are left out.
        let mut b = StatsBuilder::default();
        b.count(
            at("2026-11-27T10:00:00Z"),
            answer(201, OutcomeKind::Initiated),
            1,
        );
        b.count(
            at("2026-11-28T10:00:00Z"),
            answer(201, OutcomeKind::Initiated),
            1,
        );
        let stats = b.finish();
        assert!(!stats.fills_gaps(Per::Minute) && stats.fills_gaps(Per::Hour));
        assert_eq!(stats.timeline(Per::Minute, &utc).len(), 2);
        assert_eq!(stats.timeline(Per::Hour, &utc).len(), 25);
    }

    #[test]
    fn latency_is_figured_per_target_and_saturates() {
        let mut b = StatsBuilder::default();
        for ms in [30, 10, 20, u64::MAX] {
            b.latency("b", ms);
        }
        b.latency("a", 5);
        b.count(
            at("2026-11-28T10:00:00Z"),
            answer(201, OutcomeKind::Initiated),
            usize::MAX,
        );
        b.count(
            at("2026-11-28T10:00:00Z"),
            answer(503, OutcomeKind::Transient),
            5,
        );
        let stats = b.finish();
        assert_eq!(stats.rows, usize::MAX);
        let names: Vec<&str> = stats.latency.iter().map(|t| t.target.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let b = &stats.latency[1];
        assert_eq!((b.requests, b.p50_ms, b.max_ms), (4, 20, u64::MAX));
    }
}
