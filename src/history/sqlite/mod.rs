//! History in a SQLite file: versioned migrations, WAL, a busy timeout so two consoles can
//! share it, and a file only its owner can read. The API key never reaches a column: the
//! request is stored as recorded by the client, key masked.

/// Checkpoints on a thread of their own.
mod checkpoint;
/// The duplicate guard's look-up and claims.
mod claims;
/// Copying submissions recorded elsewhere.
mod import;
/// Keeping the search index up to date.
mod indexing;
/// Filters as SQL, counts and windows.
mod query;
/// Between rows and the history's types.
mod rows;
/// Schema and migrations.
mod schema;
/// What sending writes: attempts and outcomes.
mod sending;
/// The figures over a filter's rows.
mod stats;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use self::rows::{
    ATTEMPT_COLUMNS, BATCH_COLUMNS, ROW_COLUMNS, SUBMISSION_COLUMNS, attempt_from_row,
    batch_from_row, history_row, insert_submission, outcome_list, stamp, submission_from_row,
    unfinished_from_row,
};
use crate::api::Attempt;
use crate::domain::{KycType, OutcomeKind};
use crate::history::stats::HistoryStats;
use crate::history::{
    BatchInfo, Claim, Earlier, HistoryError, HistoryFilter, HistoryRow, HistoryStore, NewBatch,
    NewSubmission, RowCount, Submission, SubmissionId, UnfinishedBatch,
};

/// The file name inside the data directory.
pub const HISTORY_FILE: &str = "history.sqlite3";

/// How long a writer waits for another console's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 32;

/// History kept in SQLite.
pub struct SqliteStore {
    path: PathBuf,
    /// Declared before the connection: its thread ends before the connection closes.
    checkpointer: checkpoint::Checkpointer,
    conn: Arc<Mutex<Connection>>,
    /// Whether writes index finished rows for search (see `open_without_indexing`).
    indexing: bool,
    /// Rows this store wrote since it last indexed.
    waiting: AtomicUsize,
}

fn storage(e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Storage(e.to_string())
}

impl SqliteStore {
    /// How many answered rows are indexed for search together.
    pub const INDEX_ROWS: usize = schema::INDEX_ROWS;

    /// Opens (creating if needed) the history in `data_dir`, and brings its schema up to date.
    pub fn open_in(data_dir: &Path) -> Result<SqliteStore, HistoryError> {
        crate::private_files::create_dir_all(data_dir)
            .map_err(|e| storage(format!("cannot create {}: {e}", data_dir.display())))?;
        SqliteStore::open(&data_dir.join(HISTORY_FILE))
    }

    /// Opens a history file.
    pub fn open(path: &Path) -> Result<SqliteStore, HistoryError> {
        SqliteStore::open_with(path, true)
    }

    /// Opens a history file whose writes leave the search index alone: what writing cost
    /// before the index, for the benchmark that measures what it adds. Only for a copy
    /// thrown away after: searches of the file miss the rows finished while it was open so.
    #[doc(hidden)]
    pub fn open_without_indexing(path: &Path) -> Result<SqliteStore, HistoryError> {
        SqliteStore::open_with(path, false)
    }

