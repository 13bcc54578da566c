//! The figures over a filter's rows as both front-ends show them: `history --stats`
//! prints [`stats_text`], the console's stats view lays out the same [`StatsReport`].
//! The timeline reads newest first, as the history does.

use std::time::Duration;

use chrono::{DateTime, Local, Offset, Utc};

use super::format::{format_duration, plural};
use crate::domain::{OutcomeKind, safe_text};
use crate::history::stats::{Answer, HistoryStats, Per, utc};

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
    /// When it starts: `14:02`, or `2026-11-28 14:02` over several days (with the offset
    /// where the span crosses a change of it).
    pub when: String,
    pub rows: usize,
    /// Rows that ended without initiating.
    pub errors: usize,
    /// Rows without an outcome yet (queued, in flight, or cut off).
    pub pending: usize,
    /// Rows by answer, in listing order.
    pub parts: Vec<(String, usize, Option<OutcomeKind>)>,
}

/// A target's request latency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyLine {
    /// Terminal-safe.
    pub target: String,
    pub requests: usize,
    pub p50: String,
    pub p95: String,
    pub p99: String,
    pub max: String,
}

/// The clock times are read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The operator's (the console's first choice, beside the history pane's times).
    Local,
    /// UTC (the CLI, beside `history`'s times, and tickets across time zones).
    Utc,
}

