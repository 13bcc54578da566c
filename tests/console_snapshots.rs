//! Snapshots of the console's screens, at 120x40 and 80x24, rendered into ratatui's
//! `TestBackend`. States are built by hand and driven through the pure functions of
//! `tui::update` (keys, actions and the messages effects would send), with a
//! `MemoryStore` standing in for the effects that load history and details, so every row
//! on screen is a real row of a real store.
//!
//! Everything that depends on the clock, the time zone, the port or the version is
//! filtered out of the snapshots; everything else is fixed (ids, keys, timestamps).

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use insta::{assert_snapshot, with_settings};
use kyc_console::api::{
    Attempt, AttemptResult, CapturedResponse, KEY_MASK, RateLimit, RequestRecord, RetryPlan,
    user_agent,
};
use kyc_console::domain::{
    FailureKind, FormField, InitiateRequest, KycType, OutcomeKind, RedirectUri, UserId,
};
use kyc_console::history::stats::HistoryStats;
use kyc_console::history::{
    HistoryFilter, HistoryStore, MemoryStore, NewBatch, NewSubmission, SubmissionId,
};
use kyc_console::tui::action::Action;
use kyc_console::tui::app::buffer_text;
use kyc_console::tui::layout::ScreenLayout;
use kyc_console::tui::message::{Effect, Msg};
use kyc_console::tui::state::{
    Confirm, Focus, Overlay, PathsInfo, ProfileChoice, State, TargetInfo,
};
use kyc_console::tui::theme::Theme;
use kyc_console::tui::{update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Color;

/// The two sizes every screen is checked at: comfortable, and the smallest supported.
const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

/// Well-formed v4 user ids. None contains "50", which the filter case searches for.
const USER_A: &str = "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6";
const USER_B: &str = "usr-9c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f";
const USER_C: &str = "usr-7e8f9a0b-1c2d-4e3f-a4b5-c6d7e8f9a0b1";
const USER_D: &str = "usr-0a1b2c3d-4e5f-4a6b-b7c8-d9e0f1a2b3c4";
const USER_E: &str = "usr-5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a";
const USER_F: &str = "usr-e4f5a6b7-c8d9-4e0f-9a1b-2c3d4e5f6a7b";

const SANDBOX_URL: &str = "http://127.0.0.1:43117";
const PRODUCTION_URL: &str = "https://api.kulipa.xyz";

// ---------------------------------------------------------------------------------------
// Fixed values.

fn sandbox_target() -> TargetInfo {
    TargetInfo {
        profile: "sandbox".to_string(),
        base_url: SANDBOX_URL.to_string(),
        endpoint: format!("POST {SANDBOX_URL}/kycs"),
        production: false,
        operator: "alice".to_string(),
        max_retries: 3,
    }
}

fn production_target() -> TargetInfo {
    TargetInfo {
        profile: "production".to_string(),
        base_url: PRODUCTION_URL.to_string(),
        endpoint: format!("POST {PRODUCTION_URL}/kycs"),
        production: true,
        operator: "alice".to_string(),
        max_retries: 3,
    }
}

fn paths() -> PathsInfo {
    PathsInfo {
        config: "/home/alice/.config/kyc-console/config.toml".to_string(),
        config_exists: false,
        data: "/home/alice/.local/share/kyc-console".to_string(),
        log: "/home/alice/.local/state/kyc-console/logs".to_string(),
    }
}

/// 2026-11-27 09:30:00 UTC plus `secs`.
fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 30, 0).unwrap() + chrono::Duration::seconds(secs)
}

/// A fixed idempotency key (UUID-shaped) for the n-th submission of a test.
fn idempotency_key(n: u32) -> String {
    format!("5e0c7a2b-1f3d-4c8e-9a6b-{n:012}")
}

fn request(user_id: &str, kyc_type: KycType, redirect: Option<&str>) -> InitiateRequest {
    InitiateRequest {
        user_id: UserId::parse(user_id).expect("valid user id").0,
        kyc_type,
        redirect_uri: redirect.map(|r| {
            RedirectUri::parse_optional(r)
                .expect("valid redirect")
                .expect("present")
                .0
        }),
    }
}

/// The identity every submission of these screens is recorded under.
const TARGET_IDENTITY: &str = "embedded sandbox";

/// What the effects record before anything is sent, as `ApiClient::describe` builds it.
fn new_submission(
    target: &TargetInfo,
    n: u32,
    request: &InitiateRequest,
    resend_of: Option<SubmissionId>,
) -> NewSubmission {
    let key = idempotency_key(n);
    NewSubmission {
        created_at: at(i64::from(n) * 47),
        operator: target.operator.clone(),
        profile: target.profile.clone(),
        base_url: format!("{}/", target.base_url),
        target: TARGET_IDENTITY.to_string(),
        key_env: None,
        user_id: request.user_id.to_string(),
        kyc_type: request.kyc_type,
        redirect_uri: request
            .redirect_uri
            .as_ref()
            .map(|u| u.as_str().to_string()),
        batch_id: None,
        batch_line: None,
        idempotency_key: key.clone(),
        request: RequestRecord {
            method: "POST".to_string(),
            url: format!("{}/kycs", target.base_url),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("accept".into(), "application/json".into()),
                ("user-agent".into(), user_agent()),
                ("x-api-key".into(), KEY_MASK.into()),
                ("x-idempotency-key".into(), key),
            ],
            body: String::from_utf8(request.body_bytes()).expect("utf-8"),
        },
        resend_of,
    }
}

/// A response as `capture` builds it: headers as sent, request id and rate limit read from them.
fn response(status: u16, content_type: &str, body: &str, request_id: &str) -> CapturedResponse {
    response_with(status, content_type, body, request_id, &[])
}

fn response_with(
    status: u16,
    content_type: &str,
    body: &str,
    request_id: &str,
    extra: &[(&str, &str)],
) -> CapturedResponse {
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), content_type.into()),
        ("x-request-id".into(), request_id.into()),
        ("x-ratelimit-limit".into(), "60".into()),
        ("x-ratelimit-remaining".into(), "57".into()),
        ("x-ratelimit-reset".into(), "42".into()),
    ];
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let retry_after = extra
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.parse().ok());
    CapturedResponse {
        status,
        headers,
        body: body.as_bytes().to_vec(),
        body_truncated: false,
        request_id: Some(request_id.to_string()),
        rate_limit: RateLimit {
            limit: Some(60),
            remaining: Some(57),
            reset_secs: Some(42),
            retry_after_secs: retry_after,
        },
        read_fields: Default::default(),
    }
}

fn attempt(
    number: u32,
    started_at: DateTime<Utc>,
    latency_ms: u64,
    result: AttemptResult,
    retry: Option<RetryPlan>,
) -> Attempt {
    Attempt {
        number,
        started_at,
        latency: Duration::from_millis(latency_ms),
        result,
        retry,
        stop: None,
    }
}

fn retry(wait_ms: u64, reason: &str) -> Option<RetryPlan> {
    Some(RetryPlan {
        wait: Duration::from_millis(wait_ms),
        reason: reason.to_string(),
    })
}

fn created_201(n: u32) -> AttemptResult {
    AttemptResult::Response(response(
        201,
        "application/json",
        &format!(
            r#"{{"id":"kyc-8d2f61c4-3b7a-4e95-a0c1-5f9e2d7b{n:04}","status":"pending","url":"https://kyc.sandbox.example/v/8d2f61c4{n:04}"}}"#
        ),
        &format!("req_test{n}"),
    ))
}

fn rejected_400(n: u32) -> AttemptResult {
    AttemptResult::Response(response(
        400,
        "application/problem+json",
        r##"{"type":"https://docs.example/problems/validation","title":"Invalid request","status":400,"detail":"userId does not name a user of this program","errors":[{"pointer":"#/userId","detail":"no user with this id in this program"}]}"##,
        &format!("req_test{n}"),
    ))
}

fn server_error_500(n: u32) -> AttemptResult {
    AttemptResult::Response(response(
        500,
        "application/json",
        r#"{"error":{"code":"internal_error","message":"unexpected failure while creating the verification"}}"#,
        &format!("req_test{n}"),
    ))
}

fn unavailable_503(request_id: &str) -> AttemptResult {
    AttemptResult::Response(response_with(
        503,
        "application/json",
        r#"{"error":{"code":"service_unavailable","message":"maintenance in progress"}}"#,
        request_id,
        &[("retry-after", "2")],
    ))
}

fn timed_out() -> AttemptResult {
    AttemptResult::Failed {
        failure: FailureKind::Timeout,
        message: "no complete response within 30 s".to_string(),
    }
}

/// Four 503s: three retries after Retry-After 2 s, then the client gives up.
fn four_503s(n: u32, start: DateTime<Utc>) -> Vec<Attempt> {
    (1..=4)
        .map(|i| {
            let plan = if i < 4 {
                retry(2000, "503 Service Unavailable, Retry-After 2 s")
            } else {
                None
            };
            attempt(
                i,
                start + chrono::Duration::milliseconds(i64::from(i - 1) * 2040),
                40,
                unavailable_503(&format!("req_test{n}_{i}")),
                plan,
            )
        })
        .collect()
}

fn refused() -> AttemptResult {
    AttemptResult::Failed {
        failure: FailureKind::NotSent,
        message: "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)".to_string(),
    }
}

