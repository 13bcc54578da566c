//! A hostile server cannot drive the operator's terminal: escape sequences in a response
//! (the verification's id, status and url, the request id, other headers, error bodies)
//! reach no human output of the built binary, neither when it is received (`initiate`) nor
//! from the stored copy (`show`, `history`); the batch preview echoes no input line raw;
//! values are shown with visible escapes and long ones cut with a marker, while `--json`
//! and `--csv` keep every value exactly.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Output;

use common::{bare, path_arg, sending, write_file};
use kyc_console::domain::{VALUE_LIMIT, needs_escape, safe_lines, safe_text, safe_text_within};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// OSC 52: writes "rm -rf ~" to the clipboard of a terminal that allows it, ended by BEL.
const OSC52: &str = "\u{1b}]52;c;cm0gLXJmIH4=\u{7}";
/// Clears the screen and homes the cursor.
const CLEAR: &str = "\u{1b}[2J\u{1b}[H";
/// The one-character CSI of C1, and a right-to-left override.
const C1_BIDI: &str = "\u{9b}31m\u{202e}";

/// The hostile verification: every field a sequence.
fn hostile_id() -> String {
    format!("kyc-{OSC52}-1")
}
fn hostile_status() -> String {
    format!("{CLEAR}pending")
}
fn hostile_url() -> String {
    format!("https://evil.example/{C1_BIDI}exe.fdp")
}
/// One megabyte of id.
fn huge_id() -> String {
    format!("kyc-{}", "9".repeat(1_000_000))
}

/// A user the hostile server answers `code` for (its last three digits).
fn user(code: u16) -> String {
    format!("usr-3f0e8d4a-5b6c-4d7e-8f90-000000000{code:03}")
}

// --- the hostile server ----------------------------------------------------------------------

/// A raw HTTP server on loopback answering by the user id's last three digits: 201 with a
/// hostile verification, 202 → a 201 with a 1 MB id, 400 problem+json, 503 text. It
/// serves as long as its runtime lives.
struct Hostile {
    _runtime: tokio::runtime::Runtime,
    url: String,
}

impl Hostile {
    fn start() -> Hostile {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream));
            }
        });
        Hostile {
            _runtime: runtime,
            url,
        }
    }
}

async fn answer(mut stream: TcpStream) {
    let mut read = Vec::new();
    let mut chunk = [0u8; 4096];
    let body_at = loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        read.extend_from_slice(&chunk[..n]);
        if let Some(at) = read.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&read[..body_at]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while read.len() < body_at + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => read.extend_from_slice(&chunk[..n]),
        }
    }
    let body: Value = serde_json::from_slice(&read[body_at..]).unwrap_or(Value::Null);
    let user_id = body["userId"].as_str().unwrap_or_default();
    let code = &user_id[user_id.len().saturating_sub(3)..];
    let (status, content_type, body): (&str, &str, Vec<u8>) = match code {
        "201" => (
            "201 Created",
            "application/json",
            json!({"id": hostile_id(), "status": hostile_status(), "url": hostile_url()})
                .to_string()
                .into_bytes(),
        ),
        "202" => (
            "201 Created",
            "application/json",
            json!({"id": huge_id(), "status": "pending", "url": "https://ok.example/v"})
                .to_string()
                .into_bytes(),
        ),
        "400" => (
            "400 Bad Request",
            "application/problem+json",
            json!({
                "title": format!("Invalid {CLEAR}request"),
                "detail": format!("bad user {OSC52}"),
                "errors": [{"pointer": "#/userId", "detail": format!("no user {C1_BIDI}")}],
            })
            .to_string()
            .into_bytes(),
        ),
        _ => (
            "503 Service Unavailable",
            "text/plain",
            format!("maintenance {CLEAR}{OSC52}\r\nback soon {C1_BIDI}\u{8}\u{8}\n").into_bytes(),
        ),
    };
    // Header values take C1 and bidi bytes (obs-text); an ESC there is refused by the
    // client's parser, so the sequences a header can carry are these.
    let mut response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         x-request-id: req-{C1_BIDI}9\r\nx-evil: {C1_BIDI}\r\nretry-after: 0\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

// --- what a run printed ----------------------------------------------------------------------

/// A finished run, its output kept as bytes.
struct Printed {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Printed {
    fn of(output: Output) -> Printed {
        Printed {
            code: output.status.code().expect("an exit code"),
            stdout: output.stdout,
            stderr: output.stderr,
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("UTF-8 stdout")
    }

    fn stderr(&self) -> String {
        String::from_utf8(self.stderr.clone()).expect("UTF-8 stderr")
    }
}

fn run(cmd: &mut std::process::Command) -> Printed {
    Printed::of(cmd.output().expect("the binary runs"))
}

/// Whether a character may act on a terminal: any control but the newline that ends a
/// printed line, and the bidi controls. Written apart from the code under test.
fn acts_on_a_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Asserts that text for people holds no ESC byte, no C1 control and nothing else that
/// acts on a terminal.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    assert!(
        !bytes.contains(&0x1b),
        "{what}: an ESC byte:\n{}",
        String::from_utf8_lossy(bytes)
    );
    let text =
        String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    let found: Vec<String> = text
        .chars()
        .filter(|&c| acts_on_a_terminal(c))
        .map(|c| c.escape_unicode().to_string())
        .collect();
    assert!(found.is_empty(), "{what}: {found:?} in\n{text}");
}

