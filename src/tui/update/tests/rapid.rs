//! Rapid entry: a refused id is replaced by what comes next, a paste of several ids goes
//! to the batch screen, the field shows the id as it will be sent, and the session counts
//! each submission once.

use super::*;
use crate::tui::batch_state::{BatchScreen, Stage};

const OTHER: &str = "usr-00000000-0000-4000-8000-000000000001";

fn refused_400(s: &mut State, id: SubmissionId, user: &str) {
    created(s, id, user);
    let body = r##"{"title":"Invalid","status":400,"errors":[{"pointer":"#/userId","detail":"unknown user"}]}"##;
    apply(
        s,
        Msg::Finished {
            id,
            exchange: Box::new(exchange(400, body, "application/problem+json")),
        },
    );
}

fn initiated(s: &mut State, id: SubmissionId, user: &str) {
    created(s, id, user);
    apply(
        s,
        Msg::Finished {
            id,
            exchange: Box::new(exchange(201, "{}", "application/json")),
        },
    );
}

/// A state in rapid entry (one success), then a refusal of `GOOD`.
fn refused_in_rapid_entry() -> State {
    let mut s = state(false);
    type_text(&mut s, OTHER);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    initiated(&mut s, 1, OTHER);
    assert!(s.form.rapid);
    type_text(&mut s, GOOD);
    press(&mut s, KeyCode::Enter);
    refused_400(&mut s, 2, GOOD);
    s
}

#[test]
fn after_a_refusal_the_next_typed_id_replaces_the_refused_one() {
    let mut s = refused_in_rapid_entry();
    assert_eq!(s.form.user_id.value(), GOOD, "kept, to read");
    assert!(s.form.refused_selected(), "and selected");
    assert_eq!(s.focus, Focus::UserId);
    // A terminal without bracketed paste types the paste: it used to be appended (80/40).
    type_text(&mut s, OTHER);
    assert_eq!(s.form.user_id.value(), OTHER);
    assert!(!s.form.refused_selected());
    // Rapid entry goes on: Enter sends the new id.
    let effects = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Submit { request, .. }] if request.user_id.as_str() == OTHER),
        "{effects:?}"
    );
}

#[test]
fn after_a_refusal_the_next_paste_replaces_the_refused_id() {
    let mut s = refused_in_rapid_entry();
    handle_event(&mut s, &Event::Paste(format!("{OTHER}\n")));
    assert_eq!(s.form.user_id.value(), OTHER);
    let effects = press(&mut s, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::Submit { .. }]));
}

#[test]
fn enter_on_a_refused_id_says_what_replaces_it_and_moves_nowhere() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    refused_400(&mut s, 1, GOOD);
    let effects = press(&mut s, KeyCode::Enter);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Submit { .. })));
    assert_eq!(s.focus, Focus::UserId, "not on to the type field");
    let toast = s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default();
    assert!(toast.contains("paste or type the next one"), "{toast}");
    assert!(toast.contains("Ctrl-S sends it again"), "{toast}");
    // Ctrl-S still sends it again, deliberately.
    let effects = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(matches!(effects.as_slice(), [Effect::Submit { .. }]));
}

#[test]
fn a_refused_id_is_cleared_by_backspace_and_kept_by_a_cursor_move() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    refused_400(&mut s, 1, GOOD);
    press(&mut s, KeyCode::Left);
    assert!(!s.form.refused_selected(), "a move ends the selection");
    press(&mut s, KeyCode::Char('0'));
    assert_eq!(
        s.form.user_id.value().len(),
        41,
        "an edit of the id, not a new one"
    );

    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    refused_400(&mut s, 1, GOOD);
    press(&mut s, KeyCode::Backspace);
    assert_eq!(s.form.user_id.value(), "", "the selection is deleted whole");
}

