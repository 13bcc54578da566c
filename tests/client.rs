//! The HTTP client against the embedded sandbox and small servers of our own, over real
//! loopback sockets: classification, retries with one idempotency key, Retry-After,
//! timeouts, cancellation, events, secrecy of the key, and the body cap.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use kyc_console::api::{
    ApiClient, ApiKey, AttemptEvent, AttemptResult, ClientOptions, DEFAULT_BODY_CAP, Exchange,
    KEY_MASK, RetryPolicy, Target, new_idempotency_key,
};
use kyc_console::domain::{
    FailureKind, InitiateRequest, KycType, OutcomeKind, UserId, error_on_demand_id,
};
use kyc_console::sandbox::{Sandbox, SandboxConfig};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

/// A key that appears nowhere but in the header it is sent in.
const SECRET_KEY: &str = "sk_test_9d8c7b6a5f4e3d2c1b0a_secret";

fn fast(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

fn options(retry: RetryPolicy) -> ClientOptions {
    ClientOptions {
        retry,
        ..ClientOptions::default()
    }
}

fn quick_sandbox() -> SandboxConfig {
    SandboxConfig {
        api_key: SECRET_KEY.to_string(),
        gateway_timeout_delay: Duration::from_millis(20),
        unavailable_retry_after: 0,
        ..SandboxConfig::default()
    }
}

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, 0).await.expect("sandbox starts")
}

fn client(sandbox: &Sandbox, options: ClientOptions) -> ApiClient {
    let target = Target::new(sandbox.base_url(), ApiKey::new(sandbox.api_key()));
    ApiClient::new(target, options).expect("client builds")
}

fn client_at(base_url: &str, options: ClientOptions) -> ApiClient {
    let target = Target::new(
        Url::parse(base_url).expect("base URL"),
        ApiKey::new(SECRET_KEY),
    );
    ApiClient::new(target, options).expect("client builds")
}

fn request_for(user_id: UserId) -> InitiateRequest {
    InitiateRequest {
        user_id,
        kyc_type: KycType::Full,
        redirect_uri: None,
    }
}

/// Submits with a fresh key and no cancellation; returns the exchange and every event.
async fn submit(client: &ApiClient, user_id: UserId) -> (Exchange, Vec<AttemptEvent>) {
    let key = new_idempotency_key();
    let mut events = Vec::new();
    let exchange = client
        .submit(
            &request_for(user_id),
            &key,
            &CancellationToken::new(),
            |e| events.push(e),
        )
        .await;
    assert_eq!(exchange.idempotency_key, key);
    (exchange, events)
}

fn status_of(result: &AttemptResult) -> Option<u16> {
    match result {
        AttemptResult::Response(r) => Some(r.status),
        AttemptResult::Failed { .. } => None,
    }
}

fn failure_of(result: &AttemptResult) -> Option<FailureKind> {
    match result {
        AttemptResult::Failed { failure, .. } => Some(*failure),
        AttemptResult::Response(_) => None,
    }
}

#[tokio::test]
async fn success_is_initiated_in_one_attempt() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(&sandbox, options(fast(3)));
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(exchange.outcome(), OutcomeKind::Initiated);
    assert_eq!(exchange.attempts.len(), 1);
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.status, 201);
    assert!(
        response
            .request_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(!response.body_truncated);
    assert!(
        response
            .json_field("id")
            .is_some_and(|id| id.starts_with("kyc-"))
    );
    assert_eq!(response.rate_limit.limit, Some(300));
    assert_eq!(response.rate_limit.remaining, Some(299));
    assert_eq!(exchange.explanation().title, "201 Created");
    assert!(exchange.attempts[0].retry.is_none());
    let stats = sandbox.key_stats(&exchange.idempotency_key);
    assert_eq!((stats.requests, stats.verifications), (1, 1));
}

