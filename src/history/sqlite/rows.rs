//! Between the history's types and SQLite's rows: the columns each read selects, how a
//! row becomes a value, and how a value is written. Times are RFC 3339 text to the
//! microsecond and enums their serde names, so the file stays readable with any SQLite tool.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use crate::api::{Attempt, AttemptResult, CapturedResponse, RateLimit, RequestRecord, RetryPlan};
use crate::domain::{FailureKind, KycType, OutcomeKind};
use crate::history::{HistoryRow, NewBatch, NewSubmission, SubmissionId, UnfinishedBatch};

/// What [`history_row`] reads, in its order.
pub(super) const ROW_COLUMNS: &str = "id, profile, created_at, user_id, kyc_type, status, outcome, failure, latency_ms, \
     verification_id, webview_url, request_id, attempts, batch_line, dispatched_at, \
     operator, idempotency_key, redirect_uri";

pub(super) fn history_row(r: &Row) -> rusqlite::Result<HistoryRow> {
    Ok(HistoryRow {
        id: r.get(0)?,
        profile: r.get(1)?,
        created_at: time(&r.get::<_, String>(2)?),
        user_id: r.get(3)?,
        kyc_type: KycType::parse(&r.get::<_, String>(4)?).unwrap_or(KycType::Full),
        status: r.get(5)?,
        outcome: r
            .get::<_, Option<String>>(6)?
            .as_deref()
            .and_then(outcome_from),
        failure: r
            .get::<_, Option<String>>(7)?
            .as_deref()
            .and_then(failure_from),
        latency_ms: r
            .get::<_, Option<i64>>(8)?
            .and_then(|v| u64::try_from(v).ok()),
        verification_id: r.get(9)?,
        webview_url: r.get(10)?,
        request_id: r.get(11)?,
        attempts: r.get::<_, i64>(12).map(|v| u32::try_from(v).unwrap_or(0))?,
        batch_line: r.get(13)?,
        sent_at: r.get::<_, Option<String>>(14)?.as_deref().map(time),
        operator: r.get(15)?,
        idempotency_key: r.get(16)?,
        redirect_uri: r.get(17)?,
    })
}

/// What [`submission_from_row`] reads, in its order.
pub(super) const SUBMISSION_COLUMNS: &str = "created_at, operator, profile, base_url, method, url, user_id, kyc_type, redirect_uri, \
     idempotency_key, request_headers, request_body, resend_of, batch_id, outcome, batch_line, \
     dispatched_at, target, key_env";

/// A submission as recorded, its outcome, and when sending started, if it did.
pub(super) fn submission_from_row(
    r: &Row,
) -> rusqlite::Result<(NewSubmission, Option<OutcomeKind>, Option<DateTime<Utc>>)> {
    let headers: String = r.get(10)?;
    Ok((
        NewSubmission {
            created_at: time(&r.get::<_, String>(0)?),
            operator: r.get(1)?,
            profile: r.get(2)?,
            base_url: r.get(3)?,
            target: r.get(17)?,
            key_env: r.get(18)?,
            user_id: r.get(6)?,
            kyc_type: KycType::parse(&r.get::<_, String>(7)?).unwrap_or(KycType::Full),
            redirect_uri: r.get(8)?,
            idempotency_key: r.get(9)?,
            request: RequestRecord {
                method: r.get(4)?,
                url: r.get(5)?,
                headers: serde_json::from_str(&headers).unwrap_or_default(),
                body: r.get(11)?,
            },
            resend_of: r.get(12)?,
            batch_id: r.get(13)?,
            batch_line: r.get(15)?,
        },
        r.get::<_, Option<String>>(14)?
            .as_deref()
            .and_then(outcome_from),
        r.get::<_, Option<String>>(16)?.as_deref().map(time),
    ))
}

/// What a submission copied from elsewhere already knows of its fate.
#[derive(Debug, Default)]
pub(super) struct Settled {
    pub outcome: Option<String>,
    pub status: Option<u16>,
    pub failure: Option<String>,
    pub latency_ms: Option<i64>,
    pub verification_id: Option<String>,
    pub webview_url: Option<String>,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub dispatched_at: Option<String>,
    pub finished_at: Option<String>,
}

