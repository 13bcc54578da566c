//! The SQLite history store on real files: migrations, the file's mode and pragmas,
//! write-ahead rows, whole round trips of attempts, windowed and filtered reads over 1,000
//! rows, two writers on one file, CSV/JSON exports, and the same rows as the in-memory
//! store for every filter.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use kyc_console::api::{
    Attempt, AttemptResult, CapturedResponse, KEY_MASK, RateLimit, RequestRecord, RetryPlan,
};
use kyc_console::domain::{FailureKind, KycType, OutcomeKind};
use kyc_console::history::export::{ExportFormat, export};
use kyc_console::history::{
    HISTORY_FILE, HistoryError, HistoryFilter, HistoryRow, HistoryStore, MemoryStore, NewBatch,
    NewSubmission, PostgresStore, SqliteStore, Submission, SubmissionId,
};
use rusqlite::Connection;
use serde_json::Value;

/// Rows in the large history.
const ROWS: usize = 1000;

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn ms(n: i64) -> chrono::Duration {
    chrono::Duration::milliseconds(n)
}

fn request(user_id: &str, key: &str) -> RequestRecord {
    RequestRecord {
        method: "POST".into(),
        url: "http://127.0.0.1:9/v1/kycs".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json".into()),
            ("x-api-key".into(), KEY_MASK.into()),
            ("x-idempotency-key".into(), key.into()),
        ],
        body: serde_json::json!({"type": "full", "userId": user_id}).to_string(),
    }
}

/// A fresh idempotency key of letters k to t, so that searching the ids, the statuses or
/// the operator ("tester") of these tests never finds a key by chance.
fn fresh_key() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let letters: String = format!("{n:08}")
        .bytes()
        .map(|d| char::from(b'k' + (d - b'0')))
        .collect();
    format!("key-{letters}")
}

fn submission(user_id: &str, profile: &str, created_at: DateTime<Utc>) -> NewSubmission {
    let key = fresh_key();
    NewSubmission {
        created_at,
        operator: "tester".into(),
        profile: profile.into(),
        base_url: "http://127.0.0.1:9/v1".into(),
        target: "POST http://127.0.0.1:9/v1/kycs".into(),
        key_env: None,
        user_id: user_id.into(),
        kyc_type: KycType::Full,
        redirect_uri: None,
        request: request(user_id, &key),
        idempotency_key: key,
        resend_of: None,
        batch_id: None,
        batch_line: None,
    }
}

fn response(status: u16, request_id: &str, body: &[u8]) -> CapturedResponse {
    CapturedResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-request-id".into(), request_id.into()),
        ],
        body: body.to_vec(),
        body_truncated: false,
        request_id: Some(request_id.into()),
        rate_limit: RateLimit {
            limit: Some(300),
            remaining: Some(299),
            reset_secs: Some(60),
            retry_after_secs: None,
        },
        read_fields: Default::default(),
    }
}

fn answered(
    number: u32,
    started_at: DateTime<Utc>,
    latency_ms: u64,
    r: CapturedResponse,
) -> Attempt {
    Attempt {
        number,
        started_at,
        latency: Duration::from_millis(latency_ms),
        result: AttemptResult::Response(r),
        retry: None,
        stop: None,
    }
}

fn failed(
    number: u32,
    started_at: DateTime<Utc>,
    latency_ms: u64,
    failure: FailureKind,
    message: &str,
) -> Attempt {
    Attempt {
        number,
        started_at,
        latency: Duration::from_millis(latency_ms),
        result: AttemptResult::Failed {
            failure,
            message: message.into(),
        },
        retry: None,
        stop: None,
    }
}

fn success_body(verification: &str, url: &str) -> Vec<u8> {
    serde_json::json!({"id": verification, "status": "pending", "url": url})
        .to_string()
        .into_bytes()
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// The tables of an up-to-date file: the trigram index's own tables among them.
const TABLES: [&str; 16] = [
    "attempts",
    "batches",
    "submission_counts",
    "submission_search",
    "submission_search_answer",
    "submission_search_answer_config",
    "submission_search_answer_data",
    "submission_search_answer_docsize",
    "submission_search_answer_idx",
    "submission_search_config",
    "submission_search_data",
    "submission_search_idx",
    "submission_search_mark",
    "submission_search_new",
    "submission_search_pending",
    "submissions",
];

fn tables(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn ids(rows: &[HistoryRow]) -> Vec<SubmissionId> {
    rows.iter().map(|r| r.id).collect()
}

/// One finished submission with a single 201, for the simple tests.
fn add_success(store: &SqliteStore, user: &str) -> SubmissionId {
    let new = submission(user, "sandbox", base_time());
    let id = store.create(&new).unwrap();
    let attempt = answered(
        1,
        base_time() + ms(1),
        40,
        response(
            201,
            &format!("req-{user}"),
            &success_body(&format!("kyc-{user}"), "https://kyc.example/w"),
        ),
    );
    store.record_attempt(id, &attempt).unwrap();
    store.finish(id, OutcomeKind::Initiated).unwrap();
    id
}

// --- migrations, file, pragmas -------------------------------------------------------------

#[test]
fn migrates_a_fresh_directory_with_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let store = SqliteStore::open_in(&data).unwrap();
    let path = data.join(HISTORY_FILE);
    assert_eq!(HISTORY_FILE, "history.sqlite3");
    assert_eq!(store.path(), path.as_path());
    assert!(path.is_file(), "{} was not created", path.display());
    assert_eq!(user_version(&path), 8);
    assert_eq!(tables(&path), TABLES);
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 0);
    assert!(
        store
            .window(&HistoryFilter::default(), 0, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn migrates_an_empty_pre_created_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    std::fs::File::create(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), 8);
    assert_eq!(tables(&path), TABLES);
    let id = add_success(&store, "usr-empty-file");
    assert_eq!(store.get(id).unwrap().attempts.len(), 1);
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 1);
}

/// The indexes a row sent writes: a user's rows are found through the (user, type,
/// target) index, and request and verification ids are indexed only once a row has one.
#[test]
fn a_row_sent_writes_no_redundant_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let store = SqliteStore::open(&path).unwrap();
    let id = add_success(&store, "usr-indexed");
    let pending = store
        .create(&submission("usr-unanswered", "sandbox", base_time()))
        .unwrap();
    let conn = Connection::open(&path).unwrap();
    let index_sql = |name: &str| -> Option<String> {
        conn.query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
            [name],
            |r| r.get(0),
        )
        .ok()
    };
    assert_eq!(index_sql("submissions_user_id"), None);
    assert_eq!(index_sql("submissions_initiated"), None);
    for (name, column) in [
        ("submissions_request_id", "request_id"),
        ("submissions_verification_id", "verification_id"),
    ] {
        let sql = index_sql(name).unwrap();
        assert!(
            sql.contains(&format!("WHERE {column} IS NOT NULL")),
            "{sql}"
        );
        let entries: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM submissions INDEXED BY {name} WHERE {column} IS NOT NULL"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(entries, 1, "only the answered row is in {name}");
    }
    // Every id still finds its row.
    for identifier in ["usr-indexed", "req-usr-indexed", "kyc-usr-indexed"] {
        assert_eq!(ids(&store.find(identifier).unwrap()), [id], "{identifier}");
    }
    assert_eq!(ids(&store.find("usr-unanswered").unwrap()), [pending]);
}

#[test]
fn reopening_keeps_rows_and_attempts_and_does_not_migrate_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let (first, pending, before) = {
        let store = SqliteStore::open_in(dir.path()).unwrap();
        let first = add_success(&store, "usr-first");
        let pending = store
            .create(&submission("usr-pending", "sandbox", base_time() + ms(5)))
            .unwrap();
        let before = store.get(first).unwrap();
        (first, pending, before)
    };
    let version = user_version(&path);
    assert_eq!(version, 8);

    let second_id = {
        let store = SqliteStore::open_in(dir.path()).unwrap();
        assert_eq!(user_version(&path), version);
        assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 2);
        assert_eq!(store.get(first).unwrap(), before);
        let still_pending = store.get(pending).unwrap();
        assert_eq!(still_pending.outcome, None);
        assert!(still_pending.attempts.is_empty());
        add_success(&store, "usr-second")
    };
    assert!(second_id > pending, "ids keep increasing after a reopen");

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), version);
    assert_eq!(
        ids(&store.window(&HistoryFilter::default(), 0, 10).unwrap()),
        [second_id, pending, first]
    );
    assert_eq!(store.get(first).unwrap(), before);
    assert_eq!(store.get(second_id).unwrap().attempts.len(), 1);
    assert_eq!(tables(&path), TABLES);
}

/// A row's text changes as it is sent (request id, status, verification id): a search
/// finds it by the new text at once, whether or not its change was indexed yet, and not by
/// text it no longer has.
#[test]
fn a_search_finds_a_row_by_text_it_gained_a_moment_ago() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let text = |t: &str| HistoryFilter {
        text: t.into(),
        ..HistoryFilter::default()
    };
    let id = store
        .create(&submission("usr-gains-text", "sandbox", base_time()))
        .unwrap();
    assert_eq!(store.count(&text("rq-fresh-one")).unwrap(), 0);
    let first = answered(1, base_time(), 3, response(503, "rq-fresh-one", b"{}"));
    store.record_attempt(id, &first).unwrap();
    assert_eq!(
        ids(&store.window(&text("RQ-FRESH-ONE"), 0, 10).unwrap()),
        [id]
    );
    assert_eq!(store.count(&text("rq-fresh-one")).unwrap(), 1);
    let body = success_body("kyc-gained-7", "https://kyc.example/w");
    let second = answered(2, base_time(), 3, response(201, "rq-second-one", &body));
    store.record_attempt(id, &second).unwrap();
    store.finish(id, OutcomeKind::Initiated).unwrap();
    assert_eq!(store.count(&text("kyc-gained-7")).unwrap(), 1);
    assert_eq!(
        store.count(&text("rq-fresh-one")).unwrap(),
        0,
        "the row shows its last attempt's request id now"
    );
    // Opening the file indexes the finished row; it is found through the index now.
    let indexed = |path: &Path| -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT CASE WHEN w.id IS NULL THEN 1 WHEN w.stale THEN 2 ELSE 0 END \
                 FROM submissions s LEFT JOIN submission_search_answering w ON w.id = s.id \
                 WHERE s.id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    let path = dir.path().join(HISTORY_FILE);
    assert_eq!(indexed(&path), 0);
    drop(store);
    let store = SqliteStore::open_in(dir.path()).unwrap();
    assert_eq!(indexed(&path), 1);
    assert_eq!(ids(&store.window(&text("KYC-GAINED"), 0, 5).unwrap()), [id]);
    assert_eq!(store.count(&text("rq-second-one")).unwrap(), 1);
    // Sent again with its key after it finished: its indexed text is stale, and the row is
    // found by what it says now, not by what the index holds.
    let third = answered(3, base_time(), 3, response(201, "rq-third-one", &body));
    store.record_attempt(id, &third).unwrap();
    assert_eq!(indexed(&path), 2);
    assert_eq!(store.count(&text("rq-third-one")).unwrap(), 1);
    assert_eq!(store.count(&text("rq-second-one")).unwrap(), 0);
    store.finish(id, OutcomeKind::Initiated).unwrap();
    drop(store);
    let store = SqliteStore::open_in(dir.path()).unwrap();
    assert_eq!(indexed(&path), 1, "indexed anew");
    assert_eq!(store.count(&text("rq-second-one")).unwrap(), 0);
    assert_eq!(ids(&store.window(&text("rq-third"), 0, 5).unwrap()), [id]);
    assert_eq!(store.count(&text("kyc-gained-7")).unwrap(), 1);
}