#[tokio::test]
async fn refusals_and_500_are_classified_explained_and_not_retried() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(&sandbox, options(fast(3)));
    let table = [
        (400, OutcomeKind::Rejected, "400 Bad Request"),
        (401, OutcomeKind::Rejected, "401 Unauthorized"),
        (403, OutcomeKind::Rejected, "403 Forbidden"),
        (500, OutcomeKind::ServerError, "500 Internal Server Error"),
    ];
    for (status, kind, title) in table {
        let (exchange, _) = submit(&client, error_on_demand_id(status)).await;
        assert_eq!(exchange.outcome(), kind, "{status}");
        assert_eq!(exchange.attempts.len(), 1, "{status} must not be retried");
        assert!(exchange.attempts[0].retry.is_none(), "{status}");
        let response = exchange.final_response().expect("a response");
        assert_eq!(response.status, status);
        assert!(response.request_id.is_some(), "{status}");
        let explanation = exchange.explanation();
        assert_eq!(explanation.title, title);
        assert!(!explanation.meaning.is_empty() && !explanation.action.is_empty());
        assert_eq!(sandbox.key_stats(&exchange.idempotency_key).requests, 1);
    }
}

#[tokio::test]
async fn the_400_names_the_user_id_field() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(&sandbox, options(fast(3)));
    let (exchange, _) = submit(&client, error_on_demand_id(400)).await;
    let summary = exchange.final_response().expect("a response").summary();
    let error = summary
        .error_for(kyc_console::domain::FormField::UserId)
        .expect("a user id error");
    assert!(!error.message.is_empty());
}

#[tokio::test]
async fn transient_statuses_are_retried_with_one_idempotency_key() {
    let sandbox = start(quick_sandbox()).await;
    let max_retries = 2;
    let client = client(&sandbox, options(fast(max_retries)));
    let table = [
        (429, "429 Too Many Requests"),
        (502, "502 Bad Gateway"),
        (503, "503 Service Unavailable"),
        (504, "504 Gateway Timeout"),
    ];
    for (status, title) in table {
        let (exchange, _) = submit(&client, error_on_demand_id(status)).await;
        let attempts = &exchange.attempts;
        assert_eq!(attempts.len() as u32, max_retries + 1, "{status}");
        assert_eq!(exchange.outcome(), OutcomeKind::Transient, "{status}");
        for (i, attempt) in attempts.iter().enumerate() {
            assert_eq!(attempt.number as usize, i + 1);
            assert_eq!(status_of(&attempt.result), Some(status));
            let last = i + 1 == attempts.len();
            assert_eq!(attempt.retry.is_none(), last, "{status} attempt {}", i + 1);
        }
        let explanation = exchange.explanation();
        assert_eq!(explanation.title, title);
        assert!(!explanation.meaning.is_empty() && !explanation.action.is_empty());
        // Every attempt reached the sandbox with the submission's one key.
        let stats = sandbox.key_stats(&exchange.idempotency_key);
        assert_eq!(stats.requests, attempts.len() as u64, "{status}");
        assert_eq!((stats.verifications, stats.replays), (0, 0));
        // Each attempt got its own answer from the server.
        let mut ids: Vec<_> = attempts
            .iter()
            .filter_map(|a| a.response().and_then(|r| r.request_id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), attempts.len());
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sandbox = start(SandboxConfig {
        unavailable_retry_after: 1,
        ..quick_sandbox()
    })
    .await;
    let client = client(&sandbox, options(fast(1)));
    let clock = Instant::now();
    let (exchange, _) = submit(&client, error_on_demand_id(503)).await;
    let elapsed = clock.elapsed();
    assert_eq!(exchange.attempts.len(), 2);
    let retry = exchange.attempts[0].retry.as_ref().expect("a retry plan");
    assert_eq!(retry.wait, Duration::from_secs(1));
    assert!(retry.reason.contains("Retry-After"), "{}", retry.reason);
    assert!(
        elapsed >= Duration::from_secs(1),
        "retried after {elapsed:?}, before Retry-After"
    );
    // The wait is the client's, apart from the time spent sending.
    assert!(
        exchange.waited() >= Duration::from_secs(1),
        "{:?}",
        exchange.waited()
    );
    assert!(
        exchange.sending_time() < Duration::from_secs(1),
        "{:?}",
        exchange.sending_time()
    );
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.rate_limit.retry_after_secs, Some(1));
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_is_reported_not_waited_for() {
    let sandbox = start(SandboxConfig {
        rate_limit: 1,
        ..quick_sandbox()
    })
    .await;
    let policy = RetryPolicy {
        max_wait: Duration::from_secs(1),
        ..fast(3)
    };
    let client = client(&sandbox, options(policy));
    let (first, _) = submit(&client, UserId::random()).await;
    assert_eq!(first.outcome(), OutcomeKind::Initiated);
    // The window is spent: the sandbox asks to wait until it resets, far beyond 1 s.
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(exchange.attempts.len(), 1);
    assert_eq!(exchange.outcome(), OutcomeKind::Transient);
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.status, 429);
    assert_eq!(response.rate_limit.remaining, Some(0));
    assert!(response.rate_limit.retry_after_secs.is_some_and(|s| s > 1));
    assert!(response.rate_limit.reset_secs.is_some_and(|s| s >= 1));
}