pub(super) fn insert_submission(
    conn: &Connection,
    new: &NewSubmission,
) -> rusqlite::Result<SubmissionId> {
    insert_settled(conn, new, &Settled::default())
}

/// Inserts a submission with what is known of its fate, in one statement (so the search
/// index reads its whole text once).
pub(super) fn insert_settled(
    conn: &Connection,
    new: &NewSubmission,
    settled: &Settled,
) -> rusqlite::Result<SubmissionId> {
    let headers = json(&new.request.headers)?;
    conn.prepare_cached(
        "INSERT INTO submissions (created_at, operator, profile, base_url, method, url, user_id, \
         kyc_type, redirect_uri, idempotency_key, request_headers, request_body, resend_of, batch_id, \
         batch_line, target, key_env, outcome, status, failure, latency_ms, verification_id, \
         webview_url, request_id, attempts, dispatched_at, finished_at) VALUES (?1, ?2, ?3, ?4, ?5, \
         ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, \
         ?25, ?26, ?27)",
    )?
    .execute(params![
            stamp(new.created_at),
            new.operator,
            new.profile,
            new.base_url,
            new.request.method,
            new.request.url,
            new.user_id,
            new.kyc_type.as_str(),
            new.redirect_uri,
            new.idempotency_key,
            headers,
            new.request.body,
            new.resend_of,
            new.batch_id,
            new.batch_line,
            new.target,
            new.key_env,
            settled.outcome,
            settled.status,
            settled.failure,
            settled.latency_ms,
            settled.verification_id,
            settled.webview_url,
            settled.request_id,
            settled.attempts,
            settled.dispatched_at,
            settled.finished_at,
        ])?;
    Ok(conn.last_insert_rowid())
}

/// What [`attempt_from_row`] reads, in its order.
pub(super) const ATTEMPT_COLUMNS: &str = "number, started_at, latency_ms, status, failure, error, response_headers, response_body, \
     body_truncated, request_id, rate_limit, rate_remaining, rate_reset, retry_after, retry_wait_ms, \
     retry_reason, read_fields, stop";

pub(super) fn attempt_from_row(r: &Row) -> rusqlite::Result<Attempt> {
    let u64_at = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(r.get::<_, Option<i64>>(i)?
            .and_then(|v| u64::try_from(v).ok()))
    };
    let status: Option<u16> = r.get(3)?;
    let result = match status {
        Some(status) => {
            let headers: Option<String> = r.get(6)?;
            AttemptResult::Response(CapturedResponse {
                status,
                headers: headers
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
                body: r.get::<_, Option<Vec<u8>>>(7)?.unwrap_or_default(),
                body_truncated: r.get(8)?,
                request_id: r.get(9)?,
                rate_limit: RateLimit {
                    limit: u64_at(10)?,
                    remaining: u64_at(11)?,
                    reset_secs: u64_at(12)?,
                    retry_after_secs: u64_at(13)?,
                },
                read_fields: r
                    .get::<_, Option<String>>(16)?
                    .and_then(|f| serde_json::from_str(&f).ok())
                    .unwrap_or_default(),
            })
        }
        None => AttemptResult::Failed {
            failure: r
                .get::<_, Option<String>>(4)?
                .as_deref()
                .and_then(failure_from)
                .unwrap_or(FailureKind::Interrupted),
            message: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        },
    };
    let wait: Option<i64> = r.get(14)?;
    Ok(Attempt {
        number: r.get(0)?,
        started_at: time(&r.get::<_, String>(1)?),
        latency: Duration::from_millis(u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0)),
        result,
        retry: match (wait, r.get::<_, Option<String>>(15)?) {
            (Some(ms), Some(reason)) => Some(RetryPlan {
                wait: Duration::from_millis(u64::try_from(ms).unwrap_or(0)),
                reason,
            }),
            _ => None,
        },
        stop: r
            .get::<_, Option<String>>(17)?
            .and_then(|s| serde_json::from_str(&s).ok()),
    })
}

