//! Helpers shared by the integration tests that drive the built binary: running it with a
//! clean environment, what a run printed, sandboxes in this process and in a child process,
//! and a scan of the files a run left behind.
//!
//! Each test file compiles this module on its own and uses only part of it.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

/// Every column of an export (`history --csv`/`--json`, the console's x/X), in CSV order:
/// written out here, once, so a test fails when the format changes unannounced.
pub const COLUMNS: [&str; 18] = [
    "id",
    "created_at",
    "sent_at",
    "profile",
    "user_id",
    "type",
    "status",
    "outcome",
    "failure",
    "attempts",
    "latency_ms",
    "verification_id",
    "webview_url",
    "request_id",
    "redirect_uri",
    "operator",
    "error_code",
    "error_message",
];

/// A fresh PostgreSQL database for a test, when the test server is there.
pub mod postgres;
/// The console in a pseudo-terminal.
pub mod pty;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use kyc_console::history::HISTORY_FILE;
use kyc_console::sandbox::{KeyStats, SANDBOX_API_KEY, Sandbox, SandboxConfig, SandboxStats};
use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_kyc-console");
/// Variables that would change what the binary reads or logs.
pub const CLEARED_VARS: [&str; 2] = [kyc_console::logging::LOG_ENV, "KYC_CONSOLE_CONFIG"];
/// The variable [`sending`] puts the sandbox key in, for `--api-key-env`.
pub const KEY_VAR: &str = "KYC_CONSOLE_TEST_SANDBOX_KEY";

pub fn random_user() -> String {
    format!("usr-{}", uuid::Uuid::new_v4())
}

// --- running the binary ----------------------------------------------------------------------

/// `kyc-console --data-dir <dir>` as a plain process, with none of [`CLEARED_VARS`]
/// inherited and nothing on standard input.
pub fn bare(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    for var in CLEARED_VARS {
        cmd.env_remove(var);
    }
    cmd.arg("--data-dir").arg(dir).stdin(Stdio::null());
    cmd
}

/// [`bare`], sending to `base_url` with the sandbox key in [`KEY_VAR`].
pub fn sending(dir: &Path, base_url: &str) -> std::process::Command {
    let mut cmd = bare(dir);
    cmd.env(KEY_VAR, SANDBOX_API_KEY)
        .args(["--base-url", base_url, "--api-key-env", KEY_VAR]);
    cmd
}

/// `kyc-console --data-dir <dir> <args>`, with none of [`CLEARED_VARS`] inherited.
pub fn console(dir: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(bare(dir));
    cmd.args(args);
    cmd
}

/// What a run of the binary ended with.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// A finished run whose output must be UTF-8.
    pub fn of(output: Output) -> Run {
        Run {
            code: output.status.code().expect("an exit code"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }

    /// A finished run, with any bytes that are not UTF-8 replaced.
    /// Runs a command to its end.
    pub fn lossy_of(cmd: &mut std::process::Command) -> Run {
        Run::lossy(cmd.output().expect("the binary runs"))
    }

    pub fn lossy(output: Output) -> Run {
        Run {
            code: output.status.code().expect("an exit code"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }

    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "{self:#?}");
        self
    }

    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Asserts that neither stdout nor stderr holds `key`.
    pub fn assert_no_key(&self, key: &str) {
        assert!(
            !self.stdout.contains(key),
            "the key is in stdout:\n{self:#?}"
        );
        assert!(
            !self.stderr.contains(key),
            "the key is in stderr:\n{self:#?}"
        );
    }
}

pub fn run(mut cmd: assert_cmd::Command) -> Run {
    Run::of(cmd.output().expect("the binary runs"))
}

/// `kyc-console --data-dir <dir> <args>`, run to the end.
pub fn kyc(dir: &Path, args: &[&str]) -> Run {
    run(console(dir, args))
}

// --- sandboxes -------------------------------------------------------------------------------

/// A sandbox in this process, served by a runtime kept alive beside the test thread and
/// stopped when dropped.
pub struct TestSandbox {
    runtime: tokio::runtime::Runtime,
    sandbox: Option<Sandbox>,
}

impl TestSandbox {
    pub fn start(config: SandboxConfig) -> TestSandbox {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let sandbox = runtime
            .block_on(Sandbox::start(config, 0))
            .expect("the sandbox starts");
        TestSandbox {
            runtime,
            sandbox: Some(sandbox),
        }
    }

    /// A sandbox that accepts `key`, and otherwise the defaults.
    pub fn with_key(key: &str) -> TestSandbox {
        TestSandbox::start(SandboxConfig {
            api_key: key.into(),
            ..SandboxConfig::default()
        })
    }

    pub fn sandbox(&self) -> &Sandbox {
        self.sandbox.as_ref().expect("running")
    }

    pub fn base_url(&self) -> String {
        self.sandbox().base_url().to_string()
    }

    pub fn stats(&self) -> SandboxStats {
        self.sandbox().stats()
    }

    /// Requests it has received, whatever it answered.
    pub fn requests(&self) -> u64 {
        self.stats().requests
    }

    /// `[profiles.NAME]` pointing here, with `extra` lines (the key source and more).
    pub fn profile(&self, name: &str, extra: &str) -> String {
        format!(
            "[profiles.{name}]\nbase_url = \"{}\"\n{extra}\n",
            self.base_url()
        )
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.stop());
        }
    }
}

