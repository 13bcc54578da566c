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
    let sources = sources(filter);
    let parts: Vec<String> = sources
        .queries
        .iter()
        .map(|q| format!("SELECT submissions.id FROM {} {}", q.from, q.clause))
        .collect();
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM ({})", parts.join(" UNION ")),
        rusqlite::params_from_iter(sources.args.iter()),
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
    let mut sources = sources(filter);
    sources.args.push(cap.saturating_add(1).to_string());
    let cap_at = sources.args.len();
    // Each source stops after `cap + 1` rows; their union is exact unless one stopped.
    let parts: Vec<String> = sources
        .queries
        .iter()
        .map(|q| {
            format!(
                "SELECT * FROM (SELECT submissions.id FROM {} {} LIMIT CAST(?{cap_at} AS INTEGER))",
                q.from, q.clause
            )
        })
        .collect();
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM ({})", parts.join(" UNION ")),
        rusqlite::params_from_iter(sources.args.iter()),
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

/// A search's page in one pass over its sources: the ids of the newest matches, as many as
/// the count and the window need, then the window's rows by id.
pub(super) fn page(
    conn: &Connection,
    filter: &HistoryFilter,
    offset: usize,
    limit: usize,
    cap: usize,
) -> rusqlite::Result<(RowCount, Vec<HistoryRow>)> {
    let Sources { queries, mut args } = sources(filter);
    let wanted = cap.saturating_add(1).max(offset.saturating_add(limit));
    args.push(wanted.to_string());
    let wanted_at = args.len();
    let parts: Vec<String> = queries
        .iter()
        .map(|q| {
            format!(
                "SELECT * FROM (SELECT submissions.id AS id FROM {} {} ORDER BY {} DESC \
                 LIMIT CAST(?{wanted_at} AS INTEGER))",
                q.from, q.clause, q.id
            )
        })
        .collect();
    let ids: Vec<i64> = conn
        .prepare_cached(&format!(
            "{} ORDER BY id DESC LIMIT CAST(?{wanted_at} AS INTEGER)",
            parts.join(" UNION ")
        ))?
        .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let count = if ids.len() > cap {
        RowCount { n: cap, more: true }
    } else {
        RowCount::exact(ids.len())
    };
    let shown: Vec<String> = ids
        .iter()
        .skip(offset)
        .take(limit)
        .map(i64::to_string)
        .collect();
    if shown.is_empty() {
        return Ok((count, Vec::new()));
    }
    // The ids are the store's own integers, written into the statement as numbers.
    let rows = conn
        .prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM submissions WHERE id IN ({}) ORDER BY id DESC",
            shown.join(",")
        ))?
        .query_map([], history_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((count, rows))
}

