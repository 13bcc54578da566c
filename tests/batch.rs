//! `kyc-console batch` over the built binary against real sandboxes: a mixed file with
//! every outcome, pacing under the sandbox's rate limit (in a short window), `kill -9`
//! midway then `--resume`, Ctrl-C then `--resume`, malformed input, confirmation rules,
//! stdin and JSON Lines.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    KEY_VAR, Run, Standalone, TestSandbox, bare, column, count, history, id_list, path_arg,
    random_user, sending, wait_for_exit, wait_for_outcomes, write_file,
};
use kyc_console::domain::error_on_demand_id;
use kyc_console::sandbox::{SANDBOX_API_KEY, SandboxConfig};
use serde_json::Value;

/// A user id the sandbox answers `status` for, unique by `n`: the sandbox reads only the
/// last twelve digits, so the first group carries the counter.
fn error_user(status: u16, n: u32) -> String {
    let base = error_on_demand_id(status).to_string();
    format!("usr-{n:08x}{}", &base["usr-00000000".len()..])
}

// --- running the binary --------------------------------------------------------------------

fn run(cmd: &mut Command) -> Run {
    Run::lossy(cmd.output().expect("the binary runs"))
}

/// Runs with `input` on standard input.
fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("stdin is written");
    drop(stdin);
    Run::lossy(child.wait_with_output().expect("the binary ends"))
}

// --- 1. a mixed file -------------------------------------------------------------------------

/// What a line of the mixed file should come back as.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Want {
    Initiated,
    /// Sent; answered this status in the end.
    Status(u16),
    Invalid,
    Duplicate(u32),
}

/// One result line as written by `--out results.csv`.
#[derive(Debug, serde::Deserialize)]
struct ResultRow {
    line: u32,
    user_id: String,
    #[serde(rename = "type")]
    kyc_type: String,
    status: Option<u16>,
    outcome: String,
    verification_id: Option<String>,
    submission: Option<i64>,
}

