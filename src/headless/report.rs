//! How a finished submission is printed: the shared description as text for people, and
//! as JSON for scripts.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::api::{AttemptResult, CapturedResponse, Exchange};
use crate::domain::OutcomeKind;
use crate::history::Submission;
use crate::present::{
    self, AttemptLine, ExchangeSummary, NO_RESPONSE, format_duration, timing, utc_millis,
};

/// The human report of a finished submission.
pub fn describe_exchange(exchange: &Exchange) -> String {
    exchange_text(&present::describe_exchange(exchange))
}

fn exchange_text(e: &ExchangeSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}  {}  ({})",
        e.mark,
        e.kind.label(),
        e.title,
        timing(e.attempts, e.took, e.waited)
    );
    if e.kind == OutcomeKind::Initiated {
        if let Some(v) = &e.verification {
            for (label, field) in [
                ("verification", &v.id),
                ("status", &v.status),
                ("webview", &v.url),
            ] {
                row(&mut out, label, field.as_deref().unwrap_or("—"));
            }
        }
        if e.verification.as_ref().is_none_or(|v| v.id.is_none()) {
            // Started, with nothing to look it up by but the request id: say so.
            row(&mut out, "meaning", &e.meaning);
            row(&mut out, "what to do", &e.action);
        }
    } else {
        row(&mut out, "meaning", &e.meaning);
        row(&mut out, "what to do", &e.action);
        if let Some(line) = &e.says {
            row(&mut out, "response", line);
        }
        for f in &e.field_errors {
            row(
                &mut out,
                "field error",
                &format!("{}: {}", f.name, f.message),
            );
        }
        if let Some(message) = &e.error {
            row(&mut out, "error", message);
        }
    }
    row(
        &mut out,
        "request id",
        e.request_id.as_deref().unwrap_or(NO_RESPONSE),
    );
    row(&mut out, "idempotency", &e.idempotency_key);
    if e.tries.len() > 1 {
        for (i, a) in e.tries.iter().enumerate() {
            let retry = a.wait.as_ref().map_or(String::new(), |w| {
                format!("  then waited {} ({})", format_duration(w.wait), w.reason)
            });
            let label = if i == 0 { "attempts" } else { "" };
            row(
                &mut out,
                label,
                &format!(
                    "#{} {} in {}{retry}",
                    a.number,
                    a.short,
                    format_duration(a.latency)
                ),
            );
        }
    }
    out
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {label:<13} {value}");
}

/// The `--json` report: everything the human output shows, and the raw body.
pub fn exchange_json(exchange: &Exchange, profile: &str, notes: &[String]) -> Value {
    let explanation = exchange.explanation();
    let response = exchange.final_response();
    let body = response.map(|r| {
        serde_json::from_slice::<Value>(&r.body).unwrap_or_else(|_| Value::String(r.body_text()))
    });
    let verification = (exchange.outcome() == OutcomeKind::Initiated)
        .then_some(response)
        .flatten()
        .map(|r| json!({"id": r.json_field("id"), "status": r.json_field("status"), "url": r.json_field("url")}));
    let attempts: Vec<Value> = exchange
        .attempts
        .iter()
        .map(|a| {
            let (status, failure, error) = match &a.result {
                AttemptResult::Response(r) => (Some(r.status), None, None),
                AttemptResult::Failed { failure, message } => (None, Some(*failure), Some(message.clone())),
            };
            json!({
                "number": a.number,
                "status": status,
                "failure": failure,
                "error": error,
                "latency_ms": a.latency.as_millis() as u64,
                "request_id": a.response().and_then(|r| r.request_id.clone()),
                "retry": a.retry.as_ref().map(|r| json!({"wait_ms": r.wait.as_millis() as u64, "reason": r.reason})),
            })
        })
        .collect();
    json!({
        // False, as for invalid input, when nothing reached the platform.
        "sent": exchange.outcome() != OutcomeKind::NotSent,
        "profile": profile,
        "outcome": exchange.outcome(),
        "status": response.map(|r| r.status),
        "title": explanation.title,
        "meaning": explanation.meaning,
        "action": explanation.action,
        "verification": verification,
        "request_id": response.and_then(|r| r.request_id.clone()),
        "idempotency_key": exchange.idempotency_key,
        "request": present::masked_request(&exchange.request),
        "attempts": attempts,
        "latency_ms": millis(exchange.sending_time()),
        "waited_ms": millis(exchange.waited()),
        "field_errors": response.map(|r| r.summary().field_errors).unwrap_or_default(),
        "body": body,
        "body_truncated": response.is_some_and(|r| r.body_truncated),
        "notes": notes,
    })
}