#[test]
fn a_refusal_naming_another_field_leaves_the_id_unselected() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    created(&mut s, 1, GOOD);
    let body = r##"{"title":"Invalid","status":400,"errors":[{"pointer":"#/redirectUri","detail":"not allowed"}]}"##;
    apply(
        &mut s,
        Msg::Finished {
            id: 1,
            exchange: Box::new(exchange(400, body, "application/problem+json")),
        },
    );
    assert!(!s.form.refused_selected());
}

#[test]
fn several_ids_pasted_into_the_form_are_offered_to_the_batch_screen() {
    let mut s = state(false);
    // Two ids on one line used to land in the field whole: "81/40 characters".
    handle_event(&mut s, &Event::Paste(format!("{GOOD} {OTHER}\n")));
    assert_eq!(
        s.form.user_id.value(),
        GOOD,
        "the first id, the field's size"
    );
    let offer = s.form.pasted_list().cloned().expect("the list on offer");
    assert_eq!(
        (offer.ids, offer.text.as_str()),
        (2, &*format!("{GOOD}\n{OTHER}"))
    );
    // One key moves the list into the batch editor; the field held its first id.
    key(&mut s, KeyCode::Char('b'), KeyModifiers::CONTROL);
    let b = s.batch.as_ref().expect("the batch screen");
    assert_eq!(b.stage, Stage::Input);
    assert_eq!(b.text(), format!("{GOOD}\n{OTHER}"));
    assert!(
        b.note
            .as_deref()
            .is_some_and(|n| n.contains("2 ids moved here"))
    );
    assert_eq!(s.form.user_id.value(), "");
    assert!(s.form.pasted_list().is_none());
}

#[test]
fn a_pasted_list_of_lines_goes_to_the_batch_screen_as_it_came() {
    let mut s = state(false);
    let csv = format!("user_id,type\r\n{GOOD},rfi\r\n{OTHER},full\r\n");
    handle_event(&mut s, &Event::Paste(csv));
    assert_eq!(s.form.user_id.value(), GOOD);
    key(&mut s, KeyCode::Char('b'), KeyModifiers::CONTROL);
    let text = s.batch.as_ref().map(BatchScreen::text).unwrap_or_default();
    assert_eq!(text, format!("user_id,type\n{GOOD},rfi\n{OTHER},full\n"));
}

#[test]
fn the_offer_lapses_once_the_field_is_edited() {
    let mut s = state(false);
    handle_event(&mut s, &Event::Paste(format!("{GOOD}\n{OTHER}")));
    press(&mut s, KeyCode::Backspace);
    assert!(s.form.pasted_list().is_none());
    key(&mut s, KeyCode::Char('b'), KeyModifiers::CONTROL);
    assert!(s.batch.as_ref().is_some_and(BatchScreen::is_blank));
}

#[test]
fn an_uppercase_id_is_shown_as_it_will_be_sent() {
    let mut s = state(false);
    handle_event(&mut s, &Event::Paste(GOOD.to_uppercase()));
    assert_eq!(s.form.user_id.value(), GOOD, "lowered on screen, as sent");
    let note = s.form.as_sent_note().expect("said so");
    assert!(note.lowercased && !note.trimmed);
    // Typed, the same; a space typed is left out (and said).
    let mut s = state(false);
    type_text(&mut s, &format!(" {} ", GOOD.to_uppercase()));
    assert_eq!(s.form.user_id.value(), GOOD);
    let note = s.form.as_sent_note().expect("said so");
    assert!(note.lowercased && note.trimmed);
    // An emptied field has nothing to say.
    key(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(s.form.as_sent_note(), None);
}

#[test]
fn a_retry_with_the_same_key_is_counted_apart_from_submissions() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    created(&mut s, 1, GOOD);
    apply(
        &mut s,
        Msg::Finished {
            id: 1,
            exchange: Box::new(exchange(503, "busy", "text/plain")),
        },
    );
    assert_eq!(s.session.count(OutcomeKind::Transient), 1);
    // `R` in the detail sends it again with its own key.
    let effects = crate::tui::update::sending::start_send(
        &mut s,
        crate::tui::state::PendingSend::Again {
            id: 1,
            user_id: GOOD.into(),
            idempotency_key: "k".into(),
        },
        crate::send::Consent::default(),
    );
    assert!(matches!(effects.as_slice(), [Effect::Retry { .. }]));
    initiated(&mut s, 1, GOOD);
    assert_eq!((s.session.submitted(), s.session.retried()), (1, 1));
    assert_eq!(s.session.count(OutcomeKind::Initiated), 1);
    assert_eq!(s.session.count(OutcomeKind::Transient), 0, "settled since");
}