/// Writes (or rewrites) one attempt of submission `id`.
pub(super) fn insert_attempt(
    conn: &Connection,
    id: SubmissionId,
    attempt: &Attempt,
) -> rusqlite::Result<()> {
    let ended = attempt.started_at
        + chrono::Duration::from_std(attempt.latency).unwrap_or_else(|_| chrono::Duration::zero());
    let read_fields = match &attempt.result {
        AttemptResult::Response(r) if !r.read_fields.is_empty() => Some(
            serde_json::to_string(&r.read_fields)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
        ),
        _ => None,
    };
    let stop = attempt
        .stop
        .map(|s| serde_json::to_string(&s))
        .transpose()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let (status, failure, error, headers, body, truncated, request_id, rate) = match &attempt.result
    {
        AttemptResult::Response(r) => (
            Some(r.status),
            None,
            None,
            Some(json(&r.headers)?),
            Some(r.body.as_slice()),
            r.body_truncated,
            r.request_id.as_deref(),
            r.rate_limit,
        ),
        AttemptResult::Failed { failure, message } => (
            None,
            Some(failure_name(*failure)),
            Some(message.as_str()),
            None,
            None,
            false,
            None,
            RateLimit::default(),
        ),
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO attempts (submission_id, number, started_at, ended_at, latency_ms, status, \
         failure, error, response_headers, response_body, body_truncated, request_id, rate_limit, \
         rate_remaining, rate_reset, retry_after, retry_wait_ms, retry_reason, read_fields, stop) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
         ?19, ?20)",
    )?
    .execute(params![
            id,
            attempt.number,
            stamp(attempt.started_at),
            stamp(ended),
            millis(attempt.latency),
            status,
            failure,
            error,
            headers,
            body,
            truncated,
            request_id,
            opt_u64(rate.limit),
            opt_u64(rate.remaining),
            opt_u64(rate.reset_secs),
            opt_u64(rate.retry_after_secs),
            attempt.retry.as_ref().map(|r| millis(r.wait)),
            attempt.retry.as_ref().map(|r| r.reason.as_str()),
            read_fields,
            stop,
        ])?;
    Ok(())
}

/// What [`batch_from_row`] reads, in its order.
pub(super) const BATCH_COLUMNS: &str = "id, created_at, operator, profile, source";

pub(super) fn batch_from_row(r: &Row) -> rusqlite::Result<NewBatch> {
    Ok(NewBatch {
        id: r.get(0)?,
        created_at: time(&r.get::<_, String>(1)?),
        operator: r.get(2)?,
        profile: r.get(3)?,
        source: r.get(4)?,
    })
}

/// A batch's id, start and source, then its row count and rows without an outcome.
pub(super) fn unfinished_from_row(r: &Row) -> rusqlite::Result<UnfinishedBatch> {
    Ok(UnfinishedBatch {
        id: r.get(0)?,
        created_at: time(&r.get::<_, String>(1)?),
        source: r.get(2)?,
        total: usize::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        unfinished: usize::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
    })
}

/// A time as stored: fixed-width, so text order is time order.
/// An SQL list of the stored names of the kinds `keep` picks, e.g. `('initiated','unknown')`.
pub(super) fn outcome_list(keep: impl Fn(OutcomeKind) -> bool) -> String {
    let names: Vec<String> = OutcomeKind::ALL
        .into_iter()
        .filter(|k| keep(*k))
        .map(|k| format!("'{}'", outcome_name(k)))
        .collect();
    format!("({})", names.join(","))
}

pub(super) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(super) fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

pub(super) fn outcome_from(s: &str) -> Option<OutcomeKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

pub(super) fn outcome_name(kind: OutcomeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(super) fn failure_from(s: &str) -> Option<FailureKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

pub(super) fn failure_name(kind: FailureKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Headers as a JSON column.
fn json(headers: &[(String, String)]) -> rusqlite::Result<String> {
    serde_json::to_string(headers).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(super) fn opt_u64(v: Option<u64>) -> Option<i64> {
    v.and_then(|v| i64::try_from(v).ok())
}
