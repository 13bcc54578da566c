//! The figures over the rows in view (the console's `s`, `history --stats`) at 10, 100,000
//! and 1,000,000 rows of realistic history (the history bench's: every id filled, every
//! outcome, retries, batches, three profiles, three targets, six operators, a year of
//! times). For each size it prints how long the store takes to count them for every row,
//! errors only, one operator's rows (a search matching a sixth) and one user's, and how
//! long the console takes from `s` to the drawn view over every row.
//!
//! Run with `cargo bench --bench stats` (`HISTORY_BENCH_MAX` and `HISTORY_BENCH_KEEP` as
//! for the history bench, whose built histories it shares). Each figure is the median of
//! several runs. Not a test: it prints a table.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use crossterm::event::KeyCode;
use kyc_console::history::{HistoryFilter, HistoryStore};
use kyc_console::tui::message::{Effect, Msg};
use kyc_console::tui::state::{Focus, PathsInfo, State};
use kyc_console::tui::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [usize; 3] = [10, 100_000, 1_000_000];

/// Runs per figure: fewer where one run takes seconds.
fn runs(rows: usize) -> usize {
    if rows >= 1_000_000 { 3 } else { 7 }
}

/// From `s` on the history pane to the figures drawn, every profile's rows in view.
fn console_stats(store: &dyn HistoryStore, terminal: &mut Terminal<TestBackend>) -> Duration {
    let mut state = State::new(target(), PathsInfo::default(), (120, 40), Instant::now());
    state.history.filter.profile = None;
    let load = update::reload(&mut state);
    play(&mut state, store, vec![load]);
    state.focus = Focus::History;
    timed(|| {
        for effect in key(&mut state, KeyCode::Char('s')) {
            if let Effect::LoadStats { filter, generation } = effect {
                let stats = store
                    .stats(&filter)
                    .map(Box::new)
                    .map_err(|e| e.to_string());
                update::apply(
                    &mut state,
                    Msg::StatsLoaded {
                        filter,
                        generation,
                        stats,
                    },
                );
            }
        }
        draw(terminal, &state);
    })
}

fn main() {
    let max: usize = std::env::var("HISTORY_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    let keep = std::env::var_os("HISTORY_BENCH_KEEP").map(std::path::PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    println!(
        "{:<12} {:>12} {:>12} {:>12} {:>12} {:>14}",
        "rows", "every row", "errors", "operator", "one user", "console `s`"
    );
    for rows in SIZES.into_iter().filter(|n| *n <= max) {
        let path = dir.path().join(format!("history-{rows}.sqlite3"));
        let store = kept_or_built(&path, keep.as_deref(), rows);
        let user = store
            .window(&HistoryFilter::default(), rows / 2, 1)
            .unwrap()[0]
            .user_id
            .clone();
        let filters = [
            HistoryFilter::default(),
            HistoryFilter {
                errors_only: true,
                ..HistoryFilter::default()
            },
            HistoryFilter {
                text: OPERATORS[0].into(),
                ..HistoryFilter::default()
            },
            HistoryFilter {
                text: user,
                ..HistoryFilter::default()
            },
        ];
        let figures: Vec<String> = filters
            .iter()
            .map(|f| {
                let counted = store.stats(f).unwrap().rows;
                assert!(counted > 0, "{f:?} counts rows");
                ms(median(runs(rows), || {
                    timed(|| {
                        store.stats(f).unwrap();
                    })
                }))
            })
            .collect();
        let console = median(runs(rows), || console_stats(&store, &mut terminal));
        println!(
            "{:<12} {:>12} {:>12} {:>12} {:>12} {:>14}",
            rows,
            figures[0],
            figures[1],
            figures[2],
            figures[3],
            ms(console)
        );
    }
}
