//! Commands that run without the console: `initiate` and `sandbox`.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::api::{ApiClient, AttemptResult, ClientOptions, Exchange, new_idempotency_key};
use crate::cli::{GlobalArgs, InitiateArgs, SandboxArgs};
use crate::domain::{FormField, InitiateRequest, KycType, OutcomeKind, RedirectUri, UserId};
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::target;

/// Exit code when the verification was initiated.
pub const EXIT_INITIATED: u8 = 0;
/// Exit code when the API refused or failed, or the outcome is unknown.
pub const EXIT_FAILED: u8 = 1;
/// Exit code when the input was invalid and nothing was sent.
pub const EXIT_INVALID: u8 = 2;

/// A field the operator got wrong, with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: FormField,
    pub message: String,
    pub hint: &'static str,
}

/// Validates the command's fields with the domain's rules.
pub fn validate(args: &InitiateArgs) -> Result<(InitiateRequest, Vec<String>), InputError> {
    let mut notes = Vec::new();
    let (user_id, norm) = UserId::parse(&args.user_id).map_err(|e| InputError {
        field: FormField::UserId,
        message: e.to_string(),
        hint: "expected usr- followed by a v4 UUID, e.g. usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
    })?;
    if let Some(note) = norm.note() {
        notes.push(format!("user id: {note}"));
    }
    let kyc_type = KycType::parse(&args.kyc_type).map_err(|e| InputError {
        field: FormField::KycType,
        message: e.to_string(),
        hint: "pass --type full, shipping, rfi or import",
    })?;
    let redirect = RedirectUri::parse_optional(args.redirect_uri.as_deref().unwrap_or_default())
        .map_err(|e| InputError {
            field: FormField::RedirectUri,
            message: e.to_string(),
            hint: "pass an absolute URI such as https://example.com/kyc-done, or leave it out",
        })?;
    let redirect_uri = redirect.map(|(uri, warning)| {
        if let Some(w) = warning {
            notes.push(format!("redirect URI: {}", w.message()));
        }
        uri
    });
    Ok((
        InitiateRequest {
            user_id,
            kyc_type,
            redirect_uri,
        },
        notes,
    ))
}

/// `kyc-console initiate`: validate, send (with retries), print, and exit 0/1/2.
pub async fn initiate(global: &GlobalArgs, args: &InitiateArgs) -> ExitCode {
    let (request, notes) = match validate(args) {
        Ok(v) => v,
        Err(e) => {
            if args.json {
                let out = json!({
                    "sent": false,
                    "outcome": "invalid",
                    "error": {"field": e.field, "message": e.message, "hint": e.hint},
                });
                emit(&format!("{out:#}\n"));
            } else {
                eprintln!(
                    "error: {}: {}\n  {}\nnothing was sent",
                    e.field.label(),
                    e.message,
                    e.hint
                );
            }
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let resolved = match target::resolve(global).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}\nnothing was sent");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let client = match ApiClient::new(resolved.target.clone(), ClientOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\nnothing was sent");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if !args.json {
        for note in &notes {
            eprintln!("note: {note}");
        }
    }
    let key = new_idempotency_key();
    let cancel = CancellationToken::new();
    let ctrl_c = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        })
    };
    let show_progress = !args.json;
    let exchange = client
        .submit(&request, &key, &cancel, |event| {
            if let (true, crate::api::AttemptEvent::Finished(a)) = (show_progress, &event)
                && let Some(retry) = &a.retry
            {
                eprintln!(
                    "attempt {}: {} — retrying in {:.1} s",
                    a.number,
                    a.short(),
                    retry.wait.as_secs_f64()
                );
            }
        })
        .await;
    ctrl_c.abort();
    if args.json {
        emit(&format!(
            "{:#}\n",
            exchange_json(&exchange, &resolved.profile, &notes)
        ));
    } else {
        emit(&describe_exchange(&exchange));
    }
    if let Some(sandbox) = resolved.sandbox {
        sandbox.stop().await;
    }
    if exchange.outcome() == OutcomeKind::Initiated {
        ExitCode::from(EXIT_INITIATED)
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

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

/// Writes to stdout, ignoring a closed pipe (`| head`) instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// `1.2 s` or `340 ms`.
pub fn format_duration(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `kyc-console sandbox`: serve until Ctrl-C.
pub async fn sandbox(args: &SandboxArgs) -> ExitCode {
    let config = SandboxConfig {
        api_key: args
            .api_key
            .clone()
            .unwrap_or_else(|| crate::sandbox::SANDBOX_API_KEY.to_string()),
        rate_limit_per_minute: args.rate_limit.max(1),
        ..SandboxConfig::default()
    };
    let sandbox = match Sandbox::start(config, args.port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: cannot listen on 127.0.0.1:{}: {e}\n  pick another with --port N (0 picks a free one)",
                args.port
            );
            return ExitCode::from(EXIT_FAILED);
        }
    };
    emit(&format!(
        "sandbox listening\n  base URL   {base}\n  endpoint   POST {endpoint}/kycs\n  API key    {key} (header x-api-key)\n  \
         rate limit {limit} a minute per key\n  errors     user ids ending 000000000SSS get status SSS \
         (400 401 403 429 500 502 503 504)\npress Ctrl-C to stop\n",
        base = sandbox.base_url(),
        endpoint = sandbox.base_url().as_str().trim_end_matches('/'),
        key = sandbox.api_key(),
        limit = args.rate_limit.max(1),
    ));
    let _ = tokio::signal::ctrl_c().await;
    sandbox.stop().await;
    emit("sandbox stopped\n");
    ExitCode::SUCCESS
}
