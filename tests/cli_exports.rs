//! What exports carry: `history --csv`/`--json`, the console's export file and a batch's
//! `--out` results all name the redirect URI, the operator, and for a submission that
//! did not initiate what failed: the status and the error's code and message from the
//! body (before, `failure` was empty for every HTTP error). Server text is made
//! terminal-safe there; the API key is in none of it.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use common::{kyc, path_arg, random_user, write_file};
use kyc_console::api::{Attempt, AttemptResult, CapturedResponse, RateLimit, RequestRecord};
use kyc_console::domain::KycType;
use kyc_console::history::export::{EXPORT_COLUMNS, ExportFormat, export};
use kyc_console::history::{HistoryFilter, HistoryStore, NewSubmission, SqliteStore};
use kyc_console::sandbox::SANDBOX_API_KEY;
use serde_json::Value;

/// The sandbox answers this user 500 with `{error: {code, message}}`.
const SERVER_ERROR_USER: &str = "usr-00000000-0000-4000-8000-000000000500";
/// The sandbox answers this user 400 with problem+json naming `userId`.
const BAD_REQUEST_USER: &str = "usr-00000000-0000-4000-8000-000000000400";
const REDIRECT: &str = "https://app.example/kyc/done";
const OPERATOR: &str = "alice.export";

/// A data directory whose settings name the operator.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "config.toml",
        format!("operator = \"{OPERATOR}\"\n").as_bytes(),
    );
    dir
}

fn initiate(dir: &Path, user: &str, code: i32) {
    kyc(
        dir,
        &[
            "initiate",
            "--user-id",
            user,
            "--type",
            "full",
            "--redirect-uri",
            REDIRECT,
        ],
    )
    .expect(code);
}

fn by_user<'a>(rows: &'a [Value], user: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["user_id"] == user)
        .unwrap_or_else(|| panic!("no row for {user} in {rows:#?}"))
}

#[test]
fn history_exports_carry_redirect_uri_operator_and_what_an_http_error_said() {
    let dir = data_dir();
    let good = random_user();
    initiate(dir.path(), &good, 0);
    initiate(dir.path(), SERVER_ERROR_USER, 1);
    initiate(dir.path(), BAD_REQUEST_USER, 1);

    let json = kyc(dir.path(), &["history", "--json"]).expect(0);
    json.assert_no_key(SANDBOX_API_KEY);
    let Value::Array(rows) = json.json() else {
        panic!("not an array: {}", json.stdout)
    };
    for row in &rows {
        let mut keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut want = common::COLUMNS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(row["redirect_uri"], REDIRECT, "{row}");
        assert_eq!(row["operator"], OPERATOR, "{row}");
    }
    let ok = by_user(&rows, &good);
    assert_eq!(ok["outcome"], "initiated");
    for empty in ["failure", "error_code", "error_message"] {
        assert_eq!(ok[empty], Value::Null, "{empty}: {ok}");
    }
    let server = by_user(&rows, SERVER_ERROR_USER);
    assert_eq!(
        server["failure"],
        "500 Internal Server Error: internal_error: An unexpected error occurred",
        "{server}"
    );
    assert_eq!(server["error_code"], "internal_error");
    assert_eq!(server["error_message"], "An unexpected error occurred");
    let refused = by_user(&rows, BAD_REQUEST_USER);
    let failure = refused["failure"].as_str().unwrap();
    assert!(failure.starts_with("400 Bad Request: "), "{refused}");
    let message = refused["error_message"].as_str().unwrap();
    assert!(
        !message.is_empty() && failure.contains(message),
        "{refused}"
    );

    let csv = kyc(dir.path(), &["history", "--csv"]).expect(0);
    csv.assert_no_key(SANDBOX_API_KEY);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, common::COLUMNS);
    assert_eq!(EXPORT_COLUMNS, common::COLUMNS);
    let column = |name: &str| common::COLUMNS.iter().position(|c| *c == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let server = records
        .iter()
        .find(|r| &r[column("user_id")] == SERVER_ERROR_USER)
        .unwrap();
    assert_eq!(
        &server[column("failure")],
        "500 Internal Server Error: internal_error: An unexpected error occurred"
    );
    assert_eq!(&server[column("error_code")], "internal_error");
    assert_eq!(&server[column("redirect_uri")], REDIRECT);
    assert_eq!(&server[column("operator")], OPERATOR);
}

