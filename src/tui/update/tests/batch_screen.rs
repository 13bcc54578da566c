//! The batch screen: a real editor, Esc back to the text, resume previewed first, a
//! finished screen offering only what applies, and an ETA that stops while paused.

use super::*;
use crate::batch::Defaults;
use crate::history::{BatchInfo, HistoryRow, MemoryStore, NewBatch, UnfinishedBatch};
use crate::tui::batch_state::{BatchScreen, RowState, Stage};
use crate::tui::keymap::{Mode, footer};

const OTHER: &str = "usr-00000000-0000-4000-8000-000000000001";

fn open_batch() -> State {
    let mut s = state(false);
    key(&mut s, KeyCode::Char('b'), KeyModifiers::CONTROL);
    assert_eq!(s.mode(), Mode::BatchInput);
    s
}

fn text(s: &State) -> String {
    s.batch.as_ref().map(BatchScreen::text).unwrap_or_default()
}

fn batch(s: &State) -> &BatchScreen {
    s.batch.as_ref().expect("the batch screen")
}

/// Plays the effects a preview asks for, as the loop would, against an empty history.
fn plan(s: &mut State, effects: Vec<Effect>) {
    for effect in effects {
        if let Effect::BatchPlan { text, defaults, .. } = effect {
            let rows = crate::batch::read_input(text.as_bytes()).unwrap();
            let plan = crate::batch::plan(&rows, &defaults, &MemoryStore::new(), "t").unwrap();
            apply(
                s,
                Msg::BatchPlanned {
                    source: "pasted".into(),
                    result: Ok(plan),
                },
            );
        }
    }
}

#[test]
fn the_editor_has_a_cursor_arrows_home_end_delete_and_undo() {
    let mut s = open_batch();
    type_text(&mut s, "abc");
    press(&mut s, KeyCode::Left);
    press(&mut s, KeyCode::Left);
    type_text(&mut s, "X");
    assert_eq!(text(&s), "aXbc", "typed at the cursor, not at the end");
    press(&mut s, KeyCode::Home);
    press(&mut s, KeyCode::Delete);
    assert_eq!(text(&s), "Xbc");
    press(&mut s, KeyCode::End);
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "second");
    press(&mut s, KeyCode::Up);
    press(&mut s, KeyCode::End);
    press(&mut s, KeyCode::Backspace);
    assert_eq!(text(&s), "Xb\nsecond");
    // A paste goes in at the cursor, line breaks kept.
    handle_event(&mut s, &Event::Paste("1\r\n2".into()));
    assert_eq!(text(&s), "Xb1\n2\nsecond");
    // Clearing can be undone, and redone.
    key(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(text(&s), "");
    key(&mut s, KeyCode::Char('z'), KeyModifiers::CONTROL);
    assert_eq!(text(&s), "Xb1\n2\nsecond");
    key(&mut s, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert_eq!(text(&s), "");
}

#[test]
fn scrolling_back_moves_through_a_long_list() {
    let mut s = open_batch();
    let list: Vec<String> = (0..100).map(|n| format!("line {n}")).collect();
    handle_event(&mut s, &Event::Paste(list.join("\n")));
    let cursor = |s: &State| batch(s).editor.lock().cursor().0;
    assert_eq!(cursor(&s), 99);
    press(&mut s, KeyCode::PageUp);
    assert!(cursor(&s) < 99, "a page back");
    key(&mut s, KeyCode::Up, KeyModifiers::NONE);
    let before = cursor(&s);
    press(&mut s, KeyCode::Down);
    assert_eq!(cursor(&s), before + 1);
}

#[test]
fn pasted_control_characters_are_shown_as_escapes() {
    let mut s = open_batch();
    handle_event(&mut s, &Event::Paste("usr-\u{1b}[2J\tx\n\u{202e}y".into()));
    assert_eq!(text(&s), "usr-\\x1b[2J\tx\n\\u{202e}y");
}

#[test]
fn esc_from_the_preview_returns_to_the_editor_with_the_text() {
    let mut s = open_batch();
    let pasted = format!("{GOOD}\n{OTHER}\nusr-123");
    handle_event(&mut s, &Event::Paste(pasted.clone()));
    let effects = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    plan(&mut s, effects);
    assert_eq!(s.mode(), Mode::BatchPreview);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.mode(), Mode::BatchInput, "back to the editor");
    assert_eq!(text(&s), pasted, "with the text");
    // `e` does the same.
    let effects = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    plan(&mut s, effects);
    press(&mut s, KeyCode::Char('e'));
    assert_eq!((s.mode(), text(&s)), (Mode::BatchInput, pasted));
}

