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
    /// A `Retry-After` longer than this is not waited for: the outcome is reported instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(120),
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

    /// Capped exponential backoff with full jitter for retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32, random_unit: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let ceiling = exp.min(self.max_delay);
        ceiling.mul_f64(random_unit.clamp(0.0, 1.0))
    }

    /// Whether attempt `attempt` (1-based) with this outcome may be followed by another.
    pub fn should_retry(&self, attempt: u32, kind: OutcomeKind) -> bool {
        kind.retryable() && attempt <= self.max_retries
    }
}

/// Reads `Retry-After` as delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
