//! Update unit tests for questions and what they guard: cancelling, quitting with work in
//! flight, overlays returning to what they covered, switching profiles, batch resume.

use super::*;

#[test]
fn quit_asks_only_while_something_is_in_flight() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    key(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(!s.quit);
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm(Confirm::Quit {
            in_flight: 1,
            queued: 0,
            ..
        }))
    ));
    press(&mut s, KeyCode::Char('y'));
    assert!(s.quit);
    let mut idle = state(false);
    key(&mut idle, KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert!(idle.quit);
}

#[test]
fn esc_never_cancels_and_cancelling_asks_first_once() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    created(&mut s, 7, GOOD);
    let cancels = |e: &[Effect]| e.iter().any(|e| matches!(e, Effect::Cancel(_)));
    assert!(
        !cancels(&press(&mut s, KeyCode::Esc)),
        "Esc cancels nothing"
    );
    s.focus = Focus::History;
    assert!(!cancels(&press(&mut s, KeyCode::Esc)), "nor in the history");
    s.focus = Focus::UserId;
    let ctrl_x = |s: &mut State| key(s, KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert!(!cancels(&ctrl_x(&mut s)), "asks before cancelling");
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm(Confirm::Cancel { .. }))
    ));
    assert!(
        !cancels(&press(&mut s, KeyCode::Enter)),
        "no is the default"
    );
    assert!(s.overlay.is_none());
    ctrl_x(&mut s);
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(effects.contains(&Effect::Cancel("k".into())));
    ctrl_x(&mut s);
    assert!(
        s.overlay.is_none(),
        "cancelling already: nothing more to ask"
    );
}

#[test]
fn no_key_acts_while_the_terminal_is_too_small() {
    let mut s = state(false);
    handle_event(&mut s, &Event::Resize(40, 10));
    type_text(&mut s, GOOD);
    handle_event(&mut s, &Event::Paste(GOOD.into()));
    assert_eq!(s.form.user_id.value(), "", "typing and pasting do nothing");
    assert!(key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
    assert!(press(&mut s, KeyCode::Tab).is_empty());
    assert_eq!(s.focus, Focus::UserId);
    key(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(s.quit, "quitting still works");
}

#[test]
fn help_and_answered_questions_return_to_the_detail_they_were_opened_from() {
    let mut s = state(true);
    let submission = crate::history::Submission {
        id: 3,
        new: crate::history::NewSubmission {
            created_at: chrono::Utc::now(),
            operator: "op".into(),
            profile: "production".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            target: "embedded sandbox".into(),
            key_env: None,
            user_id: GOOD.into(),
            kyc_type: KycType::Full,
            redirect_uri: None,
            idempotency_key: "k3".into(),
            request: exchange(201, "{}", "application/json").request,
            resend_of: None,
            batch_id: None,
            batch_line: None,
        },
        attempts: Vec::new(),
        outcome: Some(OutcomeKind::Initiated),
        dispatched_at: Some(chrono::Utc::now()),
    };
    s.overlay = Some(Overlay::LoadingDetail(3));
    apply(&mut s, Msg::DetailLoaded(Box::new(submission)));
    let in_detail =
        |s: &State| matches!(&s.overlay, Some(Overlay::Detail(d)) if d.submission.id == 3);
    assert!(in_detail(&s));
    press(&mut s, KeyCode::Char('?'));
    assert!(matches!(s.overlay, Some(Overlay::Help { .. })));
    press(&mut s, KeyCode::Esc);
    assert!(in_detail(&s), "help closes back to the detail");
    // Resend on production asks; declining returns to the detail.
    press(&mut s, KeyCode::Char('r'));
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm(Confirm::Production { .. }))
    ));
    press(&mut s, KeyCode::Char('n'));
    assert!(in_detail(&s), "a declined question returns to the detail");
    press(&mut s, KeyCode::Char('r'));
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Submit {
            resend_of: Some(3),
            ..
        }
    )));
    assert!(in_detail(&s), "so does an accepted one");
    press(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none() && s.behind.is_empty());
}

#[test]
fn history_follows_the_profile_and_a_shows_every_profile() {
    let mut s = state(false);
    assert_eq!(s.history.filter.profile.as_deref(), Some("sandbox"));
    s.focus = Focus::History;
    let effects = press(&mut s, KeyCode::Char('a'));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadHistory { filter, .. }] if filter.profile.is_none())
    );
    press(&mut s, KeyCode::Char('a'));
    assert_eq!(s.history.filter.profile.as_deref(), Some("sandbox"));
    // Switching profile moves the pane to the new profile's rows.
    press(&mut s, KeyCode::Char('p'));
    assert!(matches!(s.overlay, Some(Overlay::Profiles { .. })));
    press(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
}

