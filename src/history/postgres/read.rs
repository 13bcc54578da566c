//! Reads: filters as SQL (the rules of [`HistoryFilter::matches`]), counts, windows, the
//! look-ups of `show`, batches, and the duplicate guard's earlier submission.

use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::connect::Ctx;
use super::rows::{
    ROW_COLUMNS, SUBMISSION_COLUMNS, history_row, name_of, outcome_name, outcome_names,
    submission_from_row,
};
use crate::api::Attempt;
use crate::domain::{KycType, OutcomeKind};
use crate::history::{
    BatchInfo, Earlier, HistoryError, HistoryFilter, HistoryRow, NewBatch, RowCount, Submission,
    SubmissionId, UnfinishedBatch,
};

/// One submission with its attempts: each attempt as last recorded under its number.
pub(super) async fn get<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    id: SubmissionId,
) -> Result<Submission, HistoryError> {
    let fail = |e: tokio_postgres::Error| ctx.fail(&e);
    let row = client
        .query_opt(
            &format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1"),
            &[&id],
        )
        .await
        .map_err(fail)?
        .ok_or(HistoryError::NotFound(id))?;
    let (new, outcome, dispatched_at) = submission_from_row(&row).map_err(fail)?;
    let attempts = client
        .query(
            "SELECT DISTINCT ON (attempt_number) data FROM events \
             WHERE submission_id = $1 AND kind = 'attempt' ORDER BY attempt_number, id DESC",
            &[&id],
        )
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            let data: serde_json::Value = r.try_get(0).map_err(fail)?;
            serde_json::from_value::<Attempt>(data).map_err(|e| {
                HistoryError::Storage(format!(
                    "PostgreSQL at {}: submission {id} holds an attempt this version cannot \
                     read: {e}",
                    ctx.place
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Submission {
        id,
        new,
        attempts,
        outcome,
        dispatched_at,
    })
}

/// The newest submission for the pair on the target whose outcome may have started a
/// verification, or that has none yet.
pub(super) async fn earlier<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    user_id: &str,
    kyc_type: KycType,
    target: &str,
) -> Result<Option<Earlier>, HistoryError> {
    let fail = |e: tokio_postgres::Error| ctx.fail(&e);
    let started = outcome_names(OutcomeKind::may_have_started);
    let found = client
        .query_opt(
            "SELECT id, created_at, operator, profile, outcome, dispatched_at IS NOT NULL, \
             verification_id, batch_id FROM submissions \
             WHERE user_id = $1 AND kyc_type = $2 AND target = $3 \
             AND (outcome IS NULL OR outcome = ANY($4)) ORDER BY id DESC LIMIT 1",
            &[&user_id, &kyc_type.as_str(), &target, &started],
        )
        .await
        .map_err(fail)?;
    let Some(r) = found else {
        return Ok(None);
    };
    let read = || -> Result<Earlier, tokio_postgres::Error> {
        Ok(Earlier {
            id: r.try_get(0)?,
            created_at: r.try_get(1)?,
            operator: r.try_get(2)?,
            profile: r.try_get(3)?,
            outcome: r
                .try_get::<_, Option<String>>(4)?
                .as_deref()
                .and_then(name_of),
            dispatched: r.try_get(5)?,
            verification_id: r.try_get(6)?,
            batch_id: r.try_get(7)?,
        })
    };
    read().map(Some).map_err(fail)
}

/// A filter's conditions and their arguments (all text, cast in the SQL).
pub(super) fn where_clause(filter: &HistoryFilter) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut arg = |value: String| {
        args.push(value);
        format!("${}::text", args.len())
    };
    if filter.errors_only {
        parts.push("(outcome IS NULL OR outcome <> 'initiated')".to_string());
    }
    if let Some(profile) = &filter.profile {
        parts.push(format!("profile = {}", arg(profile.clone())));
    }
    if let Some(since) = filter.since {
        parts.push(format!(
            "created_at >= {}::timestamptz",
            arg(since.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        ));
    }
    if let Some(status) = filter.status {
        parts.push(format!("status = {}::integer", arg(status.to_string())));
    }
    if let Some(user_id) = &filter.user_id {
        parts.push(format!("user_id = {}", arg(user_id.clone())));
    }
    if let Some(kyc_type) = filter.kyc_type {
        parts.push(format!("kyc_type = {}", arg(kyc_type.as_str().to_string())));
    }
    if let Some(operator) = &filter.operator {
        parts.push(format!("operator = {}", arg(operator.clone())));
    }
    if let Some(outcome) = filter.outcome {
        parts.push(format!("outcome = {}", arg(outcome_name(outcome))));
    }
    let text = filter.text.trim().to_ascii_lowercase();
    if !text.is_empty() {
        // ASCII case folded, as the rule folds it (lower() would fold beyond ASCII).
        let needle = arg(text);
        let hit = |column: &str| {
            format!(
                "strpos(translate({column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', \
                 'abcdefghijklmnopqrstuvwxyz'), {needle}) > 0"
            )
        };
        parts.push(format!(
            "({} OR {} OR {} OR {} OR {} OR starts_with(status::text, {needle}))",
            hit("user_id"),
            hit("verification_id"),
            hit("request_id"),
            hit("idempotency_key"),
            hit("operator"),
        ));
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", parts.join(" AND "))
    };
    (clause, args)
}

pub(super) fn params(args: &[String]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// A count as SQL reads it: at most `i64::MAX` ("all").
fn sql_count(n: usize) -> String {
    i64::try_from(n).unwrap_or(i64::MAX).to_string()
}

fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// How many rows pass the filter.
pub(super) async fn count<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    filter: &HistoryFilter,
) -> Result<usize, HistoryError> {
    let (clause, args) = where_clause(filter);
    let n: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM submissions {clause}"),
            &params(&args),
        )
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| ctx.fail(&e))?;
    Ok(to_usize(n))
}

