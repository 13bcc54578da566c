//! History in a SQLite file: versioned migrations, WAL, a busy timeout so two consoles can
//! share it, and a file only its owner can read. The API key never reaches a column: the
//! request is stored as recorded by the client, key masked.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};

use super::{
    BatchInfo, HistoryError, HistoryFilter, HistoryRow, HistoryStore, NewBatch, NewSubmission,
    Submission, SubmissionId, UnfinishedBatch,
};
use crate::api::{Attempt, AttemptResult, CapturedResponse, RateLimit, RequestRecord, RetryPlan};
use crate::domain::{FailureKind, KycType, OutcomeKind};

/// The file name inside the data directory.
pub const HISTORY_FILE: &str = "history.sqlite3";

/// From this offset on, a window may be read from the oldest end instead.
const DEEP_OFFSET: usize = 2_000;

/// How long a writer waits for another console's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
        CREATE TABLE submissions (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at      TEXT NOT NULL,
            operator        TEXT NOT NULL,
            profile         TEXT NOT NULL,
            base_url        TEXT NOT NULL,
            method          TEXT NOT NULL,
            url             TEXT NOT NULL,
            user_id         TEXT NOT NULL,
            kyc_type        TEXT NOT NULL,
            redirect_uri    TEXT,
            idempotency_key TEXT NOT NULL,
            request_headers TEXT NOT NULL,
            request_body    TEXT NOT NULL,
            resend_of       INTEGER REFERENCES submissions(id),
            batch_id        TEXT,
            outcome         TEXT,
            status          INTEGER,
            failure         TEXT,
            latency_ms      INTEGER,
            verification_id TEXT,
            webview_url     TEXT,
            request_id      TEXT,
            attempts        INTEGER NOT NULL DEFAULT 0,
            finished_at     TEXT
        );
        CREATE INDEX submissions_profile ON submissions(profile, id);
        CREATE INDEX submissions_user_id ON submissions(user_id);
        CREATE INDEX submissions_errors ON submissions(outcome, id);
        CREATE INDEX submissions_key ON submissions(idempotency_key);
        CREATE INDEX submissions_batch ON submissions(batch_id);
        CREATE TABLE attempts (
            submission_id    INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            number           INTEGER NOT NULL,
            started_at       TEXT NOT NULL,
            ended_at         TEXT NOT NULL,
            latency_ms       INTEGER NOT NULL,
            status           INTEGER,
            failure          TEXT,
            error            TEXT,
            response_headers TEXT,
            response_body    BLOB,
            body_truncated   INTEGER NOT NULL DEFAULT 0,
            request_id       TEXT,
            rate_limit       INTEGER,
            rate_remaining   INTEGER,
            rate_reset       INTEGER,
            retry_after      INTEGER,
            retry_wait_ms    INTEGER,
            retry_reason     TEXT,
            PRIMARY KEY (submission_id, number)
        );
        "#,
        ),
        M::up(
            r#"
        ALTER TABLE submissions ADD COLUMN batch_line INTEGER;
        ALTER TABLE submissions ADD COLUMN dispatched_at TEXT;
        UPDATE submissions SET dispatched_at = created_at WHERE attempts > 0 OR outcome IS NOT NULL;
        CREATE TABLE batches (
            id         TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            operator   TEXT NOT NULL,
            profile    TEXT NOT NULL,
            source     TEXT NOT NULL
        );
        CREATE INDEX submissions_initiated ON submissions(user_id, kyc_type, outcome);
        "#,
        ),
    ])
}

/// History kept in SQLite.
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn storage(e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Storage(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the history in `data_dir`, and brings its schema up to date.
    pub fn open_in(data_dir: &Path) -> Result<SqliteStore, HistoryError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| storage(format!("cannot create {}: {e}", data_dir.display())))?;
        SqliteStore::open(&data_dir.join(HISTORY_FILE))
    }

    /// Opens a history file.
    pub fn open(path: &Path) -> Result<SqliteStore, HistoryError> {
        create_private(path)?;
        let mut conn = Connection::open(path)
            .map_err(|e| storage(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(storage)?;
        enable_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(storage)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(storage)?;
        // The schema version is read before the migration's transaction locks the file, so
        // two consoles opening a new file at once can both try to migrate it: the loser
        // fails, then finds the schema up to date when it looks again.
        if let Err(e) = migrations().to_latest(&mut conn) {
            migrations()
                .to_latest(&mut conn)
                .map_err(|_| storage(format!("cannot migrate {}: {e}", path.display())))?;
        }
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// Rows passing `filter` in id `order` ("ASC" or "DESC"), skipping `offset`.
    fn select_rows(
        &self,
        filter: &HistoryFilter,
        order: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<HistoryRow>, HistoryError> {
        let (clause, mut args) = where_clause(filter);
        args.push(limit.to_string());
        let limit_at = args.len();
        args.push(offset.to_string());
        let offset_at = args.len();
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {ROW_COLUMNS} FROM submissions {clause} ORDER BY id {order} \
                 LIMIT CAST(?{limit_at} AS INTEGER) OFFSET CAST(?{offset_at} AS INTEGER)"
            ))
            .map_err(storage)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), history_row)
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        Ok(rows)
    }

    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Switches the file to WAL. Two connections switching a new file at once can deadlock, and
