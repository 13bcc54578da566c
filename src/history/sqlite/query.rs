//! A [`HistoryFilter`] as SQL, and the windows and counts read with it. The rules are the
//! ones [`HistoryFilter::matches`] applies in memory, and must stay the same.

use rusqlite::Connection;

use super::rows::{ROW_COLUMNS, history_row, outcome_name, stamp};
use crate::history::{HistoryFilter, HistoryRow, RowCount, SEARCH_MIN_CHARS};

/// From this offset on, a window may be read from the oldest end instead.
const DEEP_OFFSET: usize = 2_000;

/// How many rows pass the filter. Filters by profile, errors and outcome only are read
/// from the counts the triggers keep, without touching a row.
pub(super) fn count(conn: &Connection, filter: &HistoryFilter) -> rusqlite::Result<usize> {
    if let Some(n) = kept_count(conn, filter)? {
        return Ok(n);
    }
    let (from, clause, args) = from_where(filter);
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {from} {clause}"),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// How many rows pass the filter, counting no further than `cap`.
pub(super) fn count_upto(
    conn: &Connection,
    filter: &HistoryFilter,
    cap: usize,
) -> rusqlite::Result<RowCount> {
    if let Some(n) = kept_count(conn, filter)? {
        return Ok(RowCount::exact(n));
    }
    let (from, clause, mut args) = from_where(filter);
    args.push(cap.saturating_add(1).to_string());
    let n: i64 = conn.query_row(
        &format!(
            "SELECT count(*) FROM (SELECT 1 FROM {from} {clause} LIMIT CAST(?{} AS INTEGER))",
            args.len()
        ),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let n = usize::try_from(n).unwrap_or(0);
    Ok(if n > cap {
        RowCount { n: cap, more: true }
    } else {
        RowCount::exact(n)
    })
}

/// The count the triggers keep for a filter by profile, errors and outcome only.
fn kept_count(conn: &Connection, filter: &HistoryFilter) -> rusqlite::Result<Option<usize>> {
    let only_kept = HistoryFilter {
        profile: filter.profile.clone(),
        errors_only: filter.errors_only,
        outcome: filter.outcome,
        ..HistoryFilter::default()
    };
    if *filter != only_kept {
        return Ok(None);
    }
    let mut parts = vec!["1".to_string()];
    let mut args = Vec::new();
    if let Some(profile) = &filter.profile {
        args.push(profile.clone());
        parts.push(format!("profile = ?{}", args.len()));
    }
    if filter.errors_only {
        parts.push("outcome <> 'initiated'".to_string());
    }
    if let Some(outcome) = filter.outcome {
        args.push(outcome_name(outcome));
        parts.push(format!("outcome = ?{}", args.len()));
    }
    let n: i64 = conn.query_row(
        &format!(
            "SELECT coalesce(sum(n), 0) FROM submission_counts WHERE {}",
            parts.join(" AND ")
        ),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    Ok(Some(usize::try_from(n).unwrap_or(0)))
}

/// Rows `offset..offset+limit` passing the filter, newest first.
pub(super) fn window(
    conn: &Connection,
    filter: &HistoryFilter,
    offset: usize,
    limit: usize,
) -> rusqlite::Result<Vec<HistoryRow>> {
    // Deep in the list, skipping from the oldest end is cheaper than from the newest.
    if offset >= DEEP_OFFSET {
        let total = count(conn, filter)?;
        if offset >= total {
            return Ok(Vec::new());
        }
        if offset * 2 > total {
            let end = offset.saturating_add(limit).min(total);
            let mut rows = select_rows(conn, filter, "ASC", total - end, end - offset)?;
            rows.reverse();
            return Ok(rows);
        }
    }
    select_rows(conn, filter, "DESC", offset, limit)
}

/// The rows `identifier` names exactly, newest first: the rule of
/// [`crate::history::Submission::identified_by`], each part served by an index.
pub(super) fn find(conn: &Connection, identifier: &str) -> rusqlite::Result<Vec<HistoryRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM submissions WHERE id IN ( \
         SELECT id FROM submissions WHERE idempotency_key = ?1 \
         UNION SELECT id FROM submissions WHERE user_id = ?1 \
         UNION SELECT id FROM submissions WHERE verification_id = ?1 \
         UNION SELECT id FROM submissions WHERE request_id = ?1 \
         UNION SELECT submission_id FROM attempts WHERE request_id = ?1) \
         ORDER BY id DESC"
    ))?;
    stmt.query_map([identifier], history_row)?.collect()
}