#[tokio::test]
async fn a_timeout_is_an_unknown_outcome() {
    let sandbox = start(SandboxConfig {
        gateway_timeout_delay: Duration::from_secs(2),
        ..quick_sandbox()
    })
    .await;
    let timeout = Duration::from_millis(100);
    let client = client(
        &sandbox,
        ClientOptions {
            timeout,
            retry: RetryPolicy::none(),
            ..ClientOptions::default()
        },
    );
    let (exchange, _) = submit(&client, error_on_demand_id(504)).await;
    assert_eq!(exchange.attempts.len(), 1);
    let attempt = &exchange.attempts[0];
    assert!(
        matches!(
            &attempt.result,
            AttemptResult::Failed { failure: FailureKind::Timeout, message } if !message.is_empty()
        ),
        "{:?}",
        attempt.result
    );
    assert!(attempt.latency >= timeout);
    assert_eq!(exchange.outcome(), OutcomeKind::Unknown);
    assert!(exchange.final_response().is_none());
    assert!(exchange.explanation().title.contains("unknown"));
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let sandbox = start(SandboxConfig {
        gateway_timeout_delay: Duration::from_secs(2),
        ..quick_sandbox()
    })
    .await;
    let client = client(
        &sandbox,
        ClientOptions {
            timeout: Duration::from_millis(100),
            retry: fast(1),
            ..ClientOptions::default()
        },
    );
    let (exchange, _) = submit(&client, error_on_demand_id(504)).await;
    assert_eq!(exchange.attempts.len(), 2);
    for attempt in &exchange.attempts {
        assert_eq!(failure_of(&attempt.result), Some(FailureKind::Timeout));
    }
    let plan = exchange.attempts[0].retry.as_ref().expect("a retry plan");
    assert!(plan.reason.contains("timed out"), "{}", plan.reason);
    assert!(exchange.attempts[1].retry.is_none());
}

/// A server of our own for what the sandbox never does. The path's first segment picks
/// the behaviour; `arrived` hears of every request as it comes in.
async fn custom_server() -> (String, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    let app = axum::Router::new()
        .route("/{scenario}/kycs", any(custom))
        .with_state(Arc::new(tx));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("custom server");
    });
    (format!("http://{addr}"), rx)
}

fn chunks(total: usize, chunk: usize) -> Body {
    let pieces = (0..total.div_ceil(chunk)).map(move |i| {
        let len = chunk.min(total - i * chunk);
        Ok::<_, Infallible>(Bytes::from(vec![b'x'; len]))
    });
    Body::from_stream(futures::stream::iter(pieces))
}

