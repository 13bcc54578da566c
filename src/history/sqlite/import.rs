//! Copying submissions recorded elsewhere (another history, realistic rows for a bench)
//! with their attempts and outcomes. A submission whose idempotency key is already here
//! is left as it is, so copying the same history twice adds nothing.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{
    BATCH_COLUMNS, Settled, failure_name, insert_attempt, insert_settled, opt_u64, outcome_name,
    stamp,
};
use crate::history::{NewBatch, Submission, SubmissionId};

/// Copies `submissions` (oldest first) on the caller's write transaction; returns how many
/// were added. A resend keeps its link to the submission it resends when both are copied
/// in the same call.
pub(super) fn import(
    conn: &Connection,
    batches: &[NewBatch],
    submissions: &[Submission],
) -> rusqlite::Result<usize> {
    for b in batches {
        conn.prepare_cached(&format!(
            "INSERT OR IGNORE INTO batches ({BATCH_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
        ))?
        .execute(params![
            b.id,
            stamp(b.created_at),
            b.operator,
            b.profile,
            b.source
        ])?;
    }
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
        let row = s.row();
        let last_ended = s.attempts.last().map(|a| {
            a.started_at
                + chrono::Duration::from_std(a.latency).unwrap_or_else(|_| chrono::Duration::zero())
        });
        let settled = Settled {
            outcome: s.outcome.map(outcome_name),
            status: row.status,
            failure: row.failure.map(failure_name),
            latency_ms: opt_u64(row.latency_ms),
            verification_id: row.verification_id,
            webview_url: row.webview_url,
            request_id: row.request_id,
            attempts: row.attempts,
            dispatched_at: row.sent_at.map(stamp),
            finished_at: s
                .outcome
                .map(|_| stamp(last_ended.unwrap_or(s.new.created_at))),
        };
        let id = insert_settled(conn, &new, &settled)?;
        // Its attempts put it in line to be indexed; one finished unsent waits here.
        if s.outcome.is_some() && s.attempts.is_empty() {
            conn.prepare_cached(
                "INSERT INTO submission_search_pending (id, stale) VALUES (?1, 0)",
            )?
            .execute([id])?;
        }
        for attempt in &s.attempts {
            insert_attempt(conn, id, attempt)?;
        }
        here.insert(s.id, id);
        added += 1;
    }
    Ok(added)
}
