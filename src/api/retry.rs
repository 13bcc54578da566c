//! When to try again, and how long to wait first.

use std::time::{Duration, SystemTime};

use crate::domain::OutcomeKind;

/// How a submission is retried. Only transient statuses and failures without a response
/// (whether or not the request left) are retried, always with the submission's own
/// idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// The first backoff ceiling; doubled each retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The longest wait the server may ask for (`Retry-After`, the rate-limit reset) that
    /// is waited out: a longer one stops retrying (and a batch's dispatch), and the outcome
    /// is reported instead. Every wait the client computes is at most this.
    pub max_wait: Duration,
}

/// A number in `[0, 1)` to spread retries with: from the operating system's random source
/// (`getrandom`, which uuid already uses for idempotency keys), else from the clock and a
/// counter mixed by SplitMix64. Jitter only has to keep clients from retrying in step, so
/// the fallback needs no secrecy, only spread.
pub fn jitter_unit() -> f64 {
    let bits = getrandom::u64().unwrap_or_else(|_| clock_bits());
    unit_from_bits(bits)
}

/// `[0, 1)` from the top 53 bits (an `f64`'s precision), so every value is equally likely.
fn unit_from_bits(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Bits that differ between calls without the OS's random source: the time in nanoseconds
/// and a counter, mixed by SplitMix64.
fn clock_bits() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut z = nanos
        .wrapping_add(count.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `max_wait` unless a profile says otherwise (`max_wait_secs`).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(120);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_wait: DEFAULT_MAX_WAIT,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Capped exponential backoff with full jitter for retry number `retry` (1-based), never
    /// more than `max_wait`.
    pub fn backoff(&self, retry: u32, random_unit: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let ceiling = exp.min(self.max_delay).min(self.max_wait);
        let unit = if random_unit.is_finite() {
            random_unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ceiling.mul_f64(unit).min(ceiling)
    }

    /// A wait the server asked for: `Ok` when it is waited out, else `Err` with the seconds
    /// asked (rounded up), which are more than `max_wait`.
    pub fn server_wait(&self, asked: Duration) -> Result<Duration, u64> {
        if asked <= self.max_wait {
            Ok(asked)
        } else {
            Err(ceil_secs(asked))
        }
    }

    /// Whether attempt `attempt` (1-based) with this outcome may be followed by another.
    pub fn should_retry(&self, attempt: u32, kind: OutcomeKind) -> bool {
        kind.retryable() && attempt <= self.max_retries
    }
}

/// Whole seconds, rounded up.
pub fn ceil_secs(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

/// Reads `Retry-After` as delay-seconds or an HTTP date. Any number of seconds is read
/// (the caller caps the wait); a date in the past is no wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is still "a very long wait".
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Reads a rate-limit header's count or seconds: digits only, saturating at `u64::MAX`.
pub fn parse_count(value: &str) -> Option<u64> {
    let value = value.trim();
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse::<u64>().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn extreme() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just(u64::MAX),
            Just(i64::MAX as u64),
            Just(i64::MAX as u64 + 1),
            0u64..1000,
            any::<u64>(),
        ]
    }

    /// Header values a hostile server might send: numbers of any size and sign, dates,
    /// and anything at all.
    fn header_value() -> impl Strategy<Value = String> {
        prop_oneof![
            extreme().prop_map(|n| n.to_string()),
            extreme().prop_map(|n| format!("-{n}")),
            extreme().prop_map(|n| format!(" {n}0000 ")),
            "[0-9]{15,40}",
            (0u64..253_402_300_799).prop_map(|s| httpdate::fmt_http_date(
                SystemTime::UNIX_EPOCH + Duration::from_secs(s)
            )),
            any::<String>(),
            "[ -~]{0,40}",
        ]
    }

    proptest! {
        #[test]
        fn header_numbers_and_waits_never_panic_and_stay_under_the_cap(
            value in header_value(),
            now_secs in prop_oneof![Just(0u64), 0u64..4_102_444_800],
            cap_secs in 1u64..=86_400,
            retry in prop_oneof![Just(u32::MAX), Just(0u32), any::<u32>()],
            unit in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), Just(1.0), any::<f64>()],
            base_ms in extreme(),
            max_delay_ms in extreme(),
        ) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now_secs);
            let policy = RetryPolicy {
                max_retries: retry,
                base_delay: Duration::from_millis(base_ms),
                max_delay: Duration::from_millis(max_delay_ms),
                max_wait: Duration::from_secs(cap_secs),
            };
            let _ = parse_count(&value);
            if let Some(asked) = parse_retry_after(&value, now) {
                match policy.server_wait(asked) {
                    Ok(wait) => prop_assert!(wait <= policy.max_wait),
                    Err(secs) => prop_assert!(secs > cap_secs),
                }
            }
            prop_assert!(policy.backoff(retry, unit) <= policy.max_wait);
            let _ = policy.should_retry(retry, OutcomeKind::Transient);
        }
    }

    #[test]
    fn jitter_is_a_unit_fraction_spread_over_its_range() {
        assert_eq!(unit_from_bits(0), 0.0);
        assert!(unit_from_bits(u64::MAX) < 1.0);
        let draws: Vec<f64> = (0..400).map(|_| jitter_unit()).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        let low = draws.iter().filter(|u| **u < 0.5).count();
        assert!(
            (100..=300).contains(&low),
            "{low} of 400 below one half: not spread"
        );
        let fallback: Vec<f64> = (0..400).map(|_| unit_from_bits(clock_bits())).collect();
        let low = fallback.iter().filter(|u| **u < 0.5).count();
        assert!(
            (100..=300).contains(&low),
            "{low} of 400 below one half without the OS source"
        );
        let mut distinct = fallback.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            400,
            "calls in the same nanosecond still differ"
        );
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(500));
        assert_eq!(p.backoff(2, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(10, 1.0), Duration::from_secs(8));
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(3, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn retries_only_transient_unknown_and_not_sent_up_to_the_limit() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(1, OutcomeKind::Transient));
        assert!(p.should_retry(3, OutcomeKind::Unknown));
        assert!(p.should_retry(1, OutcomeKind::NotSent));
        assert!(!p.should_retry(4, OutcomeKind::NotSent));
        assert!(!p.should_retry(4, OutcomeKind::Transient));
        for kind in [
            OutcomeKind::Rejected,
            OutcomeKind::ServerError,
            OutcomeKind::Initiated,
        ] {
            assert!(!p.should_retry(1, kind));
        }
    }

    #[test]
    fn reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn server_waits_beyond_the_cap_are_refused_with_what_was_asked() {
        let p = RetryPolicy {
            max_wait: Duration::from_secs(2),
            ..RetryPolicy::default()
        };
        assert_eq!(
            p.server_wait(Duration::from_secs(2)),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(p.server_wait(Duration::from_millis(2001)), Err(3));
        assert_eq!(p.server_wait(Duration::MAX), Err(u64::MAX));
        assert_eq!(
            p.backoff(10, 1.0),
            Duration::from_secs(2),
            "backoff under the cap"
        );
        assert_eq!(p.backoff(2, f64::NAN), Duration::ZERO);
        assert_eq!(parse_count(" 18446744073709551615 "), Some(u64::MAX));
        assert_eq!(parse_count("184467440737095516150"), Some(u64::MAX));
        assert_eq!(parse_count("1.5"), None);
    }
}
