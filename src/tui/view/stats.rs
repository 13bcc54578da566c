//! The figures over the rows in view: how they ended, by status, with bars; a timeline
//! per minute or hour, newest first, each stretch's bar split into rows that initiated,
//! rows that did not, and rows without an outcome yet; and request latency per target.
//! Laid out from [`crate::present::describe_stats`], as `history --stats`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::wrap::wrap;
use crate::domain::{OutcomeKind, safe_text};
use crate::present::{
    LATENCY_HEADING, StatsReport, TimeLine, columns, describe_stats, latency_row, latency_widths,
    stats_headline, timeline_heading,
};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::layout::overlay_area;
use crate::tui::state::State;
use crate::tui::stats_state::StatsView;
use crate::tui::theme::Theme;

/// The widest a bar gets.
const BAR_MAX: usize = 30;
/// The most stretches of the timeline the view lists (a day of minutes, two months of
/// hours); `history --stats` prints them all.
pub const NEWEST: usize = 1_440;
/// A bar's part for rows that initiated, that did not, and without an outcome yet (told
/// apart without colour).
const OK_CELL: char = '█';
const ERROR_CELL: char = '▒';
const PENDING_CELL: char = '░';

pub fn render(frame: &mut Frame, area: Rect, state: &State, view: &StatsView) {
    let popup = overlay_area(area);
    let lines = lines(state, view, usize::from(popup.width.saturating_sub(2)));
    let more = format!(
        "{}/{}",
        key_name(Mode::Stats, Action::ScrollDown),
        key_name(Mode::Stats, Action::PageDown)
    );
    super::scrolled_page(
        frame,
        popup,
        lines,
        (view.scroll, &more),
        " Stats · the rows in view ",
        state.theme,
    );
}

/// What the rows in view are: the pane's filter, in words.
fn rows_in_view(view: &StatsView) -> String {
    let f = &view.filter;
    let mut parts = vec![match &f.profile {
        Some(p) => format!("profile {}", safe_text(p)),
        None => "all profiles".to_string(),
    }];
    if let Some(status) = f.status {
        parts.push(format!("status {status}"));
    }
    if f.errors_only {
        parts.push("errors only".to_string());
    }
    if !f.text.trim().is_empty() {
        parts.push(format!("filter “{}”", safe_text(f.text.trim())));
    }
    format!("rows in view: {}", parts.join(" · "))
}

/// `n` of `most` as a bar at most `width` cells long (at least one cell for any row).
fn cells(n: usize, most: usize, width: usize) -> usize {
    if n == 0 || most == 0 {
        return 0;
    }
    let exact = n as f64 * width as f64 / most as f64;
    (exact.round() as usize).clamp(1, width)
}

fn style_of(t: Theme, outcome: Option<OutcomeKind>) -> Style {
    outcome.map_or(t.muted(), |o| t.outcome(o))
}

/// `text` in at most `width` columns: whole, or its start and end around `…`.
fn cut_middle(text: &str, width: usize) -> String {
    if columns(text) <= width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let keep = width.saturating_sub(1);
    let head = keep / 2;
    let tail = keep - head;
    let start: String = chars.iter().take(head).collect();
    let end: String = chars[chars.len().saturating_sub(tail)..].iter().collect();
    format!("{start}…{end}")
}

/// The view's lines, wrapped to `width`.
pub fn lines(state: &State, view: &StatsView, width: usize) -> Vec<Line<'static>> {
    let t = state.theme;
    let mut out: Vec<(Line<'static>, usize)> =
        vec![(Line::styled(rows_in_view(view), t.muted()), 0)];
    if let Some(e) = &view.error {
        out.push((Line::styled(format!("✗ {}", safe_text(e)), t.error()), 2));
    }
    match &view.stats {
        None if view.reading => out.push((Line::styled("counting…", t.pending()), 0)),
        None => {}
        Some(stats) => {
            let report = describe_stats(stats, view.per(), view.zone, NEWEST);
            let mut head = stats_headline(&report);
            if view.reading {
                head.push_str(" · counting again…");
            }
            out.push((Line::styled(head, t.bold()), 0));
            if report.rows > 0 {
                answers(&mut out, &report, width, t);
                timeline(&mut out, &report, width, t);
                latency(&mut out, &report, width, t);
            }
        }
    }
    out.iter()
        .flat_map(|(line, hang)| wrap(line, width, *hang))
        .collect()
}