    fn open_with(path: &Path, indexing: bool) -> Result<SqliteStore, HistoryError> {
        create_private(path)?;
        let mut conn = Connection::open(path)
            .map_err(|e| storage(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(storage)?;
        // Every statement a send runs per row is prepared once and kept, with room left for
        // the history's searches.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        enable_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(storage)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(storage)?;
        schema::migrate(&mut conn)
            .map_err(|e| storage(format!("cannot migrate {}: {e}", path.display())))?;
        // Rows answered since the last indexing (by any console) are indexed now, so the
        // rows a search looks through one by one stay few.
        if indexing {
            indexing::index_waiting(&mut conn)?;
        }
        let conn = Arc::new(Mutex::new(conn));
        let checkpointer = checkpoint::Checkpointer::start(
            path,
            &conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            Arc::downgrade(&conn),
        );
        Ok(SqliteStore {
            path: path.to_path_buf(),
            checkpointer,
            conn,
            indexing,
            waiting: AtomicUsize::new(0),
        })
    }

    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes rows written that wait to be indexed; once [`schema::INDEX_ROWS`] wait,
    /// indexes them.
    fn waiting(&self, rows: usize) -> Result<(), HistoryError> {
        let waiting = self.waiting.fetch_add(rows, Ordering::Relaxed) + rows;
        if self.indexing && waiting >= schema::INDEX_ROWS {
            self.waiting.store(0, Ordering::Relaxed);
            indexing::index_waiting(&mut self.conn())?;
        }
        Ok(())
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

/// One submission with its attempts, read on `conn` (inside a caller's transaction).
fn get(conn: &Connection, id: SubmissionId) -> Result<Submission, HistoryError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?1"
        ))
        .and_then(|mut s| s.query_row([id], submission_from_row).optional())
        .map_err(storage)?;
    let (new, outcome, dispatched_at) = found.ok_or(HistoryError::NotFound(id))?;
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE submission_id = ?1 ORDER BY number"
        ))
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
        dispatched_at,
    })
}

/// A write transaction that holds the write lock from its start (waiting out the busy
/// timeout for it): a transaction that reads first and writes later could find its snapshot
/// stale once another console has written, and fail at once instead of waiting.
fn write(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, HistoryError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(storage)
}

impl HistoryStore for SqliteStore {
    fn create(&self, new: &NewSubmission) -> Result<SubmissionId, HistoryError> {
        Ok(self.create_many(std::slice::from_ref(new))?.remove(0))
    }

    fn create_many(&self, new: &[NewSubmission]) -> Result<Vec<SubmissionId>, HistoryError> {
        let mut conn = self.conn();
        let tx = write(&mut conn)?;
        let mut ids = Vec::with_capacity(new.len());
        for n in new {
            ids.push(insert_submission(&tx, n).map_err(storage)?);
        }
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        drop(conn);
        self.waiting(ids.len())?;
        Ok(ids)
    }

