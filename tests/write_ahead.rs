//! Write-ahead: a submission whose process is killed mid-request is in history before the
//! first byte went out, shows as "no outcome" after reopening, and retried with its own
//! key it starts exactly one verification. Real processes, a real `kill -9`, a real sandbox.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kyc_console::history::{HistoryFilter, HistoryStore, SqliteStore};
use kyc_console::sandbox::{KeyStats, SANDBOX_API_KEY, SandboxStats};

const BIN: &str = env!("CARGO_BIN_EXE_kyc-console");

/// A standalone sandbox child process, killed when dropped.
struct SandboxProcess {
    child: Child,
    base_url: String,
}

impl SandboxProcess {
    fn start(latency_ms: u64) -> SandboxProcess {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .args([
                "--data-dir",
                dir.path().to_str().unwrap(),
                "sandbox",
                "--port",
                "0",
            ])
            .args(["--latency-ms", &latency_ms.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut base_url = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(url) = line.trim().strip_prefix("base URL") {
                base_url = Some(url.trim().to_string());
                break;
            }
        }
        SandboxProcess {
            child,
            base_url: base_url.expect("the sandbox prints its base URL"),
        }
    }

    async fn stats(&self) -> SandboxStats {
        let text = reqwest::get(format!("{}/_sandbox/stats", self.base_url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        SandboxStats {
            requests: v["requests"].as_u64().unwrap(),
            verifications: v["verifications"].as_u64().unwrap(),
        }
    }

    async fn key_stats(&self, key: &str) -> KeyStats {
        let text = reqwest::get(format!("{}/_sandbox/keys/{key}", self.base_url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn console(data_dir: &std::path::Path, base_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("WA_KEY", SANDBOX_API_KEY)
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .args(["--base-url", base_url, "--api-key-env", "WA_KEY"]);
    cmd
}

#[tokio::test]
async fn a_submission_killed_mid_request_is_retried_with_its_key_and_initiated_once() {
    let sandbox = SandboxProcess::start(1500);
    let data = tempfile::tempdir().unwrap();
    let user_id = format!("usr-{}", uuid::Uuid::new_v4());

    let mut initiate = console(data.path(), &sandbox.base_url)
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

    let listed = console(data.path(), &sandbox.base_url)
        .args(["history", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["outcome"], "unknown (no outcome recorded)");

    // Retried with its own key: the platform replays or completes the first, never twice.
    let retried = console(data.path(), &sandbox.base_url)
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
