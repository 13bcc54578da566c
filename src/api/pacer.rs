//! The pace of sending, as plain arithmetic on instants (tests drive it with a fake clock).
//!
//! Requests go evenly spaced at the rate the policy allows, never in bursts: the policy is
//! the profile's `rate_limit_per_minute` and the quotas the server names in its headers
//! (the tightest binds). The spacing keeps a small margin (a quarter of a percent of the
//! window, at least [`MIN_MARGIN`]) so that however the server counts (a fixed window, a
//! sliding one, a token bucket) the next window's first request lands after the last
//! one's end. Sends are kept on an even grid, so small delays in sending (a timer's tick,
//! a history write) never add up. And no request goes sooner than a window after the
//! answer to the one a limit's worth before it: that one was counted before it was
//! answered, so however late it went or long it took to arrive, the server's window has
//! moved past it (a request still out counts as answered when the client would give up).
//!
//! While nothing is known (no profile limit, no answer yet), one request goes alone and its
//! answer teaches the policy before the rest go. The server's budget corrects the pace: a
//! budget used up earlier than the pace explains holds every send until the server's
//! reset; a server that names no quota is paced by spreading what it has left over the
//! time to its reset. A 429 holds every send for its `Retry-After` and slows the pace,
//! which recovers after a run of answers without one. Every number from a server
//! saturates; waits are bounded by the caller (see [`Pacer::outlook`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::ratelimit::{Quota, RateHeaders};
use super::retry::ceil_secs;

/// The least margin kept per window, whatever its length: room for a timer's tick and a
/// request's way to a server on the same network, so that the rule of a window after an
/// answer seldom has to wait (it keeps the pace safe whatever the drift).
pub const MIN_MARGIN: Duration = Duration::from_millis(5);
/// The margin as a fraction of the window: 1/400, a quarter of a percent.
const MARGIN_DIVISOR: u32 = 400;
/// The longest span kept as an instant; anything longer is beyond every wait allowed.
const MAX_SPAN: Duration = Duration::from_secs(366 * 86_400);
/// How much each 429 slows the pace, and the most it is slowed.
const SLOW_STEP: f64 = 1.25;
const MAX_SLOW: f64 = 16.0;
/// Answers without a 429 after which a slowed pace halves its slowing.
const RECOVER_AFTER: u32 = 40;
/// The most sends remembered to keep a window's distance from (a limit larger than this
/// is kept by the grid alone).
const MAX_LOG: usize = 100_000;

/// The spacing that keeps to `quota` with the margin.
pub fn spacing(quota: &Quota) -> Duration {
    let margin = (quota.window / MARGIN_DIVISOR).max(MIN_MARGIN);
    let span = quota.window.saturating_add(margin).min(MAX_SPAN);
    let nanos = span.as_nanos() / u128::from(quota.limit.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// How long a request may be out unless told (see [`Pacer::with_timeout`]).
const UNANSWERED: Duration = Duration::from_secs(30);
/// Added to a window after an answer, for the ticks of two clocks.
const TICK: Duration = Duration::from_millis(1);

/// Whether a request may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Go,
    /// Not before then.
    Until(Instant),
    /// The policy is unknown and a request is out to learn it: wait for its answer.
    Learning,
}

/// What a batch should do before its next row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outlook {
    Go,
    /// Hold dispatch until then: the server's budget is used up, or it asked to wait.
    Hold {
        until: Instant,
        why: HoldReason,
    },
    /// The wait is longer than allowed: `asked_secs`, in the server's own number.
    TooLong {
        asked_secs: u64,
    },
}

/// Why sending is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    /// The budget the server reported is used up until its reset.
    Budget,
    /// A 429 asked to wait.
    TooMany,
}

/// A hold the server asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hold {
    until: Instant,
    why: HoldReason,
    /// The server's number, and when it said it.
    asked_secs: u64,
    said: Instant,
}

/// A request sent: its number among all sent, and when it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub seq: u64,
    pub at: Instant,
}

/// A request sent, and when its answer (or failure) came.
#[derive(Debug, Clone, Copy)]
struct Mark {
    sent: Sent,
    answered: Option<Instant>,
}

/// An answer to a request sent.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub status: u16,
    pub rate: &'a RateHeaders,
    /// `Retry-After`, read.
    pub retry_after: Option<Duration>,
}

