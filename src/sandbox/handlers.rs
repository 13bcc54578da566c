//! The sandbox's routes: initiate a KYC, a toy webview page, and counters for tests.

use std::sync::Arc;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures::StreamExt;
use serde_json::{Value, json};

use super::records::{Change, StoredResponse};
use super::responses::{self, Reply};
use super::server;
use super::state::{RateDecision, SandboxState};
use crate::domain::{
    FIELD_REDIRECT_URI, FIELD_TYPE, FIELD_USER_ID, KycType, RedirectUri, UserId, requested_error,
};

/// The longest idempotency key the platform accepts.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 64;
/// The header that carries it.
const IDEMPOTENCY_HEADER: &str = "x-idempotency-key";
/// The largest body read; the platform's bodies are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: Arc<SandboxState>) -> Router {
    Router::new()
        .route("/v1/kycs", any(initiate))
        .route("/v1/_sandbox/stats", get(stats))
        .route("/v1/_sandbox/keys/{key}", get(key_stats))
        .route("/webview/{id}", get(webview))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(server::track))
        .with_state(state)
}

async fn stats(State(state): State<Arc<SandboxState>>) -> Response {
    axum::Json(state.stats()).into_response()
}

async fn key_stats(State(state): State<Arc<SandboxState>>, Path(key): Path<String>) -> Response {
    axum::Json(state.key_stats(&key)).into_response()
}

async fn webview(Path(id): Path<String>) -> Response {
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    axum::response::Html(format!(
        "<!DOCTYPE html><html><head><title>Sandbox KYC {safe}</title></head>\
         <body><h1>Sandbox KYC webview</h1><p>Verification {safe}: nothing to scan here.</p></body></html>"
    ))
    .into_response()
}

async fn not_found() -> Response {
    Reply::problem(
        404,
        "Not Found",
        "no such route in the sandbox; try POST /v1/kycs",
        json!([]),
    )
    // The contract: every response carries a fresh request id, a 404 included.
    .with_header(
        "x-request-id",
        format!("req_{}", uuid::Uuid::new_v4().simple()),
    )
    .into_response()
}

async fn initiate(State(state): State<Arc<SandboxState>>, request: Request) -> Response {
    // The latency is counted from here: a slow platform answers that long after a request
    // arrives, however long its body took to come and whatever the sandbox did meanwhile.
    let arrived = tokio::time::Instant::now();
    let request_id = format!("req_{}", uuid::Uuid::new_v4().simple());
    let (parts, body) = request.into_parts();
    let (method, headers) = (parts.method, parts.headers);
    // Only the accepted key has a window of its own: a wrong key keeps nothing.
    let accepted = headers.get("x-api-key").map(HeaderValue::as_bytes)
        == Some(state.config.api_key.as_bytes());
    let rate = state.count_request(accepted);
    let counted = rate.clone();
    // In a task of its own: a client that hangs up does not cut the request short between
    // saving its outcome and counting it.
    let task = tokio::spawn(async move {
        let mut change = Change::request();
        let reply = respond(
            &state,
            &method,
            &headers,
            accepted,
            &counted,
            body,
            arrived,
            &mut change,
        )
        .await;
        match reply {
            Answer::Ready(reply) => durable(&state, change, reply).await,
            Answer::Saved(reply) => reply,
        }
    });
    let reply = task.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "sandbox request failed");
        Reply::json(
            500,
            json!({"error": {"code": "internal_error", "message": "An unexpected error occurred"}}),
        )
    });
    reply
        .with_header("x-request-id", request_id)
        .with_header("x-ratelimit-limit", rate.limit)
        .with_header("x-ratelimit-remaining", rate.remaining)
        .with_header("x-ratelimit-reset", rate.reset_secs)
        .with_header("ratelimit-policy", rate.policy)
        .with_header("ratelimit", rate.budget)
        .into_response()
}

/// A reply whose change is still to be saved, or one already saved.
enum Answer {
    Ready(Reply),
    Saved(Reply),
}

