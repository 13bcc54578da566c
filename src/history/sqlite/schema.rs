//! The history file's tables, as versioned migrations: a file written by any earlier
//! version is brought up to date when it is opened.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

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
        // Where each submission went, as a stable identity: the embedded sandbox is one
        // target whatever its port; anything else is its method and endpoint.
        M::up(
            r#"
        ALTER TABLE submissions ADD COLUMN target TEXT NOT NULL DEFAULT '';
        ALTER TABLE submissions ADD COLUMN key_env TEXT;
        UPDATE submissions SET target = CASE
            WHEN profile = 'sandbox' AND (base_url LIKE 'http://127.0.0.1:%' OR base_url LIKE 'http://localhost:%')
                THEN 'embedded sandbox'
            ELSE method || ' ' || url END;
        CREATE INDEX submissions_pair ON submissions(user_id, kyc_type, target, id);
        "#,
        ),
        // What a long success's whole body said (its id, status and link) beyond the bytes
        // kept, and why the client sent no more after an attempt it could have retried.
        M::up(
            r#"
        ALTER TABLE attempts ADD COLUMN read_fields TEXT;
        ALTER TABLE attempts ADD COLUMN stop TEXT;
        "#,
        ),
        // `show` finds a submission by a request id or verification id as well as by its
        // number, idempotency key or user id.
        M::up(
            r#"
        CREATE INDEX submissions_request_id ON submissions(request_id);
        CREATE INDEX submissions_verification_id ON submissions(verification_id);
        CREATE INDEX attempts_request_id ON attempts(request_id);
        "#,
        ),
        // Search and counts that stay fast at a million rows: a trigram index over the
        // text `/` and `history --find` search, and row counts per profile and outcome,
        // both kept up to date by triggers on every write.
        M::up(SEARCH_AND_COUNTS),
        M::up(ANSWERS_WAIT_IN_ATTEMPTS),
        M::up(FEWER_INDEX_WRITES),
    ])
}

/// The text a search looks in, one field after another: a separator no typed text holds
/// keeps a match inside one field. Dashes and underscores are left out (a search leaves
/// them out of its text too, see `query`): the ids are mostly their hex digits, and a
/// shorter text is cheaper to index. What a row is claimed with never changes; what it
/// was answered (the status, for searches by code) changes with each attempt.
macro_rules! claimed_text {
    ($row:literal) => {
        concat!(
            "replace(replace(concat_ws(char(31), ",
            $row,
            ".user_id, ",
            $row,
            ".idempotency_key, ",
            $row,
            ".operator), '-', ''), '_', '')"
        )
    };
}

macro_rules! answered_text {
    ($row:literal) => {
        concat!(
            "replace(replace(concat_ws(char(31), ",
            $row,
            ".verification_id, ",
            $row,
            ".request_id, ",
            $row,
            ".status), '-', ''), '_', '')"
        )
    };
}

/// Migration 6: search and counts that stay fast at a million rows.
///
/// Two trigram indexes hold the text a search looks in, and no copy of it (`content=''`),
/// only what finds a row; a search reads each row back and checks it (see `query`). One
/// holds what a row is claimed with (user id, idempotency key, operator), which never
/// changes; a new row waits in `submission_search_new` until it is indexed. The other
/// holds what it was answered (verification id, request id, status): a row whose answer
/// changes waits in `submission_search_pending` (`stale` when the index holds an older
/// answer). Waiting rows are indexed together ([`INDEX_ROWS`] at a time, after a batch is
/// recorded, and whenever the file is opened), and a search looks through them directly.
/// Indexing rows one by one, each in its own transaction, would double what writing a
/// batch row costs. The indexes keep no positions
/// (`detail=none`): a search asks for rows holding every trigram of its text, and the
/// check of each row does the rest.
///
/// Row counts per profile and outcome are kept by triggers. `took` becomes the time spent
/// sending for rows finished before: without the waits between their attempts.
const SEARCH_AND_COUNTS: &str = concat!(
    "UPDATE submissions SET latency_ms = coalesce(
        (SELECT sum(a.latency_ms) FROM attempts a WHERE a.submission_id = submissions.id), 0)
        WHERE outcome IS NOT NULL;
    CREATE VIRTUAL TABLE submission_search USING fts5(\
        text, content='', columnsize=0, tokenize='trigram', detail=none);
    INSERT INTO submission_search(rowid, text) SELECT s.id, ",
    claimed_text!("s"),
    " FROM submissions s;
    CREATE VIRTUAL TABLE submission_search_answer USING fts5(\
        text, content='', contentless_delete=1, tokenize='trigram', detail=none);
    INSERT INTO submission_search_answer(rowid, text) SELECT s.id, ",
    answered_text!("s"),
    " FROM submissions s WHERE s.attempts > 0 OR s.outcome IS NOT NULL;
    INSERT INTO submission_search(submission_search, rank) VALUES ('automerge', 16);
    INSERT INTO submission_search_answer(submission_search_answer, rank) VALUES ('automerge', 16);
    CREATE TABLE submission_search_pending (
        id    INTEGER PRIMARY KEY,
        stale INTEGER NOT NULL
    );
    CREATE TABLE submission_search_new (id INTEGER PRIMARY KEY);
    CREATE TRIGGER submission_search_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO submission_search_new (id) VALUES (new.id);
    END;
    CREATE TRIGGER submission_search_delete AFTER DELETE ON submissions BEGIN
        INSERT INTO submission_search(submission_search, rowid, text)
            SELECT 'delete', old.id, ",
    claimed_text!("old"),
    " WHERE NOT EXISTS (SELECT 1 FROM submission_search_new WHERE id = old.id);
        DELETE FROM submission_search_answer WHERE rowid = old.id;
        DELETE FROM submission_search_pending WHERE id = old.id;
        DELETE FROM submission_search_new WHERE id = old.id;
    END;
    CREATE TABLE submission_counts (
        profile TEXT NOT NULL,
        outcome TEXT NOT NULL,
        n       INTEGER NOT NULL,
        PRIMARY KEY (profile, outcome)
    ) WITHOUT ROWID;
    INSERT INTO submission_counts
        SELECT profile, coalesce(outcome, ''), count(*) FROM submissions GROUP BY 1, 2;
    CREATE TRIGGER submission_counts_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO submission_counts VALUES (new.profile, coalesce(new.outcome, ''), 1)
            ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER submission_counts_update AFTER UPDATE OF profile, outcome ON submissions
        WHEN old.profile IS NOT new.profile OR old.outcome IS NOT new.outcome BEGIN
        UPDATE submission_counts SET n = n - 1
            WHERE profile = old.profile AND outcome = coalesce(old.outcome, '');
        INSERT INTO submission_counts VALUES (new.profile, coalesce(new.outcome, ''), 1)
            ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER submission_counts_delete AFTER DELETE ON submissions BEGIN
        UPDATE submission_counts SET n = n - 1
            WHERE profile = old.profile AND outcome = coalesce(old.outcome, '');
    END;"
);

