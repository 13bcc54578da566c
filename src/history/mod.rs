//! Every submission and its attempts, behind one interface read a window at a time,
//! so the console never holds the whole history in memory.

pub mod export;
mod memory;
mod postgres;
mod sqlite;
pub mod stats;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::api::{Attempt, Exchange, RequestRecord};
use crate::domain::{FailureKind, InitiateRequest, KycType, OutcomeKind, RedirectUri, UserId};

pub use memory::MemoryStore;
pub use postgres::{PostgresStore, mask_url};
pub use sqlite::{HISTORY_FILE, SqliteStore};

/// A submission's id in the store; newer submissions have larger ids.
pub type SubmissionId = i64;

/// What is recorded before the first byte is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSubmission {
    pub created_at: DateTime<Utc>,
    pub operator: String,
    pub profile: String,
    pub base_url: String,
    /// The target's stable identity (e.g. `embedded sandbox`, `POST https://…/v1/kycs`):
    /// the scope of the duplicate guard, and what a retry with the same key must match.
    pub target: String,
    /// For an ad-hoc target, the name (never the value) of the environment variable its
    /// key came from, so commands printed later can name it.
    pub key_env: Option<String>,
    pub user_id: String,
    pub kyc_type: KycType,
    pub redirect_uri: Option<String>,
    pub idempotency_key: String,
    /// The request as sent, key masked.
    pub request: RequestRecord,
    /// The submission this one resends, if any.
    pub resend_of: Option<SubmissionId>,
    /// The batch it belongs to, if any.
    pub batch_id: Option<String>,
    /// Its line in the batch's input.
    pub batch_line: Option<u32>,
}

/// A batch as recorded before any of its rows is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewBatch {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub operator: String,
    pub profile: String,
    /// The file it came from, or "pasted".
    pub source: String,
}

/// A batch with rows still lacking an outcome (interrupted, or stopped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnfinishedBatch {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub source: String,
    pub total: usize,
    pub unfinished: usize,
}

/// A recorded batch and its rows' progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchInfo {
    #[serde(flatten)]
    pub batch: NewBatch,
    pub rows: Vec<HistoryRow>,
}

impl BatchInfo {
    /// Rows whose outcome is not settled: never sent, cut off, or ended unknown (a network
    /// failure, a timeout, a transient answer). Sending them again, each with its own key,
    /// cannot initiate any of them twice.
    pub fn unfinished(&self) -> impl Iterator<Item = &HistoryRow> {
        self.rows
            .iter()
            .filter(|r| r.outcome.is_none_or(OutcomeKind::retryable))
    }
}

/// An earlier submission for the same user and type on the same target, which a new one
/// would duplicate: initiated, in flight, queued in a batch, or of unknown outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Earlier {
    pub id: SubmissionId,
    pub created_at: DateTime<Utc>,
    pub operator: String,
    pub profile: String,
    /// `None` while in flight, queued, or cut off before its outcome was recorded.
    pub outcome: Option<OutcomeKind>,
    pub dispatched: bool,
    pub verification_id: Option<String>,
    /// The batch holding it, if any.
    pub batch_id: Option<String>,
}

/// A batch row as recorded: its id, or the earlier submission that holds its user.
pub type Claim = Result<SubmissionId, Earlier>;

/// A stored submission with every attempt so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submission {
    pub id: SubmissionId,
    #[serde(flatten)]
    pub new: NewSubmission,
    pub attempts: Vec<Attempt>,
    /// `None` while in flight, or when the console stopped before the end.
    pub outcome: Option<OutcomeKind>,
    /// When sending started (the first time), if it did.
    pub dispatched_at: Option<DateTime<Utc>>,
}

impl Submission {
    /// The exchange as the client reported it, for the detail view and exports.
    pub fn exchange(&self) -> Exchange {
        Exchange {
            request: self.new.request.clone(),
            idempotency_key: self.new.idempotency_key.clone(),
            attempts: self.attempts.clone(),
        }
    }

