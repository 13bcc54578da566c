//! The sandbox's routes: initiate a KYC, a toy webview page, and counters for tests.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};

use super::records::{Change, StoredResponse};
use super::responses::{self, Reply};
use super::state::{RateDecision, SandboxState};
use crate::domain::{
    FIELD_REDIRECT_URI, FIELD_TYPE, FIELD_USER_ID, KycType, RedirectUri, UserId, requested_error,
};

/// The longest idempotency key the platform accepts.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 64;

pub fn router(state: Arc<SandboxState>) -> Router {
    Router::new()
        .route("/v1/kycs", any(initiate))
        .route("/v1/_sandbox/stats", get(stats))
        .route("/v1/_sandbox/keys/{key}", get(key_stats))
        .route("/webview/{id}", get(webview))
        .fallback(not_found)
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

async fn initiate(
    State(state): State<Arc<SandboxState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = format!("req_{}", uuid::Uuid::new_v4().simple());
    let api_key = header(&headers, "x-api-key").unwrap_or_default();
    let rate = state.count_request(&api_key);
    // In a task of its own: a client that hangs up does not cut the request short between
    // saving its outcome and counting it.
    let task = tokio::spawn(async move {
        let mut change = Change::request();
        let reply = respond(
            &state,
            &method,
            &headers,
            &api_key,
            &rate,
            &body,
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

async fn respond(
    state: &SandboxState,
    method: &Method,
    headers: &HeaderMap,
    api_key: &str,
    rate: &RateDecision,
    body: &[u8],
    change: &mut Change,
) -> Answer {
    if api_key != state.config.api_key {
        return Answer::Ready(responses::unauthenticated());
    }
    if rate.exceeded {
        return Answer::Ready(responses::rate_limited(rate.reset_secs.max(1)));
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
    let Some(idem) = header(headers, "x-idempotency-key") else {
        return Answer::Ready(process(state, body, change).await);
    };
    if idem.is_empty() || idem.chars().count() > MAX_IDEMPOTENCY_KEY_LEN {
        return Answer::Ready(Reply::problem(
            400,
            "Invalid request",
            "x-idempotency-key must be 1 to 64 characters",
            json!([{"pointer": "header:x-idempotency-key", "detail": "1 to 64 characters"}]),
        ));
    }
    state.note_key_request(&idem);
    change.key = Some(idem.clone());
    change.key_stats.requests = 1;
    let slot = state.slot(api_key, &idem);
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
    let reply = process(state, body, change).await;
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

/// Validates the body, then answers on demand or creates the verification (counted in
/// `change`).
async fn process(state: &SandboxState, body: &[u8], change: &mut Change) -> Reply {
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
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

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