/// The pace of one client: what is known of the policy, and when the next request may go.
#[derive(Debug, Clone)]
pub struct Pacer {
    /// The profile's own limit.
    profile: Option<Quota>,
    /// The quotas the server named last.
    server: Vec<Quota>,
    /// Spacing from the server's budget alone, when it names no quota.
    spread: Option<Duration>,
    /// Spacing learned from 429s, when nothing else is known.
    learned: Option<Duration>,
    /// Some answer came: the policy is as known as it will be.
    answered: bool,
    /// A request is out while nothing is known.
    probing: bool,
    /// The next point of the grid.
    next_at: Option<Instant>,
    /// The last requests sent, newest last.
    log: VecDeque<Mark>,
    /// The longest a request may be out before the client gives up on it.
    timeout: Duration,
    hold: Option<Hold>,
    /// Requests sent so far.
    sent: u64,
    /// The newest request whose answer's budget was taken in.
    newest: Option<u64>,
    /// The first send since the pace was last held, and the sends since: what a 429
    /// proves too fast when nothing else is known.
    run: Option<(Instant, u64)>,
    /// The pace is slowed by this factor (1 or more) after 429s.
    slow: f64,
    calm: u32,
}

impl Pacer {
    /// A pace for a profile allowing itself `per_minute` requests a minute, if it says.
    pub fn new(per_minute: Option<u32>) -> Pacer {
        Pacer {
            profile: per_minute.and_then(Quota::per_minute),
            server: Vec::new(),
            spread: None,
            learned: None,
            answered: false,
            probing: false,
            next_at: None,
            log: VecDeque::new(),
            timeout: UNANSWERED,
            hold: None,
            sent: 0,
            newest: None,
            run: None,
            slow: 1.0,
            calm: 0,
        }
    }