fn assert_all_safe(what: &str, printed: &Printed) {
    assert_terminal_safe(&format!("{what} stdout"), &printed.stdout);
    assert_terminal_safe(&format!("{what} stderr"), &printed.stderr);
}

/// The submission number `initiate` printed: `history  #3 (…)`.
fn submission_number(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("history"))
        .and_then(|rest| rest.trim().strip_prefix('#'))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no submission number in\n{stdout}"))
        .to_string()
}

// --- the tests -------------------------------------------------------------------------------

#[test]
fn hostile_responses_reach_no_human_output_and_json_and_csv_stay_exact() {
    let server = Hostile::start();
    let data = tempfile::tempdir().unwrap();
    let initiate = |code: u16| {
        run(sending(data.path(), &server.url).args([
            "initiate",
            "--user-id",
            &user(code),
            "--type",
            "full",
        ]))
    };

    // Received: a success whose every field is a sequence.
    let created = initiate(201);
    assert_eq!(created.code, 0, "{}", created.stderr());
    assert_all_safe("initiate 201", &created);
    let out = created.stdout();
    assert!(out.contains("kyc-\\x1b]52;c;cm0gLXJmIH4=\\x07-1"), "{out}");
    assert!(out.contains("\\x1b[2J\\x1b[Hpending"), "{out}");
    assert!(
        out.contains("https://evil.example/\\u{9b}31m\\u{202e}exe.fdp"),
        "{out}"
    );
    assert!(out.contains("req-\\u{9b}31m\\u{202e}9"), "{out}");
    let hostile = submission_number(&out);

    // A megabyte of id, cut with a marker.
    let huge = initiate(202);
    assert_eq!(huge.code, 0, "{}", huge.stderr());
    assert_all_safe("initiate 1 MB id", &huge);
    let out = huge.stdout();
    assert!(out.contains("…(+"), "{}", &out[..out.len().min(2000)]);
    assert!(out.len() < 4 * VALUE_LIMIT, "{} bytes printed", out.len());
    let huge_number = submission_number(&out);

    // Refusals: a problem+json and a text body.
    let refused = initiate(400);
    assert_eq!(refused.code, 1, "{}", refused.stderr());
    assert_all_safe("initiate 400", &refused);
    assert!(
        refused.stdout().contains("bad user \\x1b]52;c;"),
        "{}",
        refused.stdout()
    );
    assert!(
        refused.stdout().contains("no user \\u{9b}31m\\u{202e}"),
        "{}",
        refused.stdout()
    );
    let refused_number = submission_number(&refused.stdout());
    let unavailable = initiate(503);
    assert_eq!(unavailable.code, 1, "{}", unavailable.stderr());
    assert_all_safe("initiate 503", &unavailable);
    assert!(
        unavailable.stdout().contains("\\x1b[2J"),
        "{}",
        unavailable.stdout()
    );
    let unavailable_number = submission_number(&unavailable.stdout());

    // From the stored copy.
    let show = |id: &str| run(bare(data.path()).args(["show", id]));
    for id in [&hostile, &huge_number, &refused_number, &unavailable_number] {
        let shown = show(id);
        assert_eq!(shown.code, 0, "{}", shown.stderr());
        assert_all_safe(&format!("show {id}"), &shown);
        assert!(
            shown.stdout().contains("\\u{9b}31m\\u{202e}"),
            "{}",
            shown.stdout()
        );
    }
    let shown = show(&hostile).stdout();
    assert!(
        shown.contains("webview       https://evil.example/\\u{9b}31m"),
        "{shown}"
    );
    assert!(shown.contains("x-evil: \\u{9b}31m\\u{202e}"), "{shown}");
    let shown = show(&huge_number).stdout();
    assert!(shown.contains("…(+"), "{}", &shown[..shown.len().min(2000)]);
    assert!(shown.len() < 20_000, "{} bytes printed", shown.len());
    let shown = show(&unavailable_number).stdout();
    assert!(
        shown.contains("maintenance \\x1b[2J\\x1b[H\\x1b]52;c;"),
        "{shown}"
    );
    assert!(
        shown.contains("back soon \\u{9b}31m\\u{202e}\\x08\\x08"),
        "{shown}"
    );

    let listed = run(bare(data.path()).args(["history"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr());
    assert_all_safe("history", &listed);
    let table = listed.stdout();
    assert!(
        table.contains("kyc-\\x1b]52;c;cm0gLXJmIH4=\\x07-1"),
        "{table}"
    );
    assert!(table.contains("…(+"), "the 1 MB id is cut");
    assert!(table.len() < 20_000, "{} bytes printed", table.len());

    // Scripts get every value exactly.
    let json = run(bare(data.path()).args(["show", &hostile, "--json"]));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["verification_id"], json!(hostile_id()));
    assert_eq!(v["attempts"][0]["body"]["status"], json!(hostile_status()));
    assert_eq!(v["attempts"][0]["body"]["url"], json!(hostile_url()));
    assert_eq!(v["request_id"], json!(format!("req-{C1_BIDI}9")));
    assert!(!json.stdout.contains(&0x1b), "JSON escapes ESC");
    let json = run(bare(data.path()).args(["show", &huge_number, "--json"]));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["verification_id"], json!(huge_id()));
    let json = run(bare(data.path()).args(["history", "--json"]));
    let rows: Value = serde_json::from_slice(&json.stdout).unwrap();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["verification_id"].as_str())
        .collect();
    assert!(ids.contains(&hostile_id().as_str()) && ids.contains(&huge_id().as_str()));

    let csv = run(bare(data.path()).args(["history", "--csv"]));
    assert_eq!(csv.code, 0);
    let text = csv.stdout();
    assert!(
        text.contains(&hostile_id()),
        "the CSV keeps the exact bytes"
    );
    assert!(text.contains(&hostile_url()));
    assert!(text.contains(&huge_id()));
}

