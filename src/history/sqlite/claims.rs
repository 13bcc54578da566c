//! The duplicate guard in SQL: the earlier submission that holds a (user, type, target),
//! and recording a new one only when none does, in the same write transaction, so that
//! two processes sharing the file cannot both record one.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::rows::{insert_submission, outcome_from, outcome_list, time};
use crate::domain::{KycType, OutcomeKind};
use crate::history::{Earlier, NewSubmission, SubmissionId};

/// The newest submission for the pair on the target whose outcome may have started a
/// verification, or that has none yet.
pub(super) fn earlier(
    conn: &Connection,
    user_id: &str,
    kyc_type: KycType,
    target: &str,
) -> rusqlite::Result<Option<Earlier>> {
    let sql = format!(
        "SELECT id, created_at, operator, profile, outcome, dispatched_at IS NOT NULL, \
         verification_id, batch_id FROM submissions \
         WHERE user_id = ?1 AND kyc_type = ?2 AND target = ?3 \
         AND (outcome IS NULL OR outcome IN {}) ORDER BY id DESC LIMIT 1",
        outcome_list(OutcomeKind::may_have_started)
    );
    conn.prepare_cached(&sql)?
        .query_row(
            params![user_id, kyc_type.as_str(), target],
            earlier_from_row,
        )
        .optional()
}

fn earlier_from_row(r: &Row) -> rusqlite::Result<Earlier> {
    Ok(Earlier {
        id: r.get(0)?,
        created_at: time(&r.get::<_, String>(1)?),
        operator: r.get(2)?,
        profile: r.get(3)?,
        outcome: r
            .get::<_, Option<String>>(4)?
            .as_deref()
            .and_then(outcome_from),
        dispatched: r.get(5)?,
        verification_id: r.get(6)?,
        batch_id: r.get(7)?,
    })
}

/// Records the submission unless an earlier one holds its pair. The caller's transaction
/// must have taken the write lock first (`BEGIN IMMEDIATE`), so no other writer can record
/// between the look and the insert.
pub(super) fn claim(
    conn: &Connection,
    new: &NewSubmission,
) -> rusqlite::Result<Result<SubmissionId, Earlier>> {
    if let Some(found) = earlier(conn, &new.user_id, new.kyc_type, &new.target)? {
        return Ok(Err(found));
    }
    insert_submission(conn, new).map(Ok)
}