#[test]
fn a_switched_profile_is_where_the_next_submission_goes() {
    use crate::tui::state::RouteId;
    let mut s = state(false);
    type_text(&mut s, GOOD);
    let before = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(matches!(
        before.as_slice(),
        [Effect::Submit { route, .. }] if *route == RouteId::default()
    ));
    let mut info = s.target.clone();
    info.profile = "staging".into();
    apply(
        &mut s,
        Msg::ProfileSwitched {
            info,
            route: RouteId(1),
        },
    );
    assert_eq!(s.target.profile, "staging");
    let after = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(
        matches!(after.as_slice(), [Effect::Submit { route, .. }] if *route == RouteId(1)),
        "{after:?}"
    );
}

#[test]
fn the_quit_question_pauses_a_running_batch_and_counts_queued_rows_apart() {
    use crate::batch::Control;
    use crate::tui::batch_state::{BatchRow, BatchScreen, RowState, Stage};
    let mut s = state(false);
    let mut b = BatchScreen::default();
    b.stage = Stage::Running;
    b.to_send = 30;
    b.done = 0;
    b.rows = (1..=30)
        .map(|line| BatchRow {
            line,
            user_id: GOOD.into(),
            kyc_type: "full".into(),
            state: if line <= 2 {
                RowState::Sending
            } else {
                RowState::Queued
            },
            submission: None,
        })
        .collect();
    s.batch = Some(b);
    let effects = key(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(effects, [Effect::BatchControl(Control::Pause)]);
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm(Confirm::Quit {
            in_flight: 2,
            queued: 28,
            resume_batch: true
        }))
    ));
    assert!(s.batch.as_ref().is_some_and(|b| b.paused));
    let effects = press(&mut s, KeyCode::Char('n'));
    assert_eq!(effects, [Effect::BatchControl(Control::Run)]);
    assert!(s.batch.as_ref().is_some_and(|b| !b.paused));
    assert!(s.overlay.is_none() && !s.quit);
    // A batch the operator had paused stays paused after a no.
    if let Some(b) = s.batch.as_mut() {
        b.paused = true;
    }
    assert!(key(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL).is_empty());
    assert!(press(&mut s, KeyCode::Char('n')).is_empty());
    assert!(s.batch.as_ref().is_some_and(|b| b.paused));
}

#[test]
fn in_a_preview_ctrl_r_previews_resuming_the_unfinished_batch_holding_its_rows() {
    use crate::batch::{Check, Plan, PlannedRow};
    use crate::tui::batch_state::BatchScreen;
    let mut s = state(false);
    let mut b = BatchScreen::default();
    let plan = Plan {
        rows: vec![PlannedRow {
            line: 1,
            written: GOOD.into(),
            written_type: None,
            written_redirect_uri: None,
            request: None,
            check: Check::Held {
                submission: 4,
                batch: Some("b-held".into()),
            },
        }],
    };
    b.show_plan("pasted".into(), plan);
    s.batch = Some(b);
    let effects = key(&mut s, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(
        matches!(effects.as_slice(), [Effect::BatchLoadResume { batch_id }] if batch_id == "b-held"),
        "{effects:?}"
    );
}

/// Enter pressed again on the submit button while the form's submission is being
/// recorded, then sent, sends nothing more: each extra press once queued a question
/// whether to start that user's verification twice.
#[test]
fn submitting_again_while_the_form_is_being_sent_sends_and_asks_nothing() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    let first = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(matches!(first.as_slice(), [Effect::Submit { .. }]));
    for _ in 0..3 {
        let again = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert!(
            !again.iter().any(|e| matches!(e, Effect::Submit { .. })),
            "{again:?}"
        );
    }
    assert!(s.overlay.is_none());
    let toast = s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default();
    assert!(toast.contains("already being recorded"), "{toast}");
    // Recorded and in flight: the same user is not sent again either.
    created(&mut s, 927, GOOD);
    let again = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(!again.iter().any(|e| matches!(e, Effect::Submit { .. })));
    let toast = s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default();
    assert!(
        toast.contains("#927 for this user is being sent") && toast.contains("Ctrl-X cancels it"),
        "{toast}"
    );
    // Another user goes at once.
    assert_eq!(s.focus, Focus::UserId);
    for _ in 0..GOOD.len() {
        press(&mut s, KeyCode::Backspace);
    }
    type_text(&mut s, "usr-9c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f");
    let other = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(
        matches!(other.as_slice(), [Effect::Submit { .. }]),
        "{other:?}"
    );
}