#[test]
fn a_mixed_file_gets_one_result_per_line_and_history_holds_exactly_the_sent_rows() {
    let started = Instant::now();
    let sb = TestSandbox::start(SandboxConfig {
        unavailable_retry_after: 0,
        gateway_timeout_delay: Duration::from_millis(20),
        rate_limit: 100_000,
        ..Default::default()
    });
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();

    // 502 and 504 are retried with backoff (up to 0.5 + 1 + 2 s): only two of each.
    let errors: [(u16, u32); 8] = [
        (400, 3),
        (401, 3),
        (403, 3),
        (429, 3),
        (500, 3),
        (502, 2),
        (503, 3),
        (504, 2),
    ];
    let mut specials: Vec<(String, Want)> = Vec::new();
    let mut n = 0;
    for (status, times) in errors {
        for _ in 0..times {
            n += 1;
            specials.push((
                format!("{},full", error_user(status, n)),
                Want::Status(status),
            ));
        }
    }
    for invalid in [
        "usr-123,full".to_string(),
        "not-a-user-id,full".to_string(),
        ",full".to_string(),
        format!("{},passport", random_user()),
    ] {
        specials.push((invalid, Want::Invalid));
    }
    let special_count = specials.len();
    let mut specials = specials.into_iter();

    let mut text = String::from("user_id,type\n");
    let mut wants: BTreeMap<u32, (String, Want)> = BTreeMap::new();
    let mut first: Option<(u32, String)> = None;
    for i in 0..500u32 {
        let line = i + 2;
        let (cells, want) = if i % 18 == 5
            && let Some(special) = specials.next()
        {
            special
        } else if i == 250 {
            let (first_line, user) = first.clone().expect("an earlier row");
            (format!("{user},full"), Want::Duplicate(first_line))
        } else {
            let user = random_user();
            first.get_or_insert((line, user.clone()));
            // Some rows leave the type out: the settings' default (full) applies.
            let cells = if i % 7 == 0 {
                format!("{user},")
            } else {
                format!("{user},full")
            };
            (cells, Want::Initiated)
        };
        text.push_str(&cells);
        text.push('\n');
        let user = cells.split(',').next().unwrap_or_default().to_string();
        wants.insert(line, (user, want));
    }
    assert_eq!(specials.next(), None, "every special row is in the file");
    let file = write_file(work.path(), "mixed.csv", text.as_bytes());
    let out = work.path().join("results.csv");

    let batch_started = Instant::now();
    let done = run(sending(data.path(), &sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
        "--concurrency",
        "4",
        "--out",
        path_arg(&out),
    ]));
    eprintln!("500-row batch took {:?}", batch_started.elapsed());
    let done = done.expect(1); // not every row was initiated
    assert!(done.stderr.contains("results:"), "{}", done.stderr);

    let count_of = |f: &dyn Fn(&Want) -> bool| wants.values().filter(|(_, w)| f(w)).count();
    let initiated = count_of(&|w| *w == Want::Initiated);
    let sent = count_of(&|w| matches!(w, Want::Initiated | Want::Status(_)));
    assert_eq!(initiated, 500 - special_count - 1);
    assert_eq!(sent, initiated + 22);

    // The results: every input line exactly once, with its own outcome.
    let mut reader = csv::Reader::from_path(&out).expect("the results file");
    let results: Vec<ResultRow> = reader
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("results rows");
    let lines: Vec<u32> = results.iter().map(|r| r.line).collect();
    assert_eq!(
        lines,
        (2..=501).collect::<Vec<u32>>(),
        "one line per input row"
    );
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for r in &results {
        let (user, want) = &wants[&r.line];
        let key = match want {
            Want::Initiated => {
                assert_eq!(
                    (r.outcome.as_str(), r.status),
                    ("initiated", Some(201)),
                    "{r:?}"
                );
                assert!(
                    r.verification_id
                        .as_deref()
                        .is_some_and(|v| v.starts_with("kyc-")),
                    "{r:?}"
                );
                assert_eq!(&r.user_id, user);
                assert_eq!(r.kyc_type, "full");
                "initiated".to_string()
            }
            Want::Status(status) => {
                let expected = match status {
                    400 | 401 | 403 => "rejected",
                    500 => "server error",
                    _ => "transient",
                };
                assert_eq!(
                    (r.outcome.as_str(), r.status),
                    (expected, Some(*status)),
                    "{r:?}"
                );
                assert_eq!(r.verification_id, None, "{r:?}");
                assert_eq!(&r.user_id, user);
                format!("{expected} {status}")
            }
            Want::Invalid => {
                assert!(r.outcome.starts_with("invalid: "), "{r:?}");
                assert_eq!((r.status, r.submission), (None, None), "{r:?}");
                "invalid".to_string()
            }
            Want::Duplicate(of) => {
                assert_eq!(r.outcome, format!("duplicate of line {of}"), "{r:?}");
                assert_eq!((r.status, r.submission), (None, None), "{r:?}");
                "duplicate".to_string()
            }
        };
        *outcomes.entry(key).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("initiated".to_string(), initiated),
        ("rejected 400".into(), 3),
        ("rejected 401".into(), 3),
        ("rejected 403".into(), 3),
        ("transient 429".into(), 3),
        ("server error 500".into(), 3),
        ("transient 502".into(), 2),
        ("transient 503".into(), 3),
        ("transient 504".into(), 2),
        ("invalid".into(), 4),
        ("duplicate".into(), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(outcomes, expected);

    // History: exactly the sent rows, all in the one batch, each at its line.
    let rows = history(data.path());
    assert_eq!(rows.len(), sent);
    let in_history: BTreeSet<String> = rows
        .iter()
        .map(|r| r["user_id"].as_str().expect("user_id").to_string())
        .collect();
    let sent_users: BTreeSet<String> = wants
        .values()
        .filter(|(_, w)| matches!(w, Want::Initiated | Want::Status(_)))
        .map(|(u, _)| u.clone())
        .collect();
    assert_eq!(in_history, sent_users);
    for r in &rows {
        let want_transient = r["status"]
            .as_u64()
            .is_some_and(|s| [429, 502, 503, 504].contains(&s));
        let attempts = r["attempts"].as_u64().expect("attempts");
        if want_transient {
            assert_eq!(attempts, 4, "retried three times: {r}");
        } else {
            assert_eq!(attempts, 1, "{r}");
        }
    }
    assert_eq!(count(data.path(), "SELECT count(*) FROM batches"), 1);
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM submissions WHERE batch_id = (SELECT id FROM batches)"
        ),
        i64::try_from(sent).unwrap()
    );
    let placed = column(
        data.path(),
        "SELECT batch_line || ' ' || user_id FROM submissions",
    );
    for entry in &placed {
        let (line, user) = entry.split_once(' ').expect("line and user");
        assert_eq!(wants[&line.parse::<u32>().unwrap()].0, user, "{entry}");
    }

    let stats = sb.stats();
    assert_eq!(stats.verifications, u64::try_from(initiated).unwrap());

    // Run again as a preview: the initiated rows are known; rows whose outcome is not
    // settled (transient, server error) are held by this batch, to resume, not to send
    // again with new keys; only refused rows would be sent. Nothing is sent.
    let requests_before = stats.requests;
    let preview =
        run(sending(data.path(), &sb.base_url()).args(["batch", path_arg(&file), "--preview"]))
            .expect(0);
    let unsettled = wants
        .values()
        .filter(|(_, w)| matches!(w, Want::Status(s) if *s == 429 || *s >= 500))
        .count();
    let summary = format!(
        "500 row(s): {} to send, 4 invalid, 1 duplicate, {initiated} already initiated, \
         {unsettled} held by another submission",
        sent - initiated - unsettled
    );
    assert!(preview.stderr.contains(&summary), "{}", preview.stderr);
    assert!(
        preview.stderr.contains("holds rows of this input and is not finished: resume it with `kyc-console batch --resume b-"),
        "{}",
        preview.stderr
    );
    assert!(
        preview.stderr.contains("already initiated (#"),
        "{}",
        preview.stderr
    );
    assert_eq!(
        sb.stats().requests,
        requests_before,
        "a preview sends nothing"
    );
    assert_eq!(history(data.path()).len(), sent);
    eprintln!("the mixed-file test took {:?}", started.elapsed());
}

