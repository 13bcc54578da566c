//! The figures over a filter's rows as both front-ends show them: `history --stats`
//! prints [`stats_text`], the console's stats view lays out the same [`StatsReport`].

use std::time::Duration;

use chrono::{DateTime, Local, Utc};

use super::format::format_duration;
use crate::domain::{OutcomeKind, safe_text};
use crate::history::stats::{Answer, HistoryStats, Per};

/// One way rows ended, and how many did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLine {
    /// `201`, `503`, `timed out`, `never sent`.
    pub label: String,
    /// What it meant: the outcome's label, or why there is none.
    pub meaning: String,
    pub outcome: Option<OutcomeKind>,
    pub rows: usize,
    /// `89.1%` of the rows.
    pub share: String,
}

/// A minute or an hour of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeLine {
    /// When it starts, local time: `14:02`, or `2026-11-28 14:02` over several days.
    pub when: String,
    pub rows: usize,
    /// Rows that did not initiate.
    pub errors: usize,
    /// Rows by answer, in listing order.
    pub parts: Vec<(String, usize, Option<OutcomeKind>)>,
}

/// A target's time sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyLine {
    /// Terminal-safe.
    pub target: String,
    pub rows: usize,
    pub p50: String,
    pub p95: String,
    pub p99: String,
    pub max: String,
}

/// The clock times are read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The operator's (the console, beside the history pane's times).
    Local,
    /// UTC (the CLI, beside `history`'s times, for tickets across time zones).
    Utc,
}