#[test]
fn closing_the_editor_keeps_its_text_for_the_next_opening() {
    let mut s = open_batch();
    handle_event(&mut s, &Event::Paste(GOOD.into()));
    press(&mut s, KeyCode::Esc);
    assert!(s.batch.is_none());
    key(&mut s, KeyCode::Char('b'), KeyModifiers::CONTROL);
    assert_eq!(text(&s), GOOD);
}

#[test]
fn a_plan_arriving_after_going_back_to_the_text_is_dropped() {
    let mut s = open_batch();
    handle_event(&mut s, &Event::Paste(GOOD.into()));
    let effects = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    press(&mut s, KeyCode::Esc);
    plan(&mut s, effects);
    assert_eq!(s.mode(), Mode::BatchInput);
}

fn row(id: SubmissionId, line: u32, outcome: Option<OutcomeKind>, sent: bool) -> HistoryRow {
    HistoryRow {
        id,
        profile: "sandbox".into(),
        created_at: chrono::Utc::now(),
        user_id: GOOD.into(),
        kyc_type: KycType::Full,
        status: outcome.map(|_| 503),
        outcome,
        failure: None,
        latency_ms: None,
        verification_id: None,
        webview_url: None,
        request_id: None,
        attempts: u32::from(sent),
        batch_line: Some(line),
        sent_at: sent.then(chrono::Utc::now),
        redirect_uri: None,
        operator: "op".into(),
        idempotency_key: format!("k{id}"),
    }
}

fn recorded() -> BatchInfo {
    BatchInfo {
        batch: NewBatch {
            id: "b-1".into(),
            created_at: chrono::Utc::now(),
            operator: "op".into(),
            profile: "sandbox".into(),
            source: "ids.csv".into(),
        },
        rows: vec![
            row(1, 1, Some(OutcomeKind::Initiated), true),
            row(2, 2, Some(OutcomeKind::Transient), true),
            row(3, 3, None, true),
            row(4, 4, None, false),
        ],
    }
}

fn unfinished() -> Msg {
    Msg::BatchUnfinished(vec![UnfinishedBatch {
        id: "b-1".into(),
        created_at: chrono::Utc::now(),
        source: "ids.csv".into(),
        total: 4,
        unfinished: 3,
    }])
}

#[test]
fn ctrl_r_with_nothing_to_resume_says_so() {
    let mut s = open_batch();
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    let said = batch(&s).error.clone().unwrap_or_default();
    assert!(said.starts_with("nothing to resume"), "{said}");
    // On the finished screen too, where it used to do nothing.
    s.batch.as_mut().unwrap().stage = Stage::Done;
    s.batch.as_mut().unwrap().error = None;
    let effects = key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(effects.is_empty());
    let said = batch(&s).error.clone().unwrap_or_default();
    assert!(said.starts_with("nothing to resume"), "{said}");
}

#[test]
fn resume_previews_what_it_will_send_before_sending() {
    let mut s = open_batch();
    apply(&mut s, unfinished());
    let effects = key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(
        effects,
        [Effect::BatchLoadResume {
            batch_id: "b-1".into()
        }],
        "loads it to preview, sends nothing"
    );
    apply(&mut s, Msg::BatchResumeLoaded(Box::new(recorded())));
    assert_eq!(s.mode(), Mode::BatchPreview);
    let b = batch(&s);
    assert_eq!(b.pending_resume.as_deref(), Some("b-1"));
    assert_eq!(b.to_send, 3);
    let states: Vec<_> = b.rows.iter().map(|r| r.state.clone()).collect();
    assert!(matches!(states[0], RowState::Finished { .. }), "{states:?}");
    assert!(
        matches!(
            states[1],
            RowState::Resend {
                dispatched: true,
                last: Some(OutcomeKind::Transient),
                ..
            }
        ),
        "{states:?}"
    );
    assert!(matches!(
        states[3],
        RowState::Resend {
            dispatched: false,
            ..
        }
    ));
    // Esc goes back to the text; Enter in the preview sends.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.mode(), Mode::BatchInput);
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    apply(&mut s, Msg::BatchResumeLoaded(Box::new(recorded())));
    let effects = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::BatchResume { batch_id, .. }] if batch_id == "b-1"),
        "{effects:?}"
    );
    // Rows sent before are retries when they end; the one never sent is a submission.
    apply(&mut s, Msg::BatchResumed(Box::new(recorded())));
    for id in [2, 3, 4] {
        apply(
            &mut s,
            Msg::Batch(crate::batch::BatchEvent::RowFinished {
                line: u32::try_from(id).unwrap(),
                id,
                exchange: Box::new(exchange(201, "{}", "application/json")),
            }),
        );
    }
    assert_eq!((s.session.submitted(), s.session.retried()), (1, 2));
}

