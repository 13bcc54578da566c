//! Three tables, each against a standalone `kyc-console sandbox`:
//!
//! - **throughput**, with no practical rate limit: the built binary's `batch` (history
//!   written ahead of every row, every attempt recorded) beside a plain `xargs -P 4 curl`
//!   loop sending the same rows with nothing recorded;
//! - **pacing**, against each limiter the sandbox offers (fixed window, sliding window,
//!   token bucket) with a short window, the limit known to the profile or learnt from the
//!   headers (`--base-url`): the 429s the batch got, and the rate it reached between its
//!   first and last request, over two windows, as a share of the limit.
//!
//! - **latency**, against a sandbox answering after 100 ms with no practical rate limit: the
//!   batch at each concurrency C (4 to 256), 40 rows a slot, the rate it reached from the
//!   first answer (which teaches the policy: until then the first row goes alone) to the
//!   last, as a share of C / latency, and the CPU time (user + system) the batch process
//!   and the sandbox each spent per row.
//!
//! Run with `cargo bench --bench batch` (all three), or `-- throughput` / `-- pacing` /
//! `-- latency` for one; `KYC_BATCH_BENCH_BIN=path` measures another build of the binary
//! (an older one, to compare) against this build's sandbox. Not a test: it prints small tables.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kyc_console::domain::KycType;
use kyc_console::sandbox::{LimiterKind, SANDBOX_API_KEY};
use nix::sys::resource::{UsageWho, getrusage};

const BIN: &str = env!("CARGO_BIN_EXE_kyc-console");
/// Names another build of the binary to measure instead (an older one, to compare).
const BIN_VAR: &str = "KYC_BATCH_BENCH_BIN";
const ROWS: usize = 2000;
const CONCURRENCY: usize = 4;
const KEY_VAR: &str = "KYC_BATCH_BENCH_KEY";

/// The binary measured: this build's, or the one [`BIN_VAR`] names.
fn bin() -> String {
    std::env::var(BIN_VAR).unwrap_or_else(|_| BIN.to_string())
}

/// A standalone `kyc-console sandbox` child, killed when dropped.
struct Sandbox {
    child: Child,
    base_url: String,
}

impl Sandbox {
    /// Always this build's sandbox, so that two builds' clients meet the same server.
    fn start(data: &Path, args: &[&str]) -> Sandbox {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data)
            .args(["sandbox", "--port", "0"])
            .args(args)
            .env_remove("KYC_CONSOLE_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let stdout = child.stdout.take().expect("stdout");
        let base_url = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.trim()
                    .strip_prefix("base URL")
                    .map(|u| u.trim().to_string())
            })
            .expect("the sandbox prints its base URL");
        Sandbox { child, base_url }
    }
}