/// A row settled before it was ever sent (an outcome, no attempt) is indexed with an
/// empty answer; an attempt recorded on it later is found by its text, once, before and
/// after the waiting rows are indexed, and so is an answer that changes only when it
/// finishes.
#[test]
fn an_attempt_on_a_row_finished_unsent_is_found_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let text = |t: &str| HistoryFilter {
        text: t.into(),
        ..HistoryFilter::default()
    };
    let id = store
        .create(&submission("usr-settled-unsent", "sandbox", base_time()))
        .unwrap();
    store.finish(id, OutcomeKind::Unknown).unwrap();
    drop(store);
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let body = success_body("kyc-late-answer-9", "https://kyc.example/w");
    let late = answered(1, base_time(), 3, response(201, "rq-late-answer", &body));
    store.record_attempt(id, &late).unwrap();
    assert_eq!(
        ids(&store.window(&text("rq-late-ans"), 0, 5).unwrap()),
        [id]
    );
    drop(store);
    let store = SqliteStore::open_in(dir.path()).unwrap();
    assert_eq!(
        ids(&store.window(&text("rq-late-ans"), 0, 5).unwrap()),
        [id]
    );
    assert_eq!(store.count(&text("kyc-late-answer")).unwrap(), 0);
    // The verification id comes with the outcome, after the attempt was indexed.
    store.finish(id, OutcomeKind::Initiated).unwrap();
    assert_eq!(
        ids(&store.window(&text("kyc-late-answer"), 0, 5).unwrap()),
        [id]
    );
    drop(store);
    let store = SqliteStore::open_in(dir.path()).unwrap();
    assert_eq!(
        ids(&store.window(&text("kyc-late-answer"), 0, 5).unwrap()),
        [id]
    );
    assert_eq!(
        ids(&store.window(&text("rq-late-ans"), 0, 5).unwrap()),
        [id]
    );
    assert_eq!(store.count(&text("201")).unwrap(), 1);
}

/// A file written before the search index existed gets one, with every row already in
/// it, and counts that match its rows.
#[test]
fn an_older_file_gains_the_search_index_and_counts_of_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    {
        let store = SqliteStore::open(&path).unwrap();
        add_success(&store, "usr-0ld3r-0n3");
        add_success(&store, "usr-0ld3r-tw0");
        store
            .create(&submission("usr-pending-0ld", "staging", base_time()))
            .unwrap();
    }
    // Back to the schema of version 5, as an older console left it.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER submission_search_mark_back; DROP VIEW submission_search_answering;
         DROP TABLE submission_search_mark;
         DROP TRIGGER submission_search_delete; DROP TRIGGER submission_search_insert;
         DROP TRIGGER submission_counts_insert;
         DROP TRIGGER submission_counts_update; DROP TRIGGER submission_counts_delete;
         DROP TABLE submission_search; DROP TABLE submission_counts;
         DROP TABLE submission_search_pending; DROP TABLE submission_search_answer;
         DROP TABLE submission_search_new;
         UPDATE submissions SET latency_ms = 46500 WHERE user_id = 'usr-0ld3r-0n3';
         DROP INDEX submissions_request_id; DROP INDEX submissions_verification_id;
         CREATE INDEX submissions_user_id ON submissions(user_id);
         CREATE INDEX submissions_initiated ON submissions(user_id, kyc_type, outcome);
         CREATE INDEX submissions_request_id ON submissions(request_id);
         CREATE INDEX submissions_verification_id ON submissions(verification_id);
         PRAGMA user_version = 5;",
    )
    .unwrap();
    drop(conn);
    assert_eq!(tables(&path), ["attempts", "batches", "submissions"]);

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), 8);
    let text = |t: &str| HistoryFilter {
        text: t.into(),
        ..HistoryFilter::default()
    };
    assert_eq!(store.count(&text("0ld3r")).unwrap(), 2);
    assert_eq!(store.count(&text("KYC-USR-0LD3R-TW0")).unwrap(), 1);
    assert_eq!(store.count(&text("pending-0ld")).unwrap(), 1);
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 3);
    let errors = HistoryFilter {
        errors_only: true,
        ..HistoryFilter::default()
    };
    assert_eq!(store.count(&errors).unwrap(), 1);
    let staging = HistoryFilter {
        profile: Some("staging".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(store.count(&staging).unwrap(), 1);
    // An older row's took counted the waits between attempts; now it is the sending time.
    let old = store.window(&text("usr-0ld3r-0n3"), 0, 1).unwrap();
    let sending: u128 = store
        .get(old[0].id)
        .unwrap()
        .attempts
        .iter()
        .map(|a| a.latency.as_millis())
        .sum();
    assert_eq!(old[0].latency_ms.map(u128::from), Some(sending));
}

#[cfg(unix)]
#[test]
fn the_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    add_success(&store, "usr-mode");
    let path = dir.path().join(HISTORY_FILE);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
    // SQLite gives its side files the database's mode; they hold the same data.
    for side in ["-wal", "-shm"] {
        let side = dir.path().join(format!("{HISTORY_FILE}{side}"));
        if side.exists() {
            let mode = std::fs::metadata(&side).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} has mode {mode:o}", side.display());
        }
    }
    assert!(
        dir.path().join(format!("{HISTORY_FILE}-wal")).exists(),
        "a WAL file while the store is open and has written"
    );
}

#[test]
fn journal_mode_is_wal_and_foreign_keys_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let parent = add_success(&store, "usr-parent");

    // WAL is a property of the file: a separate connection sees it.
    let conn = Connection::open(dir.path().join(HISTORY_FILE)).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // The schema declares the references the store's connection enforces.
    let references: Vec<String> = conn
        .prepare("SELECT \"table\" FROM pragma_foreign_key_list('attempts')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(references, ["submissions"]);

    // `foreign_keys` is per connection, so it is observed through the store's own: a
    // resend of a submission that does not exist is refused, one that exists is kept.
    let mut dangling = submission("usr-child", "sandbox", base_time());
    dangling.resend_of = Some(parent + 1000);
    match store.create(&dangling) {
        Err(HistoryError::Storage(e)) => assert!(e.contains("FOREIGN KEY"), "{e}"),
        other => panic!("a dangling resend_of was accepted: {other:?}"),
    }
    let mut child = submission("usr-child", "sandbox", base_time());
    child.resend_of = Some(parent);
    let id = store.create(&child).unwrap();
    assert_eq!(store.get(id).unwrap().new.resend_of, Some(parent));
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 2);

    // An attempt for a submission that does not exist is refused and leaves nothing behind.
    let orphan = answered(1, base_time(), 1, response(201, "req-x", b"{}"));
    assert!(matches!(
        store.record_attempt(4242, &orphan),
        Err(HistoryError::NotFound(4242))
    ));
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM attempts WHERE submission_id = 4242",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    assert!(matches!(
        store.finish(4242, OutcomeKind::Initiated),
        Err(HistoryError::NotFound(4242))
    ));
    assert!(matches!(store.get(4242), Err(HistoryError::NotFound(4242))));
}

// --- write-ahead and round trips ---------------------------------------------------------

#[test]
fn a_submission_is_recorded_before_its_attempts_and_completed_by_finish() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let new = submission("usr-write-ahead", "sandbox", base_time());
    let id = store.create(&new).unwrap();

    // Write-ahead: in history before anything was sent, with no outcome.
    let created = store.get(id).unwrap();
    assert_eq!(created.outcome, None);
    assert!(created.attempts.is_empty());
    assert_eq!(created.new, new);
    assert_eq!(created.new.idempotency_key, new.idempotency_key);
    let row = store.window(&HistoryFilter::default(), 0, 10).unwrap();
    assert_eq!(row.len(), 1);
    assert_eq!(row[0], created.row());
    assert_eq!(row[0].outcome, None);
    assert_eq!(row[0].status, None);
    assert_eq!(row[0].attempts, 0);
    assert_eq!(row[0].latency_ms, None);
    assert_eq!(row[0].sent_at, None, "not sent yet");
    assert_eq!(row[0].listed_at(), base_time());

    // A transient answer, then a success after waiting.
    let mut first = answered(
        1,
        base_time() + ms(10),
        120,
        response(503, "req-first", b"Service Unavailable"),
    );
    first.retry = Some(RetryPlan {
        wait: Duration::from_millis(1000),
        reason: "503 Service Unavailable, Retry-After 1 s".into(),
    });
    store.record_attempt(id, &first).unwrap();
    let in_flight = &store.window(&HistoryFilter::default(), 0, 1).unwrap()[0];
    assert_eq!(in_flight.outcome, None, "no outcome until finish");
    assert_eq!(in_flight.status, Some(503));
    assert_eq!(in_flight.request_id.as_deref(), Some("req-first"));
    assert_eq!(in_flight.attempts, 1);
    assert_eq!(
        in_flight.sent_at,
        Some(base_time() + ms(10)),
        "sent when it was"
    );
    assert_eq!(in_flight, &store.get(id).unwrap().row());

    let second = answered(
        2,
        base_time() + ms(1130),
        250,
        response(
            201,
            "req-second",
            &success_body("kyc-0001", "https://kyc.example/w/0001"),
        ),
    );
    store.record_attempt(id, &second).unwrap();
    store.finish(id, OutcomeKind::Initiated).unwrap();

    let done = store.get(id).unwrap();
    assert_eq!(done.outcome, Some(OutcomeKind::Initiated));
    assert_eq!(done.attempts, [first, second]);
    let row = &store.window(&HistoryFilter::default(), 0, 1).unwrap()[0];
    assert_eq!(row, &done.row());
    assert_eq!(row.id, id);
    assert_eq!(row.status, Some(201));
    assert_eq!(row.outcome, Some(OutcomeKind::Initiated));
    assert_eq!(row.failure, None);
    // Time spent sending: 120 ms and 250 ms. The second between them was a wait.
    assert_eq!(row.latency_ms, Some(370));
    assert_eq!(done.exchange().waited(), Duration::from_millis(1000));
    assert_eq!(row.sent_at, Some(base_time() + ms(10)));
    assert_eq!(row.verification_id.as_deref(), Some("kyc-0001"));
    assert_eq!(
        row.webview_url.as_deref(),
        Some("https://kyc.example/w/0001")
    );
    assert_eq!(row.request_id.as_deref(), Some("req-second"));
    assert_eq!(row.attempts, 2);
    assert_eq!(row.profile, "sandbox");
    assert_eq!(row.user_id, "usr-write-ahead");
    assert_eq!(row.created_at, base_time());
}

