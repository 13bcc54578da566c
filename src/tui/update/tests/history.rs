//! The history pane: windows loaded as the selection moves, the filter, and counts.

use super::*;
use crate::history::HistoryRow;

fn rows(n: usize, from: usize) -> Vec<HistoryRow> {
    (from..from + n)
        .map(|i| HistoryRow {
            id: i64::try_from(10_000 - i).unwrap(),
            profile: "sandbox".into(),
            created_at: chrono::Utc::now(),
            user_id: GOOD.into(),
            kyc_type: KycType::Full,
            status: Some(201),
            outcome: Some(OutcomeKind::Initiated),
            failure: None,
            latency_ms: Some(3),
            verification_id: None,
            webview_url: None,
            request_id: None,
            attempts: 1,
            batch_line: None,
            sent_at: Some(chrono::Utc::now()),
            operator: "tester".into(),
            idempotency_key: format!("key-{i}"),
            redirect_uri: None,
        })
        .collect()
}

#[test]
fn history_loads_windows_as_the_selection_moves_and_ignores_stale_answers() {
    let mut s = state(false);
    let Effect::LoadHistory {
        generation,
        offset: 0,
        limit,
        ..
    } = reload(&mut s)
    else {
        panic!("expected a load")
    };
    let visible = crate::tui::view::history_rows(&s);
    assert_eq!(
        limit, visible,
        "the first load reads the rows on screen only"
    );
    apply(
        &mut s,
        Msg::HistoryLoaded {
            generation,
            total: 5000,
            more: false,
            offset: 0,
            rows: rows(visible, 0),
        },
    );
    s.focus = Focus::History;
    let effects = press(&mut s, KeyCode::Char('j'));
    let Some(Effect::LoadHistory {
        generation,
        offset: 0,
        limit: WINDOW,
        ..
    }) = effects.first().cloned()
    else {
        panic!("the first move loads the window around, got {effects:?}")
    };
    apply(
        &mut s,
        Msg::HistoryLoaded {
            generation,
            total: 5000,
            more: false,
            offset: 0,
            rows: rows(WINDOW, 0),
        },
    );
    assert_eq!(s.history.rows.len(), WINDOW);
    assert!(
        press(&mut s, KeyCode::Char('j')).is_empty(),
        "inside the window: no load"
    );
    assert_eq!(s.history.selected, 2);
    let effects = press(&mut s, KeyCode::End);
    assert_eq!(s.history.selected, 4999);
    let Some(Effect::LoadHistory {
        generation: newer,
        offset,
        ..
    }) = effects.first().cloned()
    else {
        panic!("expected a load at the end, got {effects:?}")
    };
    assert!(offset > 4000 && offset < 4999, "{offset}");
    // An answer to an older request is dropped.
    apply(
        &mut s,
        Msg::HistoryLoaded {
            generation,
            total: 5000,
            more: false,
            offset: 0,
            rows: rows(WINDOW, 0),
        },
    );
    assert_eq!(s.history.offset, 0);
    apply(
        &mut s,
        Msg::HistoryLoaded {
            generation: newer,
            total: 5000,
            more: false,
            offset,
            rows: rows(5000 - offset, offset),
        },
    );
    assert_eq!(s.history.offset, offset);
    assert!(s.history.selected_row().is_some());
    press(&mut s, KeyCode::Char('g'));
    assert_eq!((s.history.selected, s.history.scroll), (0, 0));
}

/// A search matching much of a large history counts only a little past the window
/// ("1200+"); End counts every match first, then shows the oldest.
#[test]
fn a_search_counts_ahead_and_end_counts_every_match_first() {
    let mut s = state(false);
    s.focus = Focus::History;
    press(&mut s, KeyCode::Char('/'));
    let effects = type_keys(&mut s, "usr");
    let Some(Effect::LoadHistory {
        generation,
        count_cap,
        ..
    }) = effects.last().cloned()
    else {
        panic!("expected a load, got {effects:?}")
    };
    assert_eq!(count_cap, WINDOW + super::common::COUNT_AHEAD);
    apply(
        &mut s,
        Msg::HistoryLoaded {
            generation,
            total: count_cap,
            more: true,
            offset: 0,
            rows: rows(WINDOW, 0),
        },
    );
    press(&mut s, KeyCode::Enter);
    let effects = press(&mut s, KeyCode::End);
    let Some(Effect::LoadHistory {
        generation,
        count_cap: usize::MAX,
        ..
    }) = effects.first().cloned()
    else {
        panic!("expected a load counting every match, got {effects:?}")
    };
    let effects = apply(
        &mut s,
        Msg::HistoryLoaded {
            generation,
            total: 5000,
            more: false,
            offset: 0,
            rows: rows(WINDOW, 0),
        },
    );
    assert_eq!(s.history.selected, 4999);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadHistory { offset, count_cap: usize::MAX, .. }] if *offset > 4000),
        "then the window at the end: {effects:?}"
    );
}

fn type_keys(s: &mut State, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(s, KeyCode::Char(c)))
        .collect()
}

#[test]
fn the_filter_reloads_as_typed_and_esc_clears_it() {
    let mut s = state(false);
    s.focus = Focus::History;
    press(&mut s, KeyCode::Char('/'));
    assert_eq!(s.mode(), Mode::Filter);
    // One or two characters would match most of a large history: nothing is asked of
    // the store until the third.
    assert!(press(&mut s, KeyCode::Char('5')).is_empty());
    assert!(press(&mut s, KeyCode::Char('0')).is_empty());
    assert_eq!(s.history.filter.text, "");
    let effects = press(&mut s, KeyCode::Char('3'));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadHistory { filter, .. }] if filter.text == "503")
    );
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.mode(), Mode::History);
    let effects = press(&mut s, KeyCode::Char('e'));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadHistory { filter, .. }] if filter.errors_only && filter.text == "503")
    );
    // Back to two characters: the whole list again.
    press(&mut s, KeyCode::Char('/'));
    let effects = press(&mut s, KeyCode::Backspace);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadHistory { filter, .. }] if filter.text.is_empty())
    );
    press(&mut s, KeyCode::Char('/'));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.history.filter.text, "");
}