async fn custom(
    State(arrived): State<Arc<mpsc::UnboundedSender<String>>>,
    Path(scenario): Path<String>,
) -> Response {
    let _ = arrived.send(scenario.clone());
    let json = |status: StatusCode, body: &str| {
        (
            status,
            [
                ("content-type", "application/json"),
                ("x-request-id", "req_custom"),
            ],
            body.to_string(),
        )
            .into_response()
    };
    match scenario.as_str() {
        "huge" => (StatusCode::OK, chunks(5 * 1024 * 1024, 64 * 1024)).into_response(),
        "exact" => (StatusCode::CREATED, chunks(DEFAULT_BODY_CAP, 64 * 1024)).into_response(),
        "accepted" => json(
            StatusCode::ACCEPTED,
            r#"{"id":"kyc-queued","status":"queued"}"#,
        ),
        "ok" => json(StatusCode::OK, r#"{"id":"kyc-ok","status":"pending"}"#),
        "nocontent" => StatusCode::NO_CONTENT.into_response(),
        "conflict" => json(
            StatusCode::CONFLICT,
            r#"{"error":{"code":"duplicate_user_error","message":"a KYC is already pending for this user"}}"#,
        ),
        "teapot" => (StatusCode::IM_A_TEAPOT, "I'm a teapot\nshort and stout\n").into_response(),
        "hang" => std::future::pending().await,
        s if s.starts_with("redirect-") => (
            StatusCode::TEMPORARY_REDIRECT,
            [(
                "location",
                format!("http://127.0.0.1:{}/kycs", &s["redirect-".len()..]),
            )],
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test]
async fn a_huge_body_is_cut_at_the_cap() {
    let (base, _arrived) = custom_server().await;
    let client = client_at(&format!("{base}/huge"), options(RetryPolicy::none()));
    let (exchange, _) = submit(&client, UserId::random()).await;
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), DEFAULT_BODY_CAP);
    assert!(response.body_truncated);
    assert_eq!(exchange.outcome(), OutcomeKind::Initiated);
}

#[tokio::test]
async fn a_body_of_exactly_the_cap_is_whole() {
    let (base, _arrived) = custom_server().await;
    let client = client_at(&format!("{base}/exact"), options(RetryPolicy::none()));
    let (exchange, _) = submit(&client, UserId::random()).await;
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.body.len(), DEFAULT_BODY_CAP);
    assert!(!response.body_truncated);
}

#[tokio::test]
async fn a_smaller_cap_is_respected() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(
        &sandbox,
        ClientOptions {
            body_cap: 10,
            ..options(RetryPolicy::none())
        },
    );
    let (exchange, _) = submit(&client, UserId::random()).await;
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.status, 201);
    assert_eq!(response.body.len(), 10);
    assert!(response.body_truncated);
}

#[tokio::test]
async fn any_2xx_is_initiated() {
    let (base, _arrived) = custom_server().await;
    for (scenario, status) in [("accepted", 202), ("ok", 200), ("nocontent", 204)] {
        let client = client_at(&format!("{base}/{scenario}"), options(fast(3)));
        let (exchange, _) = submit(&client, UserId::random()).await;
        assert_eq!(exchange.outcome(), OutcomeKind::Initiated, "{scenario}");
        assert_eq!(exchange.attempts.len(), 1);
        let response = exchange.final_response().expect("a response");
        assert_eq!(response.status, status);
        assert!(
            exchange
                .explanation()
                .title
                .starts_with(&status.to_string())
        );
    }
    let client = client_at(&format!("{base}/accepted"), options(fast(3)));
    let (exchange, _) = submit(&client, UserId::random()).await;
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.json_field("id").as_deref(), Some("kyc-queued"));
    assert_eq!(response.json_field("status").as_deref(), Some("queued"));
    assert_eq!(response.request_id.as_deref(), Some("req_custom"));
}

#[tokio::test]
async fn an_undocumented_conflict_is_shown_faithfully() {
    let (base, _arrived) = custom_server().await;
    let client = client_at(&format!("{base}/conflict"), options(fast(3)));
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(exchange.attempts.len(), 1, "a 409 is not retried");
    assert_eq!(exchange.outcome(), OutcomeKind::Rejected);
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.status, 409);
    let summary = response.summary();
    assert_eq!(summary.code.as_deref(), Some("duplicate_user_error"));
    assert_eq!(
        summary.message.as_deref(),
        Some("a KYC is already pending for this user")
    );
    let explanation = exchange.explanation();
    assert_eq!(explanation.title, "409 Conflict");
    assert!(!explanation.meaning.is_empty() && !explanation.action.is_empty());
}

