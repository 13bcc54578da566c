//! Reading and previewing a batch input held in memory: a CSV with a header and a plain list
//! of ids, at 10,000, 100,000 and 1,000,000 rows. Rows are realistic: valid ids of every
//! type, some with a redirect URI, a few invalid lines (a short id, an unknown type) and a
//! few repeats. The preview is checked against an empty in-memory history and an empty
//! history file, as `kyc-console batch FILE --preview` checks it.
//!
//! Run with `cargo bench --bench batch_input` (`BATCH_INPUT_BENCH_MAX=100000` stops at that
//! many rows). Not a test: it prints a table.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use kyc_console::batch::{Defaults, plan, read_input};
use kyc_console::domain::KycType;
use kyc_console::history::{HistoryStore, MemoryStore, SqliteStore};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
const TYPES: [&str; 4] = ["full", "shipping", "rfi", "import"];
const TARGET: &str = "POST http://127.0.0.1:1/v1/kycs";

/// Row `i` of a batch: mostly valid, every 7th with a redirect URI, every 50th invalid,
/// every 97th a repeat of the row before it.
fn row(i: usize, last: &str) -> (String, &'static str, Option<String>) {
    let kyc_type = TYPES[i % TYPES.len()];
    if i % 97 == 96 && !last.is_empty() {
        return (last.to_string(), kyc_type, None);
    }
    let user = match i % 50 {
        49 => format!("usr-{}", &uuid::Uuid::new_v4().to_string()[..20]),
        _ => format!("usr-{}", uuid::Uuid::new_v4()),
    };
    let kyc_type = if i % 50 == 24 { "passport" } else { kyc_type };
    let redirect = i
        .is_multiple_of(7)
        .then(|| format!("https://app.example.com/kyc/done?ref={i}"));
    (user, kyc_type, redirect)
}

fn csv(rows: usize) -> Vec<u8> {
    let mut text = String::with_capacity(rows * 80);
    text.push_str("user_id,type,redirect_uri\n");
    let mut last = String::new();
    for i in 0..rows {
        let (user, kyc_type, redirect) = row(i, &last);
        let _ = writeln!(text, "{user},{kyc_type},{}", redirect.unwrap_or_default());
        last = user;
    }
    text.into_bytes()
}

fn list(rows: usize) -> Vec<u8> {
    let mut text = String::with_capacity(rows * 42);
    let mut last = String::new();
    for i in 0..rows {
        let (user, _, _) = row(i, &last);
        text.push_str(&user);
        text.push('\n');
        last = user;
    }
    text.into_bytes()
}

struct Measured {
    read: Duration,
    memory: Duration,
    file: Duration,
}

fn measure(bytes: &[u8], rows: usize) -> Measured {
    let defaults = Defaults {
        kyc_type: KycType::Full,
        redirect_uri: None,
    };
    let clock = Instant::now();
    let input = read_input(bytes).expect("a readable input");
    let read = clock.elapsed();
    assert_eq!(input.len(), rows);

    let clock = Instant::now();
    let in_memory = plan(&input, &defaults, &MemoryStore::new(), TARGET).expect("a plan");
    let memory = clock.elapsed();
    assert_eq!(in_memory.rows.len(), rows);

    let dir = tempfile::tempdir().expect("a temp dir");
    let store = SqliteStore::open_in(dir.path()).expect("a history file");
    let store: &dyn HistoryStore = &store;
    let clock = Instant::now();
    let on_file = plan(&input, &defaults, store, TARGET).expect("a plan");
    let file = clock.elapsed();
    assert_eq!(on_file.counts(), in_memory.counts());
    Measured { read, memory, file }
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

fn per_second(rows: usize, d: Duration) -> String {
    let rate = rows as f64 / d.as_secs_f64().max(1e-9);
    if rate >= 1e6 {
        format!("{:.1} M", rate / 1e6)
    } else {
        format!("{:.0} k", rate / 1e3)
    }
}

fn main() {
    let max = std::env::var("BATCH_INPUT_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    println!(
        "{:<5} {:>9} {:>9} {:>12} {:>12} {:>14} {:>14}",
        "input", "rows", "read ms", "read rows/s", "plan mem ms", "plan file ms", "read+file r/s"
    );
    for rows in SIZES.into_iter().filter(|n| *n <= max) {
        for (name, bytes) in [("csv", csv(rows)), ("list", list(rows))] {
            let m = measure(&bytes, rows);
            println!(
                "{name:<5} {rows:>9} {:>9} {:>12} {:>12} {:>14} {:>14}",
                ms(m.read),
                per_second(rows, m.read),
                ms(m.memory),
                ms(m.file),
                per_second(rows, m.read + m.file),
            );
        }
    }
}
