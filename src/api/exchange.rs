//! What was sent and what came back, captured for the screen, history and support.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::fields::FieldScanner;
use crate::domain::{
    BodySummary, Explanation, FailureKind, OutcomeKind, Stop, explain_failure,
    explain_initiated_without_id, explain_redirect, explain_status, explain_stop,
    explain_unsent_after, read_body,
};

/// The request as sent, with the API key masked: safe to show, store and export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Rate-limit facts a response carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset_secs: Option<u64>,
    pub retry_after_secs: Option<u64>,
}

impl RateLimit {
    /// True when it carries anything worth showing.
    pub fn is_known(&self) -> bool {
        self.remaining.is_some() || self.reset_secs.is_some()
    }
}

/// A response, whole (up to the body cap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body bytes, at most the client's cap.
    pub body: Vec<u8>,
    /// True when the body was longer than the cap and the rest was not kept.
    pub body_truncated: bool,
    pub request_id: Option<String>,
    pub rate_limit: RateLimit,
    /// For a success whose body was longer than the cap: its top-level `id`, `status` and
    /// `url` as read from the whole body while it came (the bytes kept may not hold them).
    /// Empty otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub read_fields: BTreeMap<String, String>,
}

impl CapturedResponse {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body read leniently.
    pub fn summary(&self) -> BodySummary {
        read_body(self.header("content-type"), &self.body)
    }

    /// The body as text (lossy), for display and copying.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A top-level field of a JSON body, e.g. the verification's `id`. A body that does not
    /// parse whole (cut at the cap, or followed by something else) is read leniently, and
    /// the fields read from the whole of a long success count too.
    pub fn json_field(&self, name: &str) -> Option<String> {
        self.field_of(serde_json::from_slice(&self.body).ok().as_ref(), name)
    }

    /// `name` from the body as parsed (`None` when it does not parse), else read leniently.
    fn field_of(&self, parsed: Option<&serde_json::Value>, name: &str) -> Option<String> {
        if let Some(value) = parsed {
            return match value.get(name)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            };
        }
        self.read_fields
            .get(name)
            .cloned()
            .or_else(|| FieldScanner::scan(&self.body).remove(name))
    }

    /// The `Location` a redirect pointed to.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// Why a success gives no verification id, or `None` when it gives one.
    pub fn missing_id(&self) -> Option<String> {
        let parsed = serde_json::from_slice::<serde_json::Value>(&self.body);
        if self.field_of(parsed.as_ref().ok(), "id").is_some() {
            return None;
        }
        Some(if self.body.is_empty() {
            "the response had no body".to_string()
        } else if self.body_truncated {
            format!(
                "the body was longer than the {} bytes kept and no top-level \"id\" was read in it",
                self.body.len()
            )
        } else if parsed.as_ref().is_ok_and(serde_json::Value::is_object) {
            "its JSON body has no top-level \"id\"".to_string()
        } else if parsed.is_ok() {
            "its JSON body is not an object".to_string()
        } else {
            "its body is not JSON".to_string()
        })
    }
}

/// What one attempt produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptResult {
    Response(CapturedResponse),
    Failed {
        failure: FailureKind,
        message: String,
    },
}

/// The client's decision to try again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPlan {
    #[serde(with = "millis")]
    pub wait: Duration,
    /// Why, in a few words: "503 Service Unavailable, Retry-After 1 s".
    pub reason: String,
}

/// One try at sending the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    pub started_at: DateTime<Utc>,
    #[serde(with = "millis")]
    pub latency: Duration,
    pub result: AttemptResult,
    /// Set when another attempt follows.
    pub retry: Option<RetryPlan>,
    /// Set when the outcome could have been retried but the client stopped, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
}

impl Attempt {
    pub fn outcome(&self) -> OutcomeKind {
        match &self.result {
            AttemptResult::Response(r) => OutcomeKind::from_status(r.status),
            AttemptResult::Failed {
                failure: FailureKind::NotSent,
                ..
            } => OutcomeKind::NotSent,
            AttemptResult::Failed { .. } => OutcomeKind::Unknown,
        }
    }

    pub fn response(&self) -> Option<&CapturedResponse> {
        match &self.result {
            AttemptResult::Response(r) => Some(r),
            AttemptResult::Failed { .. } => None,
        }
    }