// --- 2. the API's rate limit ---------------------------------------------------------------

/// The sandbox's limit for the pacing test, per window.
const PACED_LIMIT: usize = 120;
/// The sandbox's window for the pacing test: short, so that two windows take seconds.
const PACED_WINDOW: Duration = Duration::from_secs(2);

/// More rows than one window allows are spread evenly over the windows at the limit the
/// sandbox's headers tell (no profile, so nothing is known before the first answer): never
/// a burst that waits for the reset, never a 429.
#[test]
fn a_batch_over_the_rate_limit_is_spread_at_the_limit_and_never_answered_429() {
    let sb = TestSandbox::start(SandboxConfig {
        rate_limit: u32::try_from(PACED_LIMIT).unwrap(),
        rate_window: PACED_WINDOW,
        ..Default::default()
    });
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rows = PACED_LIMIT + 10;
    let (file, users) = id_list(work.path(), rows);

    let started = Instant::now();
    let done = run(sending(data.path(), &sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
        "--concurrency",
        "4",
    ]));
    let took = started.elapsed();
    eprintln!("{rows} rows at {PACED_LIMIT} per {PACED_WINDOW:?} took {took:?}");
    let done = done.expect(0);
    assert!(
        !done.stderr.contains("waiting for the window to reset"),
        "spread, never held for a reset:\n{}",
        done.stderr
    );
    let spacing = PACED_WINDOW / u32::try_from(PACED_LIMIT).unwrap();
    assert!(
        took >= spacing * u32::try_from(rows - 1).unwrap(),
        "the rows were spread at the limit: {took:?}"
    );

    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM attempts WHERE status = 429"
        ),
        0
    );
    let sent = i64::try_from(rows).unwrap();
    assert_eq!(count(data.path(), "SELECT count(*) FROM attempts"), sent);
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM submissions WHERE outcome = 'initiated' AND attempts = 1"
        ),
        sent
    );
    let history = history(data.path());
    let in_history: BTreeSet<&str> = history
        .iter()
        .filter_map(|r| r["user_id"].as_str())
        .collect();
    assert_eq!(
        in_history,
        users.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    let stats = sb.stats();
    assert_eq!(
        (stats.requests, stats.verifications),
        (sent.unsigned_abs(), sent.unsigned_abs()),
        "one request per row: none was refused"
    );
}

// --- 3. kill -9 midway, then resume ------------------------------------------------------------