/// SQLite then answers "busy" at once instead of waiting: try again until the busy timeout.
fn enable_wal(conn: &Connection) -> Result<(), HistoryError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            done => return done.map_err(storage),
        }
    }
}

/// Creates the file readable by its owner only (before SQLite opens it).
fn create_private(path: &Path) -> Result<(), HistoryError> {
    if path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(|_| ())
        .map_err(|e| storage(format!("cannot create {}: {e}", path.display())))
}

const ROW_COLUMNS: &str = "id, profile, created_at, user_id, kyc_type, status, outcome, failure, latency_ms, \
     verification_id, webview_url, request_id, attempts, batch_line, dispatched_at IS NOT NULL";

fn history_row(r: &Row) -> rusqlite::Result<HistoryRow> {
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
        dispatched: r.get(14)?,
    })
}

/// SQL for a filter. Matching is case-insensitive on ids (SQLite's LIKE folds ASCII case)
/// and by prefix on the status.
fn where_clause(filter: &HistoryFilter) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    if filter.errors_only {
        parts.push("(outcome IS NULL OR outcome <> 'initiated')".to_string());
    }
    if let Some(profile) = &filter.profile {
        args.push(profile.clone());
        parts.push(format!("profile = ?{}", args.len()));
    }
    if let Some(since) = filter.since {
        args.push(stamp(since));
        parts.push(format!("created_at >= ?{}", args.len()));
    }
    if let Some(status) = filter.status {
        args.push(status.to_string());
        parts.push(format!("status = CAST(?{} AS INTEGER)", args.len()));
    }
    if let Some(user_id) = &filter.user_id {
        args.push(user_id.clone());
        parts.push(format!("user_id = ?{}", args.len()));
    }
    let text = filter.text.trim().to_ascii_lowercase();
    if !text.is_empty() {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        args.push(format!("%{escaped}%"));
        let like = args.len();
        args.push(format!("{escaped}%"));
        let prefix = args.len();
        parts.push(format!(
            "(user_id LIKE ?{like} ESCAPE '\\' OR verification_id LIKE ?{like} ESCAPE '\\' \
             OR request_id LIKE ?{like} ESCAPE '\\' OR CAST(status AS TEXT) LIKE ?{prefix} ESCAPE '\\')"
        ));
    }
    if parts.is_empty() {
        (String::new(), args)
    } else {
        (format!("WHERE {}", parts.join(" AND ")), args)
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn outcome_from(s: &str) -> Option<OutcomeKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn outcome_name(kind: OutcomeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn failure_from(s: &str) -> Option<FailureKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn failure_name(kind: FailureKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn opt_u64(v: Option<u64>) -> Option<i64> {
    v.and_then(|v| i64::try_from(v).ok())
}

impl HistoryStore for SqliteStore {
    fn create(&self, new: &NewSubmission) -> Result<SubmissionId, HistoryError> {
        Ok(self.create_many(std::slice::from_ref(new))?.remove(0))
    }

    fn create_many(&self, new: &[NewSubmission]) -> Result<Vec<SubmissionId>, HistoryError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        let mut ids = Vec::with_capacity(new.len());
        for n in new {
            ids.push(insert_submission(&tx, n)?);
        }
        tx.commit().map_err(storage)?;
        Ok(ids)
    }

    fn record_attempt(&self, id: SubmissionId, attempt: &Attempt) -> Result<(), HistoryError> {
        let ended = attempt.started_at
            + chrono::Duration::from_std(attempt.latency)
                .unwrap_or_else(|_| chrono::Duration::zero());
        let (status, failure, error, headers, body, truncated, request_id, rate) =
            match &attempt.result {
                AttemptResult::Response(r) => (
                    Some(r.status),
                    None,
                    None,
                    Some(serde_json::to_string(&r.headers).map_err(storage)?),
                    Some(r.body.clone()),
                    r.body_truncated,
                    r.request_id.clone(),
                    r.rate_limit,
                ),
                AttemptResult::Failed { failure, message } => (
                    None,
                    Some(failure_name(*failure)),
                    Some(message.clone()),
                    None,
                    None,
                    false,
                    None,
                    RateLimit::default(),
                ),
            };
        let mut conn = self.conn();
        // Immediate: the write lock is taken (waiting out the busy timeout) before the read
        // below, so another console's commit cannot make this transaction's snapshot stale.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(storage)?;
        // Checked first: with foreign keys on, the insert would fail with a constraint error.
        let exists = tx
            .query_row("SELECT 1 FROM submissions WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map_err(storage)?
            .is_some();
        if !exists {
            return Err(HistoryError::NotFound(id));
        }
        tx.execute(
            "INSERT OR REPLACE INTO attempts (submission_id, number, started_at, ended_at, latency_ms, status, \
             failure, error, response_headers, response_body, body_truncated, request_id, rate_limit, \
             rate_remaining, rate_reset, retry_after, retry_wait_ms, retry_reason) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
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
                attempt.retry.as_ref().map(|r| r.reason.clone()),
            ],
        )
        .map_err(storage)?;
        let changed = tx
            .execute(
                "UPDATE submissions SET status = coalesce(?2, status), request_id = coalesce(?3, request_id), \
                 attempts = (SELECT count(*) FROM attempts WHERE submission_id = ?1), \
                 dispatched_at = coalesce(dispatched_at, ?4) WHERE id = ?1",
                params![id, status, request_id, stamp(attempt.started_at)],
            )
            .map_err(storage)?;
        if changed == 0 {
            return Err(HistoryError::NotFound(id));
        }
        tx.commit().map_err(storage)
    }

    fn finish(&self, id: SubmissionId, outcome: OutcomeKind) -> Result<(), HistoryError> {
        let submission = self.get(id)?;
        let row = Submission {
            outcome: Some(outcome),
            ..submission
        }
        .row();
        let changed = self
            .conn()
            .execute(
                "UPDATE submissions SET outcome = ?2, status = ?3, failure = ?4, latency_ms = ?5, \
                 verification_id = ?6, webview_url = ?7, request_id = ?8, finished_at = ?9 WHERE id = ?1",
                params![
                    id,
                    outcome_name(outcome),
                    row.status,
                    row.failure.map(failure_name),
                    opt_u64(row.latency_ms),
                    row.verification_id,
                    row.webview_url,
                    row.request_id,
                    stamp(Utc::now()),
                ],
            )
            .map_err(storage)?;
        if changed == 0 {
            return Err(HistoryError::NotFound(id));
        }
        Ok(())
    }

    fn count(&self, filter: &HistoryFilter) -> Result<usize, HistoryError> {
        let (clause, args) = where_clause(filter);
        let n: i64 = self
            .conn()
            .query_row(
                &format!("SELECT count(*) FROM submissions {clause}"),
                rusqlite::params_from_iter(args.iter()),
                |r| r.get(0),
            )
            .map_err(storage)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn window(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<HistoryRow>, HistoryError> {
        // Deep in the list, skipping from the oldest end is cheaper than from the newest.
        if offset >= DEEP_OFFSET {
            let total = self.count(filter)?;
            if offset >= total {
                return Ok(Vec::new());
            }
            if offset * 2 > total {
                let end = offset.saturating_add(limit).min(total);
                let mut rows = self.select_rows(filter, "ASC", total - end, end - offset)?;
                rows.reverse();
                return Ok(rows);
            }
        }
        self.select_rows(filter, "DESC", offset, limit)
    }

    fn get(&self, id: SubmissionId) -> Result<Submission, HistoryError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                "SELECT created_at, operator, profile, base_url, method, url, user_id, kyc_type, redirect_uri, \
                 idempotency_key, request_headers, request_body, resend_of, batch_id, outcome, batch_line, \
                 dispatched_at IS NOT NULL FROM submissions WHERE id = ?1",
                [id],
                |r| {
                    let headers: String = r.get(10)?;
                    Ok((
                        NewSubmission {
                            created_at: time(&r.get::<_, String>(0)?),
                            operator: r.get(1)?,
                            profile: r.get(2)?,
                            base_url: r.get(3)?,
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
                        r.get::<_, Option<String>>(14)?.as_deref().and_then(outcome_from),
                        r.get::<_, bool>(16)?,
                    ))
                },
            )
            .optional()
            .map_err(storage)?;
        let (new, outcome, dispatched) = found.ok_or(HistoryError::NotFound(id))?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT number, started_at, latency_ms, status, failure, error, response_headers, response_body, \
                 body_truncated, request_id, rate_limit, rate_remaining, rate_reset, retry_after, retry_wait_ms, \
                 retry_reason FROM attempts WHERE submission_id = ?1 ORDER BY number",
            )
            .map_err(storage)?;
        let attempts = stmt
            .query_map([id], attempt_from_row)
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        Ok(Submission {
            id,
            new,
            attempts,
            outcome,
            dispatched,
        })
    }

    fn create_batch(
        &self,
        batch: &NewBatch,
        rows: &[NewSubmission],
    ) -> Result<Vec<SubmissionId>, HistoryError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        tx.execute(
            "INSERT INTO batches (id, created_at, operator, profile, source) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![batch.id, stamp(batch.created_at), batch.operator, batch.profile, batch.source],
        )
        .map_err(storage)?;
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            ids.push(insert_submission(&tx, row)?);
        }
        tx.commit().map_err(storage)?;
        Ok(ids)
    }

    fn batch(&self, id: &str) -> Result<BatchInfo, HistoryError> {
        let conn = self.conn();
        let batch = conn
            .query_row(
                "SELECT id, created_at, operator, profile, source FROM batches WHERE id = ?1",
                [id],
                |r| {
                    Ok(NewBatch {
                        id: r.get(0)?,
                        created_at: time(&r.get::<_, String>(1)?),
                        operator: r.get(2)?,
                        profile: r.get(3)?,
                        source: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(storage)?
            .ok_or_else(|| HistoryError::NoBatch(id.to_string()))?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {ROW_COLUMNS} FROM submissions WHERE batch_id = ?1 ORDER BY batch_line, id"
            ))
            .map_err(storage)?;
        let rows = stmt
            .query_map([id], history_row)
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        Ok(BatchInfo { batch, rows })
    }

    fn unfinished_batches(&self, profile: &str) -> Result<Vec<UnfinishedBatch>, HistoryError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT b.id, b.created_at, b.source, count(s.id), sum(s.outcome IS NULL) \
                 FROM batches b JOIN submissions s ON s.batch_id = b.id WHERE b.profile = ?1 \
                 GROUP BY b.id HAVING sum(s.outcome IS NULL) > 0 ORDER BY b.created_at DESC LIMIT 20",
            )
            .map_err(storage)?;
        let rows = stmt
            .query_map([profile], |r| {
                Ok(UnfinishedBatch {
                    id: r.get(0)?,
                    created_at: time(&r.get::<_, String>(1)?),
                    source: r.get(2)?,
                    total: usize::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    unfinished: usize::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                })
            })
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        Ok(rows)
    }

    fn mark_dispatched(&self, id: SubmissionId) -> Result<(), HistoryError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE submissions SET dispatched_at = coalesce(dispatched_at, ?2) WHERE id = ?1",
                params![id, stamp(Utc::now())],
            )
            .map_err(storage)?;
        if changed == 0 {
            return Err(HistoryError::NotFound(id));
        }
        Ok(())
    }

    fn find_initiated(
        &self,
        user_id: &str,
        kyc_type: KycType,
    ) -> Result<Option<SubmissionId>, HistoryError> {
        self.conn()
            .query_row(
                "SELECT max(id) FROM submissions WHERE user_id = ?1 AND kyc_type = ?2 AND outcome = 'initiated'",
                params![user_id, kyc_type.as_str()],
                |r| r.get(0),
            )
            .map_err(storage)
    }
}

fn insert_submission(conn: &Connection, new: &NewSubmission) -> Result<SubmissionId, HistoryError> {
    let headers = serde_json::to_string(&new.request.headers).map_err(storage)?;
    conn.execute(
            "INSERT INTO submissions (created_at, operator, profile, base_url, method, url, user_id, \
             kyc_type, redirect_uri, idempotency_key, request_headers, request_body, resend_of, batch_id, \
             batch_line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
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
            ],
        )
        .map_err(storage)?;
    Ok(conn.last_insert_rowid())
}

fn attempt_from_row(r: &Row) -> rusqlite::Result<Attempt> {
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
    })
}