/// Four refused connections with backoff between them: nothing ever left.
fn four_refusals(start: DateTime<Utc>) -> Vec<Attempt> {
    let waits = [400, 900, 1700];
    let mut started = start;
    (1..=4)
        .map(|i| {
            let wait = waits.get(usize::try_from(i - 1).unwrap()).copied();
            let a = attempt(
                i,
                started,
                1,
                refused(),
                wait.and_then(|w| retry(w, "could not connect, backoff")),
            );
            started +=
                chrono::Duration::milliseconds(1 + i64::try_from(wait.unwrap_or(0)).unwrap());
            a
        })
        .collect()
}

/// Four timeouts of 30 s with backoff between them.
fn four_timeouts(start: DateTime<Utc>) -> Vec<Attempt> {
    let waits = [400, 900, 1700];
    let mut started = start;
    (1..=4)
        .map(|i| {
            let wait = waits.get(usize::try_from(i - 1).unwrap()).copied();
            let a = attempt(
                i,
                started,
                30_000,
                timed_out(),
                wait.and_then(|w| retry(w, "timed out, backoff")),
            );
            started +=
                chrono::Duration::milliseconds(30_000 + i64::try_from(wait.unwrap_or(0)).unwrap());
            a
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The console under test: a state, a store, and the loop's effects played by hand.

struct Console {
    state: State,
    store: MemoryStore,
    /// `Effect::Submit`s the loop would have started, oldest first.
    submits: VecDeque<(InitiateRequest, Option<SubmissionId>)>,
    /// Submissions recorded so far (numbers keys and timestamps).
    recorded: u32,
}

impl Console {
    fn new(target: TargetInfo, size: (u16, u16)) -> Console {
        let mut console = Console {
            state: State::new(target, paths(), size, Instant::now()),
            store: MemoryStore::new(),
            submits: VecDeque::new(),
            recorded: 0,
        };
        console.open();
        console
    }

    fn sandbox(size: (u16, u16)) -> Console {
        Console::new(sandbox_target(), size)
    }

    /// What `app::run` does first: ask for the history window.
    fn open(&mut self) {
        let load = update::reload(&mut self.state);
        self.run(vec![load]);
    }

    /// Plays effects as the loop would, synchronously: history and detail loads read the
    /// store; submissions wait in `submits` for the test to record them; the rest (toast
    /// timers, clipboard, cancel) do nothing here.
    fn run(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            let more = match effect {
                Effect::LoadHistory {
                    filter,
                    offset,
                    limit,
                    count_cap,
                    generation,
                } => {
                    let (count, rows) = self
                        .store
                        .page(&filter, offset, limit, count_cap)
                        .expect("page");
                    update::apply(
                        &mut self.state,
                        Msg::HistoryLoaded {
                            generation,
                            total: count.n,
                            more: count.more,
                            offset,
                            rows,
                        },
                    )
                }
                Effect::LoadStats { filter, generation } => {
                    let stats = self
                        .store
                        .stats(&filter)
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    update::apply(
                        &mut self.state,
                        Msg::StatsLoaded {
                            filter,
                            generation,
                            stats,
                        },
                    )
                }
                Effect::LoadDetail(id) => {
                    let submission = self.store.get(id).expect("stored submission");
                    update::apply(&mut self.state, Msg::DetailLoaded(Box::new(submission)))
                }
                Effect::Submit {
                    request, resend_of, ..
                } => {
                    self.submits.push_back((request, resend_of));
                    Vec::new()
                }
                Effect::Cancel(_)
                | Effect::Copy { .. }
                | Effect::ClearToastAfter(_)
                | Effect::Retry { .. }
                | Effect::Export { .. }
                | Effect::SwitchProfile(_)
                | Effect::BatchStart { .. }
                | Effect::BatchResume { .. }
                | Effect::BatchControl(_) => Vec::new(),
                Effect::BatchLoadUnfinished { .. } => {
                    let list = self.store.unfinished_batches("sandbox").expect("batches");
                    update::apply(&mut self.state, Msg::BatchUnfinished(list))
                }
                Effect::BatchLoadResume { batch_id } => {
                    let info = self.store.batch(&batch_id).expect("a recorded batch");
                    update::apply(&mut self.state, Msg::BatchResumeLoaded(Box::new(info)))
                }
                Effect::BatchPlan { text, defaults, .. } => {
                    let result = kyc_console::batch::read_input(text.as_bytes())
                        .map_err(|e| e.to_string())
                        .and_then(|rows| {
                            kyc_console::batch::plan(&rows, &defaults, &self.store, TARGET_IDENTITY)
                                .map_err(|e| e.to_string())
                        });
                    update::apply(
                        &mut self.state,
                        Msg::BatchPlanned {
                            source: "pasted".into(),
                            result,
                        },
                    )
                }
            };
            queue.extend(more);
        }
    }

    fn key(&mut self, code: KeyCode, mods: KeyModifiers) {
        let effects = update::handle_event(&mut self.state, &Event::Key(KeyEvent::new(code, mods)));
        self.run(effects);
    }

    fn press(&mut self, code: KeyCode) {
        self.key(code, KeyModifiers::NONE);
    }

    fn ctrl(&mut self, c: char) {
        self.key(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    fn action(&mut self, action: Action) {
        let effects = update::update(&mut self.state, action);
        self.run(effects);
    }

    fn msg(&mut self, msg: Msg) {
        let effects = update::apply(&mut self.state, msg);
        self.run(effects);
    }

    /// Fills the form as an operator would: the id, Tab, a type digit, Tab, the redirect.
    fn fill_form(&mut self, user_id: &str, type_key: char, redirect: &str) {
        self.type_text(user_id);
        self.press(KeyCode::Tab);
        self.press(KeyCode::Char(type_key));
        self.press(KeyCode::Tab);
        self.type_text(redirect);
    }

    /// The effects' write-ahead: records the oldest pending `Effect::Submit` in the store
    /// with a fixed key and timestamp, then reports `Created` and the first attempt's start.
    fn record_submit(&mut self) -> SubmissionId {
        let (request, resend_of) = self
            .submits
            .pop_front()
            .expect("a submission was asked for");
        self.recorded += 1;
        let new = new_submission(&self.state.target, self.recorded, &request, resend_of);
        self.create(new)
    }

    fn create(&mut self, new: NewSubmission) -> SubmissionId {
        let id = self.store.create(&new).expect("create");
        self.msg(Msg::Created {
            id,
            user_id: new.user_id.clone(),
            idempotency_key: new.idempotency_key.clone(),
        });
        self.msg(Msg::AttemptStarted { id, number: 1 });
        id
    }

    /// One attempt ends: recorded, reported, and the next one started if a retry is planned
    /// and `start_next` (false leaves the submission waiting for its retry).
    fn attempt(&mut self, id: SubmissionId, a: Attempt, start_next: bool) {
        self.store.record_attempt(id, &a).expect("record attempt");
        let next = a.retry.is_some().then_some(a.number + 1);
        self.msg(Msg::AttemptFinished {
            id,
            attempt: Box::new(a),
        });
        if let Some(number) = next.filter(|_| start_next) {
            self.msg(Msg::AttemptStarted { id, number });
        }
    }

    /// The client is done: the outcome is stored, then `Finished` arrives.
    fn finish(&mut self, id: SubmissionId) {
        let exchange = self.store.get(id).expect("stored").exchange();
        self.store.finish(id, exchange.outcome()).expect("finish");
        self.msg(Msg::Finished {
            id,
            exchange: Box::new(exchange),
        });
    }

    /// Every attempt, then the end.
    fn complete(&mut self, id: SubmissionId, attempts: Vec<Attempt>) {
        for a in attempts {
            self.attempt(id, a, true);
        }
        self.finish(id);
    }

    /// A submission sent earlier in the session (not through the form): the same
    /// messages the effects send, in the same order.
    fn background(
        &mut self,
        request: &InitiateRequest,
        attempts: impl FnOnce(u32) -> Vec<Attempt>,
    ) {
        self.recorded += 1;
        let n = self.recorded;
        let new = new_submission(&self.state.target, n, request, None);
        let id = self.create(new);
        self.complete(id, attempts(n));
    }

    fn buffer(&self) -> Buffer {
        render(&self.state)
    }

    fn snapshot(&self, name: &str) {
        let (w, h) = self.state.size;
        let text = buffer_text(&self.buffer());
        with_settings!({
            filters => filters(),
            omit_expression => true,
            description => format!("{name} at {w}x{h}"),
        }, {
            assert_snapshot!(format!("{name}_{w}x{h}"), text);
        });
    }
}

fn render(state: &State) -> Buffer {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| view::render(f, state)).expect("draw");
    terminal.backend().buffer().clone()
}

/// Clock, time zone, port and version out. Each placeholder is as wide as what it
/// replaces, so borders and table columns stay where the console drew them.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        // The detail view's local creation time: 2026-11-27 09:30:47 +00:00.
        (
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}( [+-]\d{2}:\d{2}| [A-Z]{2,5})?",
            "YYYY-MM-DD HH:MM:SS +ZZ:ZZ",
        ),
        // Attempt start times in the detail view, row times in the history pane.
        (r"\b\d{2}:\d{2}:\d{2}\.\d{3}\b", "HH:MM:SS.mmm"),
        (r"\b\d{2}:\d{2}:\d{2}\b", "HH:MM:SS"),
        // The stats view's minutes and hours.
        (r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b", "YYYY-MM-DD HH:MM"),
        (r"\b\d{2}:\d{2}\b", "HH:MM"),
        // The countdown to the next retry.
        (r"retry (\d+)/(\d+) in \d+\.\d s", "retry $1/$2 in N.N s"),
        // Durations as `format_duration` writes them.
        (r"\b\d{3}\.\d s\b", "NNN.N s"),
        (r"\b\d{2}\.\d s\b", "NN.N s"),
        (r"\b\d\.\d s\b", "N.N s"),
        (r"\b\d{3} ms\b", "NNN ms"),
        (r"\b\d{2} ms\b", "NN ms"),
        (r"\b\d ms\b", "N ms"),
        // The embedded sandbox's port, and the version in the user agent.
        (r"127\.0\.0\.1:\d+", "127.0.0.1:NNNNN"),
        (r"kyc-console/\d+\.\d+\.\d+", "kyc-console/X.Y.Z"),
    ]
}

/// Where `needle` starts inside `area`, cell by cell.
fn find(buffer: &Buffer, area: Rect, needle: &str) -> Option<(u16, u16)> {
    let chars: Vec<String> = needle.chars().map(String::from).collect();
    let width = u16::try_from(chars.len()).ok()?;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right().saturating_sub(width - 1) {
            let hit = chars
                .iter()
                .enumerate()
                .all(|(i, c)| buffer[(x + u16::try_from(i).unwrap(), y)].symbol() == c);
            if hit {
                return Some((x, y));
            }
        }
    }
    None
}