#[test]
fn a_batch_killed_midway_is_resumed_and_initiates_every_row_exactly_once() {
    let sb = Standalone::start(40, 100_000);
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (file, _) = id_list(work.path(), 200);

    let mut child = sending(data.path(), sb.base_url())
        .args(["batch", path_arg(&file), "--yes", "--concurrency", "4"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the batch starts");
    wait_for_outcomes(data.path(), 40, &mut child);
    child.kill().expect("SIGKILL"); // no chance to record anything more
    assert!(!child.wait().expect("the batch ends").success());

    let batch_ids = column(data.path(), "SELECT id FROM batches");
    assert_eq!(batch_ids.len(), 1, "{batch_ids:?}");
    let batch_id = &batch_ids[0];
    assert_eq!(count(data.path(), "SELECT count(*) FROM submissions"), 200);
    let unfinished = count(
        data.path(),
        "SELECT count(*) FROM submissions WHERE outcome IS NULL",
    );
    assert!(unfinished > 0, "the kill came before the end");

    let resumed =
        run(sending(data.path(), sb.base_url()).args(["batch", "--resume", batch_id, "--yes"]))
            .expect(0);
    assert!(
        resumed.stderr.contains(&format!(
            "{unfinished} of 200 row(s) have no settled outcome"
        )),
        "{}",
        resumed.stderr
    );
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM submissions WHERE outcome = 'initiated'"
        ),
        200
    );
    assert_eq!(
        count(data.path(), "SELECT count(*) FROM submissions"),
        200,
        "resuming adds no row"
    );
    // Each row is a distinct user: any row initiated twice would make this exceed 200.
    assert_eq!(sb.stats().verifications, 200);
    let keys = column(data.path(), "SELECT idempotency_key FROM submissions");
    assert_eq!(keys.len(), 200);
    for (key, stats) in keys.iter().zip(sb.key_stats(&keys)) {
        assert_eq!(stats.verifications, 1, "{key}: {stats:?}");
    }
}

// --- 4. Ctrl-C, then resume --------------------------------------------------------------------

#[test]
fn ctrl_c_stops_dispatching_lets_rows_in_flight_finish_and_resume_sends_the_rest() {
    let sb = Standalone::start(200, 100_000);
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (file, _) = id_list(work.path(), 200);

    let mut child = sending(data.path(), sb.base_url())
        .args(["batch", path_arg(&file), "--yes", "--concurrency", "4"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the batch starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    wait_for_outcomes(data.path(), 8, &mut child);
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = wait_for_exit(&mut child);
    let stderr = reader.join().expect("stderr is read");
    assert_eq!(status.code(), Some(1), "rows were left unsent:\n{stderr}");
    assert!(stderr.contains("stopping"), "{stderr}");
    assert!(stderr.contains("batch --resume"), "{stderr}");

    let rows = history(data.path());
    assert_eq!(rows.len(), 200);
    let mut by_outcome: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        *by_outcome
            .entry(r["outcome"].as_str().expect("outcome").to_string())
            .or_default() += 1;
    }
    let not_sent = by_outcome.get("not sent").copied().unwrap_or(0);
    assert!(not_sent > 0, "{by_outcome:?}");
    assert_eq!(
        by_outcome.get("unknown (no outcome recorded)"),
        None,
        "every dispatched row finished: {by_outcome:?}"
    );
    let initiated = by_outcome.get("initiated").copied().unwrap_or(0);
    assert_eq!(initiated + not_sent, 200, "{by_outcome:?}");
    assert_eq!(
        sb.stats().verifications,
        u64::try_from(initiated).unwrap(),
        "rows not sent never reached the sandbox"
    );
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM submissions WHERE dispatched_at IS NULL"
        ),
        i64::try_from(not_sent).unwrap()
    );

    let batch_id = column(data.path(), "SELECT id FROM batches").remove(0);
    run(sending(data.path(), sb.base_url()).args(["batch", "--resume", &batch_id, "--yes"]))
        .expect(0);
    let rows = history(data.path());
    assert_eq!(rows.len(), 200);
    assert!(
        rows.iter().all(|r| r["outcome"] == "initiated"),
        "every row initiated after resuming"
    );
    assert_eq!(sb.stats().verifications, 200);
}

// --- 5. input that cannot be sent ------------------------------------------------------------

/// An address nothing listens on: these runs must fail before sending anything.
const NOWHERE: &str = "http://127.0.0.1:9/v1";

#[test]
fn malformed_files_exit_2_naming_the_file_and_the_line() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let user = random_user();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "header.csv",
            format!("user_id,colour\n{user},red\n").into_bytes(),
            "line 1: unknown column \"colour\"",
        ),
        (
            "columns.csv",
            format!("user_id,type\n{user},full\n{},full,extra\n", random_user()).into_bytes(),
            "line 3: 3 field(s), but the header has 2",
        ),
        (
            "utf8.txt",
            [
                user.as_bytes(),
                b"\n",
                random_user().as_bytes(),
                b"\nusr-\xff\xfe\n",
            ]
            .concat(),
            "line 3: not valid UTF-8",
        ),
        ("empty.csv", Vec::new(), "the input is empty"),
        (
            "no-rows.csv",
            b"user_id,type\n".to_vec(),
            "line 1: a header but no rows",
        ),
    ];
    for (name, bytes, expected) in cases {
        let file = write_file(work.path(), name, &bytes);
        let done =
            run(sending(data.path(), NOWHERE).args(["batch", path_arg(&file), "--yes"])).expect(2);
        let named = format!("{}: {expected}", file.display());
        assert!(done.stderr.contains(&named), "{name}: {}", done.stderr);
        assert!(done.stderr.contains("nothing was sent"), "{}", done.stderr);
    }
    assert!(history(data.path()).is_empty());
}