#[tokio::test]
async fn an_unknown_status_keeps_its_code_and_text() {
    let (base, _arrived) = custom_server().await;
    let client = client_at(&format!("{base}/teapot"), options(fast(3)));
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(exchange.attempts.len(), 1);
    assert_eq!(exchange.outcome(), OutcomeKind::Rejected);
    let response = exchange.final_response().expect("a response");
    assert_eq!(response.status, 418);
    assert_eq!(response.summary().message.as_deref(), Some("I'm a teapot"));
    let explanation = exchange.explanation();
    assert_eq!(explanation.title, "418");
    assert!(explanation.meaning.contains("does not know"));
}

#[tokio::test]
async fn a_wrong_path_gets_the_sandbox_404() {
    let sandbox = start(quick_sandbox()).await;
    let mut target = Target::new(sandbox.base_url(), ApiKey::new(SECRET_KEY));
    target.path = "/verifications".to_string();
    let client = ApiClient::new(target, options(fast(3))).expect("client builds");
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(exchange.attempts.len(), 1);
    assert_eq!(exchange.outcome(), OutcomeKind::Rejected);
    assert_eq!(exchange.explanation().title, "404 Not Found");
    let response = exchange.final_response().expect("a response");
    assert!(response.request_id.is_some(), "a 404 has a request id too");
    assert!(exchange.request.url.ends_with("/v1/verifications"));
}

#[tokio::test]
async fn a_put_profile_is_accepted_by_the_sandbox() {
    let sandbox = start(quick_sandbox()).await;
    let mut target = Target::new(sandbox.base_url(), ApiKey::new(SECRET_KEY));
    target.method = reqwest::Method::PUT;
    let client = ApiClient::new(target, options(fast(3))).expect("client builds");
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(exchange.outcome(), OutcomeKind::Initiated);
    assert_eq!(exchange.request.method, "PUT");
}

#[tokio::test]
async fn cancelling_in_flight_stops_at_once() {
    let (base, mut arrived) = custom_server().await;
    let client = client_at(&format!("{base}/hang"), options(fast(3)));
    let cancel = CancellationToken::new();
    let canceller = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            // Cancel once the server holds the request.
            assert_eq!(arrived.recv().await.as_deref(), Some("hang"));
            cancel.cancel();
        })
    };
    let key = new_idempotency_key();
    let exchange = client
        .submit(&request_for(UserId::random()), &key, &cancel, |_| {})
        .await;
    canceller.await.expect("canceller ran");
    assert_eq!(
        exchange.attempts.len(),
        1,
        "a cancelled attempt is not retried"
    );
    assert_eq!(
        failure_of(&exchange.attempts[0].result),
        Some(FailureKind::Cancelled)
    );
    assert!(exchange.attempts[0].retry.is_none());
    assert_eq!(exchange.outcome(), OutcomeKind::Unknown);
    assert!(exchange.explanation().title.contains("cancelled"));
}

#[tokio::test]
async fn cancelling_before_sending_sends_nothing() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(&sandbox, options(fast(3)));
    let cancel = CancellationToken::new();
    cancel.cancel();
    let key = new_idempotency_key();
    let exchange = client
        .submit(&request_for(UserId::random()), &key, &cancel, |_| {})
        .await;
    assert_eq!(exchange.attempts.len(), 1);
    assert_eq!(
        failure_of(&exchange.attempts[0].result),
        Some(FailureKind::Cancelled)
    );
    assert_eq!(sandbox.key_stats(&key).requests, 0);
    assert_eq!(sandbox.stats().requests, 0);
}

#[tokio::test]
async fn cancelling_while_waiting_to_retry_keeps_the_last_answer() {
    let sandbox = start(SandboxConfig {
        unavailable_retry_after: 1,
        ..quick_sandbox()
    })
    .await;
    let client = client(&sandbox, options(fast(3)));
    let cancel = CancellationToken::new();
    let key = new_idempotency_key();
    let exchange = client
        .submit(
            &request_for(error_on_demand_id(503)),
            &key,
            &cancel,
            |event| {
                if let AttemptEvent::Finished(attempt) = &event
                    && attempt.retry.is_some()
                {
                    cancel.cancel();
                }
            },
        )
        .await;
    assert_eq!(exchange.attempts.len(), 2);
    assert_eq!(status_of(&exchange.attempts[0].result), Some(503));
    assert!(exchange.attempts[0].retry.is_none(), "no retry followed");
    assert_eq!(
        failure_of(&exchange.attempts[1].result),
        Some(FailureKind::Cancelled)
    );
    assert_eq!(sandbox.key_stats(&key).requests, 1);
}