fn whole(buffer: &Buffer) -> Rect {
    buffer.area
}

/// Where the console put each part of the main screen for this state.
fn layout_of(c: &Console) -> ScreenLayout {
    let (w, h) = c.state.size;
    view::screen(&c.state, Rect::new(0, 0, w, h))
}

/// The text inside a bordered area, its lines joined with single spaces: a message that
/// wraps reads whole here, one that is cut does not.
fn joined(buffer: &Buffer, area: Rect) -> String {
    let mut lines = Vec::new();
    for y in area.top()..area.bottom() {
        let line: String = (area.left()..area.right())
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        lines.push(line.trim_matches(|c| c == '│' || c == ' ').to_string());
    }
    lines
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------
// Scenarios shared by snapshots and style checks.

/// A valid form: id typed, rfi picked with '3' on the picker, an https redirect.
fn fill_valid_form(console: &mut Console) {
    console.fill_form(USER_A, '3', "https://example.com/kyc/done");
}

/// A valid form sent and recorded; the first attempt is under way.
fn sent(size: (u16, u16)) -> (Console, SubmissionId) {
    let mut c = Console::sandbox(size);
    fill_valid_form(&mut c);
    c.ctrl('s');
    let id = c.record_submit();
    (c, id)
}

/// Six finished submissions, one of each kind and two successes, newest last.
fn mixed_history(size: (u16, u16)) -> Console {
    let mut c = Console::sandbox(size);
    let one = |n: u32, result: AttemptResult| {
        vec![attempt(
            1,
            at(i64::from(n) * 47),
            180 + u64::from(n) * 7,
            result,
            None,
        )]
    };
    c.background(&request(USER_B, KycType::Full, None), |n| {
        one(n, created_201(n))
    });
    c.background(&request(USER_C, KycType::Shipping, None), |n| {
        one(n, rejected_400(n))
    });
    c.background(&request(USER_D, KycType::Full, None), |n| {
        one(n, server_error_500(n))
    });
    c.background(&request(USER_E, KycType::Rfi, None), |n| {
        four_503s(n, at(i64::from(n) * 47))
    });
    c.background(&request(USER_F, KycType::Import, None), |n| {
        four_timeouts(at(i64::from(n) * 47))
    });
    c.background(
        &request(USER_A, KycType::Rfi, Some("https://example.com/kyc/done")),
        |n| one(n, created_201(n)),
    );
    c
}

// ---------------------------------------------------------------------------------------
// Snapshots.

#[test]
fn empty_console() {
    for size in SIZES {
        let c = Console::sandbox(size);
        assert!(c.state.history.loaded);
        assert_eq!(c.state.focus, Focus::UserId);
        c.snapshot("empty");
    }
}

#[test]
fn user_id_too_short() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.type_text("usr-123");
        c.snapshot("user_id_too_short");
    }
}

#[test]
fn user_id_with_a_non_hex_character() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        // The letter o typed for a zero.
        c.type_text("usr-3f0e8d4a-5b6c-4d7e-8fo0-a1b2c3d4e5f6");
        c.snapshot("user_id_not_hex");
    }
}

#[test]
fn redirect_uri_relative_is_refused_on_submit() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.fill_form(USER_A, '1', "/done");
        c.ctrl('s');
        assert!(c.submits.is_empty(), "nothing is sent");
        assert_eq!(c.state.focus, Focus::RedirectUri);
        assert!(c.state.toast.as_ref().is_some_and(|t| t.error));
        c.snapshot("redirect_relative");
    }
}

#[test]
fn redirect_uri_plain_http_warns() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.fill_form(USER_A, '1', "http://example.com");
        assert!(c.state.form.request().is_ok(), "a warning does not block");
        c.snapshot("redirect_plain_http");
    }
}

#[test]
fn valid_form() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        fill_valid_form(&mut c);
        assert_eq!(c.state.form.kyc_type, Some(KycType::Rfi));
        assert!(c.state.form.request().is_ok());
        c.snapshot("valid_form");
    }
}

#[test]
fn after_a_success_the_user_id_is_cleared() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 184, created_201(1), None)]);
        assert_eq!(
            c.state.form.user_id.value(),
            "",
            "cleared for the next paste"
        );
        assert_eq!(c.state.form.kyc_type, Some(KycType::Rfi), "type kept");
        assert_eq!(
            c.state.form.redirect_uri.value(),
            "https://example.com/kyc/done",
            "redirect kept"
        );
        assert_eq!(c.state.focus, Focus::UserId);
        c.snapshot("success");
    }
}

#[test]
fn rejected_names_the_field_at_the_form() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 96, rejected_400(1), None)]);
        assert_eq!(c.state.form.user_id.value(), USER_A, "kept for fixing");
        assert_eq!(
            c.state
                .form
                .server_errors
                .get(&FormField::UserId)
                .map(String::as_str),
            Some("no user with this id in this program")
        );
        // The API's reason reads whole at the field (it was cut at 120x40), wrapped.
        let form = joined(&c.buffer(), layout_of(&c).form);
        assert!(
            form.contains("✗ platform: no user with this id in this program"),
            "{size:?}: {form}"
        );
        c.snapshot("rejected_400");
    }
}

#[test]
fn server_error() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(
            id,
            vec![attempt(1, at(47), 1250, server_error_500(1), None)],
        );
        c.snapshot("server_error_500");
    }
}

#[test]
fn transient_waiting_for_a_retry() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        let first = four_503s(1, at(47)).remove(0);
        c.attempt(id, first, false);
        assert!(c.state.live[&id].retry_at.is_some());
        c.snapshot("transient_mid_retry");
    }
}

#[test]
fn transient_gives_up_after_four_attempts() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, four_503s(1, at(47)));
        assert!(c.state.live.is_empty());
        c.snapshot("transient_503_exhausted");
    }
}

#[test]
fn unknown_after_timeouts() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, four_timeouts(at(47)));
        c.snapshot("unknown_timeout");
    }
}

#[test]
fn not_sent_after_refused_connections() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, four_refusals(at(47)));
        assert_eq!(c.store.get(id).unwrap().outcome, Some(OutcomeKind::NotSent));
        c.snapshot("not_sent_refused");
        // Yellow like the other outcomes worth sending again, in the result and the row.
        let buffer = c.buffer();
        let pane = layout_of(&c).history;
        let (x, y) = find(&buffer, pane, "not sent, 4 tries").expect("the row");
        assert_eq!(buffer[(x, y)].fg, Color::Yellow, "{size:?}");
        let (x, y) = find(&buffer, whole(&buffer), "✗ not sent").expect("the result");
        assert_eq!(buffer[(x, y)].fg, Color::Yellow, "{size:?}");
    }
}

#[test]
fn detail_of_a_finished_submission() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(
            id,
            vec![
                attempt(
                    1,
                    at(47),
                    38,
                    unavailable_503("req_test1_1"),
                    retry(2000, "503 Service Unavailable, Retry-After 2 s"),
                ),
                attempt(
                    2,
                    at(47) + chrono::Duration::milliseconds(2038),
                    212,
                    created_201(1),
                    None,
                ),
            ],
        );
        // Shift-Tab from the user id reaches the history pane; Enter opens the row.
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(c.state.focus, Focus::History);
        c.press(KeyCode::Enter);
        assert!(matches!(c.state.overlay, Some(Overlay::Detail(_))));
        // 38 ms and 212 ms sending; the two seconds between were a wait, shown apart.
        let text = buffer_text(&c.buffer());
        assert!(
            text.contains("took 250 ms over 2 attempts, waited 2.0 s"),
            "{text}"
        );
        // Every key of the detail is in its footer, at 80x24 too (it stopped at `b body`).
        let footer = joined(&c.buffer(), layout_of(&c).footer);
        for item in [
            "c curl",
            "y link",
            "i req id",
            "b body",
            "r resend",
            "R retry same key",
            "l edit",
            "j/k scroll",
            "PgUp/PgDn page",
            "g/G top/end",
        ] {
            assert!(footer.contains(item), "{item} at {size:?}: {footer}");
        }
        c.snapshot("detail");
    }
}

