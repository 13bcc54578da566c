//! Writes. The duplicate guard is the database's: a transaction that records a submission
//! for a (user, type, target) first takes an advisory lock on that triple, so the look for
//! an earlier submission and the insert happen with no other console in between, on any
//! machine. A transaction takes all its locks in one statement, in key order, so two
//! batches never wait on each other in a circle. What happens to a submission afterwards
//! (dispatch, attempts, outcome) is appended to `events`; the row's current state is then
//! recomputed from them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Transaction};

use super::connect::Ctx;
use super::read::{earlier, get};
use super::rows::{Settled, insert, outcome_name};
use crate::api::{Attempt, AttemptResult};
use crate::domain::{KycType, OutcomeKind};
use crate::history::{Claim, HistoryError, NewBatch, NewSubmission, Submission, SubmissionId};

/// The advisory lock key for a (user, type, target): FNV-1a over the three, apart.
pub(super) fn pair_key(user_id: &str, kyc_type: KycType, target: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [user_id, kyc_type.as_str(), target] {
        for byte in part.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Takes the locks of every pair `rows` claim, in key order, until the transaction ends.
async fn lock_pairs(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    rows: &[NewSubmission],
) -> Result<(), HistoryError> {
    let mut keys: Vec<i64> = rows
        .iter()
        .map(|n| pair_key(&n.user_id, n.kyc_type, &n.target))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    tx.execute(
        "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, n) \
         ORDER BY n",
        &[&keys],
    )
    .await
    .map(|_| ())
    .map_err(|e| ctx.fail(&e))
}

/// Records submissions, all or none.
pub(super) async fn create_many(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    new: &[NewSubmission],
) -> Result<Vec<SubmissionId>, HistoryError> {
    let mut ids = Vec::with_capacity(new.len());
    for n in new {
        ids.push(
            insert(tx, n, &Settled::default())
                .await
                .map_err(|e| ctx.fail(&e))?,
        );
    }
    Ok(ids)
}

/// Records each row unless an earlier submission holds its pair (a row earlier in `rows`
/// included); with `batch`, records the batch first.
pub(super) async fn claim(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    batch: Option<&NewBatch>,
    rows: &[NewSubmission],
) -> Result<Vec<Claim>, HistoryError> {
    let fail = |e: tokio_postgres::Error| ctx.fail(&e);
    if let Some(b) = batch {
        tx.execute(
            "INSERT INTO batches (id, created_at, operator, profile, source) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&b.id, &b.created_at, &b.operator, &b.profile, &b.source],
        )
        .await
        .map_err(fail)?;
    }
    lock_pairs(tx, ctx, rows).await?;
    let mut claims = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(found) = earlier(tx, ctx, &row.user_id, row.kyc_type, &row.target).await? {
            claims.push(Err(found));
            continue;
        }
        claims.push(Ok(insert(tx, row, &Settled::default())
            .await
            .map_err(fail)?));
    }
    Ok(claims)
}

/// Locks a submission's row for the rest of the transaction; `NotFound` when there is none.
async fn lock_row(tx: &Transaction<'_>, ctx: &Ctx, id: SubmissionId) -> Result<(), HistoryError> {
    tx.query_opt("SELECT 1 FROM submissions WHERE id = $1 FOR UPDATE", &[&id])
        .await
        .map_err(|e| ctx.fail(&e))?
        .map(|_| ())
        .ok_or(HistoryError::NotFound(id))
}

/// One appended event.
struct Event<'a> {
    id: SubmissionId,
    kind: &'a str,
    at: DateTime<Utc>,
    operator: &'a str,
    attempt: Option<&'a Attempt>,
    outcome: Option<OutcomeKind>,
}

async fn append<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    event: Event<'_>,
) -> Result<(), HistoryError> {
    let number = event
        .attempt
        .map(|a| i32::try_from(a.number).unwrap_or(i32::MAX));
    let request_id = event.attempt.and_then(|a| match &a.result {
        AttemptResult::Response(r) => r.request_id.clone(),
        AttemptResult::Failed { .. } => None,
    });
    let data = event
        .attempt
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| HistoryError::Storage(format!("cannot record the attempt: {e}")))?;
    let outcome = event.outcome.map(outcome_name);
    client
        .execute(
            "INSERT INTO events (submission_id, kind, at, operator, attempt_number, request_id, \
             outcome, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &event.id,
                &event.kind,
                &event.at,
                &event.operator,
                &number,
                &request_id,
                &outcome,
                &data,
            ],
        )
        .await
        .map(|_| ())
        .map_err(|e| ctx.fail(&e))
}

/// Recomputes a submission's current state from what was recorded, as
/// [`Submission::row`] reads it; `finished_at` set when an outcome was just recorded.
async fn refresh(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: SubmissionId,
    finished_at: Option<DateTime<Utc>>,
) -> Result<(), HistoryError> {
    let row = get(tx, ctx, id).await?.row();
    let s = Settled::of(&row, finished_at);
    tx.execute(
        "UPDATE submissions SET outcome = $2, status = $3, failure = $4, latency_ms = $5, \
         verification_id = $6, webview_url = $7, request_id = $8, attempts = $9, \
         dispatched_at = coalesce(dispatched_at, $10), finished_at = coalesce($11, finished_at) \
         WHERE id = $1",
        &[
            &id,
            &s.outcome,
            &s.status,
            &s.failure,
            &s.latency_ms,
            &s.verification_id,
            &s.webview_url,
            &s.request_id,
            &s.attempts,
            &s.dispatched_at,
            &s.finished_at,
        ],
    )
    .await
    .map(|_| ())
    .map_err(|e| ctx.fail(&e))
}