/// A stored submission in full, for `show`: outcome, request, attempts, final response;
/// `retry` is the command that settles one with no outcome, as it is to be run.
pub fn describe_submission(s: &Submission, retry: &str) -> String {
    let d = present::describe_submission(s);
    let mut out = String::new();
    let when = match d.sent_at {
        Some(sent) => format!("sent {}", utc_millis(sent)),
        None => format!("recorded {} (never sent)", utc_millis(d.created_at)),
    };
    let _ = writeln!(
        out,
        "submission #{} · {when} · profile {} · operator {}",
        d.id, d.profile, d.operator
    );
    let _ = writeln!(out, "  {:<13} {} · {}", "user", d.user_id, d.kyc_type);
    if d.sent_later() {
        row(&mut out, "recorded", &utc_millis(d.created_at));
    }
    if let Some(uri) = &d.redirect_uri {
        row(&mut out, "redirect URI", uri);
    }
    if let Some(of) = d.resend_of {
        row(&mut out, "resends", &format!("#{of}"));
    }
    match &d.outcome {
        None => {
            let _ = writeln!(
                out,
                "? no outcome recorded: the console stopped before the end (or is still waiting)\n  \
                 `{retry}` sends it again with its own key, which never starts it twice"
            );
            row(&mut out, "idempotency", &d.idempotency_key);
        }
        Some(e) => out.push_str(&exchange_text(e)),
    }
    let _ = writeln!(out, "\nrequest\n  {} {}", d.request.method, d.request.url);
    for (name, value) in &d.request.headers {
        let _ = writeln!(out, "  {name}: {value}");
    }
    let _ = writeln!(out, "  {}", d.request.body);
    out.push_str("\nattempts\n");
    if d.attempts.is_empty() {
        out.push_str("  none recorded\n");
    }
    for a in &d.attempts {
        out.push_str(&attempt_text(a));
    }
    if let Some(r) = &d.response {
        let _ = writeln!(out, "\nresponse\n  HTTP {}", r.status_title);
        for (name, value) in &r.headers {
            let _ = writeln!(out, "  {name}: {value}");
        }
        for line in r.body.lines() {
            let _ = writeln!(out, "  {line}");
        }
        if let Some(read) = r.truncated_at {
            let _ = writeln!(out, "  … truncated at {read} bytes");
        }
    }
    out
}

fn attempt_text(a: &AttemptLine) -> String {
    let mut out = format!(
        "  #{} {} {} in {}",
        a.number,
        utc_millis(a.started_at),
        a.short,
        format_duration(a.latency)
    );
    if let Some(message) = &a.error {
        let _ = write!(out, " ({message})");
    }
    if let Some(w) = &a.wait {
        let _ = write!(
            out,
            ", then waited {} ({})",
            format_duration(w.wait),
            w.reason
        );
    }
    out.push('\n');
    out
}

