//! End-to-end: the real event loop on a TestBackend, scripted keys, the real embedded
//! sandbox over loopback, the real client and store.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::channel::mpsc as fmpsc;
use kyc_console::api::{ApiClient, ApiKey, ClientOptions, Target};
use kyc_console::config::Profile;
use kyc_console::domain::{OutcomeKind, UserId, error_on_demand_id};
use kyc_console::history::{HistoryFilter, HistoryStore, SqliteStore};
use kyc_console::sandbox::{SANDBOX_API_KEY, Sandbox, SandboxConfig};
use kyc_console::target::{Opened, Targets};
use kyc_console::tui::app::{self, Observed, Services};
use kyc_console::tui::batch_state::{RowState, Stage};
use kyc_console::tui::clipboard::{RecordingClipboard, decode_osc52};
use kyc_console::tui::state::{Confirm, Focus, LastResult, Overlay, PathsInfo, State, TargetInfo};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::{mpsc, watch};

struct Console {
    keys: fmpsc::UnboundedSender<io::Result<Event>>,
    seen: watch::Receiver<Observed>,
    clipboard: RecordingClipboard,
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<Result<State, app::LoopError>>,
}

impl Console {
    async fn start(width: u16, height: u16) -> Console {
        Console::start_with(
            width,
            height,
            SandboxConfig {
                unavailable_retry_after: 1,
                ..SandboxConfig::default()
            },
        )
        .await
    }

    async fn start_with(width: u16, height: u16, config: SandboxConfig) -> Console {
        let sandbox = Sandbox::start(config, 0).await.unwrap();
        let target = Target::new(sandbox.base_url(), ApiKey::new(SANDBOX_API_KEY));
        let client = ApiClient::new(target.clone(), ClientOptions::default()).unwrap();
        let clipboard = RecordingClipboard::default();
        let dir = tempfile::tempdir().unwrap();
        let services = Services {
            opened: Opened {
                profile: Profile::sandbox(),
                target,
                client,
            },
            operator: "tester".into(),
            store: Arc::new(SqliteStore::open_in(dir.path()).unwrap()),
            data_dir: dir.path().to_path_buf(),
            targets: Arc::new(tokio::sync::Mutex::new(Targets::new())),
            profiles: vec![Profile::sandbox()],
            clipboard: Box::new(clipboard.clone()),
        };
        let state = State::new(
            TargetInfo {
                profile: "sandbox".into(),
                base_url: sandbox.base_url().to_string(),
                endpoint: format!("POST {}/kycs", sandbox.base_url()),
                production: false,
                operator: "tester".into(),
                max_retries: 3,
            },
            PathsInfo::default(),
            (width, height),
            Instant::now(),
        );
        let (keys, input) = fmpsc::unbounded();
        let (_fatal_tx, fatal_rx) = mpsc::unbounded_channel();
        let first = Observed {
            screen: String::new(),
            state: state.clone(),
        };
        let (observer, seen) = watch::channel(first);
        let task = tokio::spawn(async move {
            let _keep_fatal_open = _fatal_tx;
            let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
            app::run(
                &mut terminal,
                state,
                input,
                services,
                fatal_rx,
                Some(observer),
            )
            .await
        });
        Console {
            keys,
            seen,
            clipboard,
            sandbox,
            dir,
            task,
        }
    }

    fn key(&self, code: KeyCode, mods: KeyModifiers) {
        self.keys
            .unbounded_send(Ok(Event::Key(KeyEvent::new(code, mods))))
            .unwrap();
    }

    fn press(&self, code: KeyCode) {
        self.key(code, KeyModifiers::NONE);
    }