    /// The request it sent, rebuilt with the domain's rules (to resend it).
    pub fn request(&self) -> Result<InitiateRequest, String> {
        let user_id = UserId::parse(&self.new.user_id)
            .map_err(|e| format!("user id: {e}"))?
            .0;
        let redirect_uri = match &self.new.redirect_uri {
            Some(uri) => RedirectUri::parse_optional(uri)
                .map_err(|e| format!("redirect URI: {e}"))?
                .map(|(u, _)| u),
            None => None,
        };
        Ok(InitiateRequest {
            user_id,
            kyc_type: self.new.kyc_type,
            redirect_uri,
        })
    }

    /// Whether `identifier` names it exactly: its idempotency key, its user id, the request
    /// id of any of its attempts, or its verification id (what [`HistoryStore::find`] looks
    /// up; the SQL store's query applies the same rule).
    pub fn identified_by(&self, identifier: &str) -> bool {
        let row = self.row();
        self.new.idempotency_key == identifier
            || self.new.user_id == identifier
            || row.verification_id.as_deref() == Some(identifier)
            || row.request_id.as_deref() == Some(identifier)
            || self.attempts.iter().any(|a| match &a.result {
                crate::api::AttemptResult::Response(r) => {
                    r.request_id.as_deref() == Some(identifier)
                }
                crate::api::AttemptResult::Failed { .. } => false,
            })
    }

    /// The row the history pane shows for it.
    pub fn row(&self) -> HistoryRow {
        let exchange = self.exchange();
        let last = exchange.last();
        let response = exchange.final_response();
        HistoryRow {
            id: self.id,
            profile: self.new.profile.clone(),
            created_at: self.new.created_at,
            user_id: self.new.user_id.clone(),
            kyc_type: self.new.kyc_type,
            status: response.map(|r| r.status),
            outcome: self.outcome,
            failure: last.and_then(|a| match &a.result {
                crate::api::AttemptResult::Failed { failure, .. } => Some(*failure),
                crate::api::AttemptResult::Response(_) => None,
            }),
            latency_ms: self
                .outcome
                .map(|_| u64::try_from(exchange.sending_time().as_millis()).unwrap_or(u64::MAX)),
            verification_id: (self.outcome == Some(OutcomeKind::Initiated))
                .then(|| response.and_then(|r| r.json_field("id")))
                .flatten(),
            webview_url: (self.outcome == Some(OutcomeKind::Initiated))
                .then(|| response.and_then(|r| r.json_field("url")))
                .flatten(),
            request_id: response.and_then(|r| r.request_id.clone()),
            attempts: u32::try_from(self.attempts.len()).unwrap_or(u32::MAX),
            batch_line: self.new.batch_line,
            sent_at: self
                .dispatched_at
                .or_else(|| self.attempts.first().map(|a| a.started_at)),
            operator: self.new.operator.clone(),
            idempotency_key: self.new.idempotency_key.clone(),
            redirect_uri: self.new.redirect_uri.clone(),
        }
    }
}

/// One line of the history pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    pub id: SubmissionId,
    pub profile: String,
    pub created_at: DateTime<Utc>,
    pub user_id: String,
    pub kyc_type: KycType,
    pub status: Option<u16>,
    /// `None` while pending (or unknown after a crash).
    pub outcome: Option<OutcomeKind>,
    pub failure: Option<FailureKind>,
    /// Time spent sending, every attempt's latency added up (the waits between attempts
    /// left out); set with the outcome.
    pub latency_ms: Option<u64>,
    pub verification_id: Option<String>,
    /// The KYC webview link of a success.
    pub webview_url: Option<String>,
    pub request_id: Option<String>,
    pub attempts: u32,
    /// Its line in a batch's input, for batch rows.
    pub batch_line: Option<u32>,
    /// When sending started (the first time); `None` if it never did. A batch row is
    /// recorded when its batch is, and sent later, each row at its turn.
    pub sent_at: Option<DateTime<Utc>>,
    /// Who sent it.
    pub operator: String,
    pub idempotency_key: String,
    /// Where the KYC webview sends the user afterwards, as sent.
    pub redirect_uri: Option<String>,
}

impl HistoryRow {
    /// Whether sending started (else it was never sent).
    pub fn dispatched(&self) -> bool {
        self.sent_at.is_some()
    }