#[test]
fn a_resume_of_a_batch_with_nothing_left_says_so() {
    let mut s = open_batch();
    apply(&mut s, unfinished());
    key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    let mut settled = recorded();
    settled.rows.truncate(1);
    apply(&mut s, Msg::BatchResumeLoaded(Box::new(settled)));
    assert_eq!(s.mode(), Mode::BatchInput);
    let said = batch(&s).error.clone().unwrap_or_default();
    assert!(
        said.contains("every row of batch b-1 has its outcome"),
        "{said}"
    );
}

#[test]
fn the_finished_screen_offers_only_what_applies() {
    let mut s = open_batch();
    s.batch.as_mut().unwrap().stage = Stage::Done;
    assert_eq!(s.mode(), Mode::BatchDone);
    let offered: Vec<_> = footer(Mode::BatchDone)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert!(
        !offered.contains(&"pause/resume") && !offered.contains(&"stop"),
        "{offered:?}"
    );
    assert!(press(&mut s, KeyCode::Char(' ')).is_empty());
    assert!(press(&mut s, KeyCode::Char('c')).is_empty());
    assert!(!batch(&s).paused && !batch(&s).stopping);
    press(&mut s, KeyCode::Esc);
    assert!(s.batch.is_none());
}

#[test]
fn the_eta_runs_only_while_sending() {
    let t0 = Instant::now();
    let secs = Duration::from_secs;
    let mut b = BatchScreen::default();
    b.to_send = 40;
    b.start_clock(t0);
    b.done = 10;
    assert_eq!(b.eta(t0 + secs(10), None), Some(secs(30)));
    b.set_paused(true, t0 + secs(10));
    assert_eq!(b.eta(t0 + secs(70), None), None, "no ETA while paused");
    assert!(
        (b.rate(t0 + secs(70)) - 1.0).abs() < 1e-9,
        "paused time not counted"
    );
    b.set_paused(false, t0 + secs(70));
    b.done = 20;
    assert_eq!(b.eta(t0 + secs(80), None), Some(secs(20)));
    assert_eq!(b.active(t0 + secs(80)), secs(20));
    b.stop_clock(t0 + secs(80));
    assert_eq!(b.active(t0 + secs(500)), secs(20), "stopped");
}

#[test]
fn pausing_from_the_keyboard_and_the_quit_question_stops_the_clock() {
    let mut s = open_batch();
    let b = s.batch.as_mut().unwrap();
    b.stage = Stage::Running;
    b.to_send = 10;
    b.start_clock(s.now);
    press(&mut s, KeyCode::Char(' '));
    assert!(batch(&s).paused);
    s.now += Duration::from_secs(30);
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(batch(&s).active(s.now), Duration::ZERO);
    key(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    s.now += Duration::from_secs(30);
    press(&mut s, KeyCode::Char('n'));
    assert_eq!(
        batch(&s).active(s.now),
        Duration::ZERO,
        "paused while asked"
    );
}

#[test]
fn the_form_defaults_reach_the_preview() {
    let mut s = state(false);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char('3'));
    key(&mut s, KeyCode::Char('b'), KeyModifiers::CONTROL);
    handle_event(&mut s, &Event::Paste(GOOD.into()));
    let effects = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(matches!(
        effects.as_slice(),
        [Effect::BatchPlan { defaults: Defaults { kyc_type: KycType::Rfi, .. }, text, .. }] if text == GOOD
    ));
}

#[test]
fn on_the_finished_screen_ctrl_r_previews_the_batch_just_run() {
    let mut s = open_batch();
    // Another batch of the profile is unfinished; this one is what the screen shows.
    apply(&mut s, unfinished());
    let b = s.batch.as_mut().unwrap();
    b.stage = Stage::Done;
    b.batch_id = Some("b-just-run".into());
    let effects = key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(
        effects,
        [Effect::BatchLoadResume {
            batch_id: "b-just-run".into()
        }]
    );
}

