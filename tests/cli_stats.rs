//! `history --stats`: the figures over a history of known times, statuses, targets and
//! latencies, printed by the built binary as text and JSON, with `history`'s filters; and
//! over a history made by real `initiate` runs against the embedded sandbox.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{kyc, random_user};
use kyc_console::api::{Attempt, AttemptResult, CapturedResponse, RequestRecord};
use kyc_console::domain::{FailureKind, KycType, OutcomeKind};
use kyc_console::history::{HistoryStore, NewSubmission, SqliteStore};
use serde_json::Value;

const SANDBOX: &str = "embedded sandbox";
const PARTNER: &str = "POST https://api.partner.example/v1/kycs";

fn at(minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 14, minute, second)
        .unwrap()
}

fn new(target: &str, created_at: DateTime<Utc>) -> NewSubmission {
    let user = random_user();
    let key = uuid::Uuid::new_v4().to_string();
    NewSubmission {
        created_at,
        operator: "ana".into(),
        profile: "sandbox".into(),
        base_url: "http://127.0.0.1:9/v1".into(),
        target: target.into(),
        key_env: None,
        user_id: user.clone(),
        kyc_type: KycType::Full,
        redirect_uri: None,
        idempotency_key: key,
        request: RequestRecord {
            method: "POST".into(),
            url: "http://127.0.0.1:9/v1/kycs".into(),
            headers: vec![("x-api-key".into(), "****".into())],
            body: format!(r#"{{"userId":"{user}","type":"full"}}"#),
        },
        resend_of: None,
        batch_id: None,
        batch_line: None,
    }
}

fn answer(status: u16, started_at: DateTime<Utc>, latency_ms: u64) -> Attempt {
    Attempt {
        number: 1,
        started_at,
        latency: Duration::from_millis(latency_ms),
        result: AttemptResult::Response(CapturedResponse {
            status,
            headers: Vec::new(),
            body: b"{}".to_vec(),
            body_truncated: false,
            request_id: Some(format!("req-{}", uuid::Uuid::new_v4())),
            rate_limit: Default::default(),
            read_fields: Default::default(),
        }),
        retry: None,
        stop: None,
    }
}

/// 14:01: ten 201s from the sandbox (10..100 ms). 14:02: four 201s and six 503s from the
/// partner (200..700 ms), one timeout. 14:03: one row recorded and never sent.
fn history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let send = |target: &str, t: DateTime<Utc>, status: Option<u16>, ms: u64| {
        let id = store.create(&new(target, t)).unwrap();
        match status {
            Some(s) => {
                store.record_attempt(id, &answer(s, t, ms)).unwrap();
                let outcome = match s {
                    201 => OutcomeKind::Initiated,
                    _ => OutcomeKind::Transient,
                };
                store.finish(id, outcome).unwrap();
            }
            None => {
                let attempt = Attempt {
                    result: AttemptResult::Failed {
                        failure: FailureKind::Timeout,
                        message: "no answer".into(),
                    },
                    ..answer(0, t, ms)
                };
                store.record_attempt(id, &attempt).unwrap();
                store.finish(id, OutcomeKind::Unknown).unwrap();
            }
        }
    };
    for i in 0..10u32 {
        send(SANDBOX, at(1, i), Some(201), u64::from(i + 1) * 10);
    }
    for i in 0..10u32 {
        let status = if i < 4 { 201 } else { 503 };
        send(PARTNER, at(2, i), Some(status), 200 + u64::from(i) * 50);
    }
    send(PARTNER, at(2, 30), None, 30_000);
    store.create(&new(SANDBOX, at(3, 0))).unwrap();
    dir
}

#[test]
fn stats_print_statuses_a_timeline_and_latency_per_target() {
    let dir = history();
    let run = kyc(dir.path(), &["history", "--stats"]).expect(0);
    let want = "\
22 rows · 2026-11-28 14:01 – 14:04 (UTC)

By status
  201         initiated                 14   63.6%
  503         transient                  6   27.3%
  timed out   unknown                    1    4.5%
  never sent  recorded, not sent yet     1    4.5%

Per minute (UTC; newest first)
  time   rows  errors  by status
  14:03     1       0  never sent ×1
  14:02    11       7  201 ×4 · 503 ×6 · timed out ×1
  14:01    10       0  201 ×10

Latency per target (each request; a retry is one more)
  target                                    requests     p50     p95     p99     max
  POST https://api.partner.example/v1/kycs        11  450 ms  30.0 s  30.0 s  30.0 s
  embedded sandbox                                10   50 ms  100 ms  100 ms  100 ms
";
    assert_eq!(run.stdout, want);
}