    fn create_unless_duplicate(
        &self,
        new: &NewSubmission,
    ) -> Result<Result<SubmissionId, Earlier>, HistoryError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let claimed = claims::claim(&tx, new).map_err(storage)?;
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        drop(conn);
        self.waiting(usize::from(claimed.is_ok()))?;
        Ok(claimed)
    }

    fn record_attempt(&self, id: SubmissionId, attempt: &Attempt) -> Result<(), HistoryError> {
        let mut conn = self.conn();
        // Immediate: the write lock is taken (waiting out the busy timeout) before the read
        // inside, so another console's commit cannot make this transaction's snapshot stale.
        let tx = write(&mut conn)?;
        sending::attempt(&tx, id, attempt)?;
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        Ok(())
    }

    fn finish(&self, id: SubmissionId, outcome: OutcomeKind) -> Result<(), HistoryError> {
        let mut conn = self.conn();
        let tx = write(&mut conn)?;
        sending::outcome(&tx, id, outcome, self.indexing)?;
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        drop(conn);
        self.waiting(1)
    }

    fn record_final_attempt(
        &self,
        id: SubmissionId,
        attempt: &Attempt,
        outcome: OutcomeKind,
    ) -> Result<(), HistoryError> {
        let mut conn = self.conn();
        let tx = write(&mut conn)?;
        sending::final_attempt(&tx, id, attempt, outcome, self.indexing)?;
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        drop(conn);
        self.waiting(1)
    }

    fn count(&self, filter: &HistoryFilter) -> Result<usize, HistoryError> {
        query::count(&self.conn(), filter).map_err(storage)
    }

    fn import(
        &self,
        batches: &[NewBatch],
        submissions: &[Submission],
    ) -> Result<usize, HistoryError> {
        let mut conn = self.conn();
        let tx = write(&mut conn)?;
        let added = import::import(&tx, batches, submissions).map_err(storage)?;
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        if self.indexing {
            indexing::index_waiting(&mut conn)?;
        }
        Ok(added)
    }

    fn count_upto(&self, filter: &HistoryFilter, cap: usize) -> Result<RowCount, HistoryError> {
        query::count_upto(&self.conn(), filter, cap).map_err(storage)
    }

    fn page(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
        cap: usize,
    ) -> Result<(RowCount, Vec<HistoryRow>), HistoryError> {
        let conn = self.conn();
        if query::uses_index(filter) {
            return query::page(&conn, filter, offset, limit, cap).map_err(storage);
        }
        Ok((
            query::count_upto(&conn, filter, cap).map_err(storage)?,
            query::window(&conn, filter, offset, limit).map_err(storage)?,
        ))
    }

    fn window(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<HistoryRow>, HistoryError> {
        query::window(&self.conn(), filter, offset, limit).map_err(storage)
    }

    fn stats(&self, filter: &HistoryFilter) -> Result<HistoryStats, HistoryError> {
        // A read of its own, beside the store's connection: counting a large history takes
        // seconds, and sends must not wait for it to record their rows.
        let conn = Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| storage(format!("cannot open {}: {e}", self.path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(storage)?;
        stats::stats(&conn, filter).map_err(storage)
    }

    fn find(&self, identifier: &str) -> Result<Vec<HistoryRow>, HistoryError> {
        query::find(&self.conn(), identifier).map_err(storage)
    }

    fn get(&self, id: SubmissionId) -> Result<Submission, HistoryError> {
        let mut conn = self.conn();
        // The row and its attempts in one read (a batch reads one per row): one snapshot,
        // and the file's locks taken once rather than for each statement.
        let read = conn.transaction().map_err(storage)?;
        let found = get(&read, id);
        read.commit().map_err(storage)?;
        found
    }

    fn create_batch(
        &self,
        batch: &NewBatch,
        rows: &[NewSubmission],
    ) -> Result<Vec<Claim>, HistoryError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        tx.execute(
            &format!("INSERT INTO batches ({BATCH_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
            params![
                batch.id,
                stamp(batch.created_at),
                batch.operator,
                batch.profile,
                batch.source
            ],
        )
        .map_err(storage)?;
        let mut claims = Vec::with_capacity(rows.len());
        for row in rows {
            claims.push(claims::claim(&tx, row).map_err(storage)?);
        }
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        drop(conn);
        // A batch's rows are indexed once recorded, in one go, before any is sent.
        self.waiting(schema::INDEX_ROWS)?;
        Ok(claims)
    }

    fn batch(&self, id: &str) -> Result<BatchInfo, HistoryError> {
        let conn = self.conn();
        let batch = conn
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1"),
                [id],
                batch_from_row,
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
        let unsettled = format!(
            "(s.outcome IS NULL OR s.outcome IN {})",
            outcome_list(OutcomeKind::retryable)
        );
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT b.id, b.created_at, b.source, count(s.id), sum({unsettled}) \
                 FROM batches b JOIN submissions s ON s.batch_id = b.id WHERE b.profile = ?1 \
                 GROUP BY b.id HAVING sum({unsettled}) > 0 ORDER BY b.created_at DESC LIMIT 20"
            ))
            .map_err(storage)?;
        let rows = stmt
            .query_map([profile], unfinished_from_row)
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        Ok(rows)
    }

    fn mark_dispatched(&self, id: SubmissionId, at: DateTime<Utc>) -> Result<(), HistoryError> {
        let mut conn = self.conn();
        let tx = write(&mut conn)?;
        let changed = tx
            .prepare_cached(
                "UPDATE submissions SET dispatched_at = coalesce(dispatched_at, ?2) WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![id, stamp(at)]))
            .map_err(storage)?;
        if changed == 0 {
            return Err(HistoryError::NotFound(id));
        }
        tx.commit().map_err(storage)?;
        self.checkpointer.committed(&conn);
        Ok(())
    }

    fn earlier(
        &self,
        user_id: &str,
        kyc_type: KycType,
        target: &str,
    ) -> Result<Option<Earlier>, HistoryError> {
        claims::earlier(&self.conn(), user_id, kyc_type, target).map_err(storage)
    }
}
