//! Copying submissions recorded elsewhere (another history, realistic rows for a bench)
//! with their attempts and outcomes. A submission whose idempotency key is already here
//! is left as it is, so copying the same history twice adds nothing.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{failure_name, insert_attempt, insert_submission, opt_u64, outcome_name, stamp};
use crate::history::{Submission, SubmissionId};

/// Copies `submissions` (oldest first) on the caller's write transaction; returns how many
/// were added. A resend keeps its link to the submission it resends when both are copied
/// in the same call.
pub(super) fn import(conn: &Connection, submissions: &[Submission]) -> rusqlite::Result<usize> {
    let mut here: HashMap<SubmissionId, SubmissionId> = HashMap::new();
    let mut added = 0;
    for s in submissions {
        let existing = conn
            .prepare_cached("SELECT id FROM submissions WHERE idempotency_key = ?1")?
            .query_row([&s.new.idempotency_key], |r| r.get::<_, SubmissionId>(0))
            .optional()?;
        if let Some(id) = existing {
            here.insert(s.id, id);
            continue;
        }
        let mut new = s.new.clone();
        new.resend_of = new.resend_of.and_then(|of| here.get(&of).copied());
        let id = insert_submission(conn, &new)?;
        for attempt in &s.attempts {
            insert_attempt(conn, id, attempt)?;
        }
        let row = s.row();
        let first_sent = s.attempts.first().map(|a| a.started_at);
        let last_ended = s.attempts.last().map(|a| {
            a.started_at
                + chrono::Duration::from_std(a.latency).unwrap_or_else(|_| chrono::Duration::zero())
        });
        conn.prepare_cached(
            "UPDATE submissions SET outcome = ?2, status = ?3, failure = ?4, latency_ms = ?5, \
             verification_id = ?6, webview_url = ?7, request_id = ?8, attempts = ?9, \
             dispatched_at = ?10, finished_at = ?11 WHERE id = ?1",
        )?
        .execute(params![
            id,
            s.outcome.map(outcome_name),
            row.status,
            row.failure.map(failure_name),
            opt_u64(row.latency_ms),
            row.verification_id,
            row.webview_url,
            row.request_id,
            row.attempts,
            row.dispatched
                .then(|| stamp(first_sent.unwrap_or(s.new.created_at))),
            s.outcome
                .map(|_| stamp(last_ended.unwrap_or(s.new.created_at))),
        ])?;
        here.insert(s.id, id);
        added += 1;
    }
    Ok(added)
}
