//! A submission described once: what happened, what it means, what to do, and what went
//! over the wire with the key masked. Each front-end chooses what to show and how.
//!
//! Every text here is safe to put on a terminal ([`safe_text`]): what a server, a file or
//! the history said is shown with its control characters and escape sequences made
//! visible, and long values cut with a marker. Copies, JSON and CSV read the submission
//! itself, exactly as it came.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::api::{Attempt, AttemptResult, CapturedResponse, Exchange, RequestRecord, mask_header};
use crate::domain::{
    BodySummary, KycType, LINE_LIMIT, OutcomeKind, safe_lines, safe_string, status_title,
};
use crate::history::{Submission, SubmissionId};

/// Written where a request id would be when no response came back.
pub const NO_RESPONSE: &str = "— (no response)";

/// What an exchange came to, at a glance and with the advice that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeSummary {
    pub kind: OutcomeKind,
    /// `✓` or `✗`.
    pub mark: &'static str,
    pub title: String,
    pub meaning: String,
    pub action: String,
    pub attempts: usize,
    /// Time spent sending: every attempt's latency added up.
    pub took: Duration,
    /// Time spent waiting between attempts (backoff, `Retry-After`, rate-limit resets).
    pub waited: Duration,
    /// Set when the verification was initiated and a response says so.
    pub verification: Option<Verification>,
    /// The most specific thing the final response's body says.
    pub says: Option<String>,
    pub field_errors: Vec<FieldProblem>,
    /// Why the last attempt got no response, if it got none.
    pub error: Option<String>,
    pub request_id: Option<String>,
    pub idempotency_key: String,
    /// Every attempt, with its wait before the next.
    pub tries: Vec<AttemptLine>,
}

/// The verification an initiated submission started; fields the body lacked are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub id: Option<String>,
    pub status: Option<String>,
    /// The webview link for the user.
    pub url: Option<String>,
}

/// A field the platform refused, named as the form names it when it is one of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub name: String,
    pub message: String,
}

/// One attempt: when, what it got, how long, and the wait that followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptLine {
    pub number: u32,
    pub started_at: DateTime<Utc>,
    pub kind: OutcomeKind,
    /// `503` or `timed out`.
    pub short: String,
    pub latency: Duration,
    /// Why it got no response, if it got none.
    pub error: Option<String>,
    pub wait: Option<Wait>,
}

/// The client's wait before trying again, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub wait: Duration,
    pub reason: String,
}

/// The request as sent, safe to show: the key masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The body byte for byte.
    pub body: String,
    /// The body indented when it is JSON, else as sent.
    pub readable_body: String,
}

/// The final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseView {
    pub status: u16,
    pub kind: OutcomeKind,
    /// `400 Bad Request`.
    pub status_title: String,
    pub headers: Vec<(String, String)>,
    /// Pretty JSON, text, or HTML reduced to text; the raw text when none of these reads.
    pub body: String,
    /// The bytes read when the body was longer than the cap.
    pub truncated_at: Option<usize>,
}

/// A stored submission in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionReport {
    pub id: SubmissionId,
    /// When it was recorded (a batch row: when its batch was).
    pub created_at: DateTime<Utc>,
    /// When sending started; `None` if it never did.
    pub sent_at: Option<DateTime<Utc>>,
    pub profile: String,
    pub operator: String,
    pub user_id: String,
    pub kyc_type: KycType,
    pub redirect_uri: Option<String>,
    pub resend_of: Option<SubmissionId>,
    pub idempotency_key: String,
    /// The final response's request id.
    pub request_id: Option<String>,
    /// `None` when no outcome was recorded: in flight, or the console stopped first.
    /// Once recorded, the attempts tell it, as they did when it was recorded.
    pub outcome: Option<ExchangeSummary>,
    pub request: RequestView,
    pub attempts: Vec<AttemptLine>,
    pub response: Option<ResponseView>,
}

impl SubmissionReport {
    /// Whether it was sent a second or more after it was recorded (a batch row waiting for
    /// its turn), so that both times are worth showing.
    pub fn sent_later(&self) -> bool {
        self.sent_at
            .is_some_and(|sent| (sent - self.created_at).num_seconds() >= 1)
    }
}

/// `✓` for an initiated verification, `✗` for anything else.
pub fn mark(kind: OutcomeKind) -> &'static str {
    if kind == OutcomeKind::Initiated {
        "✓"
    } else {
        "✗"
    }
}

