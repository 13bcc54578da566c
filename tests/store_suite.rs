//! One store suite, run against every backend: the duplicate guard, batch claims from two
//! threads at once, importing twice, and (on PostgreSQL) the audit trail. The PostgreSQL
//! runs need `KYC_TEST_POSTGRES_URL` (see `tests/common/postgres.rs`); each gets a fresh
//! database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/postgres.rs"]
mod pg;

use std::sync::{Arc, Barrier};

use chrono::Utc;
use kyc_console::api::{
    Attempt, AttemptResult, CapturedResponse, RateLimit, RequestRecord, RetryPlan,
};
use kyc_console::domain::{KycType, OutcomeKind};
use kyc_console::history::{
    HistoryFilter, HistoryStore, MemoryStore, NewBatch, NewSubmission, PostgresStore, SqliteStore,
};

fn new(user: &str, target: &str) -> NewSubmission {
    let key = uuid::Uuid::new_v4().to_string();
    NewSubmission {
        created_at: Utc::now(),
        operator: "ana".into(),
        profile: "sandbox".into(),
        base_url: "http://127.0.0.1:1".into(),
        target: target.into(),
        key_env: None,
        user_id: user.into(),
        kyc_type: KycType::Full,
        redirect_uri: None,
        idempotency_key: key,
        request: RequestRecord {
            method: "POST".into(),
            url: "http://127.0.0.1:1/kycs".into(),
            headers: vec![("x-api-key".into(), "****".into())],
            body: format!(r#"{{"userId":"{user}"}}"#),
        },
        resend_of: None,
        batch_id: None,
        batch_line: None,
    }
}

fn success(number: u32, request_id: &str) -> Attempt {
    Attempt {
        number,
        started_at: Utc::now(),
        latency: std::time::Duration::from_millis(12),
        result: AttemptResult::Response(CapturedResponse {
            status: 201,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"id":"kyc-1","url":"https://kyc.example/1"}"#.to_vec(),
            body_truncated: false,
            request_id: Some(request_id.into()),
            rate_limit: RateLimit::default(),
            read_fields: Default::default(),
        }),
        retry: None,
        stop: None,
    }
}

/// Every backend there is here: SQLite in a temporary directory, and PostgreSQL in a
/// fresh database when the test server is set.
fn backends(test: &str) -> Vec<(String, Arc<dyn HistoryStore>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn HistoryStore> = Arc::new(SqliteStore::open_in(dir.path()).unwrap());
    let mut all = vec![("sqlite".to_string(), sqlite, Some(dir))];
    if let Some(url) = pg::fresh_database(test) {
        let store: Arc<dyn HistoryStore> =
            Arc::new(PostgresStore::open(&url, None, "ana").unwrap());
        all.push(("postgres".to_string(), store, None));
    }
    all
}

#[test]
fn the_duplicate_guard_holds_on_every_backend() {
    for (name, store, _dir) in backends("guard") {
        let first = store
            .create_unless_duplicate(&new("usr-1", "t"))
            .unwrap()
            .unwrap();
        // In flight: a second for the same pair is refused, naming the first.
        let earlier = store
            .create_unless_duplicate(&new("usr-1", "t"))
            .unwrap()
            .unwrap_err();
        assert_eq!(earlier.id, first, "{name}");
        // Another target, another user: recorded.
        assert!(
            store
                .create_unless_duplicate(&new("usr-1", "t2"))
                .unwrap()
                .is_ok(),
            "{name}"
        );
        assert!(
            store
                .create_unless_duplicate(&new("usr-2", "t"))
                .unwrap()
                .is_ok(),
            "{name}"
        );
        // A refusal frees the pair; an initiation holds it.
        store.record_attempt(first, &success(1, "req-1")).unwrap();
        store.finish(first, OutcomeKind::Initiated).unwrap();
        let held = store.earlier("usr-1", KycType::Full, "t").unwrap().unwrap();
        assert_eq!(held.verification_id.as_deref(), Some("kyc-1"), "{name}");
        assert_eq!(store.find("req-1").unwrap()[0].id, first, "{name}");
    }
}