/// A standalone `kyc-console sandbox` child process, killed when dropped.
pub struct SandboxProcess {
    child: Child,
    pub base_url: String,
    /// What it printed on starting, up to "press Ctrl-C to stop".
    pub banner: String,
    client: reqwest::Client,
    _dir: TempDir,
}

impl SandboxProcess {
    /// Holds every request `latency_ms`; allows `rate_limit` requests a minute if given.
    pub fn start(latency_ms: u64, rate_limit: Option<u32>) -> SandboxProcess {
        let latency = latency_ms.to_string();
        let rate = rate_limit.map(|n| n.to_string());
        let mut args = vec!["--latency-ms", latency.as_str()];
        if let Some(rate) = &rate {
            args.extend(["--rate-limit", rate.as_str()]);
        }
        SandboxProcess::start_with(&args)
    }

    /// `kyc-console sandbox --port 0 <args>`, once it has said where it listens.
    pub fn start_with(args: &[&str]) -> SandboxProcess {
        SandboxProcess::start_on(0, args)
    }

    /// `kyc-console sandbox --port PORT <args>`, once it has said where it listens.
    pub fn start_on(port: u16, args: &[&str]) -> SandboxProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cmd = bare(dir.path());
        let port = port.to_string();
        cmd.args(["sandbox", "--port", port.as_str()]).args(args);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut banner = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("press Ctrl-C") {
                break;
            }
        }
        let base_url = banner
            .lines()
            .find_map(|line| {
                line.trim()
                    .strip_prefix("base URL")
                    .map(|u| u.trim().to_string())
            })
            .unwrap_or_else(|| panic!("the sandbox prints its base URL:\n{banner}"));
        SandboxProcess {
            child,
            base_url,
            banner,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn get(&self, path: &str) -> String {
        let url = format!("{}{path}", self.base_url);
        let response = self.client.get(url).send().await.unwrap();
        response.text().await.unwrap()
    }

    pub async fn stats(&self) -> SandboxStats {
        let v: Value = serde_json::from_str(&self.get("/_sandbox/stats").await).unwrap();
        SandboxStats {
            requests: v["requests"].as_u64().expect("requests"),
            verifications: v["verifications"].as_u64().expect("verifications"),
        }
    }

    /// What the sandbox saw for one idempotency key.
    pub async fn key_stats(&self, key: &str) -> KeyStats {
        serde_json::from_str(&self.get(&format!("/_sandbox/keys/{key}")).await).unwrap()
    }
}