#[test]
fn a_message_is_shown_above_the_keys_not_instead_of_them() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 38, created_201(1), None)]);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Enter);
        assert!(matches!(c.state.overlay, Some(Overlay::Detail(_))));
        // R on a final outcome is refused with a message.
        c.press(KeyCode::Char('R'));
        assert!(c.state.toast.as_ref().is_some_and(|t| t.error));
        let footer = joined(&c.buffer(), layout_of(&c).footer);
        assert!(
            footer.contains("it has a final outcome"),
            "{size:?}: {footer}"
        );
        for item in ["r resend", "R retry same key", "l edit", "g/G top/end"] {
            assert!(footer.contains(item), "{item} at {size:?}: {footer}");
        }
        c.snapshot("detail_message");
    }
}

#[test]
fn detail_masks_a_key_the_record_holds_unmasked() {
    // A record written before masking, or by hand, can hold the key itself.
    const CANARY_KEY: &str = "sk_live_canary_4b1e9d07";
    let mut c = Console::sandbox((120, 40));
    c.recorded += 1;
    let mut new = new_submission(
        &c.state.target,
        c.recorded,
        &request(USER_A, KycType::Full, None),
        None,
    );
    for (name, value) in &mut new.request.headers {
        if name == "x-api-key" {
            *value = CANARY_KEY.to_string();
        }
    }
    let id = c.create(new);
    c.complete(id, vec![attempt(1, at(47), 180, created_201(1), None)]);
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Enter);
    assert!(matches!(c.state.overlay, Some(Overlay::Detail(_))));
    let text = buffer_text(&c.buffer());
    assert!(!text.contains(CANARY_KEY), "{text}");
    assert!(text.contains(&format!("x-api-key: {KEY_MASK}")), "{text}");
}

#[test]
fn help_overlay() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.action(Action::Help);
        c.snapshot("help");
    }
}

#[test]
fn production_asks_before_sending() {
    for size in SIZES {
        let mut c = Console::new(production_target(), size);
        fill_valid_form(&mut c);
        c.action(Action::Submit);
        assert!(c.submits.is_empty(), "nothing sent before the answer");
        assert!(matches!(
            c.state.overlay,
            Some(Overlay::Confirm(Confirm::Production { .. }))
        ));
        c.snapshot("production_confirm");
    }
}

#[test]
fn quit_with_a_submission_in_flight_asks_first() {
    for size in SIZES {
        let (mut c, _) = sent(size);
        c.ctrl('c');
        assert!(!c.state.quit);
        assert!(matches!(
            c.state.overlay,
            Some(Overlay::Confirm(Confirm::Quit {
                in_flight: 1,
                queued: 0,
                resume_batch: false
            }))
        ));
        c.snapshot("quit_confirm");
    }
}

#[test]
fn too_small_terminal() {
    let c = Console::sandbox((70, 20));
    c.snapshot("too_small");
}

#[test]
fn history_filtered_to_errors() {
    for size in SIZES {
        let mut c = mixed_history(size);
        assert_eq!(c.state.history.total, 6);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Char('e'));
        assert_eq!(c.state.history.total, 4, "the two successes are hidden");
        c.press(KeyCode::Char('/'));
        c.type_text("50");
        assert_eq!(
            c.state.history.total, 4,
            "searching starts at three characters"
        );
        c.snapshot("history_filter_too_short");
        c.type_text("3");
        assert_eq!(c.state.history.total, 1, "the 503");
        assert!(c.state.history.editing_filter);
        c.snapshot("history_filter_errors_only");
    }
}

/// The console's `/` searches as `history --find` does: a part of an idempotency key or
/// the operator's name finds rows too, in any case.
#[test]
fn history_filter_finds_idempotency_keys_and_operators() {
    let mut c = mixed_history(SIZES[0]);
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Char('/'));
    // The fourth submission's key ends in ...000000000004.
    c.type_text("9A6B-000000000004");
    assert_eq!(c.state.history.total, 1, "one key");
    let row = c.state.history.row_at(0).expect("the row").clone();
    assert_eq!(row.user_id, USER_E);
    for _ in 0.."9A6B-000000000004".len() {
        c.press(KeyCode::Backspace);
    }
    c.type_text("ALIC");
    assert_eq!(c.state.history.total, 6, "the operator, alice");
}

/// With every profile's rows shown (`a`), each row names its profile, and production
/// rows are marked: with `!` (readable without colour) on the production badge's colour.
#[test]
fn history_of_every_profile_marks_production_rows() {
    for size in SIZES {
        let mut c = mixed_history(size);
        c.state.profiles = vec![
            ProfileChoice {
                name: "sandbox".into(),
                target: "embedded sandbox".into(),
                production: false,
            },
            ProfileChoice {
                name: "production".into(),
                target: format!("POST {PRODUCTION_URL}/kycs"),
                production: true,
            },
        ];
        c.recorded += 1;
        let n = c.recorded;
        let new = new_submission(
            &production_target(),
            n,
            &request(USER_A, KycType::Full, None),
            None,
        );
        let id = c.create(new);
        c.complete(
            id,
            vec![attempt(1, at(i64::from(n) * 47), 212, created_201(n), None)],
        );
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(c.state.history.total, 6, "the current profile's rows");
        c.press(KeyCode::Char('a'));
        assert_eq!(c.state.history.total, 7, "every profile's rows");
        c.snapshot("history_all_profiles");
        let buffer = c.buffer();
        let (x, y) = find(&buffer, whole(&buffer), "!produc").expect("a marked row");
        assert_eq!(buffer[(x, y)].bg, Color::Red, "{size:?}");
        let text = buffer_text(&buffer);
        assert_eq!(text.matches("!produc").count(), 1, "{text}");
        assert!(text.contains("profile"), "the column's header: {text}");
        // Back to the current profile: no column.
        c.press(KeyCode::Char('a'));
        assert!(!buffer_text(&c.buffer()).contains("!produc"));
    }
}

#[test]
fn history_with_every_outcome() {
    for size in SIZES {
        let c = mixed_history(size);
        // The session counts stay in the header at 80 columns, in their short form.
        let header = joined(&c.buffer(), layout_of(&c).header);
        let counts = if size.0 < 120 {
            "6 sent: 2✓ 1✗ 1 5xx 1↻ 1?"
        } else {
            "session 6 submitted: 2 initiated"
        };
        assert!(header.contains(counts), "{size:?}: {header}");
        c.snapshot("history_every_outcome");
    }
}

/// The screen's first line: the header.
fn header_line(c: &Console) -> String {
    buffer_text(&c.buffer())
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_rate_limit_reset_counts_down_in_the_header() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 180, created_201(1), None)]);
        assert!(
            header_line(&c).contains("rate 57/60 reset 42 s"),
            "{}",
            header_line(&c)
        );
        // Nothing is in flight, but the clock ticks for the countdown.
        assert!(c.state.live.is_empty());
        assert!(c.state.needs_tick());
        let came = c.state.now;
        c.state.now = came + Duration::from_secs(30);
        assert!(
            header_line(&c).contains("rate 57/60 reset 12 s"),
            "{}",
            header_line(&c)
        );
        c.snapshot("rate_reset_counting_down");
        c.state.now = came + Duration::from_secs(3600);
        assert!(
            header_line(&c).contains("rate 57/60 reset 0 s"),
            "{}",
            header_line(&c)
        );
        assert!(!c.state.needs_tick(), "nothing left to count down");
    }
}

/// A batch of three recorded at `at(0)`: its first row sent 5 minutes later, its second
/// 10 minutes later, its third never. Returns the three ids, by line.
fn batch_sent_at_its_turn(c: &mut Console) -> [SubmissionId; 3] {
    let batch = NewBatch {
        id: "b-turns".into(),
        created_at: at(0),
        operator: "alice".into(),
        profile: "sandbox".into(),
        source: "pasted".into(),
    };
    let rows: Vec<NewSubmission> = [USER_B, USER_C, USER_D]
        .iter()
        .zip(1u32..)
        .map(|(user, n)| {
            let mut new = new_submission(
                &sandbox_target(),
                100 + n,
                &request(user, KycType::Full, None),
                None,
            );
            new.created_at = at(0);
            new.batch_id = Some(batch.id.clone());
            new.batch_line = Some(n + 1);
            new
        })
        .collect();
    let claims = c.store.create_batch(&batch, &rows).expect("the batch");
    let ids: Vec<SubmissionId> = claims.into_iter().map(|c| c.expect("claimed")).collect();
    for (id, (minutes, result)) in ids
        .iter()
        .zip([(5, created_201(101)), (10, rejected_400(102))])
    {
        let turn = at(minutes * 60);
        c.store.mark_dispatched(*id, turn).expect("dispatched");
        let a = attempt(
            1,
            turn + chrono::Duration::milliseconds(2),
            180,
            result,
            None,
        );
        c.store.record_attempt(*id, &a).expect("attempt");
        let outcome = c.store.get(*id).expect("stored").exchange().outcome();
        c.store.finish(*id, outcome).expect("finish");
    }
    c.open();
    [ids[0], ids[1], ids[2]]
}

/// How the pane's row for a user id starts, however much of the id the width shows.
fn short(user: &str) -> String {
    user[..12].to_string()
}

