//! Writing what the history pane shows (its filter applied) to CSV or JSON, for support
//! tickets and spreadsheets. Rows are read a window at a time, never all at once.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{HistoryError, HistoryFilter, HistoryRow, HistoryStore};

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
pub const EXPORT_COLUMNS: [&str; 14] = [
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
    pub failure: Option<String>,
    pub attempts: u32,
    /// Time spent sending (the waits between attempts left out).
    pub latency_ms: Option<u64>,
    pub verification_id: Option<String>,
    pub webview_url: Option<String>,
    pub request_id: Option<String>,
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
            failure: r.failure.map(|f| f.label().to_string()),
            attempts: r.attempts,
            latency_ms: r.latency_ms,
            verification_id: r.verification_id,
            webview_url: r.webview_url,
            request_id: r.request_id,
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
                    .serialize(ExportRow::from(row))
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
        let sep: &[u8] = if first { b"\n  " } else { b",\n  " };
        first = false;
        let written = out.write_all(sep).and_then(|()| {
            serde_json::to_writer(&mut out, &ExportRow::from(row)).map_err(std::io::Error::other)
        });
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
