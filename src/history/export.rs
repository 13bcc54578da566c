//! Writing what the history pane shows (its filter applied) to CSV or JSON, for support
//! tickets and spreadsheets. Rows are read a window at a time, never all at once.
//!
//! Identifiers, times and links are exported exactly as stored. What went wrong (`failure`,
//! `error_code`, `error_message`) is read from the last attempt's answer, a server's words,
//! so it is made terminal-safe and kept to one line: a CSV printed with `cat` cannot act
//! on the terminal. The API key is never part of a row.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{HistoryError, HistoryFilter, HistoryRow, HistoryStore, Submission};
use crate::api::AttemptResult;
use crate::domain::{OutcomeKind, safe_string, status_title};

/// Rows read per query while exporting.
const PAGE: usize = 1000;

/// The file formats an export can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The columns of an export, as [`ExportRow`] names them (a CSV with no rows has only these).
pub const EXPORT_COLUMNS: [&str; 18] = [
    "id",
    "created_at",
    "sent_at",
    "profile",
    "user_id",
    "type",
    "status",
    "outcome",
    "failure",
    "attempts",
    "latency_ms",
    "verification_id",
    "webview_url",
    "request_id",
    "redirect_uri",
    "operator",
    "error_code",
    "error_message",
];

/// One exported line: the row, flattened to text columns.
#[derive(Debug, Serialize)]
pub struct ExportRow {
    pub id: i64,
    /// When it was recorded (a batch's rows all when the batch was).
    pub created_at: String,
    /// When sending started; empty (`null`) for a row never sent.
    pub sent_at: Option<String>,
    pub profile: String,
    pub user_id: String,
    #[serde(rename = "type")]
    pub kyc_type: String,
    pub status: Option<u16>,
    pub outcome: String,
    /// What failed: for an answer that is not a success, its status and the error's code and
    /// message from the body (`422 Unprocessable Entity: invalid_user_id: no such user`);
    /// for no answer, why (`timed out`, `could not connect`, `cancelled`).
    pub failure: Option<String>,
    pub attempts: u32,
    /// Time spent sending (the waits between attempts left out).
    pub latency_ms: Option<u64>,
    pub verification_id: Option<String>,
    pub webview_url: Option<String>,
    pub request_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// Who sent it.
    pub operator: String,
    /// The machine error code the body gave, if any (`duplicate_user_error`).
    pub error_code: Option<String>,
    /// What the body said went wrong, or why no answer came (the client's error).
    pub error_message: Option<String>,
}

/// What went wrong with a submission, as its last attempt tells it, made terminal-safe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problem {
    pub failure: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl Problem {
    /// Nothing went wrong when it initiated; else the last attempt's answer (status, code,
    /// message) or why there was none.
    pub fn of(submission: &Submission) -> Problem {
        if submission.outcome == Some(OutcomeKind::Initiated) {
            return Problem::default();
        }
        let Some(last) = submission.attempts.last() else {
            return Problem::default();
        };
        match &last.result {
            AttemptResult::Failed { failure, message } => Problem {
                failure: Some(failure.label().to_string()),
                error_code: None,
                error_message: Some(safe_string(message)).filter(|m| !m.trim().is_empty()),
            },
            AttemptResult::Response(response) => {
                if OutcomeKind::from_status(response.status) == OutcomeKind::Initiated {
                    return Problem::default();
                }
                let body = response.summary();
                let code = body
                    .code
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(safe_string);
                let message = body
                    .one_line()
                    .map(|m| safe_string(m.trim()))
                    .filter(|m| !m.is_empty() && Some(m) != code.as_ref());
                let mut failure = status_title(response.status);
                for part in [&code, &message].into_iter().flatten() {
                    failure.push_str(": ");
                    failure.push_str(part);
                }
                Problem {
                    failure: Some(safe_string(&failure)),
                    error_code: code,
                    error_message: message,
                }
            }
        }
    }
}

/// A row as exported, with what went wrong read from its submission's last attempt (one
/// read of the store for a row that was sent and did not initiate; none for the others).
pub fn export_row(store: &dyn HistoryStore, row: HistoryRow) -> Result<ExportRow, HistoryError> {
    let went_wrong = row.outcome != Some(OutcomeKind::Initiated) && row.attempts > 0;
    let problem = if went_wrong {
        Problem::of(&store.get(row.id)?)
    } else {
        Problem::default()
    };
    let mut exported = ExportRow::from(row);
    if problem.failure.is_some() {
        exported.failure = problem.failure;
    }
    exported.error_code = problem.error_code;
    exported.error_message = problem.error_message;
    Ok(exported)
}