impl SandboxProcess {
    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- batches and the history file ------------------------------------------------------------

/// How long any wait for a child process or a condition may take before the test fails.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// A free port on loopback (bound, then released for a server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Every history row of a data directory, as `history --json` prints them.
pub fn history(data: &Path) -> Vec<Value> {
    match Run::lossy_of(bare(data).args(["history", "--json", "--limit", "1000"]))
        .expect(0)
        .json()
    {
        Value::Array(rows) => rows,
        other => panic!("not an array: {other}"),
    }
}

pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("the file is written");
    path
}

pub fn path_arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Waits for a child with a deadline (killing it and failing if it does not end).
pub fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not end within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// --- the history file, read directly ------------------------------------------------------

/// The history file of a data directory, opened without creating it.
pub fn db(data: &Path) -> Option<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join(HISTORY_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.busy_timeout(Duration::from_secs(10)).ok()?;
    Some(conn)
}

/// One integer from the history file, or `None` while it (or its schema) does not exist yet.
pub fn try_count(data: &Path, sql: &str) -> Option<i64> {
    db(data)?.query_row(sql, [], |r| r.get(0)).ok()
}

pub fn count(data: &Path, sql: &str) -> i64 {
    try_count(data, sql).unwrap_or_else(|| panic!("cannot read the history file: {sql}"))
}

/// Every text value of a one-column query.
pub fn column(data: &Path, sql: &str) -> Vec<String> {
    let conn = db(data).expect("the history file exists");
    let mut stmt = conn.prepare(sql).expect("a valid query");
    stmt.query_map([], |r| r.get(0))
        .expect("the query runs")
        .collect::<Result<_, _>>()
        .expect("text values")
}

/// Polls until the history file holds at least `n` rows with an outcome.
pub fn wait_for_outcomes(data: &Path, n: i64, child: &mut Child) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let done = try_count(
            data,
            "SELECT count(*) FROM submissions WHERE outcome IS NOT NULL",
        )
        .unwrap_or(0);
        if done >= n {
            return;
        }
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            panic!("the batch ended ({status}) before {n} rows had an outcome ({done} had)");
        }
        assert!(
            Instant::now() < deadline,
            "only {done} rows had an outcome after {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// --- sandboxes -------------------------------------------------------------------------------

/// A standalone sandbox child with a runtime to ask it for its numbers from a plain test.
pub struct Standalone {
    pub process: SandboxProcess,
    runtime: tokio::runtime::Runtime,
}

impl Standalone {
    pub fn start(latency_ms: u64, rate_limit: u32) -> Standalone {
        Standalone::of(SandboxProcess::start(latency_ms, Some(rate_limit)))
    }

    /// `kyc-console sandbox --port PORT <args>`.
    pub fn on_port(port: u16, args: &[&str]) -> Standalone {
        Standalone::of(SandboxProcess::start_on(port, args))
    }

    fn of(process: SandboxProcess) -> Standalone {
        Standalone {
            process,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.process.base_url
    }

    pub fn stats(&self) -> SandboxStats {
        self.runtime.block_on(self.process.stats())
    }

    /// What the sandbox saw for each idempotency key.
    pub fn key_stats(&self, keys: &[String]) -> Vec<KeyStats> {
        self.runtime.block_on(async {
            let mut all = Vec::with_capacity(keys.len());
            for key in keys {
                all.push(self.process.key_stats(key).await);
            }
            all
        })
    }
}

/// A file of `n` fresh user ids, one per line.
pub fn id_list(dir: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let users: Vec<String> = (0..n).map(|_| random_user()).collect();
    let path = write_file(dir, "ids.txt", (users.join("\n") + "\n").as_bytes());
    (path, users)
}

// --- scanning for secrets --------------------------------------------------------------------

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

pub fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The files under `dir` whose bytes contain `needle`.
pub fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            holds(
                &std::fs::read(p).expect("a readable file"),
                needle.as_bytes(),
            )
        })
        .collect()
}

// --- folders -----------------------------------------------------------------------------------

/// Every folder under `dir`, recursively (not `dir` itself), sorted.
pub fn dirs_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                found.push(path.clone());
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}
