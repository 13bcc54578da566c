//! Pacing against every limiter the sandbox offers: a batch spread evenly at the allowed
//! rate is never answered 429 and reaches the limit, with the limit known to the profile
//! and with it learnt from the sandbox's headers (`--base-url`, nothing known).
//!
//! Each case sends two windows' worth (plus one) of a short window, 20 requests per 2 s,
//! and measures the rate between the first and the last request sent, as the history
//! recorded them.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{
    KEY_VAR, Run, TestSandbox, bare, column, count, id_list, path_arg, sending, write_file,
};
use kyc_console::domain::error_on_demand_id;
use kyc_console::sandbox::{LimiterKind, SANDBOX_API_KEY, SandboxConfig};

const LIMIT: u32 = 20;
const WINDOW: Duration = Duration::from_secs(2);
/// Two windows' worth, and the first request of a third: the span of two windows.
const ROWS: usize = 2 * LIMIT as usize + 1;

fn sandbox(kind: LimiterKind) -> TestSandbox {
    TestSandbox::start(SandboxConfig {
        rate_limit: LIMIT,
        rate_window: WINDOW,
        limiter: kind,
        burst: (kind == LimiterKind::Bucket).then_some(4),
        ..SandboxConfig::default()
    })
}

/// Runs a batch of [`ROWS`] rows against `sb`, with the limit known to a profile or not.
fn batch(sb: &TestSandbox, known: bool) -> (tempfile::TempDir, Run) {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (file, _) = id_list(work.path(), ROWS);
    let mut cmd = if known {
        let per_minute = u64::from(LIMIT) * 60 / WINDOW.as_secs();
        let settings = write_file(
            work.path(),
            "config.toml",
            sb.profile(
                "paced",
                &format!("api_key_env = \"{KEY_VAR}\"\nrate_limit_per_minute = {per_minute}"),
            )
            .as_bytes(),
        );
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut cmd = bare(data.path());
        cmd.env(KEY_VAR, SANDBOX_API_KEY).args([
            "--config",
            path_arg(&settings),
            "--profile",
            "paced",
        ]);
        cmd
    } else {
        sending(data.path(), &sb.base_url())
    };
    cmd.args(["batch", path_arg(&file), "--yes", "--concurrency", "4"]);
    let run = Run::lossy_of(&mut cmd);
    (data, run)
}

/// One case at a time: each measures time, which two at once on two cores would blur.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Every request of the batch was accepted, one each, at (nearly) the limit.
fn assert_paced(kind: LimiterKind, known: bool) {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sb = sandbox(kind);
    let (data, run) = batch(&sb, known);
    let case = format!("{kind}, limit {}", if known { "known" } else { "unknown" });
    let timeline = column(
        data.path(),
        "SELECT started_at || ' ' || coalesce(status, 0) FROM attempts ORDER BY started_at",
    );
    assert_eq!(run.code, 0, "{case}: {run:#?}\n{timeline:#?}");
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM attempts WHERE status = 429"
        ),
        0,
        "{case}: no 429 in\n{timeline:#?}"
    );
    let rows = i64::try_from(ROWS).unwrap();
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM submissions WHERE outcome = 'initiated' AND attempts = 1"
        ),
        rows,
        "{case}: every row initiated at its first attempt"
    );
    assert_eq!(sb.requests(), u64::try_from(ROWS).unwrap(), "{case}");

    let sent: Vec<DateTime<Utc>> = column(
        data.path(),
        "SELECT started_at FROM attempts ORDER BY started_at",
    )
    .iter()
    .map(|t| t.parse().unwrap())
    .collect();
    let took = (sent[ROWS - 1] - sent[0]).to_std().unwrap();
    let limit_rate = f64::from(LIMIT) / WINDOW.as_secs_f64();
    let share = (ROWS - 1) as f64 / took.as_secs_f64() / limit_rate;
    let gaps: Vec<i64> = sent
        .windows(2)
        .map(|w| (w[1] - w[0]).num_microseconds().unwrap_or(0))
        .collect();
    eprintln!(
        "{case}: {ROWS} requests in {took:?}: {:.2}% of the limit; gaps (µs): {gaps:?}",
        share * 100.0
    );
    // Near the limit (waiting for each reset, as the client once did, lost over a second
    // of every window). How near is the bench's figure (99.5% at 5 s windows): here each
    // answer's round trip costs its share of a 2 s window, more on a loaded machine.
    assert!(
        share >= 0.97,
        "{case}: {:.2}% of the limit over two windows",
        share * 100.0
    );
    assert!(share <= 1.0, "{case}: never above the limit: {share}");
    // Spread, not bursts: no quarter of a window holds much more than a quarter of the
    // limit (a burst would hold all of it).
    let quarter = chrono::Duration::from_std(WINDOW / 4).unwrap();
    let densest = sent
        .iter()
        .enumerate()
        .map(|(i, t)| sent[i..].iter().take_while(|u| **u - *t < quarter).count())
        .max()
        .unwrap();
    assert!(
        densest <= LIMIT as usize / 4 + 2,
        "{case}: {densest} requests within a quarter of a window"
    );
}