/// How many waiting rows are indexed together.
pub(super) const INDEX_ROWS: usize = 1024;

/// Migration 7: a row's answer waits to be indexed where it is written. Every attempt
/// after the last one indexed (`submission_search_mark`) marks its row as waiting, so
/// recording an attempt writes nothing more than the attempt; a finish that changes an
/// answer already indexed still waits in `submission_search_pending`. A row waits `stale`
/// when the index holds an older answer of it: one of its attempts was indexed before.
/// Attempts are never deleted but with their row; if they were, the mark steps back so
/// that a later attempt cannot reuse an indexed rowid unseen.
const ANSWERS_WAIT_IN_ATTEMPTS: &str = "
    CREATE TABLE submission_search_mark (attempt INTEGER NOT NULL);
    INSERT INTO submission_search_mark SELECT coalesce(max(rowid), 0) FROM attempts;
    CREATE VIEW submission_search_answering (id, stale) AS
        SELECT id, max(stale) FROM (
            SELECT id, stale FROM submission_search_pending
            UNION ALL
            SELECT a.submission_id, EXISTS (SELECT 1 FROM attempts o
                WHERE o.submission_id = a.submission_id AND o.rowid <= m.attempt)
            FROM submission_search_mark m JOIN attempts a ON a.rowid > m.attempt
        ) GROUP BY id;
    CREATE TRIGGER submission_search_mark_back AFTER DELETE ON attempts BEGIN
        UPDATE submission_search_mark
            SET attempt = min(attempt, coalesce((SELECT max(rowid) FROM attempts), 0));
    END;";

/// Migration 8: fewer index pages written per row sent. A user's rows are found through
/// `submissions_pair` (user id first), which makes the user id's own index and the
/// older (user, type, outcome) one redundant; request and verification ids are looked up
/// only by value, so rows without one (every row until it is answered) stay out of their
/// indexes.
const FEWER_INDEX_WRITES: &str = "
    DROP INDEX IF EXISTS submissions_user_id;
    DROP INDEX IF EXISTS submissions_initiated;
    DROP INDEX IF EXISTS submissions_request_id;
    CREATE INDEX submissions_request_id ON submissions(request_id) WHERE request_id IS NOT NULL;
    DROP INDEX IF EXISTS submissions_verification_id;
    CREATE INDEX submissions_verification_id ON submissions(verification_id)
        WHERE verification_id IS NOT NULL;";

/// Waiting rows whose older answer the index holds: their old entries go first.
pub(super) const STALE_ROWS: &str = "SELECT id FROM submission_search_answering WHERE stale";

/// Whether a row's answer waits in its attempts (so a change to it needs no more waiting).
pub(super) const ANSWER_WAITS: &str = "SELECT EXISTS (SELECT 1 FROM attempts \
    WHERE submission_id = ?1 AND rowid > (SELECT attempt FROM submission_search_mark))";

/// Indexes every new row's claim and every waiting row's answer, empties both waits and
/// moves the mark past the last attempt (each wait drives its join).
pub(super) const INDEX_PENDING: &str = concat!(
    "INSERT INTO submission_search(rowid, text) SELECT s.id, ",
    claimed_text!("s"),
    " FROM submission_search_new n CROSS JOIN submissions s ON s.id = n.id;
    DELETE FROM submission_search_new;
    INSERT INTO submission_search_answer(rowid, text) SELECT s.id, ",
    answered_text!("s"),
    " FROM submission_search_answering w CROSS JOIN submissions s ON s.id = w.id;
    DELETE FROM submission_search_pending;
    UPDATE submission_search_mark
        SET attempt = coalesce((SELECT max(rowid) FROM attempts), attempt);"
);

/// Brings the schema up to date/// Brings the schema up to date; on failure, the first error.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    // The schema version is read before the migration's transaction locks the file, so two
    // consoles opening a new file at once can both try to migrate it: the loser fails, then
    // finds the schema up to date when it looks again.
    match migrations().to_latest(conn) {
        Ok(()) => Ok(()),
        Err(first) => migrations().to_latest(conn).map_err(|_| first),
    }
}