    fn ctrl(&self, c: char) {
        self.key(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    fn paste(&self, text: &str) {
        self.keys
            .unbounded_send(Ok(Event::Paste(text.to_string())))
            .unwrap();
    }

    /// Waits (up to 15 s) until what was drawn satisfies `check`.
    async fn wait(&mut self, what: &str, check: impl Fn(&Observed) -> bool) -> Observed {
        let waited =
            tokio::time::timeout(Duration::from_secs(15), self.seen.wait_for(|o| check(o)))
                .await
                .map(|r| r.map(|seen| seen.clone()));
        match waited {
            Ok(Ok(seen)) => seen,
            _ => panic!(
                "timed out waiting for {what}; screen:\n{}",
                self.seen.borrow().screen
            ),
        }
    }
}

fn count(o: &Observed, kind: OutcomeKind) -> u32 {
    o.state.session.count(kind)
}

#[tokio::test]
async fn operator_corrects_an_id_submits_sees_retries_copies_curl_and_enters_rapidly() {
    let mut c = Console::start(120, 40).await;

    // An invalid id is explained as it is typed and cannot be sent.
    c.type_text("usr-123");
    c.wait("the length reason", |o| {
        o.screen.contains("7/40 characters: too short")
    })
    .await;
    c.ctrl('s');
    let seen = c
        .wait("the refusal", |o| o.screen.contains("not sent: user id"))
        .await;
    assert_eq!(seen.state.focus, Focus::UserId);
    assert_eq!(c.sandbox.stats().requests, 0);

    // Corrected, type picked with a digit, sent with Enter from the last field.
    let good = "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6";
    c.ctrl('u');
    c.type_text(good);
    c.wait("a valid id", |o| o.screen.contains("✓ valid")).await;
    c.press(KeyCode::Enter);
    c.press(KeyCode::Char('2'));
    c.press(KeyCode::Enter);
    c.press(KeyCode::Enter);
    let seen = c
        .wait("the success row", |o| {
            count(o, OutcomeKind::Initiated) == 1 && o.screen.contains("initiated")
        })
        .await;
    assert!(seen.screen.contains("shipping"), "{}", seen.screen);
    assert_eq!(
        seen.state.form.user_id.value(),
        "",
        "rapid entry clears the id"
    );
    assert_eq!(seen.state.focus, Focus::UserId);
    assert_eq!(c.sandbox.stats().verifications, 1);

    // The 503 id: retries show on the row, then the explanation.
    c.type_text(error_on_demand_id(503).as_str());
    c.press(KeyCode::Enter); // rapid entry: Enter sends a valid id
    c.wait("a retry countdown", |o| o.screen.contains("retry 1/3 in"))
        .await;
    let seen = c
        .wait("the transient outcome", |o| {
            count(o, OutcomeKind::Transient) == 1
        })
        .await;
    match &seen.state.last_result {
        Some(LastResult::Done { exchange, .. }) => {
            assert_eq!(exchange.attempts.len(), 4);
            let key = &exchange.idempotency_key;
            assert_eq!(
                c.sandbox.key_stats(key).requests,
                4,
                "every retry reused the key"
            );
        }
        other => panic!("expected a finished result, got {other:?}"),
    }
    assert!(
        seen.screen.contains("503 Service Unavailable"),
        "{}",
        seen.screen
    );
    assert!(seen.screen.contains("Retry-After"), "{}", seen.screen);

    // The detail of the newest row, then copy as curl.
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Enter);
    let seen = c
        .wait("the detail view", |o| {
            matches!(o.state.overlay, Some(Overlay::Detail(_)))
        })
        .await;
    assert!(seen.screen.contains("Attempts"));
    assert!(
        seen.screen.contains("x-api-key: ••••••••"),
        "{}",
        seen.screen
    );
    c.press(KeyCode::Char('c'));
    c.wait("the copy confirmation", |o| {
        o.screen.contains("copied curl command")
    })
    .await;
    let written = c.clipboard.written.lock().unwrap().clone();
    assert_eq!(written.len(), 1);
    let curl = decode_osc52(&written[0]).expect("an OSC 52 sequence");
    assert!(curl.contains("$KYC_API_KEY"), "{curl}");
    assert!(!written[0].contains(SANDBOX_API_KEY) && !curl.contains(SANDBOX_API_KEY));
    assert!(curl.contains("usr-00000000-0000-4000-8000-000000000503"));
    c.press(KeyCode::Esc);
    c.wait("the detail closed", |o| o.state.overlay.is_none())
        .await;

    // Rapid entry of three ids: paste + Enter each.
    c.press(KeyCode::Tab);
    c.wait("the form focused", |o| o.state.focus == Focus::UserId)
        .await;
    for n in 0..3 {
        let id = UserId::random();
        c.paste(&format!("  {id}\n"));
        c.press(KeyCode::Enter);
        c.wait("the next success", |o| {
            count(o, OutcomeKind::Initiated) == 2 + n
        })
        .await;
    }
    let seen = c
        .wait("history of five", |o| o.state.history.total == 5)
        .await;
    assert_eq!(c.sandbox.stats().verifications, 4);
    assert!(!seen.screen.contains(SANDBOX_API_KEY));

    // Export what the pane shows, errors only: the one 503 row.
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Char('e'));
    c.wait("errors only", |o| o.state.history.total == 1).await;
    c.press(KeyCode::Char('x'));
    let seen = c
        .wait("the export", |o| o.screen.contains("exported 1 row(s)"))
        .await;
    let csv: Vec<_> = std::fs::read_dir(c.dir.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    assert_eq!(csv.len(), 1, "{}", seen.screen);
    let text = std::fs::read_to_string(&csv[0]).unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("id,created_at,sent_at,profile,user_id,type,status,outcome"));
    assert!(
        lines[1].contains("usr-00000000-0000-4000-8000-000000000503")
            && lines[1].contains(",503,transient,")
    );

