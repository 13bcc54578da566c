//! The console's history at 10, 100,000 and 1,000,000 rows of realistic history: every id
//! filled (user, idempotency key, request ids of every attempt, verification id and link of
//! every success), every outcome, retries, batches, three profiles and six operators, a year
//! of times. For each size it prints what an operator feels:
//!
//! - the first frame: open the file, count, read the newest window, draw;
//! - a search keystroke (the third character of `/`, then load and draw) for text that
//!   matches one row, a sixth of the rows (an operator), and every row (`usr`);
//! - jumping to the newest (`g`) and to the oldest (`G`) row, load and draw;
//! - counting every row and the errors, and `history --errors` (count and 50 rows);
//! - writing one batch row (claim, dispatch, attempt, outcome): with the search index and
//!   counts, with the counts only, and with neither (the cost before them).
//!
//! Run with `cargo bench --bench history` (`HISTORY_BENCH_MAX=100000` stops at that many
//! rows; `HISTORY_BENCH_KEEP=DIR` keeps the built histories there and copies them on later
//! runs). Each figure is the median of many runs; the file is built once per size and kept
//! in a temporary directory for the run. Not a test: it prints a table.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use crossterm::event::KeyCode;
use kyc_console::api::AttemptResult;
use kyc_console::history::{HistoryFilter, HistoryStore, SqliteStore};
use kyc_console::tui::action::Action;
use kyc_console::tui::state::Focus;
use kyc_console::tui::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [usize; 3] = [10, 100_000, 1_000_000];
/// What a batch row costs on copies of `path`: as the store writes (with the search index
/// and the counts), with the counts but no search index, and as it wrote before either
/// (no counts, no rows waiting to be indexed). Each round writes as many rows as are
/// indexed together to each copy, so every round counts the indexing in full, and the
/// copy written first turns with the rounds. The figure is the mean over the rounds, so
/// the index's occasional merges are counted at their share.
fn write_cost(path: &Path, dir: &Path) -> [Duration; 3] {
    const DROP_COUNTS: &str = "DROP TRIGGER submission_counts_insert;
        DROP TRIGGER submission_counts_update; DROP TRIGGER submission_counts_delete;";
    const DROP_SEARCH: &str = "DROP TRIGGER submission_search_insert;";
    let copy = |name: &str, drop: &str| {
        let copy = dir.join(name);
        std::fs::copy(path, &copy).unwrap();
        rusqlite::Connection::open(&copy)
            .unwrap()
            .execute_batch(drop)
            .unwrap();
        copy
    };
    let paths = [
        copy("both.sqlite3", ""),
        copy("counts.sqlite3", DROP_SEARCH),
        copy("neither.sqlite3", &format!("{DROP_COUNTS}{DROP_SEARCH}")),
    ];
    let stores = [
        SqliteStore::open(&paths[0]).unwrap(),
        SqliteStore::open_without_indexing(&paths[1]).unwrap(),
        SqliteStore::open_without_indexing(&paths[2]).unwrap(),
    ];
    let rows = SqliteStore::INDEX_ROWS;
    let mut took = [Duration::ZERO; 3];
    for round in 0..WRITE_ROUNDS {
        for turn in 0..3 {
            let k = (round + turn) % 3;
            took[k] += batch_rows(&stores[k], rows, 3 * round + k);
        }
    }
    drop(stores);
    for path in paths {
        std::fs::remove_file(path).unwrap();
    }
    let n = u32::try_from(rows * WRITE_ROUNDS).unwrap();
    took.map(|t| t / n)
}

/// Rounds of [`write_cost`].
const WRITE_ROUNDS: usize = 15;