#[test]
fn batch_rows_show_when_each_was_sent() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        batch_sent_at_its_turn(&mut c);
        let text = buffer_text(&c.buffer());
        let line = |user: &str| {
            text.lines()
                .find(|l| l.contains(&short(user)))
                .unwrap_or_else(|| panic!("no row for {user} in\n{text}"))
                .to_string()
        };
        // Each row at its own time; the row never sent at the batch's, and it says so.
        let clock = kyc_console::present::local_clock;
        assert!(line(USER_B).contains(&clock(at(300))), "{}", line(USER_B));
        assert!(line(USER_C).contains(&clock(at(600))), "{}", line(USER_C));
        assert!(line(USER_D).contains(&clock(at(0))), "{}", line(USER_D));
        assert!(line(USER_D).contains("not sent"), "{}", line(USER_D));
        c.snapshot("history_batch_rows_sent_at_their_turn");
    }
}

#[test]
fn detail_of_a_batch_row_says_when_it_was_sent_and_recorded() {
    let mut c = Console::sandbox((120, 40));
    batch_sent_at_its_turn(&mut c);
    // The second row from the top: the one sent 10 minutes after its batch was recorded.
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Down);
    c.press(KeyCode::Enter);
    let text = buffer_text(&c.buffer());
    let datetime = kyc_console::present::local_datetime;
    assert!(
        text.contains(&format!("sent {}", datetime(at(600)))),
        "{text}"
    );
    assert!(
        text.contains(&format!("recorded    {}", datetime(at(0)))),
        "{text}"
    );
    c.snapshot("detail_batch_row");
    // The row never sent says when it was recorded, and that it was never sent.
    c.press(KeyCode::Esc);
    c.press(KeyCode::Up);
    c.press(KeyCode::Enter);
    let text = buffer_text(&c.buffer());
    assert!(
        text.contains(&format!("recorded {} (never sent)", datetime(at(0)))),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Colours.

/// The style of the user id status line's first cell (the ✓ or ✗).
fn user_id_status_fg(c: &Console) -> Color {
    let buffer = c.buffer();
    let form = layout_of(c).form;
    let (x, y) = find(&buffer, form, "✗")
        .or_else(|| find(&buffer, form, "✓ valid"))
        .expect("a status mark in the form");
    buffer[(x, y)].fg
}

#[test]
fn user_id_status_is_red_when_invalid_and_green_when_valid() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.type_text("usr-123");
        assert_eq!(user_id_status_fg(&c), Color::Red, "{size:?}");

        let mut c = Console::sandbox(size);
        c.type_text(USER_A);
        assert_eq!(user_id_status_fg(&c), Color::Green, "{size:?}");
        let buffer = c.buffer();
        let (x, y) = find(&buffer, layout_of(&c).form, "✓ valid").unwrap();
        for dx in 0..7 {
            assert_eq!(buffer[(x + dx, y)].fg, Color::Green);
        }
    }
}

#[test]
fn outcome_cells_are_red_for_rejected_and_green_for_initiated() {
    for size in SIZES {
        let mut c = mixed_history(size);
        // To the oldest row, so a rejected and an initiated row are both on screen at 80x24.
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Char('G'));
        let buffer = c.buffer();
        let pane = layout_of(&c).history;
        // The status and the outcome cells of one row: "400 rejected", "201 initiated".
        for (text, colour) in [
            ("400 rejected", Color::Red),
            ("201 initiated", Color::Green),
        ] {
            let (x, y) = find(&buffer, pane, text).expect("the row is on screen");
            for dx in (0..3).chain(4..u16::try_from(text.len()).unwrap()) {
                assert_eq!(buffer[(x + dx, y)].fg, colour, "{text} at {size:?}");
            }
        }
    }
}

#[test]
fn production_badge_has_a_red_background() {
    for size in SIZES {
        let c = Console::new(production_target(), size);
        let buffer = c.buffer();
        let header = layout_of(&c).header;
        let (x, y) = find(&buffer, header, " PRODUCTION ").expect("badge in the header");
        assert_eq!((x, y), (0, 0), "the badge comes first");
        for dx in 0..12 {
            assert_eq!(buffer[(x + dx, y)].bg, Color::Red, "{size:?}");
        }
    }
}

#[test]
fn no_color_leaves_every_cell_uncoloured() {
    let mut screens: Vec<(&str, Console)> = Vec::new();
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.type_text("usr-123");
        screens.push(("invalid id", c));

        let mut c = mixed_history(size);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        screens.push(("history", c));

        let mut c = mixed_history(size);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Char('e'));
        c.press(KeyCode::Char('/'));
        c.type_text("50");
        screens.push(("filter", c));

        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 96, rejected_400(1), None)]);
        screens.push(("rejected", c));

        let (mut c, id) = sent(size);
        c.attempt(id, four_503s(1, at(47)).remove(0), false);
        screens.push(("retrying", c));

        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 184, created_201(1), None)]);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Enter);
        screens.push(("detail", c));

        let mut c = Console::new(production_target(), size);
        fill_valid_form(&mut c);
        c.action(Action::Submit);
        screens.push(("production confirm", c));

        let mut c = Console::new(production_target(), size);
        c.fill_form(USER_A, '1', "http://example.com");
        c.ctrl('s');
        c.press(KeyCode::Char('n'));
        screens.push(("production declined, http warning", c));

        let mut c = Console::sandbox(size);
        c.action(Action::Help);
        screens.push(("help", c));
    }
    for (what, mut c) in screens {
        // With colour, each of these screens does use colour: the check below means something.
        assert!(
            c.buffer()
                .content()
                .iter()
                .any(|cell| cell.fg != Color::Reset),
            "{what}: no colour even with colour on"
        );
        c.state.theme = Theme { color: false };
        let buffer = c.buffer();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                let cell = &buffer[(x, y)];
                assert_eq!(
                    cell.fg,
                    Color::Reset,
                    "{what} at {:?}: fg {:?} on {:?}",
                    c.state.size,
                    (x, y),
                    cell.symbol()
                );
                assert_eq!(
                    cell.bg,
                    Color::Reset,
                    "{what} at {:?}: bg {:?} on {:?}",
                    c.state.size,
                    (x, y),
                    cell.symbol()
                );
            }
        }
    }
}

#[test]
fn history_outcome_kinds_match_the_rows() {
    // Guards the scenarios the snapshots rely on.
    let c = mixed_history((120, 40));
    let kinds: Vec<_> = c.state.history.rows.iter().map(|r| r.outcome).collect();
    assert_eq!(
        kinds,
        [
            Some(OutcomeKind::Initiated),
            Some(OutcomeKind::Unknown),
            Some(OutcomeKind::Transient),
            Some(OutcomeKind::ServerError),
            Some(OutcomeKind::Rejected),
            Some(OutcomeKind::Initiated),
        ]
    );
}

/// A pasted batch with every kind of row: valid, invalid, duplicate, already initiated.
fn batch_preview(size: (u16, u16)) -> Console {
    let mut c = mixed_history(size);
    c.key(KeyCode::Char('b'), KeyModifiers::CONTROL);
    let pasted = "user_id,type\n\
        usr-9c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f,full\n\
        usr-aaaaaaaa-4a5b-4c6d-8e7f-000000000001,rfi\n\
        usr-123,full\n\
        usr-aaaaaaaa-4a5b-4c6d-8e7f-000000000001,rfi\n\
        usr-aaaaaaaa-4a5b-4c6d-8e7f-000000000002,passport\n\
        usr-aaaaaaaa-4a5b-4c6d-8e7f-000000000003,\n";
    let effects = update::handle_event(
        &mut c.state,
        &ratatui::crossterm::event::Event::Paste(pasted.into()),
    );
    c.run(effects);
    c.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    c
}

#[test]
fn batch_paste_and_preview() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.key(KeyCode::Char('b'), KeyModifiers::CONTROL);
        let effects = update::handle_event(
            &mut c.state,
            &ratatui::crossterm::event::Event::Paste(
                "usr-aaaaaaaa-4a5b-4c6d-8e7f-000000000001\r\nusr-123\r\n".into(),
            ),
        );
        c.run(effects);
        c.snapshot("batch_paste");
        let c = batch_preview(size);
        let b = c.state.batch.as_ref().expect("the batch screen");
        let n = b
            .plan
            .as_ref()
            .map(kyc_console::batch::Plan::counts)
            .unwrap_or_default();
        assert_eq!(
            (n.valid, n.invalid, n.duplicate, n.initiated, n.held),
            (2, 2, 1, 1, 0)
        );
        // The row's reason wraps: it used to stop at "expected one of fu".
        let text = buffer_text(&c.buffer());
        assert!(text.contains("full, shipping, rfi, import"), "{text}");
        c.snapshot("batch_preview");
    }
}

