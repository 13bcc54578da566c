//! Console start-up, scrolling and rendering cost with 10 and 100,000 rows of history:
//! the pane reads a window at a time, so both should cost about the same.
//!
//! Run with `cargo bench --bench history`. Rows are created once per run in a temporary
//! SQLite file (100,000 take several seconds to write).

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Instant;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use kyc_console::api::{Attempt, AttemptResult, CapturedResponse, RateLimit, RequestRecord};
use kyc_console::domain::{KycType, OutcomeKind, UserId};
use kyc_console::history::{HistoryFilter, HistoryStore, NewSubmission, SqliteStore};
use kyc_console::tui::message::{Effect, Msg};
use kyc_console::tui::state::{Focus, PathsInfo, State, TargetInfo};
use kyc_console::tui::{action::Action, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn populate(store: &SqliteStore, rows: usize) {
    let now = Utc::now();
    let new: Vec<NewSubmission> = (0..rows)
        .map(|i| {
            let user_id = UserId::random().to_string();
            let key = uuid::Uuid::new_v4().to_string();
            NewSubmission {
                created_at: now,
                operator: "bench".into(),
                profile: "sandbox".into(),
                base_url: "http://127.0.0.1:1/v1".into(),
                target: "embedded sandbox".into(),
                key_env: None,
                user_id: user_id.clone(),
                kyc_type: KycType::ALL[i % 4],
                redirect_uri: None,
                idempotency_key: key.clone(),
                request: RequestRecord {
                    method: "POST".into(),
                    url: "http://127.0.0.1:1/v1/kycs".into(),
                    headers: vec![("x-idempotency-key".into(), key)],
                    body: format!(r#"{{"type":"full","userId":"{user_id}"}}"#),
                },
                resend_of: None,
                batch_id: None,
                batch_line: None,
            }
        })
        .collect();
    let ids = store.create_many(&new).expect("create");
    for (i, id) in ids.into_iter().enumerate() {
        // A sample of finished rows is enough to exercise the outcome columns.
        if i % 50 == 0 {
            let status = if i % 100 == 0 { 201 } else { 503 };
            let attempt = Attempt {
                number: 1,
                started_at: now,
                latency: std::time::Duration::from_millis(12),
                result: AttemptResult::Response(CapturedResponse {
                    status,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: br#"{"id":"kyc-1","status":"pending","url":"https://x.example/v"}"#
                        .to_vec(),
                    body_truncated: false,
                    request_id: Some(format!("req_{i}")),
                    rate_limit: RateLimit::default(),
                    read_fields: Default::default(),
                }),
                retry: None,
                stop: None,
            };
            store.record_attempt(id, &attempt).expect("attempt");
            store
                .finish(id, OutcomeKind::from_status(status))
                .expect("finish");
        }
    }
}

fn target() -> TargetInfo {
    TargetInfo {
        profile: "sandbox".into(),
        base_url: "http://127.0.0.1:1/v1".into(),
        endpoint: "POST http://127.0.0.1:1/v1/kycs".into(),
        production: false,
        operator: "bench".into(),
        max_retries: 3,
    }
}

/// Plays history loads synchronously, as the loop's effects would.
fn play(state: &mut State, store: &SqliteStore, effects: Vec<Effect>) {
    for effect in effects {
        if let Effect::LoadHistory {
            filter,
            offset,
            limit,
            count_cap,
            generation,
        } = effect
        {
            let count = store.count_upto(&filter, count_cap).expect("count");
            let rows = store.window(&filter, offset, limit).expect("window");
            let more = update::apply(
                state,
                Msg::HistoryLoaded {
                    generation,
                    total: count.n,
                    more: count.more,
                    offset,
                    rows,
                },
            );
            play(state, store, more);
        }
    }
}

/// What the console does before its first frame: open the file, count, read a window, draw.
fn start_up(path: &std::path::Path, terminal: &mut Terminal<TestBackend>) -> State {
    let store = SqliteStore::open(path).expect("open");
    let mut state = State::new(target(), PathsInfo::default(), (120, 40), Instant::now());
    let load = update::reload(&mut state);
    play(&mut state, &store, vec![load]);
    terminal.draw(|f| view::render(f, &state)).expect("draw");
    state
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    for rows in [10usize, 100_000] {
        let path = dir.path().join(format!("history-{rows}.sqlite3"));
        let store = SqliteStore::open(&path).expect("open");
        let began = Instant::now();
        populate(&store, rows);
        eprintln!(
            "populated {rows} rows in {:.1} s",
            began.elapsed().as_secs_f64()
        );
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");

        c.bench_function(
            &format!("start-up (open, count, window, first frame) / {rows} rows"),
            |b| b.iter(|| black_box(start_up(&path, &mut terminal))),
        );

        let mut state = start_up(&path, &mut terminal);
        c.bench_function(&format!("render one frame / {rows} rows"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| view::render(f, black_box(&state)))
                    .expect("draw")
                    .area
            });
        });

        state.focus = Focus::History;
        c.bench_function(
            &format!("scroll: jump to oldest, load window, draw / {rows} rows"),
            |b| {
                b.iter(|| {
                    let effects = update::update(&mut state, Action::Bottom);
                    play(&mut state, &store, effects);
                    let effects = update::update(&mut state, Action::Top);
                    play(&mut state, &store, effects);
                    terminal
                        .draw(|f| view::render(f, &state))
                        .expect("draw")
                        .area
                });
            },
        );

        let filter = HistoryFilter {
            text: "req_5".into(),
            ..HistoryFilter::default()
        };
        c.bench_function(
            &format!("filter in SQL (count + window) / {rows} rows"),
            |b| {
                b.iter(|| {
                    let n = store.count(&filter).expect("count");
                    black_box((n, store.window(&filter, 0, 200).expect("window")))
                });
            },
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