impl Zone {
    fn name(self) -> &'static str {
        match self {
            Zone::Local => "local time",
            Zone::Utc => "UTC",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsReport {
    pub rows: usize,
    pub zone: Zone,
    /// From the first row's minute to the end of the last's.
    pub span: Option<String>,
    pub per: Per,
    /// Stretches without rows are left out (a long span cut finely).
    pub gaps_left_out: bool,
    pub answers: Vec<AnswerLine>,
    pub timeline: Vec<TimeLine>,
    /// The most rows in one stretch of the timeline (for bars).
    pub busiest: usize,
    pub latency: Vec<LatencyLine>,
}

/// What an answer meant.
fn meaning(a: &Answer) -> String {
    match a.outcome {
        Some(o) => o.label().to_string(),
        None if a.sent => "in flight, or cut off".to_string(),
        None => "recorded, not sent".to_string(),
    }
}

fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0%".to_string();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

fn ms(v: u64) -> String {
    format_duration(Duration::from_millis(v))
}

/// `14:02` when every row is on one day, else `2026-11-28 14:02`.
fn clock(t: DateTime<Utc>, zone: Zone, one_day: bool) -> String {
    let format = if one_day { "%H:%M" } else { "%Y-%m-%d %H:%M" };
    match zone {
        Zone::Local => t.with_timezone(&Local).format(format).to_string(),
        Zone::Utc => t.format(format).to_string(),
    }
}

fn day(t: DateTime<Utc>, zone: Zone) -> chrono::NaiveDate {
    match zone {
        Zone::Local => t.with_timezone(&Local).date_naive(),
        Zone::Utc => t.date_naive(),
    }
}

/// The figures laid out per minute or per hour.
pub fn describe_stats(stats: &HistoryStats, per: Per, zone: Zone) -> StatsReport {
    let span = stats.span();
    let one_day = span.is_none_or(|(first, last)| day(first, zone) == day(last, zone));
    let timeline: Vec<TimeLine> = stats
        .timeline(per)
        .iter()
        .map(|b| TimeLine {
            when: clock(b.start, zone, one_day),
            rows: b.rows(),
            errors: b.errors(),
            parts: b
                .counts
                .iter()
                .map(|c| (c.answer.label(), c.rows, c.answer.outcome))
                .collect(),
        })
        .collect();
    StatsReport {
        rows: stats.rows,
        zone,
        span: span.map(|(first, last)| {
            let end = last + chrono::Duration::minutes(1);
            format!(
                "{} – {}",
                clock(first, zone, false),
                clock(end, zone, one_day && day(end, zone) == day(last, zone))
            )
        }),
        per,
        gaps_left_out: !stats.fills_gaps(per),
        answers: stats
            .by_answer
            .iter()
            .map(|c| AnswerLine {
                label: c.answer.label(),
                meaning: meaning(&c.answer),
                outcome: c.answer.outcome,
                rows: c.rows,
                share: share(c.rows, stats.rows),
            })
            .collect(),
        busiest: timeline.iter().map(|t| t.rows).max().unwrap_or(0),
        timeline,
        latency: stats
            .latency
            .iter()
            .map(|t| LatencyLine {
                target: safe_text(&t.target).into_owned(),
                rows: t.rows,
                p50: ms(t.p50_ms),
                p95: ms(t.p95_ms),
                p99: ms(t.p99_ms),
                max: ms(t.max_ms),
            })
            .collect(),
    }
}

/// What the timeline heading says.
pub fn timeline_heading(report: &StatsReport) -> String {
    let per = report.per.name();
    if report.gaps_left_out {
        format!(
            "Per {per} ({}; {per}s without rows left out)",
            report.zone.name()
        )
    } else {
        format!("Per {per} ({})", report.zone.name())
    }
}

/// What the latency heading says.
pub const LATENCY_HEADING: &str = "Time sending per target (retries included)";

/// A bucket's answers: `201 ×12 · 503 ×10`.
pub fn parts_text(line: &TimeLine) -> String {
    line.parts
        .iter()
        .map(|(label, n, _)| format!("{label} ×{n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The width of the widest of `items` under `heading`.
fn widest<'a>(heading: &str, items: impl Iterator<Item = &'a str>) -> usize {
    items
        .map(|s| s.chars().count())
        .chain([heading.chars().count()])
        .max()
        .unwrap_or(0)
}

/// The figures as text, one line each (what `history --stats` prints).
pub fn stats_text(report: &StatsReport) -> Vec<String> {
    let mut out = vec![match &report.span {
        Some(span) => format!("{} rows · {span} ({})", report.rows, report.zone.name()),
        None => "no rows match".to_string(),
    }];
    if report.rows == 0 {
        return out;
    }
    out.push(String::new());
    out.push("By status".to_string());
    let label_w = widest("", report.answers.iter().map(|a| a.label.as_str()));
    let meaning_w = widest("", report.answers.iter().map(|a| a.meaning.as_str()));
    let rows_w = report.rows.to_string().len().max("rows".len());
    for a in &report.answers {
        out.push(format!(
            "  {:<label_w$}  {:<meaning_w$}  {:>rows_w$}  {:>6}",
            a.label, a.meaning, a.rows, a.share
        ));
    }
    out.push(String::new());
    let when_w = widest("time", report.timeline.iter().map(|t| t.when.as_str()));
    out.push(timeline_heading(report));
    out.push(format!(
        "  {:<when_w$}  {:>rows_w$}  {:>6}  by status",
        "time", "rows", "errors"
    ));
    for t in &report.timeline {
        out.push(format!(
            "  {:<when_w$}  {:>rows_w$}  {:>6}  {}",
            t.when,
            t.rows,
            t.errors,
            parts_text(t)
        ));
    }
    out.push(String::new());
    out.push(LATENCY_HEADING.to_string());
    if report.latency.is_empty() {
        out.push("  no row has a time yet".to_string());
        return out;
    }
    let target_w = widest("target", report.latency.iter().map(|l| l.target.as_str()));
    let figure_w = widest(
        "p50",
        report
            .latency
            .iter()
            .flat_map(|l| [&l.p50, &l.p95, &l.p99, &l.max])
            .map(String::as_str),
    );
    out.push(format!(
        "  {:<target_w$}  {:>rows_w$}  {:>figure_w$}  {:>figure_w$}  {:>figure_w$}  {:>figure_w$}",
        "target", "rows", "p50", "p95", "p99", "max"
    ));
    for l in &report.latency {
        out.push(format!(
            "  {:<target_w$}  {:>rows_w$}  {:>figure_w$}  {:>figure_w$}  {:>figure_w$}  {:>figure_w$}",
            l.target, l.rows, l.p50, l.p95, l.p99, l.max
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::stats::StatsBuilder;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_long_span_cut_per_minute_says_empty_minutes_are_left_out() {
        let mut b = StatsBuilder::default();
        let ok = Answer::new(Some(201), None, Some(OutcomeKind::Initiated), true);
        b.count(at("2026-11-27T23:59:10Z"), ok, 1);
        b.count(at("2026-11-29T00:01:00Z"), ok, 2);
        let stats = b.finish();
        let r = describe_stats(&stats, Per::Minute, Zone::Utc);
        assert_eq!(
            timeline_heading(&r),
            "Per minute (UTC; minutes without rows left out)"
        );
        assert_eq!(
            r.span.as_deref(),
            Some("2026-11-27 23:59 – 2026-11-29 00:02")
        );
        let whens: Vec<&str> = r.timeline.iter().map(|t| t.when.as_str()).collect();
        assert_eq!(whens, ["2026-11-27 23:59", "2026-11-29 00:01"]);
        let r = describe_stats(&stats, Per::Hour, Zone::Utc);
        assert_eq!(timeline_heading(&r), "Per hour (UTC)");
        assert_eq!(r.timeline.len(), 26);
        assert_eq!(r.busiest, 2);
    }

    #[test]
    fn a_hostile_target_is_made_safe() {
        let mut b = StatsBuilder::default();
        b.latency("POST https://x\u{1b}[2J/kycs", 5);
        let r = describe_stats(&b.finish(), Per::Minute, Zone::Utc);
        assert!(!r.latency[0].target.contains('\u{1b}'));
        assert_eq!(stats_text(&r), ["no rows match"]);
    }
}