#[test]
fn batch_running_with_live_rows() {
    for size in SIZES {
        let mut c = batch_preview(size);
        c.key(KeyCode::Enter, KeyModifiers::NONE);
        let b = c.state.batch.as_ref().expect("the batch screen");
        assert_eq!(b.stage, kyc_console::tui::batch_state::Stage::Running);
        let mut effects = update::apply(
            &mut c.state,
            Msg::BatchRecorded {
                batch_id: "b-0123456789ab".into(),
                skipped: Vec::new(),
            },
        );
        effects.extend(update::apply(
            &mut c.state,
            Msg::Batch(kyc_console::batch::BatchEvent::RowStarted { line: 3, id: 90 }),
        ));
        effects.extend(update::apply(
            &mut c.state,
            Msg::Batch(kyc_console::batch::BatchEvent::RowStarted { line: 7, id: 91 }),
        ));
        let exchange = kyc_console::api::Exchange {
            request: new_submission(
                &sandbox_target(),
                90,
                &request(
                    "usr-aaaaaaaa-4a5b-4c6d-8e7f-000000000001",
                    KycType::Rfi,
                    None,
                ),
                None,
            )
            .request,
            idempotency_key: idempotency_key(90),
            attempts: vec![attempt(1, at(0), 12, created_201(90), None)],
        };
        // As the runner tells it: each attempt as it ends, then the row.
        effects.extend(update::apply(
            &mut c.state,
            Msg::Batch(kyc_console::batch::BatchEvent::Attempt {
                line: 3,
                id: 90,
                attempt: Box::new(exchange.attempts[0].clone()),
            }),
        ));
        effects.extend(update::apply(
            &mut c.state,
            Msg::Batch(kyc_console::batch::BatchEvent::RowFinished {
                line: 3,
                id: 90,
                exchange: Box::new(exchange),
            }),
        ));
        c.run(effects);
        // The sparklines beside the counts: two rows sent this second, one answer.
        let text = buffer_text(&c.buffer());
        assert!(
            text.contains("█ 0/s") && text.contains("latency ") && text.contains("p50 12 ms"),
            "{size:?}:\n{text}"
        );
        c.snapshot("batch_running");
        let effects = update::apply(
            &mut c.state,
            Msg::BatchFinished(kyc_console::batch::RunSummary {
                dispatched: 2,
                not_sent: 0,
                halted: None,
            }),
        );
        c.run(effects);
        let b = c.state.batch.as_ref().expect("the batch screen");
        assert_eq!(b.stage, kyc_console::tui::batch_state::Stage::Done);
    }
}

/// What a hostile server put in a 201: an OSC 52 clipboard write, a screen clear, a C1
/// CSI and a bidi override, in the id, status, url, request id, headers and body.
fn hostile_201() -> AttemptResult {
    let body = serde_json::json!({
        "id": "kyc-\u{1b}]52;c;cm0gLXJmIH4=\u{7}-x",
        "status": "\u{1b}[2J\u{1b}[Hpending",
        "url": "https://evil.example/\u{9b}31m\u{202e}exe.fdp",
        "note": "line one\r\u{8}\u{8}line two",
    });
    AttemptResult::Response(response_with(
        201,
        "application/json",
        &body.to_string(),
        "req-\u{9b}2J\u{202e}",
        &[("x-evil", "\u{1b}]0;pwned\u{7}")],
    ))
}

/// Every cell that holds a control character or a bidi override, with where it is.
fn unsafe_cells(buffer: &Buffer) -> Vec<((u16, u16), String)> {
    let area = buffer.area;
    let mut found = Vec::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let symbol = buffer[(x, y)].symbol();
            if symbol.chars().any(kyc_console::domain::needs_escape) {
                found.push(((x, y), symbol.escape_default().to_string()));
            }
        }
    }
    found
}

#[test]
fn hostile_text_reaches_no_cell_of_the_history_or_the_detail() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.recorded += 1;
        let mut new = new_submission(
            &c.state.target,
            c.recorded,
            &request(USER_A, KycType::Full, None),
            None,
        );
        // A record written by hand (or by an older version) can hold anything.
        new.user_id = "usr-\u{1b}[31m\u{202e}3f0e8d4a".to_string();
        let id = c.create(new);
        c.complete(id, vec![attempt(1, at(47), 180, hostile_201(), None)]);
        let buffer = c.buffer();
        assert_eq!(unsafe_cells(&buffer), Vec::new(), "{size:?}");
        let text = buffer_text(&buffer);
        assert!(text.contains("usr-\\x1b[31m"), "{text}");

        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Enter);
        assert!(matches!(c.state.overlay, Some(Overlay::Detail(_))));
        let buffer = c.buffer();
        assert_eq!(unsafe_cells(&buffer), Vec::new(), "{size:?}");
        if size == (120, 40) {
            let text = buffer_text(&buffer);
            for shown in [
                "usr-\\x1b[31m\\u{202e}3f0e8d4a",
                "request id  req-\\u{9b}2J\\u{202e}",
                "webview     https://evil.example/\\u{9b}31m\\u{202e}exe.fdp",
                "x-evil: \\x1b]0;pwned\\x07",
            ] {
                assert!(text.contains(shown), "{shown} in\n{text}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Keys, help and layout: nothing cut, every key shown or pointed to.

/// A 201 whose webview link is as long as the embedded sandbox's.
fn created_201_long_link(n: u32) -> AttemptResult {
    AttemptResult::Response(response(
        201,
        "application/json",
        &format!(
            r#"{{"id":"kyc-8d2f61c4-3b7a-4e95-a0c1-5f9e2d7b{n:04}","status":"pending","url":"{SANDBOX_URL}/webview/kyc-8d2f61c4-3b7a-4e95-a0c1-5f9e2d7b{n:04}"}}"#
        ),
        &format!("req_test{n}"),
    ))
}

#[test]
fn form_messages_wrap_rather_than_being_cut() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        // A 'c' where the UUID variant goes, column 24.
        c.type_text("usr-3f0e8d4a-5b6c-4d7e-cf90-a1b2c3d4e5f6");
        let form = joined(&c.buffer(), layout_of(&c).form);
        assert!(
            form.contains("✗ column 24: UUID variant must be 8, 9, a or b, found 'c'"),
            "{size:?}: {form}"
        );
        c.snapshot("user_id_variant");

        // Shown as it will be sent, and what that changed is said whole.
        let mut c = Console::sandbox(size);
        c.type_text("USR-3F0E8D4A-5B6C-4D7E-8F90-A1B2C3D4E5F6");
        let form = joined(&c.buffer(), layout_of(&c).form);
        assert!(
            form.contains("usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6"),
            "{form}"
        );
        assert!(
            form.contains("✓ valid — as sent: lowercased"),
            "{size:?}: {form}"
        );
        let mut c = Console::sandbox(size);
        let effects = update::handle_event(
            &mut c.state,
            &Event::Paste("  USR-3F0E8D4A-5B6C-4D7E-8F90-A1B2C3D4E5F6 ".into()),
        );
        c.run(effects);
        let form = joined(&c.buffer(), layout_of(&c).form);
        assert!(
            form.contains("✓ valid — as sent: spaces removed, lowercased"),
            "{size:?}: {form}"
        );
    }
}

#[test]
fn history_user_ids_are_whole_when_there_is_room_and_outcomes_never_cut() {
    // Wide enough for whole ids beside the form.
    let c = mixed_history((160, 40));
    let pane = joined(&c.buffer(), layout_of(&c).history);
    for user in [USER_A, USER_B, USER_C, USER_D, USER_E, USER_F] {
        assert!(pane.contains(user), "{user} whole in: {pane}");
    }
    for size in SIZES {
        let c = mixed_history(size);
        let pane = joined(&c.buffer(), layout_of(&c).history);
        for outcome in ["unknown (timed out)", "transient, 4 tries", "server error"] {
            assert!(pane.contains(outcome), "{outcome} at {size:?}: {pane}");
        }
    }
    // At 80 columns the id takes the room the outcome leaves: more than its ends.
    let c = mixed_history((80, 24));
    let pane = joined(&c.buffer(), layout_of(&c).history);
    assert!(pane.contains("usr-3f0e8d4a-5b6c-4d7e-…e5f6"), "{pane}");
}

#[test]
fn a_submission_without_an_outcome_reads_whole_in_the_history() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.recorded += 1;
        let new = new_submission(
            &c.state.target,
            c.recorded,
            &request(USER_A, KycType::Full, None),
            None,
        );
        let id = c.store.create(&new).expect("create");
        // Sent, then the console stopped before the end: no outcome, nothing in flight.
        c.store.mark_dispatched(id, at(47)).expect("dispatched");
        c.open();
        let pane = joined(&c.buffer(), layout_of(&c).history);
        assert!(pane.contains("unknown (no outcome)"), "{size:?}: {pane}");
        // Its detail offers only what never starts it twice: R, with its own key.
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Enter);
        let text = buffer_text(&c.buffer());
        assert!(
            text.contains("R sends it again with its") && text.contains("idempotency key, which"),
            "{size:?}: {text}"
        );
        assert!(!text.contains("new key"), "{size:?}: {text}");
    }
}

#[test]
fn the_type_fields_footer_reads_cleanly() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.press(KeyCode::Tab);
        let footer = joined(&c.buffer(), layout_of(&c).footer);
        assert!(
            footer.contains("↑/↓ type 1-4/f/s/r/i pick"),
            "{size:?}: {footer}"
        );
        assert!(!footer.contains("1/f"), "{size:?}: {footer}");
        assert!(footer.contains("Ctrl-C/q quit"), "{size:?}: {footer}");
    }
}

#[test]
fn every_footer_shows_all_its_keys_or_says_where_the_rest_are() {
    for size in SIZES {
        let mut c = mixed_history(size);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        let footer = joined(&c.buffer(), layout_of(&c).footer);
        assert!(
            footer.contains("Esc/q back") && footer.contains("Enter detail"),
            "{size:?}: {footer}"
        );
        // The history pane has more keys than two lines hold at 80 columns.
        if size == (80, 24) {
            assert!(footer.ends_with("more: ?"), "{footer}");
        }
    }
}