#[test]
fn a_refusal_and_a_lost_answer_finish_without_verification() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();

    let refused = store
        .create(&submission("usr-refused", "sandbox", base_time()))
        .unwrap();
    // A 400 whose body has an id field: it is not a verification id.
    let body = br#"{"id":"not-a-verification","message":"bad"}"#;
    store
        .record_attempt(
            refused,
            &answered(1, base_time(), 5, response(400, "req-400", body)),
        )
        .unwrap();
    store.finish(refused, OutcomeKind::Rejected).unwrap();

    let lost = store
        .create(&submission("usr-lost", "sandbox", base_time()))
        .unwrap();
    store
        .record_attempt(
            lost,
            &failed(
                1,
                base_time(),
                30_000,
                FailureKind::Timeout,
                "no answer in 30 s",
            ),
        )
        .unwrap();
    store.finish(lost, OutcomeKind::Unknown).unwrap();

    let rows = store.window(&HistoryFilter::default(), 0, 10).unwrap();
    assert_eq!(ids(&rows), [lost, refused]);
    assert_eq!(rows[0], store.get(lost).unwrap().row());
    assert_eq!(rows[1], store.get(refused).unwrap().row());

    assert_eq!(rows[1].status, Some(400));
    assert_eq!(rows[1].outcome, Some(OutcomeKind::Rejected));
    assert_eq!(rows[1].verification_id, None);
    assert_eq!(rows[1].webview_url, None);
    assert_eq!(rows[1].request_id.as_deref(), Some("req-400"));
    assert_eq!(rows[1].latency_ms, Some(5));

    assert_eq!(rows[0].status, None);
    assert_eq!(rows[0].outcome, Some(OutcomeKind::Unknown));
    assert_eq!(rows[0].failure, Some(FailureKind::Timeout));
    assert_eq!(rows[0].request_id, None);
    assert_eq!(rows[0].latency_ms, Some(30_000));
}

#[test]
fn every_attempt_field_survives_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let mut new = submission("usr-round-trip", "staging", base_time() + ms(123));
    new.kyc_type = KycType::Shipping;
    new.redirect_uri = Some("https://example.com/done?x=1".into());
    new.batch_id = Some("batch-7".into());
    new.operator = "Zoë".into();
    let id = store.create(&new).unwrap();

    let t = |n: i64| base_time() + ms(1000 * n) + chrono::Duration::microseconds(17);
    let retry = |ms: u64, reason: &str| {
        Some(RetryPlan {
            wait: Duration::from_millis(ms),
            reason: reason.into(),
        })
    };
    let mut attempts = Vec::new();
    for (n, failure) in [
        FailureKind::Network,
        FailureKind::Timeout,
        FailureKind::Cancelled,
        FailureKind::Interrupted,
    ]
    .into_iter()
    .enumerate()
    {
        let number = u32::try_from(n + 1).unwrap();
        let mut a = failed(
            number,
            t(i64::from(number)),
            7 * u64::from(number),
            failure,
            &format!("{} — «{failure:?}»", failure.label()),
        );
        a.retry = retry(250 * u64::from(number), "no answer, same key");
        attempts.push(a);
    }
    let mut binary = answered(
        5,
        t(5),
        33,
        CapturedResponse {
            status: 503,
            headers: vec![
                ("content-type".into(), "application/octet-stream".into()),
                ("retry-after".into(), "2".into()),
                ("x-request-id".into(), "req-binary".into()),
                (
                    "X-Mixed-Case".into(),
                    "value with spaces, and: colons".into(),
                ),
            ],
            body: vec![0xff, 0xfe, 0x00, b'x', 0x80, 0xc3, 0x28, 0x00, 0x7f],
            body_truncated: true,
            request_id: Some("req-binary".into()),
            rate_limit: RateLimit {
                limit: Some(300),
                remaining: Some(0),
                reset_secs: Some(59),
                retry_after_secs: Some(2),
            },
            read_fields: Default::default(),
        },
    );
    binary.retry = retry(2000, "503 Service Unavailable, Retry-After 2 s");
    attempts.push(binary);
    attempts.push(answered(
        6,
        t(8),
        41,
        CapturedResponse {
            status: 201,
            headers: Vec::new(),
            body: Vec::new(),
            body_truncated: false,
            request_id: None,
            rate_limit: RateLimit::default(),
            read_fields: Default::default(),
        },
    ));
    for a in &attempts {
        store.record_attempt(id, a).unwrap();
    }
    store.finish(id, OutcomeKind::Initiated).unwrap();

    // A fresh store on the same file reads only what is on disk.
    drop(store);
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let got = store.get(id).unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.new, new);
    assert_eq!(got.outcome, Some(OutcomeKind::Initiated));
    assert_eq!(got.attempts.len(), attempts.len());
    for (got, want) in got.attempts.iter().zip(&attempts) {
        assert_eq!(got, want, "attempt #{}", want.number);
    }
    let AttemptResult::Response(r) = &got.attempts[4].result else {
        panic!("attempt 5 is a response");
    };
    assert_eq!(
        r.body,
        [0xff, 0xfe, 0x00, b'x', 0x80, 0xc3, 0x28, 0x00, 0x7f]
    );
    assert!(r.body_truncated);
    assert_eq!(got.exchange().attempts, attempts);
    assert_eq!(got.row().attempts, 6);
}

#[test]
fn a_not_sent_submission_round_trips_beside_rows_of_older_versions() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let memory = MemoryStore::new();
    let refused = "connection refused";
    let mut first = failed(1, base_time(), 0, FailureKind::NotSent, refused);
    first.retry = Some(RetryPlan {
        wait: Duration::from_millis(300),
        reason: "could not connect, backoff".into(),
    });
    let attempts = [
        first,
        failed(2, base_time() + ms(300), 1, FailureKind::NotSent, refused),
    ];
    let new = submission("usr-unreachable", "sandbox", base_time());
    let id = store.create(&new).unwrap();
    let memory_id = memory.create(&new).unwrap();
    for (s, id) in [(&store as &dyn HistoryStore, id), (&memory, memory_id)] {
        s.mark_dispatched(id, base_time()).unwrap();
        for a in &attempts {
            s.record_attempt(id, a).unwrap();
        }
        s.finish(id, OutcomeKind::NotSent).unwrap();
    }
    // As a previous version recorded a refused connection: unknown, after a network error.
    let old = store
        .create(&submission(
            "usr-old-refusal",
            "sandbox",
            base_time() + ms(1),
        ))
        .unwrap();
    store
        .record_attempt(
            old,
            &failed(1, base_time(), 0, FailureKind::Network, refused),
        )
        .unwrap();
    store.finish(old, OutcomeKind::Unknown).unwrap();

    drop(store);
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let got = store.get(id).unwrap();
    assert_eq!(got.outcome, Some(OutcomeKind::NotSent));
    assert_eq!(got.attempts, attempts);
    assert_eq!(got.exchange().outcome(), OutcomeKind::NotSent);
    let row = got.row();
    assert_eq!(row.outcome, Some(OutcomeKind::NotSent));
    assert_eq!(row.failure, Some(FailureKind::NotSent));
    assert_eq!(row.status, None);
    assert_eq!(row.verification_id, None);
    let mut in_memory = memory.get(memory_id).unwrap().row();
    in_memory.id = id;
    assert_eq!(row, in_memory);

    // On disk under their own names; the older names read as before.
    let conn = Connection::open(dir.path().join(HISTORY_FILE)).unwrap();
    let (outcome, failure): (String, String) = conn
        .query_row(
            "SELECT outcome, failure FROM submissions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (outcome.as_str(), failure.as_str()),
        ("not_sent", "not_sent")
    );
    let failures: Vec<String> = conn
        .prepare("SELECT failure FROM attempts WHERE submission_id = ?1 ORDER BY number")
        .unwrap()
        .query_map([id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(failures, ["not_sent", "not_sent"]);
    let old_row = store.get(old).unwrap().row();
    assert_eq!(old_row.outcome, Some(OutcomeKind::Unknown));
    assert_eq!(old_row.failure, Some(FailureKind::Network));

    // Listed as an error, exported in words.
    let errors = HistoryFilter {
        errors_only: true,
        ..HistoryFilter::default()
    };
    assert_eq!(ids(&store.window(&errors, 0, 10).unwrap()), [old, id]);
    let path = dir.path().join("not-sent.json");
    export(&store, &HistoryFilter::default(), ExportFormat::Json, &path).unwrap();
    let items = read_json(&path);
    let item = items.iter().find(|i| i["id"] == id).unwrap();
    assert_eq!(item["outcome"], "not sent");
    assert_eq!(item["failure"], "could not connect");
    assert_eq!(item["attempts"], 2);
    let item = items.iter().find(|i| i["id"] == old).unwrap();
    assert_eq!(item["outcome"], "unknown");
    assert_eq!(item["failure"], "network error");
}

/// A run's last attempt written with its outcome in one go (as a send does) leaves the row
/// as recording the attempt and then the outcome does: every column the row shows.
#[test]
fn a_last_attempt_written_with_its_outcome_reads_as_written_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let store = SqliteStore::open(&path).unwrap();
    let success = response(
        201,
        "req-last",
        &success_body("kyc-last", "https://kyc.example/w"),
    );
    let refused = response(503, "req-first", b"{}");
    let retried = answered(1, base_time() + ms(1), 40, refused);
    let last = answered(2, base_time() + ms(2_000), 55, success);
    let lost = failed(
        1,
        base_time() + ms(5),
        30_000,
        FailureKind::Timeout,
        "timed out",
    );
    // (the earlier attempts, the last one, the outcome, whether the dispatch was marked)
    let cases: [(Vec<&Attempt>, &Attempt, OutcomeKind, bool); 3] = [
        (vec![&retried], &last, OutcomeKind::Initiated, true),
        (vec![], &last, OutcomeKind::Initiated, false),
        (vec![], &lost, OutcomeKind::Unknown, true),
    ];
    let columns = |id: SubmissionId| -> Vec<Option<String>> {
        let conn = Connection::open(&path).unwrap();
        conn.query_row(
            "SELECT outcome, status, failure, latency_ms, verification_id, webview_url, \
             request_id, attempts, dispatched_at FROM submissions WHERE id = ?1",
            [id],
            |r| {
                (0..9)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| Some(format!("{v:?}")))
                    })
                    .collect()
            },
        )
        .unwrap()
    };
    for (n, (earlier, final_attempt, outcome, marked)) in cases.into_iter().enumerate() {
        let apart = store
            .create(&submission(
                &format!("usr-apart-{n}"),
                "sandbox",
                base_time(),
            ))
            .unwrap();
        let together = store
            .create(&submission(
                &format!("usr-together-{n}"),
                "sandbox",
                base_time(),
            ))
            .unwrap();
        for id in [apart, together] {
            if marked {
                store.mark_dispatched(id, base_time()).unwrap();
            }
            for attempt in &earlier {
                store.record_attempt(id, attempt).unwrap();
            }
        }
        store.record_attempt(apart, final_attempt).unwrap();
        store.finish(apart, outcome).unwrap();
        store
            .record_final_attempt(together, final_attempt, outcome)
            .unwrap();
        assert_eq!(columns(apart), columns(together), "case {n}");
        let (a, t) = (store.get(apart).unwrap(), store.get(together).unwrap());
        assert_eq!(a.attempts, t.attempts, "case {n}");
        assert_eq!(
            (a.outcome, a.dispatched_at),
            (t.outcome, t.dispatched_at),
            "case {n}"
        );
    }
}