/// How many rows pass the filter, counting no further than `cap`.
pub(super) async fn count_upto<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    filter: &HistoryFilter,
    cap: usize,
) -> Result<RowCount, HistoryError> {
    let (clause, mut args) = where_clause(filter);
    args.push(sql_count(cap.saturating_add(1)));
    let limit = args.len();
    let n: i64 = client
        .query_one(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM submissions {clause} \
                 LIMIT ${limit}::text::bigint) AS passing"
            ),
            &params(&args),
        )
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| ctx.fail(&e))?;
    let n = to_usize(n);
    Ok(if n > cap {
        RowCount { n: cap, more: true }
    } else {
        RowCount::exact(n)
    })
}

/// Rows `offset..offset+limit` passing the filter, newest first.
pub(super) async fn window<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    filter: &HistoryFilter,
    offset: usize,
    limit: usize,
) -> Result<Vec<HistoryRow>, HistoryError> {
    let (clause, mut args) = where_clause(filter);
    args.push(sql_count(limit));
    let limit_at = args.len();
    args.push(sql_count(offset));
    let offset_at = args.len();
    rows(
        client,
        ctx,
        &format!(
            "SELECT {ROW_COLUMNS} FROM submissions {clause} ORDER BY id DESC \
             LIMIT ${limit_at}::text::bigint OFFSET ${offset_at}::text::bigint"
        ),
        &params(&args),
    )
    .await
}

/// The rows `identifier` names exactly, newest first: the rule of
/// [`Submission::identified_by`]; an attempt counts as last recorded under its number.
pub(super) async fn find<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    identifier: &str,
) -> Result<Vec<HistoryRow>, HistoryError> {
    rows(
        client,
        ctx,
        &format!(
            "SELECT {ROW_COLUMNS} FROM submissions WHERE id IN ( \
             SELECT id FROM submissions WHERE idempotency_key = $1 \
             UNION SELECT id FROM submissions WHERE user_id = $1 \
             UNION SELECT id FROM submissions WHERE verification_id = $1 \
             UNION SELECT id FROM submissions WHERE request_id = $1 \
             UNION SELECT e.submission_id FROM events e WHERE e.request_id = $1 \
               AND e.kind = 'attempt' AND NOT EXISTS (SELECT 1 FROM events later \
               WHERE later.submission_id = e.submission_id AND later.kind = 'attempt' \
               AND later.attempt_number = e.attempt_number AND later.id > e.id)) \
             ORDER BY id DESC"
        ),
        &[&identifier],
    )
    .await
}

async fn rows<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<HistoryRow>, HistoryError> {
    client
        .query(sql, params)
        .await
        .map_err(|e| ctx.fail(&e))?
        .iter()
        .map(|r| history_row(r).map_err(|e| ctx.fail(&e)))
        .collect()
}

/// A batch and its rows, by line.
pub(super) async fn batch<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    id: &str,
) -> Result<BatchInfo, HistoryError> {
    let fail = |e: tokio_postgres::Error| ctx.fail(&e);
    let r = client
        .query_opt(
            "SELECT id, created_at, operator, profile, source FROM batches WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(fail)?
        .ok_or_else(|| HistoryError::NoBatch(id.to_string()))?;
    let read = || -> Result<NewBatch, tokio_postgres::Error> {
        Ok(NewBatch {
            id: r.try_get(0)?,
            created_at: r.try_get(1)?,
            operator: r.try_get(2)?,
            profile: r.try_get(3)?,
            source: r.try_get(4)?,
        })
    };
    let batch = read().map_err(fail)?;
    let rows = rows(
        client,
        ctx,
        &format!(
            "SELECT {ROW_COLUMNS} FROM submissions WHERE batch_id = $1 ORDER BY batch_line, id"
        ),
        &[&id],
    )
    .await?;
    Ok(BatchInfo { batch, rows })
}

/// This profile's batches with rows still unsettled, newest first.
pub(super) async fn unfinished_batches<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    profile: &str,
) -> Result<Vec<UnfinishedBatch>, HistoryError> {
    let fail = |e: tokio_postgres::Error| ctx.fail(&e);
    let retryable = outcome_names(OutcomeKind::retryable);
    let unsettled = "(s.outcome IS NULL OR s.outcome = ANY($2))";
    client
        .query(
            &format!(
                "SELECT b.id, b.created_at, b.source, count(s.id), \
                 count(*) FILTER (WHERE {unsettled}) FROM batches b \
                 JOIN submissions s ON s.batch_id = b.id WHERE b.profile = $1 \
                 GROUP BY b.id HAVING count(*) FILTER (WHERE {unsettled}) > 0 \
                 ORDER BY b.created_at DESC LIMIT 20"
            ),
            &[&profile, &retryable],
        )
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(UnfinishedBatch {
                id: r.try_get(0)?,
                created_at: r.try_get(1)?,
                source: r.try_get(2)?,
                total: to_usize(r.try_get(3)?),
                unfinished: to_usize(r.try_get(4)?),
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()
        .map_err(fail)
}
