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
//! - writing one batch row (claim, dispatch, attempt, outcome), with the search index and
//!   counts, and with their triggers dropped (the cost before them).
//!
//! Run with `cargo bench --bench history` (`HISTORY_BENCH_MAX=100000` stops at that many
//! rows; `HISTORY_BENCH_KEEP=DIR` keeps the built histories there and copies them on later
//! runs). Each figure is the median of many runs; the file is built once per size and kept
//! in a temporary directory for the run. Not a test: it prints a table.

// A benchmark stops at the first broken fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use kyc_console::api::{
    Attempt, AttemptResult, CapturedResponse, RateLimit, RequestRecord, RetryPlan,
};
use kyc_console::domain::{FailureKind, KycType, OutcomeKind};
use kyc_console::history::{
    HistoryFilter, HistoryStore, NewBatch, NewSubmission, SqliteStore, Submission,
};
use kyc_console::tui::message::{Effect, Msg};
use kyc_console::tui::state::{Focus, PathsInfo, State, TargetInfo};
use kyc_console::tui::{action::Action, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [usize; 3] = [10, 100_000, 1_000_000];
const PROFILES: [&str; 3] = ["sandbox", "staging", "production"];
const OPERATORS: [&str; 6] = ["marta", "ines", "joao", "farid", "li", "oskar"];
const TARGETS: [&str; 3] = [
    "embedded sandbox",
    "POST https://staging.cards.example/v1/kycs",
    "POST https://api.cards.example/v1/kycs",
];

/// A reproducible stream of 64-bit values (splitmix64), so every run builds the same rows.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A v4 UUID drawn from `seed`.
fn uuid(seed: u64) -> String {
    let bytes: Vec<u8> = [mix(seed), mix(seed ^ 0x5555)]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    uuid::Builder::from_random_bytes(bytes.try_into().unwrap())
        .into_uuid()
        .to_string()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 1, 8, 0, 0).unwrap()
}

fn response(status: u16, request_id: String, body: String, at: DateTime<Utc>) -> AttemptResult {
    AttemptResult::Response(CapturedResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-request-id".into(), request_id.clone()),
            ("x-ratelimit-limit".into(), "120".into()),
            ("x-ratelimit-remaining".into(), "87".into()),
            ("date".into(), at.to_rfc2822()),
        ],
        body: body.into_bytes(),
        body_truncated: false,
        request_id: Some(request_id),
        rate_limit: RateLimit {
            limit: Some(120),
            remaining: Some(87),
            reset_secs: Some(31),
            retry_after_secs: None,
        },
        read_fields: Default::default(),
    })
}

