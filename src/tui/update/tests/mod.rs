//! Update unit tests: keys and messages in, state and effects out.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::KeyEvent;

use super::*;
use crate::api::{Attempt, AttemptResult, CapturedResponse, Exchange, RateLimit, RequestRecord};
use crate::domain::{FormField, KycType, OutcomeKind};
use crate::history::SubmissionId;
use crate::tui::state::{Confirm, Focus};
use crate::tui::state::{PathsInfo, TargetInfo};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

const GOOD: &str = "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6";

fn state(production: bool) -> State {
    State::new(
        TargetInfo {
            profile: if production { "production" } else { "sandbox" }.into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            endpoint: "POST http://127.0.0.1:1/v1/kycs".into(),
            production,
            operator: "op".into(),
            max_retries: 3,
        },
        PathsInfo::default(),
        (120, 40),
        Instant::now(),
    )
}

fn key(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    handle_event(s, &Event::Key(KeyEvent::new(code, mods)))
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    key(s, code, KeyModifiers::NONE)
}

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c));
    }
}

fn exchange(status: u16, body: &str, content_type: &str) -> Exchange {
    Exchange {
        request: RequestRecord {
            method: "POST".into(),
            url: "http://127.0.0.1:1/v1/kycs".into(),
            headers: vec![],
            body: "{}".into(),
        },
        idempotency_key: "k".into(),
        attempts: vec![Attempt {
            number: 1,
            started_at: chrono::Utc::now(),
            latency: Duration::from_millis(5),
            result: AttemptResult::Response(CapturedResponse {
                status,
                headers: vec![("content-type".into(), content_type.into())],
                body: body.as_bytes().to_vec(),
                body_truncated: false,
                request_id: Some("req_1".into()),
                rate_limit: RateLimit {
                    limit: Some(300),
                    remaining: Some(299),
                    reset_secs: Some(60),
                    retry_after_secs: None,
                },
                read_fields: Default::default(),
            }),
            retry: None,
            stop: None,
        }],
    }
}

fn created(s: &mut State, id: SubmissionId, user_id: &str) {
    apply(
        s,
        Msg::Created {
            id,
            user_id: user_id.into(),
            idempotency_key: "k".into(),
        },
    );
}

#[test]
fn text_fields_take_letters_that_are_keys_elsewhere() {
    let mut s = state(false);
    type_text(&mut s, "jk?qe/");
    assert_eq!(s.form.user_id.value(), "jk?qe/");
    assert_eq!(s.focus, Focus::UserId);
    assert!(s.overlay.is_none());
}

#[test]
fn release_events_are_ignored() {
    let mut s = state(false);
    let mut release = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    handle_event(&mut s, &Event::Key(release));
    assert_eq!(s.form.user_id.value(), "");
}

#[test]
fn tab_order_runs_through_the_form_then_history() {
    let mut s = state(false);
    let mut seen = vec![s.focus];
    for _ in 0..5 {
        press(&mut s, KeyCode::Tab);
        seen.push(s.focus);
    }
    assert_eq!(
        seen,
        [
            Focus::UserId,
            Focus::KycType,
            Focus::RedirectUri,
            Focus::Submit,
            Focus::History,
            Focus::UserId
        ]
    );
    key(&mut s, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(s.focus, Focus::History);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Down);
    assert_eq!(
        s.focus,
        Focus::KycType,
        "down on the picker changes the type, not the field"
    );
    assert_eq!(s.form.kyc_type(), KycType::Full);
}

#[test]
fn the_type_picker_answers_arrows_digits_and_letters() {
    let mut s = state(false);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Down);
    assert_eq!(s.form.kyc_type(), KycType::Shipping);
    press(&mut s, KeyCode::Char('k'));
    press(&mut s, KeyCode::Char('k'));
    assert_eq!(s.form.kyc_type(), KycType::Import, "wraps around");
    press(&mut s, KeyCode::Char('3'));
    assert_eq!(s.form.kyc_type(), KycType::Rfi);
    press(&mut s, KeyCode::Char('f'));
    assert_eq!(s.form.kyc_type(), KycType::Full);
}

#[test]
fn an_invalid_form_is_not_sent_and_focus_goes_to_the_field() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "/relative");
    press(&mut s, KeyCode::Tab);
    let effects = key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Submit { .. })));
    assert_eq!(s.focus, Focus::RedirectUri);
    assert!(
        s.toast
            .as_ref()
            .is_some_and(|t| t.error && t.text.contains("redirect URI"))
    );
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn enter_moves_on_then_submits_from_the_last_field() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert_eq!(s.focus, Focus::KycType);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Focus::RedirectUri);
    let effects = press(&mut s, KeyCode::Enter);
    match effects.as_slice() {
        [
            Effect::Submit {
                request,
                resend_of: None,
                ..
            },
        ] => {
            assert_eq!(request.user_id.as_str(), GOOD);
            assert_eq!(request.kyc_type, KycType::Full);
            assert_eq!(request.redirect_uri, None);
        }
        other => panic!("expected one submit, got {other:?}"),
    }
    assert_eq!(s.in_flight(), 1);
    assert!(s.needs_tick());
}