impl Zone {
    pub fn name(self) -> &'static str {
        match self {
            Zone::Local => "local time",
            Zone::Utc => "UTC",
        }
    }

    pub fn toggled(self) -> Zone {
        match self {
            Zone::Local => Zone::Utc,
            Zone::Utc => Zone::Local,
        }
    }

    /// Seconds east of UTC at `t`.
    fn offset(self, t: DateTime<Utc>) -> i32 {
        match self {
            Zone::Local => t.with_timezone(&Local).offset().fix().local_minus_utc(),
            Zone::Utc => utc(t),
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
    /// Newest first.
    pub timeline: Vec<TimeLine>,
    /// Older stretches not in `timeline` (beyond the most asked for).
    pub older: usize,
    /// The most rows in one stretch of the timeline (for bars).
    pub busiest: usize,
    pub latency: Vec<LatencyLine>,
}

/// What an answer meant.
fn meaning(a: &Answer) -> String {
    match a.outcome {
        Some(o) => o.label().to_string(),
        None if a.sent => "in flight, or cut off".to_string(),
        None => "recorded, not sent yet".to_string(),
    }
}

/// `89.1%`; a share too small to show at one decimal is `<0.1%`, never `0.0%`.
fn share(part: usize, whole: usize) -> String {
    if whole == 0 || part == 0 {
        return "0%".to_string();
    }
    let pct = part as f64 * 100.0 / whole as f64;
    if pct < 0.05 {
        "<0.1%".to_string()
    } else {
        format!("{pct:.1}%")
    }
}

fn ms(v: u64) -> String {
    format_duration(Duration::from_millis(v))
}

/// How a stretch's start is written.
#[derive(Debug, Clone, Copy)]
struct Clock {
    zone: Zone,
    one_day: bool,
    /// The span crosses a change of the zone's offset: each time says its offset.
    offsets: bool,
}

impl Clock {
    fn write(self, t: DateTime<Utc>) -> String {
        let mut format = if self.one_day {
            "%H:%M".to_string()
        } else {
            "%Y-%m-%d %H:%M".to_string()
        };
        if self.offsets {
            format.push_str(" %:z");
        }
        match self.zone {
            Zone::Local => t.with_timezone(&Local).format(&format).to_string(),
            Zone::Utc => t.format(&format).to_string(),
        }
    }
}

fn day(t: DateTime<Utc>, zone: Zone) -> chrono::NaiveDate {
    match zone {
        Zone::Local => t.with_timezone(&Local).date_naive(),
        Zone::Utc => t.date_naive(),
    }
}

/// The figures laid out per minute or per hour on `zone`'s clock, the timeline's
/// `newest` stretches at most.
pub fn describe_stats(stats: &HistoryStats, per: Per, zone: Zone, newest: usize) -> StatsReport {
    let span = stats.span();
    let end = |last: DateTime<Utc>| last + chrono::Duration::minutes(1);
    let clock = Clock {
        zone,
        one_day: span.is_none_or(|(first, last)| day(first, zone) == day(end(last), zone)),
        offsets: span.is_some_and(|(first, last)| zone.offset(first) != zone.offset(last)),
    };
    let offset = |t: DateTime<Utc>| zone.offset(t);
    let all = stats.timeline(per, &offset);
    let older = all.len().saturating_sub(newest);
    let timeline: Vec<TimeLine> = all
        .iter()
        .rev()
        .take(newest)
        .map(|b| TimeLine {
            when: clock.write(b.start),
            rows: b.rows(),
            errors: b.errors(),
            pending: b.pending(),
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
            let whole = Clock {
                one_day: false,
                ..clock
            };
            format!("{} – {}", whole.write(first), clock.write(end(last)))
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
        older,
        latency: stats
            .latency
            .iter()
            .map(|t| LatencyLine {
                target: safe_text(&t.target).into_owned(),
                requests: t.requests,
                p50: ms(t.p50_ms),
                p95: ms(t.p95_ms),
                p99: ms(t.p99_ms),
                max: ms(t.max_ms),
            })
            .collect(),
    }
}

/// `1 row · …`, `22 rows · …`.
pub fn stats_headline(report: &StatsReport) -> String {
    match &report.span {
        Some(span) => format!(
            "{} · {span} ({})",
            plural(report.rows, "row"),
            report.zone.name()
        ),
        None => "no rows match".to_string(),
    }
}

/// What the timeline heading says.
pub fn timeline_heading(report: &StatsReport) -> String {
    let per = report.per.name();
    let mut notes = vec![report.zone.name().to_string(), "newest first".to_string()];
    if report.gaps_left_out {
        notes.push(format!("{per}s without rows left out"));
    }
    format!("Per {per} ({})", notes.join("; "))
}

/// What the latency heading says.
pub const LATENCY_HEADING: &str = "Latency per target (each request; a retry is one more)";

/// A bucket's answers: `201 ×12 · 503 ×10`.
pub fn parts_text(line: &TimeLine) -> String {
    line.parts
        .iter()
        .map(|(label, n, _)| format!("{label} ×{n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The width of the widest of `items` and `heading`, in terminal columns.
fn widest<'a>(heading: &str, items: impl Iterator<Item = &'a str>) -> usize {
    items
        .map(columns)
        .chain([columns(heading)])
        .max()
        .unwrap_or(0)
}

/// How many terminal columns `text` takes.
pub fn columns(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `width` columns.
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(columns(text))))
}

/// The latency table's column widths: target, requests, and each figure.
pub fn latency_widths(report: &StatsReport) -> (usize, usize, usize) {
    let target = widest("target", report.latency.iter().map(|l| l.target.as_str()));
    let requests = report
        .latency
        .iter()
        .map(|l| l.requests.to_string().len())
        .chain(["requests".len()])
        .max()
        .unwrap_or(0);
    let figure = widest(
        "p50",
        report
            .latency
            .iter()
            .flat_map(|l| [&l.p50, &l.p95, &l.p99, &l.max])
            .map(String::as_str),
    );
    (target, requests, figure)
}

/// One line of the latency table, in columns `widths` wide (a longer target overflows).
pub fn latency_row(
    target: &str,
    requests: &str,
    figures: [&str; 4],
    (target_w, requests_w, figure_w): (usize, usize, usize),
) -> String {
    let [p50, p95, p99, max] = figures;
    format!(
        "  {}  {requests:>requests_w$}  {p50:>figure_w$}  {p95:>figure_w$}  {p99:>figure_w$}  {max:>figure_w$}",
        pad(target, target_w)
    )
}

/// The figures as text, one line each (what `history --stats` prints).
pub fn stats_text(report: &StatsReport) -> Vec<String> {
    let mut out = vec![stats_headline(report)];
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
            "  {}  {}  {:>rows_w$}  {:>6}",
            pad(&a.label, label_w),
            pad(&a.meaning, meaning_w),
            a.rows,
            a.share
        ));
    }
    out.push(String::new());
    let when_w = widest("time", report.timeline.iter().map(|t| t.when.as_str()));
    out.push(timeline_heading(report));
    out.push(format!(
        "  {}  {:>rows_w$}  {:>6}  by status",
        pad("time", when_w),
        "rows",
        "errors"
    ));
    for t in &report.timeline {
        out.push(format!(
            "  {}  {:>rows_w$}  {:>6}  {}",
            pad(&t.when, when_w),
            t.rows,
            t.errors,
            parts_text(t)
        ));
    }
    out.push(String::new());
    out.push(LATENCY_HEADING.to_string());
    if report.latency.is_empty() {
        out.push("  no request yet".to_string());
        return out;
    }
    let widths = latency_widths(report);
    out.push(latency_row(
        "target",
        "requests",
        ["p50", "p95", "p99", "max"],
        widths,
    ));
    for l in &report.latency {
        out.push(latency_row(
            &l.target,
            &l.requests.to_string(),
            [&l.p50, &l.p95, &l.p99, &l.max],
            widths,
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
        let r = describe_stats(&stats, Per::Minute, Zone::Utc, usize::MAX);
        assert_eq!(
            timeline_heading(&r),
            "Per minute (UTC; newest first; minutes without rows left out)"
        );
        assert_eq!(
            r.span.as_deref(),
            Some("2026-11-27 23:59 – 2026-11-29 00:02")
        );
        let whens: Vec<&str> = r.timeline.iter().map(|t| t.when.as_str()).collect();
        assert_eq!(whens, ["2026-11-29 00:01", "2026-11-27 23:59"]);
        let r = describe_stats(&stats, Per::Hour, Zone::Utc, 3);
        assert_eq!(timeline_heading(&r), "Per hour (UTC; newest first)");
        // The newest three hours of 26, the rest counted as older.
        assert_eq!((r.timeline.len(), r.older), (3, 23));
        assert_eq!(r.timeline[0].when, "2026-11-29 00:00");
        assert_eq!(r.busiest, 2);
    }

    #[test]
    fn shares_rows_and_pending_read_as_people_expect() {
        assert_eq!(share(1, 3_000), "<0.1%");
        assert_eq!(share(0, 3), "0%");
        assert_eq!(share(1, 3), "33.3%");
        let mut b = StatsBuilder::default();
        b.count(
            at("2026-11-28T10:00:00Z"),
            Answer::new(None, None, None, false),
            1,
        );
        let r = describe_stats(&b.finish(), Per::Minute, Zone::Utc, usize::MAX);
        assert!(stats_headline(&r).starts_with("1 row · "), "{r:?}");
        assert_eq!((r.timeline[0].errors, r.timeline[0].pending), (0, 1));
    }

    #[test]
    fn a_hostile_target_is_made_safe() {
        let mut b = StatsBuilder::default();
        b.latency("POST https://x\u{1b}[2J/kycs", 5);
        let r = describe_stats(&b.finish(), Per::Minute, Zone::Utc, usize::MAX);
        assert!(!r.latency[0].target.contains('\u{1b}'));
        assert_eq!(stats_text(&r), ["no rows match"]);
    }
}
