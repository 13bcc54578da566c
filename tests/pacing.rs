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
    assert!(
        share >= 0.99,
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