#[test]
fn long_links_break_between_their_parts_never_inside_the_id() {
    let id = "kyc-8d2f61c4-3b7a-4e95-a0c1-5f9e2d7b0001";
    for size in SIZES {
        let (mut c, sub) = sent(size);
        c.complete(
            sub,
            vec![attempt(1, at(47), 184, created_201_long_link(1), None)],
        );
        let text = buffer_text(&c.buffer());
        let lines: Vec<&str> = text.lines().collect();
        // The link is on screen with its id whole: beside `/webview/`, or on the next
        // line when the link is too long for one.
        let link = lines
            .iter()
            .position(|l| l.contains(&format!("{SANDBOX_URL}/webview/")))
            .unwrap_or_else(|| panic!("the link at {size:?}:\n{text}"));
        assert!(
            lines[link].contains(&format!("/webview/{id}"))
                || lines.get(link + 1).is_some_and(|l| l.contains(id)),
            "{size:?}:\n{text}"
        );
        c.snapshot("success_long_link");
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Enter);
        let text = buffer_text(&c.buffer());
        let webview = text
            .lines()
            .position(|l| l.contains("webview     "))
            .unwrap_or_else(|| panic!("the webview line at {size:?}:\n{text}"));
        let both: String = text.lines().skip(webview).take(2).collect();
        assert!(both.contains(id), "{size:?}:\n{text}");
    }
}

#[test]
fn help_opens_at_the_keys_of_the_screen_it_came_from() {
    for size in SIZES {
        let mut c = mixed_history(size);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Char('?'));
        let text = buffer_text(&c.buffer());
        let first: Vec<&str> = text.lines().skip(1).take(6).collect();
        assert!(
            first.iter().any(|l| l.contains("History · where you are")),
            "{size:?}:\n{text}"
        );
        assert!(text.contains("back to the form"), "{size:?}:\n{text}");
        c.snapshot("help_from_history");
        // Each key once: far fewer lines than the ~150 of one list per mode.
        let (lines, _) = view::page_size(&c.state).expect("the help");
        if size == (120, 40) {
            assert!(lines < 110, "{lines} lines");
        }
        assert_eq!(text.matches("Ctrl-C/Ctrl-Q quit (").count(), 1, "{text}");
    }
}

#[test]
fn the_detail_scrolled_to_its_end_shows_its_last_line_at_the_bottom() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 184, created_201(1), None)]);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Enter);
        c.press(KeyCode::End);
        let end = buffer_text(&c.buffer());
        for _ in 0..5 {
            c.press(KeyCode::Char('j'));
        }
        c.press(KeyCode::PageDown);
        assert_eq!(
            buffer_text(&c.buffer()),
            end,
            "nothing past the end at {size:?}"
        );
        // The body's closing brace is the last line, on the box's last row.
        let lines: Vec<&str> = end.lines().collect();
        let bottom = lines
            .iter()
            .rposition(|l| l.starts_with('└'))
            .expect("the box");
        assert!(lines[bottom - 1].starts_with("│  }"), "{size:?}:\n{end}");
        assert!(lines[bottom].contains("end"), "{size:?}:\n{end}");
        c.snapshot("detail_end");
    }
}

#[test]
fn the_profile_picker_with_only_the_sandbox_says_how_to_add_a_profile() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.key(KeyCode::Char('p'), KeyModifiers::CONTROL);
        assert!(matches!(c.state.overlay, Some(Overlay::Profiles { .. })));
        let text = buffer_text(&c.buffer());
        for shown in [
            "/home/alice/.config/kyc-console/config.toml",
            "It does not exist yet",
            "[profiles.production]",
            "api_key_env = \"KULIPA_API_KEY\"",
            "kyc-console config check",
        ] {
            assert!(text.contains(shown), "{shown} at {size:?}:\n{text}");
        }
        c.snapshot("profiles_only_sandbox");
        // A file that exists is added to.
        c.state.paths.config_exists = true;
        let text = buffer_text(&c.buffer());
        assert!(text.contains("Add a table like this one to it"), "{text}");
        // q keeps the current profile.
        c.press(KeyCode::Char('q'));
        assert!(c.state.overlay.is_none() && !c.state.quit);
    }
}

// ---------------------------------------------------------------------------------------
// Rapid entry and the batch editor.

#[test]
fn a_refused_id_is_shown_selected_with_what_replaces_it() {
    for size in SIZES {
        let (mut c, id) = sent(size);
        c.complete(id, vec![attempt(1, at(47), 96, rejected_400(1), None)]);
        let buffer = c.buffer();
        let text = buffer_text(&buffer);
        assert!(text.contains("refused: typing replaces it"), "{text}");
        let (x, y) = find(&buffer, whole(&buffer), USER_A).expect("the id in the form");
        let cell = &buffer[(x, y)];
        assert!(
            cell.modifier.contains(ratatui::style::Modifier::REVERSED),
            "the refused id is drawn selected: {cell:?}"
        );
        // The next id typed replaces it.
        c.type_text(USER_B);
        assert_eq!(c.state.form.user_id.value(), USER_B);
        assert!(!buffer_text(&c.buffer()).contains("typing replaces it"));
    }
}

#[test]
fn several_ids_pasted_into_the_form_are_offered_to_the_batch_screen() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        let effects = update::handle_event(
            &mut c.state,
            &Event::Paste(format!("{USER_A}\n{USER_B}\n{USER_C}\n")),
        );
        c.run(effects);
        let text = buffer_text(&c.buffer());
        assert!(text.contains("40/40"), "one id in the field:\n{text}");
        assert!(
            text.contains("3 ids pasted · Ctrl-B opens them all as a batch"),
            "{text}"
        );
        c.snapshot("form_several_ids_pasted");
        c.ctrl('b');
        let text = buffer_text(&c.buffer());
        assert!(text.contains("3 ids moved here from the form"), "{text}");
        assert!(text.contains(USER_C), "{text}");
    }
}

#[test]
fn a_pasted_id_is_shown_as_it_will_be_sent() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        let effects = update::handle_event(
            &mut c.state,
            &Event::Paste(format!("  {}\n", USER_A.to_uppercase())),
        );
        c.run(effects);
        let text = buffer_text(&c.buffer());
        assert!(text.contains(USER_A), "lowered on screen:\n{text}");
        assert!(!text.contains(&USER_A.to_uppercase()), "{text}");
        assert!(
            text.contains("✓ valid — as sent: spaces removed, lowercased"),
            "{text}"
        );
    }
}

/// The editor holding 30 ids and a mistake, the cursor moved back into the middle.
fn batch_editor(size: (u16, u16)) -> Console {
    let mut c = Console::sandbox(size);
    c.ctrl('b');
    let mut lines: Vec<String> = (1..=30)
        .map(|n| format!("usr-aaaaaaaa-4a5b-4c6d-8e7f-{n:012}"))
        .collect();
    lines.insert(12, "usr-aaaaaaaa-4a5b-4c6d-8e7f-00000000001".into());
    let effects = update::handle_event(&mut c.state, &Event::Paste(lines.join("\n")));
    c.run(effects);
    for _ in 0..18 {
        c.press(KeyCode::Up);
    }
    c.press(KeyCode::End);
    c.type_text("3");
    c
}

#[test]
fn the_batch_editor_scrolls_back_and_edits_at_the_cursor() {
    for size in SIZES {
        let c = batch_editor(size);
        let b = c.state.batch.as_ref().expect("the batch screen");
        assert_eq!(
            b.text().lines().nth(12),
            Some("usr-aaaaaaaa-4a5b-4c6d-8e7f-000000000013"),
            "fixed where the cursor was"
        );
        let text = buffer_text(&c.buffer());
        assert!(
            text.contains("31 filled line(s) · cursor at line 13 of 31, column 41"),
            "{text}"
        );
        c.snapshot("batch_editor");
    }
}

#[test]
fn a_resume_is_previewed_before_anything_is_sent() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        batch_sent_at_its_turn(&mut c);
        c.ctrl('b');
        c.ctrl('r');
        let b = c.state.batch.as_ref().expect("the batch screen");
        assert_eq!(b.stage, kyc_console::tui::batch_state::Stage::Preview);
        assert_eq!(b.pending_resume.as_deref(), Some("b-turns"));
        assert_eq!(b.to_send, 1);
        let text = buffer_text(&c.buffer());
        assert!(
            text.contains("resume batch b-turns (pasted): 1 of 3 row(s) to send"),
            "{text}"
        );
        assert!(text.contains("never sent: will be sent"), "{text}");
        c.snapshot("batch_resume_preview");
    }
}

/// The running batch of `batch_running_with_live_rows`, finished: one row initiated, the
/// other cut off (unknown), none left to send.
fn batch_finished(size: (u16, u16)) -> Console {
    let mut c = batch_preview(size);
    c.press(KeyCode::Enter);
    c.msg(Msg::BatchRecorded {
        batch_id: "b-0123456789ab".into(),
        skipped: Vec::new(),
    });
    for (line, id) in [(3, 90), (7, 91)] {
        c.msg(Msg::Batch(kyc_console::batch::BatchEvent::RowStarted {
            line,
            id,
        }));
    }
    let finished = |id: SubmissionId, result: AttemptResult| kyc_console::api::Exchange {
        request: new_submission(
            &sandbox_target(),
            u32::try_from(id).unwrap(),
            &request(USER_A, KycType::Rfi, None),
            None,
        )
        .request,
        idempotency_key: idempotency_key(u32::try_from(id).unwrap()),
        attempts: vec![attempt(1, at(0), 12, result, None)],
    };
    for (line, id, result) in [(3, 90, created_201(90)), (7, 91, timed_out())] {
        c.msg(Msg::Batch(kyc_console::batch::BatchEvent::RowFinished {
            line,
            id,
            exchange: Box::new(finished(id, result)),
        }));
    }
    c.msg(Msg::BatchFinished(kyc_console::batch::RunSummary {
        dispatched: 2,
        not_sent: 0,
        halted: None,
    }));
    c
}