#[test]
fn batch_results_carry_redirect_uri_operator_and_what_failed() {
    let dir = data_dir();
    let work = tempfile::tempdir().unwrap();
    let good = random_user();
    let input = format!("{good}\n{SERVER_ERROR_USER}\nnot-an-id,shipping\n");
    let file = write_file(work.path(), "ids.txt", input.as_bytes());
    let out = work.path().join("results.csv");
    let done = kyc(
        dir.path(),
        &[
            "batch",
            path_arg(&file),
            "--yes",
            "--redirect-uri",
            REDIRECT,
            "--out",
            path_arg(&out),
        ],
    )
    .expect(1);
    done.assert_no_key(SANDBOX_API_KEY);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(SANDBOX_API_KEY));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for name in [
        "redirect_uri",
        "operator",
        "failure",
        "error_code",
        "error_message",
    ] {
        assert!(header.iter().any(|h| h == name), "{name} in {header:?}");
    }
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3, "{text}");
    let row = |user: &str| {
        records
            .iter()
            .find(|r| &r[column("user_id")] == user)
            .unwrap_or_else(|| panic!("no {user} in {text}"))
    };
    let ok = row(&good);
    assert_eq!(&ok[column("outcome")], "initiated");
    assert_eq!(&ok[column("failure")], "");
    assert_eq!(&ok[column("redirect_uri")], REDIRECT);
    assert_eq!(&ok[column("operator")], OPERATOR);
    let server = row(SERVER_ERROR_USER);
    assert_eq!(
        &server[column("failure")],
        "500 Internal Server Error: internal_error: An unexpected error occurred"
    );
    assert_eq!(&server[column("error_code")], "internal_error");
    assert_eq!(
        &server[column("error_message")],
        "An unexpected error occurred"
    );
    assert_eq!(&server[column("redirect_uri")], REDIRECT);
    let invalid = row("not-an-id");
    assert_eq!(&invalid[column("operator")], OPERATOR, "{text}");
    // An invalid row keeps the type it was written with, and says what was wrong.
    assert_eq!(&invalid[column("type")], "shipping", "{text}");
    assert!(
        invalid[column("failure")].starts_with("user id: "),
        "{text}"
    );
}

/// A stored 422 whose body holds escape sequences, a newline and an over-long message.
fn hostile_submission(store: &SqliteStore) {
    let now = Utc::now();
    let user = random_user();
    let id = store
        .create(&NewSubmission {
            created_at: now,
            operator: "bob".into(),
            profile: "sandbox".into(),
            base_url: "http://127.0.0.1:9/v1".into(),
            target: "POST http://127.0.0.1:9/v1/kycs".into(),
            key_env: None,
            user_id: user.clone(),
            kyc_type: KycType::Full,
            redirect_uri: Some(REDIRECT.into()),
            idempotency_key: "key-hostile".into(),
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:9/v1/kycs".into(),
                headers: vec![("x-api-key".into(), "********".into())],
                body: format!(r#"{{"userId":"{user}","type":"full"}}"#),
            },
            resend_of: None,
            batch_id: None,
            batch_line: None,
        })
        .unwrap();
    let body = serde_json::json!({
        "error": {
            "code": "bad\u{1b}[31mcode",
            "message": format!("first line\u{1b}]52;c;AAAA\u{7} {}\nsecond", "x".repeat(2000)),
        }
    });
    let attempt = Attempt {
        number: 1,
        started_at: now,
        latency: Duration::from_millis(5),
        result: AttemptResult::Response(CapturedResponse {
            status: 422,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            body_truncated: false,
            request_id: Some("req-hostile".into()),
            rate_limit: RateLimit::default(),
            read_fields: Default::default(),
        }),
        retry: None,
        stop: None,
    };
    store.record_attempt(id, &attempt).unwrap();
    store
        .finish(id, kyc_console::domain::OutcomeKind::Rejected)
        .unwrap();
}

#[test]
fn the_console_export_says_what_failed_in_terminal_safe_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    hostile_submission(&store);
    for format in [ExportFormat::Csv, ExportFormat::Json] {
        let path = dir.path().join(format!("export.{}", format.extension()));
        assert_eq!(
            export(&store, &HistoryFilter::default(), format, &path).unwrap(),
            1
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        let (failure, code, message) = match format {
            ExportFormat::Json => {
                let rows: Value = serde_json::from_str(&text).unwrap();
                let row = &rows[0];
                assert_eq!(row["redirect_uri"], REDIRECT);
                assert_eq!(row["operator"], "bob");
                (
                    row["failure"].as_str().unwrap().to_string(),
                    row["error_code"].as_str().unwrap().to_string(),
                    row["error_message"].as_str().unwrap().to_string(),
                )
            }
            ExportFormat::Csv => {
                let mut reader = csv::Reader::from_reader(text.as_bytes());
                let header = reader.headers().unwrap().clone();
                let record = reader.records().next().unwrap().unwrap();
                let field =
                    |name: &str| record[header.iter().position(|h| h == name).unwrap()].to_string();
                assert_eq!(field("redirect_uri"), REDIRECT);
                assert_eq!(field("operator"), "bob");
                (
                    field("failure"),
                    field("error_code"),
                    field("error_message"),
                )
            }
        };
        assert!(
            failure.starts_with(r"422 Unprocessable Content: bad\x1b[31mcode: first line\x1b]52"),
            "{failure}"
        );
        assert_eq!(code, r"bad\x1b[31mcode");
        assert!(
            message.starts_with(r"first line\x1b]52;c;AAAA\x07"),
            "{message}"
        );
        for cell in [&failure, &code, &message] {
            assert!(!cell.contains('\n'), "one line: {cell:?}");
            assert!(cell.len() <= 512, "cut with a marker: {} bytes", cell.len());
        }
    }
}