#[tokio::test]
async fn events_arrive_in_order_for_every_attempt() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(&sandbox, options(fast(2)));
    let (exchange, events) = submit(&client, error_on_demand_id(502)).await;
    let seen: Vec<String> = events
        .iter()
        .map(|e| match e {
            AttemptEvent::Started { number } => format!("started {number}"),
            AttemptEvent::Finished(a) => format!("finished {}", a.number),
        })
        .collect();
    assert_eq!(
        seen,
        [
            "started 1",
            "finished 1",
            "started 2",
            "finished 2",
            "started 3",
            "finished 3"
        ]
    );
    let finished: Vec<_> = events
        .into_iter()
        .filter_map(|e| match e {
            AttemptEvent::Finished(a) => Some(*a),
            AttemptEvent::Started { .. } => None,
        })
        .collect();
    assert_eq!(finished, exchange.attempts);
}

#[tokio::test]
async fn the_record_never_holds_the_key() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(&sandbox, options(fast(3)));
    assert!(!format!("{:?}", client.target()).contains(SECRET_KEY));
    let (exchange, events) = submit(&client, UserId::random()).await;
    assert_eq!(exchange.outcome(), OutcomeKind::Initiated, "the key worked");
    let record = &exchange.request;
    let header = |name: &str| {
        record
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("x-api-key"), Some(KEY_MASK));
    assert_eq!(
        header("x-idempotency-key"),
        Some(exchange.idempotency_key.as_str())
    );
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(record.method, "POST");
    assert_eq!(record.url, format!("{}/kycs", sandbox.base_url()));
    assert!(record.body.contains("\"userId\""));
    let everything = format!(
        "{}\n{exchange:?}\n{events:?}",
        serde_json::to_string(&exchange).expect("serialises")
    );
    assert!(!everything.contains(SECRET_KEY), "the API key leaked");
    assert!(everything.contains(KEY_MASK));
}