/// A refusal as the first send starts rapid entry as a success does: the pasted id that
/// replaces the refused one is sent with Enter (it used to move to the type field).
#[test]
fn after_a_first_refusal_the_next_pasted_id_is_sent_with_enter() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    refused_400(&mut s, 1, GOOD);
    assert!(s.form.refused_selected());
    handle_event(&mut s, &Event::Paste(OTHER.into()));
    assert_eq!(s.form.user_id.value(), OTHER);
    let effects = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Submit { request, .. }] if request.user_id.as_str() == OTHER),
        "{effects:?}"
    );
    assert_eq!(s.focus, Focus::UserId);
}

#[test]
fn r_on_a_submission_from_an_earlier_run_counts_as_a_retry() {
    let mut s = state(false);
    let mut earlier = crate::history::Submission {
        id: 926,
        new: crate::history::NewSubmission {
            created_at: chrono::Utc::now(),
            operator: "op".into(),
            profile: "sandbox".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            target: "embedded sandbox".into(),
            key_env: None,
            user_id: GOOD.into(),
            kyc_type: KycType::Full,
            redirect_uri: None,
            idempotency_key: "k926".into(),
            request: exchange(503, "busy", "text/plain").request,
            resend_of: None,
            batch_id: None,
            batch_line: None,
        },
        attempts: Vec::new(),
        outcome: None,
        dispatched_at: Some(chrono::Utc::now()),
    };
    earlier.outcome = Some(OutcomeKind::Unknown);
    s.focus = Focus::History;
    s.overlay = Some(Overlay::LoadingDetail(926));
    apply(&mut s, Msg::DetailLoaded(Box::new(earlier)));
    let effects = press(&mut s, KeyCode::Char('R'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Retry { id: 926, .. })),
        "{effects:?}"
    );
    apply(
        &mut s,
        Msg::Created {
            id: 926,
            user_id: GOOD.into(),
            idempotency_key: "k926".into(),
        },
    );
    apply(
        &mut s,
        Msg::Finished {
            id: 926,
            exchange: Box::new(exchange(201, "{}", "application/json")),
        },
    );
    assert!(!s.session.is_empty(), "the retry is in the session counter");
    assert_eq!((s.session.submitted(), s.session.retried()), (0, 1));
}

/// A paste into the user id field takes the id and says what it left out: text beside it
/// on its line, control characters (which used to vanish unseen), later lines.
#[test]
fn a_paste_says_what_it_left_out_beside_the_id() {
    let toast_of = |s: &State| s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default();
    let mut s = state(false);
    handle_event(&mut s, &Event::Paste(format!("{GOOD} hello")));
    assert_eq!(s.form.user_id.value(), GOOD);
    assert_eq!(toast_of(&s), "pasted, leaving out \"hello\" beside the id");

    let mut s = state(false);
    handle_event(
        &mut s,
        &Event::Paste("usr-\u{202e}3f0e8d4a\u{1b}[2J-5b6c\u{7}".into()),
    );
    assert_eq!(s.form.user_id.value(), "usr-3f0e8d4a[2j-5b6c");
    assert_eq!(toast_of(&s), "pasted, leaving out 3 control character(s)");

    let mut s = state(false);
    handle_event(&mut s, &Event::Paste(GOOD.into()));
    assert!(s.toast.is_none(), "a clean paste says nothing");
}