/// An instant as exported: RFC 3339 in UTC, to the millisecond.
fn utc_millis(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl From<HistoryRow> for ExportRow {
    fn from(r: HistoryRow) -> Self {
        let outcome = outcome_text(&r);
        ExportRow {
            id: r.id,
            created_at: utc_millis(r.created_at),
            sent_at: r.sent_at.map(utc_millis),
            profile: r.profile,
            user_id: r.user_id,
            kyc_type: r.kyc_type.as_str().to_string(),
            status: r.status,
            outcome,
            // Without the submission at hand: the failure's label, or the status's title.
            failure: r.failure.map(|f| f.label().to_string()).or_else(|| {
                r.status
                    .filter(|s| OutcomeKind::from_status(*s) != OutcomeKind::Initiated)
                    .map(status_title)
            }),
            attempts: r.attempts,
            latency_ms: r.latency_ms,
            verification_id: r.verification_id,
            webview_url: r.webview_url,
            request_id: r.request_id,
            redirect_uri: r.redirect_uri,
            operator: r.operator,
            error_code: None,
            error_message: None,
        }
    }
}

/// The outcome column: the kind, or why there is none.
pub fn outcome_text(row: &HistoryRow) -> String {
    match (row.outcome, row.dispatched()) {
        (Some(kind), _) => kind.label().to_string(),
        (None, true) => "unknown (no outcome recorded)".to_string(),
        (None, false) => "not sent".to_string(),
    }
}

/// Every row passing `filter`, newest first, a page at a time.
pub fn each_row(
    store: &dyn HistoryStore,
    filter: &HistoryFilter,
    mut each: impl FnMut(HistoryRow) -> Result<(), HistoryError>,
) -> Result<usize, HistoryError> {
    let mut offset = 0;
    loop {
        let rows = store.window(filter, offset, PAGE)?;
        let n = rows.len();
        for row in rows {
            each(row)?;
        }
        offset += n;
        if n < PAGE {
            return Ok(offset);
        }
    }
}

/// Writes the rows to `path`; returns how many.
pub fn export(
    store: &dyn HistoryStore,
    filter: &HistoryFilter,
    format: ExportFormat,
    path: &Path,
) -> Result<usize, HistoryError> {
    let io =
        |e: std::io::Error| HistoryError::Storage(format!("cannot write {}: {e}", path.display()));
    let file = crate::private_files::create(path).map_err(io)?;
    let out = std::io::BufWriter::new(file);
    match format {
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            let n = each_row(store, filter, |row| {
                writer
                    .serialize(export_row(store, row)?)
                    .map_err(|e| HistoryError::Storage(e.to_string()))
            })?;
            // The header is written with the first row: an empty export still gets one.
            if n == 0 {
                writer
                    .write_record(EXPORT_COLUMNS)
                    .map_err(|e| HistoryError::Storage(e.to_string()))?;
            }
            writer.flush().map_err(io)?;
            Ok(n)
        }
        ExportFormat::Json => write_json(store, filter, out).map_err(|e| match e {
            JsonError::Io(e) => io(e),
            JsonError::History(e) => e,
        }),
    }
}

/// Writes rows as one JSON array to any writer (stdout for the headless command).
pub fn write_json(
    store: &dyn HistoryStore,
    filter: &HistoryFilter,
    mut out: impl Write,
) -> Result<usize, JsonError> {
    out.write_all(b"[")?;
    let mut first = true;
    let mut failure = None;
    let n = each_row(store, filter, |row| {
        let row = export_row(store, row)?;
        let sep: &[u8] = if first { b"\n  " } else { b",\n  " };
        first = false;
        let written = out
            .write_all(sep)
            .and_then(|()| serde_json::to_writer(&mut out, &row).map_err(std::io::Error::other));
        written.map_err(|e| {
            let text = e.to_string();
            failure = Some(e);
            HistoryError::Storage(text)
        })
    });
    if let Some(e) = failure {
        return Err(JsonError::Io(e));
    }
    let n = n?;
    out.write_all(if n == 0 { b"]\n" } else { b"\n]\n" })?;
    out.flush()?;
    Ok(n)
}

/// A JSON export failed writing or reading.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    History(#[from] HistoryError),
}
