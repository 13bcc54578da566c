//! What was sent and what came back, captured for the screen, history and support.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    BodySummary, Explanation, FailureKind, OutcomeKind, explain_failure, explain_status, read_body,
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
    /// True when the body was longer than the cap and the rest was not read.
    pub body_truncated: bool,
    pub request_id: Option<String>,
    pub rate_limit: RateLimit,
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

    /// A field of a JSON body, e.g. the verification's `id`.
    pub fn json_field(&self, name: &str) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        match value.get(name)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
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
}

impl Attempt {
    pub fn outcome(&self) -> OutcomeKind {
        match &self.result {
            AttemptResult::Response(r) => OutcomeKind::from_status(r.status),
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

    pub fn explanation(&self) -> Explanation {
        match &self.result {
            AttemptResult::Response(r) => explain_status(r.status),
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

    pub fn outcome(&self) -> OutcomeKind {
        self.last().map_or(OutcomeKind::Unknown, Attempt::outcome)
    }

    pub fn final_response(&self) -> Option<&CapturedResponse> {
        self.last().and_then(Attempt::response)
    }

    pub fn explanation(&self) -> Explanation {
        self.last()
            .map(Attempt::explanation)
            .unwrap_or_else(|| explain_failure(FailureKind::Interrupted))
    }

    /// Time from the first attempt's start to the last one's end, waits included.
    pub fn total_latency(&self) -> Duration {
        match (self.attempts.first(), self.attempts.last()) {
            (Some(first), Some(last)) => {
                let span = (last.started_at - first.started_at)
                    .to_std()
                    .unwrap_or_default();
                span + last.latency
            }
            _ => Duration::ZERO,
        }
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
