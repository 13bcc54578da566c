//! Batch throughput against a standalone sandbox with no practical rate limit: the built
//! binary's `batch` (history written ahead of every row, every attempt recorded) beside a
//! plain `xargs -P 4 curl` loop sending the same rows with nothing recorded.
//!
//! Run with `cargo bench --bench batch`. Not a test: it prints a small table.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kyc_console::sandbox::SANDBOX_API_KEY;

const BIN: &str = env!("CARGO_BIN_EXE_kyc-console");
const ROWS: usize = 2000;
const CONCURRENCY: usize = 4;
const KEY_VAR: &str = "KYC_BATCH_BENCH_KEY";

/// A standalone `kyc-console sandbox` child, killed when dropped.
struct Sandbox {
    child: Child,
    base_url: String,
}

impl Sandbox {
    fn start(data: &Path) -> Sandbox {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data)
            .args(["sandbox", "--port", "0", "--rate-limit", "1000000"])
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
    let output = Command::new(BIN)
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

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::start(&dir.path().join("sandbox"));
    let users: Vec<String> = (0..ROWS)
        .map(|_| format!("usr-{}", uuid::Uuid::new_v4()))
        .collect();

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