/// What a finished exchange came to.
pub fn describe_exchange(exchange: &Exchange) -> ExchangeSummary {
    let kind = exchange.outcome();
    let explanation = exchange.explanation();
    let response = exchange.final_response();
    let summary = response.map(CapturedResponse::summary);
    ExchangeSummary {
        kind,
        mark: mark(kind),
        title: safe_string(&explanation.title),
        meaning: safe_string(&explanation.meaning),
        action: safe_string(&explanation.action),
        attempts: exchange.attempts.len(),
        took: exchange.sending_time(),
        waited: exchange.waited(),
        verification: response
            .filter(|_| kind == OutcomeKind::Initiated)
            .map(|r| Verification {
                id: r.json_field("id").as_deref().map(safe_string),
                status: r.json_field("status").as_deref().map(safe_string),
                url: r.json_field("url").as_deref().map(safe_string),
            }),
        says: summary
            .as_ref()
            .and_then(BodySummary::one_line)
            .as_deref()
            .map(safe_string),
        field_errors: summary
            .map(|s| {
                s.field_errors
                    .into_iter()
                    .map(|e| FieldProblem {
                        name: e
                            .field
                            .map_or_else(|| safe_string(&e.reference), |f| f.label().to_string()),
                        message: safe_string(&e.message),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        error: exchange.last().and_then(failure_message),
        request_id: response.and_then(|r| r.request_id.as_deref().map(safe_string)),
        idempotency_key: safe_string(&exchange.idempotency_key),
        tries: exchange.attempts.iter().map(attempt_line).collect(),
    }
}

/// A stored submission, whatever state it is in.
pub fn describe_submission(s: &Submission) -> SubmissionReport {
    let exchange = s.exchange();
    let response = exchange.final_response();
    SubmissionReport {
        id: s.id,
        created_at: s.new.created_at,
        sent_at: s.row().sent_at,
        profile: safe_string(&s.new.profile),
        operator: safe_string(&s.new.operator),
        user_id: safe_string(&s.new.user_id),
        kyc_type: s.new.kyc_type,
        redirect_uri: s.new.redirect_uri.as_deref().map(safe_string),
        resend_of: s.new.resend_of,
        idempotency_key: safe_string(&s.new.idempotency_key),
        request_id: response.and_then(|r| r.request_id.as_deref().map(safe_string)),
        outcome: s.outcome.map(|_| describe_exchange(&exchange)),
        request: request_view(&s.new.request),
        attempts: exchange.attempts.iter().map(attempt_line).collect(),
        response: response.map(response_view),
    }
}

/// The record with the key header masked, whatever was stored: what every output shows.
pub fn masked_request(request: &RequestRecord) -> RequestRecord {
    RequestRecord {
        method: request.method.clone(),
        url: request.url.clone(),
        headers: request
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), mask_header(name, value).to_string()))
            .collect(),
        body: request.body.clone(),
    }
}

/// JSON indented for reading; anything else as it is.
pub fn readable_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

fn failure_message(a: &Attempt) -> Option<String> {
    match &a.result {
        AttemptResult::Failed { message, .. } => Some(safe_string(message)),
        AttemptResult::Response(_) => None,
    }
}

fn attempt_line(a: &Attempt) -> AttemptLine {
    AttemptLine {
        number: a.number,
        started_at: a.started_at,
        kind: a.outcome(),
        short: safe_string(&a.short()),
        latency: a.latency,
        error: failure_message(a),
        wait: a.retry.as_ref().map(|r| Wait {
            wait: r.wait,
            reason: safe_string(&r.reason),
        }),
    }
}

fn request_view(request: &RequestRecord) -> RequestView {
    let masked = masked_request(request);
    RequestView {
        readable_body: safe_lines(&readable_json(&masked.body), LINE_LIMIT).into_owned(),
        method: safe_string(&masked.method),
        url: safe_string(&masked.url),
        headers: safe_headers(&masked.headers),
        body: safe_lines(&masked.body, LINE_LIMIT).into_owned(),
    }
}

/// Header names and values as they may be shown.
fn safe_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| (safe_string(name), safe_string(value)))
        .collect()
}

