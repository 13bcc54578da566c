//! Between the history's types and PostgreSQL rows: the columns each read selects, how a
//! row becomes a value, and how a submission is written. Times are `timestamptz`, enums
//! their serde names, the request (key masked) and each attempt JSON.

use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Row};

use crate::api::RequestRecord;
use crate::domain::{FailureKind, KycType, OutcomeKind};
use crate::history::{HistoryRow, NewSubmission, SubmissionId};

/// What [`history_row`] reads, in its order.
pub(super) const ROW_COLUMNS: &str = "id, profile, created_at, user_id, kyc_type, status, outcome, \
     failure, latency_ms, verification_id, webview_url, request_id, attempts, batch_line, \
     dispatched_at, operator, idempotency_key, redirect_uri";

pub(super) fn history_row(r: &Row) -> Result<HistoryRow, tokio_postgres::Error> {
    Ok(HistoryRow {
        id: r.try_get(0)?,
        profile: r.try_get(1)?,
        created_at: r.try_get(2)?,
        user_id: r.try_get(3)?,
        kyc_type: kyc_type(&r.try_get::<_, String>(4)?),
        status: r
            .try_get::<_, Option<i32>>(5)?
            .and_then(|s| u16::try_from(s).ok()),
        outcome: r
            .try_get::<_, Option<String>>(6)?
            .as_deref()
            .and_then(name_of),
        failure: r
            .try_get::<_, Option<String>>(7)?
            .as_deref()
            .and_then(name_of),
        latency_ms: r
            .try_get::<_, Option<i64>>(8)?
            .and_then(|v| u64::try_from(v).ok()),
        verification_id: r.try_get(9)?,
        webview_url: r.try_get(10)?,
        request_id: r.try_get(11)?,
        attempts: u32::try_from(r.try_get::<_, i32>(12)?).unwrap_or(0),
        batch_line: r
            .try_get::<_, Option<i64>>(13)?
            .and_then(|v| u32::try_from(v).ok()),
        sent_at: r.try_get(14)?,
        operator: r.try_get(15)?,
        idempotency_key: r.try_get(16)?,
        redirect_uri: r.try_get(17)?,
    })
}

/// What [`submission_from_row`] reads, in its order.
pub(super) const SUBMISSION_COLUMNS: &str = "created_at, operator, profile, base_url, target, \
     key_env, user_id, kyc_type, redirect_uri, idempotency_key, request, resend_of, batch_id, \
     batch_line, outcome, dispatched_at";

/// A submission as recorded, its outcome, and when sending started, if it did.
pub(super) type Recorded = (NewSubmission, Option<OutcomeKind>, Option<DateTime<Utc>>);

pub(super) fn submission_from_row(r: &Row) -> Result<Recorded, tokio_postgres::Error> {
    let request: serde_json::Value = r.try_get(10)?;
    Ok((
        NewSubmission {
            created_at: r.try_get(0)?,
            operator: r.try_get(1)?,
            profile: r.try_get(2)?,
            base_url: r.try_get(3)?,
            target: r.try_get(4)?,
            key_env: r.try_get(5)?,
            user_id: r.try_get(6)?,
            kyc_type: kyc_type(&r.try_get::<_, String>(7)?),
            redirect_uri: r.try_get(8)?,
            idempotency_key: r.try_get(9)?,
            request: serde_json::from_value(request).unwrap_or(RequestRecord {
                method: String::new(),
                url: String::new(),
                headers: Vec::new(),
                body: String::new(),
            }),
            resend_of: r.try_get(11)?,
            batch_id: r.try_get(12)?,
            batch_line: r
                .try_get::<_, Option<i64>>(13)?
                .and_then(|v| u32::try_from(v).ok()),
        },
        r.try_get::<_, Option<String>>(14)?
            .as_deref()
            .and_then(name_of),
        r.try_get(15)?,
    ))
}

fn kyc_type(s: &str) -> KycType {
    KycType::parse(s).unwrap_or(KycType::Full)
}

/// A serde enum from its stored name.
pub(super) fn name_of<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// An enum's stored name (its serde name).
pub(super) fn name<T: serde::Serialize>(kind: T) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(super) fn outcome_name(kind: OutcomeKind) -> String {
    name(kind)
}

pub(super) fn failure_name(kind: FailureKind) -> String {
    name(kind)
}

/// The stored names of the outcomes `keep` picks.
pub(super) fn outcome_names(keep: impl Fn(OutcomeKind) -> bool) -> Vec<String> {
    OutcomeKind::ALL
        .into_iter()
        .filter(|k| keep(*k))
        .map(outcome_name)
        .collect()
}

pub(super) fn opt_i64(v: Option<u64>) -> Option<i64> {
    v.and_then(|v| i64::try_from(v).ok())
}

/// What is known of a submission's fate when it is written (an imported one's); the
/// default for one about to be sent.
#[derive(Debug, Default)]
pub(super) struct Settled {
    pub outcome: Option<String>,
    pub status: Option<i32>,
    pub failure: Option<String>,
    pub latency_ms: Option<i64>,
    pub verification_id: Option<String>,
    pub webview_url: Option<String>,
    pub request_id: Option<String>,
    pub attempts: i32,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Settled {
    /// The state columns for a row as [`crate::history::Submission::row`] reads it.
    pub fn of(row: &HistoryRow, finished_at: Option<DateTime<Utc>>) -> Settled {
        Settled {
            outcome: row.outcome.map(outcome_name),
            status: row.status.map(i32::from),
            failure: row.failure.map(failure_name),
            latency_ms: opt_i64(row.latency_ms),
            verification_id: row.verification_id.clone(),
            webview_url: row.webview_url.clone(),
            request_id: row.request_id.clone(),
            attempts: i32::try_from(row.attempts).unwrap_or(i32::MAX),
            dispatched_at: row.sent_at,
            finished_at,
        }
    }
}

/// Writes a submission with what is known of its fate; returns its id.
pub(super) async fn insert<C: GenericClient>(
    client: &C,
    new: &NewSubmission,
    settled: &Settled,
) -> Result<SubmissionId, tokio_postgres::Error> {
    let request = serde_json::to_value(&new.request).unwrap_or(serde_json::Value::Null);
    let kyc_type = new.kyc_type.as_str();
    let batch_line = new.batch_line.map(i64::from);
    let row = client
        .query_one(
            "INSERT INTO submissions (created_at, operator, profile, base_url, target, key_env, \
             user_id, kyc_type, redirect_uri, idempotency_key, request, resend_of, batch_id, \
             batch_line, outcome, status, failure, latency_ms, verification_id, webview_url, \
             request_id, attempts, dispatched_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
             $24) RETURNING id",
            &[
                &new.created_at,
                &new.operator,
                &new.profile,
                &new.base_url,
                &new.target,
                &new.key_env,
                &new.user_id,
                &kyc_type,
                &new.redirect_uri,
                &new.idempotency_key,
                &request,
                &new.resend_of,
                &new.batch_id,
                &batch_line,
                &settled.outcome,
                &settled.status,
                &settled.failure,
                &settled.latency_ms,
                &settled.verification_id,
                &settled.webview_url,
                &settled.request_id,
                &settled.attempts,
                &settled.dispatched_at,
                &settled.finished_at,
            ],
        )
        .await?;
    row.try_get(0)
}