    /// "503" or "timed out": what the attempt got, in a word.
    pub fn short(&self) -> String {
        match &self.result {
            AttemptResult::Response(r) => r.status.to_string(),
            AttemptResult::Failed { failure, .. } => failure.label().to_string(),
        }
    }

    /// What this attempt's answer (or failure) means. A success without a verification id
    /// names the request id to look it up by; a redirect names where it pointed.
    pub fn explanation(&self) -> Explanation {
        match &self.result {
            AttemptResult::Response(r) => match r.status {
                200..=299 => match r.missing_id() {
                    Some(why) => {
                        explain_initiated_without_id(r.status, r.request_id.as_deref(), &why)
                    }
                    None => explain_status(r.status),
                },
                300..=399 => explain_redirect(r.status, r.location()),
                status => explain_status(status),
            },
            AttemptResult::Failed { failure, .. } => explain_failure(*failure),
        }
    }
}

/// Everything about one submission once the client is done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: RequestRecord,
    pub idempotency_key: String,
    pub attempts: Vec<Attempt>,
}

impl Exchange {
    /// The last attempt, which decides the outcome.
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// What the submission came to. The last attempt decides, except that "not sent" needs
    /// every attempt to have failed before sending ([`Exchange::nothing_sent`]). When an
    /// earlier attempt reached the platform or may have (an answer, a lost connection, a
    /// timeout, a cancellation), a last attempt that could not connect leaves the outcome
    /// unknown, as a lost connection would.
    pub fn outcome(&self) -> OutcomeKind {
        match self.last().map(Attempt::outcome) {
            None => OutcomeKind::Unknown,
            Some(OutcomeKind::NotSent) if !self.nothing_sent() => OutcomeKind::Unknown,
            Some(kind) => kind,
        }
    }

    /// True when no byte of any attempt can have left the machine: every attempt could not
    /// connect, and they are numbered from 1 without a gap. A missing number is an attempt
    /// that was in flight when the console stopped, and was never recorded.
    pub fn nothing_sent(&self) -> bool {
        !self.attempts.is_empty()
            && self
                .attempts
                .iter()
                .zip(1..)
                .all(|(a, n)| a.number == n && a.outcome() == OutcomeKind::NotSent)
    }

    pub fn final_response(&self) -> Option<&CapturedResponse> {
        self.last().and_then(Attempt::response)
    }

    pub fn explanation(&self) -> Explanation {
        match self.last() {
            None => explain_failure(FailureKind::Interrupted),
            Some(last) if last.outcome() == OutcomeKind::NotSent && !self.nothing_sent() => {
                explain_unsent_after(&self.latest_maybe_sent())
            }
            Some(last) => match last.stop {
                Some(stop) => explain_stop(last.explanation(), stop, self.attempts.len()),
                None => last.explanation(),
            },
        }
    }

    /// The latest attempt that may have reached the platform, in a few words.
    fn latest_maybe_sent(&self) -> String {
        let mut latest = None;
        let mut expected = 1;
        for a in &self.attempts {
            if a.number > expected {
                latest = Some(format!(
                    "attempt {} (never recorded: the console stopped)",
                    a.number - 1
                ));
            }
            if a.outcome() != OutcomeKind::NotSent {
                latest = Some(format!("attempt {} ({})", a.number, a.short()));
            }
            expected = a.number.saturating_add(1);
        }
        latest.unwrap_or_else(|| "an earlier attempt".to_string())
    }

    /// Time spent sending: every attempt's latency added up, the waits between attempts
    /// left out (see [`Exchange::waited`]).
    pub fn sending_time(&self) -> Duration {
        self.attempts
            .iter()
            .fold(Duration::ZERO, |sum, a| sum.saturating_add(a.latency))
    }

    /// Time spent waiting between attempts: from the end of each attempt that planned a
    /// retry (backoff, `Retry-After`, a rate-limit reset, the client's own pace) to the
    /// start of the next one. The time between an attempt that planned none and a later
    /// one (a run that stopped, sent again later) is no wait and is not counted.
    pub fn waited(&self) -> Duration {
        self.attempts
            .iter()
            .zip(self.attempts.iter().skip(1))
            .filter(|(before, _)| before.retry.is_some())
            .map(|(before, after)| {
                let gap = (after.started_at - before.started_at)
                    .to_std()
                    .unwrap_or_default();
                gap.saturating_sub(before.latency)
            })
            .fold(Duration::ZERO, Duration::saturating_add)
    }
}

