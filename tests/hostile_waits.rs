//! Hostile servers, played on loopback by a raw TCP server in this test, against the built
//! binary: rate-limit resets and `Retry-After` values no clock can hold, waits far beyond
//! `max_wait_secs`, redirects to another port, successes whose id is lost in a huge body or
//! missing, and settings out of bounds. Every run must end without a panic, in bounded
//! time, with the outcome recorded and explained as it happened.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BIN, KEY_VAR, Run, bare, files_holding, history, id_list, path_arg, random_user};
use kyc_console::sandbox::SANDBOX_API_KEY;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// No run here may take longer: the waits asked for are days, the cap is 2 s.
const BOUND: Duration = Duration::from_secs(30);
/// The cap the settings give.
const MAX_WAIT_SECS: u64 = 2;

// --- the hostile server ----------------------------------------------------------------------

/// What the server answers to request number `n` (0-based).
type Respond = Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>;

/// A raw HTTP/1.1 server on loopback that answers as told and keeps every request's head.
struct Hostile {
    _runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    respond: Arc<Mutex<Respond>>,
    heads: Arc<Mutex<Vec<String>>>,
    hits: Arc<AtomicUsize>,
}

impl Hostile {
    fn start(respond: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static) -> Hostile {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let respond: Arc<Mutex<Respond>> = Arc::new(Mutex::new(Arc::new(respond)));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (r, h, n) = (respond.clone(), heads.clone(), hits.clone());
        runtime.spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (r, h, n) = (r.clone(), h.clone(), n.clone());
                tokio::spawn(async move {
                    let Some(head) = read_request(&mut socket).await else {
                        return;
                    };
                    let number = n.fetch_add(1, Ordering::SeqCst);
                    h.lock().unwrap().push(head);
                    let respond = r.lock().unwrap().clone();
                    let bytes = respond(number);
                    // A client that stops reading (the body past its cap) is no failure.
                    let _ = socket.write_all(&bytes).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Hostile {
            _runtime: runtime,
            addr,
            respond,
            heads,
            hits,
        }
    }

    /// From now on, answer like this.
    fn answer(&self, respond: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static) {
        *self.respond.lock().unwrap() = Arc::new(respond);
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The `x-idempotency-key` of every request, in order.
    fn keys(&self) -> Vec<String> {
        self.heads
            .lock()
            .unwrap()
            .iter()
            .filter_map(|head| {
                head.lines().find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("x-idempotency-key")
                        .then(|| value.trim().to_string())
                })
            })
            .collect()
    }
}

/// Reads one request (head and `content-length` body); returns its head.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(head)
}

/// A whole response: status line, the headers given, the body with its length.
fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A 201 with a verification id, and the rate-limit headers given.
fn created(n: usize, rate: &[(&str, &str)]) -> Vec<u8> {
    let body = format!(r#"{{"id":"kyc-hostile-{n}","status":"pending","url":"http://w/{n}"}}"#);
    let mut headers = vec![
        ("content-type", "application/json"),
        ("x-request-id", "req-hostile"),
    ];
    headers.extend_from_slice(rate);
    http("201 Created", &headers, body.as_bytes())
}

// --- running the binary, bounded --------------------------------------------------------------

/// Settings with one profile, `hostile`, pointing at `base_url`, waiting at most 2 s.
fn settings(dir: &Path, base_url: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[profiles.hostile]\nbase_url = \"{base_url}\"\napi_key_env = \"{KEY_VAR}\"\n\
             max_wait_secs = {MAX_WAIT_SECS}\nmax_retries = 3\ntimeout_secs = 10\n"
        ),
    )
    .unwrap();
    path
}

/// `kyc-console --data-dir DATA --config CONFIG --profile hostile ARGS`, with the key set.
fn hostile_cmd(data: &Path, config: &Path, args: &[&str]) -> Command {
    let mut cmd = bare(data);
    cmd.env(KEY_VAR, SANDBOX_API_KEY)
        .args(["--config", path_arg(config), "--profile", "hostile"])
        .args(args);
    cmd
}

/// Runs to the end within [`BOUND`] (killed and failed otherwise), and asserts it did not
/// panic.
fn bounded(cmd: &mut Command) -> (Run, Duration) {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run did not end within {BOUND:?}: it is waiting on the server");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    };
    assert_ne!(run.code, 101, "a panic:\n{run:#?}");
    assert!(!run.stderr.contains("panicked"), "a panic:\n{run:#?}");
    (run, took)
}

