//! A team's history on PostgreSQL beside a SQLite file, in one run, with the same
//! realistic rows in both: the console's first frame (open the store, count, read the rows
//! on screen, draw) and batch throughput (rows claimed, sent, answered and finished a
//! second, written as a batch run writes them).
//!
//! Run with `source .ci/postgres && cargo bench --bench team_store` (the server is named
//! by `KYC_TEST_POSTGRES_URL`; without it the bench says it was skipped).
//! `TEAM_BENCH_ROWS=N` sets the history's size (100,000 by default). Not a test: it prints
//! a table.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../tests/common/postgres.rs"]
mod pg;

use std::time::Duration;

use common::{batch_rows, fill, first_frame, median, ms, timed};
use kyc_console::history::{HistoryStore, PostgresStore, SqliteStore};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    let Some(url) = pg::fresh_database("bench") else {
        return;
    };
    let rows: usize = std::env::var("TEAM_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let sqlite = SqliteStore::open(&path).unwrap();
    let postgres = PostgresStore::open(&url, None, "bench").unwrap();
    for (name, store) in [
        ("SQLite", &sqlite as &dyn HistoryStore),
        ("PostgreSQL", &postgres),
    ] {
        let took = timed(|| fill(store, rows));
        eprintln!("{name}: {rows} rows written in {:.1} s", took.as_secs_f64());
    }

    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let first_sqlite = median(51, || {
        timed(|| {
            first_frame(
                &|| Box::new(SqliteStore::open(&path).unwrap()),
                &mut terminal,
            );
        })
    });
    let first_postgres = median(51, || {
        timed(|| {
            first_frame(
                &|| Box::new(PostgresStore::open(&url, None, "bench").unwrap()),
                &mut terminal,
            );
        })
    });

    // Batch rows written in turn to each, 1,024 at a time.
    let (mut sqlite_took, mut postgres_took) = (Duration::ZERO, Duration::ZERO);
    let per_round = SqliteStore::INDEX_ROWS;
    for round in 0..4 {
        sqlite_took += batch_rows(&sqlite, per_round, 2 * round);
        postgres_took += batch_rows(&postgres, per_round, 2 * round + 1);
    }
    let written = (per_round * 4) as f64;
    let rate = |took: Duration| written / took.as_secs_f64();

    println!();
    println!("{rows} rows, the same in each store");
    println!(
        "  first frame: SQLite {} · PostgreSQL {} ({:.1}x)",
        ms(first_sqlite),
        ms(first_postgres),
        first_postgres.as_secs_f64() / first_sqlite.as_secs_f64()
    );
    println!(
        "  batch rows written: SQLite {:.0}/s · PostgreSQL {:.0}/s ({:.2}x the time)",
        rate(sqlite_took),
        rate(postgres_took),
        postgres_took.as_secs_f64() / sqlite_took.as_secs_f64()
    );
}