#[test]
fn batch_needs_a_file_or_a_known_batch_to_resume() {
    let data = tempfile::tempdir().unwrap();
    let neither = run(sending(data.path(), NOWHERE).args(["batch", "--yes"])).expect(2);
    assert!(
        neither
            .stderr
            .contains("required arguments were not provided"),
        "{}",
        neither.stderr
    );
    assert!(neither.stderr.contains("<FILE>"), "{}", neither.stderr);

    let unknown =
        run(sending(data.path(), NOWHERE).args(["batch", "--resume", "b-000000000000", "--yes"]))
            .expect(1);
    assert!(
        unknown.stderr.contains("no batch b-000000000000"),
        "{}",
        unknown.stderr
    );
    assert!(history(data.path()).is_empty());
}

#[test]
fn without_a_terminal_a_batch_needs_yes_and_records_nothing_without_it() {
    let sb = TestSandbox::start(SandboxConfig::default());
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (file, _) = id_list(work.path(), 3);
    let refused =
        run(sending(data.path(), &sb.base_url()).args(["batch", path_arg(&file)])).expect(2);
    assert!(
        refused
            .stderr
            .contains("add --yes to send 3 verification(s)"),
        "{}",
        refused.stderr
    );
    assert!(history(data.path()).is_empty());
    assert_eq!(count(data.path(), "SELECT count(*) FROM batches"), 0);
    assert_eq!(sb.stats().requests, 0);
}

#[test]
fn a_production_profile_needs_its_name_repeated_with_confirm() {
    let sb = TestSandbox::start(SandboxConfig::default());
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let settings = write_file(
        work.path(),
        "config.toml",
        format!(
            "[profiles.prod]\nbase_url = \"{}\"\napi_key_env = \"{KEY_VAR}\"\nproduction = true\n",
            sb.base_url()
        )
        .as_bytes(),
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (file, users) = id_list(work.path(), 3);
    let prod = |extra: &[&str]| {
        let mut cmd = bare(data.path());
        cmd.env(KEY_VAR, SANDBOX_API_KEY)
            .args(["--config", path_arg(&settings), "--profile", "prod"])
            .args(["batch", path_arg(&file)])
            .args(extra);
        run(&mut cmd)
    };

    let yes = prod(&["--yes"]).expect(2);
    assert!(yes.stderr.contains("PRODUCTION"), "{}", yes.stderr);
    assert!(yes.stderr.contains("--confirm prod"), "{}", yes.stderr);
    let wrong = prod(&["--confirm", "wrong"]).expect(2);
    assert!(
        wrong
            .stderr
            .contains("--confirm must repeat the profile's name, prod"),
        "{}",
        wrong.stderr
    );
    assert_eq!(sb.stats().requests, 0);
    assert!(history(data.path()).is_empty());

    prod(&["--confirm", "prod"]).expect(0);
    let rows = history(data.path());
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r["profile"] == "prod" && r["outcome"] == "initiated")
    );
    let sent: BTreeSet<&str> = rows.iter().filter_map(|r| r["user_id"].as_str()).collect();
    assert_eq!(sent, users.iter().map(String::as_str).collect());
    assert_eq!(sb.stats().verifications, 3);
}

// --- 6. standard input, default type, JSON Lines -----------------------------------------------

#[test]
fn a_plain_list_on_standard_input_is_sent() {
    let sb = TestSandbox::start(SandboxConfig::default());
    let data = tempfile::tempdir().unwrap();
    let users: Vec<String> = (0..3).map(|_| random_user()).collect();
    let input = format!("# pasted from a ticket\n{}\n", users.join("\n"));
    run_with_stdin(
        sending(data.path(), &sb.base_url()).args(["batch", "-", "--yes"]),
        input.as_bytes(),
    )
    .expect(0);
    let rows = history(data.path());
    let sent: BTreeSet<&str> = rows.iter().filter_map(|r| r["user_id"].as_str()).collect();
    assert_eq!(sent, users.iter().map(String::as_str).collect());
    assert!(
        rows.iter()
            .all(|r| r["type"] == "full" && r["outcome"] == "initiated")
    );
    assert_eq!(
        column(data.path(), "SELECT source FROM batches"),
        ["standard input"]
    );
    let lines = column(
        data.path(),
        "SELECT CAST(batch_line AS TEXT) FROM submissions ORDER BY batch_line",
    );
    assert_eq!(lines, ["2", "3", "4"], "lines count the comment");
    assert_eq!(sb.stats().verifications, 3);
}