/// What the footer offers now, as the view asks for it.
fn offered(s: &State) -> Vec<&'static str> {
    crate::tui::keymap::footer_where(s.mode(), |a| s.offers(a))
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

#[test]
fn the_finished_screen_offers_resume_only_with_rows_left() {
    let mut s = open_batch();
    let b = s.batch.as_mut().unwrap();
    b.stage = Stage::Done;
    b.batch_id = Some("b-1".into());
    b.show_recorded(&recorded());
    b.stage = Stage::Done;
    assert!(offered(&s).contains(&"resume"), "{:?}", offered(&s));
    // Every row has its outcome: Ctrl-R would only say "nothing to resume".
    let b = s.batch.as_mut().unwrap();
    for row in &mut b.rows {
        row.state = RowState::Finished {
            outcome: OutcomeKind::Initiated,
            status: Some(201),
        };
    }
    assert!(!offered(&s).contains(&"resume"), "{:?}", offered(&s));
}

#[test]
fn the_sending_screen_does_not_offer_a_close_it_refuses() {
    let mut s = open_batch();
    s.batch.as_mut().unwrap().stage = Stage::Running;
    assert_eq!(s.mode(), Mode::BatchRun);
    assert!(!offered(&s).contains(&"close"), "{:?}", offered(&s));
    // q still explains how to stop.
    press(&mut s, KeyCode::Char('q'));
    assert!(batch(&s).error.is_some());
    s.batch.as_mut().unwrap().stage = Stage::Done;
    assert!(offered(&s).contains(&"close"), "{:?}", offered(&s));
}

#[test]
fn a_refusal_said_while_sending_is_gone_from_the_finished_screen() {
    let mut s = open_batch();
    s.batch.as_mut().unwrap().stage = Stage::Running;
    press(&mut s, KeyCode::Char('q'));
    let said = batch(&s).error.clone().unwrap_or_default();
    assert!(said.contains("the batch is running"), "{said}");
    press(&mut s, KeyCode::Char('c'));
    apply(
        &mut s,
        Msg::BatchFinished(crate::batch::RunSummary {
            dispatched: 0,
            not_sent: 0,
            halted: None,
        }),
    );
    assert_eq!(s.mode(), Mode::BatchDone);
    assert_eq!(batch(&s).error, None);
}

#[test]
fn the_eta_counts_a_known_wait_and_the_rate_excludes_it() {
    use crate::tui::batch_state::Budget;
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut b = BatchScreen::default();
    b.to_send = 500;
    b.start_clock(t0);
    // 299 rows in 2.2 s, then the window is used up: 58.5 s to wait.
    b.done = 299;
    let now = t0 + ms(2_200);
    b.set_waiting(Some(now + ms(58_500)), now);
    let rate = b.rate(now);
    assert!((rate - 135.9).abs() < 0.1, "{rate}");
    // It used to say `ETA 1 s` here: the wait is in it now.
    let eta = b.eta(now, None).unwrap();
    assert!(eta > ms(59_000) && eta < ms(60_500), "{eta:?}");
    // Thirty seconds into the wait the rate has not fallen.
    let later = now + ms(30_000);
    assert!((b.rate(later) - rate).abs() < 1e-9, "{}", b.rate(later));
    let eta = b.eta(later, None).unwrap();
    assert!(eta > ms(29_000) && eta < ms(30_500), "{eta:?}");
    // With the limit known, the rows left past the next window need further windows.
    b.to_send = 1_000;
    let budget = Budget {
        limit: 300,
        remaining: 0,
        reset_in: ms(28_500),
        window: Duration::from_secs(60),
    };
    // 701 rows left: this wait, then windows of 300, 300 and 101 rows.
    let eta = b.eta(later, Some(budget)).unwrap();
    assert!(eta > ms(148_000) && eta < ms(150_000), "{eta:?}");
    // Sending again: the wait is over and no longer counted.
    b.set_waiting(None, now + ms(58_500));
    let eta = b
        .eta(
            now + ms(58_500),
            Some(Budget {
                remaining: 300,
                reset_in: Duration::from_secs(60),
                ..budget
            }),
        )
        .unwrap();
    // 300 now, 300 after this window's reset, the last 101 after the next one.
    assert!(eta > ms(120_000) && eta < ms(122_000), "{eta:?}");
}
