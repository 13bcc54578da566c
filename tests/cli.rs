//! The built binary's `initiate` command against its embedded sandbox: exit codes, the
//! `--json` report, input errors, API keys from the environment, and the log file.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{random_user, run};
use kyc_console::sandbox::SANDBOX_API_KEY;
use serde_json::Value;
use tempfile::TempDir;

/// A variable no test sets, so `--api-key-env` finds it missing.
const UNSET_VAR: &str = "KYC_CONSOLE_TEST_NEVER_SET_7F3A";
const WRONG_KEY: &str = "sk_wrong_key_from_the_env_51c0";

fn on_demand(status: u16) -> String {
    kyc_console::domain::error_on_demand_id(status).to_string()
}

/// `kyc-console --data-dir <dir> initiate <args>` with a clean environment for our variables.
fn initiate(dir: &TempDir, args: &[&str]) -> Command {
    let mut cmd = common::console(dir.path(), &["initiate"]);
    cmd.env_remove(UNSET_VAR).args(args);
    cmd
}

/// Every log file under `<data-dir>/logs/`, concatenated.
fn logs(dir: &Path) -> String {
    let log_dir = dir.join("logs");
    let mut text = String::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&log_dir).expect("the log directory exists") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            files += 1;
            text.push_str(&std::fs::read_to_string(&path).expect("a readable log"));
        }
    }
    assert!(files > 0, "no log file in {}", log_dir.display());
    text
}

#[test]
fn a_valid_request_is_initiated_with_exit_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let user = random_user();
    let run = run(initiate(&dir, &["--user-id", &user, "--type", "full"]));
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("201 Created"), "{}", run.stdout);
    assert!(run.stdout.contains("kyc-"), "{}", run.stdout);
    assert!(run.stdout.contains("request id"), "{}", run.stdout);
    assert!(!run.stdout.contains(SANDBOX_API_KEY));
    assert!(!run.stderr.contains(SANDBOX_API_KEY));
}

#[test]
fn a_refusal_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run(initiate(
        &dir,
        &["--user-id", &on_demand(403), "--type", "full"],
    ));
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("403 Forbidden"), "{}", run.stdout);
    assert!(run.stdout.contains("request id"), "{}", run.stdout);
}

#[test]
fn an_invalid_user_id_exits_2_and_sends_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run(initiate(&dir, &["--user-id", "usr-123", "--type", "full"]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("7/40"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // No sandbox was even started.
    assert!(!logs(dir.path()).contains("attempt finished"));
}

#[test]
fn success_as_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let user = random_user();
    let run = run(initiate(
        &dir,
        &[
            "--user-id",
            &user,
            "--type",
            "shipping",
            "--redirect-uri",
            "https://example.com/done",
            "--json",
        ],
    ));
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert!(
        !run.stdout.contains(SANDBOX_API_KEY),
        "the API key is in stdout"
    );
    let out = run.json();
    assert_eq!(out["sent"], true);
    assert_eq!(out["outcome"], "initiated");
    assert_eq!(out["status"], 201);
    assert_eq!(out["profile"], "sandbox");
    let id = out["verification"]["id"].as_str().expect("verification id");
    assert!(id.starts_with("kyc-"), "{id}");
    assert_eq!(out["verification"]["status"], "pending");
    assert!(out["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    let key = out["idempotency_key"].as_str().expect("idempotency key");
    assert!(uuid::Uuid::parse_str(key).is_ok(), "{key}");
    let attempts = out["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["status"], 201);
    assert_eq!(attempts[0]["request_id"], out["request_id"]);
    assert_eq!(out["body"]["userId"], user.as_str());
    assert_eq!(out["body"]["redirectUri"], "https://example.com/done");
    assert_eq!(out["body_truncated"], false);

    let request = &out["request"];
    assert_eq!(request["method"], "POST");
    assert!(
        request["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/kycs"))
    );
    let headers = request["headers"].as_array().expect("headers");
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h[0] == name)
            .and_then(|h| h[1].as_str())
    };
    assert_eq!(
        header("x-api-key"),
        Some(kyc_console::api::KEY_MASK),
        "x-api-key is masked"
    );
    assert_eq!(header("x-idempotency-key"), Some(key));
    let sent: Value = serde_json::from_str(request["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(sent["type"], "shipping");
}

#[test]
fn a_server_error_as_json_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run(initiate(
        &dir,
        &["--user-id", &on_demand(500), "--type", "full", "--json"],
    ));
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let out = run.json();
    assert_eq!(out["sent"], true);
    assert_eq!(out["outcome"], "server_error");
    assert_eq!(out["status"], 500);
    assert_eq!(out["title"], "500 Internal Server Error");
    assert!(out["verification"].is_null());
    assert_eq!(out["attempts"].as_array().expect("attempts").len(), 1);
    assert_eq!(out["body"]["error"]["code"], "internal_error");
    assert!(out["request_id"].as_str().is_some());
}

#[test]
fn invalid_input_as_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run(initiate(
        &dir,
        &["--user-id", "usr-123", "--type", "full", "--json"],
    ));
    assert_eq!(run.code, 2);
    let out = run.json();
    assert_eq!(out["sent"], false);
    assert_eq!(out["outcome"], "invalid");
    assert_eq!(out["error"]["field"], "user_id");
    assert!(
        out["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("7/40"))
    );
    assert!(out["error"]["hint"].as_str().is_some_and(|h| !h.is_empty()));
}

#[test]
fn an_unknown_type_exits_2_naming_the_allowed_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run(initiate(
        &dir,
        &["--user-id", &random_user(), "--type", "passport"],
    ));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid value 'passport' for '--type <TYPE>'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("[possible values: full, shipping, rfi, import]"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_relative_redirect_uri_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run(initiate(
        &dir,
        &[
            "--user-id",
            &random_user(),
            "--type",
            "full",
            "--redirect-uri",
            "/done",
            "--json",
        ],
    ));
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["error"]["field"], "redirect_uri");
}

#[test]
fn a_missing_key_variable_exits_2_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = initiate(&dir, &["--user-id", &random_user(), "--type", "full"]);
    cmd.arg("--api-key-env").arg(UNSET_VAR);
    let run = run(cmd);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(UNSET_VAR), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
}

