//! Never twice, never lost, over the built binary: the duplicate guard for `initiate` and
//! `replay`, two batches of one file at once, a batch's file run again while the batch is
//! unfinished, a sandbox killed and restarted mid-batch, an unknown outcome against the
//! embedded sandbox settled after a restart, replay going to the original's target, and
//! every printed command run as printed.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{
    BIN, KEY_VAR, Run, Standalone, bare, column, count, free_port, history, id_list, kyc, path_arg,
    random_user, sending, wait_for_exit, wait_for_outcomes, write_file,
};
use kyc_console::domain::error_on_demand_id;
use kyc_console::sandbox::SANDBOX_API_KEY;

/// Every command a run printed between backticks that starts with `kyc-console`.
fn printed_commands(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with("kyc-console "))
        .map(str::to_string)
        .collect()
}

/// Runs a printed command as a shell would, with the built binary as `kyc-console` and
/// the sandbox key in the environment a user would have set.
fn run_printed(command: &str) -> Run {
    let line = command.replacen("kyc-console", BIN, 1);
    Run::lossy_of(
        Command::new("sh")
            .args(["-c", &line])
            .env(KEY_VAR, SANDBOX_API_KEY)
            .env_remove("KYC_CONSOLE_CONFIG")
            .stdin(Stdio::null()),
    )
}

fn initiate(dir: &Path, user: &str, extra: &[&str]) -> Run {
    let mut args = vec!["initiate", "--user-id", user, "--type", "full"];
    args.extend_from_slice(extra);
    kyc(dir, &args)
}

#[test]
fn a_second_initiate_for_the_same_pair_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let user = random_user();
    let first = initiate(dir.path(), &user, &["--json"]).expect(0);
    let verification = first.json()["verification"]["id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| first.json()["id"].as_str().map(str::to_string))
        .unwrap_or_default();

    let second = initiate(dir.path(), &user, &[]).expect(2);
    assert!(
        second
            .stderr
            .contains("submission #1 (initiated, verification kyc-"),
        "{}",
        second.stderr
    );
    if !verification.is_empty() {
        assert!(second.stderr.contains(&verification), "{}", second.stderr);
    }
    assert!(
        second.stderr.contains("--allow-duplicate"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("nothing was sent"),
        "{}",
        second.stderr
    );
    assert!(second.stdout.is_empty(), "{}", second.stdout);
    assert_eq!(history(dir.path()).len(), 1, "nothing recorded");

    // The command it points to works as printed.
    let printed = printed_commands(&second.stderr);
    assert_eq!(printed.len(), 1, "{}", second.stderr);
    let shown = run_printed(&printed[0]).expect(0);
    assert!(shown.stdout.contains(&user), "{}", shown.stdout);

    // Another type is another verification; --allow-duplicate sends anyway.
    kyc(
        dir.path(),
        &["initiate", "--user-id", &user, "--type", "rfi"],
    )
    .expect(0);
    initiate(dir.path(), &user, &["--allow-duplicate"]).expect(0);
    assert_eq!(history(dir.path()).len(), 3);
}

#[test]
fn a_refused_submission_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let refused = error_on_demand_id(400).to_string();
    initiate(dir.path(), &refused, &[]).expect(1);
    initiate(dir.path(), &refused, &[]).expect(1);
    assert_eq!(
        history(dir.path()).len(),
        2,
        "a 400 started nothing: no question"
    );
}

