//! The embedded sandbox against the API contract, spoken to over a real loopback socket
//! with a plain HTTP client: what curl or another tool would see. Also the standalone
//! `kyc-console sandbox` command's rate-limit flags, and the memory a state file keeps
//! across restarts (a kill -9 included).

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{SandboxProcess, bare, kyc};

use kyc_console::api::{Quota, read_rate_headers};
use kyc_console::domain::{DOCUMENTED_ERRORS, error_on_demand_id};
use kyc_console::sandbox::{KeyStats, LimiterKind, SANDBOX_API_KEY, Sandbox, SandboxConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const VALID_USER: &str = "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6";

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, 0).await.expect("sandbox starts")
}

fn config() -> SandboxConfig {
    SandboxConfig {
        gateway_timeout_delay: Duration::from_millis(50),
        ..SandboxConfig::default()
    }
}

fn endpoint(sandbox: &Sandbox) -> String {
    format!("{}/kycs", sandbox.base_url().as_str().trim_end_matches('/'))
}

/// What came back, read whole.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    elapsed: Duration,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }

    fn content_type(&self) -> &str {
        self.header("content-type").expect("a content-type")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    fn number(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("missing header {name}"))
            .parse()
            .unwrap_or_else(|e| panic!("header {name} is not a number: {e}"))
    }

    /// The JSON pointers of a problem body's `errors[]`.
    fn pointers(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .expect("errors is an array")
            .iter()
            .map(|e| e["pointer"].as_str().expect("pointer").to_string())
            .collect()
    }
}

/// Sends `body` to `url` with an optional API key and idempotency key.
async fn send(url: &str, api_key: Option<&str>, idem: Option<&str>, body: &[u8]) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body.to_vec());
    if let Some(key) = api_key {
        request = request.header("x-api-key", key);
    }
    if let Some(idem) = idem {
        request = request.header("x-idempotency-key", idem);
    }
    let clock = Instant::now();
    let response = request.send().await.expect("the sandbox answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("a whole body").to_vec();
    Reply {
        status,
        headers,
        body,
        elapsed: clock.elapsed(),
    }
}

/// Sends a JSON body with the sandbox's key.
async fn post(sandbox: &Sandbox, idem: Option<&str>, body: &Value) -> Reply {
    send(
        &endpoint(sandbox),
        Some(SANDBOX_API_KEY),
        idem,
        body.to_string().as_bytes(),
    )
    .await
}

fn body_for(user_id: &str) -> Value {
    json!({"userId": user_id, "type": "full"})
}

async fn on_demand(sandbox: &Sandbox, status: u16) -> Reply {
    let reply = post(
        sandbox,
        None,
        &body_for(error_on_demand_id(status).as_str()),
    )
    .await;
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_common_headers(&reply);
    reply
}

fn assert_common_headers(reply: &Reply) {
    let id = reply.header("x-request-id").expect("x-request-id");
    assert!(!id.trim().is_empty(), "empty x-request-id");
    reply.number("x-ratelimit-remaining");
    let reset = reply.number("x-ratelimit-reset");
    assert!((1..=60).contains(&reset), "reset {reset}");
}

fn assert_no_retry_after(reply: &Reply) {
    assert_eq!(
        reply.header("retry-after"),
        None,
        "status {} must not carry Retry-After",
        reply.status
    );
}

#[tokio::test]
async fn on_demand_400_is_problem_json_naming_the_user_id() {
    let sandbox = start(config()).await;
    let reply = on_demand(&sandbox, 400).await;
    assert!(reply.content_type().starts_with("application/problem+json"));
    let body = reply.json();
    assert_eq!(body["status"], 400);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(reply.pointers(), ["#/userId"]);
    assert_no_retry_after(&reply);
    assert_eq!(sandbox.stats().verifications, 0);
}

