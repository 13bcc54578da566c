//! The rate limiters real gateways use, one of which the sandbox applies per API key:
//!
//! - **fixed**: a window of `window` opens at the first request after the last one ended
//!   and allows `limit` requests; every request in it counts, refused ones too.
//! - **sliding**: at most `limit` requests accepted in any span of `window` (a log of the
//!   accepted ones); a refused request is not counted.
//! - **bucket**: a token bucket holding at most `burst` tokens, refilled at `limit` per
//!   `window`, starting full; each accepted request takes one.
//!
//! Each tells honestly what it allows: how many requests are left now, and how long until
//! more are (the window's end, the oldest request leaving the window, the next token).

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Which limiter the sandbox applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LimiterKind {
    #[default]
    Fixed,
    Sliding,
    Bucket,
}

impl LimiterKind {
    pub const ALL: [LimiterKind; 3] = [
        LimiterKind::Fixed,
        LimiterKind::Sliding,
        LimiterKind::Bucket,
    ];

    /// The name on the command line and in the policy header.
    pub fn name(self) -> &'static str {
        match self {
            LimiterKind::Fixed => "fixed",
            LimiterKind::Sliding => "sliding",
            LimiterKind::Bucket => "bucket",
        }
    }

    /// In words, for the sandbox's banner.
    pub fn describe(self) -> &'static str {
        match self {
            LimiterKind::Fixed => "fixed window",
            LimiterKind::Sliding => "sliding window",
            LimiterKind::Bucket => "token bucket",
        }
    }
}

impl fmt::Display for LimiterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LimiterKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        LimiterKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("unknown limiter {text:?}: use fixed, sliding or bucket"))
    }
}

/// The burst of a token bucket unless told otherwise: a tenth of the limit, at least one.
pub fn default_burst(limit: u32) -> u32 {
    limit.div_ceil(10).max(1)
}

/// What the limiter made of one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub exceeded: bool,
    /// Requests left now.
    pub remaining: u32,
    /// Until more are allowed than now (zero when nothing is used).
    pub reset: Duration,
    /// For a refused request: until one would be accepted.
    pub retry_after: Duration,
}

#[derive(Debug)]
enum Counter {
    /// When the window opened, and the requests counted in it.
    Fixed(Option<(Instant, u32)>),
    /// When each accepted request in the last window came, oldest first.
    Sliding(VecDeque<Instant>),
    /// Tokens in the bucket, as of when.
    Bucket(Option<(f64, Instant)>),
}

/// One key's limiter.
#[derive(Debug)]
pub struct Limiter {
    pub kind: LimiterKind,
    pub limit: u32,
    pub window: Duration,
    /// The bucket's size (the token bucket only).
    pub burst: u32,
    counter: Counter,
}

impl Limiter {
    /// A limiter allowing `limit` requests per `window` (at least one, over at least a
    /// millisecond); `burst` sizes a token bucket.
    pub fn new(kind: LimiterKind, limit: u32, window: Duration, burst: u32) -> Limiter {
        let counter = match kind {
            LimiterKind::Fixed => Counter::Fixed(None),
            LimiterKind::Sliding => Counter::Sliding(VecDeque::new()),
            LimiterKind::Bucket => Counter::Bucket(None),
        };
        Limiter {
            kind,
            limit: limit.max(1),
            window: window.max(Duration::from_millis(1)),
            burst: burst.max(1),
            counter,
        }
    }

    /// True while it remembers any request.
    pub fn is_active(&self) -> bool {
        match &self.counter {
            Counter::Fixed(w) => w.is_some(),
            Counter::Sliding(log) => !log.is_empty(),
            Counter::Bucket(b) => b.is_some(),
        }
    }