#[test]
fn a_wrong_key_from_the_environment_gets_401() {
    let dir = tempfile::tempdir().expect("temp dir");
    let var = "KYC_CONSOLE_TEST_WRONG_KEY";
    let mut cmd = initiate(
        &dir,
        &[
            "--user-id",
            &random_user(),
            "--type",
            "full",
            "--api-key-env",
            var,
            "--log-level",
            "trace",
        ],
    );
    cmd.env(var, WRONG_KEY);
    let run = run(cmd);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("401"), "{}", run.stdout);
    for (name, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("log", &logs(dir.path())),
    ] {
        assert!(!text.contains(WRONG_KEY), "the key is in {name}");
    }
}

#[test]
fn the_log_file_never_holds_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let user = random_user();
    let run = run(initiate(
        &dir,
        &[
            "--user-id",
            &user,
            "--type",
            "full",
            "--json",
            "--log-level",
            "trace",
        ],
    ));
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let log = logs(dir.path());
    assert!(log.contains("attempt finished"), "the log is empty:\n{log}");
    assert!(!log.contains(SANDBOX_API_KEY), "the API key is in the log");
}

/// A loopback port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `initiate` sent to `base_url` with a key from the environment.
fn initiate_at(dir: &TempDir, base_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::from_std(common::sending(dir.path(), base_url));
    cmd.arg("initiate").args(args);
    cmd
}

#[test]
fn a_refused_connection_is_not_sent_and_safe_to_send_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base_url = format!("http://127.0.0.1:{}/v1", closed_port());
    let run = run(initiate_at(
        &dir,
        &base_url,
        &["--user-id", &random_user(), "--type", "full"],
    ));
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("✗ not sent"), "{}", run.stdout);
    assert!(run.stdout.contains("safe to send again"), "{}", run.stdout);
    assert!(
        run.stdout.contains("nothing reached the platform"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("unknown"), "{}", run.stdout);

    let run = self::run(initiate_at(
        &dir,
        &base_url,
        &["--user-id", &random_user(), "--type", "full", "--json"],
    ));
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let out = run.json();
    assert_eq!(out["outcome"], "not_sent");
    assert_eq!(out["sent"], false);
    assert!(out["status"].is_null());
    assert!(
        out["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("safe to send again")),
        "{out:#}"
    );
    let attempts = out["attempts"].as_array().expect("attempts");
    assert!(attempts.len() > 1, "retried: {out:#}");
    assert!(
        attempts.iter().all(|a| a["failure"] == "not_sent"),
        "{out:#}"
    );
}