/// `sh -c COMMAND` with the binary on `PATH` as `kyc-console`: a printed command, run as
/// printed.
fn as_printed(command: &str) -> Command {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", command])
        .env("PATH", path)
        .env(KEY_VAR, SANDBOX_API_KEY)
        .stdin(Stdio::null());
    for var in common::CLEARED_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The text between the first backquotes after `after`.
fn quoted_after<'a>(text: &'a str, after: &str) -> &'a str {
    let rest = &text[text
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {text}"))..];
    let start = rest.find('`').expect("a quoted command") + 1;
    let len = rest[start..].find('`').expect("its end");
    &rest[start..start + len]
}

/// The number right after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> u64 {
    let rest = &text[text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} in {text}"))
        + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

fn outcomes(rows: &[Value]) -> Vec<String> {
    let mut all: Vec<String> = rows
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect();
    all.sort();
    all
}

// --- 1 and 2. rate-limit resets no clock can hold, and waits beyond the cap ----------------------

#[test]
fn a_batch_told_to_wait_beyond_max_wait_stops_and_prints_how_to_resume() {
    for reset in [u64::MAX, i64::MAX as u64, 999_999] {
        let dir = tempfile::tempdir().unwrap();
        let server = Hostile::start(move |n| {
            let reset = reset.to_string();
            created(
                n,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", reset.as_str()),
                ],
            )
        });
        let config = settings(dir.path(), &server.base_url());
        let (ids, _) = id_list(dir.path(), 3);
        let (run, took) = bounded(&mut hostile_cmd(
            dir.path(),
            &config,
            &["batch", path_arg(&ids), "--yes", "--concurrency", "1"],
        ));
        assert_eq!(run.code, 1, "not every row was initiated:\n{run:#?}");
        assert!(took < BOUND, "{took:?}");
        assert_eq!(
            server.hits(),
            1,
            "nothing sent after the answer that said to wait"
        );
        let asked = number_after(&run.stderr, "stopped sending: the server asked to wait ");
        assert!(
            reset - asked <= 5,
            "the server's own number: {asked} for {reset}"
        );
        assert!(
            run.stderr.contains(&format!(
                "s, more than max_wait_secs {MAX_WAIT_SECS}; rows in flight finished and 2 row(s) were not sent"
            )),
            "{}",
            run.stderr
        );
        let rows = history(dir.path());
        assert_eq!(outcomes(&rows), ["initiated", "not sent", "not sent"]);

        // The printed command resumes it, as printed, once the server lets it.
        let resume = quoted_after(&run.stderr, "resume later with");
        assert!(
            resume.starts_with("kyc-console batch --resume b-")
                && resume.contains(" --profile hostile --config ")
                && resume.contains(" --data-dir "),
            "{resume}"
        );
        if reset == 999_999 {
            server.answer(|n| {
                created(
                    n,
                    &[
                        ("x-ratelimit-remaining", "100"),
                        ("x-ratelimit-reset", "60"),
                    ],
                )
            });
            let (again, _) = bounded(&mut as_printed(&format!("{resume} --yes")));
            assert_eq!(again.code, 0, "{again:#?}");
            assert_eq!(server.hits(), 3, "only the two rows never sent");
            let rows = history(dir.path());
            assert_eq!(outcomes(&rows), ["initiated", "initiated", "initiated"]);
        }
    }
}

#[test]
fn a_batch_row_told_to_retry_after_days_stops_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let server = Hostile::start(|_| {
        http(
            "503 Service Unavailable",
            &[("retry-after", "999999"), ("x-request-id", "req-busy")],
            b"down for maintenance",
        )
    });
    let config = settings(dir.path(), &server.base_url());
    let (ids, _) = id_list(dir.path(), 3);
    let (run, took) = bounded(&mut hostile_cmd(
        dir.path(),
        &config,
        &["batch", path_arg(&ids), "--yes", "--concurrency", "1"],
    ));
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(took < BOUND);
    assert_eq!(server.hits(), 1, "one attempt, then nothing more");
    assert!(
        run.stderr.contains(
            "stopped sending: the server asked to wait 999999 s, more than max_wait_secs 2"
        ),
        "{}",
        run.stderr
    );
    let rows = history(dir.path());
    assert_eq!(outcomes(&rows), ["not sent", "not sent", "transient"]);
    assert!(
        run.stderr.contains("kyc-console batch --resume b-"),
        "{}",
        run.stderr
    );
}