    /// The time it is listed at: when it was sent, or for a row never sent, when it was
    /// recorded.
    pub fn listed_at(&self) -> DateTime<Utc> {
        self.sent_at.unwrap_or(self.created_at)
    }
}

/// What the pane and `history` show. The one place the matching rules are written for
/// stores without a query language; the SQLite store's query applies the same rules (a
/// test compares both over the same history).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Text search (the console's `/`, `history --find`): see [`HistoryFilter::matches`].
    pub text: String,
    pub errors_only: bool,
    /// Only this profile's rows; `None` shows every profile.
    pub profile: Option<String>,
    /// Only rows created at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only rows whose final status is this code.
    pub status: Option<u16>,
    /// Only rows for exactly this user id.
    pub user_id: Option<String>,
    /// Only rows of this KYC type.
    pub kyc_type: Option<KycType>,
    /// Only rows sent by exactly this operator.
    pub operator: Option<String>,
    /// Only rows that ended with this outcome.
    pub outcome: Option<OutcomeKind>,
}

impl HistoryFilter {
    /// Whether a row passes the filter. The text, trimmed, matches when it is a substring
    /// of the user id, verification id, request id, idempotency key or operator, ignoring
    /// ASCII case, or a prefix of the final status code.
    pub fn matches(&self, row: &HistoryRow) -> bool {
        if self.errors_only && row.outcome == Some(OutcomeKind::Initiated) {
            return false;
        }
        if self.profile.as_ref().is_some_and(|p| p != &row.profile)
            || self.since.is_some_and(|t| row.created_at < t)
            || self.status.is_some_and(|s| row.status != Some(s))
            || self.user_id.as_ref().is_some_and(|u| u != &row.user_id)
            || self.kyc_type.is_some_and(|t| t != row.kyc_type)
            || self.operator.as_ref().is_some_and(|o| o != &row.operator)
            || self.outcome.is_some_and(|o| row.outcome != Some(o))
        {
            return false;
        }
        let needle = self.text.trim().to_ascii_lowercase();
        if needle.is_empty() {
            return true;
        }
        let hit = |s: &str| s.to_ascii_lowercase().contains(&needle);
        hit(&row.user_id)
            || row.verification_id.as_deref().is_some_and(hit)
            || row.request_id.as_deref().is_some_and(hit)
            || hit(&row.idempotency_key)
            || hit(&row.operator)
            || row
                .status
                .is_some_and(|s| s.to_string().starts_with(&needle))
    }

    pub fn is_active(&self) -> bool {
        self.errors_only
            || !self.text.trim().is_empty()
            || self.since.is_some()
            || self.status.is_some()
            || self.user_id.is_some()
            || self.kyc_type.is_some()
            || self.operator.is_some()
            || self.outcome.is_some()
    }
}

/// The shortest text a search looks up in an index; the console searches from this many
/// characters on, since shorter text matches most of a large history.
pub const SEARCH_MIN_CHARS: usize = 3;

/// A count of rows, which may stop short: with `more`, `n` or more rows pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowCount {
    pub n: usize,
    pub more: bool,
}

impl RowCount {
    pub fn exact(n: usize) -> RowCount {
        RowCount { n, more: false }
    }
}

/// Why the store failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HistoryError {
    #[error("no submission {0} in history")]
    NotFound(SubmissionId),
    #[error("no batch {0} in history")]
    NoBatch(String),
    #[error("history storage failed: {0}")]
    Storage(String),
}

