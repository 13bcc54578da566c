//! The sandbox's memory: rate-limit windows, stored responses for idempotency, counters.
//! With a state file, every change but the rate-limit windows is written there before the
//! response that reflects it goes out.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::journal::Journal;
use super::records::{Change, KeyStats, SandboxStats, Snapshot, StoredResponse};
use super::{SANDBOX_BASE_PATH, SandboxConfig};

/// The outcome of counting a request against its key's window.
#[derive(Debug, Clone, Copy)]
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
    journal: Option<Journal>,
}

impl SandboxState {
    /// A sandbox's state starting from `memory`, saving changes through `journal` if any.
    /// Stored responses are scoped by the API key the sandbox accepts (the only one that
    /// gets that far); the file does not hold it.
    pub fn new(
        config: SandboxConfig,
        addr: SocketAddr,
        journal: Option<Journal>,
        memory: Snapshot,
    ) -> Self {
        let mut inner = Inner {
            stats: memory.stats,
            ..Inner::default()
        };
        for (key, remembered) in memory.keys {
            inner.keys.insert(key.clone(), remembered.stats);
            if let Some(stored) = remembered.stored {
                let slot = Arc::new(tokio::sync::Mutex::new(Some(stored)));
                inner.slots.insert((config.api_key.clone(), key), slot);
            }
        }
        Self {
            config,
            addr,
            inner: Mutex::new(inner),
            journal,
        }
    }

    /// Saves `change` (with a state file, durably) and then counts its outcome: the
    /// verifications and replays. What a request received is counted on arrival, by
    /// [`Self::count_request`] and [`Self::note_key_request`]. When the change cannot be
    /// saved nothing is counted, and the caller must not keep its stored response either.
    pub async fn commit(&self, change: Change) -> Result<(), String> {
        let (verifications, key, key_stats) =
            (change.verifications, change.key.clone(), change.key_stats);
        if let Some(journal) = &self.journal {
            journal.write(change).await?;
        }
        let mut inner = self.lock();
        inner.stats.verifications = inner.stats.verifications.saturating_add(verifications);
        if let Some(key) = key {
            inner.keys.entry(key).or_default().add(KeyStats {
                requests: 0,
                ..key_stats
            });
        }
        Ok(())
    }

    /// Closes the state file, if any, once the writes under way are done.
    pub fn close(&self) {
        if let Some(journal) = &self.journal {
            journal.close();
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
