//! What a batch would do, row by row, before anything is sent: valid, invalid (with the
//! reason), a duplicate of an earlier line, already initiated according to history, or
//! held by an earlier submission (in flight, unknown, or queued in an unfinished batch).

use std::collections::HashMap;

use serde::Serialize;

use super::input::InputRow;
use crate::domain::{InitiateRequest, KycType, OutcomeKind, RedirectUri, UserId};
use crate::history::{HistoryError, HistoryStore, SubmissionId};

/// What the preview says of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// Will be sent.
    Valid,
    /// Cannot be sent as written.
    Invalid { reason: String },
    /// The same user and type appear on an earlier line.
    Duplicate { first_line: u32 },
    /// History already holds a success for this user and type on this target.
    AlreadyInitiated { submission: SubmissionId },
    /// An earlier submission holds this user and type: queued or sent in an unfinished
    /// batch, in flight, or of unknown outcome. Resuming or retrying it settles it.
    Held {
        submission: SubmissionId,
        batch: Option<String>,
    },
}

impl Check {
    /// A few words for the preview and result files.
    pub fn describe(&self) -> String {
        match self {
            Check::Valid => "valid".to_string(),
            Check::Invalid { reason } => format!("invalid: {reason}"),
            Check::Duplicate { first_line } => format!("duplicate of line {first_line}"),
            Check::AlreadyInitiated { submission } => {
                format!("already initiated (#{submission})")
            }
            Check::Held {
                submission,
                batch: Some(batch),
            } => format!("in batch {batch} (#{submission}), not finished"),
            Check::Held {
                submission,
                batch: None,
            } => format!("held by #{submission}: in flight or outcome unknown"),
        }
    }
}

/// One row of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRow {
    pub line: u32,
    /// The id as written (trimmed), for rows that are not valid.
    pub written: String,
    /// The type and redirect URI as written, if any, for rows that are not valid.
    pub written_type: Option<String>,
    pub written_redirect_uri: Option<String>,
    pub request: Option<InitiateRequest>,
    pub check: Check,
}

/// Defaults for rows that leave `type` or `redirect_uri` out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub kyc_type: KycType,
    pub redirect_uri: Option<RedirectUri>,
}

/// The preview of a whole batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub rows: Vec<PlannedRow>,
}

impl Plan {
    /// Rows that will be sent.
    pub fn to_send(&self) -> impl Iterator<Item = &PlannedRow> {
        self.rows.iter().filter(|r| r.check == Check::Valid)
    }

    /// How many rows of each kind.
    pub fn counts(&self) -> PlanCounts {
        let mut c = PlanCounts::default();
        for r in &self.rows {
            match r.check {
                Check::Valid => c.valid += 1,
                Check::Invalid { .. } => c.invalid += 1,
                Check::Duplicate { .. } => c.duplicate += 1,
                Check::AlreadyInitiated { .. } => c.initiated += 1,
                Check::Held { .. } => c.held += 1,
            }
        }
        c
    }

    /// Unfinished batches that hold rows of this input, in order of first mention: resume
    /// them rather than send their rows again.
    pub fn holding_batches(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for r in &self.rows {
            if let Check::Held {
                batch: Some(batch), ..
            } = &r.check
                && !found.contains(batch)
            {
                found.push(batch.clone());
            }
        }
        found
    }
}

/// A plan's rows by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanCounts {
    pub valid: usize,
    pub invalid: usize,
    pub duplicate: usize,
    pub initiated: usize,
    pub held: usize,
}

/// Validates every row with the form's rules, finds duplicates and asks history for
/// earlier submissions on this target that hold a row's user and type.
pub fn plan(
    rows: &[InputRow],
    defaults: &Defaults,
    store: &dyn HistoryStore,
    target: &str,
) -> Result<Plan, HistoryError> {
    let mut seen: HashMap<(String, KycType), u32> = HashMap::new();
    let mut planned = Vec::with_capacity(rows.len());
    for row in rows {
        let written = row.user_id.trim().to_string();
        let (request, check) = match build(row, defaults) {
            Err(reason) => (None, Check::Invalid { reason }),
            Ok(request) => {
                let key = (request.user_id.to_string(), request.kyc_type);
                let check = if let Some(first_line) = seen.get(&key) {
                    Check::Duplicate {
                        first_line: *first_line,
                    }
                } else if let Some(earlier) = store.earlier(&key.0, key.1, target)? {
                    seen.insert(key, row.line);
                    if earlier.outcome == Some(OutcomeKind::Initiated) {
                        Check::AlreadyInitiated {
                            submission: earlier.id,
                        }
                    } else {
                        Check::Held {
                            submission: earlier.id,
                            batch: earlier.batch_id,
                        }
                    }
                } else {
                    seen.insert(key, row.line);
                    Check::Valid
                };
                (Some(request), check)
            }
        };
        planned.push(PlannedRow {
            line: row.line,
            written,
            written_type: row.kyc_type.clone(),
            written_redirect_uri: row.redirect_uri.clone(),
            request,
            check,
        });
    }
    Ok(Plan { rows: planned })
}

fn build(row: &InputRow, defaults: &Defaults) -> Result<InitiateRequest, String> {
    let (user_id, _) = UserId::parse(&row.user_id).map_err(|e| format!("user id: {e}"))?;
    let kyc_type = match &row.kyc_type {
        Some(t) => KycType::parse(t).map_err(|e| format!("type: {e}"))?,
        None => defaults.kyc_type,
    };
    let redirect_uri = match &row.redirect_uri {
        Some(uri) => RedirectUri::parse_optional(uri)
            .map_err(|e| format!("redirect URI: {e}"))?
            .map(|(u, _)| u),
        None => defaults.redirect_uri.clone(),
    };
    Ok(InitiateRequest {
        user_id,
        kyc_type,
        redirect_uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::input::read_input;
    use crate::history::MemoryStore;

    #[test]
    fn classifies_every_row() {
        let text = "user_id,type\n\
            usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6,full\n\
            usr-123,full\n\
            USR-3F0E8D4A-5B6C-4D7E-8F90-A1B2C3D4E5F6,full\n\
            usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6,rfi\n\
            usr-00000000-0000-4000-8000-000000000503,passport\n\
            usr-00000000-0000-4000-8000-000000000400,\n";
        let rows = read_input(text.as_bytes()).unwrap();
        let defaults = Defaults {
            kyc_type: KycType::Shipping,
            redirect_uri: None,
        };
        let plan = plan(&rows, &defaults, &MemoryStore::new(), "t").unwrap();
        let checks: Vec<_> = plan
            .rows
            .iter()
            .map(|r| (r.line, r.check.describe()))
            .collect();
        assert_eq!(checks[0], (2, "valid".to_string()));
        assert_eq!(
            checks[1],
            (
                3,
                "invalid: user id: 7/40 characters: too short".to_string()
            )
        );
        assert_eq!(
            checks[2],
            (4, "duplicate of line 2".to_string()),
            "the same id in uppercase"
        );
        assert_eq!(
            checks[3],
            (5, "valid".to_string()),
            "another type is another verification"
        );
        assert!(checks[4].1.starts_with("invalid: type: unknown KYC type"));
        assert_eq!(checks[5], (7, "valid".to_string()));
        assert_eq!(
            plan.rows[5].request.as_ref().map(|r| r.kyc_type),
            Some(KycType::Shipping)
        );
        let c = plan.counts();
        assert_eq!(
            (c.valid, c.invalid, c.duplicate, c.initiated, c.held),
            (3, 2, 1, 0, 0)
        );
    }
}