fn response_view(r: &CapturedResponse) -> ResponseView {
    let readable = r.summary().readable;
    ResponseView {
        status: r.status,
        kind: OutcomeKind::from_status(r.status),
        status_title: status_title(r.status),
        headers: safe_headers(&r.headers),
        body: safe_lines(
            &if readable.is_empty() {
                r.body_text()
            } else {
                readable
            },
            LINE_LIMIT,
        )
        .into_owned(),
        truncated_at: r.body_truncated.then_some(r.body.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{KEY_MASK, RateLimit, RetryPlan};
    use crate::history::NewSubmission;
    use chrono::TimeZone;

    /// A key no output may hold, stored unmasked as an old or hand-made record could be.
    const CANARY: &str = "sk_live_canary_5e1f";

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_795_000_000_000 + ms).unwrap()
    }

    fn response(status: u16, body: &str) -> AttemptResult {
        AttemptResult::Response(CapturedResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            body_truncated: false,
            request_id: Some(format!("req_{status}")),
            rate_limit: RateLimit::default(),
            read_fields: Default::default(),
        })
    }

    fn submission(attempts: Vec<Attempt>, outcome: Option<OutcomeKind>) -> Submission {
        Submission {
            id: 7,
            new: NewSubmission {
                created_at: at(0),
                operator: "ops".into(),
                profile: "sandbox".into(),
                base_url: "http://127.0.0.1:1/".into(),
                target: "embedded sandbox".into(),
                key_env: None,
                user_id: "usr-1".into(),
                kyc_type: KycType::Full,
                redirect_uri: None,
                idempotency_key: "k-1".into(),
                request: RequestRecord {
                    method: "POST".into(),
                    url: "http://127.0.0.1:1/kycs".into(),
                    headers: vec![
                        ("content-type".into(), "application/json".into()),
                        ("X-Api-Key".into(), CANARY.into()),
                    ],
                    body: r#"{"userId":"usr-1","type":"full"}"#.into(),
                },
                resend_of: None,
                batch_id: None,
                batch_line: None,
            },
            attempts,
            outcome,
            dispatched_at: Some(at(0)),
        }
    }

    fn attempt(number: u32, start: i64, result: AttemptResult, wait: Option<u64>) -> Attempt {
        Attempt {
            number,
            started_at: at(start),
            latency: Duration::from_millis(40),
            result,
            retry: wait.map(|ms| RetryPlan {
                wait: Duration::from_millis(ms),
                reason: "503 Service Unavailable".into(),
            }),
            stop: None,
        }
    }

    #[test]
    fn the_key_is_masked_whatever_was_stored() {
        let report = describe_submission(&submission(Vec::new(), None));
        assert!(!format!("{report:?}").contains(CANARY));
        assert!(
            report
                .request
                .headers
                .contains(&("X-Api-Key".to_string(), KEY_MASK.to_string()))
        );
        let masked = masked_request(&submission(Vec::new(), None).new.request);
        assert!(!format!("{masked:?}").contains(CANARY));
        assert_eq!(masked.body, r#"{"userId":"usr-1","type":"full"}"#);
    }

    #[test]
    fn an_initiated_submission_names_its_verification_and_waits() {
        let s = submission(
            vec![
                attempt(1, 0, response(503, "{}"), Some(1000)),
                attempt(
                    2,
                    1040,
                    response(
                        201,
                        r#"{"id":"kyc-1","status":"pending","url":"https://w"}"#,
                    ),
                    None,
                ),
            ],
            Some(OutcomeKind::Initiated),
        );
        let report = describe_submission(&s);
        let outcome = report.outcome.expect("an outcome");
        assert_eq!(outcome.mark, "✓");
        assert_eq!(outcome.attempts, 2);
        // 40 ms each, sending; the second second was a wait, shown apart.
        assert_eq!(outcome.took, Duration::from_millis(80));
        assert_eq!(outcome.waited, Duration::from_millis(1000));
        assert_eq!(report.sent_at, Some(at(0)));
        let v = outcome.verification.expect("a verification");
        assert_eq!(v.id.as_deref(), Some("kyc-1"));
        assert_eq!(v.url.as_deref(), Some("https://w"));
        assert_eq!(report.attempts[0].short, "503");
        assert_eq!(
            report.attempts[0].wait.as_ref().map(|w| w.wait),
            Some(Duration::from_millis(1000))
        );
        assert_eq!(report.request_id.as_deref(), Some("req_201"));
        assert!(
            report
                .request
                .readable_body
                .contains("\n  \"type\": \"full\"")
        );
        let r = report.response.expect("a response");
        assert_eq!(r.status_title, "201 Created");
        assert!(r.body.contains("kyc-1"));
        assert_eq!(r.truncated_at, None);
    }

    #[test]
    fn a_refusal_says_what_the_body_said_and_no_outcome_is_none() {
        let body = r##"{"title":"Invalid request","detail":"bad id","errors":[{"pointer":"#/userId","detail":"no such user"}]}"##;
        let e = describe_exchange(
            &submission(vec![attempt(1, 0, response(400, body), None)], None).exchange(),
        );
        assert_eq!(e.mark, "✗");
        assert_eq!(e.kind, OutcomeKind::Rejected);
        assert_eq!(e.verification, None);
        assert_eq!(e.says.as_deref(), Some("bad id"));
        assert_eq!(e.field_errors[0].name, "user id");
        assert_eq!(e.field_errors[0].message, "no such user");
        assert_eq!(e.error, None);
        assert!(
            describe_submission(&submission(Vec::new(), None))
                .outcome
                .is_none()
        );
    }
}