/// How many finished rows wait to be indexed (a search reads them one by one).
fn waiting(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM submission_search_answering",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn main() {
    let max: usize = std::env::var("HISTORY_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    let dir = tempfile::tempdir().unwrap();
    // Built histories kept here are copied instead of built again (building a million
    // rows takes minutes).
    let keep = std::env::var_os("HISTORY_BENCH_KEEP").map(std::path::PathBuf::from);
    let mut lines = Vec::new();
    let mut first_frames = Vec::new();
    for rows in SIZES.into_iter().filter(|n| *n <= max) {
        let path = dir.path().join(format!("history-{rows}.sqlite3"));
        let began = Instant::now();
        let store = kept_or_built(&path, keep.as_deref(), rows);
        let size = std::fs::metadata(&path).unwrap().len();
        eprintln!(
            "built {rows} rows in {:.1} s ({:.0} MB)",
            began.elapsed().as_secs_f64(),
            size as f64 / 1e6
        );
        let mut out = vec![format!("{rows} rows ({:.0} MB)", size as f64 / 1e6)];
        if rows >= 100_000 {
            let [both, counts, neither] = write_cost(&path, dir.path());
            let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
            out.push(format!(
                "batch row {} with the search index and counts, {} with counts only, \
                 {} with neither: index {:.2}x, index and counts {:.2}x",
                ms(both),
                ms(counts),
                ms(neither),
                ratio(both, counts),
                ratio(both, neither),
            ));
        }
        // The worst case for a search: as many finished rows waiting to be indexed as
        // ever wait, each read one by one.
        batch_rows(&store, SqliteStore::INDEX_ROWS - 1, 99);
        out.push(format!("rows waiting to be indexed: {}", waiting(&path)));
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();

        let first = median(101, || {
            timed(|| {
                first_frame(
                    &|| Box::new(SqliteStore::open(&path).unwrap()),
                    &mut terminal,
                );
            })
        });
        first_frames.push(first);
        out.push(format!("first frame {}", ms(first)));

        // Searches: one row (a part of a request id), an operator's rows, every row.
        let middle = realistic(rows / 2);
        let rare = middle.attempts.first().and_then(|a| match &a.result {
            AttemptResult::Response(r) => r.request_id.clone(),
            AttemptResult::Failed { .. } => None,
        });
        let rare = rare.map_or_else(
            || middle.new.idempotency_key[..13].to_string(),
            |r| r[4..16].to_string(),
        );
        let mut state = first_frame(
            &|| Box::new(SqliteStore::open(&path).unwrap()),
            &mut terminal,
        );
        state.focus = Focus::History;
        for (label, needle) in [
            ("one row", rare.as_str()),
            ("a sixth", "oskar"),
            ("every row", "usr"),
        ] {
            let effects = key(&mut state, KeyCode::Char('/'));
            play(&mut state, &store, effects);
            for c in needle.chars().take(needle.chars().count() - 1) {
                let effects = key(&mut state, KeyCode::Char(c));
                play(&mut state, &store, effects);
            }
            let last = needle.chars().last().unwrap();
            let took = median(101, || {
                let took = timed(|| {
                    let effects = key(&mut state, KeyCode::Char(last));
                    play(&mut state, &store, effects);
                    draw(&mut terminal, &state);
                });
                let effects = key(&mut state, KeyCode::Backspace);
                play(&mut state, &store, effects);
                took
            });
            let effects = key(&mut state, KeyCode::Char(last));
            play(&mut state, &store, effects);
            let found = format!(
                "{}{}",
                state.history.total,
                if state.history.more { "+" } else { "" }
            );
            out.push(format!("search {label} (“{needle}”, {found}) {}", ms(took)));
            let effects = key(&mut state, KeyCode::Esc);
            play(&mut state, &store, effects);
        }

        // Jumps: to the newest from the oldest, and back.
        let mut jump = |to: Action, back: Action| {
            median(101, || {
                let took = timed(|| {
                    let effects = update::update(&mut state, to);
                    play(&mut state, &store, effects);
                    draw(&mut terminal, &state);
                });
                let effects = update::update(&mut state, back);
                play(&mut state, &store, effects);
                took
            })
        };
        let newest = jump(Action::Top, Action::Bottom);
        let oldest = jump(Action::Bottom, Action::Top);
        out.push(format!(
            "newest {} · oldest {} ({:.2}x)",
            ms(newest),
            ms(oldest),
            oldest.as_secs_f64() / newest.as_secs_f64()
        ));

        let all = HistoryFilter::default();
        let errors = HistoryFilter {
            errors_only: true,
            ..HistoryFilter::default()
        };
        let count_all = median(1001, || {
            timed(|| {
                std::hint::black_box(store.count(&all).unwrap());
            })
        });
        let count_errors = median(1001, || {
            timed(|| {
                std::hint::black_box(store.count(&errors).unwrap());
            })
        });
        let errors_cli = median(101, || {
            timed(|| {
                std::hint::black_box(store.count(&errors).unwrap());
                std::hint::black_box(store.window(&errors, 0, 50).unwrap());
            })
        });
        out.push(format!(
            "count all {} · count errors {} · history --errors {}",
            ms(count_all),
            ms(count_errors),
            ms(errors_cli)
        ));

        eprintln!("{}", out.join("\n  "));
        lines.push(out.join("\n  "));
    }
    println!();
    for line in &lines {
        println!("{line}");
    }
    if let (Some(small), Some(large)) = (first_frames.first(), first_frames.last()) {
        println!(
            "first frame, largest vs 10 rows: {:.2}x",
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
}