/// Notes that sending starts (the row keeps the first time; each is appended).
pub(super) async fn mark_dispatched(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: SubmissionId,
    at: DateTime<Utc>,
) -> Result<(), HistoryError> {
    lock_row(tx, ctx, id).await?;
    let operator = ctx.operator.as_str();
    let (kind, attempt, outcome) = ("dispatched", None, None);
    append(
        tx,
        ctx,
        Event {
            id,
            kind,
            at,
            operator,
            attempt,
            outcome,
        },
    )
    .await?;
    tx.execute(
        "UPDATE submissions SET dispatched_at = coalesce(dispatched_at, $2) WHERE id = $1",
        &[&id, &at],
    )
    .await
    .map(|_| ())
    .map_err(|e| ctx.fail(&e))
}

/// Appends one finished attempt.
pub(super) async fn record_attempt(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: SubmissionId,
    attempt: &Attempt,
) -> Result<(), HistoryError> {
    lock_row(tx, ctx, id).await?;
    let (operator, at) = (ctx.operator.as_str(), attempt.started_at);
    let event = Event {
        id,
        kind: "attempt",
        at,
        operator,
        attempt: Some(attempt),
        outcome: None,
    };
    append(tx, ctx, event).await?;
    refresh(tx, ctx, id, None).await
}

/// Appends the final outcome.
pub(super) async fn finish(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: SubmissionId,
    outcome: OutcomeKind,
) -> Result<(), HistoryError> {
    lock_row(tx, ctx, id).await?;
    let (operator, at) = (ctx.operator.as_str(), Utc::now());
    let event = Event {
        id,
        kind: "outcome",
        at,
        operator,
        attempt: None,
        outcome: Some(outcome),
    };
    append(tx, ctx, event).await?;
    tx.execute(
        "UPDATE submissions SET outcome = $2 WHERE id = $1",
        &[&id, &outcome_name(outcome)],
    )
    .await
    .map_err(|e| ctx.fail(&e))?;
    refresh(tx, ctx, id, Some(at)).await
}

/// The advisory lock key imports hold, so two imports of one file add each row once.
const IMPORT_LOCK: i64 = 0x6b79_632d_696d_706f;

/// Copies submissions recorded elsewhere (oldest first) with their attempts and outcomes;
/// one whose idempotency key is already here is skipped. Returns how many were added.
pub(super) async fn import(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    batches: &[NewBatch],
    submissions: &[Submission],
) -> Result<usize, HistoryError> {
    let fail = |e: tokio_postgres::Error| ctx.fail(&e);
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&IMPORT_LOCK])
        .await
        .map_err(fail)?;
    for b in batches {
        tx.execute(
            "INSERT INTO batches (id, created_at, operator, profile, source) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            &[&b.id, &b.created_at, &b.operator, &b.profile, &b.source],
        )
        .await
        .map_err(fail)?;
    }
    let keys: Vec<&str> = submissions
        .iter()
        .map(|s| s.new.idempotency_key.as_str())
        .collect();
    let mut here: HashMap<String, SubmissionId> = HashMap::new();
    for r in tx
        .query(
            "SELECT idempotency_key, min(id) FROM submissions \
             WHERE idempotency_key = ANY($1) GROUP BY idempotency_key",
            &[&keys],
        )
        .await
        .map_err(fail)?
    {
        here.insert(r.try_get(0).map_err(fail)?, r.try_get(1).map_err(fail)?);
    }
    // Where each copied submission's id went, for the resends among them.
    let mut moved: HashMap<SubmissionId, SubmissionId> = HashMap::new();
    let mut added = 0;
    for s in submissions {
        if let Some(id) = here.get(&s.new.idempotency_key) {
            moved.insert(s.id, *id);
            continue;
        }
        let mut new = s.new.clone();
        new.resend_of = new.resend_of.and_then(|of| moved.get(&of).copied());
        let last_ended = s.attempts.last().map(|a| {
            a.started_at
                + chrono::Duration::from_std(a.latency).unwrap_or_else(|_| chrono::Duration::zero())
        });
        let finished_at = s.outcome.map(|_| last_ended.unwrap_or(s.new.created_at));
        let id = insert(tx, &new, &Settled::of(&s.row(), finished_at))
            .await
            .map_err(fail)?;
        let operator = ctx.operator.as_str();
        let (kind, at) = ("imported", Utc::now());
        append(
            tx,
            ctx,
            Event {
                id,
                kind,
                at,
                operator,
                attempt: None,
                outcome: None,
            },
        )
        .await?;
        let operator = s.new.operator.as_str();
        for attempt in &s.attempts {
            let (kind, at) = ("attempt", attempt.started_at);
            let attempt = Some(attempt);
            append(
                tx,
                ctx,
                Event {
                    id,
                    kind,
                    at,
                    operator,
                    attempt,
                    outcome: None,
                },
            )
            .await?;
        }
        if let (Some(outcome), Some(at)) = (s.outcome, finished_at) {
            let (kind, outcome) = ("outcome", Some(outcome));
            append(
                tx,
                ctx,
                Event {
                    id,
                    kind,
                    at,
                    operator,
                    attempt: None,
                    outcome,
                },
            )
            .await?;
        }
        here.insert(s.new.idempotency_key.clone(), id);
        moved.insert(s.id, id);
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::pair_key;
    use crate::domain::KycType;

    #[test]
    fn pairs_lock_apart() {
        let a = pair_key("u1", KycType::Full, "t");
        assert_eq!(a, pair_key("u1", KycType::Full, "t"));
        assert_ne!(a, pair_key("u1", KycType::Full, "t2"));
        assert_ne!(
            pair_key("ab", KycType::Full, "c"),
            pair_key("a", KycType::Full, "bc")
        );
    }
}