// --- the large history: windows and filters ------------------------------------------------

/// What the test itself knows about one row of the large history.
#[derive(Debug, Clone)]
struct Seeded {
    id: SubmissionId,
    i: usize,
    user_id: String,
    profile: &'static str,
    created_at: DateTime<Utc>,
    status: Option<u16>,
    outcome: Option<OutcomeKind>,
    verification_id: Option<String>,
    request_id: Option<String>,
}

/// `i` as three letters (0 → a … 9 → j), so ids hold no digits and a digit search only
/// matches statuses.
fn code(i: usize) -> String {
    format!("{i:03}")
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect()
}

/// 1,000 rows: by the last digit of `i`, 0 and 7 succeed, 1 → 400, 2 → 403, 3 → 500,
/// 4 → 502, 5 → 503, 6 → 504, 8 → no answer (network), 9 → still pending (no attempt).
/// Every third row is in the "production" profile; row `i` is created `i` minutes in.
fn seed(store: &SqliteStore) -> Vec<Seeded> {
    (0..ROWS)
        .map(|i| {
            let c = code(i);
            let user_id = format!("usr-{c}");
            let profile = if i % 3 == 0 { "production" } else { "sandbox" };
            let created_at = base_time() + chrono::Duration::minutes(i64::try_from(i).unwrap());
            let id = store
                .create(&submission(&user_id, profile, created_at))
                .unwrap();
            let status = match i % 10 {
                0 | 7 => Some(201),
                1 => Some(400),
                2 => Some(403),
                3 => Some(500),
                4 => Some(502),
                5 => Some(503),
                6 => Some(504),
                _ => None,
            };
            let request_id = status.map(|_| format!("req-{c}"));
            let verification_id = (status == Some(201)).then(|| format!("kyc-{c}"));
            let at = created_at + ms(1);
            let outcome = match (status, i % 10) {
                (Some(s), _) => {
                    let body = match &verification_id {
                        Some(v) => success_body(v, &format!("https://kyc.example/{c}")),
                        None => br#"{"message":"no"}"#.to_vec(),
                    };
                    let rid = request_id.clone().unwrap();
                    store
                        .record_attempt(id, &answered(1, at, 10, response(s, &rid, &body)))
                        .unwrap();
                    Some(OutcomeKind::from_status(s))
                }
                (None, 8) => {
                    store
                        .record_attempt(
                            id,
                            &failed(1, at, 10, FailureKind::Network, "connection reset"),
                        )
                        .unwrap();
                    Some(OutcomeKind::Unknown)
                }
                _ => None,
            };
            if let Some(o) = outcome {
                store.finish(id, o).unwrap();
            }
            Seeded {
                id,
                i,
                user_id,
                profile,
                created_at,
                status,
                outcome,
                verification_id,
                request_id,
            }
        })
        .collect()
}

/// The ids the test expects for a predicate, newest first.
fn expected(rows: &[Seeded], keep: impl Fn(&Seeded) -> bool) -> Vec<SubmissionId> {
    rows.iter()
        .rev()
        .filter(|r| keep(r))
        .map(|r| r.id)
        .collect()
}

/// Checks `count` and every window (in pages of `page`) against the expected ids.
fn check_filter(
    store: &SqliteStore,
    filter: &HistoryFilter,
    want: &[SubmissionId],
) -> Vec<HistoryRow> {
    assert_eq!(
        store.count(filter).unwrap(),
        want.len(),
        "count of {filter:?}"
    );
    let page = 97;
    let mut got = Vec::new();
    let mut offset = 0;
    loop {
        let rows = store.window(filter, offset, page).unwrap();
        assert!(rows.len() <= page);
        offset += rows.len();
        let done = rows.len() < page;
        got.extend(rows);
        if done {
            break;
        }
    }
    assert_eq!(ids(&got), want, "rows of {filter:?}");
    got
}

fn text(t: &str) -> HistoryFilter {
    HistoryFilter {
        text: t.into(),
        ..HistoryFilter::default()
    }
}

#[test]
fn windows_over_a_thousand_rows_are_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let rows = seed(&store);
    let all = HistoryFilter::default();
    let newest_first: Vec<SubmissionId> = rows.iter().rev().map(|r| r.id).collect();
    assert_eq!(store.count(&all).unwrap(), ROWS);
    let mut distinct = newest_first.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), ROWS);

    for (offset, limit, len) in [
        (0, 100, 100),
        (450, 100, 100),
        (999, 100, 1),
        (950, 100, 50),
        (0, ROWS + 500, ROWS),
    ] {
        let got = store.window(&all, offset, limit).unwrap();
        assert_eq!(got.len(), len, "window({offset}, {limit})");
        assert_eq!(
            ids(&got),
            newest_first[offset..offset + len],
            "window({offset}, {limit})"
        );
        assert!(got.windows(2).all(|w| w[0].id > w[1].id));
    }
    assert!(store.window(&all, ROWS, 100).unwrap().is_empty());
    assert!(store.window(&all, 10 * ROWS, 100).unwrap().is_empty());
    assert!(store.window(&all, 0, 0).unwrap().is_empty());

    // Each row of a window is exactly what the stored submission says of itself.
    let window = store.window(&all, 0, ROWS).unwrap();
    for (row, seeded) in window.iter().zip(rows.iter().rev()) {
        assert_eq!(row, &store.get(row.id).unwrap().row(), "row {}", row.id);
        assert_eq!(row.user_id, seeded.user_id);
        assert_eq!(row.profile, seeded.profile);
        assert_eq!(row.created_at, seeded.created_at);
        assert_eq!(row.status, seeded.status);
        assert_eq!(row.outcome, seeded.outcome);
        assert_eq!(row.verification_id, seeded.verification_id);
        assert_eq!(row.request_id, seeded.request_id);
        assert_eq!(row.attempts, u32::from(seeded.i % 10 != 9));
    }
}

#[test]
fn every_filter_over_a_thousand_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let rows = seed(&store);
    let contains =
        |s: &Option<String>, needle: &str| s.as_deref().is_some_and(|s| s.contains(needle));

    // Text on the user id: a case-insensitive substring, trimmed.
    let want = expected(&rows, |r| r.i == 123);
    assert_eq!(want.len(), 1);
    check_filter(&store, &text("USR-BCD"), &want);
    let want = expected(&rows, |r| (120..130).contains(&r.i));
    assert_eq!(want.len(), 10);
    check_filter(&store, &text("  Usr-Bc "), &want);
    // A substring in the middle: "bc" anywhere in the code, in the user, request or
    // verification id alike.
    let want = expected(&rows, |r| r.user_id.contains("bc"));
    assert_eq!(want.len(), 20);
    check_filter(&store, &text("bC"), &want);

    // Text on the verification id (successes only have one).
    let want = expected(&rows, |r| contains(&r.verification_id, "kyc-ba"));
    assert_eq!(want.len(), 2, "100 and 107");
    check_filter(&store, &text("KYC-BA"), &want);

    // Text on the request id: a 502 has one, a pending row and a lost answer do not.
    let want = expected(&rows, |r| r.i == 994);
    check_filter(&store, &text("Req-JJE"), &want);
    check_filter(&store, &text("req-bcj"), &[]);
    check_filter(&store, &text("req-bci"), &[]);
    let want = expected(&rows, |r| r.request_id.is_some());
    assert_eq!(want.len(), 800);
    check_filter(&store, &text("req-"), &want);

    // Text on the status: a prefix.
    let fifties = expected(&rows, |r| matches!(r.status, Some(500 | 502 | 503 | 504)));
    assert_eq!(fifties.len(), 400);
    let got = check_filter(&store, &text("50"), &fifties);
    assert!(got.iter().all(|r| r.status.is_some_and(|s| s / 10 == 50)));
    check_filter(&store, &text("5"), &fifties);
    let want = expected(&rows, |r| r.status == Some(403));
    check_filter(&store, &text("403"), &want);
    check_filter(&store, &text("03"), &[]);
    check_filter(&store, &text("2010"), &[]);

    // Errors only: everything but successes, rows with no outcome included.
    let want = expected(&rows, |r| r.outcome != Some(OutcomeKind::Initiated));
    assert_eq!(want.len(), 800);
    let errors = HistoryFilter {
        errors_only: true,
        ..HistoryFilter::default()
    };
    let got = check_filter(&store, &errors, &want);
    assert_eq!(got.iter().filter(|r| r.outcome.is_none()).count(), 100);

    // Profile.
    let production = HistoryFilter {
        profile: Some("production".into()),
        ..HistoryFilter::default()
    };
    let want = expected(&rows, |r| r.profile == "production");
    assert_eq!(want.len(), 334);
    check_filter(&store, &production, &want);
    let none = HistoryFilter {
        profile: Some("staging".into()),
        ..HistoryFilter::default()
    };
    check_filter(&store, &none, &[]);

    // Since: created at or after the instant.
    let since = base_time() + chrono::Duration::minutes(500);
    let from = HistoryFilter {
        since: Some(since),
        ..HistoryFilter::default()
    };
    let want = expected(&rows, |r| r.created_at >= since);
    assert_eq!(want.len(), 500);
    check_filter(&store, &from, &want);
    let late = HistoryFilter {
        since: Some(since + chrono::Duration::seconds(1)),
        ..HistoryFilter::default()
    };
    check_filter(&store, &late, &want[..499]);

    // Status, exactly.
    let status = HistoryFilter {
        status: Some(400),
        ..HistoryFilter::default()
    };
    let want = expected(&rows, |r| r.status == Some(400));
    assert_eq!(want.len(), 100);
    check_filter(&store, &status, &want);
    let status = HistoryFilter {
        status: Some(50),
        ..HistoryFilter::default()
    };
    check_filter(&store, &status, &[]);

    // User id, exactly (not a substring).
    let exact = HistoryFilter {
        user_id: Some("usr-bcd".into()),
        ..HistoryFilter::default()
    };
    check_filter(&store, &exact, &expected(&rows, |r| r.i == 123));
    let prefix = HistoryFilter {
        user_id: Some("usr-bc".into()),
        ..HistoryFilter::default()
    };
    check_filter(&store, &prefix, &[]);

    // Everything at once is a conjunction.
    let all = HistoryFilter {
        text: "b".into(),
        errors_only: true,
        profile: Some("sandbox".into()),
        since: Some(since),
        status: None,
        user_id: None,
        kyc_type: Some(KycType::Full),
        operator: Some("tester".into()),
        outcome: None,
    };
    let want = expected(&rows, |r| {
        r.user_id.contains('b')
            && r.outcome != Some(OutcomeKind::Initiated)
            && r.profile == "sandbox"
            && r.created_at >= since
    });
    assert!(!want.is_empty());
    check_filter(&store, &all, &want);
    let both = HistoryFilter {
        status: Some(503),
        profile: Some("production".into()),
        ..HistoryFilter::default()
    };
    let want = expected(&rows, |r| {
        r.status == Some(503) && r.profile == "production"
    });
    assert!(!want.is_empty());
    check_filter(&store, &both, &want);

    // LIKE's wildcards in the text are literal: with wildcards these would match rows.
    check_filter(&store, &text("usr_"), &[]);
    check_filter(&store, &text("usr%bcd"), &[]);
    check_filter(&store, &text("%"), &[]);
    check_filter(&store, &text("_"), &[]);
}

