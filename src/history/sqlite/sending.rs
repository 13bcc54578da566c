//! What sending writes to a submission, inside the caller's write transaction: each
//! attempt as it ends, and the outcome.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{failure_name, insert_attempt, opt_u64, outcome_name, stamp};
use super::{get, indexing, storage};
use crate::api::Attempt;
use crate::domain::OutcomeKind;
use crate::history::{HistoryError, Submission, SubmissionId};

/// Writes one finished attempt, and the row's status, request id and failure as the last
/// attempt gives them.
pub(super) fn attempt(
    tx: &Connection,
    id: SubmissionId,
    attempt: &Attempt,
) -> Result<(), HistoryError> {
    insert(tx, id, attempt)?;
    // The row shows the last attempt, as `Submission::row` does: after an answer and then
    // a lost one, no status and no request id, but the failure.
    let changed = tx
        .prepare_cached(
            "UPDATE submissions SET (status, request_id, failure) = \
             (SELECT status, request_id, failure FROM attempts WHERE submission_id = ?1 \
              ORDER BY number DESC LIMIT 1), \
             attempts = (SELECT count(*) FROM attempts WHERE submission_id = ?1), \
             dispatched_at = coalesce(dispatched_at, ?2) WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![id, stamp(attempt.started_at)]))
        .map_err(storage)?;
    if changed == 0 {
        return Err(HistoryError::NotFound(id));
    }
    Ok(())
}

/// A run's last attempt and the outcome it leads to: the attempt, then the row as
/// [`outcome`] writes it (which covers all that [`attempt`] would have written of it).
pub(super) fn final_attempt(
    tx: &Connection,
    id: SubmissionId,
    attempt: &Attempt,
    kind: OutcomeKind,
    indexing: bool,
) -> Result<(), HistoryError> {
    insert(tx, id, attempt)?;
    outcome(tx, id, kind, indexing)
}

/// Inserts an attempt of a row that exists. The attempt itself puts the row's answer in
/// line to be indexed (see the schema's migration 7).
fn insert(tx: &Connection, id: SubmissionId, attempt: &Attempt) -> Result<(), HistoryError> {
    // Checked first: with foreign keys on, the insert would fail with a constraint error.
    tx.prepare_cached("SELECT 1 FROM submissions WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |_| Ok(())).optional())
        .map_err(storage)?
        .ok_or(HistoryError::NotFound(id))?;
    insert_attempt(tx, id, attempt).map_err(storage)
}

/// Writes the outcome and what the row shows of it, read from every attempt recorded; a
/// row whose answer changes waits to be indexed when `indexing`.
pub(super) fn outcome(
    tx: &Connection,
    id: SubmissionId,
    outcome: OutcomeKind,
    indexing: bool,
) -> Result<(), HistoryError> {
    let submission = get(tx, id)?;
    let before = submission.row();
    let row = Submission {
        outcome: Some(outcome),
        ..submission
    }
    .row();
    // Its answer is indexed with the next rows, unless the index has it already.
    let answered = before.outcome.is_some() || before.attempts > 0;
    let changed = (row.status, &row.verification_id, &row.request_id)
        != (before.status, &before.verification_id, &before.request_id);
    if indexing && (!answered || changed) {
        indexing::wait(tx, id, answered)?;
    }
    let changed = tx
        .prepare_cached(
            "UPDATE submissions SET outcome = ?2, status = ?3, failure = ?4, latency_ms = ?5, \
             verification_id = ?6, webview_url = ?7, request_id = ?8, finished_at = ?9, \
             attempts = ?10, dispatched_at = coalesce(dispatched_at, ?11) WHERE id = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                id,
                outcome_name(outcome),
                row.status,
                row.failure.map(failure_name),
                opt_u64(row.latency_ms),
                row.verification_id,
                row.webview_url,
                row.request_id,
                stamp(Utc::now()),
                row.attempts,
                row.sent_at.map(stamp),
            ])
        })
        .map_err(storage)?;
    if changed == 0 {
        return Err(HistoryError::NotFound(id));
    }
    Ok(())
}