    /// Counts a request arriving at `now`.
    pub fn admit(&mut self, now: Instant) -> Decision {
        let (limit, span) = (self.limit, self.window);
        match &mut self.counter {
            Counter::Fixed(slot) => {
                let (start, count) = match *slot {
                    Some((start, count)) if now.saturating_duration_since(start) < span => {
                        (start, count.saturating_add(1))
                    }
                    _ => (now, 1),
                };
                *slot = Some((start, count));
                let left = span.saturating_sub(now.saturating_duration_since(start));
                Decision {
                    exceeded: count > limit,
                    remaining: limit.saturating_sub(count),
                    reset: left,
                    retry_after: left,
                }
            }
            Counter::Sliding(log) => {
                while log
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) >= span)
                {
                    log.pop_front();
                }
                let exceeded = log.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
                if !exceeded {
                    log.push_back(now);
                }
                // The oldest accepted request leaves the window first: one more then.
                let leaves = log.front().map_or(Duration::ZERO, |t| {
                    span.saturating_sub(now.saturating_duration_since(*t))
                });
                let held = u32::try_from(log.len()).unwrap_or(u32::MAX);
                Decision {
                    exceeded,
                    remaining: limit.saturating_sub(held),
                    reset: leaves,
                    retry_after: leaves,
                }
            }
            Counter::Bucket(state) => {
                let size = f64::from(self.burst);
                let per_sec = f64::from(limit) / span.as_secs_f64();
                let tokens = match *state {
                    Some((tokens, at)) => {
                        let gained = now.saturating_duration_since(at).as_secs_f64() * per_sec;
                        (tokens + gained).min(size)
                    }
                    None => size,
                };
                let exceeded = tokens < 1.0;
                let tokens = if exceeded { tokens } else { tokens - 1.0 };
                *state = Some((tokens, now));
                let secs_for =
                    |more: f64| Duration::from_secs_f64((more / per_sec).clamp(0.0, 1e9));
                // The next whole token, unless the bucket is full.
                let reset = if tokens >= size {
                    Duration::ZERO
                } else {
                    secs_for(tokens.floor() + 1.0 - tokens)
                };
                Decision {
                    exceeded,
                    // Tokens are at most `burst`, a u32.
                    remaining: tokens.floor().clamp(0.0, f64::from(u32::MAX)) as u32,
                    reset,
                    retry_after: secs_for(1.0 - tokens),
                }
            }
        }
    }

    /// The `RateLimit-Policy` header (the IETF draft's form): `"fixed";q=300;w=60`, and
    /// for a bucket its size as `burst`.
    pub fn policy_header(&self) -> String {
        let mut policy = format!(
            "\"{}\";q={};w={}",
            self.kind.name(),
            self.limit,
            seconds(self.window)
        );
        if self.kind == LimiterKind::Bucket {
            policy.push_str(&format!(";burst={}", self.burst));
        }
        policy
    }

    /// The `RateLimit` header for a decision: `"fixed";r=12;t=30`.
    pub fn budget_header(&self, decision: &Decision) -> String {
        format!(
            "\"{}\";r={};t={}",
            self.kind.name(),
            decision.remaining,
            ceil_secs(decision.reset)
        )
    }
}

