//! The batch screen while it sends and once it is done: the gauge (rate, ETA while
//! sending, "paused"), the counts, the rows, and only the keys that apply.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::batch_table::rows_table;
use super::wrap::{NOTES_MAX, height, wrapped};
use crate::domain::safe_text;
use crate::present::{format_duration, format_rate};
use crate::tui::action::Action;
use crate::tui::batch_state::{BatchScreen, Budget, Stage};
use crate::tui::keymap::{Mode, key_name};
use crate::tui::state::State;

/// `ETA 12 s`, `3 min 05 s`, `1 h 02 min`: whole units, as a countdown reads.
fn format_eta(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}

/// The rate-limit budget as last seen, when the limit and a window's length are known.
fn budget(state: &State, b: &BatchScreen) -> Option<Budget> {
    let seen = state.last_rate?;
    Some(Budget {
        limit: usize::try_from(seen.rate.limit?).ok()?,
        remaining: usize::try_from(seen.rate.remaining?).ok()?,
        reset_in: Duration::from_secs(seen.reset_in(state.now)?),
        window: b.window?,
    })
}

/// What the screen says under the rows: what happened and the keys that apply.
fn notes(state: &State, b: &BatchScreen) -> Vec<(String, ratatui::style::Style)> {
    let t = state.theme;
    let done = b.stage == Stage::Done;
    let mut notes = Vec::new();
    if done {
        let (unsent, unknown) = b.unsettled();
        if unsent + unknown > 0 {
            notes.push((
                format!(
                    "{unknown} row(s) of unknown outcome, {unsent} not sent · {} previews them, to send each again with its own key",
                    key_name(Mode::BatchDone, Action::BatchResume)
                ),
                t.warn(),
            ));
        } else {
            notes.push(("every row has its outcome in history".to_string(), t.ok()));
        }
        notes.push((
            format!(
                "{} closes (the rows are in history)",
                key_name(Mode::BatchDone, Action::Close)
            ),
            t.muted(),
        ));
    } else if b.stopping {
        notes.push((
            "stopping: rows in flight finish, the rest stays not sent".to_string(),
            t.warn(),
        ));
    } else {
        if b.paused {
            notes.push((
                format!(
                    "paused: nothing more is sent · {} resumes · {} stops",
                    key_name(Mode::BatchRun, Action::BatchPause),
                    key_name(Mode::BatchRun, Action::BatchStop)
                ),
                t.warn(),
            ));
        } else {
            if let Some(until) = b.waiting_until {
                notes.push((
                    format!(
                        "rate-limit budget used: waiting {} for the window",
                        format_duration(until.saturating_duration_since(state.now))
                    ),
                    t.warn(),
                ));
            }
            notes.push((
                format!(
                    "{} pauses · {} stops (rows in flight finish)",
                    key_name(Mode::BatchRun, Action::BatchPause),
                    key_name(Mode::BatchRun, Action::BatchStop)
                ),
                t.muted(),
            ));
        }
    }
    if let Some(e) = &b.error {
        notes.push((format!("✗ {}", safe_text(e)), t.error()));
    }
    notes
}

/// The gauge, the counts, the sparklines, the rows and the notes, top to bottom.
fn areas(area: Rect, notes_height: u16) -> [Rect; 5] {
    // The sparklines grow taller where the screen has room for them.
    let trace_height = if area.height >= 30 { 3 } else { 1 };
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(trace_height),
        Constraint::Min(3),
        Constraint::Length(notes_height),
    ])
    .areas(area)
}

/// Where the rows go, in the screen's `area`.
pub fn table_area(area: Rect, state: &State, b: &BatchScreen) -> Rect {
    let notes = wrapped(&notes(state, b), area.width);
    areas(area, height(&notes, NOTES_MAX))[3]
}

pub fn running(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let done = b.stage == Stage::Done;
    let notes = wrapped(&notes(state, b), area.width);
    let [gauge, counts, trace, table, footer] = areas(area, height(&notes, NOTES_MAX));
    let ratio = if b.to_send == 0 {
        1.0
    } else {
        (b.done as f64 / b.to_send as f64).clamp(0.0, 1.0)
    };
    let mut label = format!(
        "{}/{} · {}",
        b.done,
        b.to_send,
        format_rate(b.rate(state.now))
    );
    if done {
        label.push_str(&format!(" · sent in {}", format_eta(b.active(state.now))));
    } else if b.paused {
        label.push_str(" · paused");
    } else if let Some(eta) = b.eta(state.now, budget(state, b)) {
        label.push_str(&format!(" · ETA {}", format_eta(eta)));
    }
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(if done { t.ok() } else { t.pending() }),
        gauge,
    );
    let mut spans = Vec::new();
    for (kind, n) in &b.counts {
        spans.push(Span::styled(
            format!("{n} {}  ", kind.label()),
            t.outcome(*kind),
        ));
    }
    if let Some(id) = &b.batch_id {
        spans.push(Span::styled(format!("batch {}", safe_text(id)), t.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), counts);
    super::batch_trace::render(frame, trace, state, b);
    rows_table(frame, table, state, b);
    frame.render_widget(Paragraph::new(notes), footer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_reads_in_whole_units() {
        assert_eq!(format_eta(Duration::from_millis(12_400)), "12 s");
        assert_eq!(format_eta(Duration::from_secs(185)), "3 min 05 s");
        assert_eq!(format_eta(Duration::from_secs(3720)), "1 h 02 min");
    }
}