/// Row `i`: 70% initiated (some after a 503), 8% rejected, 4% server errors, 8% transient
/// after three tries, 5% unknown, 3% not sent, 2% never finished; a third in batches.
fn realistic(i: usize) -> Submission {
    let seed = i as u64;
    let r = mix(seed);
    let created_at = start() + chrono::Duration::seconds(i as i64 * 30);
    let user_id = format!("usr-{}", uuid(seed ^ 0xA1));
    let idempotency_key = uuid(seed ^ 0xB2);
    let kyc_type = KycType::ALL[(r % 4) as usize];
    let which = (r >> 8) % 10;
    let profile = PROFILES[usize::from(which >= 5) + usize::from(which >= 8)];
    let target = TARGETS[PROFILES.iter().position(|p| *p == profile).unwrap()];
    let base_url = match profile {
        "sandbox" => "http://127.0.0.1:43117/v1",
        "staging" => "https://staging.cards.example/v1",
        _ => "https://api.cards.example/v1",
    };
    let batch = (i / 100)
        .is_multiple_of(3)
        .then(|| (format!("batch-{}", i / 100), (i % 100) as u32 + 2));
    let redirect_uri = (r >> 16)
        .is_multiple_of(5)
        .then(|| format!("https://app.example.com/kyc/done?ref={i}"));
    let body = match &redirect_uri {
        Some(uri) => format!(
            r#"{{"userId":"{user_id}","type":"{}","redirectUri":"{uri}"}}"#,
            kyc_type.as_str()
        ),
        None => format!(r#"{{"userId":"{user_id}","type":"{}"}}"#, kyc_type.as_str()),
    };
    let request_id = |n: u64| format!("req_{}", uuid(seed ^ (n << 40)).replace('-', ""));
    let at = |n: i64| created_at + chrono::Duration::milliseconds(n * 1_250);
    let lat = |n: u64| Duration::from_millis(40 + (r >> (20 + n)) % 300);
    let attempt = |n: u32, result, retry: Option<RetryPlan>| Attempt {
        number: n,
        started_at: at(i64::from(n) - 1),
        latency: lat(u64::from(n)),
        result,
        retry,
        stop: None,
    };
    let retry = || {
        Some(RetryPlan {
            wait: Duration::from_millis(1_000),
            reason: "503 Service Unavailable, Retry-After 1 s".into(),
        })
    };
    let error = |status: u16, code: &str| {
        format!(
            r#"{{"error":{{"code":"{code}","message":"see the documentation","status":{status}}}}}"#
        )
    };
    let kyc_id = format!("kyc-{}", uuid(seed ^ 0xC3));
    let success = format!(
        r#"{{"id":"{kyc_id}","status":"pending","type":"{}","url":"https://kyc.cards.example/v/{}"}}"#,
        kyc_type.as_str(),
        &kyc_id[4..16]
    );
    let pct = (r >> 32) % 100;
    let (attempts, outcome, dispatched) = match pct {
        0..=59 => (
            vec![attempt(
                1,
                response(201, request_id(1), success, at(0)),
                None,
            )],
            Some(OutcomeKind::Initiated),
            true,
        ),
        60..=69 => (
            vec![
                attempt(
                    1,
                    response(503, request_id(1), error(503, "unavailable"), at(0)),
                    retry(),
                ),
                attempt(2, response(201, request_id(2), success, at(1)), None),
            ],
            Some(OutcomeKind::Initiated),
            true,
        ),
        70..=77 => {
            let (status, code) = [
                (400, "invalid_request"),
                (404, "user_not_found"),
                (409, "kyc_in_progress"),
                (422, "invalid_redirect_uri"),
            ][(pct % 4) as usize];
            (
                vec![attempt(
                    1,
                    response(status, request_id(1), error(status, code), at(0)),
                    None,
                )],
                Some(OutcomeKind::Rejected),
                true,
            )
        }
        78..=81 => (
            vec![attempt(
                1,
                response(500, request_id(1), error(500, "internal"), at(0)),
                None,
            )],
            Some(OutcomeKind::ServerError),
            true,
        ),
        82..=89 => (
            (1..=3)
                .map(|n| {
                    let status = [429, 502, 503, 504][((r >> n) % 4) as usize];
                    attempt(
                        n,
                        response(
                            status,
                            request_id(u64::from(n)),
                            error(status, "busy"),
                            at(i64::from(n)),
                        ),
                        (n < 3).then(|| retry().unwrap()),
                    )
                })
                .collect(),
            Some(OutcomeKind::Transient),
            true,
        ),
        90..=94 => (
            vec![attempt(
                1,
                AttemptResult::Failed {
                    failure: FailureKind::Timeout,
                    message: "no complete response within 30 s".into(),
                },
                None,
            )],
            Some(OutcomeKind::Unknown),
            true,
        ),
        95..=97 => (
            vec![attempt(
                1,
                AttemptResult::Failed {
                    failure: FailureKind::NotSent,
                    message: "connection refused".into(),
                },
                None,
            )],
            Some(OutcomeKind::NotSent),
            true,
        ),
        _ => (Vec::new(), None, pct == 98),
    };
    Submission {
        id: i as i64 + 1,
        new: NewSubmission {
            created_at,
            operator: OPERATORS[((r >> 48) % 6) as usize].into(),
            profile: profile.into(),
            base_url: base_url.into(),
            target: target.into(),
            key_env: None,
            user_id,
            kyc_type,
            redirect_uri,
            idempotency_key: idempotency_key.clone(),
            request: RequestRecord {
                method: "POST".into(),
                url: format!("{base_url}/kycs"),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("authorization".into(), "Bearer ••••••••".into()),
                    ("x-idempotency-key".into(), idempotency_key),
                ],
                body,
            },
            resend_of: None,
            batch_id: batch.as_ref().map(|(id, _)| id.clone()),
            batch_line: batch.map(|(_, line)| line),
        },
        attempts,
        outcome,
        dispatched_at: dispatched.then(|| created_at + chrono::Duration::milliseconds(3)),
    }
}

/// Builds a history of `rows` realistic rows, as recorded: a chunk at a time.
fn build(path: &Path, rows: usize) -> SqliteStore {
    let store = SqliteStore::open(path).unwrap();
    let mut i = 0;
    while i < rows {
        let end = (i + 20_000).min(rows);
        let chunk: Vec<Submission> = (i..end).map(realistic).collect();
        store.import(&chunk).unwrap();
        i = end;
    }
    store
}

