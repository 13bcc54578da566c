//! Helpers every screen's update shares: footer messages, focus order, the history reload
//! request, and the app-wide actions (quit, help).

use std::time::{Duration, Instant};

use crate::api::RateLimit;
use crate::batch::Control;
use crate::tui::action::Action;
use crate::tui::batch_state::Stage;
use crate::tui::message::Effect;
use crate::tui::state::{Confirm, Detail, Focus, Overlay, SeenRate, State, Toast};
use crate::tui::view::{history_rows, page_size};

/// Rows loaded around the selection; the pane never holds more.
pub const WINDOW: usize = 200;
/// How long a footer message stays.
pub const TOAST_FOR: Duration = Duration::from_secs(4);

/// Takes in the rate-limit headers of a response that arrived now (the header counts the
/// reset down from now); a response without any leaves the last ones shown.
pub fn saw_rate(state: &mut State, rate: RateLimit) {
    if rate.is_known() {
        state.last_rate = Some(SeenRate {
            rate,
            at: state.now,
        });
    }
}

/// Shows a footer message and asks for it to be cleared later.
pub fn toast(state: &mut State, text: &str, error: bool) -> Vec<Effect> {
    state.next_toast += 1;
    let id = state.next_toast;
    state.toast = Some(Toast {
        id,
        text: text.to_string(),
        error,
    });
    vec![Effect::ClearToastAfter(id)]
}

/// The detail on screen, if any.
pub fn detail(state: &State) -> Option<&Detail> {
    match &state.overlay {
        Some(Overlay::Detail(d)) => Some(d),
        _ => None,
    }
}

/// The focus `step` places further in tab order.
pub fn cycle(focus: Focus, step: usize) -> Focus {
    let order = Focus::ORDER;
    let at = order.iter().position(|f| *f == focus).unwrap_or(0);
    order[(at + step) % order.len()]
}

/// How far past the loaded window a search counts its matches; the count grows as the
/// list is scrolled, and is completed when the oldest match is asked for.
pub const COUNT_AHEAD: usize = 1_000;

/// Asks for the history window around the current scroll position; answers to older
/// requests are recognised by their generation and dropped.
pub fn reload_history(state: &mut State) -> Effect {
    let visible = history_rows(state);
    let margin = WINDOW.saturating_sub(visible) / 2;
    let pane = &mut state.history;
    pane.generation += 1;
    let offset = pane.scroll.saturating_sub(margin);
    // The first load reads just the rows on screen, so the first frame costs the same
    // whatever the history's size; the window around them follows at the first move.
    let limit = if pane.loaded { WINDOW } else { visible };
    Effect::LoadHistory {
        filter: pane.filter.clone(),
        offset,
        limit,
        count_cap: if pane.count_all {
            usize::MAX
        } else {
            offset.saturating_add(WINDOW).saturating_add(COUNT_AHEAD)
        },
        generation: pane.generation,
    }
}

/// Quits, asking first while anything is in flight (a second quit confirms). A running
/// batch pauses while the question is open, so nothing more is sent until it is answered.
pub fn quit(state: &mut State) -> Vec<Effect> {
    let (in_flight, queued) = (state.sending(), state.queued());
    if in_flight + queued == 0
        || matches!(state.overlay, Some(Overlay::Confirm(Confirm::Quit { .. })))
    {
        state.quit = true;
        return Vec::new();
    }
    let mut effects = Vec::new();
    let now = state.now;
    let resume_batch = match state.batch.as_mut() {
        Some(b) if b.stage == Stage::Running && !b.paused && !b.stopping => {
            b.set_paused(true, now);
            effects.push(Effect::BatchControl(Control::Pause));
            true
        }
        _ => false,
    };
    open_overlay(
        state,
        Overlay::Confirm(Confirm::Quit {
            in_flight,
            queued,
            resume_batch,
        }),
    );
    effects
}

/// Opens the help at the keys of the screen it covers.
pub fn open_help(state: &mut State) -> Vec<Effect> {
    if !matches!(state.overlay, Some(Overlay::Help { .. })) {
        let from = state.mode();
        open_overlay(state, Overlay::Help { scroll: 0, from });
    }
    Vec::new()
}

/// Scrolls the help or the detail on top: a line, a page, to the top or the end. It stops
/// where the last line reaches the bottom of the screen, so every key moves what is seen.
pub fn scroll_page(state: &mut State, action: Action) -> Vec<Effect> {
    let Some((lines, height)) = page_size(state) else {
        return Vec::new();
    };
    let last = lines.saturating_sub(height);
    let page = height.saturating_sub(1).max(1);
    let scroll = match &mut state.overlay {
        Some(Overlay::Help { scroll, .. }) => scroll,
        Some(Overlay::Detail(d)) => &mut d.scroll,
        Some(Overlay::Stats(v)) => &mut v.scroll,
        _ => return Vec::new(),
    };
    let now = usize::from(*scroll).min(last);
    let next = match action {
        Action::ScrollUp => now.saturating_sub(1),
        Action::ScrollDown => now + 1,
        Action::PageUp => now.saturating_sub(page),
        Action::PageDown => now + page,
        Action::Top => 0,
        Action::Bottom => last,
        _ => now,
    };
    *scroll = u16::try_from(next.min(last)).unwrap_or(u16::MAX);
    Vec::new()
}

/// Covers the screen with an overlay; what it covers comes back when it closes.
pub fn open_overlay(state: &mut State, overlay: Overlay) {
    if let Some(below) = state.overlay.replace(overlay) {
        state.behind.push(below);
    }
}

/// Closes the top overlay, back to the one under it (or the main screen).
pub fn close_overlay(state: &mut State) {
    state.overlay = state.behind.pop();
}

/// Closes every overlay: back to the main screen.
pub fn close_all_overlays(state: &mut State) {
    state.overlay = None;
    state.behind.clear();
}

/// Time left until an instant, as of the state's clock.
pub fn remaining(state: &State, until: Instant) -> Duration {
    until.saturating_duration_since(state.now)
}
