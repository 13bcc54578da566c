//! What the sandbox remembers, as plain data: stored responses, counters, and the changes
//! one request makes to them. The state file is a list of these changes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A response kept for replay, with the request it answered (method and body), against
/// which a reuse of its idempotency key is checked (422 when they differ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResponse {
    pub method: String,
    #[serde(rename = "requestBody", with = "text_or_base64")]
    pub body: Vec<u8>,
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    #[serde(with = "text_or_base64")]
    pub response_body: Vec<u8>,
}

/// Totals over the sandbox's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    pub requests: u64,
    pub verifications: u64,
}

/// What the sandbox saw for one idempotency key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStats {
    /// Requests that carried the key.
    pub requests: u64,
    /// Verifications it created (never more than one).
    pub verifications: u64,
    /// Stored responses it replayed.
    pub replays: u64,
}

impl KeyStats {
    pub fn is_zero(&self) -> bool {
        *self == KeyStats::default()
    }

    /// Adds `other`, never overflowing (a hostile file could hold any number).
    pub fn add(&mut self, other: KeyStats) {
        self.requests = self.requests.saturating_add(other.requests);
        self.verifications = self.verifications.saturating_add(other.verifications);
        self.replays = self.replays.saturating_add(other.replays);
    }
}

/// What one request changed: counters to add, and the response it stored. A whole memory
/// is written the same way, as changes from nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Change {
    /// Requests received on the initiate endpoint.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub requests: u64,
    /// Verifications created.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub verifications: u64,
    /// The idempotency key that `key_stats` and `stored` belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// When the key was first seen (Unix milliseconds); its memory expires a time to live
    /// after. Every change to one key's memory carries the same; another starts it afresh
    /// (the key had expired and came again). Files of version 1 have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    #[serde(default, skip_serializing_if = "KeyStats::is_zero")]
    pub key_stats: KeyStats,
    /// The response now stored for `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<StoredResponse>,
}

impl Change {
    /// A change for one request received on the initiate endpoint.
    pub fn request() -> Change {
        Change {
            requests: 1,
            ..Change::default()
        }
    }

    /// Whether it is coherent: per-key parts need a key.
    pub fn is_valid(&self) -> bool {
        self.key.is_some()
            || (self.key_stats.is_zero() && self.stored.is_none() && self.since.is_none())
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Everything remembered for one idempotency key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMemory {
    /// When the key was first seen (Unix milliseconds); `None` from a version 1 file.
    pub since: Option<u64>,
    pub stats: KeyStats,
    pub stored: Option<StoredResponse>,
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Whether memory first seen at `since` has outlived `ttl` at `now` (all in milliseconds).
pub fn expired(since: u64, now: u64, ttl: u64) -> bool {
    now.saturating_sub(since) >= ttl
}

/// How much the sandbox holds in memory, for tests that it stays bounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footprint {
    /// Rate-limit windows (the accepted key's, and one shared by every other caller).
    pub rate_windows: usize,
    /// Idempotency keys remembered, expired ones not yet swept included.
    pub idempotency_keys: usize,
}

/// The sandbox's whole memory, as the state file holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub stats: SandboxStats,
    pub keys: HashMap<String, KeyMemory>,
}

impl Snapshot {
    /// Folds one change in.
    pub fn apply(&mut self, change: &Change) {
        self.stats.requests = self.stats.requests.saturating_add(change.requests);
        self.stats.verifications = self
            .stats
            .verifications
            .saturating_add(change.verifications);
        if let Some(key) = &change.key {
            let memory = self.keys.entry(key.clone()).or_default();
            if change.since.is_some() && change.since != memory.since {
                *memory = KeyMemory {
                    since: change.since,
                    ..KeyMemory::default()
                };
            }
            memory.stats.add(change.key_stats);
            if let Some(stored) = &change.stored {
                memory.stored = Some(stored.clone());
            }
        }
    }

    /// The fewest changes that rebuild it from nothing.
    pub fn changes(&self) -> impl Iterator<Item = Change> + '_ {
        let totals = Change {
            requests: self.stats.requests,
            verifications: self.stats.verifications,
            ..Change::default()
        };
        std::iter::once(totals).chain(self.keys.iter().map(|(key, memory)| Change {
            key: Some(key.clone()),
            since: memory.since,
            key_stats: memory.stats,
            stored: memory.stored.clone(),
            ..Change::default()
        }))
    }
}

impl Snapshot {
    /// Forgets every key first seen `ttl` or longer before `now`; a key from a version 1
    /// file, which does not say when it was first seen, counts from `now`.
    pub fn expire(&mut self, now: u64, ttl: u64) {
        self.keys.retain(|_, memory| {
            let since = *memory.since.get_or_insert(now);
            !expired(since, now, ttl)
        });
    }
}

