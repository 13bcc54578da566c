//! The figures over the rows in view: how they ended, by status, with bars; a timeline
//! per minute or hour, each stretch's bar split into initiated and not; and time sending
//! per target. Laid out from [`crate::present::describe_stats`], as `history --stats`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::wrap::wrap;
use crate::domain::{OutcomeKind, safe_text};
use crate::present::{
    LATENCY_HEADING, StatsReport, Zone, describe_stats, parts_text, timeline_heading,
};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::layout::overlay_area;
use crate::tui::state::State;
use crate::tui::stats_state::StatsView;
use crate::tui::theme::Theme;

/// The widest a bar gets.
const BAR_MAX: usize = 30;
/// A bar's part for rows that initiated, and for the rest (told apart without colour).
const OK_CELL: char = '█';
const ERROR_CELL: char = '▒';

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

fn style_of(t: Theme, outcome: Option<OutcomeKind>) -> ratatui::style::Style {
    outcome.map_or(t.muted(), |o| t.outcome(o))
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
            let report = describe_stats(stats, view.per(), Zone::Local);
            let mut head = match &report.span {
                Some(span) => format!("{} rows · {span} (local time)", report.rows),
                None => "no rows in view".to_string(),
            };
            if view.reading {
                head.push_str(" · counting again…");
            }
            out.push((Line::styled(head, t.bold()), 0));
            if report.rows > 0 {
                figures(&mut out, &report, width, t);
            }
        }
    }
    out.iter()
        .flat_map(|(line, hang)| wrap(line, width, *hang))
        .collect()
}

fn figures(out: &mut Vec<(Line<'static>, usize)>, r: &StatsReport, width: usize, t: Theme) {
    let rows_w = r.rows.to_string().len().max("rows".len());
    let bar_w = |used: usize| width.saturating_sub(used).clamp(1, BAR_MAX);

    out.push((Line::raw(""), 0));
    out.push((Line::styled("By status", t.bold()), 0));
    let label_w = r
        .answers
        .iter()
        .map(|a| a.label.chars().count())
        .max()
        .unwrap_or(0);
    let meaning_w = r
        .answers
        .iter()
        .map(|a| a.meaning.chars().count())
        .max()
        .unwrap_or(0);
    let most = r.answers.iter().map(|a| a.rows).max().unwrap_or(0);
    let used = 2 + label_w + 2 + meaning_w + 2 + rows_w + 2 + 6 + 2;
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
                    OK_CELL.to_string().repeat(cells(a.rows, most, bar_w(used))),
                    style,
                ),
            ]),
            used,
        ));
    }

    out.push((Line::raw(""), 0));
    out.push((
        Line::from(vec![
            Span::styled(timeline_heading(r), t.bold()),
            Span::styled(
                format!(
                    " · {} per {}",
                    key_name(Mode::Stats, Action::TogglePer),
                    r.per.toggled().name()
                ),
                t.muted(),
            ),
        ]),
        0,
    ));
    let when_w = r
        .timeline
        .iter()
        .map(|l| l.when.chars().count())
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
    // The bar takes at most half of what is left, the answers the rest.
    let width_now = (width.saturating_sub(used) / 2).clamp(1, BAR_MAX);
    for l in &r.timeline {
        let all = cells(l.rows, r.busiest, width_now);
        let bad = if l.errors == 0 {
            0
        } else {
            cells(l.errors, l.rows, all).min(all)
        };
        out.push((
            Line::from(vec![
                Span::raw(format!(
                    "  {:<when_w$}  {:>rows_w$}  {:>6}  ",
                    l.when, l.rows, l.errors
                )),
                Span::styled(OK_CELL.to_string().repeat(all - bad), t.ok()),
                Span::styled(ERROR_CELL.to_string().repeat(bad), t.error()),
                Span::raw(" ".repeat(width_now - all + 1)),
                Span::styled(parts_text(l), t.muted()),
            ]),
            used,
        ));
    }

    out.push((Line::raw(""), 0));
    out.push((Line::styled(LATENCY_HEADING, t.bold()), 0));
    if r.latency.is_empty() {
        out.push((Line::styled("  no row has a time yet", t.muted()), 2));
        return;
    }
    let target_w = r
        .latency
        .iter()
        .map(|l| l.target.chars().count())
        .max()
        .unwrap_or(0)
        .max("target".len());
    let fig_w = r
        .latency
        .iter()
        .flat_map(|l| [&l.p50, &l.p95, &l.p99, &l.max])
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max("p50".len());
    // A target too long for the line is cut at its end; the figures stay whole.
    let target_w = target_w.min(
        width
            .saturating_sub(2 + 2 + rows_w + 4 * (2 + fig_w))
            .max(12),
    );
    let row = |target: &str, rows: &str, figs: [&str; 4]| {
        let target: String = if target.chars().count() > target_w {
            let mut cut: String = target.chars().take(target_w.saturating_sub(1)).collect();
            cut.push('…');
            cut
        } else {
            target.to_string()
        };
        format!(
            "  {target:<target_w$}  {rows:>rows_w$}  {:>fig_w$}  {:>fig_w$}  {:>fig_w$}  {:>fig_w$}",
            figs[0], figs[1], figs[2], figs[3]
        )
    };
    out.push((
        Line::styled(
            row("target", "rows", ["p50", "p95", "p99", "max"]),
            t.muted(),
        ),
        2,
    ));
    for l in &r.latency {
        out.push((
            Line::raw(row(
                &l.target,
                &l.rows.to_string(),
                [&l.p50, &l.p95, &l.p99, &l.max],
            )),
            2,
        ));
    }
}