/// A stored submission as one JSON object, bodies as JSON when they are JSON, else text.
pub fn submission_json(s: &Submission) -> Value {
    let exchange = s.exchange();
    let explanation = s.outcome.map(|_| exchange.explanation());
    let attempts: Vec<Value> = exchange
        .attempts
        .iter()
        .map(|a| {
            let mut v = json!({
                "number": a.number,
                "started_at": a.started_at,
                "latency_ms": u64::try_from(a.latency.as_millis()).unwrap_or(u64::MAX),
                "retry": a.retry.as_ref().map(|r| json!({"wait_ms": u64::try_from(r.wait.as_millis()).unwrap_or(u64::MAX), "reason": r.reason})),
            });
            match &a.result {
                AttemptResult::Response(r) => {
                    v["status"] = json!(r.status);
                    v["request_id"] = json!(r.request_id);
                    v["headers"] = json!(r.headers);
                    v["body"] = body_value(r);
                    v["body_truncated"] = json!(r.body_truncated);
                    v["rate_limit"] = json!(r.rate_limit);
                }
                AttemptResult::Failed { failure, message } => {
                    v["failure"] = json!(failure);
                    v["error"] = json!(message);
                }
            }
            v
        })
        .collect();
    let response = exchange.final_response();
    json!({
        "id": s.id,
        "created_at": s.new.created_at,
        "sent_at": s.row().sent_at,
        "operator": s.new.operator,
        "profile": s.new.profile,
        "base_url": s.new.base_url,
        "user_id": s.new.user_id,
        "type": s.new.kyc_type,
        "redirect_uri": s.new.redirect_uri,
        "idempotency_key": s.new.idempotency_key,
        "resend_of": s.new.resend_of,
        "batch_id": s.new.batch_id,
        "outcome": s.outcome,
        "status": response.map(|r| r.status),
        "request_id": response.and_then(|r| r.request_id.clone()),
        "verification_id": (s.outcome == Some(OutcomeKind::Initiated)).then(|| response.and_then(|r| r.json_field("id"))).flatten(),
        "explanation": explanation,
        "request": present::masked_request(&s.new.request),
        "attempts": attempts,
        // Time spent sending, and waiting between attempts: apart.
        "latency_ms": millis(exchange.sending_time()),
        "waited_ms": millis(exchange.waited()),
    })
}

/// Whole milliseconds, saturating.
fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn body_value(r: &CapturedResponse) -> Value {
    serde_json::from_slice::<Value>(&r.body).unwrap_or_else(|_| Value::String(r.body_text()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::api::{Attempt, RateLimit, RequestRecord, RetryPlan};

    /// A 503, a Retry-After of 45 s, then a 504: 1.5 s of sending, 45 s of waiting.
    fn waited_out() -> Exchange {
        let at = |ms: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(ms);
        let answer =
            |number: u32, start: i64, latency: u64, status: u16, wait: Option<u64>| Attempt {
                number,
                started_at: at(start),
                latency: Duration::from_millis(latency),
                result: AttemptResult::Response(CapturedResponse {
                    status,
                    headers: Vec::new(),
                    body: Vec::new(),
                    body_truncated: false,
                    request_id: Some(format!("req-{number}")),
                    rate_limit: RateLimit::default(),
                    read_fields: Default::default(),
                }),
                retry: wait.map(|ms| RetryPlan {
                    wait: Duration::from_millis(ms),
                    reason: "503 Service Unavailable, Retry-After 45 s".into(),
                }),
                stop: None,
            };
        Exchange {
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:9/kycs".into(),
                headers: Vec::new(),
                body: "{}".into(),
            },
            idempotency_key: "k".into(),
            attempts: vec![
                answer(1, 0, 100, 503, Some(45_000)),
                answer(2, 45_100, 1400, 504, None),
            ],
        }
    }

    #[test]
    fn the_time_taken_leaves_the_waits_apart_in_text_and_json() {
        let e = waited_out();
        let text = describe_exchange(&e);
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.ends_with("(took 1.5 s over 2 attempts, waited 45.0 s)"),
            "{first}"
        );
        let json = exchange_json(&e, "sandbox", &[]);
        assert_eq!(json["latency_ms"], 1500);
        assert_eq!(json["waited_ms"], 45_000);
    }
}