#[test]
fn percent_and_underscore_in_the_text_match_only_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let mut by_user = std::collections::HashMap::new();
    for user in [
        "usr-a%b", "usr-axb", "usr-a_b", "usr-ayb", "usr-a\\b", "usr-100%",
    ] {
        by_user.insert(user, add_success(&store, user));
    }
    for (needle, user) in [
        ("a%b", "usr-a%b"),
        ("a_b", "usr-a_b"),
        ("%b", "usr-a%b"),
        ("_", "usr-a_b"),
        ("a\\b", "usr-a\\b"),
        ("0%", "usr-100%"),
    ] {
        check_filter(&store, &text(needle), &[by_user[user]]);
    }
    // Both rows with a '%' in their ids, newest first, and nothing else.
    check_filter(
        &store,
        &text("%"),
        &[by_user["usr-100%"], by_user["usr-a%b"]],
    );
    check_filter(&store, &text("a?b"), &[]);
}

#[test]
fn deep_windows_read_the_same_rows_as_shallow_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    // Past a few thousand rows a window may be read from the oldest end: it must not show.
    let total: usize = 4500;
    let batch: Vec<NewSubmission> = (0..total)
        .map(|i| {
            let profile = if i % 2 == 0 { "even" } else { "odd" };
            submission(&format!("usr-deep-{i}"), profile, base_time())
        })
        .collect();
    let created = store.create_many(&batch).unwrap();
    assert_eq!(created.len(), total);
    let all = HistoryFilter::default();
    let newest_first: Vec<SubmissionId> = created.iter().rev().copied().collect();
    for (offset, limit) in [
        (1999, 3),
        (2000, 100),
        (2249, 2),
        (2250, 100),
        (2251, 100),
        (3000, 250),
        (4450, 100),
        (4499, 10),
        (2500, usize::MAX),
    ] {
        let end = usize::saturating_add(offset, limit).min(total);
        let got = store.window(&all, offset, limit).unwrap();
        assert_eq!(
            ids(&got),
            newest_first[offset..end],
            "window({offset}, {limit})"
        );
    }
    assert!(store.window(&all, total, 10).unwrap().is_empty());
    assert!(store.window(&all, 3000, 0).unwrap().is_empty());

    let even = HistoryFilter {
        profile: Some("even".into()),
        ..HistoryFilter::default()
    };
    let want: Vec<SubmissionId> = newest_first
        .iter()
        .zip((0..total).rev())
        .filter(|(_, i)| i % 2 == 0)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(want.len(), 2250);
    assert_eq!(store.count(&even).unwrap(), want.len());
    for (offset, limit) in [(0, 50), (1999, 5), (2000, 100), (2200, 100), (2249, 7)] {
        let end = (offset + limit).min(want.len());
        let got = store.window(&even, offset, limit).unwrap();
        assert_eq!(
            ids(&got),
            want[offset..end],
            "even window({offset}, {limit})"
        );
    }
    assert!(store.window(&even, 2250, 10).unwrap().is_empty());
}

// --- two writers ---------------------------------------------------------------------------

#[test]
fn two_stores_on_one_file_write_from_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|name| {
            let path = path.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || -> Result<Vec<SubmissionId>, HistoryError> {
                // Both open the new file at once, then write side by side.
                barrier.wait();
                let store = SqliteStore::open(&path)?;
                let mut ids = Vec::new();
                for n in 0..200 {
                    let user = format!("usr-{name}-{n}");
                    let id = store.create(&submission(&user, name, base_time()))?;
                    let body = success_body(&format!("kyc-{name}-{n}"), "https://kyc.example/w");
                    store.record_attempt(
                        id,
                        &answered(1, base_time(), 3, response(201, &user, &body)),
                    )?;
                    store.finish(id, OutcomeKind::Initiated)?;
                    ids.push(id);
                }
                Ok(ids)
            })
        })
        .collect();
    let mut all = Vec::new();
    for writer in writers {
        let ids = writer.join().unwrap().unwrap();
        assert_eq!(ids.len(), 200);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        all.extend(ids);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 400, "ids are distinct");

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 400);
    for profile in ["left", "right"] {
        let filter = HistoryFilter {
            profile: Some(profile.into()),
            ..HistoryFilter::default()
        };
        assert_eq!(store.count(&filter).unwrap(), 200);
    }
    let unfinished = HistoryFilter {
        errors_only: true,
        ..HistoryFilter::default()
    };
    assert_eq!(store.count(&unfinished).unwrap(), 0);
    for id in all {
        let s = store.get(id).unwrap();
        assert_eq!(s.attempts.len(), 1);
        assert_eq!(s.outcome, Some(OutcomeKind::Initiated));
    }
}

// --- checkpoints ---------------------------------------------------------------------------

/// A write-ahead log page as SQLite writes it: the page and its 24-byte header.
const LOG_FRAME: u64 = 4096 + 24;
/// SQLite's default checkpoint threshold, which the store keeps.
const CHECKPOINT_FRAMES: u64 = 1000;

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn log_path(path: &Path) -> std::path::PathBuf {
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    log.into()
}

#[test]
fn the_log_is_copied_back_into_the_file_once_it_passes_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let store = SqliteStore::open(&path).unwrap();
    let before = file_len(&path);
    // Rows one commit each until the log holds more than the threshold; then no more.
    let mut n = 0;
    while file_len(&log_path(&path)) <= 32 + (CHECKPOINT_FRAMES + 10) * LOG_FRAME {
        store
            .create(&submission(&format!("usr-log-{n}"), "sandbox", base_time()))
            .unwrap();
        n += 1;
        assert!(n < 5_000, "the log never grew past the threshold");
    }
    // The copy comes from another thread: the file grows with the rows once it has run.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while file_len(&path) <= before + 64 * 1024 {
        assert!(
            std::time::Instant::now() < deadline,
            "{n} rows written, the log never copied back: the file is {} bytes",
            file_len(&path)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Every row is in the file itself once the log is copied whole.
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM submissions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, n);
}

#[test]
fn the_log_stays_short_under_steady_writes_and_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let store = SqliteStore::open(&path).unwrap();
    // Rows sent one by one: a row, its attempt, its outcome, each its own commit of at
    // least one page, six thresholds' worth of pages at the least.
    let rows = 2 * CHECKPOINT_FRAMES as usize;
    let mut longest = 0;
    for n in 0..rows {
        add_success(&store, &format!("usr-steady-{n}"));
        longest = longest.max(file_len(&log_path(&path)));
    }
    // Without checkpoints the log would hold every page written; the store copies it back
    // on its own thread and, should that thread fall far behind, in place at four
    // thresholds: either way the log starts over and stays within them.
    assert!(
        longest <= 32 + 5 * CHECKPOINT_FRAMES * LOG_FRAME,
        "the log reached {longest} bytes over {rows} rows"
    );
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), rows);
}

// --- exports -------------------------------------------------------------------------------

fn read_csv(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let records = reader.records().collect::<Result<_, _>>().unwrap();
    (header, records)
}

fn read_json(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    match serde_json::from_str(&text).unwrap() {
        Value::Array(items) => items,
        other => panic!("not an array: {other}"),
    }
}