#[test]
fn one_submission_told_to_wait_beyond_max_wait_stops_and_says_so() {
    // The status line, the headers that ask for a wait, and the seconds asked.
    type Case = (&'static str, Vec<(&'static str, &'static str)>, u64);
    let cases: [Case; 4] = [
        (
            "503 Service Unavailable",
            vec![("retry-after", "999999")],
            999_999,
        ),
        (
            "429 Too Many Requests",
            vec![("retry-after", "18446744073709551615")],
            u64::MAX,
        ),
        (
            "503 Service Unavailable",
            vec![("retry-after", "99999999999999999999999")],
            u64::MAX,
        ),
        (
            "429 Too Many Requests",
            vec![
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "9223372036854775807"),
            ],
            i64::MAX as u64,
        ),
    ];
    for (status, headers, asked) in cases {
        let dir = tempfile::tempdir().unwrap();
        let owned: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let server = Hostile::start(move |_| {
            let mut h: Vec<(&str, &str)> = owned
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            h.push(("x-request-id", "req-wait"));
            http(status, &h, b"come back later")
        });
        let config = settings(dir.path(), &server.base_url());
        let user = random_user();
        let (run, took) = bounded(&mut hostile_cmd(
            dir.path(),
            &config,
            &["initiate", "--user-id", &user, "--type", "full"],
        ));
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(took < BOUND);
        assert_eq!(server.hits(), 1, "{status} {headers:?}: one attempt only");
        assert!(
            run.stdout.contains(&format!(
                "the server asked to wait {asked} s, more than max_wait_secs {MAX_WAIT_SECS}, \
                 so retrying stopped after 1 attempt: nothing more was sent"
            )),
            "{status} {headers:?}:\n{}",
            run.stdout
        );
        assert!(!run.stdout.contains("retried after"), "{}", run.stdout);
        let rows = history(dir.path());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["outcome"], "transient");
        assert_eq!(rows[0]["attempts"], 1);
        // Read back from the history file, the stop and its reason are still there.
        let (show, _) = bounded(bare(dir.path()).args(["show", "1"]));
        assert!(
            show.stdout.contains(&format!(
                "the server asked to wait {asked} s, more than max_wait_secs {MAX_WAIT_SECS}"
            )),
            "{}",
            show.stdout
        );
        let retry = quoted_after(&run.stdout, "  retry later   ");
        assert!(
            retry.starts_with("kyc-console retry 1 --profile hostile --config "),
            "{retry}"
        );

        // Retried later as printed: the same idempotency key, and the answer settles it.
        server.answer(|n| created(n, &[]));
        let (again, _) = bounded(&mut as_printed(retry));
        assert_eq!(again.code, 0, "{again:#?}");
        let keys = server.keys();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], keys[1], "the same idempotency key");
        assert_eq!(history(dir.path())[0]["outcome"], "initiated");
    }
}

#[test]
fn a_wait_within_max_wait_is_waited_out_and_the_json_names_the_retry_command() {
    let dir = tempfile::tempdir().unwrap();
    let server = Hostile::start(|n| {
        if n == 0 {
            http("503 Service Unavailable", &[("retry-after", "1")], b"busy")
        } else {
            http(
                "503 Service Unavailable",
                &[("retry-after", "3")],
                b"busier",
            )
        }
    });
    let config = settings(dir.path(), &server.base_url());
    let user = random_user();
    let (run, took) = bounded(&mut hostile_cmd(
        dir.path(),
        &config,
        &["initiate", "--user-id", &user, "--type", "full", "--json"],
    ));
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        took >= Duration::from_secs(1),
        "Retry-After 1 is waited out"
    );
    assert!(took < BOUND);
    assert_eq!(server.hits(), 2);
    let out = run.json();
    assert_eq!(out["outcome"], "transient");
    assert_eq!(out["attempts"].as_array().unwrap().len(), 2);
    let meaning = out["meaning"].as_str().unwrap();
    assert!(
        meaning.contains(
            "the server asked to wait 3 s, more than max_wait_secs 2, so retrying stopped after \
             2 attempts: nothing more was sent"
        ),
        "{meaning}"
    );
    let command = out["retry_command"].as_str().unwrap();
    assert!(command.starts_with("kyc-console retry 1 "), "{command}");
}