fn answers(out: &mut Vec<(Line<'static>, usize)>, r: &StatsReport, width: usize, t: Theme) {
    let rows_w = r.rows.to_string().len().max("rows".len());
    out.push((Line::raw(""), 0));
    out.push((Line::styled("By status", t.bold()), 0));
    let label_w = r
        .answers
        .iter()
        .map(|a| columns(&a.label))
        .max()
        .unwrap_or(0);
    let meaning_w = r
        .answers
        .iter()
        .map(|a| columns(&a.meaning))
        .max()
        .unwrap_or(0);
    let most = r.answers.iter().map(|a| a.rows).max().unwrap_or(0);
    let used = 2 + label_w + 2 + meaning_w + 2 + rows_w + 2 + 6 + 2;
    let bar_w = width.saturating_sub(used).clamp(1, BAR_MAX);
    for a in &r.answers {
        let style = style_of(t, a.outcome);
        out.push((
            Line::from(vec![
                Span::styled(format!("  {:<label_w$}", a.label), style),
                Span::raw(format!(
                    "  {:<meaning_w$}  {:>rows_w$}  {:>6}  ",
                    a.meaning, a.rows, a.share
                )),
                Span::styled(
                    OK_CELL.to_string().repeat(cells(a.rows, most, bar_w)),
                    style,
                ),
            ]),
            used,
        ));
    }
}

/// A stretch's answers in at most `width` columns: whole, or the first that fit and
/// `+N more`.
fn parts_within(line: &TimeLine, width: usize, t: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (label, n, outcome)) in line.parts.iter().enumerate() {
        let text = format!("{}{label} ×{n}", if i == 0 { "" } else { " · " });
        let left = line.parts.len() - i - 1;
        let reserve = if left > 0 {
            format!(" +{left} more").len()
        } else {
            0
        };
        if used + columns(&text) + reserve > width {
            spans.push(Span::styled(
                format!(" +{} more", line.parts.len() - i),
                t.muted(),
            ));
            return spans;
        }
        used += columns(&text);
        spans.push(Span::styled(text, style_of(t, *outcome)));
    }
    spans
}

fn timeline(out: &mut Vec<(Line<'static>, usize)>, r: &StatsReport, width: usize, t: Theme) {
    let rows_w = r.rows.to_string().len().max("rows".len());
    out.push((Line::raw(""), 0));
    out.push((
        Line::from(vec![
            Span::styled(timeline_heading(r), t.bold()),
            Span::styled(
                format!(
                    " · {} per {} · {} {}",
                    key_name(Mode::Stats, Action::TogglePer),
                    r.per.toggled().name(),
                    key_name(Mode::Stats, Action::ToggleZone),
                    r.zone.toggled().name()
                ),
                t.muted(),
            ),
        ]),
        0,
    ));
    let when_w = r
        .timeline
        .iter()
        .map(|l| columns(&l.when))
        .max()
        .unwrap_or(0)
        .max("time".len());
    out.push((
        Line::styled(
            format!(
                "  {:<when_w$}  {:>rows_w$}  {:>6}",
                "time", "rows", "errors"
            ),
            t.muted(),
        ),
        0,
    ));
    let used = 2 + when_w + 2 + rows_w + 2 + 6 + 2;
    // The bar takes at most a third of what is left, the answers the rest.
    let bar_w = (width.saturating_sub(used) / 3).clamp(1, BAR_MAX);
    for l in &r.timeline {
        let all = cells(l.rows, r.busiest, bar_w);
        let bad = cells(l.errors, l.rows, all).min(all);
        let waiting = cells(l.pending, l.rows, all).min(all - bad);
        let mut spans = vec![
            Span::raw(format!(
                "  {:<when_w$}  {:>rows_w$}  {:>6}  ",
                l.when, l.rows, l.errors
            )),
            Span::styled(OK_CELL.to_string().repeat(all - bad - waiting), t.ok()),
            Span::styled(ERROR_CELL.to_string().repeat(bad), t.error()),
            Span::styled(PENDING_CELL.to_string().repeat(waiting), t.muted()),
            Span::raw(" ".repeat(bar_w - all + 1)),
        ];
        spans.extend(parts_within(l, width.saturating_sub(used + bar_w + 1), t));
        out.push((Line::from(spans), used));
    }
    if r.older > 0 {
        out.push((
            Line::styled(
                format!(
                    "  {} older {}(s) not listed here: `kyc-console history --stats --per {}` prints them all",
                    r.older,
                    r.per.name(),
                    r.per.name()
                ),
                t.muted(),
            ),
            2,
        ));
    }
}

fn latency(out: &mut Vec<(Line<'static>, usize)>, r: &StatsReport, width: usize, t: Theme) {
    out.push((Line::raw(""), 0));
    out.push((Line::styled(LATENCY_HEADING, t.bold()), 0));
    if r.latency.is_empty() {
        out.push((Line::styled("  no request yet", t.muted()), 2));
        return;
    }
    let (target_w, req_w, fig_w) = latency_widths(r);
    // A target too long for the line keeps its start and end; the figures stay whole.
    let target_w = target_w.min(
        width
            .saturating_sub(2 + 2 + req_w + 4 * (2 + fig_w))
            .max(12),
    );
    let row = |target: &str, requests: &str, figs: [&str; 4]| {
        latency_row(
            &cut_middle(target, target_w),
            requests,
            figs,
            (target_w, req_w, fig_w),
        )
    };
    out.push((
        Line::styled(
            row("target", "requests", ["p50", "p95", "p99", "max"]),
            t.muted(),
        ),
        2,
    ));
    for l in &r.latency {
        out.push((
            Line::raw(row(
                &l.target,
                &l.requests.to_string(),
                [&l.p50, &l.p95, &l.p99, &l.max],
            )),
            2,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_target_keeps_its_start_and_end() {
        let cut = cut_middle("POST https://api.partner.example/v1/kycs", 20);
        assert_eq!(cut, "POST http…le/v1/kycs");
        assert_eq!(columns(&cut), 20);
        assert_eq!(cut_middle("short", 20), "short");
    }
}