/// A 503 that planned a retry.
fn unavailable(number: u32, request_id: &str) -> Attempt {
    Attempt {
        result: AttemptResult::Response(CapturedResponse {
            status: 503,
            headers: vec![("retry-after".into(), "1".into())],
            body: br#"{"error":{"code":"unavailable"}}"#.to_vec(),
            body_truncated: false,
            request_id: Some(request_id.into()),
            rate_limit: RateLimit::default(),
            read_fields: Default::default(),
        }),
        retry: Some(RetryPlan {
            wait: std::time::Duration::from_secs(1),
            reason: "503 Service Unavailable, Retry-After 1 s".into(),
        }),
        ..success(number, request_id)
    }
}

#[test]
fn a_last_attempt_recorded_with_its_outcome_reads_as_recorded_in_two_steps() {
    for (name, store, _dir) in backends("final_attempt") {
        let (two, one) = (
            store.create(&new("usr-two", "t")).unwrap(),
            store.create(&new("usr-one", "t")).unwrap(),
        );
        for (id, tag) in [(two, "two"), (one, "one")] {
            store
                .record_attempt(id, &unavailable(1, &format!("req-{tag}-1")))
                .unwrap();
        }
        store.record_attempt(two, &success(2, "req-two-2")).unwrap();
        store.finish(two, OutcomeKind::Initiated).unwrap();
        store
            .record_final_attempt(one, &success(2, "req-one-2"), OutcomeKind::Initiated)
            .unwrap();
        let rows = store.window(&HistoryFilter::default(), 0, 10).unwrap();
        let shown = |id| {
            let r = rows.iter().find(|r| r.id == id).unwrap();
            (
                r.status,
                r.outcome,
                r.failure,
                r.latency_ms,
                r.verification_id.clone(),
                r.webview_url.clone(),
                r.request_id.as_ref().map(|q| q.replace("one", "two")),
                r.attempts,
                r.sent_at.is_some(),
            )
        };
        assert_eq!(shown(one), shown(two), "{name}");
        assert_eq!(shown(one).1, Some(OutcomeKind::Initiated), "{name}");
        let (a, b) = (store.get(one).unwrap(), store.get(two).unwrap());
        assert_eq!(a.attempts.len(), 2, "{name}");
        assert_eq!(a.exchange().outcome(), b.exchange().outcome(), "{name}");
        // Found by the last attempt's request id, as by the first's.
        for request_id in ["req-one-2", "req-one-1"] {
            assert_eq!(store.find(request_id).unwrap()[0].id, one, "{name}");
        }
        // A submission that is not there: nothing is written.
        assert!(
            store
                .record_final_attempt(9_999, &success(1, "req-x"), OutcomeKind::Initiated)
                .is_err(),
            "{name}"
        );
        assert!(store.find("req-x").unwrap().is_empty(), "{name}");
    }
}

#[test]
fn two_batches_of_the_same_users_at_once_claim_each_user_once() {
    for (name, store, _dir) in backends("claims") {
        let users: Vec<String> = (0..40).map(|i| format!("usr-{i}")).collect();
        let barrier = Arc::new(Barrier::new(4));
        let runs: Vec<_> = (0..4)
            .map(|k| {
                let (store, users, barrier) = (store.clone(), users.clone(), barrier.clone());
                std::thread::spawn(move || {
                    // Each batch lists the users in its own order.
                    let mut rows: Vec<NewSubmission> =
                        users.iter().map(|u| new(u, "embedded sandbox")).collect();
                    rows.rotate_left(k * 7);
                    let batch = NewBatch {
                        id: format!("b-{k}"),
                        created_at: Utc::now(),
                        operator: "ana".into(),
                        profile: "sandbox".into(),
                        source: "users.csv".into(),
                    };
                    for (line, row) in rows.iter_mut().enumerate() {
                        row.batch_id = Some(batch.id.clone());
                        row.batch_line = Some(u32::try_from(line).unwrap() + 1);
                    }
                    barrier.wait();
                    store.create_batch(&batch, &rows).unwrap()
                })
            })
            .collect();
        let claimed: usize = runs
            .into_iter()
            .map(|r| r.join().unwrap().iter().filter(|c| c.is_ok()).count())
            .sum();
        assert_eq!(claimed, users.len(), "{name}: each user claimed once");
        let total = store.count(&HistoryFilter::default()).unwrap();
        assert_eq!(total, users.len(), "{name}");
    }
}