// --- 3. redirects -----------------------------------------------------------------------------

#[test]
fn a_redirect_to_another_port_is_named_recorded_and_never_followed() {
    for (status, code) in [
        ("307 Temporary Redirect", 307),
        ("308 Permanent Redirect", 308),
        ("302 Found", 302),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let bait = Hostile::start(|n| created(n, &[]));
        let location = format!("{}/kycs", bait.base_url());
        let to = location.clone();
        let server = Hostile::start(move |_| {
            http(
                status,
                &[("location", to.as_str()), ("x-request-id", "req-moved")],
                b"",
            )
        });
        let config = settings(dir.path(), &server.base_url());
        let user = random_user();
        let (run, took) = bounded(&mut hostile_cmd(
            dir.path(),
            &config,
            &["initiate", "--user-id", &user, "--type", "full"],
        ));
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(took < BOUND);
        let said = format!(
            "the server redirected to {location}; not followed, so the API key went nowhere else"
        );
        assert!(run.stdout.contains(&said), "{status}:\n{}", run.stdout);
        assert_eq!(server.hits(), 1);
        assert_eq!(
            bait.hits(),
            0,
            "{status}: nothing arrived at the other port"
        );
        let rows = history(dir.path());
        assert_eq!(rows[0]["outcome"], "rejected");
        assert_eq!(rows[0]["status"], code);
        let (show, _) = bounded(bare(dir.path()).args(["show", "1"]));
        assert!(show.stdout.contains(&said), "{}", show.stdout);
    }
}

// --- 4. lost ids ------------------------------------------------------------------------------

/// Padding longer than the 1 MiB kept of a body.
fn padding() -> String {
    "x".repeat(2 * 1024 * 1024)
}

#[test]
fn a_success_keeps_its_id_however_long_its_body() {
    let first = format!(
        r#"{{"id":"kyc-first","status":"pending","url":"http://w/first","padding":"{}"}}"#,
        padding()
    );
    let late = format!(
        r#"{{"padding":"{}","user":{{"id":"usr-not-this"}},"id":"kyc-late","status":"pending","url":"http://w/late"}}"#,
        padding()
    );
    for (body, id) in [(first, "kyc-first"), (late, "kyc-late")] {
        let dir = tempfile::tempdir().unwrap();
        let body = Arc::new(body);
        let server = Hostile::start(move |_| {
            http(
                "201 Created",
                &[
                    ("content-type", "application/json"),
                    ("x-request-id", "req-big"),
                ],
                body.as_bytes(),
            )
        });
        let config = settings(dir.path(), &server.base_url());
        let user = random_user();
        let (run, took) = bounded(&mut hostile_cmd(
            dir.path(),
            &config,
            &["initiate", "--user-id", &user, "--type", "full"],
        ));
        assert_eq!(run.code, 0, "{run:#?}");
        assert!(took < BOUND);
        assert!(
            run.stdout.contains(&format!("verification  {id}")),
            "{}",
            run.stdout
        );
        let rows = history(dir.path());
        assert_eq!(rows[0]["outcome"], "initiated");
        assert_eq!(rows[0]["verification_id"], id);
        // Read back from the history file, not from memory.
        let (show, _) = bounded(bare(dir.path()).args(["show", "1", "--json"]));
        let shown: Value = serde_json::from_str(&show.stdout).unwrap();
        let start: String = show.stdout.chars().take(400).collect();
        assert_eq!(shown["verification_id"], id, "{start}");
        assert_eq!(shown["attempts"][0]["body_truncated"], true);
    }
}