/// Serialises a `Duration` as whole milliseconds.
pub mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(number: u32, result: AttemptResult) -> Attempt {
        Attempt {
            number,
            started_at: DateTime::<Utc>::UNIX_EPOCH,
            latency: Duration::from_millis(5),
            result,
            retry: None,
            stop: None,
        }
    }

    fn failed(number: u32, failure: FailureKind) -> Attempt {
        attempt(
            number,
            AttemptResult::Failed {
                failure,
                message: "connection refused".into(),
            },
        )
    }

    fn answered(number: u32, status: u16) -> Attempt {
        attempt(
            number,
            AttemptResult::Response(CapturedResponse {
                status,
                headers: Vec::new(),
                body: Vec::new(),
                body_truncated: false,
                request_id: None,
                rate_limit: RateLimit::default(),
                read_fields: BTreeMap::new(),
            }),
        )
    }

    fn exchange(attempts: Vec<Attempt>) -> Exchange {
        Exchange {
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:9/v1/kycs".into(),
                headers: Vec::new(),
                body: "{}".into(),
            },
            idempotency_key: "k".into(),
            attempts,
        }
    }

    fn success(body: &[u8], truncated: bool, read: &[(&str, &str)]) -> CapturedResponse {
        CapturedResponse {
            status: 201,
            headers: Vec::new(),
            body: body.to_vec(),
            body_truncated: truncated,
            request_id: Some("req-9".into()),
            rate_limit: RateLimit::default(),
            read_fields: read
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_success_cut_short_keeps_its_id_and_one_without_says_why() {
        let cut = success(br#"{"id":"kyc-9","padding":"xxxx"#, true, &[]);
        assert_eq!(cut.json_field("id").as_deref(), Some("kyc-9"));
        assert_eq!(cut.missing_id(), None);
        let late = success(br#"{"padding":"xxxx"#, true, &[("id", "kyc-late")]);
        assert_eq!(late.json_field("id").as_deref(), Some("kyc-late"));
        let lost = success(br#"{"padding":"xxxx"#, true, &[]);
        assert!(
            lost.missing_id()
                .unwrap()
                .contains("longer than the 16 bytes kept")
        );
        let text = success(b"created", false, &[]);
        assert_eq!(text.missing_id().as_deref(), Some("its body is not JSON"));
        let e = attempt(1, AttemptResult::Response(text)).explanation();
        assert_eq!(e.title, "201 Created (no verification id)");
        assert!(e.action.contains("request id req-9"), "{e:?}");
        let whole = success(br#"{"id":"kyc-1"}"#, false, &[("id", "ignored")]);
        assert_eq!(whole.json_field("id").as_deref(), Some("kyc-1"));
    }

    #[test]
    fn every_attempt_unsent_is_not_sent() {
        let e = exchange(vec![
            failed(1, FailureKind::NotSent),
            failed(2, FailureKind::NotSent),
        ]);
        assert!(e.nothing_sent());
        assert_eq!(e.outcome(), OutcomeKind::NotSent);
        assert_eq!(e.explanation(), explain_failure(FailureKind::NotSent));
        assert_eq!(e.attempts[0].outcome(), OutcomeKind::NotSent);
        assert_eq!(e.attempts[0].short(), "could not connect");
    }

    #[test]
    fn unsent_after_an_attempt_that_may_have_arrived_is_unknown() {
        for (earlier, named) in [
            (failed(1, FailureKind::Timeout), "attempt 1 (timed out)"),
            (failed(1, FailureKind::Network), "attempt 1 (network error)"),
            (answered(1, 503), "attempt 1 (503)"),
        ] {
            let e = exchange(vec![earlier, failed(2, FailureKind::NotSent)]);
            assert!(!e.nothing_sent());
            assert_eq!(e.outcome(), OutcomeKind::Unknown, "{named}");
            let why = e.explanation();
            assert!(why.title.contains("unknown"), "{why:?}");
            assert!(why.meaning.contains(named), "{why:?}");
        }
        // The latest one that may have arrived is named.
        let e = exchange(vec![
            failed(1, FailureKind::NotSent),
            failed(2, FailureKind::Timeout),
            failed(3, FailureKind::NotSent),
        ]);
        assert_eq!(e.outcome(), OutcomeKind::Unknown);
        assert!(e.explanation().meaning.contains("attempt 2 (timed out)"));
    }

    #[test]
    fn a_missing_attempt_number_may_have_arrived() {
        let e = exchange(vec![failed(2, FailureKind::NotSent)]);
        assert!(!e.nothing_sent());
        assert_eq!(e.outcome(), OutcomeKind::Unknown);
        assert!(
            e.explanation()
                .meaning
                .contains("attempt 1 (never recorded")
        );
        let e = exchange(vec![
            failed(1, FailureKind::NotSent),
            failed(3, FailureKind::NotSent),
        ]);
        assert_eq!(e.outcome(), OutcomeKind::Unknown);
        assert!(
            e.explanation()
                .meaning
                .contains("attempt 2 (never recorded")
        );
    }

    /// An attempt `latency_ms` long starting `start_ms` after the epoch, with a planned
    /// retry when `retry_ms` is set.
    fn timed(number: u32, start_ms: i64, latency_ms: u64, retry_ms: Option<u64>) -> Attempt {
        let mut a = answered(number, 503);
        a.started_at = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(start_ms);
        a.latency = Duration::from_millis(latency_ms);
        a.retry = retry_ms.map(|ms| RetryPlan {
            wait: Duration::from_millis(ms),
            reason: "503 Service Unavailable, backoff".into(),
        });
        a
    }

    #[test]
    fn the_time_taken_is_time_sending_and_the_waits_are_apart() {
        // A 503, a backoff of 1 s, a 503 asking Retry-After 45 s, then the last answer: as
        // the report that showed 46.5 s for 0.6 s of sending.
        let e = exchange(vec![
            timed(1, 0, 100, Some(1000)),
            timed(2, 1100, 200, Some(45_000)),
            timed(3, 46_300, 300, None),
        ]);
        assert_eq!(e.sending_time(), Duration::from_millis(600));
        assert_eq!(e.waited(), Duration::from_millis(46_000));
        // One attempt: nothing waited.
        let one = exchange(vec![timed(1, 0, 250, None)]);
        assert_eq!(one.sending_time(), Duration::from_millis(250));
        assert_eq!(one.waited(), Duration::ZERO);
        assert_eq!(exchange(Vec::new()).sending_time(), Duration::ZERO);
        assert_eq!(exchange(Vec::new()).waited(), Duration::ZERO);
    }

    #[test]
    fn a_run_sent_again_later_and_clocks_that_go_back_add_no_wait() {
        // The first run stopped after attempt 1 (no retry planned); a day later it was sent
        // again: that day is no wait of the client's.
        let later = exchange(vec![
            timed(1, 0, 100, None),
            timed(2, 86_400_000, 100, Some(500)),
            timed(3, 86_400_600, 100, None),
        ]);
        assert_eq!(later.sending_time(), Duration::from_millis(300));
        assert_eq!(later.waited(), Duration::from_millis(500));
        // A next attempt recorded before the previous one ended (the wall clock stepped
        // back): no negative wait, no panic.
        let back = exchange(vec![
            timed(1, 5_000, 100, Some(500)),
            timed(2, 0, 100, None),
        ]);
        assert_eq!(back.waited(), Duration::ZERO);
        // Latencies as large as a record can hold add up without overflowing.
        let huge = exchange(vec![
            timed(1, 0, u64::MAX, Some(0)),
            timed(2, 1, u64::MAX, None),
        ]);
        assert_eq!(
            huge.sending_time(),
            Duration::from_millis(u64::MAX).saturating_mul(2)
        );
        assert_eq!(huge.waited(), Duration::ZERO);
    }

    #[test]
    fn an_answer_after_unsent_attempts_decides() {
        let e = exchange(vec![failed(1, FailureKind::NotSent), answered(2, 201)]);
        assert_eq!(e.outcome(), OutcomeKind::Initiated);
        let e = exchange(vec![
            failed(1, FailureKind::NotSent),
            failed(2, FailureKind::Timeout),
        ]);
        assert_eq!(e.outcome(), OutcomeKind::Unknown);
        assert_eq!(exchange(Vec::new()).outcome(), OutcomeKind::Unknown);
        assert!(!exchange(Vec::new()).nothing_sent());
    }
}
