//! The embedded sandbox: a real HTTP server on loopback that follows the API contract,
//! so the console works on a fresh machine and every documented error can be provoked.
//!
//! Rules: one fixed API key (401 otherwise); body validation (400 naming the field);
//! error on demand for user ids ending `000000000SSS`; idempotent replay (422 when a key is
//! reused with another body); a per-key rate-limit window; a fresh `x-request-id` always.
//!
//! With a state file it keeps its memory (stored responses and counters, not the rate-limit
//! windows) across restarts, so an outcome left unknown can be settled later: a retry with
//! the same idempotency key replays the stored response instead of initiating again.

/// The routes.
mod handlers;
/// The state file.
mod journal;
/// What the sandbox remembers, as plain data.
mod records;
/// Bodies and headers shaped like the platform's.
mod responses;
/// Rate-limit windows, idempotency memory, counters.
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use records::{KeyStats, SandboxStats};

/// The API key the sandbox accepts unless told otherwise; the default profile uses it.
pub const SANDBOX_API_KEY: &str = "sk_sandbox_4f1c2e9a7b3d";
/// The path prefix the sandbox serves the API under.
pub const SANDBOX_BASE_PATH: &str = "/v1";
/// The rate-limit window unless told otherwise: a minute, like the platform's.
pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(60);
/// The name of the sandbox's state file in the console's data folder.
pub const SANDBOX_STATE_FILE: &str = "sandbox-state.json";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub api_key: String,
    /// Requests per API key in each rate-limit window before 429.
    pub rate_limit: u32,
    /// How long a key's rate-limit window lasts, from its first request; the
    /// `x-ratelimit-reset` and `Retry-After` headers count down to its end. Not zero (a zero
    /// window would never refuse); shorter than a minute lets tests see a reset quickly.
    pub rate_window: Duration,
    /// How long a 504 on demand takes to answer, like a gateway giving up.
    pub gateway_timeout_delay: Duration,
    /// The `Retry-After` (seconds) sent with 503 and 429 on demand.
    pub unavailable_retry_after: u64,
    /// Added before every answer to the initiate endpoint, to act like a slow platform.
    pub latency: Duration,
    /// Where the sandbox keeps its memory across restarts (stored responses and counters);
    /// `None` keeps it in this process only. Its folder is created (owner only) if missing.
    pub state_file: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            api_key: SANDBOX_API_KEY.to_string(),
            rate_limit: 300,
            rate_window: DEFAULT_RATE_WINDOW,
            gateway_timeout_delay: Duration::from_secs(2),
            unavailable_retry_after: 1,
            latency: Duration::ZERO,
            state_file: None,
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
        let (journal, memory, warnings) = match config.state_file.clone() {
            Some(path) => {
                let opened = tokio::task::spawn_blocking(move || journal::Journal::open(&path))
                    .await
                    .map_err(std::io::Error::other)??;
                (Some(opened.journal), opened.memory, opened.warnings)
            }
            None => (None, records::Snapshot::default(), Vec::new()),
        };
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state::SandboxState::new(config, addr, journal, memory));
        let app = handlers::router(state.clone());
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

    /// What it saw for one idempotency key.
    pub fn key_stats(&self, idempotency_key: &str) -> KeyStats {
        self.state.key_stats(idempotency_key)
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
