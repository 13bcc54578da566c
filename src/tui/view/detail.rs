//! One submission in full: request, attempts, final response, explanation.

use chrono::Local;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::api::{AttemptResult, KEY_MASK};
use crate::domain::{OutcomeKind, status_title};
use crate::present::format_duration;
use crate::tui::layout::overlay_area;
use crate::tui::state::{Detail, State};
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, detail: &Detail) {
    let t = state.theme;
    let popup = overlay_area(area);
    let lines = detail_lines(state, detail, t);
    let s = &detail.submission;
    let title = format!(" Submission #{} · {}", s.id, s.new.user_id);
    super::scrolled_page(frame, popup, lines, detail.scroll, &title, t);
}

fn section(title: &str, t: Theme) -> Line<'static> {
    Line::styled(title.to_string(), t.bold().patch(t.pending()))
}

fn detail_lines(state: &State, detail: &Detail, t: Theme) -> Vec<Line<'static>> {
    let s = &detail.submission;
    let exchange = s.exchange();
    let live = state.live.get(&s.id);
    let mut lines = Vec::new();
    if detail.resent {
        lines.push(Line::styled(
            "Resent as a new submission with a new idempotency key: it is at the top of the history.",
            t.ok(),
        ));
    }
    lines.push(Line::styled(
        format!(
            "{} · profile {} · operator {} · {}",
            s.new
                .created_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S %Z"),
            s.new.profile,
            s.new.operator,
            s.new.kyc_type
        ),
        t.muted(),
    ));
    let outcome_line = match (s.outcome, live) {
        (_, Some(_)) => Line::styled("in flight…", t.pending()),
        (Some(kind), None) => {
            let e = exchange.explanation();
            Line::from(vec![
                Span::styled(
                    format!(
                        "{} ",
                        if kind == OutcomeKind::Initiated {
                            "✓"
                        } else {
                            "✗"
                        }
                    ),
                    t.outcome(kind),
                ),
                Span::styled(kind.label().to_string(), t.outcome(kind).patch(t.bold())),
                Span::raw(format!(
                    " · {} · {} · {}",
                    e.title,
                    plural(exchange.attempts.len(), "attempt"),
                    format_duration(exchange.total_latency())
                )),
            ])
        }
        (None, None) => Line::styled(
            "outcome unknown: the console stopped before the end; resend with r (new key) or retry later",
            t.warn(),
        ),
    };
    lines.push(outcome_line);
    if s.outcome.is_some() && live.is_none() {
        let e = exchange.explanation();
        lines.push(Line::raw(format!("  meaning     {}", e.meaning)));
        lines.push(Line::styled(
            format!("  what to do  {}", e.action),
            t.warn(),
        ));
    }
    let response = exchange.final_response();
    lines.push(Line::raw(format!(
        "  request id  {}",
        response
            .and_then(|r| r.request_id.clone())
            .unwrap_or_else(|| "— (no response)".into())
    )));
    lines.push(Line::raw(format!(
        "  idempotency {}",
        s.new.idempotency_key
    )));
    if let Some(url) = response
        .filter(|_| s.outcome == Some(OutcomeKind::Initiated))
        .and_then(|r| r.json_field("url"))
    {
        lines.push(Line::from(vec![
            Span::raw("  webview     "),
            Span::styled(url, t.pending()),
        ]));
    }
    if let Some(of) = s.new.resend_of {
        lines.push(Line::styled(
            format!("  resends submission #{of}"),
            t.muted(),
        ));
    }

    lines.push(Line::raw(""));
    lines.push(section("Request", t));
    lines.push(Line::styled(
        format!("  {} {}", s.new.request.method, s.new.request.url),
        t.bold(),
    ));
    for (name, value) in &s.new.request.headers {
        let value = if name.eq_ignore_ascii_case("x-api-key") {
            KEY_MASK.to_string()
        } else {
            value.clone()
        };
        lines.push(Line::styled(format!("  {name}: {value}"), t.muted()));
    }
    for l in pretty(&s.new.request.body).lines() {
        lines.push(Line::raw(format!("  {l}")));
    }

    lines.push(Line::raw(""));
    lines.push(section("Attempts", t));
    if exchange.attempts.is_empty() {
        lines.push(Line::styled("  none recorded", t.muted()));
    }
    for a in &exchange.attempts {
        let mut text = format!(
            "  #{} {}  {:<12} {}",
            a.number,
            a.started_at.with_timezone(&Local).format("%H:%M:%S%.3f"),
            a.short(),
            format_duration(a.latency)
        );
        if let AttemptResult::Failed { message, .. } = &a.result {
            text.push_str(&format!("  {message}"));
        }
        if let Some(r) = &a.retry {
            text.push_str(&format!(
                "  → waited {} ({})",
                format_duration(r.wait),
                r.reason
            ));
        }
        lines.push(Line::styled(text, t.outcome(a.outcome())));
    }

    lines.push(Line::raw(""));
    lines.push(section("Response", t));
    match response {
        None => lines.push(Line::styled("  no response received", t.muted())),
        Some(r) => {
            lines.push(Line::styled(
                format!("  HTTP {}", status_title(r.status)),
                t.outcome(OutcomeKind::from_status(r.status))
                    .patch(t.bold()),
            ));
            for (name, value) in &r.headers {
                lines.push(Line::styled(format!("  {name}: {value}"), t.muted()));
            }
            lines.push(Line::raw(""));
            let summary = r.summary();
            let body = if summary.readable.is_empty() {
                r.body_text()
            } else {
                summary.readable.clone()
            };
            if body.trim().is_empty() {
                lines.push(Line::styled("  (empty body)", t.muted()));
            }
            for l in body.lines() {
                lines.push(Line::raw(format!("  {l}")));
            }
            if r.body_truncated {
                lines.push(Line::styled(
                    format!(
                        "  … body truncated at {} bytes; the rest was not read",
                        r.body.len()
                    ),
                    t.warn(),
                ));
            }
        }
    }
    lines
}

fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_string())
}

/// `1 attempt`, `3 attempts`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