#[test]
fn exports_a_filter_to_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let rows = seed(&store);
    let filter = HistoryFilter {
        status: Some(502),
        ..HistoryFilter::default()
    };
    let want = expected(&rows, |r| r.status == Some(502));
    let n = store.count(&filter).unwrap();
    assert_eq!(n, want.len());
    assert_eq!(n, 100);

    let csv_path = dir.path().join("out.csv");
    assert_eq!(
        export(&store, &filter, ExportFormat::Csv, &csv_path).unwrap(),
        n
    );
    let (header, records) = read_csv(&csv_path);
    assert_eq!(header, common::COLUMNS);
    assert_eq!(records.len(), n);
    let csv_ids: Vec<SubmissionId> = records.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(csv_ids, want);

    let json_path = dir.path().join("out.json");
    assert_eq!(
        export(&store, &filter, ExportFormat::Json, &json_path).unwrap(),
        n
    );
    let items = read_json(&json_path);
    assert_eq!(items.len(), n);
    for item in &items {
        let keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want_keys = common::COLUMNS.to_vec();
        want_keys.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, want_keys);
    }
    let json_ids: Vec<SubmissionId> = items.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(json_ids, want);

    // One row in both formats: i = 994, a 502 created 994 minutes in.
    let seeded = rows.iter().find(|r| r.i == 994).unwrap();
    let record = records
        .iter()
        .find(|r| r[0] == seeded.id.to_string())
        .unwrap();
    let field = |name: &str| &record[common::COLUMNS.iter().position(|c| *c == name).unwrap()];
    assert_eq!(field("created_at"), "2026-01-01T16:34:00.000Z");
    assert_eq!(
        field("sent_at"),
        "2026-01-01T16:34:00.001Z",
        "its attempt's start"
    );
    assert_eq!(field("profile"), "sandbox");
    assert_eq!(field("user_id"), "usr-jje");
    assert_eq!(field("type"), "full");
    assert_eq!(field("status"), "502");
    assert_eq!(field("outcome"), "transient");
    assert_eq!(
        field("failure"),
        "502 Bad Gateway: no",
        "what the answer said"
    );
    assert_eq!(field("error_code"), "");
    assert_eq!(field("error_message"), "no");
    assert_eq!(field("operator"), "tester");
    assert_eq!(field("redirect_uri"), "");
    assert_eq!(field("attempts"), "1");
    assert_eq!(field("latency_ms"), "10");
    assert_eq!(field("verification_id"), "");
    assert_eq!(field("webview_url"), "");
    assert_eq!(field("request_id"), "req-jje");
    let item = items.iter().find(|i| i["id"] == seeded.id).unwrap();
    assert_eq!(item["created_at"], "2026-01-01T16:34:00.000Z");
    assert_eq!(item["sent_at"], "2026-01-01T16:34:00.001Z");
    assert_eq!(item["user_id"], "usr-jje");
    assert_eq!(item["type"], "full");
    assert_eq!(item["status"], 502);
    assert_eq!(item["outcome"], "transient");
    assert_eq!(item["failure"], "502 Bad Gateway: no");
    assert_eq!(item["error_message"], "no");
    assert_eq!(item["attempts"], 1);
    assert_eq!(item["latency_ms"], 10);
    assert_eq!(item["verification_id"], Value::Null);
    assert_eq!(item["request_id"], "req-jje");

    // A success and a pending row, through a text filter.
    let filter = text("usr-jj");
    let path = dir.path().join("jj.json");
    assert_eq!(
        export(&store, &filter, ExportFormat::Json, &path).unwrap(),
        10
    );
    let items = read_json(&path);
    let success = items.iter().find(|i| i["user_id"] == "usr-jjh").unwrap();
    assert_eq!(success["outcome"], "initiated");
    assert_eq!(success["verification_id"], "kyc-jjh");
    assert_eq!(success["webview_url"], "https://kyc.example/jjh");
    let pending = items.iter().find(|i| i["user_id"] == "usr-jjj").unwrap();
    assert_eq!(pending["outcome"], "not sent", "recorded, never dispatched");
    assert_eq!(pending["status"], Value::Null);
    assert_eq!(pending["attempts"], 0);
    assert_eq!(pending["sent_at"], Value::Null);
    let lost = items.iter().find(|i| i["user_id"] == "usr-jji").unwrap();
    assert_eq!(lost["failure"], "network error");
    assert_eq!(lost["error_message"], "connection reset");
    assert_eq!(lost["outcome"], "unknown");
}

#[test]
fn exports_every_row_across_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let rows = seed(&store);
    // One more than a page, so the export reads a second window.
    let extra = add_success(&store, "usr-extra");
    let mut want = vec![extra];
    want.extend(expected(&rows, |_| true));
    let all = HistoryFilter::default();
    assert_eq!(store.count(&all).unwrap(), ROWS + 1);

    let csv_path = dir.path().join("all.csv");
    assert_eq!(
        export(&store, &all, ExportFormat::Csv, &csv_path).unwrap(),
        ROWS + 1
    );
    let (header, records) = read_csv(&csv_path);
    assert_eq!(header, common::COLUMNS);
    let got: Vec<SubmissionId> = records.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(got, want);

    let json_path = dir.path().join("all.json");
    assert_eq!(
        export(&store, &all, ExportFormat::Json, &json_path).unwrap(),
        ROWS + 1
    );
    let got: Vec<SubmissionId> = read_json(&json_path)
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn an_empty_export_is_a_header_or_an_empty_array() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    add_success(&store, "usr-only");
    let nothing = HistoryFilter {
        status: Some(418),
        ..HistoryFilter::default()
    };
    assert_eq!(store.count(&nothing).unwrap(), 0);

    let csv_path = dir.path().join("empty.csv");
    assert_eq!(
        export(&store, &nothing, ExportFormat::Csv, &csv_path).unwrap(),
        0
    );
    let (header, records) = read_csv(&csv_path);
    assert_eq!(header, common::COLUMNS);
    assert!(records.is_empty());
    let text = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");

    let json_path = dir.path().join("empty.json");
    assert_eq!(
        export(&store, &nothing, ExportFormat::Json, &json_path).unwrap(),
        0
    );
    assert_eq!(std::fs::read_to_string(&json_path).unwrap().trim(), "[]");
    assert!(read_json(&json_path).is_empty());

    // The same header as an export with rows.
    let full = dir.path().join("full.csv");
    assert_eq!(
        export(&store, &HistoryFilter::default(), ExportFormat::Csv, &full).unwrap(),
        1
    );
    assert_eq!(read_csv(&full).0, header);
}

// --- the SQLite and the in-memory store agree ------------------------------------------------

/// Rows in the history both stores are given: past the depth from which SQLite may read a
/// window from the oldest end.
const AGREE_ROWS: usize = 2400;

/// What happens to row `i` after it is created, by `i % 12`, sending from `at`.
fn play(store: &dyn HistoryStore, id: SubmissionId, i: usize, at: DateTime<Utc>) {
    let c = code(i);
    // Times sending took vary, so latency percentiles have something to tell apart.
    let l = 10 + u64::try_from(i % 37).unwrap();
    let req = |n: u32| format!("req-{c}-{n}");
    let retry = |mut a: Attempt| {
        a.retry = Some(RetryPlan {
            wait: Duration::from_millis(500),
            reason: "transient".into(),
        });
        a
    };
    let no = br#"{"message":"no"}"#;
    let ok = success_body(&format!("kyc-{c}"), &format!("https://kyc.example/{c}"));
    let record = |a: Attempt| store.record_attempt(id, &a).unwrap();
    let finish = |o: OutcomeKind| store.finish(id, o).unwrap();
    // Half the rows note that sending starts a moment before their first attempt, as the
    // send path does; the others have only their attempts to say when they were sent.
    if i.is_multiple_of(2) && i % 12 != 7 {
        store.mark_dispatched(id, at - ms(3)).unwrap();
    }
    match i % 12 {
        0 => {
            record(answered(1, at, l, response(201, &req(1), &ok)));
            finish(OutcomeKind::Initiated);
        }
        1 => {
            record(answered(1, at, l, response(400, &req(1), no)));
            finish(OutcomeKind::Rejected);
        }
        2 => {
            record(answered(1, at, l, response(422, &req(1), no)));
            finish(OutcomeKind::Rejected);
        }
        3 => {
            record(answered(1, at, l, response(500, &req(1), no)));
            finish(OutcomeKind::ServerError);
        }
        4 => {
            record(retry(answered(1, at, l, response(503, &req(1), no))));
            record(answered(2, at + ms(600), l, response(201, &req(2), &ok)));
            finish(OutcomeKind::Initiated);
        }
        5 => {
            record(retry(answered(1, at, l, response(429, &req(1), no))));
            record(answered(2, at + ms(600), l, response(429, &req(2), no)));
            finish(OutcomeKind::Transient);
        }
        6 => {
            record(failed(1, at, l, FailureKind::Network, "connection reset"));
            finish(OutcomeKind::Unknown);
        }
        // Never sent.
        7 => {}
        // Sending started, then the console stopped: no attempt, no outcome. (Noted
        // already above: only the first time counts.)
        8 => store.mark_dispatched(id, at).unwrap(),
        9 => {
            record(retry(answered(1, at, l, response(503, &req(1), no))));
            record(failed(
                2,
                at + ms(600),
                30,
                FailureKind::Timeout,
                "no answer",
            ));
            finish(OutcomeKind::Unknown);
        }
        // An answer, then a lost one, then the console stopped before the outcome.
        10 => {
            record(retry(answered(1, at, l, response(503, &req(1), no))));
            record(retry(failed(
                2,
                at + ms(600),
                30,
                FailureKind::Network,
                "reset",
            )));
        }
        // Still retrying after a 502 or a 503.
        _ => {
            let status = [502, 503][i / 12 % 2];
            record(retry(answered(1, at, l, response(status, &req(1), no))));
        }
    }
}