#[test]
fn stats_follow_the_filters_and_the_step() {
    let dir = history();
    let run = kyc(
        dir.path(),
        &["history", "--stats", "--errors", "--per", "hour"],
    )
    .expect(0);
    assert!(run.stdout.starts_with("8 rows · "), "{}", run.stdout);
    assert!(
        run.stdout.contains("Per hour (UTC; newest first)"),
        "{}",
        run.stdout
    );
    // The row never sent is not an error: it has no outcome yet.
    assert!(
        run.stdout
            .contains("  14:00     8       7  503 ×6 · timed out ×1 · never sent ×1\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("201"), "{}", run.stdout);

    let json = kyc(
        dir.path(),
        &["history", "--stats", "--json", "--status", "503"],
    )
    .expect(0)
    .json();
    assert_eq!(json["rows"], 6);
    assert_eq!(json["by_status"][0]["status"], 503);
    assert_eq!(json["by_status"][0]["outcome"], "transient");
    assert_eq!(json["by_status"][0]["share"], 1.0);
    assert_eq!(json["timeline"]["per"], "minute");
    assert_eq!(
        json["timeline"]["buckets"][0]["start"],
        "2026-11-28T14:02:00.000Z"
    );
    assert_eq!(json["timeline"]["buckets"][0]["errors"], 6);
    assert_eq!(json["timeline"]["buckets"][0]["pending"], 0);
    assert_eq!(json["timeline"]["gaps_left_out"], false);
    let latency = &json["latency"][0];
    assert_eq!(latency["target"], PARTNER);
    // 400, 450, 500, 550, 600, 650 ms.
    assert_eq!(
        (&latency["p50_ms"], &latency["p95_ms"], &latency["max_ms"]),
        (&Value::from(500), &Value::from(650), &Value::from(650))
    );
}

#[test]
fn stats_of_nothing_say_so_and_bad_flags_exit_2() {
    let dir = history();
    let run = kyc(dir.path(), &["history", "--stats", "--find", "zzz"]).expect(0);
    assert_eq!(run.stdout, "no rows match\n");
    let json = kyc(
        dir.path(),
        &["history", "--stats", "--json", "--find", "zzz"],
    )
    .expect(0)
    .json();
    assert_eq!(
        (json["rows"].clone(), json["latency"].clone()),
        (0.into(), Value::Array(Vec::new()))
    );
    let run = kyc(dir.path(), &["history", "--per", "hour"]).expect(2);
    assert!(run.stderr.contains("--stats"), "{}", run.stderr);
    let run = kyc(dir.path(), &["history", "--stats", "--csv"]).expect(2);
    assert!(run.stderr.contains("--csv"), "{}", run.stderr);
    let run = kyc(dir.path(), &["history", "--stats", "--per", "day"]).expect(2);
    assert!(
        run.stderr.contains("minute") && run.stderr.contains("hour"),
        "{}",
        run.stderr
    );
}

/// Real submissions: a success, a 400 and a 503 (retried, then given up) from the
/// sandbox, counted by status with their times.
#[test]
fn stats_over_real_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let user = random_user();
    for (user, code) in [
        (user.as_str(), 0),
        ("usr-00000000-0000-4000-8000-000000000400", 1),
    ] {
        kyc(
            dir.path(),
            &["initiate", "--user-id", user, "--type", "full"],
        )
        .expect(code);
    }
    let json = kyc(dir.path(), &["history", "--stats", "--json"])
        .expect(0)
        .json();
    let statuses: Vec<(Value, Value)> = json["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["status"].clone(), a["rows"].clone()))
        .collect();
    assert_eq!(statuses, [(201.into(), 1.into()), (400.into(), 1.into())]);
    assert_eq!(json["latency"][0]["target"], SANDBOX);
    assert_eq!(json["latency"][0]["requests"], 2);
}
