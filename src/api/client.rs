//! The HTTP client for the initiate endpoint: headers, idempotency, timeouts, body cap,
//! retries. It reports every attempt as it ends, so the console and history can follow.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::capture::{CaptureError, capture};
use super::exchange::{Attempt, AttemptResult, Exchange, RequestRecord, RetryPlan};
use super::pace::Pace;
use super::retry::{RetryPolicy, parse_retry_after};
use super::secret::{ApiKey, KEY_HEADER, KEY_MASK};
use crate::domain::{FailureKind, InitiateRequest, Stop, status_title};

/// The most of a response body kept; the rest is not read.
pub const DEFAULT_BODY_CAP: usize = 1024 * 1024;
/// How long one attempt may take, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where requests go and with which key.
#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: Url,
    /// `POST` unless a profile says otherwise.
    pub method: reqwest::Method,
    /// `/kycs` unless a profile says otherwise.
    pub path: String,
    pub api_key: ApiKey,
}

impl Target {
    /// A target with the contract's default method and path.
    pub fn new(base_url: Url, api_key: ApiKey) -> Target {
        Target {
            base_url,
            method: reqwest::Method::POST,
            path: "/kycs".to_string(),
            api_key,
        }
    }

    /// The full endpoint URL: base URL and path joined with exactly one slash.
    pub fn endpoint(&self) -> String {
        format!(
            "{}/{}",
            self.base_url.as_str().trim_end_matches('/'),
            self.path.trim_start_matches('/')
        )
    }
}

/// Tunables of the client.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub body_cap: usize,
    /// Attempts a minute this client allows itself, so a known limit never yields a 429.
    pub rate_limit_per_minute: Option<u32>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            body_cap: DEFAULT_BODY_CAP,
            rate_limit_per_minute: None,
        }
    }
}

/// Progress of a submission, reported as it happens.
#[derive(Debug, Clone)]
pub enum AttemptEvent {
    /// Attempt `number` is being sent.
    Started { number: u32 },
    /// An attempt ended; if `retry` is set the client now waits that long.
    Finished(Box<Attempt>),
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot build the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
    #[error("the API key contains characters that cannot be sent in a header")]
    BadKey,
}

/// One reusable client for a target.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    target: Target,
    options: ClientOptions,
    /// Shared by every clone, so the whole console keeps one pace.
    pace: Arc<Pace>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("target", &self.target)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// An `http://` URL on this machine: its requests never need TLS.