/// `reply` once `change` is saved; a 503 (nothing initiated, retry) if it cannot be.
async fn durable(state: &SandboxState, change: Change, reply: Reply) -> Reply {
    match state.commit(change).await {
        Ok(()) => reply,
        Err(e) => responses::unsaved(&e, state.config.unavailable_retry_after),
    }
}

#[allow(clippy::too_many_arguments)]
async fn respond(
    state: &SandboxState,
    method: &Method,
    headers: &HeaderMap,
    accepted: bool,
    rate: &RateDecision,
    body: Body,
    arrived: tokio::time::Instant,
    change: &mut Change,
) -> Answer {
    if !accepted {
        return Answer::Ready(responses::unauthenticated());
    }
    if rate.exceeded {
        return Answer::Ready(responses::rate_limited(rate.retry_after_secs));
    }
    if *method != Method::POST && *method != Method::PUT {
        return Answer::Ready(
            Reply::problem(
                405,
                "Method Not Allowed",
                "use POST (or PUT) on /v1/kycs",
                json!([]),
            )
            .with_header("allow", "POST, PUT"),
        );
    }
    if !is_json(headers) {
        return Answer::Ready(responses::not_json());
    }
    let idem = match idempotency_key(headers) {
        Ok(idem) => idem,
        Err(reply) => return Answer::Ready(reply),
    };
    let body = match read_body(body, state.config.read_timeout).await {
        Ok(body) => body,
        Err(reply) => return Answer::Ready(reply),
    };
    let body = body.as_slice();
    let Some(idem) = idem else {
        return Answer::Ready(process(state, body, arrived, change).await);
    };
    let Some((slot, since)) = state.enter(&idem) else {
        return Answer::Ready(responses::too_many_keys(
            state.config.max_idempotency_keys,
            state.config.unavailable_retry_after,
        ));
    };
    change.key = Some(idem);
    change.since = Some(since);
    change.key_stats.requests = 1;
    // Holding the slot makes a concurrent retry wait for the first answer, then replay it.
    let mut stored = slot.lock().await;
    if let Some(previous) = stored.as_ref() {
        if previous.method != method.as_str() || previous.body != body {
            return Answer::Ready(Reply::problem(
                422,
                "Idempotency key reused",
                "this x-idempotency-key was already used with a different request",
                json!([{"pointer": "header:x-idempotency-key", "detail": "reused with another body"}]),
            ));
        }
        change.key_stats.replays = 1;
        let reply = Reply {
            status: previous.status,
            content_type: previous.content_type.clone(),
            headers: previous.headers.clone(),
            body: previous.response_body.clone(),
        };
        return Answer::Ready(reply.with_header("x-idempotent-replayed", "true"));
    }
    let reply = process(state, body, arrived, change).await;
    // Transient answers and rate limits are not kept: a retry with the same key must get through.
    if matches!(reply.status, 429 | 502 | 503 | 504) {
        return Answer::Ready(reply);
    }
    let response = StoredResponse {
        method: method.as_str().to_string(),
        body: body.to_vec(),
        status: reply.status,
        content_type: reply.content_type.clone(),
        headers: reply.headers.clone(),
        response_body: reply.body.clone(),
    };
    change.stored = Some(response.clone());
    // Saved while the slot is held, and kept only once saved: what a retry replays is what
    // a restarted sandbox would replay too.
    match state.commit(std::mem::take(change)).await {
        Ok(()) => {
            *stored = Some(response);
            Answer::Saved(reply)
        }
        Err(e) => Answer::Saved(responses::unsaved(&e, state.config.unavailable_retry_after)),
    }
}