/// Whole seconds, rounded up.
pub fn ceil_secs(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

/// A window as a structured-field number: whole seconds, or to the millisecond.
fn seconds(window: Duration) -> String {
    if window.subsec_millis() == 0 {
        window.as_secs().to_string()
    } else {
        format!("{}.{:03}", window.as_secs(), window.subsec_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// (accepted, remaining, reset in ms) for requests at each offset.
    fn run(limiter: &mut Limiter, start: Instant, at_ms: &[u64]) -> Vec<(bool, u32, u128)> {
        at_ms
            .iter()
            .map(|t| {
                let d = limiter.admit(start + ms(*t));
                (!d.exceeded, d.remaining, d.reset.as_millis())
            })
            .collect()
    }

    #[test]
    fn a_fixed_window_opens_at_its_first_request_and_counts_every_request() {
        let start = Instant::now();
        let mut l = Limiter::new(LimiterKind::Fixed, 3, ms(2000), 1);
        assert!(!l.is_active());
        assert_eq!(
            run(&mut l, start, &[0, 500, 1000]),
            [(true, 2, 2000), (true, 1, 1500), (true, 0, 1000)]
        );
        let refused = l.admit(start + ms(1500));
        assert!(refused.exceeded);
        assert_eq!((refused.remaining, refused.retry_after), (0, ms(500)));
        // A new window opens at the first request after the last one ended.
        assert_eq!(
            run(&mut l, start, &[2000, 2100]),
            [(true, 2, 2000), (true, 1, 1900)]
        );
        assert!(l.is_active());
    }

    #[test]
    fn a_sliding_window_allows_the_limit_in_any_span_and_forgets_refusals() {
        let start = Instant::now();
        let mut l = Limiter::new(LimiterKind::Sliding, 3, ms(2000), 1);
        assert_eq!(
            run(&mut l, start, &[0, 500, 1000]),
            [(true, 2, 2000), (true, 1, 1500), (true, 0, 1000)]
        );
        let refused = l.admit(start + ms(1500));
        assert!(refused.exceeded);
        assert_eq!(refused.retry_after, ms(500), "when the oldest leaves");
        // At 2 s the first leaves; the refusal took nothing.
        assert_eq!(run(&mut l, start, &[2000]), [(true, 0, 500)]);
        assert!(l.admit(start + ms(2100)).exceeded);
        // Unlike a fixed window, a burst at a window's end and the next start is refused.
        let mut fixed = Limiter::new(LimiterKind::Fixed, 3, ms(2000), 1);
        let mut sliding = Limiter::new(LimiterKind::Sliding, 3, ms(2000), 1);
        let times = [0, 1900, 1950, 1990, 2000, 2010, 2020];
        let accepted = |l: &mut Limiter| run(l, start, &times).iter().filter(|r| r.0).count();
        assert_eq!((accepted(&mut fixed), accepted(&mut sliding)), (6, 4));
    }

    #[test]
    fn a_token_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        // 10 a second, 3 at once.
        let mut l = Limiter::new(LimiterKind::Bucket, 10, ms(1000), 3);
        assert_eq!(
            run(&mut l, start, &[0, 0, 0]),
            [(true, 2, 100), (true, 1, 100), (true, 0, 100)]
        );
        let refused = l.admit(start);
        assert!(refused.exceeded);
        assert_eq!(refused.retry_after, ms(100));
        assert_eq!(run(&mut l, start, &[100]), [(true, 0, 100)]);
        // Full again after 0.3 s: nothing used, nothing to wait for.
        let d = l.admit(start + ms(1000));
        assert_eq!((d.exceeded, d.remaining), (false, 2));
        assert_eq!(l.admit(start + ms(5000)).reset, ms(100));
    }

    #[test]
    fn every_kind_accepts_an_even_pace_at_its_limit_and_refuses_a_faster_one() {
        let start = Instant::now();
        let (limit, window) = (20u32, ms(2000));
        for kind in LimiterKind::ALL {
            // Spaced a quarter of a percent wider than the limit: never refused.
            let mut l = Limiter::new(kind, limit, window, 1);
            let spaced = window.mul_f64(1.0025) / limit;
            let refused = (0..200u32)
                .filter(|i| l.admit(start + spaced * *i).exceeded)
                .count();
            assert_eq!(refused, 0, "{kind}");
            // Twice as fast: about half refused.
            let mut l = Limiter::new(kind, limit, window, 1);
            let refused = (0..200u32)
                .filter(|i| l.admit(start + spaced / 2 * *i).exceeded)
                .count();
            assert!((80..=120).contains(&refused), "{kind}: {refused}");
        }
    }

    #[test]
    fn the_headers_name_the_policy_and_the_budget() {
        let start = Instant::now();
        let mut l = Limiter::new(LimiterKind::Fixed, 300, Duration::from_secs(60), 1);
        assert_eq!(l.policy_header(), "\"fixed\";q=300;w=60");
        let d = l.admit(start + ms(10));
        assert_eq!(l.budget_header(&d), "\"fixed\";r=299;t=60");
        let l = Limiter::new(LimiterKind::Bucket, 20, ms(2500), 5);
        assert_eq!(l.policy_header(), "\"bucket\";q=20;w=2.500;burst=5");
        let l = Limiter::new(LimiterKind::Sliding, 20, ms(2000), 5);
        assert_eq!(l.policy_header(), "\"sliding\";q=20;w=2");
    }

    #[test]
    fn settings_no_clock_holds_never_panic() {
        let start = Instant::now();
        for kind in LimiterKind::ALL {
            for (limit, window, burst) in [
                (0, Duration::ZERO, 0),
                (u32::MAX, Duration::MAX, u32::MAX),
                (1, Duration::MAX, 1),
                (u32::MAX, Duration::from_nanos(1), 0),
            ] {
                let mut l = Limiter::new(kind, limit, window, burst);
                for t in [0, 0, 1, u64::MAX / 2] {
                    let at = start.checked_add(ms(t)).unwrap_or(start);
                    let _ = l.admit(at);
                }
                let _ = l.policy_header();
            }
        }
    }

    #[test]
    fn kinds_read_by_name() {
        assert_eq!("sliding".parse::<LimiterKind>(), Ok(LimiterKind::Sliding));
        assert_eq!(" Bucket ".parse::<LimiterKind>(), Ok(LimiterKind::Bucket));
        let err = "leaky".parse::<LimiterKind>().unwrap_err();
        assert!(err.contains("fixed, sliding or bucket"), "{err}");
        assert_eq!(default_burst(300), 30);
        assert_eq!(default_burst(1), 1);
    }
}
