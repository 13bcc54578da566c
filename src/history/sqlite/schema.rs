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
    ])
}

/// The text a search looks in, one field after another: a separator no typed text holds
/// keeps a match inside one field. The status is there for searches by code.
macro_rules! search_text {
    ($row:literal) => {
        concat!(
            "concat_ws(char(31), ",
            $row,
            ".user_id, ",
            $row,
            ".idempotency_key, ",
            $row,
            ".operator, ",
            $row,
            ".verification_id, ",
            $row,
            ".request_id, ",
            $row,
            ".status)"
        )
    };
}

/// The statements that index the queued rows anew and empty the queue.
macro_rules! index_queue {
    () => {
        concat!(
            "DELETE FROM submission_search WHERE rowid IN (SELECT id FROM submission_search_queue);
            INSERT INTO submission_search(rowid, text) SELECT s.id, ",
            search_text!("s"),
            " FROM submission_search_queue q JOIN submissions s ON s.id = q.id;
            DELETE FROM submission_search_queue;"
        )
    };
}

/// Migration 6. The trigram index holds no copy of the text (`content=''`), only what
/// finds a row; a search reads the row back and checks it (see `query`). A new row is
/// indexed as it is written (a batch's rows in one transaction); a row whose text changes
/// (a request id, a status, a verification id) is queued, and the queue is indexed at once
/// in one go, and before any search: indexing one row per transaction
/// would double what writing a batch row costs. The queue is indexed when it reaches 64.
const SEARCH_AND_COUNTS: &str = concat!(
    // `took` is the time spent sending: rows finished before say so again, without the
    // waits between their attempts.
    "UPDATE submissions SET latency_ms = coalesce(
        (SELECT sum(a.latency_ms) FROM attempts a WHERE a.submission_id = submissions.id), 0)
        WHERE outcome IS NOT NULL;
    CREATE VIRTUAL TABLE submission_search USING fts5(\
        text, content='', contentless_delete=1, tokenize='trigram');
    INSERT INTO submission_search(rowid, text) SELECT id, ",
    search_text!("s"),
    " FROM submissions s;
    CREATE TABLE submission_search_queue (id INTEGER PRIMARY KEY);
    CREATE TRIGGER submission_search_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO submission_search(rowid, text) VALUES (new.id, ",
    search_text!("new"),
    ");
    END;
    CREATE TRIGGER submission_search_update
        AFTER UPDATE OF user_id, idempotency_key, operator, verification_id, request_id, status
        ON submissions
        WHEN ",
    search_text!("old"),
    " IS NOT ",
    search_text!("new"),
    " BEGIN
        INSERT OR IGNORE INTO submission_search_queue (id) VALUES (new.id);
    END;
    CREATE TRIGGER submission_search_queue_full AFTER INSERT ON submission_search_queue
        WHEN (SELECT count(*) FROM submission_search_queue) >= 64 BEGIN ",
    index_queue!(),
    " END;
    CREATE TRIGGER submission_search_delete AFTER DELETE ON submissions BEGIN
        DELETE FROM submission_search WHERE rowid = old.id;
        DELETE FROM submission_search_queue WHERE id = old.id;
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

/// Indexes the queued rows anew and empties the queue.
pub(super) const INDEX_QUEUE: &str = index_queue!();

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
