//! The stats view: reading the figures over the rows in view, the timeline's step,
//! reading again, scrolling.

use super::common::{close_overlay, open_overlay, scroll_page};
use crate::tui::action::Action;
use crate::tui::message::{Effect, Msg};
use crate::tui::state::{Overlay, State};
use crate::tui::stats_state::StatsView;

/// Opens the view over the rows the history pane's filter passes, and asks for them.
pub fn open(state: &mut State) -> Vec<Effect> {
    let filter = state.history.filter.clone();
    open_overlay(state, Overlay::Stats(StatsView::new(filter.clone())));
    vec![Effect::LoadStats {
        filter,
        generation: 0,
    }]
}

fn view(state: &mut State) -> Option<&mut StatsView> {
    match &mut state.overlay {
        Some(Overlay::Stats(v)) => Some(v),
        _ => None,
    }
}

/// An action while the stats view is on top.
pub fn handle(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Close => {
            close_overlay(state);
            Vec::new()
        }
        Action::TogglePer => {
            if let Some(v) = view(state) {
                v.per = Some(v.per().toggled());
                // Another timeline: from its top (its newest), not the old line number.
                v.scroll = 0;
            }
            Vec::new()
        }
        Action::ToggleZone => {
            if let Some(v) = view(state) {
                v.zone = v.zone.toggled();
            }
            Vec::new()
        }
        Action::Refresh => match view(state) {
            // One read at a time: a read of a large history takes seconds.
            Some(v) if v.reading => Vec::new(),
            Some(v) => {
                v.generation = v.generation.wrapping_add(1);
                v.reading = true;
                vec![Effect::LoadStats {
                    filter: v.filter.clone(),
                    generation: v.generation,
                }]
            }
            None => Vec::new(),
        },
        Action::ScrollUp
        | Action::ScrollDown
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => scroll_page(state, action),
        _ => Vec::new(),
    }
}

/// The figures came back: shown if they answer the view's latest read, wherever the
/// view is (a help opened over it keeps it underneath).
pub fn loaded(state: &mut State, msg: Msg) -> Vec<Effect> {
    let Msg::StatsLoaded {
        filter,
        generation,
        stats,
    } = msg
    else {
        return Vec::new();
    };
    let views = state.overlay.iter_mut().chain(state.behind.iter_mut());
    for overlay in views {
        if let Overlay::Stats(v) = overlay
            && v.generation == generation
            && v.filter == filter
        {
            v.reading = false;
            match stats {
                Ok(s) => {
                    v.stats = Some(s);
                    v.error = None;
                }
                Err(e) => v.error = Some(e),
            }
            break;
        }
    }
    Vec::new()
}
