//! One submission in full: request, attempts, final response, explanation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::wrap::wrap;
use crate::present::{
    NO_RESPONSE, SubmissionReport, describe_submission, format_duration, local_clock_millis,
    local_datetime, timing,
};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::layout::overlay_area;
use crate::tui::state::{Detail, State};
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, detail: &Detail) {
    let t = state.theme;
    let popup = overlay_area(area);
    let report = describe_submission(&detail.submission);
    let lines = wrapped(
        state,
        detail,
        &report,
        usize::from(popup.width.saturating_sub(2)),
    );
    let title = format!(" Submission #{} · {} ", report.id, report.user_id);
    let more = format!(
        "{}/{}",
        key_name(Mode::Detail, Action::ScrollDown),
        key_name(Mode::Detail, Action::PageDown)
    );
    super::scrolled_page(frame, popup, lines, (detail.scroll, &more), &title, t);
}

/// The detail's lines, wrapped to `width`.
pub fn lines(state: &State, detail: &Detail, width: usize) -> Vec<Line<'static>> {
    wrapped(
        state,
        detail,
        &describe_submission(&detail.submission),
        width,
    )
}

fn wrapped(
    state: &State,
    detail: &Detail,
    report: &SubmissionReport,
    width: usize,
) -> Vec<Line<'static>> {
    detail_lines(state, detail, report, state.theme)
        .0
        .iter()
        .flat_map(|(line, hang)| wrap(line, width, *hang))
        .collect()
}

/// Where the value of a `  label       value` line starts, and its continuation lines.
const LABEL: usize = 14;

/// The detail's lines, each with the indent its continuation lines take.
#[derive(Default)]
struct Lines(Vec<(Line<'static>, usize)>);

impl Lines {
    /// A line continued a little further in than it starts.
    fn push(&mut self, line: Line<'static>) {
        let lead = super::wrap::leading_spaces(&line);
        self.0.push((line, lead + 2));
    }

    /// A `  label       value` line, continued under its value.
    fn labelled(&mut self, line: Line<'static>) {
        self.0.push((line, LABEL));
    }
}

fn section(title: &str, t: Theme) -> Line<'static> {
    Line::styled(title.to_string(), t.bold().patch(t.pending()))
}

fn detail_lines(state: &State, detail: &Detail, d: &SubmissionReport, t: Theme) -> Lines {
    let live = state.live.get(&d.id);
    let mut lines = Lines::default();
    if detail.resent {
        lines.push(Line::styled(
            "Resent as a new submission with a new idempotency key: it is at the top of the history.",
            t.ok(),
        ));
    }
    let when = match d.sent_at {
        Some(sent) => format!("sent {}", local_datetime(sent)),
        None => format!("recorded {} (never sent)", local_datetime(d.created_at)),
    };
    lines.push(Line::styled(
        format!(
            "{when} · profile {} · operator {} · {}",
            d.profile, d.operator, d.kyc_type
        ),
        t.muted(),
    ));
    let outcome_line = match (&d.outcome, live) {
        (_, Some(_)) => Line::styled("in flight…", t.pending()),
        (Some(e), None) => Line::from(vec![
            Span::styled(format!("{} ", e.mark), t.outcome(e.kind)),
            Span::styled(
                e.kind.label().to_string(),
                t.outcome(e.kind).patch(t.bold()),
            ),
            Span::raw(format!(
                " · {} · {}",
                e.title,
                timing(e.attempts, e.took, e.waited)
            )),
        ]),
        (None, None) => Line::styled(
            format!(
                "outcome unknown: the console stopped before the end; {} sends it again with its own \
                 idempotency key, which never starts it twice",
                key_name(Mode::Detail, Action::RetrySameKey)
            ),
            t.warn(),
        ),
    };
    lines.push(outcome_line);
    if let (Some(e), None) = (&d.outcome, live) {
        lines.labelled(Line::raw(format!("  meaning     {}", e.meaning)));
        lines.labelled(Line::styled(
            format!("  what to do  {}", e.action),
            t.warn(),
        ));
    }
    lines.labelled(Line::raw(format!(
        "  request id  {}",
        d.request_id.as_deref().unwrap_or(NO_RESPONSE)
    )));
    lines.labelled(Line::raw(format!("  idempotency {}", d.idempotency_key)));
    if d.sent_later() {
        lines.labelled(Line::styled(
            format!("  recorded    {}", local_datetime(d.created_at)),
            t.muted(),
        ));
    }
    if let Some(url) = d
        .outcome
        .as_ref()
        .and_then(|e| e.verification.as_ref())
        .and_then(|v| v.url.clone())
    {
        lines.labelled(Line::from(vec![
            Span::raw("  webview     "),
            Span::styled(url, t.pending()),
        ]));
    }
    if let Some(of) = d.resend_of {
        lines.push(Line::styled(
            format!("  resends submission #{of}"),
            t.muted(),
        ));
    }

    lines.push(Line::raw(""));
    lines.push(section("Request", t));
    lines.push(Line::styled(
        format!("  {} {}", d.request.method, d.request.url),
        t.bold(),
    ));
    for (name, value) in &d.request.headers {
        lines.push(Line::styled(format!("  {name}: {value}"), t.muted()));
    }
    for l in d.request.readable_body.lines() {
        lines.push(Line::raw(format!("  {l}")));
    }

    lines.push(Line::raw(""));
    lines.push(section("Attempts", t));
    if d.attempts.is_empty() {
        lines.push(Line::styled("  none recorded", t.muted()));
    }
    for a in &d.attempts {
        let mut text = format!(
            "  #{} {}  {:<12} {}",
            a.number,
            local_clock_millis(a.started_at),
            a.short,
            format_duration(a.latency)
        );
        if let Some(message) = &a.error {
            text.push_str(&format!("  {message}"));
        }
        if let Some(w) = &a.wait {
            text.push_str(&format!(
                "  → waited {} ({})",
                format_duration(w.wait),
                w.reason
            ));
        }
        lines.push(Line::styled(text, t.outcome(a.kind)));
    }

    lines.push(Line::raw(""));
    lines.push(section("Response", t));
    match &d.response {
        None => lines.push(Line::styled("  no response received", t.muted())),
        Some(r) => {
            lines.push(Line::styled(
                format!("  HTTP {}", r.status_title),
                t.outcome(r.kind).patch(t.bold()),
            ));
            for (name, value) in &r.headers {
                lines.push(Line::styled(format!("  {name}: {value}"), t.muted()));
            }
            lines.push(Line::raw(""));
            if r.body.trim().is_empty() {
                lines.push(Line::styled("  (empty body)", t.muted()));
            }
            for l in r.body.lines() {
                lines.push(Line::raw(format!("  {l}")));
            }
            if let Some(read) = r.truncated_at {
                lines.push(Line::styled(
                    format!("  … body truncated at {read} bytes; the rest was not read"),
                    t.warn(),
                ));
            }
        }
    }
    lines
}