#[test]
fn the_finished_batch_offers_only_what_applies() {
    for size in SIZES {
        let c = batch_finished(size);
        let text = buffer_text(&c.buffer());
        assert!(!text.contains("pause") && !text.contains("stop"), "{text}");
        assert!(
            text.contains("1 row(s) of unknown outcome, 0 not sent · Ctrl-R previews them"),
            "{text}"
        );
        assert!(text.contains("Esc closes"), "{text}");
        c.snapshot("batch_done");
    }
}

#[test]
fn a_paused_batch_shows_no_eta() {
    for size in SIZES {
        let mut c = batch_preview(size);
        c.press(KeyCode::Enter);
        c.msg(Msg::BatchRecorded {
            batch_id: "b-0123456789ab".into(),
            skipped: Vec::new(),
        });
        c.press(KeyCode::Char(' '));
        let text = buffer_text(&c.buffer());
        assert!(text.contains("0/2 · 0/s · paused"), "{text}");
        assert!(!text.contains("ETA"), "{text}");
        assert!(
            text.contains("paused: nothing more is sent · Space resumes"),
            "{text}"
        );
        c.snapshot("batch_paused");
    }
}

/// `s` on the history pane: the figures over the rows in view (the pane's filter), as
/// `history --stats` prints them; `t` cuts the timeline per hour.
#[test]
fn stats_of_the_rows_in_view() {
    for size in SIZES {
        let mut c = mixed_history(size);
        c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
        c.press(KeyCode::Char('s'));
        let text = buffer_text(&c.buffer());
        assert!(text.contains("6 rows · "), "{size:?}:\n{text}");
        for line in ["201", "400", "500", "503", "timed out"] {
            assert!(text.contains(line), "{size:?}: {line}\n{text}");
        }
        c.snapshot("stats");
        // The end, with the time sending per target, is on screen or a scroll away.
        c.press(KeyCode::Char('G'));
        let text = buffer_text(&c.buffer());
        assert!(text.contains("  embedded sandbox "), "{size:?}:\n{text}");
        c.press(KeyCode::Char('g'));
        c.press(KeyCode::Char('t'));
        let text = buffer_text(&c.buffer());
        assert!(text.contains("Per hour (local time"), "{size:?}:\n{text}");
        // z: the same timeline on UTC's clock.
        c.press(KeyCode::Char('z'));
        let text = buffer_text(&c.buffer());
        assert!(
            text.contains("Per hour (UTC; newest first)"),
            "{size:?}:\n{text}"
        );
        // The figures follow the pane's filter: errors only leaves out the two 201s.
        c.press(KeyCode::Char('q'));
        c.press(KeyCode::Char('e'));
        c.press(KeyCode::Char('s'));
        let text = buffer_text(&c.buffer());
        assert!(
            text.contains("4 rows · ") && text.contains("errors only"),
            "{size:?}:\n{text}"
        );
        assert!(!text.contains("201 ×"), "{size:?}:\n{text}");
        let Some(Overlay::Stats(view)) = &c.state.overlay else {
            panic!("the stats view is open");
        };
        let stats = view.stats.as_ref().unwrap();
        assert!(stats.by_answer.iter().all(|a| a.answer.status != Some(201)));
    }
}

/// An answer to an earlier read (before `r`, or of another filter) is not shown.
#[test]
fn stats_ignore_an_answer_to_an_older_read() {
    let mut c = mixed_history((120, 40));
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Char('s'));
    let old = c.store.stats(&c.state.history.filter).unwrap();
    c.press(KeyCode::Char('r'));
    // `r` asked again and got its answer (generation 1): the first read's answer and one
    // for another filter come late.
    c.msg(Msg::StatsLoaded {
        filter: c.state.history.filter.clone(),
        generation: 0,
        stats: Ok(Box::new(HistoryStats::default())),
    });
    c.msg(Msg::StatsLoaded {
        filter: HistoryFilter::default(),
        generation: 1,
        stats: Err("boom".into()),
    });
    let Some(Overlay::Stats(view)) = &c.state.overlay else {
        panic!("the stats view is open");
    };
    assert_eq!(view.stats.as_deref(), Some(&old));
    assert_eq!(view.error, None);
    assert!(!view.reading);
}

/// The first line of the batch table shown, and its heading.
fn first_batch_row(c: &Console) -> (String, String) {
    let text = buffer_text(&c.buffer());
    let lines: Vec<&str> = text.lines().collect();
    let heading = lines
        .iter()
        .position(|l| l.contains("line  user id"))
        .expect("the table heading");
    (lines[heading + 1].to_string(), lines[heading].to_string())
}

/// A long preview pages by what the table shows, stops at the last page, and a key back
/// always moves (it used to take extra presses after paging past the end); g/G go to
/// either end, and the heading says which rows show.
#[test]
fn a_long_batch_pages_by_the_table_and_every_key_back_moves() {
    for size in SIZES {
        let mut c = Console::sandbox(size);
        c.ctrl('b');
        let ids: Vec<String> = (0..60)
            .map(|i| format!("usr-aaaaaaaa-4a5b-4c6d-8e7f-{i:012}"))
            .collect();
        let effects = update::handle_event(&mut c.state, &Event::Paste(ids.join("\n")));
        c.run(effects);
        c.ctrl('s');
        let (first, heading) = first_batch_row(&c);
        assert!(first.contains("    1 "), "{size:?}: {first}");
        assert!(heading.contains("rows 1-"), "{size:?}: {heading}");
        assert!(heading.contains(" of 60"), "{size:?}: {heading}");
        for _ in 0..20 {
            c.press(KeyCode::PageDown);
        }
        let (_, at_end) = first_batch_row(&c);
        assert!(at_end.contains("-60 of 60"), "{size:?}: {at_end}");
        c.press(KeyCode::PageUp);
        let (_, back) = first_batch_row(&c);
        assert_ne!(back, at_end, "{size:?}: one PgUp moves back");
        c.press(KeyCode::Char('G'));
        assert_eq!(first_batch_row(&c).1, at_end, "{size:?}");
        c.press(KeyCode::Char('k'));
        assert_ne!(first_batch_row(&c).1, at_end, "{size:?}: one k moves back");
        c.press(KeyCode::Char('g'));
        assert_eq!(first_batch_row(&c), (first, heading), "{size:?}");
    }
}

/// The batch editor at 80 columns: the target stays on screen when the form's redirect
/// URI makes the help wrap, a long row wraps under its own line number, and the title
/// says rows and where the cursor is without reading as a row too many.
#[test]
fn the_batch_editor_keeps_the_target_line_numbers_and_an_honest_title() {
    let mut c = Console::sandbox((80, 24));
    c.fill_form(
        USER_A,
        '1',
        "https://example.com/kyc/done/with/a/long/path/for/the/return",
    );
    c.ctrl('b');
    let long = format!(
        "{USER_B},full,https://example.com/a/very/long/redirect/path/that/goes/past/the/edge?x=1\n{USER_C}\n"
    );
    let effects = update::handle_event(&mut c.state, &Event::Paste(long));
    c.run(effects);
    let text = buffer_text(&c.buffer());
    assert!(text.contains("Target: profile sandbox"), "{text}");
    assert!(
        text.contains("2 filled line(s) · cursor at line 3 of 3, column 1"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.contains(&format!(" 1 {USER_B}")))
        .unwrap_or_else(|| panic!("line 1 with its number:\n{text}"));
    // The row's end is on the next screen line, under the number, not scrolled sideways.
    assert!(lines[first + 1].contains("?x=1"), "{text}");
    assert!(lines[first + 2].contains(&format!(" 2 {USER_C}")), "{text}");
}

/// `/status:503` keeps the rows whose final status is 503 and nothing else (a search for
/// "503" also finds ids holding it), the title says so, the stats view counts those rows,
/// and `/` again shows the filter as typed.
#[test]
fn a_status_word_in_the_filter_keeps_that_status_only() {
    let mut c = mixed_history((120, 40));
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Char('/'));
    c.type_text("status:503");
    c.press(KeyCode::Enter);
    assert_eq!(c.state.history.filter.status, Some(503));
    assert_eq!(c.state.history.filter.text, "");
    assert_eq!(c.state.history.total, 1);
    let text = buffer_text(&c.buffer());
    assert!(text.contains("status 503"), "{text}");
    c.press(KeyCode::Char('s'));
    let text = buffer_text(&c.buffer());
    assert!(
        text.contains("1 row · ") && text.contains("status 503"),
        "{text}"
    );
    c.press(KeyCode::Char('q'));
    c.press(KeyCode::Char('/'));
    assert_eq!(c.state.history.filter_input.value(), "status:503 ");
    // Esc clears it: every row again.
    c.press(KeyCode::Esc);
    assert_eq!(c.state.history.filter.status, None);
    assert_eq!(c.state.history.total, 6);
}
