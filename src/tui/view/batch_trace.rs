//! The batch screen's sparklines beside the counts: rows sent each second, and how long
//! each second's answers took, newest at the right, with the rate and the latency
//! percentiles so far.

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

fn ms(v: u64) -> String {
    format_duration(Duration::from_millis(v))
}

/// One sparkline with its label before it and its value after, in `area`.
fn labelled<'a>(
    frame: &mut Frame,
    area: Rect,
    label: Span<'a>,
    values: &[&str],
    spark: impl FnOnce(u16) -> Sparkline<'a>,
) {
    let label_w = u16::try_from(label.width() + 1).unwrap_or(u16::MAX);
    // The longest value that leaves the sparkline room; the last (shortest) otherwise.
    let room = area.width.saturating_sub(label_w + SPARK_MIN + 1);
    let value = values
        .iter()
        .find(|v| u16::try_from(v.chars().count()).is_ok_and(|w| w <= room))
        .or(values.last())
        .copied()
        .unwrap_or_default();
    let value_w = u16::try_from(value.chars().count() + 1).unwrap_or(u16::MAX);
    let [l, s, v] = Layout::horizontal([
        Constraint::Length(label_w),
        Constraint::Min(0),
        Constraint::Length(value_w),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(label)), l);
    if s.width >= SPARK_MIN {
        frame.render_widget(spark(s.width), s);
    }
    frame.render_widget(Paragraph::new(format!(" {value}")), v);
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let now = b.run_second(state.now);
    let [sent, _, latency] = Layout::horizontal([
        Constraint::Percentage(50),
        Constraint::Length(2),
        Constraint::Percentage(50),
    ])
    .areas(area);
    let rate = format_rate(b.rate(state.now));
    labelled(
        frame,
        sent,
        Span::styled("sent/s", t.muted()),
        &[&rate],
        |w| {
            Sparkline::default()
                .data(b.trace.sent_per_second(now, usize::from(w)))
                .style(t.pending())
        },
    );
    let (p50, p95) = (
        b.trace.latency_percentile(50),
        b.trace.latency_percentile(95),
    );
    let (long, short) = match (p50, p95) {
        (Some(p50), Some(p95)) => (
            format!("p50 {} · p95 {}", ms(p50), ms(p95)),
            format!("p95 {}", ms(p95)),
        ),
        _ => ("no answer yet".to_string(), "–".to_string()),
    };
    labelled(
        frame,
        latency,
        Span::styled("latency", t.muted()),
        &[&long, &short],
        |w| {
            Sparkline::default()
                .data(b.trace.latency_per_second(now, usize::from(w)))
                .style(t.ok())
        },
    );
}