impl Sandbox {
    /// Stops the sandbox and waits for it, so its CPU time counts among the children's.
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rate(rows: usize, took: Duration) -> f64 {
    rows as f64 / took.as_secs_f64()
}

/// The binary's batch over `users`; returns how long it took.
fn console_batch(dir: &Path, base_url: &str, users: &[String]) -> Duration {
    let file = dir.join("ids.txt");
    std::fs::write(&file, users.join("\n") + "\n").expect("the ids are written");
    let data = dir.join("data");
    let started = Instant::now();
    let output = Command::new(bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["--base-url", base_url, "--api-key-env", KEY_VAR])
        .env(KEY_VAR, SANDBOX_API_KEY)
        .env_remove("KYC_CONSOLE_CONFIG")
        .arg("batch")
        .arg(&file)
        .args(["--yes", "--concurrency", &CONCURRENCY.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("the batch runs");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "the batch failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    took
}

/// The same rows through `xargs -P 4 curl`, one process a row; `None` without curl.
fn curl_loop(dir: &Path, base_url: &str, users: &[String]) -> Option<(Duration, usize)> {
    let has_curl = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_curl {
        return None;
    }
    // One line of arguments a row; xargs strips the quotes.
    let args = dir.join("curl-args.txt");
    let mut file = std::fs::File::create(&args).expect("the args file");
    for user in users {
        writeln!(
            file,
            "-H \"x-idempotency-key: {}\" -d '{{\"userId\":\"{user}\",\"type\":\"full\"}}'",
            uuid::Uuid::new_v4()
        )
        .expect("a line is written");
    }
    drop(file);
    let endpoint = format!("{base_url}/kycs");
    let api_key = format!("x-api-key: {SANDBOX_API_KEY}");
    let started = Instant::now();
    let output = Command::new("xargs")
        .args(["-P", &CONCURRENCY.to_string(), "-L", "1"])
        .args(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n"])
        .args(["-X", "POST", &endpoint])
        .args(["-H", &api_key, "-H", "content-type: application/json"])
        .stdin(std::fs::File::open(&args).expect("the args file"))
        .output()
        .expect("xargs runs");
    let took = started.elapsed();
    let created = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.trim() == "201")
        .count();
    Some((took, created))
}

/// The pacing runs' limit: 50 requests every 5 s.
const PACED_LIMIT: u32 = 50;
const PACED_WINDOW_SECS: u64 = 5;
/// Two windows' worth and the first request of a third: the span of two windows.
const PACED_ROWS: usize = 2 * PACED_LIMIT as usize + 1;
/// The token bucket's size in the pacing runs.
const PACED_BURST: u32 = 5;

/// What one pacing run got: 429s, rows initiated, and the share of the limit reached.
struct Paced {
    refused: i64,
    initiated: i64,
    share: f64,
}

/// A batch of [`PACED_ROWS`] against `sandbox`, the limit known to a profile or not.
fn paced_batch(dir: &Path, base_url: &str, known: bool) -> Paced {
    let users = ids(PACED_ROWS);
    let file = dir.join("paced-ids.txt");
    std::fs::write(&file, users.join("\n") + "\n").expect("the ids are written");
    let data = dir.join("paced-data");
    let mut cmd = Command::new(bin());
    cmd.arg("--data-dir")
        .arg(&data)
        .env(KEY_VAR, SANDBOX_API_KEY)
        .env_remove("KYC_CONSOLE_CONFIG");
    if known {
        let per_minute = u64::from(PACED_LIMIT) * 60 / PACED_WINDOW_SECS;
        let settings = dir.join("config.toml");
        std::fs::write(
            &settings,
            format!(
                "[profiles.paced]\nbase_url = \"{base_url}\"\napi_key_env = \"{KEY_VAR}\"\n\
                 rate_limit_per_minute = {per_minute}\n"
            ),
        )
        .expect("the settings are written");
        std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600))
            .expect("the settings are private");
        cmd.arg("--config")
            .arg(&settings)
            .args(["--profile", "paced"]);
    } else {
        cmd.args(["--base-url", base_url, "--api-key-env", KEY_VAR]);
    }
    let output = cmd
        .arg("batch")
        .arg(&file)
        .args(["--yes", "--concurrency", &CONCURRENCY.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("the batch runs");
    let history = rusqlite::Connection::open(data.join("history.sqlite3")).expect("the history");
    let count = |sql: &str| -> i64 { history.query_row(sql, [], |r| r.get(0)).expect("a count") };
    let refused = count("SELECT count(*) FROM attempts WHERE status = 429");
    let initiated = count("SELECT count(*) FROM submissions WHERE outcome = 'initiated'");
    assert!(
        output.status.success() || refused > 0,
        "the batch failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut statement = history
        .prepare("SELECT started_at FROM attempts ORDER BY started_at")
        .expect("a query");
    let sent: Vec<DateTime<Utc>> = statement
        .query_map([], |r| r.get::<_, String>(0))
        .expect("the attempts")
        .map(|t| t.expect("a time").parse().expect("an RFC 3339 time"))
        .collect();
    let took = (sent[sent.len() - 1] - sent[0]).to_std().expect("in order");
    let limit_rate = f64::from(PACED_LIMIT) / PACED_WINDOW_SECS as f64;
    let share = (sent.len() - 1) as f64 / took.as_secs_f64() / limit_rate;
    Paced {
        refused,
        initiated,
        share,
    }
}

/// `n` fresh user ids.
fn ids(n: usize) -> Vec<String> {
    (0..n)
        .map(|_| format!("usr-{}", uuid::Uuid::new_v4()))
        .collect()
}

fn pacing() {
    println!(
        "pacing: {PACED_ROWS} rows (two windows), concurrency {CONCURRENCY}, limit {PACED_LIMIT} \
         every {PACED_WINDOW_SECS} s (token bucket: burst {PACED_BURST})"
    );
    println!(
        "{:<16} {:<9} {:>6} {:>10} {:>14}",
        "limiter", "limit", "429s", "initiated", "% of limit"
    );
    for kind in LimiterKind::ALL {
        for known in [true, false] {
            let dir = tempfile::tempdir().expect("temp dir");
            let limit = PACED_LIMIT.to_string();
            let window = PACED_WINDOW_SECS.to_string();
            let burst = PACED_BURST.to_string();
            let mut args = vec![
                "--limiter",
                kind.name(),
                "--rate-limit",
                limit.as_str(),
                "--rate-window-secs",
                window.as_str(),
            ];
            if kind == LimiterKind::Bucket {
                args.extend(["--burst", burst.as_str()]);
            }
            let sandbox = Sandbox::start(&dir.path().join("sandbox"), &args);
            let run = paced_batch(dir.path(), &sandbox.base_url, known);
            println!(
                "{:<16} {:<9} {:>6} {:>10} {:>13.2}%",
                kind.describe(),
                if known { "known" } else { "learnt" },
                run.refused,
                format!("{}/{PACED_ROWS}", run.initiated),
                run.share * 100.0
            );
        }
    }
}

/// The latency runs: the sandbox answers after this long.
const LATENCY_MS: u64 = 100;
/// Rows a slot, so that start-up and the tail are a small share of each run.
const ROWS_PER_SLOT: usize = 40;
/// The concurrencies measured; the last is informative.
const LATENCY_CONCURRENCY: [usize; 6] = [4, 16, 32, 64, 128, 256];
/// Runs of each concurrency; each figure printed is their median, so that one run slowed
/// by the machine (start-up is a fifth of the CPU of the shortest) does not stand alone.
const LATENCY_RUNS: usize = 3;

/// The middle of `values` (an odd number of them).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// CPU time (user + system) of the children waited for so far.
fn children_cpu() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let micros = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    };
    micros(usage.user_time()) + micros(usage.system_time())
}

/// `n` rows of a CSV with every column filled: fresh user ids, every type, a redirect URI.
fn full_rows(n: usize) -> String {
    let mut csv = String::from("user_id,type,redirect_uri\n");
    for (i, user) in ids(n).iter().enumerate() {
        let kyc_type = KycType::ALL[i % KycType::ALL.len()].as_str();
        csv.push_str(&format!(
            "{user},{kyc_type},https://app.example.com/kyc/done?ref={i}\n"
        ));
    }
    csv
}

/// One latency run.
struct Latency {
    rows: usize,
    /// From the first answer to the last: the other rows' time.
    span: Duration,
    /// CPU of the batch process.
    client_cpu: Duration,
    /// CPU of the sandbox, from its start to its stop.
    sandbox_cpu: Duration,
}

fn latency_batch(concurrency: usize) -> Latency {
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = ROWS_PER_SLOT * concurrency;
    let file = dir.path().join("rows.csv");
    std::fs::write(&file, full_rows(rows)).expect("the rows are written");
    let data = dir.path().join("data");
    let latency = LATENCY_MS.to_string();
    let sandbox = Sandbox::start(
        &dir.path().join("sandbox"),
        &["--rate-limit", "100000000", "--latency-ms", &latency],
    );
    let before = children_cpu();
    let output = Command::new(bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["--base-url", &sandbox.base_url, "--api-key-env", KEY_VAR])
        .env(KEY_VAR, SANDBOX_API_KEY)
        .env_remove("KYC_CONSOLE_CONFIG")
        .arg("batch")
        .arg(&file)
        .args(["--yes", "--concurrency", &concurrency.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("the batch runs");
    let client_cpu = children_cpu() - before;
    sandbox.stop();
    // The sandbox's whole life, its start-up included.
    let sandbox_cpu = children_cpu() - before - client_cpu;
    assert!(
        output.status.success(),
        "the batch failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let history = rusqlite::Connection::open(data.join("history.sqlite3")).expect("the history");
    let count: i64 = history
        .query_row("SELECT count(*) FROM attempts", [], |r| r.get(0))
        .expect("a count");
    assert_eq!(count as usize, rows, "one attempt a row");
    // The policy is unknown (`--base-url`), so the first row goes alone and its answer
    // teaches it; from that answer on, the rows go at full concurrency.
    let time = |sql: &str| -> DateTime<Utc> {
        history
            .query_row(sql, [], |r| r.get::<_, String>(0))
            .expect("a time")
            .parse()
            .expect("an RFC 3339 time")
    };
    let first = time("SELECT ended_at FROM attempts ORDER BY started_at LIMIT 1");
    let last = time("SELECT max(ended_at) FROM attempts");
    Latency {
        rows,
        span: (last - first).to_std().expect("in order"),
        client_cpu,
        sandbox_cpu,
    }
}

fn latency() {
    println!(
        "latency: the sandbox answers after {LATENCY_MS} ms (no practical rate limit); \
         {ROWS_PER_SLOT} rows a slot; the rate of the other rows from the first answer (which \
         teaches the policy) to the last; CPU (user + system) per row, start-up included; \
         each figure the median of {LATENCY_RUNS} runs"
    );
    println!(
        "{:>5} {:>7} {:>9} {:>9} {:>12} {:>14} {:>15}",
        "C", "rows", "seconds", "rows/s", "% of C/lat", "client ms/row", "sandbox ms/row"
    );
    for concurrency in LATENCY_CONCURRENCY {
        let runs: Vec<Latency> = (0..LATENCY_RUNS)
            .map(|_| latency_batch(concurrency))
            .collect();
        let rows = runs[0].rows;
        let ideal = concurrency as f64 * 1000.0 / LATENCY_MS as f64;
        let per_row = |cpu: Duration| cpu.as_secs_f64() * 1000.0 / rows as f64;
        let span = median(runs.iter().map(|r| r.span.as_secs_f64()).collect());
        let per_second = (rows - 1) as f64 / span;
        println!(
            "{:>5} {:>7} {:>9.2} {:>9.0} {:>11.1}% {:>14.3} {:>15.3}",
            concurrency,
            rows,
            span,
            per_second,
            per_second / ideal * 100.0,
            median(runs.iter().map(|r| per_row(r.client_cpu)).collect()),
            median(runs.iter().map(|r| per_row(r.sandbox_cpu)).collect())
        );
    }
}

fn throughput() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::start(&dir.path().join("sandbox"), &["--rate-limit", "1000000"]);
    let users = ids(ROWS);

    let batch = console_batch(dir.path(), &sandbox.base_url, &users);
    let curl = curl_loop(dir.path(), &sandbox.base_url, &users);

    println!("batch of {ROWS} rows, concurrency {CONCURRENCY}, standalone sandbox (no latency)");
    println!("{:<28} {:>10} {:>10}", "", "seconds", "rows/s");
    println!(
        "{:<28} {:>10.2} {:>10.0}",
        "kyc-console batch",
        batch.as_secs_f64(),
        rate(ROWS, batch)
    );
    match curl {
        Some((took, created)) => {
            println!(
                "{:<28} {:>10.2} {:>10.0}",
                "xargs -P 4 curl",
                took.as_secs_f64(),
                rate(ROWS, took)
            );
            println!(
                "kyc-console / curl: {:.2}x the rate ({created} of {ROWS} curl requests answered 201)",
                rate(ROWS, batch) / rate(ROWS, took)
            );
        }
        None => println!("curl not found: the xargs/curl half is skipped"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let named: Vec<&str> = ["throughput", "pacing", "latency"]
        .into_iter()
        .filter(|name| args.iter().any(|a| a == name))
        .collect();
    let tables: [(&str, fn()); 3] = [
        ("throughput", throughput),
        ("pacing", pacing),
        ("latency", latency),
    ];
    let mut first = true;
    for (name, table) in tables {
        if named.is_empty() || named.contains(&name) {
            if !first {
                println!();
            }
            first = false;
            table();
        }
    }
}
