//! The result file of a batch: one line per input row, CSV or JSON Lines by extension.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Check, Plan};
use crate::history::BatchInfo;
use crate::history::export::outcome_text;

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
}

/// Results of every row: sent rows from history, the others from the preview.
pub fn result_lines(plan: Option<&Plan>, info: &BatchInfo) -> Vec<ResultLine> {
    let mut lines: Vec<ResultLine> = info
        .rows
        .iter()
        .map(|r| ResultLine {
            line: r.batch_line.unwrap_or(0),
            user_id: r.user_id.clone(),
            kyc_type: r.kyc_type.as_str().to_string(),
            status: r.status,
            outcome: outcome_text(r),
            sent_at: r
                .sent_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            verification_id: r.verification_id.clone(),
            request_id: r.request_id.clone(),
            submission: Some(r.id),
        })
        .collect();
    if let Some(plan) = plan {
        for row in plan.rows.iter().filter(|r| r.check != Check::Valid) {
            lines.push(ResultLine {
                line: row.line,
                user_id: row
                    .request
                    .as_ref()
                    .map_or_else(|| row.written.clone(), |r| r.user_id.to_string()),
                kyc_type: row
                    .request
                    .as_ref()
                    .map_or_else(String::new, |r| r.kyc_type.as_str().to_string()),
                status: None,
                outcome: row.check.describe(),
                sent_at: None,
                verification_id: None,
                request_id: None,
                submission: match row.check {
                    Check::AlreadyInitiated { submission } => Some(submission),
                    _ => None,
                },
            });
        }
    }
    lines.sort_by_key(|l| l.line);
    lines
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
