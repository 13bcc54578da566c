//! Hostile files: the files the tool leaves behind (history, exports, result files, logs,
//! the sandbox's state), which only their owner may read, with logs that do not pile up
//! forever.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{
    BIN, Run, TestSandbox, bare, dirs_under, files_under, kyc, path_arg, random_user, sending,
    write_file,
};
use kyc_console::sandbox::SandboxConfig;

// --- files only their owner can read ----------------------------------------------------------------

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file under `root` is 0600 and every folder (`root` included) 0700.
#[cfg(unix)]
fn assert_private(root: &Path) {
    let files = files_under(root);
    assert!(!files.is_empty(), "nothing under {}", root.display());
    let open: Vec<String> = files
        .iter()
        .filter(|f| mode(f) != 0o600)
        .map(|f| format!("{} {:o}", f.display(), mode(f)))
        .collect();
    assert!(open.is_empty(), "files others can read: {open:#?}");
    let mut dirs = dirs_under(root);
    dirs.push(root.to_path_buf());
    let open: Vec<String> = dirs
        .iter()
        .filter(|d| mode(d) != 0o700)
        .map(|d| format!("{} {:o}", d.display(), mode(d)))
        .collect();
    assert!(open.is_empty(), "folders others can enter: {open:#?}");
}

#[cfg(unix)]
#[test]
fn every_file_the_tool_writes_is_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = TestSandbox::start(SandboxConfig::default());
    let work = tempfile::tempdir().unwrap();
    // A data folder the tool creates, with a parent it creates too.
    let data = work.path().join("made/data");

    // The embedded sandbox (its state file), history, logs.
    let user = random_user();
    Run::lossy_of(bare(&data).args(["initiate", "--user-id", &user, "--type", "full"])).expect(0);
    // An ad-hoc target, and a batch writing result files; one written over a file others
    // could read.
    Run::lossy_of(sending(&data, &sandbox.base_url()).args([
        "initiate",
        "--user-id",
        &random_user(),
        "--type",
        "rfi",
    ]))
    .expect(0);
    let csv = data.join("results.csv");
    std::fs::write(&csv, "old").unwrap();
    std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o644)).unwrap();
    let jsonl = data.join("out/results.jsonl");
    std::fs::create_dir_all(jsonl.parent().unwrap()).unwrap();
    std::fs::set_permissions(
        jsonl.parent().unwrap(),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    for (n, out) in [&csv, &jsonl].into_iter().enumerate() {
        let ids: String = (0..3).map(|_| random_user() + "\n").collect();
        let list = write_file(work.path(), &format!("ids-{n}.txt"), ids.as_bytes());
        Run::lossy_of(sending(&data, &sandbox.base_url()).args([
            "batch",
            path_arg(&list),
            "--yes",
            "--out",
            path_arg(out),
        ]))
        .expect(0);
    }
    assert!(std::fs::read_to_string(&csv).unwrap().contains("initiated"));

    // The console's exports (`x` and `X`).
    let store = kyc_console::history::SqliteStore::open_in(&data).unwrap();
    for format in [
        kyc_console::history::export::ExportFormat::Csv,
        kyc_console::history::export::ExportFormat::Json,
    ] {
        let path = data.join(format!("kyc-history.{}", format.extension()));
        let rows = kyc_console::history::export::export(
            &store,
            &kyc_console::history::HistoryFilter::default(),
            format,
            &path,
        )
        .unwrap();
        assert!(rows >= 5, "{rows} rows");
    }
    drop(store);

    let names: Vec<String> = files_under(&data)
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "history.sqlite3",
        "sandbox-state.json",
        "results.csv",
        "kyc-history.json",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("kyc-console.log.")),
        "{names:?}"
    );
    assert_private(&work.path().join("made"));
}

#[cfg(unix)]
#[test]
fn the_usual_folders_are_created_for_the_owner_only() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(BIN);
    for var in common::CLEARED_VARS.into_iter().chain([
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    ]) {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home.path())
        .args(["history", "--json"])
        .stdin(std::process::Stdio::null());
    Run::lossy_of(&mut cmd).expect(0);
    let local = home.path().join(".local");
    assert!(local.join("share/kyc-console/history.sqlite3").exists());
    assert!(local.join("state/kyc-console/logs").is_dir());
    assert_private(&local);
}

// --- logs that do not pile up -------------------------------------------------------------------------

fn log_name(days_ago: u64) -> String {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(days_ago);
    format!("kyc-console.log.{}", day.format("%Y-%m-%d"))
}

/// Log files for each of `days_ago`, and a file of the operator's.
fn old_logs(data: &Path, days_ago: &[u64]) -> std::path::PathBuf {
    let logs = data.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for n in days_ago {
        std::fs::write(logs.join(log_name(*n)), "old line\n").unwrap();
    }
    std::fs::write(logs.join("notes.txt"), "mine").unwrap();
    logs
}

fn kept(logs: &Path, days_ago: &[u64]) -> Vec<u64> {
    days_ago
        .iter()
        .copied()
        .filter(|n| logs.join(log_name(*n)).exists())
        .collect()
}

#[test]
fn logs_are_kept_fourteen_days_unless_told_otherwise() {
    let days = [0, 1, 13, 14, 15, 400];
    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &days);
    kyc(data.path(), &["history", "--json"]).expect(0);
    assert_eq!(kept(&logs, &days), [0, 1, 13]);
    assert!(
        logs.join("notes.txt").exists(),
        "other files are left alone"
    );

    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &days);
    kyc(data.path(), &["--log-keep-days", "2", "history", "--json"]).expect(0);
    assert_eq!(kept(&logs, &days), [0, 1]);

    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &days);
    let mut cmd = bare(data.path());
    cmd.env("KYC_CONSOLE_LOG_KEEP_DAYS", "15")
        .args(["history", "--json"]);
    Run::lossy_of(&mut cmd).expect(0);
    assert_eq!(kept(&logs, &days), [0, 1, 13, 14]);

    let run = kyc(data.path(), &["--log-keep-days", "0", "history"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--log-keep-days"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn a_log_file_others_could_read_is_made_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &[0]);
    let today = logs.join(log_name(0));
    std::fs::set_permissions(&today, std::fs::Permissions::from_mode(0o644)).unwrap();
    kyc(data.path(), &["--log-level", "debug", "history", "--json"]).expect(0);
    assert_eq!(mode(&today), 0o600);
    assert!(
        std::fs::read_to_string(&today)
            .unwrap()
            .starts_with("old line\n")
    );
}