    /// A pace for a client that gives up on a request after `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Pacer {
        self.timeout = timeout;
        self
    }

    /// The quota that binds: the one whose spacing is the longest.
    fn binding(&self) -> Option<Quota> {
        self.profile
            .iter()
            .chain(self.server.iter())
            .copied()
            .max_by_key(spacing)
    }

    /// True when a quota is known (from the profile or the server).
    pub fn knows_policy(&self) -> bool {
        self.binding().is_some()
    }

    /// The spacing between two requests now, if the pace has one.
    pub fn interval(&self) -> Option<Duration> {
        let base = match self.binding() {
            Some(quota) => spacing(&quota),
            None => self.spread.or(self.learned)?,
        };
        Some(base.mul_f64(self.slow).min(MAX_SPAN))
    }

    /// Whether a request may go at `now`.
    pub fn gate(&self, now: Instant) -> Gate {
        if self.probing && !self.answered && self.profile.is_none() {
            return Gate::Learning;
        }
        let hold = self.hold.map(|h| h.until);
        match hold
            .into_iter()
            .chain(self.next_at)
            .chain(self.apart())
            .max()
        {
            Some(at) if at > now => Gate::Until(at),
            _ => Gate::Go,
        }
    }

    /// The earliest the next request goes a window after the answer to the one a limit's
    /// worth before it; for a bucket with no burst, its spacing after the last answer.
    fn apart(&self) -> Option<Instant> {
        let quota = self.binding()?;
        let mut spans = vec![(quota.limit, quota.window)];
        if quota.burst == Some(1) {
            spans.push((
                1,
                quota.window / u32::try_from(quota.limit).unwrap_or(u32::MAX),
            ));
        }
        spans
            .into_iter()
            .filter_map(|(limit, window)| {
                let back = usize::try_from(limit)
                    .ok()
                    .filter(|n| *n <= self.log.len())?;
                let mark = self.log.get(self.log.len() - back)?;
                let counted_by = mark
                    .answered
                    .unwrap_or_else(|| later(mark.sent.at, self.timeout));
                Some(later(counted_by, window.saturating_add(TICK)))
            })
            .max()
    }

    /// What a batch should do before sending another row, waiting at most `max_wait`.
    /// The spacing between rows is the client's to keep; this tells of the longer waits.
    pub fn outlook(&self, now: Instant, max_wait: Duration) -> Outlook {
        if let Some(hold) = self.hold.filter(|h| h.until > now) {
            if hold.until.saturating_duration_since(now) > max_wait {
                let said_ago = now.saturating_duration_since(hold.said).as_secs();
                return Outlook::TooLong {
                    asked_secs: hold.asked_secs.saturating_sub(said_ago),
                };
            }
            return Outlook::Hold {
                until: hold.until,
                why: hold.why,
            };
        }
        match self.interval() {
            Some(interval) if interval > max_wait => Outlook::TooLong {
                asked_secs: ceil_secs(interval),
            },
            _ => Outlook::Go,
        }
    }

    /// A request goes at `now`.
    pub fn sent(&mut self, now: Instant) -> Sent {
        let seq = self.sent;
        self.sent = self.sent.saturating_add(1);
        if !self.answered {
            self.probing = true;
        }
        if self.hold.is_some_and(|h| h.until <= now) {
            self.hold = None;
        }
        self.run = match self.run {
            Some((first, n)) => Some((first, n.saturating_add(1))),
            None => Some((now, 1)),
        };
        self.next_at = self.interval().map(|interval| {
            // On the grid, unless a whole interval behind it (after a hold, or idle).
            let base = match self.next_at {
                Some(at) if now < later(at, interval) => at,
                _ => now,
            };
            // However many went early (waits too long are not waited), never beyond reach.
            later(base, interval).min(later(now, MAX_SPAN))
        });
        let keep = self
            .binding()
            .and_then(|q| usize::try_from(q.limit).ok())
            .unwrap_or(1)
            .clamp(1, MAX_LOG);
        let sent = Sent { seq, at: now };
        self.log.push_back(Mark {
            sent,
            answered: None,
        });
        while self.log.len() > keep {
            self.log.pop_front();
        }
        sent
    }

    /// A request sent as `sent` got no answer by `now` (a failure on the way, or
    /// cancelled): it may have been counted until then.
    pub fn failed(&mut self, sent: Sent, now: Instant) {
        self.mark(sent, now);
        if !self.answered {
            self.probing = false;
        }
    }

    /// Notes when the request sent as `sent` ended.
    fn mark(&mut self, sent: Sent, now: Instant) {
        let first = self.log.front().map_or(0, |m| m.sent.seq);
        let index = sent
            .seq
            .checked_sub(first)
            .and_then(|i| usize::try_from(i).ok());
        if let Some(mark) = index.and_then(|i| self.log.get_mut(i))
            && mark.sent == sent
        {
            mark.answered = Some(now);
        }
    }

    /// A request sent as `sent` was answered at `now`.
    pub fn answered(&mut self, sent: Sent, answer: Answer<'_>, now: Instant) {
        self.mark(sent, now);
        self.answered = true;
        self.probing = false;
        let rate = answer.rate;
        if !rate.quotas.is_empty() {
            self.server = rate.quotas.clone();
        }
        if self.newest.is_none_or(|n| sent.seq > n) {
            self.newest = Some(sent.seq);
            self.budget(sent, rate, now);
        }
        if self.next_at.is_none() {
            // A pace just learnt spaces the next request from the last one.
            let last = self.log.back().map(|m| m.sent.at);
            self.next_at = last.zip(self.interval()).map(|(at, i)| later(at, i));
        }
        if answer.status == 429 {
            self.too_many(answer, now);
        } else {
            self.calm = self.calm.saturating_add(1);
            if self.calm >= RECOVER_AFTER && self.slow > 1.0 {
                self.slow = (1.0 + (self.slow - 1.0) / 2.0).max(1.0);
                if self.slow < 1.01 {
                    self.slow = 1.0;
                }
                self.calm = 0;
            }
        }
    }

    /// Takes in the budget an answer reported: `remaining` left after it, more from
    /// `reset` seconds on (rounded up: the reset lies within the second before).
    fn budget(&mut self, sent: Sent, rate: &RateHeaders, now: Instant) {
        let (Some(remaining), Some(reset)) = (rate.remaining, rate.reset_secs) else {
            return;
        };
        // Requests sent after this one spend the same budget.
        let after = self.sent.saturating_sub(sent.seq).saturating_sub(1);
        let left = remaining.saturating_sub(after);
        let reset_at = later(now, Duration::from_secs(reset));
        if left == 0 {
            // The earliest the reset can be: counted when the request arrived, rounded up.
            let earliest = later(sent.at, Duration::from_secs(reset.saturating_sub(1)));
            let next = self.next_at.unwrap_or(now);
            if reset > 0 && (self.binding().is_none() || earliest > next) {
                // Used up before the pace says it would be (or no pace to trust): wait
                // for the reset, surely past.
                self.hold_until(reset_at, HoldReason::Budget, reset, now);
            }
        } else if self.binding().is_none() {
            let over = reset_at.saturating_duration_since(now);
            let parts = u32::try_from(left.saturating_add(1)).unwrap_or(u32::MAX);
            self.spread = Some(over / parts);
        }
    }

    /// A 429: hold every send for what it asked, and slow the pace.
    fn too_many(&mut self, answer: Answer<'_>, now: Instant) {
        let rate = answer.rate;
        let asked = answer
            .retry_after
            .or_else(|| {
                (rate.remaining == Some(0))
                    .then_some(rate.reset_secs)
                    .flatten()
                    .map(Duration::from_secs)
            })
            .unwrap_or(Duration::from_secs(1));
        if self.binding().is_none()
            && self.spread.is_none()
            && let Some((first, n)) = self.run
        {
            // Nothing else known: what was sent since the last hold was too fast.
            let took = now.saturating_duration_since(first);
            self.learned = Some(
                self.learned
                    .unwrap_or(took / u32::try_from(n.max(1)).unwrap_or(u32::MAX)),
            );
        }
        self.hold_until(
            later(now, asked),
            HoldReason::TooMany,
            ceil_secs(asked),
            now,
        );
        self.slow = (self.slow * SLOW_STEP).min(MAX_SLOW);
        self.calm = 0;
    }

    fn hold_until(&mut self, until: Instant, why: HoldReason, asked_secs: u64, now: Instant) {
        if self.hold.is_none_or(|h| h.until < until) {
            self.hold = Some(Hold {
                until,
                why,
                asked_secs,
                said: now,
            });
        }
        self.run = None;
    }
}