fn plain_loopback(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

/// A fresh idempotency key (a UUIDv4) for a new submission.
pub fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl ApiClient {
    pub fn new(target: Target, options: ClientOptions) -> Result<ApiClient, ClientError> {
        reqwest::header::HeaderValue::from_str(target.api_key.expose())
            .map_err(|_| ClientError::BadKey)?;
        let mut http = reqwest::Client::builder()
            .user_agent(user_agent())
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            // A redirect is shown as it came (see `OutcomeKind::from_status`), never followed:
            // following it would carry the key header to wherever it points, and a failure to
            // connect there would look as if nothing had been sent.
            .redirect(reqwest::redirect::Policy::none());
        if plain_loopback(&target.base_url) {
            // A plain-HTTP server on this machine (the sandbox) is reached without TLS, and
            // this client goes nowhere else (see above), so it loads no root certificates:
            // reading the system's took a fifth of a start-up. Elsewhere a proxy named in
            // the environment could still need them.
            http = http.tls_certs_only([]);
        }
        let http = http.build()?;
        Ok(ApiClient {
            http,
            target,
            options,
            pace: Arc::new(Pace::new(options.rate_limit_per_minute, options.timeout)),
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The pace this client and its clones keep.
    pub fn pace(&self) -> &Pace {
        &self.pace
    }

    /// The request as it will be sent, key masked.
    pub fn describe(&self, request: &InitiateRequest, idempotency_key: &str) -> RequestRecord {
        RequestRecord {
            method: self.target.method.to_string(),
            url: self.target.endpoint(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("accept".into(), "application/json".into()),
                ("user-agent".into(), user_agent()),
                (KEY_HEADER.into(), KEY_MASK.into()),
                ("x-idempotency-key".into(), idempotency_key.into()),
            ],
            body: String::from_utf8_lossy(&request.body_bytes()).into_owned(),
        }
    }

    /// Sends a submission, retrying as the policy allows with the same idempotency key.
    /// Every attempt is passed to `on_event` as it starts and ends. Cancelling stops at once;
    /// the last attempt is then recorded as cancelled.
    pub async fn submit(
        &self,
        request: &InitiateRequest,
        idempotency_key: &str,
        cancel: &CancellationToken,
        on_event: impl FnMut(AttemptEvent),
    ) -> Exchange {
        let record = self.describe(request, idempotency_key);
        self.submit_recorded(record, idempotency_key, cancel, 1, on_event)
            .await
    }

    /// Sends a recorded request again, byte for byte, with its own idempotency key, numbering
    /// attempts from `first_number` (after those already recorded). The platform replays or
    /// completes the original instead of starting a second verification.
    pub async fn submit_recorded(
        &self,
        record: RequestRecord,
        idempotency_key: &str,
        cancel: &CancellationToken,
        first_number: u32,
        mut on_event: impl FnMut(AttemptEvent),
    ) -> Exchange {
        let body = record.body.clone().into_bytes();
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut number = first_number.max(1);
        loop {
            // Keep the pace; cancelling while waiting is handled below.
            let turn = self.pace.acquire(self.options.retry.max_wait, cancel).await;
            on_event(AttemptEvent::Started { number });
            let sent = turn.send();
            let started_at = Utc::now();
            let clock = Instant::now();
            let result = tokio::select! {
                biased;
                () = cancel.cancelled() => AttemptResult::Failed {
                    failure: FailureKind::Cancelled,
                    message: "cancelled by the operator".into(),
                },
                r = self.attempt(&body, idempotency_key) => r,
            };
            self.pace.settle(sent, &result);
            let mut attempt = Attempt {
                number,
                started_at,
                latency: clock.elapsed(),
                result,
                retry: None,
                stop: None,
            };
            let cancelled = matches!(
                attempt.result,
                AttemptResult::Failed {
                    failure: FailureKind::Cancelled,
                    ..
                }
            );
            let tries = number.saturating_add(1).saturating_sub(first_number.max(1));
            let policy = &self.options.retry;
            if !cancelled && attempt.outcome().retryable() {
                if policy.should_retry(tries, attempt.outcome()) {
                    match self.plan_retry(&attempt, tries) {
                        Ok(plan) => attempt.retry = Some(plan),
                        Err(stop) => attempt.stop = Some(stop),
                    }
                } else {
                    attempt.stop = Some(Stop::RetriesUsed {
                        max_retries: policy.max_retries,
                    });
                }
            }
            let wait = attempt.retry.as_ref().map(|r| r.wait);
            tracing::info!(
                attempt = number,
                result = %attempt.short(),
                latency_ms = attempt.latency.as_millis() as u64,
                retry_in_ms = wait.map(|w| w.as_millis() as u64),
                "attempt finished"
            );
            on_event(AttemptEvent::Finished(Box::new(attempt.clone())));
            attempts.push(attempt);
            let Some(wait) = wait else { break };
            let woke = tokio::select! {
                biased;
                () = cancel.cancelled() => false,
                () = tokio::time::sleep(wait) => true,
            };
            if !woke {
                // Cancelled while waiting: the last real answer stands, marked as cancelled.
                if let Some(last) = attempts.last_mut() {
                    last.retry = None;
                }
                let cancelled = Attempt {
                    number: number + 1,
                    started_at: Utc::now(),
                    latency: Duration::ZERO,
                    result: AttemptResult::Failed {
                        failure: FailureKind::Cancelled,
                        message: "cancelled by the operator while waiting to retry".into(),
                    },
                    retry: None,
                    stop: None,
                };
                on_event(AttemptEvent::Finished(Box::new(cancelled.clone())));
                attempts.push(cancelled);
                break;
            }
            number = number.saturating_add(1);
        }
        Exchange {
            request: record,
            idempotency_key: idempotency_key.to_string(),
            attempts,
        }
    }

    /// The wait before retry `number`: what the server asked for (`Retry-After`, or the
    /// rate-limit reset of a 429 with nothing left), else a backoff. A wait asked for beyond
    /// the policy's `max_wait` is not waited out: the client stops, saying so.
    fn plan_retry(&self, attempt: &Attempt, number: u32) -> Result<RetryPlan, Stop> {
        let policy = &self.options.retry;
        let (what, asked) = match &attempt.result {
            AttemptResult::Response(r) => {
                let retry_after = r
                    .header("retry-after")
                    .and_then(|v| parse_retry_after(v, SystemTime::now()))
                    .map(|d| (d, "Retry-After"));
                let reset = (r.status == 429 && r.rate_limit.remaining == Some(0))
                    .then_some(r.rate_limit.reset_secs)
                    .flatten()
                    .map(|s| (Duration::from_secs(s), "x-ratelimit-reset"));
                (status_title(r.status), retry_after.or(reset))
            }
            AttemptResult::Failed { failure, .. } => (failure.label().to_string(), None),
        };
        match asked {
            Some((after, header)) => match policy.server_wait(after) {
                Ok(wait) => Ok(RetryPlan {
                    wait,
                    reason: format!("{what}, {header} {} s", super::retry::ceil_secs(wait)),
                }),
                Err(asked_secs) => Err(Stop::WaitTooLong {
                    asked_secs,
                    max_wait_secs: super::retry::ceil_secs(policy.max_wait),
                }),
            },
            None => Ok(RetryPlan {
                wait: policy.backoff(number, super::retry::jitter_unit()),
                reason: format!("{what}, backoff"),
            }),
        }
    }

    async fn attempt(&self, body: &[u8], idempotency_key: &str) -> AttemptResult {
        let deadline = tokio::time::Instant::now()
            .checked_add(self.options.timeout)
            .unwrap_or_else(far_future);
        let send = self
            .http
            .request(self.target.method.clone(), self.target.endpoint())
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header(KEY_HEADER, self.target.api_key.expose())
            .header("x-idempotency-key", idempotency_key)
            .body(body.to_vec())
            .send();
        let captured = match tokio::time::timeout_at(deadline, send).await {
            Ok(Ok(response)) => capture(response, self.options.body_cap, deadline).await,
            Ok(Err(e)) => Err(CaptureError::Http(e)),
            Err(_) => Err(CaptureError::Timeout),
        };
        match captured {
            Ok(captured) => AttemptResult::Response(captured),
            Err(CaptureError::Http(e)) => AttemptResult::Failed {
                failure: failure_kind(&e),
                message: error_chain(&e),
            },
            Err(CaptureError::Timeout) => AttemptResult::Failed {
                failure: FailureKind::Timeout,
                message: format!(
                    "no complete response within {} s",
                    self.options.timeout.as_secs_f64()
                ),
            },
        }
    }
}

/// Why an attempt got no response. `is_connect` is checked first: it covers every failure
/// of hyper's connector (name resolution, TCP connect, TLS handshake, a proxy's tunnel, the
/// connect timeout) and of taking a connection from the pool, all before the request is
/// written to any connection, so nothing of it left the machine. A failure on a connection
/// that was made (reset, closed, stalled) may come after the request went out.
fn failure_kind(e: &reqwest::Error) -> FailureKind {
    if e.is_connect() {
        FailureKind::NotSent
    } else if e.is_timeout() {
        FailureKind::Timeout
    } else {
        FailureKind::Network
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// An instant no wait reaches (a day on), for a deadline that would overflow the clock.
fn far_future() -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(Duration::from_secs(86_400)).unwrap_or(now)
}

/// `kyc-console/<version>`.
pub fn user_agent() -> String {
    format!("kyc-console/{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::plain_loopback;

    #[test]
    fn only_plain_http_on_this_machine_goes_without_root_certificates() {
        let without = |url: &str| plain_loopback(&url.parse().unwrap());
        assert!(without("http://127.0.0.1:8787/v1"));
        assert!(without("http://[::1]:8787/v1"));
        assert!(without("http://LOCALHOST:8787/v1"));
        assert!(!without("https://127.0.0.1:8787/v1"));
        assert!(!without("http://10.0.0.5/v1"));
        assert!(!without("http://api.example.com/v1"));
        assert!(!without("http://localhost.example.com/v1"));
    }
}
