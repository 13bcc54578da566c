//! The figures over a filter's rows, read with two queries: counts grouped by minute and
//! answer, and the latency of every request (attempt) they made, with its target (folded in [`crate::history::stats`]).

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::Connection;

use super::query::{Sources, sources};
use super::rows::{failure_from, outcome_from};
use crate::history::HistoryFilter;
use crate::history::stats::{Answer, HistoryStats, StatsBuilder};

/// The rows passing `filter`, as a `FROM … WHERE …` over `submissions`.
fn passing(filter: &HistoryFilter) -> (String, Vec<String>) {
    let Sources { queries, args } = sources(filter);
    match queries.as_slice() {
        [one] if one.from == "submissions" => (format!("FROM submissions {}", one.clause), args),
        several => {
            let ids: Vec<String> = several
                .iter()
                .map(|q| format!("SELECT submissions.id FROM {} {}", q.from, q.clause))
                .collect();
            (
                format!("FROM submissions WHERE id IN ({})", ids.join(" UNION ")),
                args,
            )
        }
    }
}

/// The minute a row is listed at, as SQLite writes it.
fn minute(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.and_utc())
}

pub(super) fn stats(conn: &Connection, filter: &HistoryFilter) -> rusqlite::Result<HistoryStats> {
    let (from, args) = passing(filter);
    let mut stats = StatsBuilder::default();
    let mut counts = conn.prepare(&format!(
        "SELECT coalesce(strftime('%Y-%m-%dT%H:%M', dispatched_at), \
         strftime('%Y-%m-%dT%H:%M', created_at)), status, \
         failure, outcome, dispatched_at IS NOT NULL, count(*) {from} GROUP BY 1, 2, 3, 4, 5"
    ))?;
    let mut rows = counts.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        let at = r
            .get::<_, Option<String>>(0)?
            .as_deref()
            .and_then(minute)
            .unwrap_or(DateTime::UNIX_EPOCH);
        let answer = Answer::new(
            r.get::<_, Option<i64>>(1)?
                .and_then(|s| u16::try_from(s).ok()),
            r.get::<_, Option<String>>(2)?
                .as_deref()
                .and_then(failure_from),
            r.get::<_, Option<String>>(3)?
                .as_deref()
                .and_then(outcome_from),
            r.get(4)?,
        );
        let n = usize::try_from(r.get::<_, i64>(5)?).unwrap_or(0);
        stats.count(at, answer, n);
    }
    // Every attempt of those rows: one request each, retries apart.
    let mut times = conn.prepare(&format!(
        "SELECT s.target, a.latency_ms FROM attempts a JOIN submissions s          ON s.id = a.submission_id WHERE a.submission_id IN (SELECT id {from})"
    ))?;
    let mut rows = times.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        let target: String = r.get(0)?;
        let ms = u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0);
        stats.latency(&target, ms);
    }
    Ok(stats.finish())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    use crate::history::{HistoryFilter, HistoryStore, SqliteStore};

    /// Counting reads on a connection of its own: it goes on while the store's
    /// connection is busy (as while a send records its row), and does not hold it up.
    #[test]
    fn counting_does_not_wait_for_the_store_s_connection() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_in(dir.path()).unwrap());
        let held = store.conn();
        let (tx, rx) = mpsc::channel();
        let reader = Arc::clone(&store);
        std::thread::spawn(move || {
            let _ = tx.send(reader.stats(&HistoryFilter::default()).map(|s| s.rows));
        });
        let counted = rx.recv_timeout(Duration::from_secs(10));
        drop(held);
        assert_eq!(counted.unwrap().unwrap(), 0);
    }
}
