//! The batch screen's sparklines beside the counts: rows sent each second, and the mean
//! latency of each second's answers (`·` for a second without any), over the same last
//! seconds (their number under each label), newest at the right edge, with the rate and
//! the latency percentiles so far.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::present::{format_duration, format_rate};
use crate::tui::batch_state::BatchScreen;
use crate::tui::state::State;

/// Narrower than this, a sparkline says too little to be drawn.
const SPARK_MIN: u16 = 4;
/// Drawn for a second with nothing in it, so it reads apart from a small value.
const NOTHING: &str = "·";

fn ms(v: u64) -> String {
    format_duration(Duration::from_millis(v))
}

/// The label, the sparkline and the value of one half, left to right: the longest
/// value that leaves the sparkline room, else the last (shortest).
fn split(area: Rect, label: &str, values: &[String]) -> ([Rect; 3], String) {
    let label_w = u16::try_from(label.chars().count() + 1).unwrap_or(u16::MAX);
    let room = area.width.saturating_sub(label_w + SPARK_MIN + 1);
    let value = values
        .iter()
        .find(|v| u16::try_from(v.chars().count()).is_ok_and(|w| w <= room))
        .or(values.last())
        .cloned()
        .unwrap_or_default();
    let value_w = u16::try_from(value.chars().count() + 1).unwrap_or(u16::MAX);
    let areas = Layout::horizontal([
        Constraint::Length(label_w),
        Constraint::Min(0),
        Constraint::Length(value_w),
    ])
    .areas(area);
    (areas, value)
}

/// `values` (oldest first) padded at the front with `before` (the seconds before the
/// run) to `width`, so the newest is at the right edge.
fn right_aligned<T: Clone>(values: Vec<T>, width: usize, before: T) -> Vec<T> {
    let mut padded = vec![before; width.saturating_sub(values.len())];
    padded.extend(values);
    padded
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let now = b.run_second(state.now);
    let [sent_half, _, latency_half] = Layout::horizontal([
        Constraint::Percentage(50),
        Constraint::Length(2),
        Constraint::Percentage(50),
    ])
    .areas(area);
    let rate = vec![format_rate(b.rate(state.now))];
    let latency_values = match (
        b.trace.latency_percentile(50),
        b.trace.latency_percentile(95),
    ) {
        (Some(p50), Some(p95)) => vec![
            format!("p50 {} · p95 {}", ms(p50), ms(p95)),
            format!("p95 {}", ms(p95)),
        ],
        _ => vec!["no answer yet".to_string(), "–".to_string()],
    };
    let (sent, rate) = split(sent_half, "sent", &rate);
    let (latency, latency_value) = split(latency_half, "latency", &latency_values);
    // Both over the same seconds: as many as the narrower one holds.
    let width = sent[1].width.min(latency[1].width);
    let seconds = usize::from(width);
    // Each half: its label, its sparkline, its value, left to right, the room left after.
    let spark_at = |r: Rect| Rect::new(r.x, r.y, width, r.height);
    // Under each label, when there is a line for it and a sparkline to read: the seconds
    // it spans, ending now at its right edge.
    let span = format!("{seconds} s");
    for (areas, label, value) in [(sent, "sent", rate), (latency, "latency", latency_value)] {
        let mut lines = vec![Line::from(Span::styled(label, t.muted()))];
        if width >= SPARK_MIN && areas[0].height >= 2 {
            lines.resize(usize::from(areas[0].height) - 1, Line::default());
            lines.push(Line::from(Span::styled(span.as_str(), t.muted())));
        }
        frame.render_widget(Paragraph::new(lines), areas[0]);
        let after = areas[1]
            .x
            .saturating_add(if width < SPARK_MIN { 0 } else { width });
        let value_area = Rect::new(after, areas[1].y, areas[2].right().saturating_sub(after), 1);
        frame.render_widget(Paragraph::new(format!(" {value}")), value_area);
    }
    if width < SPARK_MIN {
        return;
    }
    frame.render_widget(
        Sparkline::default()
            .data(right_aligned(
                b.trace.sent_per_second(now, seconds),
                seconds,
                0,
            ))
            .style(t.pending()),
        spark_at(sent[1]),
    );
    // A second without answers is a dot, apart from one whose answers were quick; the
    // seconds before the run are blank.
    frame.render_widget(
        Sparkline::default()
            .data(right_aligned(
                b.trace.latency_per_second(now, seconds),
                seconds,
                Some(0),
            ))
            .absent_value_symbol(NOTHING)
            .absent_value_style(t.muted())
            .style(t.ok()),
        spark_at(latency[1]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_second_is_at_the_right_edge() {
        assert_eq!(
            right_aligned(vec![None, Some(2)], 4, Some(0)),
            [Some(0), Some(0), None, Some(2)]
        );
        assert_eq!(right_aligned(vec![1, 2], 1, 0).len(), 2);
    }
}
