//! Write-ahead: a submission whose process is killed mid-request is in history before the
//! first byte went out, shows as "no outcome" after reopening, and retried with its own
//! key it starts exactly one verification. Real processes, a real `kill -9`, a real sandbox.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{SandboxProcess, random_user, sending};
use kyc_console::history::{HistoryFilter, HistoryStore, SqliteStore};

#[tokio::test]
async fn a_submission_killed_mid_request_is_retried_with_its_key_and_initiated_once() {
    let sandbox = SandboxProcess::start(1500, None);
    let data = tempfile::tempdir().unwrap();
    let user_id = random_user();

    let mut initiate = sending(data.path(), &sandbox.base_url)
        .args(["initiate", "--user-id", &user_id, "--type", "full"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the request is at the sandbox (which holds it for 1.5 s), then kill -9.
    let deadline = Instant::now() + Duration::from_secs(20);
    while sandbox.stats().await.requests == 0 {
        assert!(
            Instant::now() < deadline,
            "the request never reached the sandbox"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    initiate.kill().unwrap(); // SIGKILL: no chance to record anything more
    let status = initiate.wait().unwrap();
    assert!(!status.success());

    // The submission was recorded before sending, and has no outcome.
    let store = SqliteStore::open_in(data.path()).unwrap();
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 1);
    let row = store
        .window(&HistoryFilter::default(), 0, 10)
        .unwrap()
        .remove(0);
    assert_eq!(row.outcome, None);
    assert_eq!(row.user_id, user_id);
    let submission = store.get(row.id).unwrap();
    let key = submission.new.idempotency_key.clone();
    assert!(submission.attempts.is_empty());
    drop(store);

    let listed = sending(data.path(), &sandbox.base_url)
        .args(["history", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["outcome"], "unknown (no outcome recorded)");

    // Retried with its own key: the platform replays or completes the first, never twice.
    let retried = sending(data.path(), &sandbox.base_url)
        .args(["retry", &row.id.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        retried.status.success(),
        "{}",
        String::from_utf8_lossy(&retried.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&retried.stdout).unwrap();
    assert_eq!(out["outcome"], "initiated");
    assert_eq!(out["idempotency_key"], key.as_str());

    let per_key = sandbox.key_stats(&key).await;
    assert_eq!(per_key.verifications, 1, "{per_key:?}");
    assert!(per_key.requests >= 2, "{per_key:?}");
    assert_eq!(sandbox.stats().await.verifications, 1);

    let store = SqliteStore::open_in(data.path()).unwrap();
    let after = store.get(row.id).unwrap();
    assert_eq!(
        after.outcome,
        Some(kyc_console::domain::OutcomeKind::Initiated)
    );
    assert_eq!(after.attempts.len(), 1);
    assert_eq!(
        store.count(&HistoryFilter::default()).unwrap(),
        1,
        "no second submission"
    );
}