#[tokio::test]
async fn on_demand_401_is_json_with_a_message() {
    let sandbox = start(config()).await;
    let reply = on_demand(&sandbox, 401).await;
    assert!(reply.content_type().starts_with("application/json"));
    let message = reply.json()["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert!(message.contains("Unauthenticated"), "{message}");
    assert_no_retry_after(&reply);
}

#[tokio::test]
async fn on_demand_403_is_problem_json() {
    let sandbox = start(config()).await;
    let reply = on_demand(&sandbox, 403).await;
    assert!(reply.content_type().starts_with("application/problem+json"));
    let body = reply.json();
    assert_eq!(body["status"], 403);
    assert_eq!(body["title"], "Forbidden");
    assert_no_retry_after(&reply);
}

#[tokio::test]
async fn on_demand_429_is_json_with_retry_after() {
    let sandbox = start(SandboxConfig {
        unavailable_retry_after: 7,
        ..config()
    })
    .await;
    let reply = on_demand(&sandbox, 429).await;
    assert!(reply.content_type().starts_with("application/json"));
    assert!(reply.json()["message"].as_str().is_some());
    assert!(reply.number("retry-after") >= 1);
}

#[tokio::test]
async fn on_demand_500_is_json_with_an_error_code() {
    let sandbox = start(config()).await;
    let reply = on_demand(&sandbox, 500).await;
    assert!(reply.content_type().starts_with("application/json"));
    assert_eq!(reply.json()["error"]["code"], "internal_error");
    assert_no_retry_after(&reply);
}

#[tokio::test]
async fn on_demand_502_is_a_gateway_html_page() {
    let sandbox = start(config()).await;
    let reply = on_demand(&sandbox, 502).await;
    assert!(reply.content_type().starts_with("text/html"));
    let text = reply.text();
    assert!(text.contains("<title>502 Bad Gateway</title>"), "{text}");
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    assert_no_retry_after(&reply);
}

#[tokio::test]
async fn on_demand_503_is_plain_text_with_retry_after() {
    let sandbox = start(SandboxConfig {
        unavailable_retry_after: 7,
        ..config()
    })
    .await;
    let reply = on_demand(&sandbox, 503).await;
    assert!(reply.content_type().starts_with("text/plain"));
    assert!(reply.text().starts_with("Service Unavailable"));
    assert_eq!(reply.number("retry-after"), 7);
}

#[tokio::test]
async fn on_demand_504_is_a_gateway_html_page_after_a_delay() {
    let delay = Duration::from_millis(50);
    let sandbox = start(SandboxConfig {
        gateway_timeout_delay: delay,
        ..config()
    })
    .await;
    let reply = on_demand(&sandbox, 504).await;
    assert!(reply.content_type().starts_with("text/html"));
    assert!(reply.text().contains("504 Gateway Time-out"));
    assert!(
        reply.elapsed >= delay,
        "504 came after {:?}, before the configured delay",
        reply.elapsed
    );
    assert_no_retry_after(&reply);
}

#[tokio::test]
async fn only_documented_statuses_are_produced_on_demand() {
    let sandbox = start(config()).await;
    // The same shape of id with a status the platform does not document is a normal success.
    let reply = post(
        &sandbox,
        None,
        &body_for("usr-00000000-0000-4000-8000-000000000418"),
    )
    .await;
    assert_eq!(reply.status, 201);
    for status in DOCUMENTED_ERRORS {
        assert_eq!(
            kyc_console::domain::requested_error(&error_on_demand_id(status)),
            Some(status)
        );
    }
}

#[tokio::test]
async fn every_response_carries_a_fresh_request_id_and_rate_limit_headers() {
    let sandbox = start(config()).await;
    let url = endpoint(&sandbox);
    let replies = [
        post(&sandbox, None, &body_for(VALID_USER)).await,
        post(&sandbox, None, &body_for(VALID_USER)).await,
        send(&url, Some(SANDBOX_API_KEY), None, b"{not json").await,
        send(&url, None, None, b"{}").await,
    ];
    assert_eq!(
        replies.iter().map(|r| r.status).collect::<Vec<_>>(),
        [201, 201, 400, 401]
    );
    for reply in &replies {
        assert_common_headers(reply);
    }
    let mut ids: Vec<&str> = replies
        .iter()
        .map(|r| r.header("x-request-id").expect("x-request-id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), replies.len(), "request ids repeat: {ids:?}");
}

#[tokio::test]
async fn a_missing_or_wrong_key_gets_401() {
    let sandbox = start(config()).await;
    let url = endpoint(&sandbox);
    let body = body_for(VALID_USER).to_string();
    for key in [None, Some("sk_sandbox_wrong"), Some("")] {
        let reply = send(&url, key, None, body.as_bytes()).await;
        assert_eq!(reply.status, 401, "key {key:?}");
        assert!(reply.content_type().starts_with("application/json"));
        assert!(reply.json()["message"].as_str().is_some());
        assert_common_headers(&reply);
    }
    assert_eq!(sandbox.stats().verifications, 0);
    assert_eq!(sandbox.stats().requests, 3);
}

#[tokio::test]
async fn invalid_bodies_get_400_naming_the_field() {
    let sandbox = start(config()).await;
    let url = endpoint(&sandbox);
    let upper = VALID_USER.to_uppercase().replace("USR-", "usr-");
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        ("malformed JSON", br#"{"userId": "#.to_vec(), vec![""]),
        ("non-object body", b"[1, 2]".to_vec(), vec![""]),
        ("a bare string", br#""full""#.to_vec(), vec![""]),
        (
            "missing userId",
            json!({"type": "full"}).to_string().into_bytes(),
            vec!["#/userId"],
        ),
        (
            "null userId",
            json!({"userId": null, "type": "full"})
                .to_string()
                .into_bytes(),
            vec!["#/userId"],
        ),
        (
            "short userId",
            json!({"userId": "usr-123", "type": "full"})
                .to_string()
                .into_bytes(),
            vec!["#/userId"],
        ),
        (
            "not a v4 userId",
            json!({"userId": "usr-3f0e8d4a-5b6c-1d7e-8f90-a1b2c3d4e5f6", "type": "full"})
                .to_string()
                .into_bytes(),
            vec!["#/userId"],
        ),
        (
            "uppercase userId",
            json!({"userId": upper, "type": "full"})
                .to_string()
                .into_bytes(),
            vec!["#/userId"],
        ),
        (
            "userId with spaces",
            json!({"userId": format!(" {VALID_USER}"), "type": "full"})
                .to_string()
                .into_bytes(),
            vec!["#/userId"],
        ),
        (
            "missing type",
            json!({"userId": VALID_USER}).to_string().into_bytes(),
            vec!["#/type"],
        ),
        (
            "unknown type",
            json!({"userId": VALID_USER, "type": "passport"})
                .to_string()
                .into_bytes(),
            vec!["#/type"],
        ),
        (
            "type in capitals",
            json!({"userId": VALID_USER, "type": "FULL"})
                .to_string()
                .into_bytes(),
            vec!["#/type"],
        ),
        (
            "relative redirectUri",
            json!({"userId": VALID_USER, "type": "full", "redirectUri": "/done"})
                .to_string()
                .into_bytes(),
            vec!["#/redirectUri"],
        ),
        (
            "host-only redirectUri",
            json!({"userId": VALID_USER, "type": "full", "redirectUri": "example.com/done"})
                .to_string()
                .into_bytes(),
            vec!["#/redirectUri"],
        ),
        (
            "wrong JSON types",
            json!({"userId": 42, "type": true, "redirectUri": 5})
                .to_string()
                .into_bytes(),
            vec!["#/userId", "#/type", "#/redirectUri"],
        ),
        (
            "everything missing",
            b"{}".to_vec(),
            vec!["#/userId", "#/type"],
        ),
    ];
    for (name, body, expected) in cases {
        let reply = send(&url, Some(SANDBOX_API_KEY), None, &body).await;
        assert_eq!(reply.status, 400, "{name}");
        assert!(
            reply.content_type().starts_with("application/problem+json"),
            "{name}: {}",
            reply.content_type()
        );
        let problem = reply.json();
        assert_eq!(problem["status"], 400, "{name}");
        assert!(problem["detail"].as_str().is_some(), "{name}");
        assert_eq!(reply.pointers(), expected, "{name}");
        for error in problem["errors"].as_array().expect("errors") {
            assert!(
                error["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{name}: {error}"
            );
        }
        assert_common_headers(&reply);
    }
    assert_eq!(sandbox.stats().verifications, 0);
}

#[tokio::test]
async fn the_uppercase_user_id_is_explained() {
    let sandbox = start(config()).await;
    let reply = post(
        &sandbox,
        None,
        &body_for(&VALID_USER.replace("a1b2", "A1B2")),
    )
    .await;
    assert_eq!(reply.status, 400);
    let detail = reply.json()["errors"][0]["detail"]
        .as_str()
        .expect("detail")
        .to_string();
    assert!(detail.contains("lowercase"), "{detail}");
}

#[tokio::test]
async fn success_is_201_with_the_verification() {
    let sandbox = start(config()).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let redirect = "https://example.com/kyc-done?x=1";
    let reply = post(
        &sandbox,
        None,
        &json!({"userId": VALID_USER, "type": "rfi", "redirectUri": redirect}),
    )
    .await;
    assert_eq!(reply.status, 201);
    assert!(reply.content_type().starts_with("application/json"));
    assert_common_headers(&reply);
    let body = reply.json();
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("kyc-"), "{id}");
    assert!(uuid::Uuid::parse_str(&id["kyc-".len()..]).is_ok(), "{id}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["userId"], VALID_USER);
    assert_eq!(body["type"], "rfi");
    assert_eq!(body["redirectUri"], redirect);
    let url = body["url"].as_str().expect("url");
    assert!(url.starts_with("http://") && url.ends_with(id), "{url}");
    let created = body["createdAt"].as_str().expect("createdAt");
    let created = chrono::DateTime::parse_from_rfc3339(created).expect("RFC 3339 createdAt");
    assert!(created >= before, "{created} is before the request");
    assert_eq!(sandbox.stats().verifications, 1);

    // The webview link answers with a page.
    let page = reqwest::get(url).await.expect("webview answers");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.expect("page").contains(id));
}

#[tokio::test]
async fn success_without_redirect_uri_has_a_null_one() {
    let sandbox = start(config()).await;
    let reply = post(&sandbox, None, &body_for(VALID_USER)).await;
    assert_eq!(reply.status, 201);
    let body = reply.json();
    assert!(body["redirectUri"].is_null(), "{body}");
    assert_eq!(body["type"], "full");
}

#[tokio::test]
async fn an_idempotent_retry_replays_the_first_answer() {
    let sandbox = start(config()).await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = body_for(VALID_USER);
    let first = post(&sandbox, Some(&key), &body).await;
    let second = post(&sandbox, Some(&key), &body).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(first.body, second.body);
    assert_eq!(first.header("x-idempotent-replayed"), None);
    assert_eq!(second.header("x-idempotent-replayed"), Some("true"));
    assert_ne!(first.header("x-request-id"), second.header("x-request-id"));
    assert_eq!(
        sandbox.key_stats(&key),
        KeyStats {
            requests: 2,
            verifications: 1,
            replays: 1
        }
    );
    assert_eq!(sandbox.stats().verifications, 1);
}

#[tokio::test]
async fn a_stored_failure_is_replayed_too() {
    let sandbox = start(config()).await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = body_for(error_on_demand_id(500).as_str());
    let first = post(&sandbox, Some(&key), &body).await;
    let second = post(&sandbox, Some(&key), &body).await;
    assert_eq!((first.status, second.status), (500, 500));
    assert_eq!(second.header("x-idempotent-replayed"), Some("true"));
    assert_eq!(sandbox.key_stats(&key).replays, 1);
}

#[tokio::test]
async fn transient_answers_are_not_replayed() {
    let sandbox = start(SandboxConfig {
        unavailable_retry_after: 0,
        ..config()
    })
    .await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = body_for(error_on_demand_id(503).as_str());
    let first = post(&sandbox, Some(&key), &body).await;
    let second = post(&sandbox, Some(&key), &body).await;
    assert_eq!((first.status, second.status), (503, 503));
    assert_eq!(second.header("x-idempotent-replayed"), None);
    assert_eq!(
        sandbox.key_stats(&key),
        KeyStats {
            requests: 2,
            verifications: 0,
            replays: 0
        }
    );
}

#[tokio::test]
async fn reusing_a_key_with_another_body_gets_422() {
    let sandbox = start(config()).await;
    let key = uuid::Uuid::new_v4().to_string();
    let first = post(&sandbox, Some(&key), &body_for(VALID_USER)).await;
    assert_eq!(first.status, 201);
    let other = json!({"userId": VALID_USER, "type": "shipping"});
    let reply = post(&sandbox, Some(&key), &other).await;
    assert_eq!(reply.status, 422);
    assert!(reply.content_type().starts_with("application/problem+json"));
    assert_eq!(reply.pointers(), ["header:x-idempotency-key"]);
    assert_common_headers(&reply);
    let stats = sandbox.key_stats(&key);
    assert_eq!((stats.verifications, stats.replays), (1, 0));
    assert_eq!(sandbox.stats().verifications, 1);
}

#[tokio::test]
async fn an_idempotency_key_is_at_most_64_characters() {
    let sandbox = start(config()).await;
    let long = "k".repeat(65);
    let reply = post(&sandbox, Some(&long), &body_for(VALID_USER)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.pointers(), ["header:x-idempotency-key"]);
    assert_eq!(sandbox.stats().verifications, 0);

    let longest = "k".repeat(64);
    let reply = post(&sandbox, Some(&longest), &body_for(VALID_USER)).await;
    assert_eq!(reply.status, 201);
    assert_eq!(sandbox.key_stats(&longest).verifications, 1);
}

#[tokio::test]
async fn the_rate_limit_counts_down_then_refuses() {
    let sandbox = start(SandboxConfig {
        rate_limit: 3,
        ..config()
    })
    .await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let reply = post(&sandbox, None, &body_for(VALID_USER)).await;
        assert_eq!(reply.status, 201);
        assert_eq!(reply.number("x-ratelimit-limit"), 3);
        remaining.push(reply.number("x-ratelimit-remaining"));
        let reset = reply.number("x-ratelimit-reset");
        assert!((1..=60).contains(&reset), "reset {reset}");
    }
    assert_eq!(remaining, [2, 1, 0]);

    let key = uuid::Uuid::new_v4().to_string();
    let fourth = post(&sandbox, Some(&key), &body_for(VALID_USER)).await;
    assert_eq!(fourth.status, 429);
    assert!(fourth.content_type().starts_with("application/json"));
    assert!(fourth.number("retry-after") >= 1);
    assert_eq!(fourth.number("x-ratelimit-remaining"), 0);
    let reset = fourth.number("x-ratelimit-reset");
    assert!((1..=60).contains(&reset), "reset {reset}");
    assert_eq!(sandbox.stats().verifications, 3);
    assert_eq!(sandbox.key_stats(&key).verifications, 0);

    // The window is per API key: another key has its own count (and, being wrong, gets 401).
    let other = send(
        &endpoint(&sandbox),
        Some("sk_other_key"),
        None,
        body_for(VALID_USER).to_string().as_bytes(),
    )
    .await;
    assert_eq!(other.status, 401);
    assert_eq!(other.number("x-ratelimit-remaining"), 2);
}

/// A short window, as tests use: the counting, both headers and the reset follow it.
#[tokio::test]
async fn the_rate_limit_window_is_a_setting_and_the_headers_follow_it() {
    let window = Duration::from_secs(2);
    let sandbox = start(SandboxConfig {
        rate_limit: 2,
        rate_window: window,
        ..config()
    })
    .await;
    for remaining in [1, 0] {
        let reply = post(&sandbox, None, &body_for(VALID_USER)).await;
        assert_eq!(reply.status, 201);
        assert_eq!(reply.number("x-ratelimit-remaining"), remaining);
        let reset = reply.number("x-ratelimit-reset");
        assert!((1..=2).contains(&reset), "reset {reset}");
    }
    let refused = post(&sandbox, None, &body_for(VALID_USER)).await;
    assert_eq!(refused.status, 429);
    let retry_after = refused.number("retry-after");
    assert!((1..=2).contains(&retry_after), "retry-after {retry_after}");
    let reset = refused.number("x-ratelimit-reset");
    assert!((1..=2).contains(&reset), "reset {reset}");
    assert_eq!(sandbox.stats().verifications, 2);

    // Once Retry-After has passed, a new window counts from the start.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = post(&sandbox, None, &body_for(VALID_USER)).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.number("x-ratelimit-remaining"), 1);
    assert_eq!(again.number("x-ratelimit-reset"), window.as_secs());
}

/// The standalone command takes the window in seconds, says it, and sends headers by it.
#[tokio::test]
async fn the_sandbox_command_takes_a_rate_window_in_seconds() {
    let standard = SandboxProcess::start(0, None);
    assert!(
        standard.banner.contains("rate limit 300 a minute per key"),
        "{}",
        standard.banner
    );

    let short = SandboxProcess::start_with(&["--rate-limit", "1", "--rate-window-secs", "3"]);
    assert!(
        short.banner.contains("rate limit 1 every 3 s per key"),
        "{}",
        short.banner
    );
    let url = format!("{}/kycs", short.base_url);
    let body = body_for(VALID_USER).to_string();
    let first = send(&url, Some(SANDBOX_API_KEY), None, body.as_bytes()).await;
    assert_eq!(first.status, 201);
    let reset = first.number("x-ratelimit-reset");
    assert!((1..=3).contains(&reset), "reset {reset}");
    let refused = send(&url, Some(SANDBOX_API_KEY), None, body.as_bytes()).await;
    assert_eq!(refused.status, 429);
    let retry_after = refused.number("retry-after");
    assert!((1..=3).contains(&retry_after), "retry-after {retry_after}");
}

/// Every limiter tells what it allows in both header forms, the same numbers in each, and
/// the client reads back its policy.
#[tokio::test]
async fn every_limiter_tells_its_policy_and_budget_in_both_header_forms() {
    for kind in LimiterKind::ALL {
        let sandbox = start(SandboxConfig {
            rate_limit: 3,
            rate_window: Duration::from_secs(30),
            limiter: kind,
            burst: Some(2),
            ..config()
        })
        .await;
        let mut accepted = 0;
        for _ in 0..4 {
            let reply = post(&sandbox, None, &body_for(VALID_USER)).await;
            let headers: Vec<(String, String)> = reply
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            let policy = reply.header("ratelimit-policy").expect("a policy");
            let expected = match kind {
                LimiterKind::Bucket => format!("\"{kind}\";q=3;w=30;burst=2"),
                _ => format!("\"{kind}\";q=3;w=30"),
            };
            assert_eq!(policy, expected);
            let remaining = reply.number("x-ratelimit-remaining");
            let reset = reply.number("x-ratelimit-reset");
            assert_eq!(
                reply.header("ratelimit"),
                Some(format!("\"{kind}\";r={remaining};t={reset}").as_str()),
                "{kind}"
            );
            assert_eq!(reply.number("x-ratelimit-limit"), 3);
            let read = read_rate_headers(&headers, 0);
            assert_eq!(
                read.quotas,
                [Quota::new(
                    3,
                    Duration::from_secs(30),
                    (kind == LimiterKind::Bucket).then_some(2)
                )
                .unwrap()],
                "{kind}"
            );
            assert_eq!(
                (read.remaining, read.reset_secs),
                (Some(remaining), Some(reset))
            );
            if reply.status == 201 {
                accepted += 1;
                assert!(reset >= 1, "{kind}: more comes later, not now");
            } else {
                assert_eq!(reply.status, 429, "{kind}");
                assert_eq!(remaining, 0, "{kind}");
                let retry_after = reply.number("retry-after");
                let until_more = match kind {
                    // A bucket gives a token every 10 s; the windows free a slot at 30 s.
                    LimiterKind::Bucket => 1..=10,
                    _ => 29..=30,
                };
                assert!(
                    until_more.contains(&retry_after),
                    "{kind}: retry-after {retry_after}"
                );
            }
        }
        // The fixed and sliding windows allow the limit; the bucket its burst.
        let allowed = if kind == LimiterKind::Bucket { 2 } else { 3 };
        assert_eq!(accepted, allowed, "{kind}");
        assert_eq!(sandbox.stats().verifications, allowed, "{kind}");
    }
}

/// The sandbox command takes the limiter and the bucket's burst, says them, and refuses a
/// burst for a limiter that has none, naming the flags.
#[tokio::test]
async fn the_sandbox_command_takes_a_limiter_and_a_burst() {
    let sliding = SandboxProcess::start_with(&["--limiter", "sliding", "--rate-limit", "2"]);
    assert!(
        sliding
            .banner
            .contains("rate limit 2 a minute per key, sliding window"),
        "{}",
        sliding.banner
    );
    let url = format!("{}/kycs", sliding.base_url);
    let body = body_for(VALID_USER).to_string();
    let first = send(&url, Some(SANDBOX_API_KEY), None, body.as_bytes()).await;
    assert_eq!(
        first.header("ratelimit-policy"),
        Some("\"sliding\";q=2;w=60")
    );

    let bucket = SandboxProcess::start_with(&["--limiter", "bucket", "--burst", "3"]);
    assert!(
        bucket.banner.contains("token bucket (burst 3)"),
        "{}",
        bucket.banner
    );
    let url = format!("{}/kycs", bucket.base_url);
    let first = send(&url, Some(SANDBOX_API_KEY), None, body.as_bytes()).await;
    assert_eq!(
        first.header("ratelimit-policy"),
        Some("\"bucket\";q=300;w=60;burst=3")
    );
    let standard = SandboxProcess::start(0, None);
    assert!(
        standard.banner.contains("per key, fixed window"),
        "{}",
        standard.banner
    );

    let dir = tempfile::tempdir().unwrap();
    let run = kyc(dir.path(), &["sandbox", "--port", "0", "--burst", "3"]).expect(2);
    assert!(
        run.stderr
            .contains("--burst sizes a token bucket: add --limiter bucket"),
        "{}",
        run.stderr
    );
    let run = kyc(
        dir.path(),
        &["sandbox", "--port", "0", "--limiter", "leaky"],
    )
    .expect(2);
    assert!(run.stderr.contains("--limiter"), "{}", run.stderr);
    assert!(
        run.stderr.contains("fixed, sliding, bucket"),
        "{}",
        run.stderr
    );
    let run = kyc(
        dir.path(),
        &[
            "sandbox",
            "--port",
            "0",
            "--limiter",
            "bucket",
            "--burst",
            "0",
        ],
    )
    .expect(2);
    assert!(run.stderr.contains("--burst"), "{}", run.stderr);
    assert!(run.stderr.contains("at least 1"), "{}", run.stderr);
}

#[test]
fn a_rate_window_of_zero_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let run = kyc(
        dir.path(),
        &["sandbox", "--port", "0", "--rate-window-secs", "0"],
    )
    .expect(2);
    assert!(run.stderr.contains("--rate-window-secs"), "{}", run.stderr);
    assert!(run.stderr.contains("at least 1 second"), "{}", run.stderr);
}

#[tokio::test]
async fn key_stats_are_served_as_json() {
    let sandbox = start(config()).await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = body_for(VALID_USER);
    for _ in 0..3 {
        assert_eq!(post(&sandbox, Some(&key), &body).await.status, 201);
    }
    let url = format!("http://{}/v1/_sandbox/keys/{key}", sandbox.addr());
    let response = reqwest::get(&url).await.expect("stats answer");
    assert_eq!(response.status().as_u16(), 200);
    let served: KeyStats =
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("KeyStats JSON");
    assert_eq!(served, sandbox.key_stats(&key));
    assert_eq!(
        served,
        KeyStats {
            requests: 3,
            verifications: 1,
            replays: 2
        }
    );

    let unknown = format!("http://{}/v1/_sandbox/keys/never-used", sandbox.addr());
    let response = reqwest::get(&unknown).await.expect("stats answer");
    let served: KeyStats =
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("KeyStats JSON");
    assert_eq!(served, KeyStats::default());
}

#[tokio::test]
async fn an_unknown_route_is_a_404_with_a_request_id() {
    let sandbox = start(config()).await;
    let url = format!("{}/verifications", sandbox.base_url());
    let reply = send(
        &url,
        Some(SANDBOX_API_KEY),
        None,
        body_for(VALID_USER).to_string().as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 404);
    assert!(reply.content_type().starts_with("application/problem+json"));
    let id = reply.header("x-request-id").expect("x-request-id on a 404");
    assert!(!id.is_empty());
}

#[tokio::test]
async fn concurrent_requests_with_one_key_initiate_once() {
    let sandbox = start(config()).await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = body_for(VALID_USER);
    let (a, b) = tokio::join!(
        post(&sandbox, Some(&key), &body),
        post(&sandbox, Some(&key), &body)
    );
    assert_eq!((a.status, b.status), (201, 201));
    assert_eq!(a.json()["id"], b.json()["id"]);
    let replayed = [&a, &b]
        .iter()
        .filter(|r| r.header("x-idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replayed, 1);
    assert_eq!(
        sandbox.key_stats(&key),
        KeyStats {
            requests: 2,
            verifications: 1,
            replays: 1
        }
    );
}

// --- memory across restarts ------------------------------------------------------------------

fn with_state_file(path: &Path) -> SandboxConfig {
    SandboxConfig {
        state_file: Some(path.to_path_buf()),
        ..config()
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// The second run's view of key `key`, first sent with `body` and answered `first_id`:
/// the same request replays the same verification, another body is refused, and nothing
/// was initiated twice.
async fn assert_replayed_after_restart(
    replay: &Reply,
    refused: &Reply,
    first_id: &Value,
    key_stats: KeyStats,
    verifications: u64,
) {
    assert_eq!(replay.status, 201, "{}", replay.text());
    assert_eq!(&replay.json()["id"], first_id);
    assert_eq!(replay.header("x-idempotent-replayed"), Some("true"));
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(
        key_stats,
        KeyStats {
            requests: 3,
            verifications: 1,
            replays: 1
        }
    );
    assert_eq!(verifications, 1);
}

#[tokio::test]
async fn a_restarted_sandbox_replays_from_its_state_file() {
    let dir = tempfile::tempdir().unwrap();
    // The folder does not exist yet: the sandbox creates it.
    let path = dir.path().join("data").join("sandbox-state.json");
    let key = uuid::Uuid::new_v4().to_string();
    let body = body_for(VALID_USER);

    let first = start(with_state_file(&path)).await;
    assert!(first.warnings().is_empty(), "{:?}", first.warnings());
    let created = post(&first, Some(&key), &body).await;
    assert_eq!(created.status, 201);
    let id = created.json()["id"].clone();
    first.stop().await;

    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
            let file = entry.unwrap().path();
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    // The file never holds the API key.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(SANDBOX_API_KEY), "{text}");

    let second = start(with_state_file(&path)).await;
    assert!(second.warnings().is_empty(), "{:?}", second.warnings());
    assert_eq!(second.key_stats(&key).verifications, 1);
    let replay = post(&second, Some(&key), &body).await;
    let other = json!({"userId": VALID_USER, "type": "shipping"});
    let refused = post(&second, Some(&key), &other).await;
    assert_eq!(replay.body, created.body);
    assert_replayed_after_restart(
        &replay,
        &refused,
        &id,
        second.key_stats(&key),
        second.stats().verifications,
    )
    .await;
    assert_eq!(second.stats().requests, 3);
    second.stop().await;
}

#[tokio::test]
async fn the_sandbox_command_keeps_its_memory_across_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox-state.json");
    let path_arg = path.to_str().unwrap();
    let key = uuid::Uuid::new_v4().to_string();
    let body = body_for(VALID_USER).to_string();

    let first = SandboxProcess::start_with(&["--state-file", path_arg]);
    assert!(first.banner.contains("memory"), "{}", first.banner);
    let url = format!("{}/kycs", first.base_url);
    let created = send(&url, Some(SANDBOX_API_KEY), Some(&key), body.as_bytes()).await;
    assert_eq!(created.status, 201);
    let id = created.json()["id"].clone();
    // Dropping it kills it with SIGKILL: no chance to write anything after the 201.
    drop(first);

    let second = SandboxProcess::start_with(&["--state-file", path_arg]);
    let url = format!("{}/kycs", second.base_url);
    let replay = send(&url, Some(SANDBOX_API_KEY), Some(&key), body.as_bytes()).await;
    let other = json!({"userId": VALID_USER, "type": "rfi"}).to_string();
    let refused = send(&url, Some(SANDBOX_API_KEY), Some(&key), other.as_bytes()).await;
    assert_replayed_after_restart(
        &replay,
        &refused,
        &id,
        second.key_stats(&key).await,
        second.stats().await.verifications,
    )
    .await;
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
}

#[tokio::test]
async fn a_corrupt_state_file_is_kept_aside_and_the_sandbox_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox-state.json");
    let garbage = b"\xff\xfe\x00 not a state file {{{\n\x01\x02".to_vec();
    std::fs::write(&path, &garbage).unwrap();

    let sandbox = start(with_state_file(&path)).await;
    let warnings = sandbox.warnings().join("\n");
    assert!(warnings.contains("unreadable"), "{warnings}");
    assert!(warnings.contains("no memory"), "{warnings}");
    assert_eq!(sandbox.stats().requests, 0);
    // It serves, and remembers from now on.
    let key = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        post(&sandbox, Some(&key), &body_for(VALID_USER))
            .await
            .status,
        201
    );
    sandbox.stop().await;

    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(
        warnings.contains(&aside[0].display().to_string()),
        "{warnings}"
    );
    assert_eq!(std::fs::read(&aside[0]).unwrap(), garbage, "kept as it was");
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    let again = start(with_state_file(&path)).await;
    assert!(again.warnings().is_empty(), "{:?}", again.warnings());
    assert_eq!(again.key_stats(&key).verifications, 1);
    again.stop().await;
}

#[test]
fn the_sandbox_command_warns_about_a_corrupt_state_file_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"\x00\x01garbage").unwrap();
    let mut child = bare(dir.path())
        .args(["sandbox", "--port", "0", "--state-file"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let started = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("press Ctrl-C"));
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(started, "{stderr}");
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains(".corrupt-"), "{stderr}");
}

#[tokio::test]
async fn two_sandboxes_cannot_share_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox-state.json");
    let first = start(with_state_file(&path)).await;
    let Err(e) = Sandbox::start(with_state_file(&path), 0).await else {
        panic!("a second sandbox started on the same state file");
    };
    assert!(e.to_string().contains("in use by another sandbox"), "{e}");
    first.stop().await;
    // Free once the first has stopped.
    start(with_state_file(&path)).await.stop().await;
}
