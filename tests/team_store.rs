//! Two machines (two processes, each with its own data directory) sharing one PostgreSQL
//! history: batches of the same file run at once initiate each user once, and a batch
//! killed with `kill -9` on one machine is resumed from the other. Needs
//! `KYC_TEST_POSTGRES_URL` (see `tests/common/postgres.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Standalone, id_list, path_arg, postgres, run, sending};
use kyc_console::history::{HistoryFilter, HistoryStore, PostgresStore};
use kyc_console::target::CUSTOM_PROFILE;

fn finished(store: &PostgresStore) -> usize {
    let all = store.count(&HistoryFilter::default()).unwrap();
    let unsettled = store
        .unfinished_batches(CUSTOM_PROFILE)
        .unwrap()
        .iter()
        .map(|b| b.unfinished)
        .sum::<usize>();
    all - unsettled
}

#[test]
fn two_machines_sharing_a_database_initiate_each_user_once_and_resume_each_others_batch() {
    let Some(url) = postgres::fresh_database("two_machines") else {
        return;
    };
    let sb = Standalone::start(30, 100_000);
    let (a, b, work) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (file, users) = id_list(work.path(), 120);
    let batch = |dir: &std::path::Path, args: &[&str]| {
        let mut cmd = sending(dir, sb.base_url());
        cmd.args(["--history-url", &url, "batch"])
            .args(args)
            .args(["--yes", "--concurrency", "4"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };

    // The same file on both machines at once: each user is initiated once.
    let mut first = batch(a.path(), &[path_arg(&file)]).spawn().unwrap();
    let mut second = batch(b.path(), &[path_arg(&file)]).spawn().unwrap();
    first.wait().unwrap();
    second.wait().unwrap();
    assert_eq!(sb.stats().verifications, users.len() as u64);
    let store = PostgresStore::open(&url, None, "test").unwrap();
    let initiated = HistoryFilter {
        outcome: Some(kyc_console::domain::OutcomeKind::Initiated),
        ..HistoryFilter::default()
    };
    assert_eq!(store.count(&initiated).unwrap(), users.len());

    // Killed midway on one machine, resumed from the other.
    let (more, _) = id_list(b.path(), 200);
    let mut child = batch(a.path(), &[path_arg(&more)]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while finished(&store) < users.len() + 40 {
        assert!(Instant::now() < deadline, "the batch did not get going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch ended too soon"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = store.unfinished_batches(CUSTOM_PROFILE).unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].unfinished > 0, "the kill came before the end");
    let resumed = run({
        let mut cmd = sending(b.path(), sb.base_url());
        cmd.args([
            "--history-url",
            &url,
            "batch",
            "--resume",
            &left[0].id,
            "--yes",
        ]);
        cmd
    }
    .into())
    .expect(0);
    assert!(
        resumed.stderr.contains("of 200 row(s)"),
        "{}",
        resumed.stderr
    );
    assert!(store.unfinished_batches(CUSTOM_PROFILE).unwrap().is_empty());
    assert_eq!(store.count(&initiated).unwrap(), users.len() + 200);
    assert_eq!(
        sb.stats().verifications,
        (users.len() + 200) as u64,
        "no user initiated twice"
    );
}
