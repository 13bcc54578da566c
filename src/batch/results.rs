//! The result file of a batch: one line per input row, CSV or JSON Lines by extension.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Check, Plan};
use crate::history::export::export_row;
use crate::history::{BatchInfo, HistoryError, HistoryStore};

/// One row's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultLine {
    pub line: u32,
    pub user_id: String,
    #[serde(rename = "type")]
    pub kyc_type: String,
    pub status: Option<u16>,
    pub outcome: String,
    /// When the row was sent (RFC 3339, UTC), for rows sent.
    pub sent_at: Option<String>,
    pub verification_id: Option<String>,
    pub request_id: Option<String>,
    /// The history entry, for sent rows.
    pub submission: Option<i64>,
    pub redirect_uri: Option<String>,
    /// Who sent the batch.
    pub operator: String,
    /// What failed, as history exports write it: the status and the error's code and
    /// message, or why no answer came.
    pub failure: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// Results of every row: sent rows from history (what failed read from each one's last
/// attempt), the others from the preview.
pub fn result_lines(
    plan: Option<&Plan>,
    info: &BatchInfo,
    store: &dyn HistoryStore,
) -> Result<Vec<ResultLine>, HistoryError> {
    let mut lines: Vec<ResultLine> = info
        .rows
        .iter()
        .map(|r| {
            let row = export_row(store, r.clone())?;
            Ok(ResultLine {
                line: r.batch_line.unwrap_or(0),
                user_id: row.user_id,
                kyc_type: row.kyc_type,
                status: row.status,
                outcome: row.outcome,
                sent_at: row.sent_at,
                verification_id: row.verification_id,
                request_id: row.request_id,
                submission: Some(row.id),
                redirect_uri: row.redirect_uri,
                operator: row.operator,
                failure: row.failure,
                error_code: row.error_code,
                error_message: row.error_message,
            })
        })
        .collect::<Result<_, HistoryError>>()?;
    if let Some(plan) = plan {
        for row in plan.rows.iter().filter(|r| r.check != Check::Valid) {
            lines.push(ResultLine {
                line: row.line,
                user_id: row
                    .request
                    .as_ref()
                    .map_or_else(|| row.written.clone(), |r| r.user_id.to_string()),
                kyc_type: row.request.as_ref().map_or_else(
                    || row.written_type.clone().unwrap_or_default(),
                    |r| r.kyc_type.as_str().to_string(),
                ),
                status: None,
                outcome: row.check.describe(),
                sent_at: None,
                verification_id: None,
                request_id: None,
                submission: match row.check {
                    Check::AlreadyInitiated { submission } => Some(submission),
                    _ => None,
                },
                redirect_uri: row.request.as_ref().map_or_else(
                    || row.written_redirect_uri.clone(),
                    |r| r.redirect_uri.as_ref().map(|u| u.as_str().to_string()),
                ),
                operator: info.batch.operator.clone(),
                // Why a row was not valid is what failed; the other rows did not fail.
                failure: match &row.check {
                    Check::Invalid { reason } => Some(reason.clone()),
                    _ => None,
                },
                error_code: None,
                error_message: None,
            });
        }
    }
    lines.sort_by_key(|l| l.line);
    Ok(lines)
}

/// Writes results to `path` (readable by its owner only): `.jsonl`/`.json` as JSON Lines,
/// anything else as CSV.
pub fn write_results(path: &Path, lines: &[ResultLine]) -> std::io::Result<()> {
    let file = crate::private_files::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    let json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("json"));
    if json {
        for line in lines {
            serde_json::to_writer(&mut out, line).map_err(std::io::Error::other)?;
            out.write_all(b"\n")?;
        }
    } else {
        let mut writer = csv::Writer::from_writer(out);
        for line in lines {
            writer.serialize(line).map_err(std::io::Error::other)?;
        }
        writer.flush()?;
    }
    Ok(())
}