/// Bytes as a JSON string when they are UTF-8 (bodies usually are, and stay readable in the
/// file), else as `{"base64": "..."}`.
mod text_or_base64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Form {
        Text(String),
        Base64 { base64: String },
    }

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => Form::Base64 {
                base64: STANDARD.encode(bytes),
            }
            .serialize(serializer),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        match Form::deserialize(deserializer)? {
            Form::Text(text) => Ok(text.into_bytes()),
            Form::Base64 { base64 } => STANDARD.decode(base64).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &[u8]) -> StoredResponse {
        StoredResponse {
            method: "POST".into(),
            body: body.to_vec(),
            status: 201,
            content_type: "application/json".into(),
            headers: vec![("location".into(), "/v1/kycs/kyc-1".into())],
            response_body: br#"{"id":"kyc-1"}"#.to_vec(),
        }
    }

    #[test]
    fn bodies_are_text_when_utf8_and_base64_otherwise() {
        for body in [&b"{\"userId\":\"x\"}"[..], &[0xff, 0x00, 0xfe][..]] {
            let change = Change {
                key: Some("k".into()),
                stored: Some(stored(body)),
                ..Change::request()
            };
            let line = serde_json::to_string(&change).unwrap();
            let back: Change = serde_json::from_str(&line).unwrap();
            assert_eq!(back, change, "{line}");
        }
        let text = serde_json::to_string(&stored(b"{}")).unwrap();
        assert!(text.contains(r#""requestBody":"{}""#), "{text}");
        let binary = serde_json::to_string(&stored(&[0xff])).unwrap();
        assert!(
            binary.contains(r#""requestBody":{"base64":"/w=="}"#),
            "{binary}"
        );
    }

    #[test]
    fn a_counter_only_change_is_short() {
        assert_eq!(
            serde_json::to_string(&Change::request()).unwrap(),
            r#"{"requests":1}"#
        );
    }

    #[test]
    fn a_snapshot_rebuilds_from_its_changes() {
        let mut memory = Snapshot::default();
        let first = Change {
            verifications: 1,
            key: Some("k".into()),
            key_stats: KeyStats {
                requests: 1,
                verifications: 1,
                replays: 0,
            },
            stored: Some(stored(b"{}")),
            ..Change::request()
        };
        let replay = Change {
            key: Some("k".into()),
            key_stats: KeyStats {
                requests: 1,
                verifications: 0,
                replays: 1,
            },
            ..Change::request()
        };
        for change in [&first, &replay, &Change::request()] {
            memory.apply(change);
        }
        assert_eq!(memory.stats.requests, 3);
        assert_eq!(memory.stats.verifications, 1);
        assert_eq!(memory.keys["k"].stats.replays, 1);
        let mut rebuilt = Snapshot::default();
        for change in memory.changes() {
            rebuilt.apply(&change);
        }
        assert_eq!(rebuilt, memory);
    }

    #[test]
    fn counters_from_a_hostile_file_saturate() {
        let mut memory = Snapshot::default();
        let huge = Change {
            requests: u64::MAX,
            ..Change::default()
        };
        memory.apply(&huge);
        memory.apply(&huge);
        assert_eq!(memory.stats.requests, u64::MAX);
    }

    #[test]
    fn per_key_parts_need_a_key() {
        let orphan = Change {
            key_stats: KeyStats {
                requests: 1,
                ..KeyStats::default()
            },
            ..Change::default()
        };
        assert!(!orphan.is_valid());
        assert!(Change::request().is_valid());
    }

    #[test]
    fn a_key_seen_afresh_starts_its_memory_afresh_and_expired_keys_go() {
        let seen = |since: u64, verifications: u64| Change {
            key: Some("k".into()),
            since: Some(since),
            key_stats: KeyStats {
                requests: 1,
                verifications,
                replays: 0,
            },
            stored: (verifications > 0).then(|| stored(b"{}")),
            ..Change::request()
        };
        let mut memory = Snapshot::default();
        memory.apply(&seen(1_000, 1));
        memory.apply(&seen(1_000, 0));
        assert_eq!(memory.keys["k"].stats.requests, 2);
        // The key expired and came again: its old stats and response are not the new one's.
        memory.apply(&seen(90_000, 0));
        assert_eq!(memory.keys["k"].since, Some(90_000));
        assert_eq!(memory.keys["k"].stats.requests, 1);
        assert_eq!(memory.keys["k"].stored, None);

        memory.apply(&Change {
            key: Some("old-file".into()),
            ..Change::request()
        });
        memory.expire(100_000, 10_000);
        assert!(
            !memory.keys.contains_key("k"),
            "seen 10 s before, with 10 s to live"
        );
        assert_eq!(
            memory.keys["old-file"].since,
            Some(100_000),
            "a key of a version 1 file counts from now"
        );
    }
}
