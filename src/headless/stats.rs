//! `history --stats`: the figures over every matching submission, as text or one JSON
//! object; laid out by [`crate::present::describe_stats`], as the console's stats view.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::{EXIT_FAILED, emit, emit_text};
use crate::domain::safe_text;
use crate::history::stats::{AnswerCount, HistoryStats, Per, utc};
use crate::history::{HistoryFilter, HistoryStore};
use crate::present::{Zone, describe_stats, stats_text, utc_millis};

/// An answer and its rows, as JSON.
fn answer_json(c: &AnswerCount) -> Value {
    json!({
        "label": c.answer.label(),
        "status": c.answer.status,
        "failure": c.answer.failure,
        "outcome": c.answer.outcome,
        "sent": c.answer.sent,
        "rows": c.rows,
    })
}

/// The figures as one JSON object (times UTC, to the millisecond; the timeline in time
/// order, oldest first, for scripts).
pub fn stats_json(stats: &HistoryStats, per: Per) -> Value {
    let share = |n: usize| {
        if stats.rows == 0 {
            0.0
        } else {
            n as f64 / stats.rows as f64
        }
    };
    let span = stats.span();
    json!({
        "rows": stats.rows,
        "first_minute": span.map(|(first, _)| utc_millis(first)),
        "last_minute": span.map(|(_, last)| utc_millis(last)),
        "by_status": stats.by_answer.iter().map(|c| {
            let mut v = answer_json(c);
            v["share"] = json!(share(c.rows));
            v
        }).collect::<Vec<_>>(),
        "timeline": {
            "per": per,
            "gaps_left_out": !stats.fills_gaps(per),
            "buckets": stats.timeline(per, &utc).iter().map(|b| json!({
                "start": utc_millis(b.start),
                "rows": b.rows(),
                "errors": b.errors(),
                "pending": b.pending(),
                "by_status": b.counts.iter().map(answer_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        },
        "latency": stats.latency,
    })
}

/// Prints the figures; `per` unset picks per minute over a short span, per hour beyond.
pub fn print(
    store: &dyn HistoryStore,
    filter: &HistoryFilter,
    per: Option<Per>,
    json: bool,
) -> ExitCode {
    let stats = match store.stats(filter) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", safe_text(&e.to_string()));
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let per = per.unwrap_or_else(|| stats.auto_per());
    if json {
        emit(&format!("{:#}\n", stats_json(&stats, per)));
    } else {
        let lines = stats_text(&describe_stats(&stats, per, Zone::Utc, usize::MAX));
        emit_text(&(lines.join("\n") + "\n"));
    }
    ExitCode::SUCCESS
}