/// The interface the console reads and writes history through.
pub trait HistoryStore: Send + Sync {
    /// Records a submission before anything is sent; returns its id.
    fn create(&self, new: &NewSubmission) -> Result<SubmissionId, HistoryError>;
    /// Records many submissions at once (a batch), all or none.
    fn create_many(&self, new: &[NewSubmission]) -> Result<Vec<SubmissionId>, HistoryError> {
        new.iter().map(|n| self.create(n)).collect()
    }
    /// Records a submission unless an earlier one for the same user, type and target may
    /// have started a verification; checked and recorded in one transaction, so two
    /// processes sharing the store cannot both record one.
    fn create_unless_duplicate(
        &self,
        new: &NewSubmission,
    ) -> Result<Result<SubmissionId, Earlier>, HistoryError>;
    /// Records a batch and claims its rows at once, before anything is sent: a row whose
    /// user an earlier submission holds (see [`HistoryStore::earlier`]) is not recorded.
    fn create_batch(
        &self,
        batch: &NewBatch,
        rows: &[NewSubmission],
    ) -> Result<Vec<Claim>, HistoryError>;
    /// A batch and its rows, by line.
    fn batch(&self, id: &str) -> Result<BatchInfo, HistoryError>;
    /// This profile's batches that still have rows without an outcome, newest first.
    fn unfinished_batches(&self, profile: &str) -> Result<Vec<UnfinishedBatch>, HistoryError>;
    /// Notes that sending starts at `at`, so "never sent" and "outcome unknown" stay apart
    /// and the row says when it was sent. Only the first time counts: a submission sent
    /// again keeps the time it was first sent.
    fn mark_dispatched(&self, id: SubmissionId, at: DateTime<Utc>) -> Result<(), HistoryError>;
    /// The newest submission for this user and type on this target that may have started
    /// a verification (or is about to), if any.
    fn earlier(
        &self,
        user_id: &str,
        kyc_type: KycType,
        target: &str,
    ) -> Result<Option<Earlier>, HistoryError>;
    /// Records one finished attempt (and, if sending was not noted yet, that it started
    /// when the attempt did).
    fn record_attempt(&self, id: SubmissionId, attempt: &Attempt) -> Result<(), HistoryError>;
    /// Records the final outcome.
    fn finish(&self, id: SubmissionId, outcome: OutcomeKind) -> Result<(), HistoryError>;
    /// Records a run's last attempt and the outcome it leads to: what
    /// [`HistoryStore::record_attempt`] and then [`HistoryStore::finish`] write, in one
    /// transaction where the store has them (one write where there were two, and never an
    /// attempt recorded without the outcome that follows from it).
    fn record_final_attempt(
        &self,
        id: SubmissionId,
        attempt: &Attempt,
        outcome: OutcomeKind,
    ) -> Result<(), HistoryError> {
        self.record_attempt(id, attempt)?;
        self.finish(id, outcome)
    }
    /// How many rows pass the filter.
    fn count(&self, filter: &HistoryFilter) -> Result<usize, HistoryError>;
    /// Copies submissions recorded elsewhere, oldest first, with their attempts and
    /// outcomes and the batches they belong to, all or none; a submission whose idempotency
    /// key is already here is skipped, and a batch already here kept, so copying twice adds
    /// nothing. Returns how many submissions were added.
    fn import(
        &self,
        batches: &[NewBatch],
        submissions: &[Submission],
    ) -> Result<usize, HistoryError>;
    /// How many rows pass the filter, where counting them all would cost a scan: the
    /// count may stop at `cap` (`more` set, so a search that matches most of a large
    /// history answers at once). Counts that cost nothing are exact whatever the cap.
    fn count_upto(&self, filter: &HistoryFilter, cap: usize) -> Result<RowCount, HistoryError> {
        let _ = cap;
        self.count(filter).map(RowCount::exact)
    }
    /// What a screen of the console shows at once: rows `offset..offset+limit` passing the
    /// filter, newest first, and how many pass, counted as [`HistoryStore::count_upto`]
    /// counts them.
    fn page(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
        cap: usize,
    ) -> Result<(RowCount, Vec<HistoryRow>), HistoryError> {
        Ok((
            self.count_upto(filter, cap)?,
            self.window(filter, offset, limit)?,
        ))
    }
    /// Rows `offset..offset+limit` passing the filter, newest first.
    fn window(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<HistoryRow>, HistoryError>;
    /// The figures over every row passing the filter: how they ended, when, and how
    /// long sending took per target (see [`stats`]).
    fn stats(&self, filter: &HistoryFilter) -> Result<stats::HistoryStats, HistoryError>;
    /// One submission with its attempts.
    fn get(&self, id: SubmissionId) -> Result<Submission, HistoryError>;
    /// The submissions `identifier` names exactly (a request id of any attempt, a
    /// verification id, an idempotency key or a user id), newest first.
    fn find(&self, identifier: &str) -> Result<Vec<HistoryRow>, HistoryError>;
}
