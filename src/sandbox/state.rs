//! The sandbox's memory: rate limiters, stored responses for idempotency, counters. With a
//! state file, every change but the rate limiters is written there before the response
//! that reflects it goes out.
//!
//! Nothing a caller sends makes it grow without bound: the accepted API key has one rate
//! limiter and every other caller shares one (a wrong key keeps nothing of its own; a
//! sliding window holds at most its limit of accepted requests); idempotency keys are held
//! at most `max_idempotency_keys` at once and each is forgotten `idempotency_ttl` after it
//! was first seen.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::journal::Journal;
use super::limiter::{Limiter, ceil_secs, default_burst};
use super::records::{
    Change, Footprint, KeyStats, SandboxStats, Snapshot, StoredResponse, expired, now_ms,
};
use super::{SANDBOX_BASE_PATH, SandboxConfig};

/// The outcome of counting a request against its key's limiter, with the headers that
/// tell it.
#[derive(Debug, Clone)]
pub struct RateDecision {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until more are allowed, rounded up.
    pub reset_secs: u64,
    pub exceeded: bool,
    /// For a refused request: seconds until one would be accepted, rounded up, at least 1.
    pub retry_after_secs: u64,
    /// `RateLimit-Policy` and `RateLimit`, the IETF draft's fields.
    pub policy: String,
    pub budget: String,
}

/// One idempotency slot; its async lock makes a retry wait for the first request.
pub type Slot = Arc<tokio::sync::Mutex<Option<StoredResponse>>>;

/// What is remembered for one idempotency key.
struct Entry {
    /// When it was first seen (Unix milliseconds).
    since: u64,
    stats: KeyStats,
    slot: Slot,
}

struct Inner {
    /// The accepted key's limiter.
    accepted: Limiter,
    /// The limiter every other caller shares.
    others: Limiter,
    entries: HashMap<String, Entry>,
    /// When expired entries are next swept (Unix milliseconds).
    next_sweep: u64,
    stats: SandboxStats,
}

pub struct SandboxState {
    pub config: SandboxConfig,
    addr: SocketAddr,
    inner: Mutex<Inner>,
    journal: Option<Journal>,
}

/// A duration in milliseconds, at least one.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl SandboxState {
    /// A sandbox's state starting from `memory`, saving changes through `journal` if any.
    /// Keys already expired are left out.
    pub fn new(
        config: SandboxConfig,
        addr: SocketAddr,
        journal: Option<Journal>,
        mut memory: Snapshot,
    ) -> Self {
        let now = now_ms();
        memory.expire(now, millis(config.idempotency_ttl));
        let limiter = || {
            let burst = config
                .burst
                .unwrap_or_else(|| default_burst(config.rate_limit));
            Limiter::new(config.limiter, config.rate_limit, config.rate_window, burst)
        };
        let mut inner = Inner {
            accepted: limiter(),
            others: limiter(),
            entries: HashMap::new(),
            next_sweep: 0,
            stats: memory.stats,
        };
        for (key, remembered) in memory.keys {
            let entry = Entry {
                since: remembered.since.unwrap_or(now),
                stats: remembered.stats,
                slot: Arc::new(tokio::sync::Mutex::new(remembered.stored)),
            };
            inner.entries.insert(key, entry);
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
    /// [`Self::count_request`] and [`Self::enter`]. When the change cannot be saved nothing
    /// is counted, and the caller must not keep its stored response either.
    pub async fn commit(&self, change: Change) -> Result<(), String> {
        let (verifications, key, since, key_stats) = (
            change.verifications,
            change.key.clone(),
            change.since,
            change.key_stats,
        );
        if let Some(journal) = &self.journal {
            journal.write(change).await?;
        }
        let mut inner = self.lock();
        inner.stats.verifications = inner.stats.verifications.saturating_add(verifications);
        // An entry that expired meanwhile (or was started afresh) is not this change's.
        if let Some(entry) = key.and_then(|key| inner.entries.get_mut(&key))
            && Some(entry.since) == since
        {
            entry.stats.add(KeyStats {
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

    /// Counts a request against the accepted key's limiter, or the one every other caller
    /// shares.
    pub fn count_request(&self, accepted: bool) -> RateDecision {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.stats.requests = inner.stats.requests.saturating_add(1);
        let limiter = if accepted {
            &mut inner.accepted
        } else {
            &mut inner.others
        };
        let decision = limiter.admit(now);
        RateDecision {
            limit: limiter.limit,
            remaining: decision.remaining,
            reset_secs: ceil_secs(decision.reset),
            exceeded: decision.exceeded,
            retry_after_secs: ceil_secs(decision.retry_after).max(1),
            policy: limiter.policy_header(),
            budget: limiter.budget_header(&decision),
        }
    }

    /// Counts a request carrying `idempotency_key` and gives its replay slot and when the
    /// key was first seen; an expired key starts afresh. `None` when the sandbox already
    /// holds as many keys as it may, none of them expired.
    pub fn enter(&self, idempotency_key: &str) -> Option<(Slot, u64)> {
        let (now, ttl) = (now_ms(), millis(self.config.idempotency_ttl));
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(idempotency_key)
            && !expired(entry.since, now, ttl)
        {
            entry.stats.requests = entry.stats.requests.saturating_add(1);
            return Some((entry.slot.clone(), entry.since));
        }
        inner.entries.remove(idempotency_key);
        let full = inner.entries.len() >= self.config.max_idempotency_keys;
        if full || now >= inner.next_sweep {
            inner.entries.retain(|_, e| !expired(e.since, now, ttl));
            // A sweep every quarter of the time to live keeps at most a quarter more.
            inner.next_sweep = now.saturating_add(ttl / 4);
            if inner.entries.len() >= self.config.max_idempotency_keys {
                return None;
            }
        }
        let entry = Entry {
            since: now,
            stats: KeyStats {
                requests: 1,
                ..KeyStats::default()
            },
            slot: Slot::default(),
        };
        let slot = entry.slot.clone();
        inner.entries.insert(idempotency_key.to_string(), entry);
        Some((slot, now))
    }

    pub fn stats(&self) -> SandboxStats {
        self.lock().stats
    }

    /// What it saw for an idempotency key it still remembers.
    pub fn key_stats(&self, idempotency_key: &str) -> KeyStats {
        let (now, ttl) = (now_ms(), millis(self.config.idempotency_ttl));
        self.lock()
            .entries
            .get(idempotency_key)
            .filter(|e| !expired(e.since, now, ttl))
            .map(|e| e.stats)
            .unwrap_or_default()
    }

    pub fn footprint(&self) -> Footprint {
        let inner = self.lock();
        Footprint {
            rate_windows: usize::from(inner.accepted.is_active())
                + usize::from(inner.others.is_active()),
            idempotency_keys: inner.entries.len(),
        }
    }
}