#[test]
fn production_asks_first_and_defaults_to_no() {
    let mut s = state(true);
    type_text(&mut s, GOOD);
    assert!(key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm(Confirm::Production { .. }))
    ));
    let effects = press(&mut s, KeyCode::Enter);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Submit { .. })));
    assert!(s.overlay.is_none());
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Submit { .. }]));
}

#[test]
fn a_paste_is_trimmed_normalised_and_replaces_a_complete_id() {
    let mut s = state(false);
    handle_event(
        &mut s,
        &Event::Paste(format!("  {}\n", GOOD.to_uppercase())),
    );
    // The field shows the id as it will be sent, and says what that changed.
    assert_eq!(s.form.user_id.value(), GOOD);
    let note = s.form.as_sent_note().unwrap();
    assert!(note.lowercased && note.trimmed, "{note:?}");
    let other = "usr-00000000-0000-4000-8000-000000000503";
    handle_event(&mut s, &Event::Paste(other.into()));
    assert_eq!(s.form.user_id.value(), other);
    assert_eq!(s.form.as_sent_note(), None, "nothing changed in this one");
    handle_event(&mut s, &Event::Paste(format!("{GOOD}\nthe next line\n")));
    assert_eq!(s.form.user_id.value(), GOOD);
    assert!(
        s.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("first line"))
    );
}

#[test]
fn success_clears_the_id_keeps_the_rest_and_enables_rapid_entry() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char('3'));
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "https://example.com/done");
    press(&mut s, KeyCode::Enter);
    created(&mut s, 1, GOOD);
    let body = r#"{"id":"kyc-1","status":"pending","url":"https://kyc.example/v/1"}"#;
    apply(
        &mut s,
        Msg::Finished {
            id: 1,
            exchange: Box::new(exchange(201, body, "application/json")),
        },
    );
    assert_eq!(s.form.user_id.value(), "");
    assert_eq!(s.form.kyc_type(), KycType::Rfi);
    assert_eq!(s.form.redirect_uri.value(), "https://example.com/done");
    assert_eq!(s.focus, Focus::UserId);
    assert_eq!(s.session.count(OutcomeKind::Initiated), 1);
    assert_eq!(s.last_rate.and_then(|r| r.rate.remaining), Some(299));
    // Paste + Enter sends the next one.
    handle_event(
        &mut s,
        &Event::Paste("usr-00000000-0000-4000-8000-000000000400".into()),
    );
    assert!(matches!(
        press(&mut s, KeyCode::Enter).as_slice(),
        [Effect::Submit { .. }]
    ));
    // Ctrl-Y copies the last success's link.
    let copy = key(&mut s, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert!(copy.contains(&Effect::Copy {
        what: "webview link",
        text: "https://kyc.example/v/1".into()
    }));
}

#[test]
fn a_success_does_not_wipe_an_id_typed_since() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    key(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut s, "usr-1");
    created(&mut s, 1, GOOD);
    apply(
        &mut s,
        Msg::Finished {
            id: 1,
            exchange: Box::new(exchange(201, "{}", "application/json")),
        },
    );
    assert_eq!(s.form.user_id.value(), "usr-1");
}

#[test]
fn field_errors_from_the_body_show_at_the_field_until_edited() {
    let mut s = state(false);
    type_text(&mut s, GOOD);
    key(&mut s, KeyCode::Char('s'), KeyModifiers::CONTROL);
    created(&mut s, 1, GOOD);
    let body = r##"{"title":"Invalid","status":400,"errors":[{"pointer":"#/userId","detail":"unknown user"}]}"##;
    apply(
        &mut s,
        Msg::Finished {
            id: 1,
            exchange: Box::new(exchange(400, body, "application/problem+json")),
        },
    );
    assert_eq!(
        s.form
            .server_errors
            .get(&FormField::UserId)
            .map(String::as_str),
        Some("unknown user")
    );
    assert_eq!(
        s.form.user_id.value(),
        GOOD,
        "a failure keeps the id to fix"
    );
    press(&mut s, KeyCode::Backspace);
    assert!(s.form.server_errors.is_empty());
}

/// The batch screen's editor, preview, resume, finished screen and clock.
mod batch_screen;
/// What counts down with the clock.
mod clock;
/// Moving through history windows, the filter and its counts.
mod history;
/// Closing with q and Esc, quitting, help's first screen, scrolling pages.
mod keys;
/// Questions, cancelling, quitting, overlays returning, profiles and batch resume.
mod questions;
/// Rapid entry: refused ids replaced, pasted lists offered to the batch, session counts.
mod rapid;