/// Waits out the latency from the request's arrival, validates the body, then answers on
/// demand or creates the verification (counted in `change`).
async fn process(
    state: &SandboxState,
    body: &[u8],
    arrived: tokio::time::Instant,
    change: &mut Change,
) -> Reply {
    let latency = state.config.latency;
    if !latency.is_zero() {
        match arrived.checked_add(latency) {
            Some(due) => wait_until(due).await,
            None => tokio::time::sleep(latency).await,
        }
    }
    let (user_id, kyc_type, redirect) = match validate(body) {
        Ok(valid) => valid,
        Err(reply) => return reply,
    };
    if let Some(status) = requested_error(&user_id) {
        if status == 504 {
            tokio::time::sleep(state.config.gateway_timeout_delay).await;
        }
        return responses::on_demand(status, state.config.unavailable_retry_after);
    }
    let id = format!("kyc-{}", uuid::Uuid::new_v4());
    change.verifications = 1;
    if change.key.is_some() {
        change.key_stats.verifications = 1;
    }
    Reply::json(
        201,
        json!({
            "id": id,
            "userId": user_id.as_str(),
            "type": kyc_type.as_str(),
            "status": "pending",
            "redirectUri": redirect,
            "url": state.webview_url(&id),
            "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }),
    )
    .with_header("location", format!("/v1/kycs/{id}"))
}

/// The runtime's timer counts whole milliseconds and wakes up to two of them late; the
/// last of the wait is slept precisely, on the blocking pool.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// Waits until `due`, a simulated platform's answer time, to within a fraction of a
/// millisecond: a `--latency-ms 100` sandbox answers after 100 ms, not 102.
async fn wait_until(due: tokio::time::Instant) {
    if let Some(early) = due.checked_sub(TIMER_SLACK) {
        tokio::time::sleep_until(early).await;
    }
    let rest = due.saturating_duration_since(tokio::time::Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

type Valid = (UserId, KycType, Option<String>);

/// Checks the body as the platform does, naming every offending field.
fn validate(body: &[u8]) -> Result<Valid, Reply> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Reply::problem(
            400,
            "Malformed JSON",
            &format!("the body is not valid JSON: {e}"),
            json!([{"pointer": "", "detail": e.to_string()}]),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(Reply::problem(
            400,
            "Invalid request",
            "the body must be a JSON object",
            json!([{"pointer": "", "detail": "expected an object"}]),
        ));
    };
    let mut errors = Vec::new();
    let mut fail = |field: &str, detail: String| {
        errors.push(json!({"pointer": format!("#/{field}"), "detail": detail}));
    };
    let user_id = match map.get(FIELD_USER_ID) {
        None | Some(Value::Null) => {
            fail(FIELD_USER_ID, "is required".into());
            None
        }
        Some(Value::String(s)) => match UserId::parse(s) {
            Ok((id, norm)) if !norm.changed() => Some(id),
            Ok(_) => {
                fail(
                    FIELD_USER_ID,
                    "must be lowercase with no surrounding spaces".into(),
                );
                None
            }
            Err(e) => {
                fail(
                    FIELD_USER_ID,
                    format!("must be usr- followed by a v4 UUID ({e})"),
                );
                None
            }
        },
        Some(_) => {
            fail(FIELD_USER_ID, "must be a string".into());
            None
        }
    };
    let kyc_type = match map.get(FIELD_TYPE) {
        None | Some(Value::Null) => {
            fail(FIELD_TYPE, "is required".into());
            None
        }
        Some(Value::String(s)) => match KycType::ALL.into_iter().find(|t| t.as_str() == s) {
            Some(t) => Some(t),
            None => {
                fail(
                    FIELD_TYPE,
                    "must be one of full, shipping, rfi, import".into(),
                );
                None
            }
        },
        Some(_) => {
            fail(FIELD_TYPE, "must be a string".into());
            None
        }
    };
    let redirect = match map.get(FIELD_REDIRECT_URI) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match RedirectUri::parse_optional(s) {
            Ok(Some(_)) if s.trim() == s => Some(s.clone()),
            Ok(_) => {
                fail(FIELD_REDIRECT_URI, "must be an absolute URI".into());
                None
            }
            Err(e) => {
                fail(FIELD_REDIRECT_URI, format!("must be an absolute URI: {e}"));
                None
            }
        },
        Some(_) => {
            fail(FIELD_REDIRECT_URI, "must be a string".into());
            None
        }
    };
    match (user_id, kyc_type) {
        (Some(u), Some(t)) if errors.is_empty() => Ok((u, t, redirect)),
        _ => {
            let fields: Vec<String> = errors
                .iter()
                .filter_map(|e| {
                    e["pointer"]
                        .as_str()
                        .map(|p| p.trim_start_matches("#/").to_string())
                })
                .collect();
            Err(Reply::problem(
                400,
                "Invalid request",
                &format!("invalid field(s): {}", fields.join(", ")),
                Value::Array(errors),
            ))
        }
    }
}

/// Whether the body is declared JSON: one `Content-Type`, `application/json` with any
/// parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let essence = value.as_bytes().split(|b| *b == b';').next().unwrap_or(&[]);
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"application/json")
}