/// The same history in both stores: three profiles, two operators, user ids repeated and
/// in mixed case (some with LIKE's wildcards or digits), times out of id order, every kind
/// of outcome, and batches. Returns the user ids and creation times used.
fn fill_alike(stores: &[&dyn HistoryStore]) -> (Vec<String>, Vec<DateTime<Utc>>) {
    let profiles = ["sandbox", "production", "staging"];
    let user = |i: usize| match i % 97 {
        0 => format!("USR-{}", code(i % 211)),
        1 => format!("usr-a_b{}", code(i % 5)),
        2 => format!("usr-50%{}", code(i % 5)),
        _ => format!("usr-{}", code(i % 211)),
    };
    // Whole minutes; every seventh row is older than the rows before it, so time order is
    // not id order.
    let created = |i: usize| {
        let minutes = i64::try_from(if i % 7 == 3 { i / 2 } else { i }).unwrap();
        base_time() + chrono::Duration::minutes(minutes)
    };
    let new = |i: usize, batch: Option<(&str, u32)>| {
        let mut n = submission(&user(i), profiles[i % 3], created(i));
        // A third operator's name folds differently beyond ASCII: the index folds "Ö" to
        // "ö", the rule does not.
        n.operator = ["ana", "bo", "Öla"][i / 5 % 3].into();
        n.kyc_type = [KycType::Full, KycType::Rfi][i / 3 % 2];
        // Two targets, so figures per target have two to tell apart.
        if i % 5 == 4 {
            n.target = "POST https://api.example/v1/kycs".into();
        }
        if let Some((id, line)) = batch {
            n.batch_id = Some(id.into());
            n.batch_line = Some(line);
            n.profile = "sandbox".into();
        }
        n
    };
    let mut i = 0;
    while i < AGREE_ROWS {
        // Every 50th position starts a batch of 9 rows.
        if i % 50 == 20 && i + 9 <= AGREE_ROWS {
            let batch_id = format!("b-{i}");
            let batch = NewBatch {
                id: batch_id.clone(),
                created_at: created(i),
                operator: "ana".into(),
                profile: "sandbox".into(),
                source: "pasted".into(),
            };
            let rows: Vec<NewSubmission> = (0..9u32)
                .map(|line| new(i + line as usize, Some((&batch_id, line + 2))))
                .collect();
            for store in stores {
                let claims = store.create_batch(&batch, &rows).unwrap();
                for (k, claim) in claims.into_iter().enumerate() {
                    // A row whose user another submission holds is not recorded, alike in
                    // both. Each row is sent at its turn, minutes after the batch was made.
                    if let Ok(id) = claim {
                        let turn = chrono::Duration::minutes(7 * i64::try_from(k).unwrap());
                        play(*store, id, i + k, created(i) + turn + ms(1));
                    }
                }
            }
            i += 9;
        } else {
            let n = new(i, None);
            for store in stores {
                let id = store.create(&n).unwrap();
                play(*store, id, i, created(i) + ms(1));
            }
            i += 1;
        }
    }
    (
        (0..AGREE_ROWS).map(user).collect(),
        (0..AGREE_ROWS).map(created).collect(),
    )
}

/// The filter rules are written twice, as SQL and as `HistoryFilter::matches`: given the
/// same history, both stores must count and read the same rows, in the same order.
#[test]
fn sqlite_and_memory_stores_read_the_same_rows_for_every_filter() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open_in(dir.path()).unwrap();
    let memory = MemoryStore::new();
    let (users, times) = fill_alike(&[&sqlite, &memory]);
    // Searches read both the trigram index and the rows not (yet) in it.
    let by_state: Vec<i64> = Connection::open(dir.path().join(HISTORY_FILE))
        .unwrap()
        .prepare(
            "SELECT count(*) FROM submissions GROUP BY \
             id IN (SELECT id FROM submission_search_answering \
             UNION SELECT id FROM submission_search_new)",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        by_state.len() == 2 && by_state.iter().all(|n| *n > 10),
        "{by_state:?}"
    );

    agree_on_every_filter(&sqlite, &memory, &users, &times);
}

/// Every filter of the table, every window and page, read from `store` and from `memory`
/// (the rule itself) over the same history (see [`fill_alike`]): the same rows, in the
/// same order. Shared with the PostgreSQL suite.
fn agree_on_every_filter(
    store: &dyn HistoryStore,
    memory_store: &dyn HistoryStore,
    users: &[String],
    times: &[DateTime<Utc>],
) {
    let f = HistoryFilter::default;
    let text = |t: &str| HistoryFilter {
        text: t.into(),
        ..f()
    };
    let profile = |p: &str| HistoryFilter {
        profile: Some(p.into()),
        ..f()
    };
    let since = |t: DateTime<Utc>| HistoryFilter {
        since: Some(t),
        ..f()
    };
    let status = |s: u16| HistoryFilter {
        status: Some(s),
        ..f()
    };
    let user_id = |u: &str| HistoryFilter {
        user_id: Some(u.into()),
        ..f()
    };
    let errors = HistoryFilter {
        errors_only: true,
        ..f()
    };
    let mut filters = vec![f(), errors.clone()];
    // Text: user, request and verification ids in any case, trimmed; a status prefix;
    // LIKE's wildcards; nothing but blanks.
    for t in [
        "usr-",
        "USR-B",
        "usr-b",
        " bC ",
        "kyc-",
        "KYC-AB",
        "req-",
        "-1",
        "-2",
        "req-aab-1",
        "5",
        "50",
        "503",
        "20",
        "201",
        "4",
        "42",
        "429",
        "0",
        "%",
        "_",
        "a_b",
        "50%",
        "\\",
        "zzz",
        "   ",
        // Idempotency keys and operators.
        "key-",
        "KEY-K",
        "key-kkkkklm",
        "ana",
        "BO",
        "n",
        "Öla",
        "öla",
        "ÖLA",
        "la",
    ] {
        filters.push(text(t));
    }
    let kyc_type = |t: KycType| HistoryFilter {
        kyc_type: Some(t),
        ..f()
    };
    let operator = |o: &str| HistoryFilter {
        operator: Some(o.into()),
        ..f()
    };
    let outcome = |o: OutcomeKind| HistoryFilter {
        outcome: Some(o),
        ..f()
    };
    for t in [KycType::Full, KycType::Rfi, KycType::Shipping] {
        filters.push(kyc_type(t));
    }
    for o in ["ana", "bo", "Ana", "an", ""] {
        filters.push(operator(o));
    }
    for o in OutcomeKind::ALL {
        filters.push(outcome(o));
    }
    for p in ["sandbox", "production", "staging", "Sandbox", "nowhere"] {
        filters.push(profile(p));
    }
    for t in [
        times[0],
        times[700],
        times[701] + chrono::Duration::seconds(30),
        times[AGREE_ROWS - 1],
        times[AGREE_ROWS - 1] + ms(1),
    ] {
        filters.push(since(t));
    }
    for s in [201, 400, 422, 429, 500, 502, 503, 504, 0] {
        filters.push(status(s));
    }
    for u in [&users[5], &users[97], &users[98], &users[99]] {
        filters.push(user_id(u));
        filters.push(user_id(&u.to_ascii_uppercase()));
    }
    filters.push(user_id("usr-"));
    // Combinations.
    let two = |a: HistoryFilter, b: HistoryFilter| HistoryFilter {
        text: format!("{}{}", a.text, b.text),
        errors_only: a.errors_only || b.errors_only,
        profile: a.profile.or(b.profile),
        since: a.since.or(b.since),
        status: a.status.or(b.status),
        user_id: a.user_id.or(b.user_id),
        kyc_type: a.kyc_type.or(b.kyc_type),
        operator: a.operator.or(b.operator),
        outcome: a.outcome.or(b.outcome),
    };
    filters.extend([
        two(errors.clone(), profile("production")),
        two(errors.clone(), text("50")),
        two(errors.clone(), status(201)),
        two(errors.clone(), user_id(&users[5])),
        two(errors.clone(), since(times[1200])),
        two(text("req-"), status(503)),
        two(text("b"), profile("staging")),
        two(status(429), profile("sandbox")),
        two(user_id(&users[5]), since(times[1200])),
        two(user_id(&users[98]), text("a_b")),
        two(two(errors.clone(), profile("sandbox")), since(times[600])),
        two(kyc_type(KycType::Rfi), text("usr-b")),
        two(operator("ana"), outcome(OutcomeKind::Unknown)),
        two(outcome(OutcomeKind::Initiated), text("KEY-")),
        two(errors.clone(), outcome(OutcomeKind::Initiated)),
        two(operator("bo"), profile("staging")),
        HistoryFilter {
            text: "a".into(),
            errors_only: true,
            profile: Some("sandbox".into()),
            since: Some(times[300]),
            status: Some(503),
            user_id: None,
            kyc_type: Some(KycType::Full),
            operator: None,
            outcome: None,
        },
        HistoryFilter {
            text: "usr".into(),
            errors_only: true,
            profile: Some("staging".into()),
            since: Some(times[0]),
            status: Some(502),
            user_id: Some(users[5].clone()),
            kyc_type: None,
            operator: Some("bo".into()),
            outcome: Some(OutcomeKind::Transient),
        },
        HistoryFilter {
            text: "KEY-".into(),
            errors_only: false,
            profile: Some("production".into()),
            since: Some(times[100]),
            status: None,
            user_id: None,
            kyc_type: Some(KycType::Rfi),
            operator: Some("ana".into()),
            outcome: Some(OutcomeKind::Initiated),
        },
    ]);

    let mut matched_some = 0;
    let mut stopped_early = 0;
    for filter in &filters {
        let total = memory_store.count(filter).unwrap();
        assert_eq!(store.count(filter).unwrap(), total, "count of {filter:?}");
        let stats = memory_store.stats(filter).unwrap();
        assert_eq!(stats.rows, total, "stats rows of {filter:?}");
        assert_eq!(store.stats(filter).unwrap(), stats, "stats of {filter:?}");
        matched_some += usize::from(total > 0);
        // A count that stops early says so, and never says more than there is.
        for cap in [1, total.saturating_sub(1), total] {
            for store in [store, memory_store] {
                let got = store.count_upto(filter, cap).unwrap();
                stopped_early += usize::from(got.more);
                if got.more {
                    assert!(got.n >= cap && got.n < total, "{got:?} of {filter:?}");
                } else {
                    assert_eq!(got.n, total, "count_upto({cap}) of {filter:?}");
                }
            }
        }
        let mut windows = vec![
            (0, 0),
            (0, 1),
            (0, 25),
            (3, 7),
            (0, AGREE_ROWS + 10),
            (total.saturating_sub(1), 5),
            (total / 2, 40),
            (total, 5),
            (total + 100, 5),
            (2000, 30),
            (2150, usize::MAX),
            (AGREE_ROWS - 3, 10),
        ];
        windows.retain(|(offset, _)| *offset <= total + 100);
        for (offset, limit) in windows {
            let want = memory_store.window(filter, offset, limit).unwrap();
            let got = store.window(filter, offset, limit).unwrap();
            assert_eq!(
                ids(&got),
                ids(&want),
                "window({offset}, {limit}) of {filter:?}"
            );
            assert_eq!(got, want, "rows of window({offset}, {limit}) of {filter:?}");
            // A page (the console's load) reads the same rows, and a count that stops
            // early says so.
            for cap in [7, total] {
                let (count, rows) = store.page(filter, offset, limit, cap).unwrap();
                assert_eq!(rows, want, "page({offset}, {limit}, {cap}) of {filter:?}");
                if count.more {
                    assert!(count.n >= cap && count.n < total, "{count:?} of {filter:?}");
                } else {
                    assert_eq!(count.n, total, "page count ({cap}) of {filter:?}");
                }
            }
        }
    }
    assert!(stopped_early > 20, "searches stop counting at the cap");
    // The figures over every row tell both targets, every kind of answer, and minutes
    // apart.
    let stats = store.stats(&f()).unwrap();
    assert_eq!(stats.latency.len(), 2, "{:?}", stats.latency);
    assert!(
        stats
            .latency
            .iter()
            .all(|t| t.p50_ms < t.p95_ms && t.p95_ms <= t.p99_ms)
    );
    assert!(stats.by_answer.len() >= 10, "{:?}", stats.by_answer);
    assert!(stats.minutes.len() > 1000, "{}", stats.minutes.len());
    // The table is only worth something if most of its filters keep some rows.
    assert!(
        matched_some * 4 > filters.len() * 3,
        "{matched_some} of {}",
        filters.len()
    );
    // Rows (compared whole above) say when they were sent: batch rows long after they were
    // recorded, rows noted before their first attempt at the note, rows never sent not.
    let all = memory_store.window(&f(), 0, AGREE_ROWS).unwrap();
    let late = all
        .iter()
        .filter(|r| {
            r.batch_line.is_some()
                && r.sent_at
                    .is_some_and(|t| t - r.created_at >= chrono::Duration::minutes(7))
        })
        .count();
    assert!(late >= 20, "{late} batch rows sent at their turn");
    assert!(all.iter().any(|r| {
        r.sent_at
            .is_some_and(|t| t.timestamp_millis() % 1000 == 998)
    }));
    assert!(
        all.iter()
            .filter(|r| r.sent_at.is_none())
            .all(|r| r.outcome.is_none() && r.attempts == 0)
    );
    assert!(all.iter().any(|r| r.sent_at.is_none()));
}

