//! The built binary's `history`, `show`, `replay` and `retry` over a history made by real
//! `initiate` runs against the embedded sandbox, and a scan for the API key in every file
//! and every output the commands produce.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{Run, TestSandbox, console, files_holding, files_under, kyc, random_user, run};
use kyc_console::api::KEY_MASK;
use kyc_console::history::{HistoryFilter, HistoryStore, SqliteStore};
use kyc_console::sandbox::SANDBOX_API_KEY;
use serde_json::Value;
use tempfile::TempDir;

/// The user id the sandbox answers 400 for.
const BAD_REQUEST_USER: &str = "usr-00000000-0000-4000-8000-000000000400";
/// The user id the sandbox answers 403 for.
const FORBIDDEN_USER: &str = "usr-00000000-0000-4000-8000-000000000403";
/// A key distinctive enough that finding its bytes anywhere means it leaked.
const SCAN_KEY: &str = "sk_live_scan_7f3c9e1d2b4a";
const SCAN_VAR: &str = "KYC_CONSOLE_TEST_SCAN_KEY";

/// The id `initiate` printed: ``history       #7 (`kyc-console show 7`)``.
fn recorded_id(run: &Run) -> i64 {
    run.stdout
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("history"))
        .and_then(|rest| rest.trim().strip_prefix('#'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no history line in:\n{}", run.stdout))
}

/// A data directory with three submissions: a success, a 400 and a 403, in that order.
struct History {
    dir: TempDir,
    user: String,
    ok: i64,
    bad: i64,
    forbidden: i64,
}

impl History {
    fn new() -> History {
        let dir = tempfile::tempdir().expect("temp dir");
        let user = random_user();
        let send = |user: &str, code: i32| {
            let run = kyc(
                dir.path(),
                &["initiate", "--user-id", user, "--type", "full"],
            )
            .expect(code);
            recorded_id(&run)
        };
        let ok = send(&user, 0);
        let bad = send(BAD_REQUEST_USER, 1);
        let forbidden = send(FORBIDDEN_USER, 1);
        assert!(ok < bad && bad < forbidden, "{ok} {bad} {forbidden}");
        History {
            dir,
            user,
            ok,
            bad,
            forbidden,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Run {
        kyc(self.path(), args)
    }

    /// `history --json <args>` as its rows.
    fn rows(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["history", "--json"];
        all.extend_from_slice(args);
        match self.run(&all).expect(0).json() {
            Value::Array(rows) => rows,
            other => panic!("not an array: {other}"),
        }
    }

    fn ids(&self, args: &[&str]) -> Vec<i64> {
        self.rows(args)
            .iter()
            .map(|r| r["id"].as_i64().expect("an id"))
            .collect()
    }
}

// --- history ---------------------------------------------------------------------------

#[test]
fn history_prints_a_table_newest_first() {
    let h = History::new();
    let run = h.run(&["history"]).expect(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three rows:\n{}", run.stdout);
    for column in ["id", "sent (UTC)", "profile", "user id", "outcome"] {
        assert!(lines[0].contains(column), "{}", lines[0]);
    }
    let first_ids: Vec<i64> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(first_ids, [h.forbidden, h.bad, h.ok]);
    assert!(lines[1].contains(FORBIDDEN_USER) && lines[1].contains("403"));
    assert!(lines[2].contains(BAD_REQUEST_USER) && lines[2].contains("rejected"));
    assert!(lines[3].contains(&h.user) && lines[3].contains("initiated"));
    assert!(
        lines[3].contains("kyc-"),
        "the verification id: {}",
        lines[3]
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn history_as_json_has_every_column() {
    let h = History::new();
    let rows = h.rows(&[]);
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let mut keys: Vec<&str> = row
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut want = common::COLUMNS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(row["profile"], "sandbox");
        assert_eq!(row["type"], "full");
        assert_eq!(row["attempts"], 1);
        assert!(row["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(
            row["created_at"]
                .as_str()
                .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
        );
    }
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [h.forbidden, h.bad, h.ok], "newest first");

    let ok = &rows[2];
    assert_eq!(ok["user_id"], h.user.as_str());
    assert_eq!(ok["status"], 201);
    assert_eq!(ok["outcome"], "initiated");
    assert!(
        ok["verification_id"]
            .as_str()
            .is_some_and(|v| v.starts_with("kyc-"))
    );
    assert!(
        ok["webview_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http"))
    );
    assert!(ok["latency_ms"].is_u64());
    assert_eq!(rows[1]["status"], 400);
    assert_eq!(rows[1]["outcome"], "rejected");
    assert_eq!(rows[1]["verification_id"], Value::Null);
    assert_eq!(rows[0]["status"], 403);
    assert_eq!(rows[0]["user_id"], FORBIDDEN_USER);
}

#[test]
fn history_as_csv_has_a_header_and_a_line_a_row() {
    let h = History::new();
    let run = h.run(&["history", "--csv"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 4, "{}", run.stdout);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, common::COLUMNS);
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len(), 3);
    let ids: Vec<i64> = records.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids, [h.forbidden, h.bad, h.ok]);
    assert_eq!(&records[2][4], h.user.as_str());
    assert_eq!(&records[2][6], "201");
    assert_eq!(&records[1][6], "400");
    assert_eq!(&records[0][7], "rejected");
    // Each sent, so each says when.
    assert!(records.iter().all(|r| r[2] >= r[1] && !r[2].is_empty()));
}

#[test]
fn history_filters() {
    let h = History::new();
    assert_eq!(h.ids(&["--status", "400"]), [h.bad]);
    assert_eq!(h.ids(&["--status", "201"]), [h.ok]);
    assert_eq!(h.ids(&["--user-id", &h.user]), [h.ok]);
    assert_eq!(h.ids(&["--user-id", FORBIDDEN_USER]), [h.forbidden]);
    assert_eq!(h.ids(&["--errors"]), [h.forbidden, h.bad]);
    assert_eq!(h.ids(&["--limit", "1"]), [h.forbidden]);
    assert_eq!(h.ids(&["--limit", "2", "--errors"]), [h.forbidden, h.bad]);
    assert_eq!(
        h.ids(&["--since", "2000-01-01"]),
        [h.forbidden, h.bad, h.ok]
    );
    assert_eq!(
        h.ids(&[
            "--since",
            "2000-01-01T00:00:00Z",
            "--errors",
            "--status",
            "403"
        ]),
        [h.forbidden]
    );
    assert!(h.ids(&["--since", "2999-01-01"]).is_empty());

    // The human form says so on stderr when nothing matches.
    let run = h.run(&["history", "--since", "2999-01-01"]).expect(0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("no submissions match"),
        "{}",
        run.stderr
    );
    let run = h.run(&["history", "--status", "400"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(run.stdout.contains(BAD_REQUEST_USER));
}

#[test]
fn history_refuses_bad_filters_with_exit_2() {
    let h = History::new();
    let run = h.run(&["history", "--since", "yesterday"]).expect(2);
    assert!(run.stderr.contains("--since"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let run = h
        .run(&["history", "--user-id", "usr-123", "--json"])
        .expect(2);
    assert!(run.stderr.contains("--user-id"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn history_find_searches_ids_keys_and_operators_in_any_case() {
    let h = History::new();
    let rows = h.rows(&[]);
    let ok = rows.iter().find(|r| r["id"] == h.ok).expect("the success");
    let verification = ok["verification_id"].as_str().expect("a verification id");
    let request = ok["request_id"].as_str().expect("a request id");
    let shown = h
        .run(&["show", &h.ok.to_string(), "--json"])
        .expect(0)
        .json();
    let key = shown["idempotency_key"].as_str().expect("a key");
    let operator = shown["operator"].as_str().expect("an operator");
    let middle = |s: &str| s[4..s.len() - 3].to_ascii_uppercase();
    for part in [
        middle(&h.user),
        middle(verification),
        middle(request),
        middle(key),
    ] {
        assert_eq!(h.ids(&["--find", &part]), [h.ok], "--find {part}");
    }
    assert_eq!(
        h.ids(&["--find", &operator.to_ascii_uppercase()]),
        [h.forbidden, h.bad, h.ok]
    );
    assert_eq!(h.ids(&["--find", "0000-4000"]), [h.forbidden, h.bad]);
    assert!(h.ids(&["--find", "no-such-thing"]).is_empty());
    let run = h.run(&["history", "--find", &middle(&h.user)]).expect(0);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    let run = h.run(&["history", "--find", " "]).expect(2);
    assert!(run.stderr.contains("--find"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn history_filters_by_type_operator_and_outcome_and_names_a_bad_flag() {
    let h = History::new();
    let rfi = recorded_id(
        &h.run(&["initiate", "--user-id", &h.user, "--type", "rfi"])
            .expect(0),
    );
    let operator = h
        .run(&["show", &rfi.to_string(), "--json"])
        .expect(0)
        .json()["operator"]
        .as_str()
        .expect("an operator")
        .to_string();
    assert_eq!(h.ids(&["--type", "rfi"]), [rfi]);
    assert_eq!(h.ids(&["--type", "FULL"]), [h.forbidden, h.bad, h.ok]);
    assert!(h.ids(&["--type", "import"]).is_empty());
    assert_eq!(h.ids(&["--operator", &operator]).len(), 4);
    assert!(h.ids(&["--operator", "someone-else"]).is_empty());
    assert_eq!(h.ids(&["--outcome", "initiated"]), [rfi, h.ok]);
    assert_eq!(h.ids(&["--outcome", "Rejected"]), [h.forbidden, h.bad]);
    assert!(h.ids(&["--outcome", "server-error"]).is_empty());
    assert_eq!(h.ids(&["--outcome", "initiated", "--type", "full"]), [h.ok]);
    for (flag, value) in [
        ("--type", "passport"),
        ("--outcome", "failed"),
        ("--operator", ""),
    ] {
        let run = h.run(&["history", flag, value]).expect(2);
        assert!(run.stderr.contains(flag), "{flag} {value}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let run = h.run(&["history", "--outcome", "failed"]).expect(2);
    assert!(
        run.stderr.contains("server_error"),
        "the values: {}",
        run.stderr
    );
}

#[test]
fn history_follows_a_profile_given_on_the_command_line() {
    let h = History::new();
    tamper(
        h.path(),
        &format!(
            "UPDATE submissions SET profile = 'prod-like' WHERE id = {}",
            h.bad
        ),
    );
    let ids = |global: &[&str]| -> Vec<i64> {
        let mut args = global.to_vec();
        args.extend(["history", "--json"]);
        match h.run(&args).expect(0).json() {
            Value::Array(rows) => rows.iter().map(|r| r["id"].as_i64().unwrap()).collect(),
            other => panic!("not an array: {other}"),
        }
    };
    assert_eq!(ids(&["--profile", "prod-like"]), [h.bad]);
    assert_eq!(ids(&["--profile", "sandbox"]), [h.forbidden, h.ok]);
    assert_eq!(ids(&[]), [h.forbidden, h.bad, h.ok]);
    let run = h.run(&["--profile", "prod-like", "history"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(!run.stdout.contains(FORBIDDEN_USER), "{}", run.stdout);
}

#[test]
fn history_marks_rows_of_a_production_profile() {
    let h = History::new();
    tamper(
        h.path(),
        &format!(
            "UPDATE submissions SET profile = 'prod-like' WHERE id = {}",
            h.bad
        ),
    );
    let config = h.path().join("settings.toml");
    std::fs::write(
        &config,
        "[profiles.prod-like]\nbase_url = \"https://api.kulipa.xyz/v1\"\napi_key_env = \"KYC_CONSOLE_TEST_UNSET\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let run = h.run(&["--config", config, "history"]).expect(0);
    let line = |id: i64| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
            .unwrap_or_else(|| panic!("no row {id}:\n{}", run.stdout))
            .to_string()
    };
    assert!(line(h.bad).contains("!prod-like"), "{}", run.stdout);
    assert!(line(h.ok).contains(" sandbox "), "{}", run.stdout);
    assert!(!line(h.ok).contains('!'), "{}", run.stdout);
    assert!(
        run.stderr.contains("! marks a production profile"),
        "{}",
        run.stderr
    );
    // Without that profile in the settings, nothing is marked.
    let run = h.run(&["history"]).expect(0);
    assert!(!run.stdout.contains('!'), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    // JSON keeps the exact name.
    let rows = h.rows(&["--status", "400"]);
    assert_eq!(rows[0]["profile"], "prod-like");
}

#[test]
fn history_says_how_many_rows_the_limit_left_out() {
    let h = History::new();
    let run = h.run(&["history", "--limit", "2"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
    assert!(run.stderr.contains("1 older left out"), "{}", run.stderr);
    assert!(run.stderr.contains("--limit 3"), "{}", run.stderr);
    // The same on stderr beside JSON, which stays JSON.
    let run = h
        .run(&["history", "--json", "--limit", "1", "--errors"])
        .expect(0);
    assert_eq!(run.json().as_array().map(Vec::len), Some(1));
    assert!(run.stderr.contains("--limit 2"), "{}", run.stderr);
    // Nothing is said when nothing is left out.
    for limit in ["3", "50"] {
        let run = h.run(&["history", "--limit", limit]).expect(0);
        assert!(run.stderr.is_empty(), "{}", run.stderr);
    }
}

// --- show ------------------------------------------------------------------------------

#[test]
fn show_prints_the_request_attempts_and_response() {
    let h = History::new();
    let run = h.run(&["show", &h.bad.to_string()]).expect(0);
    let out = &run.stdout;
    assert!(out.contains(&format!("submission #{}", h.bad)), "{out}");
    assert!(out.contains(BAD_REQUEST_USER), "{out}");
    for section in ["\nrequest\n", "\nattempts\n", "\nresponse\n"] {
        assert!(out.contains(section), "no {section:?} in:\n{out}");
    }
    assert!(out.contains(&format!("x-api-key: {KEY_MASK}")), "{out}");
    assert_eq!(KEY_MASK, "••••••••");
    assert!(out.contains("HTTP 400"), "{out}");
    assert!(out.contains("#1 "), "the attempt: {out}");
    assert!(!out.contains(SANDBOX_API_KEY), "the API key is in:\n{out}");
}

#[test]
fn show_masks_a_key_the_record_holds_unmasked() {
    // A record written before masking, or by hand, can hold the key itself.
    const CANARY_KEY: &str = "sk_live_canary_0d9e8f7a";
    let dir = tempfile::tempdir().expect("temp dir");
    let sent = recorded_id(
        &kyc(
            dir.path(),
            &["initiate", "--user-id", &random_user(), "--type", "full"],
        )
        .expect(0),
    );
    let id = {
        let store = SqliteStore::open_in(dir.path()).expect("the history");
        let original = store.get(sent).expect("the submission");
        let mut new = original.new.clone();
        new.idempotency_key = format!("{}-copy", new.idempotency_key);
        for (name, value) in &mut new.request.headers {
            if name == "x-api-key" {
                *value = CANARY_KEY.to_string();
            }
        }
        let id = store.create(&new).expect("a copy with the key in it");
        for a in &original.attempts {
            store.record_attempt(id, a).expect("an attempt");
        }
        store
            .finish(id, original.outcome.expect("an outcome"))
            .expect("finished");
        let stored = store.get(id).expect("the copy");
        assert!(format!("{:?}", stored.new.request).contains(CANARY_KEY));
        id
    };
    let id = id.to_string();
    for args in [vec!["show", &id], vec!["show", &id, "--json"]] {
        let run = kyc(dir.path(), &args).expect(0);
        run.assert_no_key(CANARY_KEY);
        assert!(run.stdout.contains(KEY_MASK), "{args:?}: {}", run.stdout);
    }
}

#[test]
fn show_as_json() {
    let h = History::new();
    let out = h
        .run(&["show", &h.bad.to_string(), "--json"])
        .expect(0)
        .json();
    assert_eq!(out["id"], h.bad);
    assert_eq!(out["outcome"], "rejected");
    assert_eq!(out["user_id"], BAD_REQUEST_USER);
    assert_eq!(out["status"], 400);
    let headers = out["request"]["headers"].as_array().expect("headers");
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h[0] == name)
            .and_then(|h| h[1].as_str())
    };
    assert_eq!(header("x-api-key"), Some(KEY_MASK));
    assert_eq!(header("x-idempotency-key"), out["idempotency_key"].as_str());
    let attempts = out["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["status"], 400);
    assert!(attempts[0]["request_id"].as_str().is_some());
    let body = attempts[0]["body"]
        .as_object()
        .expect("the 400 body as a JSON object");
    assert_eq!(body["status"], 400);
    assert!(body["errors"].is_array());

    let ok = h
        .run(&["show", &h.ok.to_string(), "--json"])
        .expect(0)
        .json();
    assert_eq!(ok["outcome"], "initiated");
    assert_eq!(ok["attempts"][0]["status"], 201);
    assert!(
        ok["verification_id"]
            .as_str()
            .is_some_and(|v| v.starts_with("kyc-"))
    );
    assert_eq!(ok["attempts"][0]["body"]["id"], ok["verification_id"]);
}

#[test]
fn show_as_curl_reads_the_key_from_a_variable() {
    let h = History::new();
    let run = h.run(&["show", &h.ok.to_string(), "--curl"]).expect(0);
    let out = &run.stdout;
    assert!(out.starts_with("curl "), "{out}");
    assert!(out.contains("$KYC_API_KEY"), "{out}");
    assert!(out.contains("--data-raw"), "{out}");
    assert!(out.contains(&h.user), "{out}");
    assert!(!out.contains(SANDBOX_API_KEY), "the API key is in:\n{out}");
    assert!(!out.contains(KEY_MASK), "{out}");
}

#[test]
fn show_of_an_unknown_id_exits_1() {
    let h = History::new();
    let run = h.run(&["show", "999"]).expect(1);
    assert!(run.stderr.contains("no submission 999"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// `show` by every identifier a ticket may quote: each names the one submission, as its
/// number does (it used to fail with "invalid digit found in string").
#[test]
fn show_takes_a_request_id_a_verification_id_or_an_idempotency_key() {
    let h = History::new();
    let by_number = h.run(&["show", &h.ok.to_string()]).expect(0).stdout;
    let rows = h.rows(&[]);
    let ok = rows.iter().find(|r| r["id"] == h.ok).expect("the success");
    let request_id = ok["request_id"].as_str().expect("a request id").to_string();
    let verification_id = ok["verification_id"]
        .as_str()
        .expect("a verification id")
        .to_string();
    let key = h
        .run(&["show", &h.ok.to_string(), "--json"])
        .expect(0)
        .json()["idempotency_key"]
        .as_str()
        .expect("a key")
        .to_string();
    for identifier in [&request_id, &verification_id, &key, &h.user] {
        let run = h.run(&["show", identifier]).expect(0);
        assert_eq!(run.stdout, by_number, "show {identifier}");
        let json = h.run(&["show", identifier, "--json"]).expect(0).json();
        assert_eq!(json["id"], h.ok, "show {identifier} --json");
    }
    // The 400 by its request id, and a user id typed in upper case.
    let bad = rows.iter().find(|r| r["id"] == h.bad).expect("the 400");
    let json = h
        .run(&[
            "show",
            bad["request_id"].as_str().expect("a request id"),
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(json["id"], h.bad);
    let json = h
        .run(&["show", &h.user.to_ascii_uppercase(), "--json"])
        .expect(0)
        .json();
    assert_eq!(json["id"], h.ok);
}

#[test]
fn show_of_a_user_id_with_several_submissions_lists_them_newest_first() {
    let h = History::new();
    let rfi = recorded_id(
        &h.run(&["initiate", "--user-id", &h.user, "--type", "rfi"])
            .expect(0),
    );
    let run = h.run(&["show", &h.user]).expect(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a heading and two rows:\n{}", run.stdout);
    assert!(lines[0].contains("2 submissions match"), "{}", lines[0]);
    assert!(lines[0].contains(&h.user), "{}", lines[0]);
    for (line, (id, kyc_type)) in lines[1..].iter().zip([(rfi, "rfi"), (h.ok, "full")]) {
        assert!(line.trim_start().starts_with(&format!("#{id} ")), "{line}");
        assert!(
            line.contains(kyc_type) && line.contains("initiated"),
            "{line}"
        );
        assert!(
            line.contains(&format!("kyc-console show {id} --data-dir ")),
            "{line}"
        );
        assert!(line.contains("T") && line.contains("Z"), "the time: {line}");
    }
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    // The command printed works as printed.
    let command = lines[2].split("  ").last().unwrap().trim();
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let shown = run_words(&words);
    assert!(shown.contains(&format!("submission #{}", h.ok)), "{shown}");

    let json = h.run(&["show", &h.user, "--json"]).expect(0).json();
    let ids: Vec<i64> = json["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [rfi, h.ok]);
    assert_eq!(json["matches"][0]["type"], "rfi");
    assert_eq!(json["matches"][1]["outcome"], "initiated");

    // One curl command is one request: which one must be said.
    let run = h.run(&["show", &h.user, "--curl"]).expect(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("show {rfi} --curl")),
        "{}",
        run.stderr
    );
}

/// Runs `kyc-console WORDS` as printed, its stdout.
fn run_words(words: &[&str]) -> String {
    let mut cmd = std::process::Command::new(common::BIN);
    for var in common::CLEARED_VARS {
        cmd.env_remove(var);
    }
    let run = Run::lossy_of(cmd.args(words).stdin(std::process::Stdio::null())).expect(0);
    run.stdout
}

#[test]
fn show_of_an_unknown_identifier_names_what_was_searched() {
    let h = History::new();
    for identifier in [
        "req_0e104e65",
        "kyc-00000000",
        "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
    ] {
        let run = h.run(&["show", identifier]).expect(1);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr
                .contains("request id, verification id, idempotency key or user id"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(identifier), "{}", run.stderr);
        assert!(!run.stderr.contains("invalid digit"), "{}", run.stderr);
    }
    let run = h.run(&["show", "999", "--json"]).expect(1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("no submission 999"), "{}", run.stderr);
}

#[test]
fn show_of_a_malformed_identifier_exits_2() {
    let h = History::new();
    let long = "x".repeat(300);
    for identifier in ["", "   ", "usr- 1", "req\u{1b}[31m", &long] {
        let run = h.run(&["show", identifier]).expect(2);
        assert!(run.stdout.is_empty(), "{identifier:?}: {}", run.stdout);
        assert!(run.stderr.contains("show "), "{}", run.stderr);
        assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    }
}

// --- replay, retry, initiate -------------------------------------------------------------

#[test]
fn replay_of_a_success_is_a_new_submission_beside_the_original() {
    let h = History::new();
    // A success holds its user and type: replaying it asks for --allow-duplicate first.
    let refused = h.run(&["replay", &h.ok.to_string()]).expect(2);
    assert!(
        refused.stderr.contains(&format!(
            "submission #{} (initiated, verification kyc-",
            h.ok
        )) && refused.stderr.contains("--allow-duplicate")
            && refused.stderr.contains("nothing was sent"),
        "{}",
        refused.stderr
    );
    assert_eq!(h.rows(&[]).len(), 3, "nothing recorded");
    let run = h
        .run(&["replay", &h.ok.to_string(), "--allow-duplicate"])
        .expect(0);
    let line = |label: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in:\n{}", run.stdout))
            .to_string()
    };
    let original = line("original");
    assert!(original.contains(&format!("#{}", h.ok)), "{original}");
    assert!(original.contains("initiated"), "{original}");
    let replay = line("replay");
    assert!(replay.contains("initiated"), "{replay}");

    let rows = h.rows(&[]);
    assert_eq!(rows.len(), 4);
    let new_id = rows[0]["id"].as_i64().unwrap();
    assert!(new_id > h.forbidden);
    assert!(replay.contains(&format!("#{new_id}")), "{replay}");
    assert_eq!(rows[0]["user_id"], h.user.as_str());
    assert_eq!(rows[0]["outcome"], "initiated");
    assert_ne!(rows[0]["verification_id"], rows[3]["verification_id"]);

    let new = h
        .run(&["show", &new_id.to_string(), "--json"])
        .expect(0)
        .json();
    let old = h
        .run(&["show", &h.ok.to_string(), "--json"])
        .expect(0)
        .json();
    assert_eq!(new["resend_of"], h.ok);
    assert_ne!(new["idempotency_key"], old["idempotency_key"]);
    assert_eq!(new["request"]["body"], old["request"]["body"]);
}

#[test]
fn replay_of_a_refusal_exits_1() {
    let h = History::new();
    let run = h.run(&["replay", &h.forbidden.to_string()]).expect(1);
    assert!(run.stdout.contains("original"), "{}", run.stdout);
    let replay = run
        .stdout
        .lines()
        .find(|l| l.starts_with("replay"))
        .expect("a replay line");
    assert!(replay.contains("rejected"), "{replay}");
    let rows = h.rows(&[]);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["status"], 403);
    assert_eq!(rows[0]["user_id"], FORBIDDEN_USER);
}

#[test]
fn retry_of_a_finished_submission_exits_1_and_sends_nothing() {
    let h = History::new();
    let run = h.run(&["retry", &h.ok.to_string()]).expect(1);
    assert!(
        run.stderr.contains("already has a final outcome"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    let rows = h.rows(&[]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["attempts"], 1, "no attempt was added");
    let run = h.run(&["retry", &h.bad.to_string()]).expect(1);
    assert!(
        run.stderr.contains("already has a final outcome"),
        "{}",
        run.stderr
    );
}

/// A loopback port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `<command> --json` sent to `base_url`, as its exit code and report.
fn send_json(dir: &Path, base_url: &str, args: &[&str]) -> (i32, Value) {
    let mut cmd = assert_cmd::Command::from_std(common::sending(dir, base_url));
    cmd.args(args).arg("--json");
    let run = run(cmd);
    let out = run.json();
    (run.code, out)
}

fn numbers(report: &Value) -> Vec<u64> {
    report["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["number"].as_u64().expect("a number"))
        .collect()
}

/// Runs SQL on the history file, as a console stopped at the wrong moment would leave it.
fn tamper(dir: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(dir.join(kyc_console::history::HISTORY_FILE))
        .expect("the history file opens");
    conn.execute_batch(sql).expect("the SQL runs");
}

#[test]
fn a_not_sent_submission_retried_while_unreachable_stays_not_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base_url = format!("http://127.0.0.1:{}/v1", closed_port());
    let user = random_user();
    let (code, first) = send_json(
        dir.path(),
        &base_url,
        &["initiate", "--user-id", &user, "--type", "full"],
    );
    assert_eq!(code, 1, "{first:#}");
    assert_eq!(first["outcome"], "not_sent");
    let id = first["submission_id"].as_i64().expect("submission_id");
    let sent = numbers(&first).len() as u64;

    let (code, again) = send_json(dir.path(), &base_url, &["retry", &id.to_string()]);
    assert_eq!(code, 1, "{again:#}");
    assert_eq!(again["outcome"], "not_sent", "{again:#}");
    assert_eq!(again["idempotency_key"], first["idempotency_key"]);
    let all: Vec<u64> = (1..=2 * sent).collect();
    assert_eq!(numbers(&again), all, "every attempt, numbered on");

    let rows = kyc(dir.path(), &["history", "--json"]).expect(0).json();
    assert_eq!(rows[0]["outcome"], "not sent");
    assert_eq!(rows[0]["failure"], "could not connect");
    let shown = kyc(dir.path(), &["show", &id.to_string()]).expect(0);
    assert!(
        shown.stdout.contains("safe to send again"),
        "{}",
        shown.stdout
    );

    // A resend stopped mid-request leaves "unknown" (set before it sent anything) over
    // attempts that all say "not sent": its own attempt was lost, so the next retry skips
    // its number, and the outcome can no longer be "not sent".
    tamper(
        dir.path(),
        &format!("UPDATE submissions SET outcome = 'unknown' WHERE id = {id}"),
    );
    let (code, after) = send_json(dir.path(), &base_url, &["retry", &id.to_string()]);
    assert_eq!(code, 1, "{after:#}");
    assert_eq!(after["outcome"], "unknown", "{after:#}");
    let lost = 2 * sent + 1;
    assert!(!numbers(&after).contains(&lost), "{after:#}");
    assert_eq!(numbers(&after).last(), Some(&(3 * sent + 1)));
    let meaning = after["meaning"].as_str().expect("meaning");
    assert!(
        meaning.contains(&format!("attempt {lost} (never recorded")),
        "{meaning}"
    );
}

#[test]
fn a_retry_after_a_stop_mid_request_is_never_not_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base_url = format!("http://127.0.0.1:{}/v1", closed_port());
    let (code, first) = send_json(
        dir.path(),
        &base_url,
        &["initiate", "--user-id", &random_user(), "--type", "full"],
    );
    assert_eq!(code, 1, "{first:#}");
    let id = first["submission_id"].as_i64().expect("submission_id");
    // As if the console had been killed during attempt 1: dispatched, nothing else known.
    tamper(
        dir.path(),
        &format!(
            "DELETE FROM attempts WHERE submission_id = {id};
             UPDATE submissions SET outcome = NULL, failure = NULL, attempts = 0,
                 latency_ms = NULL, finished_at = NULL WHERE id = {id};"
        ),
    );
    let rows = kyc(dir.path(), &["history", "--json"]).expect(0).json();
    assert_eq!(rows[0]["outcome"], "unknown (no outcome recorded)");
    // `show` names the command that settles it, as it is to be run.
    let shown = kyc(dir.path(), &["show", &id.to_string()]).expect(0);
    let retry = format!(
        "`kyc-console retry {id} --data-dir {}` sends it again with its own key",
        dir.path().display()
    );
    assert!(shown.stdout.contains(&retry), "{}", shown.stdout);
    assert!(!shown.stdout.contains("retry ID"), "{}", shown.stdout);

    let (code, again) = send_json(dir.path(), &base_url, &["retry", &id.to_string()]);
    assert_eq!(code, 1, "{again:#}");
    assert_eq!(
        again["outcome"], "unknown",
        "attempt 1 may have arrived: {again:#}"
    );
    assert_eq!(again["sent"], true);
    assert_eq!(numbers(&again)[0], 2, "{again:#}");
    assert!(
        again["attempts"]
            .as_array()
            .expect("attempts")
            .iter()
            .all(|a| a["failure"] == "not_sent"),
        "{again:#}"
    );
    let title = again["title"].as_str().expect("title");
    assert!(title.contains("unknown"), "{title}");
    let rows = kyc(dir.path(), &["history", "--json"]).expect(0).json();
    assert_eq!(rows[0]["outcome"], "unknown");
}

#[test]
fn initiate_as_json_names_its_submission() {
    let h = History::new();
    let user = random_user();
    let out = h
        .run(&["initiate", "--user-id", &user, "--type", "rfi", "--json"])
        .expect(0)
        .json();
    let id = out["submission_id"].as_i64().expect("submission_id");
    assert!(id > h.forbidden);
    assert_eq!(h.ids(&["--limit", "1"]), [id]);
    let shown = h.run(&["show", &id.to_string(), "--json"]).expect(0).json();
    assert_eq!(shown["user_id"], user.as_str());
    assert_eq!(shown["type"], "rfi");
    assert_eq!(shown["idempotency_key"], out["idempotency_key"]);
    assert_eq!(shown["request_id"], out["request_id"]);
}

// --- the API key never lands anywhere ----------------------------------------------------

#[test]
fn the_api_key_is_in_no_file_and_no_output() {
    let sandbox = TestSandbox::with_key(SCAN_KEY);
    let base_url = sandbox.base_url();
    let dir = tempfile::tempdir().expect("temp dir");
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();

    let mut outputs = Vec::new();
    let scan = |args: &[&str], code: i32, outputs: &mut Vec<Run>| -> Run {
        let mut cmd = console(dir.path(), args);
        cmd.args(["--base-url", &base_url, "--api-key-env", SCAN_VAR])
            .args(["--log-level", "trace"])
            .env(SCAN_VAR, SCAN_KEY);
        let run = run(cmd).expect(code);
        outputs.push(run.clone());
        run
    };

    let user = random_user();
    let ok = scan(
        &["initiate", "--user-id", &user, "--type", "full", "--json"],
        0,
        &mut outputs,
    )
    .json();
    // Exit 0 means the sandbox accepted the key: it was sent.
    assert_eq!(ok["status"], 201);
    assert_eq!(ok["profile"], "custom");
    let ok_id = ok["submission_id"]
        .as_i64()
        .expect("submission_id")
        .to_string();
    scan(
        &["initiate", "--user-id", BAD_REQUEST_USER, "--type", "full"],
        1,
        &mut outputs,
    );
    scan(&["replay", &ok_id, "--allow-duplicate"], 0, &mut outputs);
    scan(
        &["replay", &ok_id, "--json", "--allow-duplicate"],
        0,
        &mut outputs,
    );
    let shown = scan(&["show", &ok_id, "--json"], 0, &mut outputs).json();
    assert_eq!(shown["base_url"], base_url.as_str());
    scan(&["show", &ok_id], 0, &mut outputs);
    let curl = scan(&["show", &ok_id, "--curl"], 0, &mut outputs);
    assert!(curl.stdout.contains("$KYC_API_KEY"), "{}", curl.stdout);
    let history = scan(&["history", "--json"], 0, &mut outputs);
    let rows: Vec<Value> = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(rows.len(), 4);
    let csv = scan(&["history", "--csv"], 0, &mut outputs);
    std::fs::write(exports.join("history.csv"), &csv.stdout).unwrap();
    std::fs::write(exports.join("history.json"), &history.stdout).unwrap();
    std::fs::write(exports.join("curl.sh"), &curl.stdout).unwrap();

    let stats = sandbox.stats();
    assert_eq!(stats.requests, 4, "every send reached the sandbox");
    assert_eq!(stats.verifications, 3);
    drop(sandbox); // stops it

    // No output holds the key.
    assert_eq!(outputs.len(), 9);
    for run in &outputs {
        run.assert_no_key(SCAN_KEY);
    }

    // The scan reads what was written: a non-empty log, the history, the exports.
    let files = files_under(dir.path());
    let log_dir = dir.path().join("logs");
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(&log_dir) && std::fs::metadata(f).unwrap().len() > 0),
        "no non-empty log file in {files:?}"
    );
    assert!(
        files.contains(&dir.path().join("history.sqlite3")),
        "{files:?}"
    );
    assert_eq!(
        std::fs::read_dir(&exports).unwrap().count(),
        3,
        "the exports are scanned too"
    );
    let store = SqliteStore::open_in(dir.path()).unwrap();
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 4);
    drop(store);
    // The scan finds what is there: the user id is stored in plain text, and logged.
    let with_user = files_holding(dir.path(), &user);
    assert!(
        with_user.iter().any(|f| f
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("history.sqlite3"))),
        "the user id is not in the history files: {with_user:?}"
    );

    // ... and not the key, in any file.
    let leaked = files_holding(dir.path(), SCAN_KEY);
    assert!(leaked.is_empty(), "the API key is in {leaked:?}");
}

// --- when rows were sent, and the time taken apart from waits --------------------------------

/// 2026-01-01T00:00:00Z plus `ms` milliseconds.
fn instant(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .to_utc()
        + chrono::Duration::milliseconds(ms)
}

/// One attempt answered `status` at `start_ms`, `latency_ms` long, waiting `retry_ms`
/// before the next if set.
fn answered_at(
    number: u32,
    start_ms: i64,
    latency_ms: u64,
    status: u16,
    retry_ms: Option<u64>,
) -> kyc_console::api::Attempt {
    use kyc_console::api::{AttemptResult, CapturedResponse, RateLimit, RetryPlan};
    let body = format!(r#"{{"id":"kyc-turn-{number}","status":"pending"}}"#);
    kyc_console::api::Attempt {
        number,
        started_at: instant(start_ms),
        latency: std::time::Duration::from_millis(latency_ms),
        result: AttemptResult::Response(CapturedResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into_bytes(),
            body_truncated: false,
            request_id: Some(format!("req-turn-{number}-{status}")),
            rate_limit: RateLimit::default(),
            read_fields: Default::default(),
        }),
        retry: retry_ms.map(|ms| RetryPlan {
            wait: std::time::Duration::from_millis(ms),
            reason: format!("{status}, Retry-After {} s", ms / 1000),
        }),
        stop: None,
    }
}

/// A batch of three recorded at midnight: line 2 sent at 00:05 (a 503, then after
/// Retry-After 45 s a 504), line 3 at 00:10 (a 201), line 4 never. Returns their ids.
fn batch_sent_at_its_turn(data: &Path) -> [i64; 3] {
    use kyc_console::api::RequestRecord;
    use kyc_console::domain::KycType;
    use kyc_console::history::{NewBatch, NewSubmission};
    let store = SqliteStore::open_in(data).unwrap();
    let batch = NewBatch {
        id: "b-turns".into(),
        created_at: instant(0),
        operator: "ops".into(),
        profile: "sandbox".into(),
        source: "turns.csv".into(),
    };
    let rows: Vec<NewSubmission> = (2..=4u32)
        .map(|line| {
            let user = random_user();
            let key = format!("key-turn-{line}");
            NewSubmission {
                created_at: instant(0),
                operator: "ops".into(),
                profile: "sandbox".into(),
                base_url: "http://127.0.0.1:9/".into(),
                target: "embedded sandbox".into(),
                key_env: None,
                user_id: user.clone(),
                kyc_type: KycType::Full,
                redirect_uri: None,
                idempotency_key: key.clone(),
                request: RequestRecord {
                    method: "POST".into(),
                    url: "http://127.0.0.1:9/kycs".into(),
                    headers: vec![("x-idempotency-key".into(), key)],
                    body: format!(r#"{{"userId":"{user}","type":"full"}}"#),
                },
                resend_of: None,
                batch_id: Some(batch.id.clone()),
                batch_line: Some(line),
            }
        })
        .collect();
    let ids: Vec<i64> = store
        .create_batch(&batch, &rows)
        .unwrap()
        .into_iter()
        .map(|claim| claim.unwrap())
        .collect();
    let minute = 60_000;
    let plays = [
        (
            ids[0],
            5 * minute,
            vec![
                answered_at(1, 5 * minute, 100, 503, Some(45_000)),
                answered_at(2, 5 * minute + 45_100, 1400, 504, None),
            ],
        ),
        (
            ids[1],
            10 * minute,
            vec![answered_at(1, 10 * minute, 250, 201, None)],
        ),
    ];
    for (id, sent, attempts) in plays {
        store.mark_dispatched(id, instant(sent)).unwrap();
        for a in &attempts {
            store.record_attempt(id, a).unwrap();
        }
        let outcome = store.get(id).unwrap().exchange().outcome();
        store.finish(id, outcome).unwrap();
    }
    [ids[0], ids[1], ids[2]]
}

#[test]
fn history_lists_batch_rows_when_each_was_sent_and_marks_rows_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    let [first, second, unsent] = batch_sent_at_its_turn(dir.path());
    let run = kyc(dir.path(), &["history"]).expect(0);
    let line = |id: i64| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
            .unwrap_or_else(|| panic!("no row {id} in\n{}", run.stdout))
    };
    assert!(run.stdout.lines().next().unwrap().contains("sent (UTC)"));
    assert!(
        line(first).contains("2026-01-01T00:05:00.000Z "),
        "{}",
        line(first)
    );
    assert!(
        line(second).contains("2026-01-01T00:10:00.000Z "),
        "{}",
        line(second)
    );
    // Never sent: the time it was recorded, marked, and the mark explained.
    assert!(
        line(unsent).contains("2026-01-01T00:00:00.000Z*"),
        "{}",
        line(unsent)
    );
    assert!(line(unsent).contains("not sent"), "{}", line(unsent));
    assert!(
        run.stderr.contains("* marks a row never sent"),
        "{}",
        run.stderr
    );
    // The time taken is the time spent sending: 1.5 s, not the 46.5 s the waits made.
    assert!(line(first).contains("1.5 s"), "{}", line(first));

    let rows = kyc(dir.path(), &["history", "--json"]).expect(0).json();
    let row = |id: i64| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row(first)["created_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(row(first)["sent_at"], "2026-01-01T00:05:00.000Z");
    assert_eq!(row(first)["latency_ms"], 1500);
    assert_eq!(row(second)["sent_at"], "2026-01-01T00:10:00.000Z");
    assert_eq!(row(second)["latency_ms"], 250);
    assert_eq!(row(unsent)["sent_at"], Value::Null);
    let csv = kyc(dir.path(), &["history", "--csv"]).expect(0);
    assert!(
        csv.stdout
            .contains(",2026-01-01T00:00:00.000Z,2026-01-01T00:05:00.000Z,"),
        "{}",
        csv.stdout
    );
}

#[test]
fn show_keeps_the_waits_apart_from_the_time_taken() {
    let dir = tempfile::tempdir().unwrap();
    let [first, _, unsent] = batch_sent_at_its_turn(dir.path());
    let text = kyc(dir.path(), &["show", &first.to_string()])
        .expect(0)
        .stdout;
    assert!(
        text.contains("took 1.5 s over 2 attempts, waited 45.0 s"),
        "{text}"
    );
    assert!(text.contains("sent 2026-01-01T00:05:00.000Z"), "{text}");
    assert!(
        text.contains("recorded      2026-01-01T00:00:00.000Z"),
        "{text}"
    );
    let json = kyc(dir.path(), &["show", &first.to_string(), "--json"])
        .expect(0)
        .json();
    assert_eq!(json["latency_ms"], 1500, "{json:#}");
    assert_eq!(json["waited_ms"], 45_000, "{json:#}");
    assert_eq!(json["sent_at"], "2026-01-01T00:05:00Z", "{json:#}");
    assert_eq!(json["created_at"], "2026-01-01T00:00:00Z", "{json:#}");
    let never = kyc(dir.path(), &["show", &unsent.to_string()])
        .expect(0)
        .stdout;
    assert!(
        never.contains("recorded 2026-01-01T00:00:00.000Z (never sent)"),
        "{never}"
    );
    let json = kyc(dir.path(), &["show", &unsent.to_string(), "--json"])
        .expect(0)
        .json();
    assert_eq!(json["sent_at"], Value::Null, "{json:#}");
}

/// `history import FILE` copies a local history into the one the settings use (here
/// another data directory's, and a PostgreSQL database when the test server is there):
/// every submission with its attempts; running it again adds nothing.
#[test]
fn history_import_copies_a_local_history_once() {
    let h = History::new();
    // Two rows of a batch too: the batch comes along.
    let ids = h.dir.path().join("ids.txt");
    std::fs::write(&ids, format!("{}\n{}\n", random_user(), random_user())).unwrap();
    kyc(h.dir.path(), &["batch", ids.to_str().unwrap(), "--yes"]).expect(0);
    let file = h.dir.path().join("history.sqlite3");
    let file = file.to_str().unwrap();
    let target = tempfile::tempdir().unwrap();
    let first = kyc(target.path(), &["history", "import", file]).expect(0);
    assert!(
        first.stderr.contains("copied 5 of 5 submission(s)"),
        "{}",
        first.stderr
    );
    let again = kyc(target.path(), &["history", "import", file]).expect(0);
    assert!(
        again.stderr.contains("copied 0 of 5") && again.stderr.contains("5 were there already"),
        "{}",
        again.stderr
    );
    let listed = kyc(target.path(), &["history", "--json"]).expect(0);
    let rows: Vec<Value> = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(rows.len(), 5);
    let copied = SqliteStore::open_in(target.path()).unwrap();
    let batch_row = copied
        .window(&HistoryFilter::default(), 0, 5)
        .unwrap()
        .into_iter()
        .find_map(|r| copied.get(r.id).unwrap().new.batch_id)
        .expect("a batch row");
    assert_eq!(copied.batch(&batch_row).unwrap().rows.len(), 2);
    let shown = kyc(target.path(), &["show", &h.user, "--json"]).expect(0);
    assert!(shown.stdout.contains("\"attempts\""), "{}", shown.stdout);

    let missing = kyc(
        target.path(),
        &["history", "import", "/nowhere/history.sqlite3"],
    )
    .expect(2);
    assert!(
        missing.stderr.contains("no such history file"),
        "{}",
        missing.stderr
    );

    if let Some(url) = common::postgres::fresh_database("history_import") {
        for expect_added in ["copied 5 of 5", "copied 0 of 5"] {
            let run = kyc(
                target.path(),
                &["--history-url", &url, "history", "import", file],
            )
            .expect(0);
            assert!(run.stderr.contains(expect_added), "{}", run.stderr);
        }
        let listed = kyc(target.path(), &["--history-url", &url, "history", "--json"]).expect(0);
        let rows: Vec<Value> = serde_json::from_str(&listed.stdout).unwrap();
        assert_eq!(rows.len(), 5);
    }
}