/// The `x-idempotency-key`, if sent: once, 1 to 64 visible ASCII characters. Anything else
/// is refused, never taken as absent (which would initiate again on every retry).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Reply> {
    let mut values = headers.get_all(IDEMPOTENCY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let why = if values.next().is_some() {
        "must be sent once"
    } else if bytes.is_empty() {
        "must not be empty"
    } else if bytes.len() > MAX_IDEMPOTENCY_KEY_LEN {
        "must be 1 to 64 characters"
    } else if !bytes.iter().all(u8::is_ascii_graphic) {
        "must be visible ASCII characters, with no spaces (a UUID is best)"
    } else {
        return Ok(Some(String::from_utf8_lossy(bytes).into_owned()));
    };
    Err(Reply::problem(
        400,
        "Invalid request",
        &format!("{IDEMPOTENCY_HEADER} {why}"),
        json!([{"pointer": format!("header:{IDEMPOTENCY_HEADER}"), "detail": why}]),
    ))
}

/// The body, at most [`MAX_BODY_BYTES`], read within `limit`: 413 when larger, 408 when
/// slower (the connection is closed after either).
async fn read_body(body: Body, limit: Duration) -> Result<Vec<u8>, Reply> {
    let read = async {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                Reply::problem(
                    400,
                    "Invalid request",
                    &format!("the body could not be read: {e}"),
                    json!([{"pointer": "", "detail": "unreadable body"}]),
                )
            })?;
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(responses::too_large(MAX_BODY_BYTES));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(limit, read)
        .await
        .unwrap_or_else(|_| Err(responses::body_timeout(limit)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::records::Snapshot;
    use crate::sandbox::{SANDBOX_API_KEY, SandboxConfig};

    /// A request whose body comes `body_delay` after its head.
    fn slow_request(body_delay: Duration) -> Request {
        let body = format!(
            r#"{{"userId":"usr-{}","type":"full"}}"#,
            uuid::Uuid::new_v4()
        );
        let stream = futures::stream::once(async move {
            tokio::time::sleep(body_delay).await;
            Ok::<_, std::io::Error>(body)
        });
        Request::builder()
            .method("POST")
            .uri("/v1/kycs")
            .header("x-api-key", SANDBOX_API_KEY)
            .header(CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_HEADER, uuid::Uuid::new_v4().to_string())
            .body(Body::from_stream(stream))
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_latency_counts_from_the_request_s_arrival() {
        let config = SandboxConfig {
            latency: Duration::from_millis(100),
            ..SandboxConfig::default()
        };
        let addr = "127.0.0.1:0".parse().unwrap();
        let state = Arc::new(SandboxState::new(config, addr, None, Snapshot::default()));
        let started = tokio::time::Instant::now();
        let response = initiate(State(state), slow_request(Duration::from_millis(30))).await;
        assert_eq!(response.status(), 201);
        // Not the body's 30 ms and then 100 ms more: a platform that takes 100 ms answers
        // 100 ms after the request arrives. (The paused clock sees the runtime's timer only:
        // the last `TIMER_SLACK` of the wait is slept on a thread, in real time.)
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(100) - TIMER_SLACK && took <= Duration::from_millis(100),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_latency_too_long_for_the_clock_never_panics() {
        let config = SandboxConfig {
            latency: Duration::from_millis(u64::MAX),
            ..SandboxConfig::default()
        };
        let addr = "127.0.0.1:0".parse().unwrap();
        let state = Arc::new(SandboxState::new(config, addr, None, Snapshot::default()));
        let answer = tokio::time::timeout(
            Duration::from_secs(3600),
            initiate(State(state), slow_request(Duration::ZERO)),
        )
        .await;
        assert!(answer.is_err(), "still waiting an hour later");
    }
}