    c.ctrl('q');
    let state = c.task.await.unwrap().unwrap();
    assert!(state.quit);
}

#[tokio::test]
async fn quitting_with_work_in_flight_asks_first() {
    let mut c = Console::start(80, 24).await;
    c.type_text(error_on_demand_id(503).as_str());
    c.ctrl('s');
    c.wait("in flight", |o| o.state.in_flight() == 1).await;
    c.ctrl('c');
    let seen = c
        .wait("the quit question", |o| o.screen.contains("being sent now"))
        .await;
    assert!(!seen.state.quit);
    c.press(KeyCode::Char('n'));
    c.wait("the question gone", |o| o.state.overlay.is_none())
        .await;
    c.ctrl('c');
    c.wait("asked again", |o| o.screen.contains("being sent now"))
        .await;
    c.press(KeyCode::Char('y'));
    let state = c.task.await.unwrap().unwrap();
    assert!(state.quit);
}

#[tokio::test]
async fn cancelling_asks_first_and_records_the_outcome_as_unknown() {
    let mut c = Console::start(120, 40).await;
    c.type_text(error_on_demand_id(503).as_str());
    c.ctrl('s');
    c.wait("waiting to retry", |o| o.screen.contains("retry 1/3 in"))
        .await;
    // Esc in a text field cancels nothing.
    c.press(KeyCode::Esc);
    c.ctrl('x');
    let asked = c
        .wait("the cancel question", |o| {
            matches!(
                o.state.overlay,
                Some(Overlay::Confirm(Confirm::Cancel { .. }))
            )
        })
        .await;
    assert!(
        asked.screen.contains("outcome becomes unknown"),
        "{}",
        asked.screen
    );
    assert_eq!(asked.state.sending(), 1, "still in flight while asked");
    c.press(KeyCode::Char('y'));
    let seen = c
        .wait("the cancelled outcome", |o| {
            count(o, OutcomeKind::Unknown) == 1
        })
        .await;
    assert!(seen.screen.contains("cancelled"), "{}", seen.screen);
    assert_eq!(seen.state.in_flight(), 0);
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

fn batch_stage(o: &Observed) -> Option<Stage> {
    o.state.batch.as_ref().map(|b| b.stage)
}

#[tokio::test]
async fn a_pasted_batch_is_previewed_sent_and_lands_in_history() {
    let mut c = Console::start(120, 40).await;
    c.ctrl('b');
    c.wait("the batch screen", |o| batch_stage(o) == Some(Stage::Input))
        .await;
    let ids: Vec<String> = (0..5).map(|_| UserId::random().to_string()).collect();
    c.paste(&format!("{}\nusr-123\n", ids.join("\n")));
    c.ctrl('s');
    let seen = c
        .wait("the preview", |o| batch_stage(o) == Some(Stage::Preview))
        .await;
    assert!(
        seen.screen.contains("5 to send, 1 invalid"),
        "{}",
        seen.screen
    );
    assert_eq!(
        c.sandbox.stats().requests,
        0,
        "nothing is sent before confirming"
    );
    c.press(KeyCode::Enter);
    let seen = c
        .wait("the batch done", |o| batch_stage(o) == Some(Stage::Done))
        .await;
    assert!(seen.screen.contains("5 initiated"), "{}", seen.screen);
    assert!(
        seen.screen.contains("every row has its outcome"),
        "{}",
        seen.screen
    );
    assert_eq!(c.sandbox.stats().verifications, 5);
    // The sparklines' figures: every row counted in the second it went out, every
    // answer's latency in the percentiles.
    let b = seen.state.batch.as_ref().unwrap();
    let now = b.run_second(seen.state.now);
    let sent: u64 = b.trace.sent_per_second(now, 600).iter().sum();
    assert_eq!(sent, 5);
    assert!(b.trace.latency_percentile(95).is_some());
    assert!(seen.screen.contains("p50 "), "{}", seen.screen);
    c.press(KeyCode::Esc);
    let seen = c
        .wait("history with the batch", |o| {
            o.state.batch.is_none() && o.state.history.total == 5
        })
        .await;
    assert!(seen.screen.contains("initiated"));
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_stopped_batch_is_resumed_and_each_row_initiated_once() {
    let mut c = Console::start_with(
        120,
        40,
        SandboxConfig {
            latency: Duration::from_millis(250),
            ..SandboxConfig::default()
        },
    )
    .await;
    c.ctrl('b');
    // 24 rows, 4 at a time, 250 ms each: stopping after the first leaves plenty unsent
    // even on a slow machine.
    let ids: Vec<String> = (0..24).map(|_| UserId::random().to_string()).collect();
    c.paste(&ids.join("\n"));
    c.ctrl('s');
    c.wait("the preview", |o| batch_stage(o) == Some(Stage::Preview))
        .await;
    c.press(KeyCode::Enter);
    c.wait("a first row done", |o| {
        o.state.batch.as_ref().is_some_and(|b| b.done >= 1)
    })
    .await;
    c.press(KeyCode::Char('c'));
    let seen = c
        .wait("stopped", |o| batch_stage(o) == Some(Stage::Done))
        .await;
    let done = seen.state.batch.as_ref().map_or(0, |b| b.done);
    assert!(done < 24, "stopping left rows unsent ({done} done)");
    assert!(seen.screen.contains("not sent"), "{}", seen.screen);
    c.press(KeyCode::Esc);
    c.ctrl('b');
    c.wait("the resume offer", |o| {
        o.screen.contains("Ctrl-R resumes batch")
    })
    .await;
    c.ctrl('r');
    // Resuming shows what it will send first; nothing goes until Enter.
    let seen = c
        .wait("the resume preview", |o| {
            batch_stage(o) == Some(Stage::Preview) && o.screen.contains("resume batch")
        })
        .await;
    let to_send = seen.state.batch.as_ref().map_or(0, |b| b.to_send);
    assert_eq!(to_send, 24 - done, "{}", seen.screen);
    assert_eq!(c.sandbox.stats().verifications, done as u64);
    c.press(KeyCode::Enter);
    c.wait("resumed and done", |o| {
        batch_stage(o) == Some(Stage::Done)
            && o.state.batch.as_ref().is_some_and(|b| {
                b.rows
                    .iter()
                    .all(|r| matches!(r.state, RowState::Finished { .. }))
            })
    })
    .await;
    assert_eq!(c.sandbox.stats().verifications, 24, "each row exactly once");
    c.press(KeyCode::Esc);
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_second_verification_for_the_same_user_asks_first_and_no_sends_nothing() {
    let mut c = Console::start(120, 40).await;
    let user = UserId::random();
    c.type_text(user.as_str());
    c.ctrl('s');
    c.wait("the first initiated", |o| {
        count(o, OutcomeKind::Initiated) == 1
    })
    .await;
    // Rapid entry cleared the id: the same one again.
    c.type_text(user.as_str());
    c.ctrl('s');
    let asked = c
        .wait("the duplicate question", |o| {
            matches!(
                o.state.overlay,
                Some(Overlay::Confirm(Confirm::Duplicate { .. }))
            )
        })
        .await;
    assert!(
        asked.screen.contains("submission #1 (initiated"),
        "{}",
        asked.screen
    );
    c.press(KeyCode::Enter);
    let declined = c
        .wait("the question answered no", |o| o.state.overlay.is_none())
        .await;
    assert!(declined.screen.contains("not sent"), "{}", declined.screen);
    assert_eq!(
        c.sandbox.stats().verifications,
        1,
        "no is the default: nothing sent"
    );
    assert_eq!(declined.state.in_flight(), 0);

    c.ctrl('s');
    c.wait("asked again", |o| {
        matches!(
            o.state.overlay,
            Some(Overlay::Confirm(Confirm::Duplicate { .. }))
        )
    })
    .await;
    c.press(KeyCode::Char('y'));
    c.wait("the second initiated", |o| {
        count(o, OutcomeKind::Initiated) == 2
    })
    .await;
    assert_eq!(c.sandbox.stats().verifications, 2);
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_submission_in_flight_is_recorded_before_the_loop_returns() {
    use kyc_console::history::{HistoryFilter, HistoryStore};
    let mut c = Console::start(120, 40).await;
    // 504 after a delay, then retried: in flight for seconds.
    c.type_text(error_on_demand_id(504).as_str());
    c.ctrl('s');
    c.wait("in flight", |o| o.state.in_flight() == 1).await;
    c.ctrl('q');
    c.wait("the quit question", |o| o.screen.contains("being sent now"))
        .await;
    c.press(KeyCode::Char('y'));
    let state = c.task.await.unwrap().unwrap();
    assert!(state.quit);
    // Read at once: the loop ends only once the cancelled send has recorded its outcome.
    let store = SqliteStore::open_in(c.dir.path()).unwrap();
    let rows = store.window(&HistoryFilter::default(), 0, 10).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].outcome, Some(OutcomeKind::Unknown), "{rows:?}");
    assert_eq!(
        rows[0].failure,
        Some(kyc_console::domain::FailureKind::Cancelled),
        "{rows:?}"
    );
}

#[tokio::test]
async fn quitting_mid_batch_records_rows_in_flight_as_cut_off_not_lost() {
    let mut c = Console::start_with(
        120,
        40,
        SandboxConfig {
            latency: Duration::from_secs(5),
            ..SandboxConfig::default()
        },
    )
    .await;
    c.ctrl('b');
    let ids: Vec<String> = (0..8).map(|_| UserId::random().to_string()).collect();
    c.paste(&ids.join("\n"));
    c.ctrl('s');
    c.wait("the preview", |o| batch_stage(o) == Some(Stage::Preview))
        .await;
    c.press(KeyCode::Enter);
    c.wait("rows in flight", |o| {
        o.state.batch.as_ref().is_some_and(|b| {
            b.rows
                .iter()
                .filter(|r| r.state == RowState::Sending)
                .count()
                == 4
        })
    })
    .await;
    c.ctrl('q');
    c.wait("the quit question", |o| o.screen.contains("being sent now"))
        .await;
    let asked = std::time::Instant::now();
    c.press(KeyCode::Char('y'));
    c.task.await.unwrap().unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "rows in flight were cut off, not waited out ({:?})",
        asked.elapsed()
    );
    let store = SqliteStore::open_in(c.dir.path()).unwrap();
    let rows = store.window(&HistoryFilter::default(), 0, 100).unwrap();
    assert_eq!(rows.len(), 8);
    let sent: Vec<_> = rows.iter().filter(|r| r.dispatched()).collect();
    assert_eq!(sent.len(), 4, "four were in flight");
    for row in &sent {
        assert_eq!(row.outcome, Some(OutcomeKind::Unknown), "{row:?}");
    }
    assert!(
        rows.iter()
            .filter(|r| !r.dispatched())
            .all(|r| r.outcome.is_none()),
        "the queued rows stay not sent, for a resume"
    );
}

/// At 80x24, through the real loop: `q` leaves the history pane for the form, help opens
/// at the keys of the screen it covers and scrolls to its end, the detail shows every key
/// in its footer, and `q` quits from the form once nothing is typed into.
#[tokio::test]
async fn q_closes_what_is_on_top_help_opens_where_you_are_and_q_quits_from_the_form() {
    let mut c = Console::start(80, 24).await;
    c.type_text(error_on_demand_id(400).as_str());
    c.ctrl('s');
    c.wait("the rejection", |o| {
        count(o, OutcomeKind::Rejected) == 1 && o.state.live.is_empty()
    })
    .await;

    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.wait("the pane", |o| o.state.focus == Focus::History)
        .await;
    c.press(KeyCode::Char('?'));
    let seen = c
        .wait("help", |o| {
            matches!(o.state.overlay, Some(Overlay::Help { .. }))
        })
        .await;
    let top: Vec<&str> = seen.screen.lines().take(8).collect();
    assert!(
        top.iter().any(|l| l.contains("History · where you are")),
        "{}",
        seen.screen
    );
    c.press(KeyCode::End);
    c.wait("the end of the help", |o| o.screen.contains(" · end "))
        .await;
    c.press(KeyCode::Char('q'));
    c.wait("help closed", |o| o.state.overlay.is_none()).await;

    c.press(KeyCode::Enter);
    let seen = c
        .wait("the detail", |o| {
            matches!(o.state.overlay, Some(Overlay::Detail(_)))
        })
        .await;
    for item in ["r resend", "R retry same key", "l edit"] {
        assert!(seen.screen.contains(item), "{item}:\n{}", seen.screen);
    }
    c.press(KeyCode::Char('q'));
    c.wait("the detail closed", |o| o.state.overlay.is_none())
        .await;
    c.press(KeyCode::Char('q'));
    let seen = c
        .wait("back in the form", |o| o.state.focus == Focus::UserId)
        .await;
    assert!(!seen.state.quit);

    c.press(KeyCode::Tab);
    c.wait("the type picker", |o| o.state.focus == Focus::KycType)
        .await;
    c.press(KeyCode::Char('q'));
    let state = c.task.await.unwrap().unwrap();
    assert!(state.quit);
}

#[tokio::test]
async fn after_a_refusal_the_next_id_replaces_the_refused_one_and_rapid_entry_goes_on() {
    let mut c = Console::start(120, 40).await;
    c.paste(&UserId::random().to_string());
    c.ctrl('s');
    c.wait("rapid entry", |o| count(o, OutcomeKind::Initiated) == 1)
        .await;
    c.paste(error_on_demand_id(400).as_str());
    c.press(KeyCode::Enter);
    let seen = c
        .wait("the refusal", |o| o.state.form.refused_selected())
        .await;
    assert!(
        seen.screen.contains("refused: typing replaces it"),
        "{}",
        seen.screen
    );
    // A paste the terminal types key by key, then another as one paste: each replaces
    // the refused id, and Enter sends it.
    let typed = UserId::random();
    c.type_text(typed.as_str());
    c.press(KeyCode::Enter);
    c.wait("the typed id sent", |o| {
        count(o, OutcomeKind::Initiated) == 2
    })
    .await;
    c.paste(error_on_demand_id(400).as_str());
    c.press(KeyCode::Enter);
    c.wait("refused again", |o| {
        count(o, OutcomeKind::Rejected) == 2 && o.state.form.refused_selected()
    })
    .await;
    c.paste(&format!("{}\n", UserId::random()));
    c.press(KeyCode::Enter);
    let seen = c
        .wait("the pasted id sent", |o| {
            count(o, OutcomeKind::Initiated) == 3
        })
        .await;
    assert!(!seen.screen.contains("/40 characters"), "{}", seen.screen);
    assert_eq!(c.sandbox.stats().verifications, 3);
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn ids_pasted_into_the_form_together_open_in_the_batch_screen() {
    let mut c = Console::start(80, 24).await;
    let ids: Vec<String> = (0..3).map(|_| UserId::random().to_string()).collect();
    c.paste(&ids.join(" "));
    c.wait("the offer", |o| o.screen.contains("3 ids pasted · Ctrl-B"))
        .await;
    c.ctrl('b');
    c.wait("the editor with the ids", |o| {
        o.state
            .batch
            .as_ref()
            .is_some_and(|b| b.text() == ids.join("\n"))
    })
    .await;
    c.ctrl('s');
    let seen = c
        .wait("the preview", |o| batch_stage(o) == Some(Stage::Preview))
        .await;
    assert!(seen.screen.contains("3 to send"), "{}", seen.screen);
    // Esc goes back to the editor with the list, not away with it.
    c.press(KeyCode::Esc);
    let seen = c
        .wait("the editor", |o| batch_stage(o) == Some(Stage::Input))
        .await;
    assert!(seen.screen.contains(&ids[2]), "{}", seen.screen);
    assert_eq!(c.sandbox.stats().requests, 0);
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_mistyped_file_path_says_no_such_file() {
    let mut c = Console::start(120, 40).await;
    c.ctrl('b');
    let missing = c.dir.path().join("ids-typo.csv");
    c.type_text(&missing.display().to_string());
    c.ctrl('s');
    let seen = c
        .wait("the error", |o| o.screen.contains("no such file"))
        .await;
    assert_eq!(batch_stage(&seen), Some(Stage::Input));
    assert!(
        seen.state
            .batch
            .as_ref()
            .and_then(|b| b.error.clone())
            .is_some_and(|e| e == format!("no such file: {}", missing.display())),
        "{}",
        seen.screen
    );
    // The file, once there, is read.
    std::fs::write(&missing, format!("{}\n", UserId::random())).unwrap();
    c.ctrl('s');
    let seen = c
        .wait("the preview", |o| batch_stage(o) == Some(Stage::Preview))
        .await;
    assert!(seen.screen.contains("1 to send"), "{}", seen.screen);
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_retry_with_the_same_key_is_counted_apart_from_submissions() {
    let mut c = Console::start(120, 40).await;
    c.type_text(error_on_demand_id(503).as_str());
    c.ctrl('s');
    c.wait("waiting to retry", |o| o.screen.contains("retry 1/3 in"))
        .await;
    c.ctrl('x');
    c.press(KeyCode::Char('y'));
    c.wait("cut off", |o| count(o, OutcomeKind::Unknown) == 1)
        .await;
    // `R` in its detail sends it again with its own key; cut off again.
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Enter);
    c.wait("the detail", |o| {
        matches!(o.state.overlay, Some(Overlay::Detail(_)))
    })
    .await;
    c.press(KeyCode::Char('R'));
    c.wait("sent again", |o| {
        o.state.live.values().any(|l| l.retry_at.is_some())
    })
    .await;
    c.press(KeyCode::Esc);
    c.ctrl('x');
    c.press(KeyCode::Char('y'));
    let seen = c
        .wait("cut off again", |o| {
            o.state.session.retried() == 1 && o.state.live.is_empty()
        })
        .await;
    assert_eq!(seen.state.session.submitted(), 1, "one submission");
    assert_eq!(count(&seen, OutcomeKind::Unknown), 1);
    assert!(
        seen.screen
            .contains("session 1 submitted · 1 retried: 1 unknown"),
        "{}",
        seen.screen
    );
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}

/// Support staff's question, "what came back and how long did it take": after a success
/// and a refusal, `s` on the history pane counts both by status from the real store, and
/// `r` counts again once another row is in.
#[tokio::test]
async fn the_stats_view_counts_what_was_sent_and_counts_again_on_r() {
    let mut c = Console::start(120, 40).await;
    c.paste(&UserId::random().to_string());
    c.ctrl('s');
    c.wait("the success", |o| count(o, OutcomeKind::Initiated) == 1)
        .await;
    c.paste(error_on_demand_id(400).as_str());
    c.ctrl('s');
    c.wait("the refusal", |o| count(o, OutcomeKind::Rejected) == 1)
        .await;
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Char('s'));
    let seen = c
        .wait("the figures", |o| o.screen.contains("2 rows · "))
        .await;
    for text in ["By status", "201", "400", "rejected", "embedded sandbox"] {
        assert!(seen.screen.contains(text), "{text}:\n{}", seen.screen);
    }
    // Closed, back to the form (q twice), another one sent, and the view opened again.
    c.press(KeyCode::Char('q'));
    c.press(KeyCode::Char('q'));
    c.paste(&UserId::random().to_string());
    c.ctrl('s');
    c.wait("another success", |o| count(o, OutcomeKind::Initiated) == 2)
        .await;
    c.key(KeyCode::BackTab, KeyModifiers::SHIFT);
    c.press(KeyCode::Char('s'));
    c.wait("the figures again", |o| o.screen.contains("3 rows · "))
        .await;
    // Another console on the same history records a row: `r` counts it in.
    let other = SqliteStore::open_in(c.dir.path()).unwrap();
    let mut row = other.get(1).unwrap().new;
    row.idempotency_key = uuid::Uuid::new_v4().to_string();
    row.user_id = UserId::random().to_string();
    other.create(&row).unwrap();
    c.press(KeyCode::Char('j'));
    let seen = c
        .wait("a key handled", |o| o.screen.contains("3 rows · "))
        .await;
    assert!(!seen.screen.contains("4 rows · "), "{}", seen.screen);
    c.press(KeyCode::Char('r'));
    let seen = c
        .wait("counted again", |o| o.screen.contains("4 rows · "))
        .await;
    assert!(seen.screen.contains("never sent"), "{}", seen.screen);
    c.ctrl('q');
    c.task.await.unwrap().unwrap();
}