#[test]
fn importing_twice_adds_nothing_on_every_backend() {
    let source = MemoryStore::new();
    for i in 0..25 {
        let id = source.create(&new(&format!("usr-{i}"), "t")).unwrap();
        if i % 2 == 0 {
            source
                .record_attempt(id, &success(1, &format!("req-{i}")))
                .unwrap();
            source.finish(id, OutcomeKind::Initiated).unwrap();
        }
    }
    let all: Vec<_> = (1..=25).map(|id| source.get(id).unwrap()).collect();
    for (name, store, _dir) in backends("import") {
        assert_eq!(store.import(&[], &all).unwrap(), 25, "{name}");
        assert_eq!(store.import(&[], &all).unwrap(), 0, "{name}");
        let want = source.window(&HistoryFilter::default(), 0, 100).unwrap();
        let got = store.window(&HistoryFilter::default(), 0, 100).unwrap();
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                (&g.user_id, g.outcome, &g.verification_id),
                (&w.user_id, w.outcome, &w.verification_id),
                "{name}"
            );
        }
    }
}

/// The audit trail: each row names the operator and the database role; what happened to a
/// submission is appended, and the events refuse to be changed.
#[test]
fn postgres_rows_name_who_and_events_are_append_only() {
    let Some(url) = pg::fresh_database("audit") else {
        return;
    };
    let (bare, password) = pg::without_password(&url);
    // The password from its own source, not the URL.
    let store = PostgresStore::open(&bare, Some(&password), "ana").unwrap();
    let id = store.create(&new("usr-a", "t")).unwrap();
    store.mark_dispatched(id, Utc::now()).unwrap();
    store.record_attempt(id, &success(1, "req-a1")).unwrap();
    store.record_attempt(id, &success(2, "req-a2")).unwrap();
    store.finish(id, OutcomeKind::Initiated).unwrap();
    let got = store.get(id).unwrap();
    assert_eq!(got.attempts.len(), 2);
    assert_eq!(got.outcome, Some(OutcomeKind::Initiated));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let role: String = client
            .query_one("SELECT current_user::text", &[])
            .await
            .unwrap()
            .get(0);
        let row = client
            .query_one(
                "SELECT operator, db_role FROM submissions WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap();
        assert_eq!(
            (row.get::<_, String>(0), row.get::<_, String>(1)),
            ("ana".into(), role.clone())
        );
        let kinds: Vec<String> = client
            .query(
                "SELECT kind FROM events WHERE submission_id = $1 ORDER BY id",
                &[&id],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(kinds, ["dispatched", "attempt", "attempt", "outcome"]);
        let e = client
            .execute(
                "UPDATE events SET kind = 'attempt' WHERE submission_id = $1",
                &[&id],
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("appended") || format!("{e:?}").contains("appended"),
            "{e:?}"
        );
        assert!(client.execute("DELETE FROM events", &[]).await.is_err());
    });
}

#[test]
fn an_unreachable_database_is_named_and_its_password_is_not() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://kyc:s3cret-pw@127.0.0.1:{port}/audit");
    let e = PostgresStore::open(&url, None, "ana")
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("127.0.0.1:{port}/audit")), "{e}");
    assert!(e.contains("nothing was sent"), "{e}");
    assert!(!e.contains("s3cret"), "{e}");
}

/// The database drops every connection (a restart, a failover): the store opens new ones
/// and goes on, with nothing lost; an operation that meets a dropped connection fails
/// naming the host, and the next one succeeds.
#[test]
fn postgres_reconnects_after_its_connections_are_dropped() {
    let Some(url) = pg::fresh_database("reconnect") else {
        return;
    };
    let store = PostgresStore::open(&url, None, "ana").unwrap();
    let first = store.create(&new("usr-before-the-drop", "t")).unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dropped: i64 = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    });
    assert!(dropped > 0, "the store held a connection");

    let mut second = None;
    for _ in 0..3 {
        match store.create(&new("usr-after-the-drop", "t")) {
            Ok(id) => {
                second = Some(id);
                break;
            }
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains("127.0.0.1"), "{e}");
                assert!(!e.contains(&pg::without_password(&url).1), "{e}");
            }
        }
    }
    let second = second.expect("a new connection after the drop");
    assert!(second > first);
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 2);
}
