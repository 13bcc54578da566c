//! The sandbox's memory: rate-limit windows, stored responses for idempotency, counters.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::{SANDBOX_BASE_PATH, SandboxConfig};

/// A response kept for replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub method: String,
    pub body: Vec<u8>,
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub response_body: Vec<u8>,
}

/// Totals over the sandbox's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SandboxStats {
    pub requests: u64,
    pub verifications: u64,
}

/// What the sandbox saw for one idempotency key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyStats {
    /// Requests that carried the key.
    pub requests: u64,
    /// Verifications it created (never more than one).
    pub verifications: u64,
    /// Stored responses it replayed.
    pub replays: u64,
}

/// The outcome of counting a request against its key's window.
pub struct RateDecision {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
    pub exceeded: bool,
}

/// One idempotency slot; its async lock makes a retry wait for the first request.
pub type Slot = Arc<tokio::sync::Mutex<Option<StoredResponse>>>;

#[derive(Default)]
struct Inner {
    windows: HashMap<String, (Instant, u32)>,
    slots: HashMap<(String, String), Slot>,
    keys: HashMap<String, KeyStats>,
    stats: SandboxStats,
}

pub struct SandboxState {
    pub config: SandboxConfig,
    addr: SocketAddr,
    inner: Mutex<Inner>,
}

impl SandboxState {
    pub fn new(config: SandboxConfig, addr: SocketAddr) -> Self {
        Self {
            config,
            addr,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a handler panicked; the counters are still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn base_url(&self) -> url::Url {
        let text = format!("http://{}{}", self.addr, SANDBOX_BASE_PATH);
        url::Url::parse(&text).unwrap_or_else(|_| {
            url::Url::parse("http://127.0.0.1/v1").unwrap_or_else(|_| unreachable!())
        })
    }

    pub fn webview_url(&self, verification_id: &str) -> String {
        format!("http://{}/webview/{verification_id}", self.addr)
    }

    /// Counts a request against the window of `api_key`.
    pub fn count_request(&self, api_key: &str) -> RateDecision {
        let (limit, span) = (self.config.rate_limit, self.config.rate_window);
        let now = Instant::now();
        let mut inner = self.lock();
        inner.stats.requests += 1;
        let window = inner.windows.entry(api_key.to_string()).or_insert((now, 0));
        if now.duration_since(window.0) >= span {
            *window = (now, 0);
        }
        window.1 = window.1.saturating_add(1);
        let left = span.saturating_sub(now.duration_since(window.0));
        RateDecision {
            limit,
            remaining: limit.saturating_sub(window.1),
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
            exceeded: window.1 > limit,
        }
    }

    /// The replay slot for an idempotency key (scoped by API key).
    pub fn slot(&self, api_key: &str, idempotency_key: &str) -> Slot {
        let mut inner = self.lock();
        inner
            .slots
            .entry((api_key.to_string(), idempotency_key.to_string()))
            .or_default()
            .clone()
    }

    pub fn note_key_request(&self, idempotency_key: &str) {
        self.lock()
            .keys
            .entry(idempotency_key.to_string())
            .or_default()
            .requests += 1;
    }

    pub fn note_replay(&self, idempotency_key: &str) {
        self.lock()
            .keys
            .entry(idempotency_key.to_string())
            .or_default()
            .replays += 1;
    }

    pub fn note_verification(&self, idempotency_key: Option<&str>) {
        let mut inner = self.lock();
        inner.stats.verifications += 1;
        if let Some(key) = idempotency_key {
            inner.keys.entry(key.to_string()).or_default().verifications += 1;
        }
    }

    pub fn stats(&self) -> SandboxStats {
        self.lock().stats
    }

    pub fn key_stats(&self, idempotency_key: &str) -> KeyStats {
        self.lock()
            .keys
            .get(idempotency_key)
            .copied()
            .unwrap_or_default()
    }
}
