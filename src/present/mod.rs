//! What a submission means, as data: the CLI prints it as text and the console lays it out
//! with styles, so the two cannot drift apart. No terminal, no arguments, no printing here.

/// Naming an earlier submission that holds a user and type.
mod earlier;
mod format;
/// Figures over many rows.
mod stats;
mod submission;

pub use earlier::describe_earlier;
pub use format::{
    format_duration, format_rate, local_clock, local_clock_millis, local_datetime, plural, timing,
    utc_millis,
};
pub use stats::{
    AnswerLine, LATENCY_HEADING, LatencyLine, StatsReport, TimeLine, Zone, columns, describe_stats,
    latency_row, latency_widths, parts_text, stats_headline, stats_text, timeline_heading,
};
pub use submission::{
    AttemptLine, ExchangeSummary, FieldProblem, NO_RESPONSE, RequestView, ResponseView,
    SubmissionReport, Verification, Wait, describe_exchange, describe_submission, mark,
    masked_request, readable_json,
};