/// A loopback port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test]
async fn a_refused_connection_is_not_sent() {
    let port = closed_port();
    let client = client_at(&format!("http://127.0.0.1:{port}/v1"), options(fast(1)));
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(
        exchange.attempts.len(),
        2,
        "a refused connection is retried"
    );
    for attempt in &exchange.attempts {
        assert!(
            matches!(
                &attempt.result,
                AttemptResult::Failed { failure: FailureKind::NotSent, message } if !message.is_empty()
            ),
            "{:?}",
            attempt.result
        );
        assert_eq!(attempt.outcome(), OutcomeKind::NotSent);
        assert_eq!(attempt.short(), "could not connect");
    }
    let plan = exchange.attempts[0].retry.as_ref().expect("a retry plan");
    assert!(plan.reason.contains("could not connect"), "{}", plan.reason);
    assert_eq!(exchange.outcome(), OutcomeKind::NotSent);
    assert_eq!(exchange.outcome().label(), "not sent");
    assert!(exchange.nothing_sent());
    assert!(exchange.final_response().is_none());
    let explanation = exchange.explanation();
    assert_eq!(explanation.title, "not sent (could not connect)");
    assert!(
        explanation.meaning.contains("nothing reached the platform"),
        "{}",
        explanation.meaning
    );
    assert!(
        explanation.action.starts_with("safe to send again"),
        "{}",
        explanation.action
    );
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_not_sent() {
    // `.invalid` never resolves (RFC 6761), on any network or none.
    let client = client_at(
        "http://kyc-console-test.invalid/v1",
        options(RetryPolicy::none()),
    );
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(
        failure_of(&exchange.attempts[0].result),
        Some(FailureKind::NotSent),
        "{:?}",
        exchange.attempts[0].result
    );
    assert_eq!(exchange.outcome(), OutcomeKind::NotSent);
}

#[tokio::test]
async fn a_failed_tls_handshake_is_not_sent() {
    // A plain-text server speaking to a TLS client: the handshake fails before any request.
    let (base, mut arrived) = custom_server().await;
    let base = base.replacen("http://", "https://", 1);
    let client = client_at(&format!("{base}/ok"), options(RetryPolicy::none()));
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(
        failure_of(&exchange.attempts[0].result),
        Some(FailureKind::NotSent),
        "{:?}",
        exchange.attempts[0].result
    );
    assert_eq!(exchange.outcome(), OutcomeKind::NotSent);
    assert!(arrived.try_recv().is_err(), "no request reached the server");
}

#[tokio::test]
async fn refused_after_a_stalled_attempt_is_unknown() {
    // Accepts one connection, reads the request, never answers, and stops listening: the
    // first attempt reaches it and times out, the retry finds the port closed.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (got_request, request_arrived) = tokio::sync::oneshot::channel::<bool>();
    let (release, stalled) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt as _;
        let (mut socket, _) = listener.accept().await.expect("accept");
        drop(listener);
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let _ = got_request.send(seen.starts_with(b"POST "));
        let _ = stalled.await;
        drop(socket);
    });
    let client = client_at(
        &format!("http://{addr}/v1"),
        ClientOptions {
            timeout: Duration::from_millis(300),
            retry: fast(1),
            ..ClientOptions::default()
        },
    );
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert!(request_arrived.await.expect("the server saw a connection"));
    let _ = release.send(());
    assert_eq!(exchange.attempts.len(), 2, "{:#?}", exchange.attempts);
    assert_eq!(
        failure_of(&exchange.attempts[0].result),
        Some(FailureKind::Timeout)
    );
    assert_eq!(
        failure_of(&exchange.attempts[1].result),
        Some(FailureKind::NotSent),
        "{:?}",
        exchange.attempts[1].result
    );
    assert_eq!(exchange.attempts[1].outcome(), OutcomeKind::NotSent);
    assert!(!exchange.nothing_sent());
    assert_eq!(
        exchange.outcome(),
        OutcomeKind::Unknown,
        "attempt 1 may have arrived"
    );
    let explanation = exchange.explanation();
    assert!(explanation.title.contains("unknown"), "{explanation:?}");
    assert!(
        explanation.meaning.contains("attempt 1 (timed out)"),
        "{explanation:?}"
    );
    assert!(
        explanation.action.contains("same idempotency key"),
        "{explanation:?}"
    );
}

#[tokio::test]
async fn a_not_sent_submission_is_unknown_while_it_is_sent_again() {
    use kyc_console::history::{HistoryStore, MemoryStore};
    use kyc_console::send::{self, Consent, Destination};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let port = closed_port();
    let client = client_at(
        &format!("http://127.0.0.1:{port}/v1"),
        options(RetryPolicy::none()),
    );
    let store: Arc<dyn HistoryStore> = Arc::new(MemoryStore::new());
    let to = Destination {
        client: client.clone(),
        profile: "custom".into(),
        target: format!("POST http://127.0.0.1:{port}/v1/kycs"),
        production: false,
        operator: "tester".into(),
        key_env: None,
    };
    let never = CancellationToken::new();
    let request = request_for(UserId::random());
    let consent = Consent::default();
    let (id, exchange) =
        send::send_new(&to, store.clone(), &request, None, consent, &never, |_| {})
            .await
            .unwrap();
    assert_eq!(exchange.outcome(), OutcomeKind::NotSent);
    assert_eq!(store.get(id).unwrap().outcome, Some(OutcomeKind::NotSent));

    // The platform is back on the same port: it holds the request until told to answer.
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("rebind");
    let (arrived, request_arrived) = tokio::sync::oneshot::channel::<()>();
    let (answer, told) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !(seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.ends_with(b"}")) {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let _ = arrived.send(());
        let _ = told.await;
        let body = r#"{"id":"kyc-back","status":"pending"}"#;
        let reply = format!(
            "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(reply.as_bytes()).await;
        let _ = socket.shutdown().await;
    });
    let resend = {
        let store = store.clone();
        tokio::spawn(async move {
            send::send_again(&to, store, id, consent, &CancellationToken::new(), |_| {}).await
        })
    };
    request_arrived
        .await
        .expect("the resend reached the server");
    // Had the console stopped here, "not sent" would be false: it reads unknown meanwhile.
    assert_eq!(store.get(id).unwrap().outcome, Some(OutcomeKind::Unknown));
    answer.send(()).unwrap();
    let exchange = resend.await.unwrap().unwrap();
    assert_eq!(exchange.outcome(), OutcomeKind::Initiated);
    let numbers: Vec<u32> = exchange.attempts.iter().map(|a| a.number).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(store.get(id).unwrap().outcome, Some(OutcomeKind::Initiated));
}

