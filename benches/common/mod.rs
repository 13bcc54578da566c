//! What the history benches share: realistic rows (every id filled, every outcome, retries,
//! batches, three profiles, six operators, a year of times), building a history of them,
//! and playing the console's loads and frames against any store.

#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use kyc_console::api::{
    Attempt, AttemptResult, CapturedResponse, RateLimit, RequestRecord, RetryPlan,
};
use kyc_console::domain::{FailureKind, KycType, OutcomeKind};
use kyc_console::history::{HistoryStore, NewBatch, NewSubmission, SqliteStore, Submission};
use kyc_console::tui::message::{Effect, Msg};
use kyc_console::tui::state::{PathsInfo, State, TargetInfo};
use kyc_console::tui::{update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub const PROFILES: [&str; 3] = ["sandbox", "staging", "production"];
pub const OPERATORS: [&str; 6] = ["marta", "ines", "joao", "farid", "li", "oskar"];
pub const TARGETS: [&str; 3] = [
    "embedded sandbox",
    "POST https://staging.cards.example/v1/kycs",
    "POST https://api.cards.example/v1/kycs",
];

/// A reproducible stream of 64-bit values (splitmix64), so every run builds the same rows.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A v4 UUID drawn from `seed`.
pub fn uuid(seed: u64) -> String {
    let bytes: Vec<u8> = [mix(seed), mix(seed ^ 0x5555)]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    uuid::Builder::from_random_bytes(bytes.try_into().unwrap())
        .into_uuid()
        .to_string()
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 1, 8, 0, 0).unwrap()
}

pub fn response(status: u16, request_id: String, body: String, at: DateTime<Utc>) -> AttemptResult {
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
pub fn realistic(i: usize) -> Submission {
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
/// Copies a built history to `kept`, its write-ahead log folded in first (a copy of the
/// main file alone would miss the rows still in the log).
pub fn keep_copy(path: &Path, kept: &Path) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    std::fs::copy(path, kept).unwrap();
}

/// A history of `rows` rows at `path`: copied from `keep` (`HISTORY_BENCH_KEEP`) when a
/// built one is kept there, else built (a million rows take minutes) and kept there.
pub fn kept_or_built(path: &Path, keep: Option<&Path>, rows: usize) -> SqliteStore {
    let kept = keep.map(|k| k.join(format!("history-{rows}.sqlite3")));
    match &kept {
        Some(kept) if kept.exists() => {
            std::fs::copy(kept, path).unwrap();
            SqliteStore::open(path).unwrap()
        }
        _ => {
            let store = build(path, rows);
            if let Some(kept) = &kept {
                keep_copy(path, kept);
            }
            store
        }
    }
}

pub fn build(path: &Path, rows: usize) -> SqliteStore {
    let store = SqliteStore::open(path).unwrap();
    fill(&store, rows);
    store
}

/// Adds `rows` realistic rows to `store`, as recorded: a chunk at a time.
pub fn fill(store: &dyn HistoryStore, rows: usize) {
    let mut i = 0;
    while i < rows {
        let end = (i + 20_000).min(rows);
        let chunk: Vec<Submission> = (i..end).map(realistic).collect();
        let mut batches: Vec<NewBatch> = Vec::new();
        for s in &chunk {
            if let Some(id) = &s.new.batch_id
                && batches.last().is_none_or(|b| &b.id != id)
            {
                batches.push(NewBatch {
                    id: id.clone(),
                    created_at: s.new.created_at,
                    operator: s.new.operator.clone(),
                    profile: s.new.profile.clone(),
                    source: format!("{id}.csv"),
                });
            }
        }
        store.import(&batches, &chunk).unwrap();
        i = end;
    }
}

pub fn target() -> TargetInfo {
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
pub fn play(state: &mut State, store: &dyn HistoryStore, effects: Vec<Effect>) {
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

pub fn draw(terminal: &mut Terminal<TestBackend>, state: &State) {
    terminal.draw(|f| view::render(f, state)).unwrap();
}

pub fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update::handle_event(state, &Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// What the console does before its first frame: open the store, count, read the rows on
/// screen, draw.
pub fn first_frame(
    open: &dyn Fn() -> Box<dyn HistoryStore>,
    terminal: &mut Terminal<TestBackend>,
) -> State {
    let store = open();
    let mut state = State::new(target(), PathsInfo::default(), (120, 40), Instant::now());
    // Every profile, as `a` shows them.
    state.history.filter.profile = None;
    let load = update::reload(&mut state);
    play(&mut state, store.as_ref(), vec![load]);
    draw(terminal, &state);
    state
}

/// The median of `runs` runs of `run`, each timing what it measures with [`timed`].
pub fn median(runs: usize, mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| run()).collect();
    times.sort_unstable();
    times[runs / 2]
}

pub fn timed(f: impl FnOnce()) -> Duration {
    let began = Instant::now();
    f();
    began.elapsed()
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Writes `n` batch rows as a batch run does, returning the time they took.
pub fn batch_rows(store: &dyn HistoryStore, n: usize, round: usize) -> Duration {
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