/// Rows passing `filter` in id `order` ("ASC" or "DESC"), skipping `offset`. From two
/// sources, each gives its first `offset + limit` rows in order, and the window is cut
/// from both together.
fn select_rows(
    conn: &Connection,
    filter: &HistoryFilter,
    order: &str,
    offset: usize,
    limit: usize,
) -> rusqlite::Result<Vec<HistoryRow>> {
    let Sources { queries, mut args } = sources(filter);
    args.push(limit.to_string());
    let limit_at = args.len();
    args.push(offset.to_string());
    let offset_at = args.len();
    let window = format!("LIMIT CAST(?{limit_at} AS INTEGER) OFFSET CAST(?{offset_at} AS INTEGER)");
    let sql = match queries.as_slice() {
        [one] => format!(
            "SELECT {ROW_COLUMNS} FROM {} {} ORDER BY {} {order} {window}",
            one.from, one.clause, one.id
        ),
        several => {
            args.push(offset.saturating_add(limit).to_string());
            let each_at = args.len();
            let parts: Vec<String> = several
                .iter()
                .map(|q| {
                    format!(
                        "SELECT * FROM (SELECT {ROW_COLUMNS} FROM {} {} ORDER BY {} {order} \
                         LIMIT CAST(?{each_at} AS INTEGER))",
                        q.from, q.clause, q.id
                    )
                })
                .collect();
            // A row found in two sources is the same row: the union keeps it once.
            format!("{} ORDER BY id {order} {window}", parts.join(" UNION "))
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(rusqlite::params_from_iter(args.iter()), history_row)?
        .collect()
}

/// Whether a filter's text is looked up in the trigram index: when it holds three
/// characters besides the dashes and underscores the index leaves out.
pub(super) fn uses_index(filter: &HistoryFilter) -> bool {
    indexed_chars(filter.text.trim()).count() >= SEARCH_MIN_CHARS
}

/// The characters of `text` the index holds.
fn indexed_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter(|c| !matches!(c, '-' | '_'))
}

/// One query's rows: where from, the id to order them by, and the conditions.
pub(super) struct Source {
    pub(super) from: &'static str,
    id: &'static str,
    pub(super) clause: String,
}

/// The queries a filter's rows come from, sharing `args`.
pub(super) struct Sources {
    pub(super) queries: Vec<Source>,
    pub(super) args: Vec<String>,
}

/// The index query for `text` (of [`SEARCH_MIN_CHARS`] indexed characters or more): every
/// row holding the trigrams that cover it, dashes and underscores left out, each quoted.
fn trigram_query(text: &str) -> String {
    let chars: Vec<char> = indexed_chars(text).collect();
    let last = chars.len().saturating_sub(3);
    let mut starts: Vec<usize> = (0..=last).step_by(3).collect();
    if starts.last() != Some(&last) {
        starts.push(last);
    }
    starts
        .iter()
        .map(|&at| {
            let trigram: String = chars.iter().skip(at).take(3).collect();
            format!("\"{}\"", trigram.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a filter's rows come from. Text of [`SEARCH_MIN_CHARS`] characters or more is
/// looked up in the trigram index, which holds most rows (newest match first, ordered by
/// the index's own row id so no match is sorted), and among the few rows not indexed as
/// they are (see the schema); each is then checked against the rule itself: the index
/// finds every indexed row the rule matches and perhaps more (any row holding the same
/// trigrams, and case folded beyond ASCII).
pub(super) fn sources(filter: &HistoryFilter) -> Sources {
    let (clause, mut args) = where_clause(filter, Vec::new(), Vec::new());
    if !uses_index(filter) {
        return Sources {
            queries: vec![Source {
                from: "submissions",
                id: "id",
                clause,
            }],
            args,
        };
    }
    // The text makes the clause non-empty: "WHERE …".
    let conditions = clause.trim_start_matches("WHERE ");
    args.push(trigram_query(filter.text.trim()));
    let matched = args.len();
    Sources {
        queries: vec![
            Source {
                from: "submission_search JOIN submissions \
                       ON submissions.id = submission_search.rowid",
                id: "submission_search.rowid",
                clause: format!("WHERE submission_search MATCH ?{matched} AND {conditions}"),
            },
            Source {
                from: "submission_search_answer JOIN submissions \
                       ON submissions.id = submission_search_answer.rowid",
                id: "submission_search_answer.rowid",
                clause: format!(
                    "WHERE submission_search_answer MATCH ?{matched} AND NOT EXISTS \
                     (SELECT 1 FROM submission_search_pending p WHERE p.id = submissions.id) \
                     AND NOT EXISTS (SELECT 1 FROM attempts a \
                     WHERE a.submission_id = submissions.id \
                     AND a.rowid > (SELECT attempt FROM submission_search_mark)) \
                     AND {conditions}"
                ),
            },
            Source {
                from: "(SELECT id AS waiting FROM submission_search_answering \
                       UNION SELECT id FROM submission_search_new) \
                       CROSS JOIN submissions ON submissions.id = waiting",
                id: "submissions.id",
                clause: format!("WHERE {conditions}"),
            },
        ],
        args,
    }
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

#[cfg(test)]
mod tests {
    use super::trigram_query;

    #[test]
    fn the_trigrams_cover_the_text_and_are_quoted() {
        assert_eq!(trigram_query("abc"), r#""abc""#);
        assert_eq!(trigram_query("abcd"), r#""abc" "bcd""#);
        assert_eq!(trigram_query("abcdef"), r#""abc" "def""#);
        assert_eq!(trigram_query("abcdefg"), r#""abc" "def" "efg""#);
        assert_eq!(trigram_query(r#"a"b c"#), r#""a""b" "b c""#);
        assert_eq!(trigram_query("Ölaf"), r#""Öla" "laf""#);
        assert_eq!(trigram_query("usr-0a1b"), r#""usr" "0a1" "a1b""#);
        assert_eq!(trigram_query("req_7-"), r#""req" "eq7""#);
    }
}