fn target() -> TargetInfo {
    TargetInfo {
        profile: "sandbox".into(),
        base_url: "http://127.0.0.1:43117/v1".into(),
        endpoint: "POST http://127.0.0.1:43117/v1/kycs".into(),
        production: false,
        operator: "marta".into(),
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
            let (count, rows) = store.page(&filter, offset, limit, count_cap).unwrap();
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

fn draw(terminal: &mut Terminal<TestBackend>, state: &State) {
    terminal.draw(|f| view::render(f, state)).unwrap();
}

fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update::handle_event(state, &Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// What the console does before its first frame: open the file, count, read a window, draw.
fn first_frame(path: &Path, terminal: &mut Terminal<TestBackend>) -> State {
    let store = SqliteStore::open(path).unwrap();
    let mut state = State::new(target(), PathsInfo::default(), (120, 40), Instant::now());
    // Every profile, as `a` shows them.
    state.history.filter.profile = None;
    let load = update::reload(&mut state);
    play(&mut state, &store, vec![load]);
    draw(terminal, &state);
    state
}

/// The median of `runs` runs of `run`, each timing what it measures with [`timed`].
fn median(runs: usize, mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| run()).collect();
    times.sort_unstable();
    times[runs / 2]
}

fn timed(f: impl FnOnce()) -> Duration {
    let began = Instant::now();
    f();
    began.elapsed()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Writes `n` batch rows as a batch run does, returning the time they took.
fn batch_rows(store: &SqliteStore, n: usize, round: usize) -> Duration {
    let batch = NewBatch {
        id: format!("bench-{round}-{}", uuid::Uuid::new_v4()),
        created_at: Utc::now(),
        operator: "marta".into(),
        profile: "sandbox".into(),
        source: "pasted".into(),
    };
    let samples: Vec<Submission> = (0..n)
        .map(|k| {
            let mut s = realistic(50_000_000 + round * 10_000 + k);
            s.new.batch_id = Some(batch.id.clone());
            s.new.batch_line = Some(k as u32 + 2);
            s.new.profile = "sandbox".into();
            s.new.target = TARGETS[0].into();
            s
        })
        .collect();
    let rows: Vec<NewSubmission> = samples.iter().map(|s| s.new.clone()).collect();
    let began = Instant::now();
    let claims = store.create_batch(&batch, &rows).unwrap();
    for (claim, sample) in claims.into_iter().zip(&samples) {
        let id = claim.unwrap();
        store.mark_dispatched(id, Utc::now()).unwrap();
        for attempt in &sample.attempts {
            store.record_attempt(id, attempt).unwrap();
        }
        store
            .finish(id, sample.outcome.unwrap_or(OutcomeKind::Unknown))
            .unwrap();
    }
    began.elapsed()
}

/// What a batch row costs on copies of `path`, with the search index and without it (the
/// store as it wrote before the index: no counts, no rows waiting to be indexed): the mean
/// over rounds written in turn to each, six times as many rows as are indexed together, so
/// the indexing is counted in full.
fn write_cost(path: &Path, dir: &Path) -> (Duration, Duration) {
    let with_path = dir.join("with.sqlite3");
    let without_path = dir.join("without.sqlite3");
    std::fs::copy(path, &with_path).unwrap();
    std::fs::copy(path, &without_path).unwrap();
    let conn = rusqlite::Connection::open(&without_path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER submission_counts_insert; DROP TRIGGER submission_counts_update;
         DROP TRIGGER submission_counts_delete; DROP TRIGGER submission_search_insert;",
    )
    .unwrap();
    drop(conn);
    let with = SqliteStore::open(&with_path).unwrap();
    let without = SqliteStore::open_without_indexing(&without_path).unwrap();
    let rows = SqliteStore::INDEX_ROWS;
    let (mut with_took, mut without_took) = (Duration::ZERO, Duration::ZERO);
    for round in 0..6 {
        without_took += batch_rows(&without, rows, 2 * round);
        with_took += batch_rows(&with, rows, 2 * round + 1);
    }
    drop((with, without));
    std::fs::remove_file(&with_path).unwrap();
    std::fs::remove_file(&without_path).unwrap();
    let n = u32::try_from(rows * 6).unwrap();
    (with_took / n, without_took / n)
}

/// How many finished rows wait to be indexed (a search reads them one by one).
fn waiting(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT count(*) FROM submission_search_pending", [], |r| {
            r.get(0)
        })
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
        let kept = keep
            .as_ref()
            .map(|k| k.join(format!("history-{rows}.sqlite3")));
        let store = match &kept {
            Some(kept) if kept.exists() => {
                std::fs::copy(kept, &path).unwrap();
                SqliteStore::open(&path).unwrap()
            }
            _ => {
                let store = build(&path, rows);
                if let Some(kept) = &kept {
                    std::fs::copy(&path, kept).unwrap();
                }
                store
            }
        };
        let size = std::fs::metadata(&path).unwrap().len();
        eprintln!(
            "built {rows} rows in {:.1} s ({:.0} MB)",
            began.elapsed().as_secs_f64(),
            size as f64 / 1e6
        );
        let mut out = vec![format!("{rows} rows ({:.0} MB)", size as f64 / 1e6)];
        if rows >= 100_000 {
            let (with, without) = write_cost(&path, dir.path());
            out.push(format!(
                "batch row {} with the index, {} without ({:.2}x)",
                ms(with),
                ms(without),
                with.as_secs_f64() / without.as_secs_f64()
            ));
        }
        // The worst case for a search: as many finished rows waiting to be indexed as
        // ever wait, each read one by one.
        batch_rows(&store, SqliteStore::INDEX_ROWS - 1, 99);
        out.push(format!("rows waiting to be indexed: {}", waiting(&path)));
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();

        let first = median(101, || {
            timed(|| {
                first_frame(&path, &mut terminal);
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
        let mut state = first_frame(&path, &mut terminal);
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