/// Rows passing `filter` in id `order` ("ASC" or "DESC"), skipping `offset`.
fn select_rows(
    conn: &Connection,
    filter: &HistoryFilter,
    order: &str,
    offset: usize,
    limit: usize,
) -> rusqlite::Result<Vec<HistoryRow>> {
    let (from, clause, mut args) = from_where(filter);
    // Ordered by the index's own row id when searching, so the newest matches come first
    // without sorting every match.
    let id = if from == SEARCHED {
        "submission_search.rowid"
    } else {
        "id"
    };
    args.push(limit.to_string());
    let limit_at = args.len();
    args.push(offset.to_string());
    let offset_at = args.len();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM {from} {clause} ORDER BY {id} {order} \
         LIMIT CAST(?{limit_at} AS INTEGER) OFFSET CAST(?{offset_at} AS INTEGER)"
    ))?;
    stmt.query_map(rusqlite::params_from_iter(args.iter()), history_row)?
        .collect()
}

/// Whether a filter's text is looked up in the trigram index.
pub(super) fn uses_index(filter: &HistoryFilter) -> bool {
    filter.text.trim().chars().count() >= SEARCH_MIN_CHARS
}

/// Rows found through the trigram index.
const SEARCHED: &str =
    "submission_search JOIN submissions ON submissions.id = submission_search.rowid";

/// The rows a filter reads from, and its conditions. Text of [`SEARCH_MIN_CHARS`] characters
/// or more is looked up in the trigram index, newest match first, and each match is then
/// checked against the rule itself: the index finds every row the rule matches and
/// perhaps a few more (it folds case beyond ASCII).
fn from_where(filter: &HistoryFilter) -> (&'static str, String, Vec<String>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    let text = filter.text.trim();
    let from = if uses_index(filter) {
        args.push(format!("\"{}\"", text.replace('"', "\"\"")));
        parts.push(format!("submission_search MATCH ?{}", args.len()));
        SEARCHED
    } else {
        "submissions"
    };
    let (clause, args) = where_clause(filter, parts, args);
    (from, clause, args)
}

/// SQL for a filter: the rules of [`HistoryFilter::matches`]. Text matching is
/// case-insensitive (SQLite's LIKE folds ASCII case), and by prefix on the status.
fn where_clause(
    filter: &HistoryFilter,
    mut parts: Vec<String>,
    mut args: Vec<String>,
) -> (String, Vec<String>) {
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
    if let Some(kyc_type) = filter.kyc_type {
        args.push(kyc_type.as_str().to_string());
        parts.push(format!("kyc_type = ?{}", args.len()));
    }
    if let Some(operator) = &filter.operator {
        args.push(operator.clone());
        parts.push(format!("operator = ?{}", args.len()));
    }
    if let Some(outcome) = filter.outcome {
        args.push(outcome_name(outcome));
        parts.push(format!("outcome = ?{}", args.len()));
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
             OR request_id LIKE ?{like} ESCAPE '\\' OR idempotency_key LIKE ?{like} ESCAPE '\\' \
             OR operator LIKE ?{like} ESCAPE '\\' OR CAST(status AS TEXT) LIKE ?{prefix} ESCAPE '\\')"
        ));
    }
    if parts.is_empty() {
        (String::new(), args)
    } else {
        (format!("WHERE {}", parts.join(" AND ")), args)
    }
}