#[test]
fn the_batch_preview_echoes_no_input_line_raw() {
    let data = tempfile::tempdir().unwrap();
    let mut input = String::new();
    input.push_str(&format!("usr-{OSC52}{CLEAR}\n"));
    input.push_str(&format!("usr-3f0e8d4a{C1_BIDI}\n"));
    input.push_str(&format!("usr-{}\n", "a".repeat(1_000_000)));
    input.push_str("usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6\n");
    let file = write_file(data.path(), "ids.txt", input.as_bytes());
    let preview = run(bare(data.path()).args(["batch", path_arg(&file), "--preview"]));
    assert_eq!(preview.code, 0, "{}", preview.stderr());
    assert_all_safe("batch --preview", &preview);
    let shown = preview.stderr();
    assert!(
        shown.contains("usr-\\x1b]52;c;cm0gLXJmIH4=\\x07"),
        "{shown}"
    );
    assert!(shown.contains("usr-3f0e8d4a\\u{9b}31m\\u{202e}"), "{shown}");
    assert!(shown.contains("…(+"), "the 1 MB line is cut: {shown}");
    assert!(
        shown.len() < 5_000,
        "{} bytes printed:\n{shown}",
        shown.len()
    );
}

#[test]
fn config_check_shows_what_the_file_holds_as_visible_escapes() {
    let data = tempfile::tempdir().unwrap();
    let valid = write_file(
        data.path(),
        "valid.toml",
        b"operator = \"\\u001b]52;c;aGk=\\u0007op\"\n\n[profiles.staging]\n\
          base_url = \"http://127.0.0.1:9/v1\"\napi_key_env = \"X\\u009bY\"\n",
    );
    let checked = run(bare(data.path()).args(["--config", path_arg(&valid), "config", "check"]));
    assert_eq!(checked.code, 0, "{}", checked.stderr());
    assert_all_safe("config check", &checked);
    assert!(
        checked
            .stdout()
            .contains("operator  \\x1b]52;c;aGk=\\x07op"),
        "{}",
        checked.stdout()
    );
    assert!(
        checked.stdout().contains("X\\u{9b}Y"),
        "{}",
        checked.stdout()
    );

    let invalid = write_file(
        data.path(),
        "invalid.toml",
        b"[profiles.\"st\\u001b[2Jg\"]\nbase_url = \"http://127.0.0.1:9/v1\"\n",
    );
    let refused = run(bare(data.path()).args(["--config", path_arg(&invalid), "config", "check"]));
    assert_eq!(refused.code, 2, "{}", refused.stderr());
    assert_all_safe("config check of an invalid file", &refused);
    assert!(
        refused.stderr().contains("st\\x1b[2Jg"),
        "{}",
        refused.stderr()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever comes in, nothing that acts on a terminal comes out, the result stays
    /// within its limit, and making it safe twice changes nothing.
    #[test]
    fn safe_text_lets_nothing_through(text in any::<String>(), limit in 0usize..2000) {
        let once = safe_text_within(&text, limit);
        prop_assert!(!once.chars().any(acts_on_a_terminal), "{once:?}");
        prop_assert!(!once.chars().any(needs_escape));
        prop_assert!(once.len() <= limit.max(kyc_console::domain::MIN_LIMIT));
        prop_assert_eq!(safe_text_within(&once, limit), once.as_ref());
        let lines = safe_lines(&text, limit);
        prop_assert!(lines.split('\n').all(|l| !l.chars().any(acts_on_a_terminal)));
        prop_assert_eq!(safe_lines(&lines, limit), lines.as_ref());
    }

    #[test]
    fn safe_text_keeps_plain_text(text in "[ -~é✓日本]{0,200}") {
        prop_assert_eq!(safe_text(&text), text.as_str());
    }
}