#[test]
fn a_fixed_window_with_the_limit_known() {
    assert_paced(LimiterKind::Fixed, true);
}

#[test]
fn a_fixed_window_with_the_limit_learnt() {
    assert_paced(LimiterKind::Fixed, false);
}

#[test]
fn a_sliding_window_with_the_limit_known() {
    assert_paced(LimiterKind::Sliding, true);
}

#[test]
fn a_sliding_window_with_the_limit_learnt() {
    assert_paced(LimiterKind::Sliding, false);
}

#[test]
fn a_token_bucket_with_the_limit_known() {
    assert_paced(LimiterKind::Bucket, true);
}

#[test]
fn a_token_bucket_with_the_limit_learnt() {
    assert_paced(LimiterKind::Bucket, false);
}

/// Another client on the same key spent most of the window: the batch learns it from the
/// budget (left: none, long before the pace explains) and holds until the reset instead
/// of being refused.
#[test]
fn a_budget_spent_by_another_client_holds_the_batch_until_the_reset() {
    let sb = sandbox(LimiterKind::Fixed);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/kycs", sb.base_url().trim_end_matches('/'));
    runtime.block_on(async {
        for _ in 0..LIMIT - 4 {
            let body = format!(
                "{{\"userId\":\"{}\",\"type\":\"full\"}}",
                common::random_user()
            );
            let reply = client
                .post(&url)
                .header("x-api-key", SANDBOX_API_KEY)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status().as_u16(), 201);
        }
    });
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (file, _) = id_list(work.path(), 10);
    let run = Run::lossy_of(sending(data.path(), &sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
    ]));
    let timeline = column(
        data.path(),
        "SELECT started_at || ' ' || coalesce(status, 0) FROM attempts ORDER BY started_at",
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(
        run.stderr.contains("waiting for the window to reset"),
        "{}",
        run.stderr
    );
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM attempts WHERE status = 429"
        ),
        0,
        "held, never refused:\n{timeline:#?}"
    );
    assert_eq!(count(data.path(), "SELECT count(*) FROM attempts"), 10);
}

/// A 429 holds every row for its `Retry-After`, not only the row it answered.
#[test]
fn a_429_holds_every_row_for_its_retry_after() {
    // Timed against the others' load, it runs alone as they do.
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sb = TestSandbox::start(SandboxConfig {
        rate_limit: 1_000,
        rate_window: WINDOW,
        unavailable_retry_after: 1,
        ..SandboxConfig::default()
    });
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // The sandbox answers 429 (Retry-After: 1) to the third row, every time.
    let refused = error_on_demand_id(429).to_string();
    let mut users: Vec<String> = (0..12).map(|_| common::random_user()).collect();
    users[2] = refused.clone();
    let file = write_file(work.path(), "ids.txt", (users.join("\n") + "\n").as_bytes());
    let run = Run::lossy_of(sending(data.path(), &sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
        "--concurrency",
        "4",
    ]));
    assert_eq!(run.code, 1, "the refused row is not initiated: {run:#?}");
    let rows = column(
        data.path(),
        "SELECT a.started_at || ' ' || a.ended_at || ' ' || coalesce(a.status, 0) || ' ' || s.user_id \
         FROM attempts a JOIN submissions s ON s.id = a.submission_id ORDER BY a.started_at",
    );
    let attempts: Vec<(DateTime<Utc>, DateTime<Utc>, u16, String)> = rows
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split(' ').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].to_string(),
            )
        })
        .collect();
    let refusals: Vec<_> = attempts.iter().filter(|r| r.2 == 429).collect();
    assert_eq!(
        refusals.len(),
        4,
        "the row and its three retries: {rows:#?}"
    );
    let others_after = attempts
        .iter()
        .filter(|a| a.3 != refused && a.0 > refusals[0].1)
        .count();
    assert!(others_after > 0, "rows went after the first 429: {rows:#?}");
    // Nothing else went within the second each 429 asked for, but a row already on its
    // way when the answer came (released by the pace before the 429 was read): its
    // attempt starts within moments of the answer's end.
    let on_its_way = chrono::Duration::milliseconds(50);
    let asked = chrono::Duration::milliseconds(990);
    for refusal in &refusals {
        let early = attempts
            .iter()
            .find(|a| a.3 != refused && a.0 > refusal.1 + on_its_way && a.0 < refusal.1 + asked);
        assert!(early.is_none(), "{early:?} went while held: {rows:#?}");
    }
}
