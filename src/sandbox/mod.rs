//! The embedded sandbox: a real HTTP server on loopback that follows the API contract,
//! so the console works on a fresh machine and every documented error can be provoked.
//!
//! Rules: one fixed API key (401 otherwise); body validation (400 naming the field);
//! error on demand for user ids ending `000000000SSS`; idempotent replay (422 when a key is
//! reused with another body); a per-key rate limiter (a fixed window, a sliding window or a
//! token bucket) told in `x-ratelimit-*` and the IETF draft's `RateLimit` and
//! `RateLimit-Policy` headers; a fresh `x-request-id` always.
//!
//! As a server it holds nothing for long: a connection must send its request within the
//! read timeout and is closed after the idle timeout; a wrong API key keeps nothing; an
//! idempotency key is forgotten after its time to live, and only so many are held at once.
//!
//! With a state file it keeps its memory (stored responses and counters, not the rate-limit
//! windows) across restarts, so an outcome left unknown can be settled later: a retry with
//! the same idempotency key replays the stored response instead of initiating again.

/// The routes.
mod handlers;
/// The state file.
mod journal;
/// Fixed window, sliding window, token bucket.
mod limiter;
/// What the sandbox remembers, as plain data.
mod records;
/// Bodies and headers shaped like the platform's.
mod responses;
/// Connections with deadlines.
mod server;
/// Rate limiters, idempotency memory, counters.
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use limiter::{LimiterKind, default_burst};
pub use records::{Footprint, KeyStats, SandboxStats};

/// The API key the sandbox accepts unless told otherwise; the default profile uses it.
pub const SANDBOX_API_KEY: &str = "sk_sandbox_4f1c2e9a7b3d";
/// The path prefix the sandbox serves the API under.
pub const SANDBOX_BASE_PATH: &str = "/v1";
/// The rate-limit window unless told otherwise: a minute, like the platform's.
pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(60);
/// How long an idempotency key is remembered unless told otherwise: a day, like the platform.
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The read timeout unless told otherwise.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The idle timeout unless told otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Idempotency keys held at once unless told otherwise.
pub const DEFAULT_MAX_IDEMPOTENCY_KEYS: usize = 100_000;
/// The name of the sandbox's state file in the console's data folder.
pub const SANDBOX_STATE_FILE: &str = "sandbox-state.json";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub api_key: String,
    /// Requests per API key in each rate-limit window before 429.
    pub rate_limit: u32,
    /// How long a key's rate-limit window lasts (a fixed window from its first request, a
    /// sliding window back from each request, the time a bucket takes to refill
    /// `rate_limit` tokens); the `x-ratelimit-reset` and `Retry-After` headers count down
    /// by it. Not zero (a zero window would never refuse); shorter than a minute lets
    /// tests see a reset quickly.
    pub rate_window: Duration,
    /// How requests are counted: a fixed window (the default), a sliding window, or a
    /// token bucket.
    pub limiter: LimiterKind,
    /// The token bucket's size: how many requests may come at once beyond the steady rate
    /// (`None`: a tenth of `rate_limit`, at least one). Only the bucket has one.
    pub burst: Option<u32>,
    /// How long a 504 on demand takes to answer, like a gateway giving up.
    pub gateway_timeout_delay: Duration,
    /// The `Retry-After` (seconds) sent with 503 and 429 on demand.
    pub unavailable_retry_after: u64,
    /// Added before every answer to the initiate endpoint, to act like a slow platform.
    pub latency: Duration,
    /// Where the sandbox keeps its memory across restarts (stored responses and counters);
    /// `None` keeps it in this process only. Its folder is created (owner only) if missing.
    pub state_file: Option<PathBuf>,
    /// How long a request's head may take to arrive from its first byte, and its body from
    /// its head (a connection too slow is closed; a body too slow gets 408).
    pub read_timeout: Duration,
    /// How long a connection may sit with no request under way before it is closed.
    pub idle_timeout: Duration,
    /// How long an idempotency key is remembered (and its response replayed) from the
    /// first request that carried it; a key expired is new again. Expired keys leave the
    /// state file when it is next rewritten.
    pub idempotency_ttl: Duration,
    /// Idempotency keys remembered at once; a new key past that gets 503 until some
    /// expire (nothing is ever forgotten early, which could start a verification twice).
    pub max_idempotency_keys: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            api_key: SANDBOX_API_KEY.to_string(),
            rate_limit: 300,
            rate_window: DEFAULT_RATE_WINDOW,
            limiter: LimiterKind::Fixed,
            burst: None,
            gateway_timeout_delay: Duration::from_secs(2),
            unavailable_retry_after: 1,
            latency: Duration::ZERO,
            state_file: None,
            read_timeout: DEFAULT_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            idempotency_ttl: DEFAULT_IDEMPOTENCY_TTL,
            max_idempotency_keys: DEFAULT_MAX_IDEMPOTENCY_KEYS,
        }
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<state::SandboxState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    warnings: Vec<String>,
}

impl Sandbox {
    /// Starts on `127.0.0.1:port` (0 picks a free port), with the memory its state file
    /// holds if it has one. Fails if it cannot listen, or cannot read or write the state
    /// file, or another sandbox uses that file. A file it cannot make sense of is not an
    /// error: it is kept aside, the sandbox starts with no memory, and
    /// [`Sandbox::warnings`] says so.
    pub async fn start(config: SandboxConfig, port: u16) -> std::io::Result<Sandbox> {
        let ttl = state::millis(config.idempotency_ttl);
        let (journal, memory, warnings) = match config.state_file.clone() {
            Some(path) => {
                let opened =
                    tokio::task::spawn_blocking(move || journal::Journal::open(&path, ttl))
                        .await
                        .map_err(std::io::Error::other)??;
                (Some(opened.journal), opened.memory, opened.warnings)
            }
            None => (None, records::Snapshot::default(), Vec::new()),
        };
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let timeouts = server::Timeouts {
            read: config.read_timeout.max(Duration::from_millis(1)),
            idle: config.idle_timeout.max(Duration::from_millis(1)),
        };
        let listener = server::GuardedListener::new(listener, timeouts);
        let state = Arc::new(state::SandboxState::new(config, addr, journal, memory));
        let app =
            handlers::router(state.clone()).into_make_service_with_connect_info::<server::Phase>();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        tracing::info!(%addr, "sandbox listening");
        Ok(Sandbox {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
            warnings,
        })
    }

    /// What the operator should know about its state file: a file kept aside as
    /// unreadable, a last line dropped. Also logged.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> url::Url {
        self.state.base_url()
    }

    /// The API key it accepts.
    pub fn api_key(&self) -> &str {
        &self.state.config.api_key
    }

    /// Counters over everything it has served.
    pub fn stats(&self) -> SandboxStats {
        self.state.stats()
    }

    /// What it saw for one idempotency key it still remembers.
    pub fn key_stats(&self, idempotency_key: &str) -> KeyStats {
        self.state.key_stats(idempotency_key)
    }

    /// How much it holds: rate-limit windows and idempotency keys.
    pub fn footprint(&self) -> Footprint {
        self.state.footprint()
    }

    /// Stops accepting requests and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        // Requests still running in their own tasks can no longer save anything; the file
        // is free for another sandbox once this returns.
        let state = self.state.clone();
        let _ = tokio::task::spawn_blocking(move || state.close()).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