/// `batch FILE --yes` against a base URL, as a child process.
fn spawn_batch(data: &Path, base_url: &str, file: &Path, extra: &[&str]) -> Child {
    sending(data, base_url)
        .args(["batch", path_arg(file), "--yes"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the batch starts")
}

fn stderr_of(child: Child) -> (i32, String) {
    let out = child.wait_with_output().expect("the batch ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn two_batches_of_one_file_at_once_initiate_each_user_once() {
    let sb = Standalone::start(20, 100_000);
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (file, users) = id_list(files.path(), 100);
    let a = spawn_batch(data.path(), sb.base_url(), &file, &[]);
    let b = spawn_batch(data.path(), sb.base_url(), &file, &[]);
    let (code_a, err_a) = stderr_of(a);
    let (code_b, err_b) = stderr_of(b);
    assert_eq!(
        sb.stats().verifications,
        100,
        "each user once\nA ({code_a}): {err_a}\nB ({code_b}): {err_b}"
    );
    assert_eq!(count(data.path(), "SELECT count(*) FROM submissions"), 100);
    let distinct = count(
        data.path(),
        "SELECT count(DISTINCT user_id) FROM submissions",
    );
    assert_eq!(distinct, i64::try_from(users.len()).unwrap());
    // The one that came second says why it sent what it did not.
    let both = format!("{err_a}\n{err_b}");
    assert!(
        both.contains("held by another submission") || both.contains("held since the preview"),
        "{both}"
    );
}

/// Settings with one profile for a standalone sandbox, no retries (so a dead sandbox
/// ends a batch quickly).
fn local_profile(dir: &Path, base_url: &str) -> std::path::PathBuf {
    write_file(
        dir,
        "config.toml",
        format!(
            "default_profile = \"local\"\n[profiles.local]\nbase_url = \"{base_url}\"\n\
             api_key_env = \"{KEY_VAR}\"\nmax_retries = 0\ntimeout_secs = 5\n"
        )
        .as_bytes(),
    )
}

#[test]
fn a_sandbox_killed_mid_batch_and_restarted_is_settled_by_the_printed_resume() {
    let port = free_port();
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("sandbox.json");
    // A limit far above what the rows need: this is about the restart, not the pace.
    let args = [
        "--latency-ms",
        "40",
        "--rate-limit",
        "100000",
        "--state-file",
        path_arg(&state_file),
    ];
    let mut sb = Standalone::on_port(port, &args);
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let config = local_profile(files.path(), sb.base_url());
    let (file, _) = id_list(files.path(), 120);

    let mut child = bare(data.path())
        .env(KEY_VAR, SANDBOX_API_KEY)
        .args([
            "--config",
            path_arg(&config),
            "batch",
            path_arg(&file),
            "--yes",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the batch starts");
    wait_for_outcomes(data.path(), 20, &mut child);
    sb.process.kill();
    let status = wait_for_exit(&mut child);
    assert!(!status.success(), "rows were left unsent or unknown");
    let (_, stderr) = stderr_of(child);
    let unsettled = count(
        data.path(),
        "SELECT count(*) FROM submissions WHERE outcome IS NULL OR outcome != 'initiated'",
    );
    assert!(unsettled > 0, "the kill came before the end: {stderr}");
    assert!(
        stderr.contains("of unknown outcome") && stderr.contains("never sent"),
        "{stderr}"
    );

    // The sandbox comes back on the same port with its memory; the printed command settles
    // every row, each with its own key.
    let sb = Standalone::on_port(port, &args);
    let printed = printed_commands(&stderr);
    let resume = printed
        .iter()
        .rfind(|c| c.contains("batch --resume"))
        .unwrap_or_else(|| panic!("a resume command in: {stderr}"));
    let resumed = run_printed(&format!("{resume} --yes"));
    assert_eq!(resumed.code, 0, "{}", resumed.all());
    assert_eq!(
        count(
            data.path(),
            "SELECT count(*) FROM submissions WHERE outcome = 'initiated'"
        ),
        120
    );
    let keys = column(data.path(), "SELECT idempotency_key FROM submissions");
    let per_key = sb.key_stats(&keys);
    assert!(
        per_key.iter().all(|k| k.verifications == 1),
        "every key started exactly one verification: {per_key:?}"
    );
    assert_eq!(
        sb.stats().verifications,
        120,
        "none twice across the restart"
    );
}

#[test]
fn a_killed_batch_file_run_again_sends_nothing_it_holds_and_points_to_resume() {
    let sb = Standalone::start(50, 100_000);
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (file, _) = id_list(files.path(), 60);
    let mut child = spawn_batch(data.path(), sb.base_url(), &file, &["--concurrency", "2"]);
    wait_for_outcomes(data.path(), 6, &mut child);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let before = sb.stats().verifications;

    let again = Run::lossy_of(sending(data.path(), sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
    ]))
    .expect(0);
    assert!(
        again.stderr.contains("held by another submission"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("nothing to send"), "{}", again.stderr);
    // Requests the killed batch left in flight may still finish; nothing new is sent.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let after_rerun = sb.stats().verifications;
    assert!(after_rerun <= before + 2, "{before} then {after_rerun}");
    assert_eq!(count(data.path(), "SELECT count(*) FROM submissions"), 60);

    let printed = printed_commands(&again.stderr);
    let resume = printed
        .iter()
        .find(|c| c.contains("batch --resume"))
        .unwrap_or_else(|| panic!("a resume command in: {}", again.stderr));
    run_printed(&format!("{resume} --yes")).expect(0);
    assert_eq!(sb.stats().verifications, 60, "each user exactly once");
}

#[test]
fn an_unknown_outcome_against_the_embedded_sandbox_is_replayed_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let user = random_user();
    let sent = initiate(dir.path(), &user, &["--json"]).expect(0);
    let verification = sent.json()["response"]["body"]["id"]
        .as_str()
        .map(str::to_string);
    let stored = column(
        dir.path(),
        "SELECT verification_id FROM submissions WHERE id = 1",
    );
    let first_id = stored[0].clone();
    if let Some(v) = verification {
        assert_eq!(v, first_id);
    }
    // As a kill between the sandbox's answer and the record of it leaves the row: sent,
    // no attempt recorded, no outcome.
    let conn = rusqlite::Connection::open(dir.path().join("history.sqlite3")).unwrap();
    conn.execute_batch(
        "DELETE FROM attempts; UPDATE submissions SET outcome = NULL, status = NULL, \
         verification_id = NULL, webview_url = NULL, request_id = NULL, latency_ms = NULL, \
         attempts = 0, finished_at = NULL;",
    )
    .unwrap();
    drop(conn);
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM submissions WHERE outcome IS NULL"
        ),
        1
    );

    // A new process: a new embedded sandbox on a new port, with the same memory.
    let retried = kyc(dir.path(), &["retry", "1"]).expect(0);
    assert!(
        retried
            .stderr
            .contains("the original's target: profile sandbox (embedded sandbox)"),
        "{}",
        retried.stderr
    );
    assert!(
        retried.stdout.contains(&first_id),
        "replayed: {}",
        retried.stdout
    );
    let again = column(
        dir.path(),
        "SELECT verification_id FROM submissions WHERE id = 1",
    );
    assert_eq!(again, [first_id], "the same verification, not a second one");
}

#[test]
fn replay_goes_to_the_original_target_unless_another_is_named() {
    let a = Standalone::start(0, 100_000);
    let b = Standalone::start(0, 100_000);
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let config = write_file(
        files.path(),
        "config.toml",
        format!(
            "[profiles.a]\nbase_url = \"{}\"\napi_key_env = \"{KEY_VAR}\"\n\
             [profiles.b]\nbase_url = \"{}\"\napi_key_env = \"{KEY_VAR}\"\n",
            a.base_url(),
            b.base_url()
        )
        .as_bytes(),
    );
    let with = |args: &[&str]| {
        Run::lossy_of(
            bare(data.path())
                .env(KEY_VAR, SANDBOX_API_KEY)
                .args(["--config", path_arg(&config)])
                .args(args),
        )
    };
    let refused = error_on_demand_id(400).to_string();
    with(&[
        "--profile",
        "a",
        "initiate",
        "--user-id",
        &refused,
        "--type",
        "full",
    ])
    .expect(1);
    assert_eq!((a.stats().requests, b.stats().requests), (1, 0));

    // No target named: the original's, and it says so.
    let replayed = with(&["replay", "1"]).expect(1);
    assert!(
        replayed
            .stderr
            .contains("sending to the original's target: profile a"),
        "{}",
        replayed.stderr
    );
    assert_eq!((a.stats().requests, b.stats().requests), (2, 0));

    // Another named: it goes there, and both are named.
    let elsewhere = with(&["--profile", "b", "replay", "1"]).expect(1);
    assert!(
        elsewhere.stderr.contains("sending to profile b")
            && elsewhere
                .stderr
                .contains("the original #1 went to profile a"),
        "{}",
        elsewhere.stderr
    );
    assert_eq!((a.stats().requests, b.stats().requests), (2, 1));

    // A retry goes only where the submission went.
    let retried = with(&["--profile", "b", "retry", "1"]).expect(1);
    assert!(
        retried.stderr.contains("final outcome") || retried.stderr.contains("was sent to"),
        "{}",
        retried.stderr
    );
    assert_eq!(b.stats().requests, 1, "nothing sent");
}

#[test]
fn an_ad_hoc_target_prints_commands_that_reach_it_again() {
    let sb = Standalone::start(0, 100_000);
    let data = tempfile::tempdir().unwrap();
    let user = random_user();
    let first = Run::lossy_of(sending(data.path(), sb.base_url()).args([
        "initiate",
        "--user-id",
        &user,
        "--type",
        "full",
    ]))
    .expect(0);
    let show = printed_commands(&first.stdout);
    assert_eq!(show.len(), 1, "{}", first.stdout);
    assert!(
        show[0].contains("--base-url") && show[0].contains("--api-key-env"),
        "{}",
        show[0]
    );
    run_printed(&show[0]).expect(0);

    let second = Run::lossy_of(sending(data.path(), sb.base_url()).args([
        "initiate",
        "--user-id",
        &user,
        "--type",
        "full",
    ]))
    .expect(2);
    for command in printed_commands(&second.stderr) {
        let shown = run_printed(&command).expect(0);
        assert!(shown.stdout.contains(&user), "{command}: {}", shown.stdout);
    }
    assert_eq!(sb.stats().verifications, 1);
}

#[test]
fn resuming_a_batch_from_another_target_prints_the_command_that_reaches_it() {
    let sb = Standalone::start(0, 100_000);
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (file, _) = id_list(files.path(), 3);
    let sent = Run::lossy_of(sending(data.path(), sb.base_url()).args([
        "batch",
        path_arg(&file),
        "--yes",
    ]))
    .expect(0);
    let batch_id = column(data.path(), "SELECT id FROM batches").remove(0);
    assert!(sent.stderr.contains(&batch_id), "{}", sent.stderr);

    // From the default profile (the embedded sandbox), the batch is elsewhere.
    let elsewhere = kyc(data.path(), &["batch", "--resume", &batch_id, "--yes"]).expect(2);
    let printed = printed_commands(&elsewhere.stderr);
    assert_eq!(printed.len(), 1, "{}", elsewhere.stderr);
    assert!(printed[0].contains("--base-url"), "{}", printed[0]);
    let resumed = run_printed(&format!("{} --yes", printed[0])).expect(0);
    assert!(
        resumed.stderr.contains("0 of 3 row(s)"),
        "{}",
        resumed.stderr
    );
    assert_eq!(sb.stats().verifications, 3);
}
