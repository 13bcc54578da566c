//! Keeping the search index up to date: a new row, and a row whose answer changes, wait
//! to be indexed, and waiting rows are indexed together (see the schema's migration 6).

use rusqlite::{Connection, params};

use super::{schema, storage, write};
use crate::history::{HistoryError, SubmissionId};

/// Puts a row whose answer changes in line to be indexed; `stale` when the index holds an
/// older answer of it (a row already waiting keeps what it had: it was not indexed since,
/// and one whose attempts wait needs no more).
pub(super) fn wait(conn: &Connection, id: SubmissionId, stale: bool) -> Result<(), HistoryError> {
    let waits: bool = conn
        .prepare_cached(schema::ANSWER_WAITS)
        .and_then(|mut s| s.query_row([id], |r| r.get(0)))
        .map_err(storage)?;
    if waits {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT OR IGNORE INTO submission_search_pending (id, stale) VALUES (?1, ?2)",
    )
    .and_then(|mut s| s.execute(params![id, stale]))
    .map(|_| ())
    .map_err(storage)
}

/// Indexes every waiting row, in one transaction.
pub(super) fn index_waiting(conn: &mut Connection) -> Result<(), HistoryError> {
    let waiting: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM submission_search_answering) \
             OR EXISTS (SELECT 1 FROM submission_search_new)",
            [],
            |r| r.get(0),
        )
        .map_err(storage)?;
    if !waiting {
        return Ok(());
    }
    let tx = write(conn)?;
    let stale: Vec<SubmissionId> = tx
        .prepare_cached(schema::STALE_ROWS)
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(storage)?;
    for id in stale {
        tx.execute(
            "DELETE FROM submission_search_answer WHERE rowid = ?1",
            [id],
        )
        .map_err(storage)?;
    }
    tx.execute_batch(schema::INDEX_PENDING).map_err(storage)?;
    tx.commit().map_err(storage)
}
