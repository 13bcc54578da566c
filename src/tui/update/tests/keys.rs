//! Keys that close what is on top, quit only from the form, and scroll pages: `q` and Esc
//! close the overlay, detail or pane on top; help opens at the keys of the screen it
//! covers; help and the detail scroll by line, page and to either end, and stop at their
//! last line.

use super::*;
use crate::tui::keymap::Mode;
use crate::tui::view::page_size;

/// A submission whose detail is longer than one screen: many response headers.
fn long_submission(id: SubmissionId) -> crate::history::Submission {
    let mut ex = exchange(
        201,
        r#"{"id":"kyc-1","status":"pending"}"#,
        "application/json",
    );
    if let AttemptResult::Response(r) = &mut ex.attempts[0].result {
        for i in 0..60 {
            r.headers
                .push((format!("x-extra-{i}"), format!("value {i}")));
        }
    }
    crate::history::Submission {
        id,
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
            idempotency_key: "k".into(),
            request: ex.request.clone(),
            resend_of: None,
            batch_id: None,
            batch_line: None,
        },
        attempts: ex.attempts,
        outcome: Some(OutcomeKind::Initiated),
        dispatched_at: Some(chrono::Utc::now()),
    }
}

fn open_detail(s: &mut State) {
    s.overlay = Some(Overlay::LoadingDetail(4));
    apply(s, Msg::DetailLoaded(Box::new(long_submission(4))));
}

fn scroll(s: &State) -> u16 {
    match &s.overlay {
        Some(Overlay::Detail(d)) => d.scroll,
        Some(Overlay::Help { scroll, .. }) => *scroll,
        _ => panic!("no page on screen"),
    }
}

/// The scroll at which the page's last line is at the bottom of the screen.
fn end_of_page(s: &State) -> u16 {
    let (lines, height) = page_size(s).expect("a page");
    assert!(lines > height, "the page must be longer than the screen");
    u16::try_from(lines - height).unwrap()
}

#[test]
fn q_and_esc_in_the_history_pane_return_to_the_form() {
    for code in [KeyCode::Char('q'), KeyCode::Esc] {
        let mut s = state(false);
        s.focus = Focus::History;
        press(&mut s, code);
        assert_eq!(s.focus, Focus::UserId, "{code:?}");
        assert!(!s.quit, "{code:?} does not quit from the pane");
    }
}

#[test]
fn q_quits_from_the_form_outside_text_and_asks_while_work_is_in_flight() {
    let mut s = state(false);
    press(&mut s, KeyCode::Char('q'));
    assert_eq!(s.form.user_id.value(), "q", "a letter in a text field");
    assert!(!s.quit);

    let mut idle = state(false);
    press(&mut idle, KeyCode::Tab);
    assert_eq!(idle.focus, Focus::KycType);
    press(&mut idle, KeyCode::Char('q'));
    assert!(idle.quit, "nothing in flight: q quits");

    let mut busy = state(false);
    type_text(&mut busy, GOOD);
    key(&mut busy, KeyCode::Char('s'), KeyModifiers::CONTROL);
    busy.focus = Focus::Submit;
    press(&mut busy, KeyCode::Char('q'));
    assert!(!busy.quit);
    assert!(matches!(
        busy.overlay,
        Some(Overlay::Confirm(Confirm::Quit { in_flight: 1, .. }))
    ));
    // q closes the question like Esc, answering no.
    press(&mut busy, KeyCode::Char('q'));
    assert!(busy.overlay.is_none() && !busy.quit);
    press(&mut busy, KeyCode::Char('q'));
    press(&mut busy, KeyCode::Char('y'));
    assert!(busy.quit);
}

#[test]
fn q_closes_the_detail_the_help_and_the_profile_picker() {
    let mut s = state(false);
    s.focus = Focus::History;
    open_detail(&mut s);
    press(&mut s, KeyCode::Char('?'));
    assert!(matches!(s.overlay, Some(Overlay::Help { .. })));
    press(&mut s, KeyCode::Char('q'));
    assert!(
        matches!(s.overlay, Some(Overlay::Detail(_))),
        "back to the detail"
    );
    press(&mut s, KeyCode::Char('q'));
    assert!(s.overlay.is_none());
    assert_eq!(
        s.focus,
        Focus::History,
        "back to the pane it was opened from"
    );
    press(&mut s, KeyCode::Char('p'));
    assert!(matches!(s.overlay, Some(Overlay::Profiles { .. })));
    press(&mut s, KeyCode::Char('q'));
    assert!(s.overlay.is_none() && !s.quit);
}

#[test]
fn help_opens_at_the_screen_it_came_from() {
    let mut s = state(false);
    key(&mut s, KeyCode::F(1), KeyModifiers::NONE);
    assert!(matches!(
        s.overlay,
        Some(Overlay::Help {
            scroll: 0,
            from: Mode::TextField
        })
    ));
    press(&mut s, KeyCode::Esc);
    s.focus = Focus::History;
    press(&mut s, KeyCode::Char('?'));
    assert!(matches!(
        s.overlay,
        Some(Overlay::Help {
            from: Mode::History,
            ..
        })
    ));
    press(&mut s, KeyCode::Esc);
    open_detail(&mut s);
    press(&mut s, KeyCode::Char('?'));
    assert!(matches!(
        s.overlay,
        Some(Overlay::Help {
            from: Mode::Detail,
            ..
        })
    ));
}

#[test]
fn the_detail_scrolls_by_page_and_to_its_end_and_stops_there() {
    for size in [(120, 40), (80, 24)] {
        let mut s = state(false);
        handle_event(&mut s, &Event::Resize(size.0, size.1));
        open_detail(&mut s);
        let end = end_of_page(&s);
        press(&mut s, KeyCode::Char('G'));
        assert_eq!(scroll(&s), end, "G goes to the end at {size:?}");
        press(&mut s, KeyCode::Char('j'));
        assert_eq!(scroll(&s), end, "j stops at the end at {size:?}");
        press(&mut s, KeyCode::PageDown);
        assert_eq!(scroll(&s), end, "so does PgDn");
        press(&mut s, KeyCode::Char('k'));
        assert_eq!(
            scroll(&s),
            end - 1,
            "k moves at once, nothing to scroll back first"
        );
        press(&mut s, KeyCode::Home);
        assert_eq!(scroll(&s), 0);
        press(&mut s, KeyCode::PageDown);
        let page = scroll(&s);
        assert!(page > 1, "a page is more than a line: {page}");
        press(&mut s, KeyCode::PageUp);
        assert_eq!(scroll(&s), 0);
        press(&mut s, KeyCode::End);
        assert_eq!(scroll(&s), end, "End goes to the end");
        press(&mut s, KeyCode::Char('g'));
        assert_eq!(scroll(&s), 0, "g to the top");
    }
}

#[test]
fn help_scrolls_by_page_and_to_its_end_and_stops_there() {
    let mut s = state(false);
    handle_event(&mut s, &Event::Resize(80, 24));
    s.focus = Focus::History;
    press(&mut s, KeyCode::Char('?'));
    let end = end_of_page(&s);
    press(&mut s, KeyCode::PageDown);
    assert!(scroll(&s) > 1);
    press(&mut s, KeyCode::End);
    assert_eq!(scroll(&s), end);
    press(&mut s, KeyCode::Down);
    assert_eq!(scroll(&s), end);
    press(&mut s, KeyCode::PageUp);
    assert!(scroll(&s) < end);
    press(&mut s, KeyCode::Char('g'));
    assert_eq!(scroll(&s), 0);
    press(&mut s, KeyCode::Char('G'));
    assert_eq!(scroll(&s), end);
}