/// `find` is written twice too, as SQL and as `Submission::identified_by`: both stores
/// must find the same rows, newest first, for every kind of identifier.
#[test]
fn sqlite_and_memory_stores_find_the_same_rows_for_every_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open_in(dir.path()).unwrap();
    let memory = MemoryStore::new();
    let (users, _) = fill_alike(&[&sqlite, &memory]);
    agree_on_every_identifier(&sqlite, &memory, &users);
}

/// Every kind of identifier found in `store` as in `memory` over the same history.
fn agree_on_every_identifier(
    store: &dyn HistoryStore,
    memory_store: &dyn HistoryStore,
    users: &[String],
) {
    let mut identifiers: Vec<String> = Vec::new();
    for i in [0, 1, 4, 5, 6, 9, 10, 11, 97, 98, 99, 1201] {
        let c = code(i);
        identifiers.extend([
            users[i].clone(),
            users[i].to_ascii_uppercase(),
            format!("req-{c}-1"),
            format!("req-{c}-2"),
            format!("kyc-{c}"),
        ]);
    }
    let last = memory_store.count(&HistoryFilter::default()).unwrap();
    for id in [1, 2, 17, 500, i64::try_from(last).unwrap()] {
        let key = memory_store.get(id).unwrap().new.idempotency_key;
        identifiers.push(key.to_ascii_uppercase());
        identifiers.push(key);
    }
    identifiers.extend(["usr-", "req-", "kyc-", "%", "", "1", "zzz"].map(String::from));

    let mut found_some = 0;
    for identifier in &identifiers {
        let want = memory_store.find(identifier).unwrap();
        let got = store.find(identifier).unwrap();
        assert_eq!(ids(&got), ids(&want), "find({identifier:?})");
        assert_eq!(got, want, "rows of find({identifier:?})");
        assert!(
            want.windows(2).all(|w| w[0].id > w[1].id),
            "newest first: {identifier:?}"
        );
        found_some += usize::from(!want.is_empty());
    }
    // Exact matches only: a prefix, a wildcard or another case finds nothing.
    for partial in ["usr-", "req-", "kyc-", "%", "", "zzz"] {
        assert!(store.find(partial).unwrap().is_empty(), "{partial:?}");
    }
    // A request id of an earlier attempt finds its submission too (row 4: 503, then 201).
    let four = memory_store.find(&format!("req-{}-1", code(4))).unwrap();
    assert!(!four.is_empty());
    assert!(
        found_some * 3 > identifiers.len(),
        "{found_some} of {}",
        identifiers.len()
    );
}

/// Looking a submission up by request id or verification id uses an index, not a scan.
#[test]
fn request_and_verification_ids_are_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    add_success(&store, "usr-indexed");
    let conn = Connection::open(dir.path().join(HISTORY_FILE)).unwrap();
    for (column, table) in [
        ("request_id", "submissions"),
        ("verification_id", "submissions"),
        ("request_id", "attempts"),
    ] {
        let plan: Vec<String> = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE {column} = 'x'"
            ))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("USING INDEX"), "{table}.{column}: {plan}");
    }
}

/// The text search also finds an idempotency key or an operator, in any case, and the new
/// exact filters keep only their type, operator or outcome.
#[test]
fn text_finds_keys_and_operators_and_exact_filters_keep_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    let rows = seed(&store);
    let newest_first: Vec<SubmissionId> = rows.iter().rev().map(|r| r.id).collect();
    check_filter(&store, &text("TESTER"), &newest_first);
    check_filter(&store, &text("test"), &newest_first);
    let key = store.get(rows[17].id).unwrap().new.idempotency_key;
    check_filter(&store, &text(&key.to_ascii_uppercase()), &[rows[17].id]);
    let by = |f: HistoryFilter| f;
    check_filter(
        &store,
        &by(HistoryFilter {
            operator: Some("tester".into()),
            ..HistoryFilter::default()
        }),
        &newest_first,
    );
    check_filter(
        &store,
        &by(HistoryFilter {
            operator: Some("Tester".into()),
            ..HistoryFilter::default()
        }),
        &[],
    );
    check_filter(
        &store,
        &by(HistoryFilter {
            kyc_type: Some(KycType::Rfi),
            ..HistoryFilter::default()
        }),
        &[],
    );
    let initiated = expected(&rows, |r| r.outcome == Some(OutcomeKind::Initiated));
    assert!(!initiated.is_empty());
    check_filter(
        &store,
        &by(HistoryFilter {
            outcome: Some(OutcomeKind::Initiated),
            kyc_type: Some(KycType::Full),
            ..HistoryFilter::default()
        }),
        &initiated,
    );
}

/// Copying a history: every submission arrives with its attempts, outcome and search
/// text; copying it again adds nothing; a resend keeps its link.
#[test]
fn importing_a_history_copies_every_submission_once() {
    let dir = tempfile::tempdir().unwrap();
    let source = SqliteStore::open(&dir.path().join("source.sqlite3")).unwrap();
    fill_alike(&[&source]);
    let first = add_success(&source, "usr-first-of-two");
    let mut resend = submission("usr-first-of-two", "sandbox", base_time() + ms(9));
    resend.resend_of = Some(first);
    source.create(&resend).unwrap();
    let all = HistoryFilter::default();
    let total = source.count(&all).unwrap();
    let mut submissions: Vec<Submission> = source
        .window(&all, 0, total)
        .unwrap()
        .iter()
        .map(|r| source.get(r.id).unwrap())
        .collect();
    submissions.reverse();

    let copy = SqliteStore::open(&dir.path().join("copy.sqlite3")).unwrap();
    let memory = MemoryStore::new();
    for store in [&copy as &dyn HistoryStore, &memory] {
        // In two parts, as a long history is copied.
        let (older, newer) = submissions.split_at(total / 2);
        assert_eq!(store.import(&[], older).unwrap(), older.len());
        assert_eq!(store.import(&[], newer).unwrap(), newer.len());
        assert_eq!(
            store.import(&[], &submissions).unwrap(),
            0,
            "a second copy adds nothing"
        );
        assert_eq!(store.count(&all).unwrap(), total);
        for filter in [
            all.clone(),
            HistoryFilter {
                errors_only: true,
                ..all.clone()
            },
            HistoryFilter {
                text: "KEY-K".into(),
                ..all.clone()
            },
            HistoryFilter {
                text: "req-".into(),
                ..all.clone()
            },
        ] {
            let want = source.window(&filter, 0, total).unwrap();
            let got = store.window(&filter, 0, total).unwrap();
            assert_eq!(got.len(), want.len(), "{filter:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    HistoryRow { id: 0, ..g.clone() },
                    HistoryRow { id: 0, ..w.clone() }
                );
            }
        }
        let newest = store.window(&all, 0, 1).unwrap();
        let copied = store.get(newest[0].id).unwrap();
        let original = store.get(copied.new.resend_of.unwrap()).unwrap();
        assert_eq!(original.new.user_id, "usr-first-of-two");
        assert_eq!(original.attempts, source.get(first).unwrap().attempts);
    }
}

/// A row deleted by hand (with any SQLite tool) leaves the search indexes and counts as if
/// it had never been there.
#[test]
fn a_row_deleted_by_hand_leaves_no_trace_in_search_or_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let (gone, kept) = {
        let store = SqliteStore::open(&path).unwrap();
        (
            add_success(&store, "usr-deleted-by-hand"),
            add_success(&store, "usr-kept-by-hand"),
        )
    };
    let waiting = add_success(&SqliteStore::open(&path).unwrap(), "usr-deleted-waiting");
    let conn = Connection::open(&path).unwrap();
    for id in [gone, waiting] {
        conn.execute("DELETE FROM attempts WHERE submission_id = ?1", [id])
            .unwrap();
        conn.execute("DELETE FROM submissions WHERE id = ?1", [id])
            .unwrap();
    }
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let text = |t: &str| HistoryFilter {
        text: t.into(),
        ..HistoryFilter::default()
    };
    assert_eq!(store.count(&text("deleted")).unwrap(), 0);
    assert_eq!(store.count(&text("kyc-usr-deleted")).unwrap(), 0);
    assert_eq!(ids(&store.window(&text("by-hand"), 0, 9).unwrap()), [kept]);
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 1);
}

use common::postgres as pg;

/// The same table of filters against PostgreSQL: the SQL there is written a third time.
#[test]
fn postgres_and_memory_stores_read_the_same_rows_for_every_filter() {
    let Some(url) = pg::fresh_database("filters") else {
        return;
    };
    let postgres = PostgresStore::open(&url, None, "tester").unwrap();
    let memory = MemoryStore::new();
    let (users, times) = fill_alike(&[&postgres, &memory]);
    agree_on_every_filter(&postgres, &memory, &users, &times);
}

#[test]
fn postgres_and_memory_stores_find_the_same_rows_for_every_identifier() {
    let Some(url) = pg::fresh_database("find") else {
        return;
    };
    let postgres = PostgresStore::open(&url, None, "tester").unwrap();
    let memory = MemoryStore::new();
    let (users, _) = fill_alike(&[&postgres, &memory]);
    agree_on_every_identifier(&postgres, &memory, &users);
}