/// `at + span`, kept within [`MAX_SPAN`] and the clock.
fn later(at: Instant, span: Duration) -> Instant {
    at.checked_add(span.min(MAX_SPAN)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn quota(limit: u64, window: Duration) -> Quota {
        Quota::new(limit, window, None).unwrap()
    }

    fn policy(limit: u64, window: Duration) -> RateHeaders {
        RateHeaders {
            quotas: vec![quota(limit, window)],
            ..RateHeaders::default()
        }
    }

    fn budget(remaining: u64, reset_secs: u64) -> RateHeaders {
        RateHeaders {
            remaining: Some(remaining),
            reset_secs: Some(reset_secs),
            ..RateHeaders::default()
        }
    }

    fn ok(rate: &RateHeaders) -> Answer<'_> {
        Answer {
            status: 201,
            rate,
            retry_after: None,
        }
    }

    /// Sends `n` requests, each as soon as the gate lets it (late by `late` each time) and
    /// answered at once; returns when each went.
    fn send_all(p: &mut Pacer, start: Instant, n: usize, late: Duration) -> Vec<Instant> {
        let mut now = start;
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            if let Gate::Until(at) = p.gate(now) {
                now = at + late;
            }
            assert_eq!(p.gate(now), Gate::Go);
            let sent = p.sent(now);
            p.answered(sent, ok(&RateHeaders::default()), now);
            times.push(now);
        }
        times
    }

    /// The rate achieved between the first and last send, as a share of `limit/window`.
    fn share(times: &[Instant], limit: u64, window: Duration) -> f64 {
        let took = times[times.len() - 1] - times[0];
        let rate = (times.len() - 1) as f64 / took.as_secs_f64();
        rate / (limit as f64 / window.as_secs_f64())
    }

    #[test]
    fn the_spacing_keeps_a_small_margin() {
        // A quarter of a percent of a minute, or of two seconds; at least 5 ms of a
        // shorter window.
        assert_eq!(spacing(&quota(120, MINUTE)), Duration::from_micros(501_250));
        assert_eq!(
            spacing(&quota(10, Duration::from_secs(1))),
            Duration::from_micros(100_500)
        );
        assert_eq!(
            spacing(&quota(20, Duration::from_secs(2))),
            Duration::from_micros(100_250)
        );
        for (limit, window) in [(120, MINUTE), (300, MINUTE), (50, Duration::from_secs(5))] {
            let share =
                window.as_secs_f64() / limit as f64 / spacing(&quota(limit, window)).as_secs_f64();
            assert!((0.995..1.0).contains(&share), "{limit}/{window:?}: {share}");
        }
        // Numbers no clock holds.
        let absurd = Quota::new(1, Duration::from_secs(u64::MAX), None).unwrap();
        assert_eq!(spacing(&absurd), MAX_SPAN);
        assert!(spacing(&quota(u64::MAX, MINUTE)) < Duration::from_micros(1));
    }

    #[test]
    fn requests_go_evenly_spaced_at_the_profiles_rate_not_in_bursts() {
        let start = Instant::now();
        let mut p = Pacer::new(Some(120));
        assert!(p.knows_policy());
        let times = send_all(&mut p, start, 241, Duration::ZERO);
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|g| *g == Duration::from_micros(501_250)),
            "{gaps:?}"
        );
        let share = share(&times, 120, MINUTE);
        assert!((0.995..1.0).contains(&share), "{share}");
        // No window of a minute ever holds more than the limit.
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..].iter().take_while(|u| **u - *t < MINUTE).count();
            assert!(in_window <= 120, "{in_window} from send {i}");
        }
    }

    #[test]
    fn small_delays_never_add_up_and_a_late_send_is_kept_a_window_from() {
        let window = Duration::from_secs(2);
        let start = Instant::now();
        let mut p = Pacer::new(None);
        let first = p.sent(start);
        p.answered(
            first,
            ok(&policy(20, window)),
            start + Duration::from_millis(1),
        );
        // Every send a little late (a timer tick, a history write): the grid holds.
        let times = send_all(&mut p, start, 41, Duration::from_millis(2));
        let share = share(&times, 20, window);
        assert!(share >= 0.995, "{share}");

        // One send late by more than the margin: the next ones stay on the grid...
        let Gate::Until(at) = p.gate(times[40]) else {
            panic!("paced")
        };
        let late = at + Duration::from_millis(50);
        let sent = p.sent(late);
        p.answered(sent, ok(&RateHeaders::default()), late);
        let grid = spacing(&quota(20, window));
        assert_eq!(p.gate(late), Gate::Until(at + grid));
        let mut now = late;
        for _ in 0..19 {
            if let Gate::Until(next) = p.gate(now) {
                now = next;
            }
            let sent = p.sent(now);
            p.answered(sent, ok(&RateHeaders::default()), now);
        }
        assert_eq!(now, at + grid * 19, "on the grid");
        // ...but the one a limit's worth later goes a window after it was answered.
        assert_eq!(p.gate(now), Gate::Until(late + window + TICK));
    }

    #[test]
    fn a_window_after_the_answer_to_the_request_a_limit_before_not_its_send() {
        let window = Duration::from_secs(2);
        let start = Instant::now();
        let timeout = Duration::from_secs(30);
        let mut p = Pacer::new(None).with_timeout(timeout);
        let first = p.sent(start);
        // It took 40 ms to be answered: it may have been counted as late as that.
        let answered = start + Duration::from_millis(40);
        p.answered(first, ok(&policy(3, window)), answered);
        let second = p.sent(start + Duration::from_millis(700));
        let third = p.sent(start + Duration::from_millis(1400));
        assert_eq!(p.gate(third.at), Gate::Until(answered + window + TICK));
        // One still out counts as answered when the client gives up on it.
        p.answered(third, ok(&RateHeaders::default()), third.at);
        let fourth = p.sent(answered + window + TICK);
        assert_eq!(
            p.gate(fourth.at),
            Gate::Until(second.at + timeout + window + TICK)
        );
        // Its failure tells when it could have been counted at the latest.
        let failed_at = start + Duration::from_millis(800);
        p.failed(second, failed_at);
        assert_eq!(p.gate(fourth.at), Gate::Until(failed_at + window + TICK));
    }

    #[test]
    fn an_unknown_policy_is_learnt_from_the_first_answer_before_the_rest_go() {
        let start = Instant::now();
        let mut p = Pacer::new(None);
        assert_eq!(p.gate(start), Gate::Go);
        let probe = p.sent(start);
        assert_eq!(
            p.gate(start),
            Gate::Learning,
            "the rest wait for its answer"
        );
        let answered = start + Duration::from_millis(3);
        p.answered(probe, ok(&policy(20, Duration::from_secs(2))), answered);
        assert!(p.knows_policy());
        assert_eq!(
            p.gate(answered),
            Gate::Until(start + Duration::from_micros(100_250))
        );

        // A probe that got no answer lets another go; a server that names no limit is
        // not paced once it answered.
        let mut p = Pacer::new(None);
        let lost = p.sent(start);
        p.failed(lost, start);
        assert_eq!(p.gate(start), Gate::Go);
        let probe = p.sent(start);
        p.answered(probe, ok(&RateHeaders::default()), start);
        assert_eq!(p.interval(), None);
        for _ in 0..10 {
            p.sent(start);
            assert_eq!(p.gate(start), Gate::Go);
        }

        // With the profile's limit known, nothing waits for a first answer.
        let mut p = Pacer::new(Some(60));
        p.sent(start);
        assert_eq!(
            p.gate(start),
            Gate::Until(start + Duration::from_micros(1_002_500))
        );
    }

    #[test]
    fn the_tightest_quota_binds() {
        let start = Instant::now();
        let mut p = Pacer::new(Some(600));
        let first = p.sent(start);
        let rate = RateHeaders {
            quotas: vec![quota(10, Duration::from_secs(1)), quota(120, MINUTE)],
            ..RateHeaders::default()
        };
        p.answered(first, ok(&rate), start);
        assert_eq!(p.interval(), Some(spacing(&quota(120, MINUTE))));
    }

    #[test]
    fn a_budget_used_up_early_holds_until_the_reset_and_one_on_pace_does_not() {
        let window = Duration::from_secs(60);
        let start = Instant::now();
        let mut p = Pacer::new(Some(120));
        // At the end of a window the pace used it all: the next point of the grid is
        // after the reset (within the second the rounded-up header allows).
        let last = p.sent(start);
        p.answered(last, ok(&budget(0, 1)), start + Duration::from_millis(2));
        assert_eq!(p.outlook(start, window), Outlook::Go);
        assert_eq!(
            p.gate(start),
            Gate::Until(start + spacing(&quota(120, MINUTE)))
        );

        // Someone else spent the budget: nothing goes until the reset.
        let seen = start + Duration::from_millis(600);
        let next = p.sent(seen);
        p.answered(next, ok(&budget(0, 30)), seen);
        let until = seen + Duration::from_secs(30);
        assert_eq!(
            p.outlook(seen, window),
            Outlook::Hold {
                until,
                why: HoldReason::Budget
            }
        );
        assert_eq!(p.gate(seen), Gate::Until(until));
        // Beyond the longest wait allowed: too long, in the server's own number less the
        // time since it said it.
        assert_eq!(
            p.outlook(seen + Duration::from_secs(4), Duration::from_secs(10)),
            Outlook::TooLong { asked_secs: 26 }
        );
        assert_eq!(p.gate(until), Gate::Go);
    }

    #[test]
    fn requests_sent_after_an_answer_spend_its_budget_and_late_answers_are_old_news() {
        let start = Instant::now();
        let mut p = Pacer::new(None);
        let first = p.sent(start);
        let rest: Vec<Sent> = (0..3).map(|_| p.sent(start)).collect();
        // Three more went after it: its two left are spent.
        p.answered(first, ok(&budget(2, 5)), start);
        assert!(matches!(p.outlook(start, MINUTE), Outlook::Hold { .. }));

        let mut p = Pacer::new(None);
        let first = p.sent(start);
        let second = p.sent(start);
        p.answered(second, ok(&budget(8, 10)), start);
        p.answered(first, ok(&budget(0, 10)), start);
        assert_eq!(
            p.outlook(start, MINUTE),
            Outlook::Go,
            "the older answer came late"
        );
        drop(rest);
    }

    #[test]
    fn with_no_quota_named_what_is_left_is_spread_to_the_reset() {
        let start = Instant::now();
        let mut p = Pacer::new(None);
        let first = p.sent(start);
        p.answered(first, ok(&budget(9, 10)), start);
        assert_eq!(p.interval(), Some(Duration::from_secs(1)));
        assert_eq!(
            p.gate(start),
            Gate::Until(start + Duration::from_secs(1)),
            "spaced from the first"
        );
    }

    #[test]
    fn a_429_holds_every_send_and_slows_the_pace_until_calm_returns() {
        let window = Duration::from_secs(2);
        let start = Instant::now();
        let mut p = Pacer::new(None);
        let first = p.sent(start);
        let rate = policy(20, window);
        p.answered(first, ok(&rate), start);
        let steady = p.interval().unwrap();
        let refused = p.sent(start);
        p.answered(
            refused,
            Answer {
                status: 429,
                rate: &rate,
                retry_after: Some(Duration::from_secs(2)),
            },
            start,
        );
        assert_eq!(
            p.outlook(start, MINUTE),
            Outlook::Hold {
                until: start + Duration::from_secs(2),
                why: HoldReason::TooMany
            }
        );
        assert_eq!(p.interval(), Some(steady.mul_f64(1.25)));
        for _ in 0..RECOVER_AFTER {
            let s = p.sent(start);
            p.answered(s, ok(&rate), start);
        }
        assert_eq!(p.interval(), Some(steady.mul_f64(1.125)));

        // Nothing known but the 429: what was sent proved too fast, and is slowed.
        let mut p = Pacer::new(None);
        let probe = p.sent(start);
        p.answered(probe, ok(&RateHeaders::default()), start);
        let mut last = probe;
        for i in 1..=10 {
            last = p.sent(start + Duration::from_millis(10 * i));
        }
        let at = start + Duration::from_millis(110);
        p.answered(
            last,
            Answer {
                status: 429,
                rate: &RateHeaders::default(),
                retry_after: None,
            },
            at,
        );
        assert_eq!(p.interval(), Some(Duration::from_millis(10).mul_f64(1.25)));
        assert_eq!(p.gate(at), Gate::Until(at + Duration::from_secs(1)));
    }

    fn extreme() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just(1),
            Just(u64::MAX),
            Just(i64::MAX as u64),
            0u64..200,
            any::<u64>(),
        ]
    }

    proptest! {
        #[test]
        fn hostile_numbers_never_panic_and_no_wait_passes_the_cap_unsaid(
            answers in prop::collection::vec(
                (
                    prop_oneof![Just(201u16), Just(429u16), Just(503u16)],
                    prop::option::of(extreme()),
                    prop::option::of(extreme()),
                    prop::option::of((extreme(), extreme())),
                    prop::option::of(extreme()),
                ),
                0..8,
            ),
            profile in prop::option::of(1u32..=100_000),
            cap_secs in 1u64..=86_400,
            later_ms in extreme(),
        ) {
            let start = Instant::now();
            let cap = Duration::from_secs(cap_secs);
            let mut p = Pacer::new(profile);
            for (status, remaining, reset_secs, quota, retry) in answers {
                let rate = RateHeaders {
                    limit: None,
                    remaining,
                    reset_secs,
                    quotas: quota
                        .and_then(|(l, w)| Quota::new(l, Duration::from_secs(w), None))
                        .into_iter()
                        .collect(),
                };
                let sent = p.sent(start);
                let answer = Answer { status, rate: &rate, retry_after: retry.map(Duration::from_secs) };
                p.answered(sent, answer, start);
            }
            let later = start.checked_add(Duration::from_millis(later_ms % 1_000_000_000)).unwrap_or(start);
            for at in [start, later] {
                match p.outlook(at, cap) {
                    Outlook::Go => {}
                    Outlook::Hold { until, .. } => prop_assert!(until.saturating_duration_since(at) <= cap),
                    Outlook::TooLong { .. } => {}
                }
                if let Gate::Until(until) = p.gate(at) {
                    prop_assert!(until.saturating_duration_since(at) <= MAX_SPAN + MAX_SPAN);
                }
            }
        }
    }

    #[test]
    fn a_reset_no_clock_holds_is_too_long_in_the_servers_own_number() {
        let start = Instant::now();
        for reset in [u64::MAX, i64::MAX as u64, 999_999] {
            let mut p = Pacer::new(None);
            let s = p.sent(start);
            p.answered(s, ok(&budget(0, reset)), start);
            assert_eq!(
                p.outlook(start, Duration::from_secs(2)),
                Outlook::TooLong { asked_secs: reset }
            );
        }
        let mut p = Pacer::new(None);
        let s = p.sent(start);
        p.answered(s, ok(&budget(0, 0)), start);
        assert_eq!(
            p.outlook(start, MINUTE),
            Outlook::Go,
            "a window that reset already"
        );
    }
}
