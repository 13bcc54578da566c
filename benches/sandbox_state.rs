//! What the sandbox's state file costs: 2,000 initiations (each with its own idempotency
//! key, so each stores a response) against an in-process sandbox with no state file, then
//! with one (every change written and fsynced before its answer), at a few concurrencies.
//!
//! Run with `cargo bench --bench sandbox_state`. Not a test: it prints a small table.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kyc_console::sandbox::{SANDBOX_API_KEY, Sandbox, SandboxConfig};

const REQUESTS: usize = 2000;
const CONCURRENCIES: [usize; 3] = [1, 4, 16];

fn config(state_file: Option<&Path>) -> SandboxConfig {
    SandboxConfig {
        rate_limit: u32::MAX,
        state_file: state_file.map(Path::to_path_buf),
        ..SandboxConfig::default()
    }
}

/// Sends [`REQUESTS`] initiations, `concurrency` at a time; returns how long they took.
async fn run(sandbox: &Sandbox, concurrency: usize) -> Duration {
    let client = reqwest::Client::new();
    let url = format!("{}/kycs", sandbox.base_url().as_str().trim_end_matches('/'));
    let started = Instant::now();
    let created = futures::stream::iter(0..REQUESTS)
        .map(|_| {
            let request = client
                .post(&url)
                .header("x-api-key", SANDBOX_API_KEY)
                .header("x-idempotency-key", uuid::Uuid::new_v4().to_string())
                .header("content-type", "application/json")
                .body(format!(
                    "{{\"userId\":\"usr-{}\",\"type\":\"full\"}}",
                    uuid::Uuid::new_v4()
                ));
            async move { request.send().await.expect("an answer").status().as_u16() }
        })
        .buffer_unordered(concurrency)
        .filter(|status| futures::future::ready(*status == 201))
        .count()
        .await;
    assert_eq!(created, REQUESTS, "every request initiates");
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!("{REQUESTS} initiations, each with its own idempotency key, in-process sandbox");
    println!(
        "{:<12} {:>12} {:>10} {:>10}",
        "concurrency", "state file", "seconds", "req/s"
    );
    for concurrency in CONCURRENCIES {
        for with_file in [false, true] {
            let path = dir.path().join(format!("state-{concurrency}.json"));
            let sandbox = Sandbox::start(config(with_file.then_some(path.as_path())), 0)
                .await
                .expect("the sandbox starts");
            let took = run(&sandbox, concurrency).await;
            sandbox.stop().await;
            println!(
                "{:<12} {:>12} {:>10.2} {:>10.0}",
                concurrency,
                if with_file { "yes" } else { "no" },
                took.as_secs_f64(),
                REQUESTS as f64 / took.as_secs_f64()
            );
        }
    }
    // Reopening reads the whole file back and rewrites it compacted.
    let path = dir.path().join("state-16.json");
    let bytes = std::fs::metadata(&path).expect("the state file").len();
    let started = Instant::now();
    let sandbox = Sandbox::start(config(Some(&path)), 0)
        .await
        .expect("the sandbox restarts");
    let reopened = started.elapsed();
    assert_eq!(sandbox.stats().verifications, REQUESTS as u64);
    sandbox.stop().await;
    println!(
        "reopening a file of {REQUESTS} stored responses ({} KiB): {:.0} ms",
        bytes / 1024,
        reopened.as_secs_f64() * 1000.0
    );
}