#[tokio::test]
async fn a_submission_is_sent_when_its_first_attempt_starts_not_while_it_waits_for_the_pace() {
    use kyc_console::history::{HistoryStore, MemoryStore};
    use kyc_console::send::{self, Consent, Destination};

    let sandbox = start(quick_sandbox()).await;
    // 120 a minute, no burst beyond one: the second submission waits about 500 ms.
    let paced = ClientOptions {
        rate_limit_per_minute: Some(120),
        ..options(RetryPolicy::none())
    };
    let store: Arc<dyn HistoryStore> = Arc::new(MemoryStore::new());
    let to = Destination {
        client: client(&sandbox, paced),
        profile: "sandbox".into(),
        target: "embedded sandbox".into(),
        production: false,
        operator: "tester".into(),
        key_env: None,
    };
    let never = CancellationToken::new();
    let mut sent = Vec::new();
    for _ in 0..2 {
        let request = request_for(UserId::random());
        let (id, exchange) = send::send_new(
            &to,
            store.clone(),
            &request,
            None,
            Consent::default(),
            &never,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(exchange.outcome(), OutcomeKind::Initiated);
        sent.push((
            store.get(id).unwrap().row(),
            exchange.attempts[0].started_at,
        ));
    }
    let (row, started) = &sent[1];
    let at = row.sent_at.expect("sent");
    assert!(
        row.created_at + chrono::Duration::milliseconds(300) <= at,
        "it waited for the pace after it was recorded: {} then {at}",
        row.created_at
    );
    assert!(
        at <= *started && *started - at < chrono::Duration::milliseconds(100),
        "sent when its first attempt started: {at} vs {started}"
    );
}

#[tokio::test]
async fn a_redirect_is_shown_not_followed() {
    // Followed, the request would go on to a closed port and look as if never sent.
    let (base, mut arrived) = custom_server().await;
    let port = closed_port();
    let client = client_at(
        &format!("{base}/redirect-{port}"),
        options(RetryPolicy::none()),
    );
    let (exchange, _) = submit(&client, UserId::random()).await;
    assert_eq!(
        arrived.recv().await.as_deref(),
        Some(format!("redirect-{port}").as_str())
    );
    let response = exchange.final_response().expect("the redirect itself");
    assert_eq!(response.status, 307);
    assert_eq!(exchange.outcome(), OutcomeKind::Rejected);
}

#[tokio::test]
async fn a_key_that_cannot_be_a_header_is_refused_up_front() {
    let target = Target::new(
        Url::parse("http://127.0.0.1:9/v1").expect("URL"),
        ApiKey::new("bad\nkey"),
    );
    assert!(ApiClient::new(target, ClientOptions::default()).is_err());
}

#[tokio::test]
async fn concurrent_submissions_get_their_own_verifications() {
    let sandbox = start(quick_sandbox()).await;
    let client = client(&sandbox, options(fast(3)));
    let shared = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let client = client.clone();
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let (exchange, _) = submit(&client, UserId::random()).await;
            let id = exchange
                .final_response()
                .and_then(|r| r.json_field("id"))
                .expect("an id");
            shared.lock().expect("lock").push(id);
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let mut ids = shared.lock().expect("lock").clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert_eq!(sandbox.stats().verifications, 4);
}