#[test]
fn type_applies_to_rows_without_one_and_jsonl_results_are_json_lines() {
    let sb = TestSandbox::start(SandboxConfig::default());
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (a, b, c) = (random_user(), random_user(), random_user());
    let file = write_file(
        work.path(),
        "typed.csv",
        format!("user_id,type\n{a},shipping\n{b},\n{c},\nusr-123,full\n").as_bytes(),
    );
    let out = work.path().join("results.jsonl");
    run(sending(data.path(), &sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
        "--type",
        "rfi",
        "--out",
        path_arg(&out),
    ]))
    .expect(1); // the invalid row was not initiated
    let text = std::fs::read_to_string(&out).expect("the results file");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let got: Vec<(u64, &str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().expect("line"),
                l["user_id"].as_str().expect("user_id"),
                l["type"].as_str().expect("type"),
                l["outcome"].as_str().expect("outcome"),
            )
        })
        .collect();
    assert_eq!(got.len(), 4, "{text}");
    assert_eq!(got[0], (2, a.as_str(), "shipping", "initiated"));
    assert_eq!(got[1], (3, b.as_str(), "rfi", "initiated"));
    assert_eq!(got[2], (4, c.as_str(), "rfi", "initiated"));
    assert_eq!((got[3].0, got[3].1), (5, "usr-123"));
    assert!(got[3].3.starts_with("invalid: user id"), "{:?}", got[3]);

    let types: BTreeMap<String, String> = history(data.path())
        .iter()
        .map(|r| {
            (
                r["user_id"].as_str().unwrap().to_string(),
                r["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [(a, "shipping".into()), (b, "rfi".into()), (c, "rfi".into())]
            .into_iter()
            .collect()
    );
}

// --- when each row was sent ----------------------------------------------------------------

#[test]
fn each_row_records_when_it_was_sent_not_when_its_batch_was_made() {
    // One row at a time, each answered in 300 ms: the rows go out at least that far apart.
    let sb = TestSandbox::start(SandboxConfig {
        latency: Duration::from_millis(300),
        ..Default::default()
    });
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let users = [random_user(), random_user(), random_user()];
    let file = write_file(
        work.path(),
        "turns.csv",
        format!(
            "user_id,type\n{},full\n{},full\n{},full\n",
            users[0], users[1], users[2]
        )
        .as_bytes(),
    );
    let out = work.path().join("results.jsonl");
    run(sending(data.path(), &sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
        "--concurrency",
        "1",
        "--out",
        path_arg(&out),
    ]))
    .expect(0);

    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}")))
            .unwrap_or_else(|e| panic!("{e}: {v}"))
    };
    let rows = history(data.path());
    let by_user = |user: &str| {
        rows.iter()
            .find(|r| r["user_id"] == user)
            .unwrap_or_else(|| panic!("no row for {user}"))
    };
    let sent: Vec<_> = users.iter().map(|u| time(&by_user(u)["sent_at"])).collect();
    let created: Vec<_> = users
        .iter()
        .map(|u| time(&by_user(u)["created_at"]))
        .collect();
    for pair in sent.windows(2) {
        assert!(
            pair[1] - pair[0] >= chrono::Duration::milliseconds(250),
            "each row at its turn: {sent:?}"
        );
    }
    assert!(
        sent[2] - created[2] >= chrono::Duration::milliseconds(500),
        "the last row was sent well after it was recorded: {created:?} {sent:?}"
    );
    assert!(sent.iter().zip(&created).all(|(s, c)| s >= c));

    // The results file says when each row was sent, as history does.
    let text = std::fs::read_to_string(&out).expect("the results file");
    for line in text.lines() {
        let result: Value = serde_json::from_str(line).unwrap();
        let user = result["user_id"].as_str().unwrap();
        assert_eq!(
            time(&result["sent_at"]),
            time(&by_user(user)["sent_at"]),
            "{line}"
        );
    }
}
