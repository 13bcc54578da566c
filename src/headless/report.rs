//! How a finished submission is printed: for people, and as JSON for scripts.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::format_duration;
use crate::api::{AttemptResult, CapturedResponse, Exchange};
use crate::domain::{OutcomeKind, status_title};
use crate::history::Submission;

/// The human report of a finished submission.
pub fn describe_exchange(exchange: &Exchange) -> String {
    let mut out = String::new();
    let outcome = exchange.outcome();
    let explanation = exchange.explanation();
    let n = exchange.attempts.len();
    let mark = if outcome == OutcomeKind::Initiated {
        "✓"
    } else {
        "✗"
    };
    let _ = writeln!(
        out,
        "{mark} {}  {}  ({n} attempt{}, {})",
        outcome.label(),
        explanation.title,
        if n == 1 { "" } else { "s" },
        format_duration(exchange.total_latency())
    );
    let response = exchange.final_response();
    if outcome == OutcomeKind::Initiated {
        if let Some(r) = response {
            for (label, field) in [
                ("verification", "id"),
                ("status", "status"),
                ("webview", "url"),
            ] {
                row(
                    &mut out,
                    label,
                    &r.json_field(field).unwrap_or_else(|| "—".into()),
                );
            }
        }
    } else {
        row(&mut out, "meaning", &explanation.meaning);
        row(&mut out, "what to do", &explanation.action);
        if let Some(r) = response {
            let summary = r.summary();
            if let Some(line) = summary.one_line() {
                row(&mut out, "response", &line);
            }
            for e in &summary.field_errors {
                let name = e
                    .field
                    .map_or(e.reference.clone(), |f| f.label().to_string());
                row(&mut out, "field error", &format!("{name}: {}", e.message));
            }
        }
        if let Some(AttemptResult::Failed { message, .. }) = exchange.last().map(|a| &a.result) {
            row(&mut out, "error", message);
        }
    }
    row(
        &mut out,
        "request id",
        response
            .and_then(|r| r.request_id.as_deref())
            .unwrap_or("— (no response)"),
    );
    row(&mut out, "idempotency", &exchange.idempotency_key);
    if n > 1 {
        for a in &exchange.attempts {
            let retry = a.retry.as_ref().map_or(String::new(), |r| {
                format!("  then waited {} ({})", format_duration(r.wait), r.reason)
            });
            let label = if a.number == 1 { "attempts" } else { "" };
            row(
                &mut out,
                label,
                &format!(
                    "#{} {} in {}{retry}",
                    a.number,
                    a.short(),
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
        "sent": true,
        "profile": profile,
        "outcome": exchange.outcome(),
        "status": response.map(|r| r.status),
        "title": explanation.title,
        "meaning": explanation.meaning,
        "action": explanation.action,
        "verification": verification,
        "request_id": response.and_then(|r| r.request_id.clone()),
        "idempotency_key": exchange.idempotency_key,
        "request": exchange.request,
        "attempts": attempts,
        "latency_ms": exchange.total_latency().as_millis() as u64,
        "field_errors": response.map(|r| r.summary().field_errors).unwrap_or_default(),
        "body": body,
        "body_truncated": response.is_some_and(|r| r.body_truncated),
        "notes": notes,
    })
}

/// A stored submission in full, for `show`: outcome, request, attempts, final response.
pub fn describe_submission(s: &Submission) -> String {
    let mut out = String::new();
    let exchange = s.exchange();
    let _ = writeln!(
        out,
        "submission #{} · {} · profile {} · operator {}",
        s.id,
        s.new
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        s.new.profile,
        s.new.operator
    );
    let _ = writeln!(
        out,
        "  {:<13} {} · {}",
        "user", s.new.user_id, s.new.kyc_type
    );
    if let Some(uri) = &s.new.redirect_uri {
        row(&mut out, "redirect URI", uri);
    }
    if let Some(of) = s.new.resend_of {
        row(&mut out, "resends", &format!("#{of}"));
    }
    if s.outcome.is_none() {
        out.push_str(
            "? no outcome recorded: the console stopped before the end (or is still waiting)\n  \
             kyc-console retry ID sends it again with its own key, which never starts it twice\n",
        );
        row(&mut out, "idempotency", &s.new.idempotency_key);
    } else {
        out.push_str(&describe_exchange(&exchange));
    }
    let _ = writeln!(
        out,
        "\nrequest\n  {} {}",
        s.new.request.method, s.new.request.url
    );
    for (name, value) in &s.new.request.headers {
        let _ = writeln!(out, "  {name}: {value}");
    }
    let _ = writeln!(out, "  {}", s.new.request.body);
    out.push_str("\nattempts\n");
    if exchange.attempts.is_empty() {
        out.push_str("  none recorded\n");
    }
    for a in &exchange.attempts {
        let _ = write!(
            out,
            "  #{} {} {} in {}",
            a.number,
            a.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            a.short(),
            format_duration(a.latency)
        );
        if let AttemptResult::Failed { message, .. } = &a.result {
            let _ = write!(out, " ({message})");
        }
        if let Some(r) = &a.retry {
            let _ = write!(
                out,
                ", then waited {} ({})",
                format_duration(r.wait),
                r.reason
            );
        }
        out.push('\n');
    }
    if let Some(r) = exchange.final_response() {
        let _ = writeln!(out, "\nresponse\n  HTTP {}", status_title(r.status));
        for (name, value) in &r.headers {
            let _ = writeln!(out, "  {name}: {value}");
        }
        let summary = r.summary();
        let body = if summary.readable.is_empty() {
            r.body_text()
        } else {
            summary.readable
        };
        for line in body.lines() {
            let _ = writeln!(out, "  {line}");
        }
        if r.body_truncated {
            let _ = writeln!(out, "  … truncated at {} bytes", r.body.len());
        }
    }
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
        "request": s.new.request,
        "attempts": attempts,
    })
}

fn body_value(r: &CapturedResponse) -> Value {
    serde_json::from_slice::<Value>(&r.body).unwrap_or_else(|_| Value::String(r.body_text()))
}