#[test]
fn a_success_without_an_id_names_the_request_id_to_look_it_up_by() {
    let cases: [(&str, &[u8], &str); 4] = [
        ("text/plain", b"created", "its body is not JSON"),
        (
            "application/json",
            br#"{"status":"pending"}"#,
            "its JSON body has no top-level \"id\"",
        ),
        ("application/json", b"", "the response had no body"),
        (
            "application/json",
            b"[\"kyc-1\"]",
            "its JSON body is not an object",
        ),
    ];
    for (n, (content_type, body, why)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let request_id = format!("req-noid-{n}");
        let rid = request_id.clone();
        let server = Hostile::start(move |_| {
            http(
                "201 Created",
                &[
                    ("content-type", content_type),
                    ("x-request-id", rid.as_str()),
                ],
                body,
            )
        });
        let config = settings(dir.path(), &server.base_url());
        let user = random_user();
        let (run, took) = bounded(&mut hostile_cmd(
            dir.path(),
            &config,
            &["initiate", "--user-id", &user, "--type", "full"],
        ));
        assert_eq!(run.code, 0, "initiated all the same:\n{run:#?}");
        assert!(took < BOUND);
        assert!(
            run.stdout.contains("201 Created (no verification id)"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(&format!(
                "the verification was started, but {why}, so there is no verification id"
            )),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(&format!(
                "look it up with the platform by request id {request_id}"
            )),
            "{}",
            run.stdout
        );
        let rows = history(dir.path());
        assert_eq!(rows[0]["outcome"], "initiated");
        assert_eq!(rows[0]["verification_id"], Value::Null);
        assert_eq!(rows[0]["request_id"], request_id.as_str());
        let (table, _) = bounded(bare(dir.path()).arg("history"));
        assert!(
            table
                .stdout
                .contains(&format!("no verification id; request id {request_id}")),
            "{}",
            table.stdout
        );
    }
}

// --- 5. settings out of bounds ----------------------------------------------------------------

#[test]
fn settings_out_of_bounds_name_the_setting_the_line_and_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let head = format!(
        "[profiles.p]\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key_env = \"{KEY_VAR}\"\n"
    );
    let cases = [
        (
            "timeout_secs = 5e-324",
            "line 4: profiles.p.timeout_secs: must be from 1 to 600 seconds, not 5e-324",
        ),
        (
            "rate_limit_per_minute = 4294967295",
            "line 4: profiles.p.rate_limit_per_minute: must be from 1 to 100,000 a minute, not 4294967295",
        ),
        (
            "max_wait_secs = 86401",
            "line 4: profiles.p.max_wait_secs: must be from 1 to 86,400 seconds, not 86401",
        ),
        (
            "max_wait_secs = 0",
            "line 4: profiles.p.max_wait_secs: must be from 1 to 86,400 seconds, not 0",
        ),
    ];
    for (line, expected) in cases {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, format!("{head}{line}\n")).unwrap();
        let (run, _) =
            bounded(bare(dir.path()).args(["--config", path_arg(&config), "config", "check"]));
        assert_eq!(run.code, 2, "{run:#?}");
        assert!(run.stderr.contains(expected), "{expected}:\n{}", run.stderr);
    }
}

#[test]
fn credentials_in_a_base_url_are_refused_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("creds.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.p]\napi_key_env = \"{KEY_VAR}\"\nbase_url = \"https://alice:hunter2-s3cr3t@api.example/v1\"\n"
        ),
    )
    .unwrap();
    let (run, _) =
        bounded(bare(dir.path()).args(["--config", path_arg(&config), "config", "check"]));
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(
        run.stderr
            .contains("line 3: profiles.p.base_url: must not hold credentials"),
        "{}",
        run.stderr
    );
    run.assert_no_key("hunter2-s3cr3t");

    // On the command line too, and nothing is sent or kept.
    let bait = Hostile::start(|n| created(n, &[]));
    let url = format!("http://alice:hunter2-s3cr3t@{}/v1", bait.addr);
    let data = dir.path().join("data");
    let (run, _) = bounded(
        bare(&data)
            .env(KEY_VAR, SANDBOX_API_KEY)
            .args(["--base-url", &url, "--api-key-env", KEY_VAR])
            .args(["initiate", "--user-id", &random_user(), "--type", "full"]),
    );
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(
        run.stderr.contains("--base-url must not hold credentials"),
        "{}",
        run.stderr
    );
    run.assert_no_key("hunter2-s3cr3t");
    assert_eq!(bait.hits(), 0);
    if data.exists() {
        assert_eq!(
            files_holding(&data, "hunter2-s3cr3t"),
            Vec::<PathBuf>::new()
        );
    }
}
