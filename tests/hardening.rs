//! Hostile clients and hostile files: the sandbox as a server facing clients that send
//! odd headers, wrong keys by the thousand, nothing at all or half a request; and the files
//! the tool leaves behind (history, exports, result files, logs, the sandbox's state), which
//! only their owner may read, with logs that do not pile up forever.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    BIN, Run, SandboxProcess, TestSandbox, bare, dirs_under, files_under, kyc, path_arg,
    random_user, sending, write_file,
};
use futures::StreamExt;
use kyc_console::sandbox::{SANDBOX_API_KEY, Sandbox, SandboxConfig};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// --- talking to a sandbox ---------------------------------------------------------------------

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, 0).await.expect("sandbox starts")
}

fn quick() -> SandboxConfig {
    SandboxConfig {
        gateway_timeout_delay: Duration::from_millis(50),
        ..SandboxConfig::default()
    }
}

fn endpoint(sandbox: &Sandbox) -> String {
    format!("{}/kycs", sandbox.base_url().as_str().trim_end_matches('/'))
}

fn body() -> Vec<u8> {
    json!({"userId": random_user(), "type": "full"})
        .to_string()
        .into_bytes()
}

/// Headers with the sandbox key and a JSON content type, plus `extra` (appended, so a name
/// given twice is sent twice).
fn headers(extra: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert("x-api-key", HeaderValue::from_static(SANDBOX_API_KEY));
    map.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in extra {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    map
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn pointers(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["pointer"].as_str().map(str::to_string))
            .collect()
    }

    fn id(&self) -> String {
        self.body["id"].as_str().expect("a verification id").into()
    }
}

async fn post_with(url: &str, headers: HeaderMap, body: Vec<u8>) -> Answer {
    let response = reqwest::Client::new()
        .post(url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the sandbox answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a whole body");
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// A request with the sandbox key, JSON, and `idem` as its idempotency key.
async fn post_key(sandbox: &Sandbox, idem: &str, body: &[u8]) -> Answer {
    post_with(
        &endpoint(sandbox),
        headers(&[("x-idempotency-key", idem.as_bytes())]),
        body.to_vec(),
    )
    .await
}

// --- the sandbox: headers -----------------------------------------------------------------------

#[tokio::test]
async fn an_idempotency_key_that_is_not_plain_ascii_empty_or_long_gets_400_naming_the_header() {
    let sandbox = start(quick()).await;
    let long = "k".repeat(65);
    let bad: [&[u8]; 6] = [
        "clé-1".as_bytes(),
        b"\xff\xfe\x80",
        b"",
        long.as_bytes(),
        b"two words",
        b"tab\there",
    ];
    for key in bad {
        // Sent twice: a key taken as absent would start two verifications.
        for _ in 0..2 {
            let answer = post_with(
                &endpoint(&sandbox),
                headers(&[("x-idempotency-key", key)]),
                body(),
            )
            .await;
            assert_eq!(answer.status, 400, "{key:?}: {}", answer.body);
            assert_eq!(answer.pointers(), ["header:x-idempotency-key"], "{key:?}");
            let detail = answer.body["detail"].as_str().unwrap();
            assert!(detail.contains("x-idempotency-key"), "{detail}");
        }
    }
    let twice = post_with(
        &endpoint(&sandbox),
        headers(&[("x-idempotency-key", b"one"), ("x-idempotency-key", b"two")]),
        body(),
    )
    .await;
    assert_eq!(twice.status, 400, "{}", twice.body);
    assert_eq!(twice.pointers(), ["header:x-idempotency-key"]);
    assert_eq!(sandbox.stats().verifications, 0);

    let fine = post_key(&sandbox, "a-UUID_or.anything~visible!", &body()).await;
    assert_eq!(fine.status, 201, "{}", fine.body);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_body_not_declared_json_gets_415() {
    let sandbox = start(quick()).await;
    let refused: [Option<&str>; 6] = [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
        Some(""),
    ];
    for content_type in refused {
        let mut map = headers(&[]);
        match content_type {
            Some(value) => {
                map.insert("content-type", HeaderValue::from_str(value).unwrap());
            }
            None => {
                map.remove("content-type");
            }
        }
        let answer = post_with(&endpoint(&sandbox), map, body()).await;
        assert_eq!(answer.status, 415, "{content_type:?}: {}", answer.body);
        assert_eq!(answer.pointers(), ["header:content-type"]);
        assert!(answer.headers.contains_key("x-request-id"));
    }
    assert_eq!(sandbox.stats().verifications, 0);
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let mut map = headers(&[]);
        map.insert("content-type", HeaderValue::from_static(content_type));
        let answer = post_with(&endpoint(&sandbox), map, body()).await;
        assert_eq!(answer.status, 201, "{content_type}: {}", answer.body);
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn a_body_larger_than_any_request_gets_413() {
    let sandbox = start(quick()).await;
    let mut huge = body();
    huge.resize(100 * 1024, b' ');
    let answer = post_with(&endpoint(&sandbox), headers(&[]), huge).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(sandbox.stats().verifications, 0);
    sandbox.stop().await;
}

// --- the sandbox: connections that hold it --------------------------------------------------------

fn timeouts(read_ms: u64, idle_ms: u64) -> SandboxConfig {
    SandboxConfig {
        read_timeout: Duration::from_millis(read_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        ..quick()
    }
}

/// Reads until the server closes the connection (or 10 s pass), returning what came and
/// how long it took from `since`.
async fn read_until_closed(stream: &mut TcpStream, since: Instant) -> (Vec<u8>, Duration) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Duration::from_secs(10);
    loop {
        let left = deadline.saturating_sub(since.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the connection was still open after {deadline:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(Ok(0) | Err(_)) => return (got, since.elapsed()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn head(sandbox: &Sandbox, content_length: usize) -> String {
    format!(
        "POST /v1/kycs HTTP/1.1\r\nhost: {}\r\nx-api-key: {SANDBOX_API_KEY}\r\n\
         content-type: application/json\r\ncontent-length: {content_length}\r\n\r\n",
        sandbox.addr()
    )
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let sandbox = start(timeouts(5_000, 300)).await;
    let clock = Instant::now();
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let (got, took) = read_until_closed(&mut stream, clock).await;
    assert!(got.is_empty(), "{got:?}");
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");

    // After an answer, a kept-alive connection is idle again and closed the same way.
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let body = body();
    let mut request = head(&sandbox, body.len()).into_bytes();
    request.extend_from_slice(&body);
    stream.write_all(&request).await.unwrap();
    let (got, _) = read_until_closed(&mut stream, Instant::now()).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 201"), "{text}");
    sandbox.stop().await;
}

#[tokio::test]
async fn a_half_sent_request_is_cut_off_after_the_read_timeout() {
    let sandbox = start(timeouts(300, 10_000)).await;
    // Half a head: the connection is closed.
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(b"POST /v1/kycs HTTP/1.1\r\nhost: x\r\nx-api-")
        .await
        .unwrap();
    let clock = Instant::now();
    let (_, took) = read_until_closed(&mut stream, clock).await;
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");

    // A whole head and half a body: 408, then closed.
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let body = body();
    let mut request = head(&sandbox, body.len()).into_bytes();
    request.extend_from_slice(&body[..10]);
    stream.write_all(&request).await.unwrap();
    let (got, _) = read_until_closed(&mut stream, Instant::now()).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("x-request-id"), "{text}");
    assert_eq!(sandbox.stats().verifications, 0);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_slow_answer_is_not_cut_off_by_the_timeouts() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_millis(700),
        ..timeouts(200, 200)
    })
    .await;
    let answer = post_key(&sandbox, "slow", &body()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    sandbox.stop().await;
}

#[test]
fn the_sandbox_command_takes_its_timeouts_and_time_to_live_in_seconds() {
    let sandbox = SandboxProcess::start_with(&[
        "--idle-timeout-secs",
        "1",
        "--read-timeout-secs",
        "1",
        "--idempotency-ttl-secs",
        "60",
        "--max-idempotency-keys",
        "10",
    ]);
    let addr = sandbox
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let took = runtime.block_on(async {
        let clock = Instant::now();
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        read_until_closed(&mut stream, clock).await.1
    });
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
    for flag in [
        "--idle-timeout-secs",
        "--read-timeout-secs",
        "--idempotency-ttl-secs",
        "--max-idempotency-keys",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let run = kyc(dir.path(), &["sandbox", "--port", "0", flag, "0"]);
        assert_eq!(run.code, 2, "{flag}: {run:?}");
        assert!(run.stderr.contains(flag), "{flag}: {}", run.stderr);
    }
}

// --- the sandbox: memory that stays bounded ---------------------------------------------------------

#[tokio::test]
async fn requests_with_wrong_keys_leave_nothing_behind() {
    let sandbox = start(quick()).await;
    let url = endpoint(&sandbox);
    let client = reqwest::Client::new();
    let statuses: Vec<u16> = futures::stream::iter(0..2000)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                client
                    .post(url)
                    .header("x-api-key", format!("sk_{}", uuid::Uuid::new_v4().simple()))
                    .header("x-idempotency-key", uuid::Uuid::new_v4().to_string())
                    .header("content-type", "application/json")
                    .body(body())
                    .send()
                    .await
                    .expect("an answer")
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let held = sandbox.footprint();
    assert_eq!(held.idempotency_keys, 0, "{held:?}");
    assert!(held.rate_windows <= 1, "one window shared by all: {held:?}");
    assert_eq!(sandbox.stats().requests, 2000);

    assert_eq!(post_key(&sandbox, "good", &body()).await.status, 201);
    let held = sandbox.footprint();
    assert_eq!((held.rate_windows, held.idempotency_keys), (2, 1));
    sandbox.stop().await;
}

#[tokio::test]
async fn idempotency_keys_expire_after_their_time_to_live() {
    let ttl = Duration::from_millis(400);
    let sandbox = start(SandboxConfig {
        idempotency_ttl: ttl,
        ..quick()
    })
    .await;
    let body = body();
    let first = post_key(&sandbox, "k", &body).await;
    assert_eq!(first.status, 201);
    let replay = post_key(&sandbox, "k", &body).await;
    assert_eq!(replay.id(), first.id());
    assert_eq!(replay.headers.get("x-idempotent-replayed").unwrap(), "true");
    for n in 0..50 {
        assert_eq!(
            post_key(&sandbox, &format!("other-{n}"), &body)
                .await
                .status,
            201
        );
    }
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;

    let again = post_key(&sandbox, "k", &body).await;
    assert_eq!(again.status, 201);
    assert_ne!(again.id(), first.id(), "an expired key is new again");
    assert!(again.headers.get("x-idempotent-replayed").is_none());
    assert_eq!(sandbox.key_stats("k").verifications, 1);
    assert_eq!(
        sandbox.footprint().idempotency_keys,
        1,
        "expired keys are swept"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn the_idempotency_keys_held_at_once_are_bounded() {
    let ttl = Duration::from_millis(600);
    let sandbox = start(SandboxConfig {
        idempotency_ttl: ttl,
        max_idempotency_keys: 3,
        ..quick()
    })
    .await;
    let body = body();
    let mut ids = Vec::new();
    for key in ["a", "b", "c"] {
        let answer = post_key(&sandbox, key, &body).await;
        assert_eq!(answer.status, 201);
        ids.push(answer.id());
    }
    let full = post_key(&sandbox, "d", &body).await;
    assert_eq!(full.status, 503, "{}", full.body);
    assert!(full.headers.contains_key("retry-after"));
    assert_eq!(sandbox.stats().verifications, 3);
    assert_eq!(sandbox.footprint().idempotency_keys, 3);
    // The keys it holds still replay: none was forgotten early.
    assert_eq!(post_key(&sandbox, "a", &body).await.id(), ids[0]);

    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    assert_eq!(post_key(&sandbox, "d", &body).await.status, 201);
    assert_eq!(sandbox.footprint().idempotency_keys, 1);
    sandbox.stop().await;
}

#[tokio::test]
async fn expired_keys_leave_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let ttl = Duration::from_millis(500);
    let config = || SandboxConfig {
        state_file: Some(path.clone()),
        idempotency_ttl: ttl,
        ..quick()
    };
    let sandbox = start(config()).await;
    let body = body();
    let first = post_key(&sandbox, "remembered-key", &body).await;
    assert_eq!(first.status, 201);
    sandbox.stop().await;
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("remembered-key")
    );

    // Within its time to live a restart replays it.
    let sandbox = start(config()).await;
    assert_eq!(
        post_key(&sandbox, "remembered-key", &body).await.id(),
        first.id()
    );
    sandbox.stop().await;

    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let sandbox = start(config()).await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("remembered-key"), "{text}");
    assert_eq!(sandbox.footprint().idempotency_keys, 0);
    let again = post_key(&sandbox, "remembered-key", &body).await;
    assert_ne!(again.id(), first.id());
    sandbox.stop().await;
}

// --- files only their owner can read ----------------------------------------------------------------

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file under `root` is 0600 and every folder (`root` included) 0700.
#[cfg(unix)]
fn assert_private(root: &Path) {
    let files = files_under(root);
    assert!(!files.is_empty(), "nothing under {}", root.display());
    let open: Vec<String> = files
        .iter()
        .filter(|f| mode(f) != 0o600)
        .map(|f| format!("{} {:o}", f.display(), mode(f)))
        .collect();
    assert!(open.is_empty(), "files others can read: {open:#?}");
    let mut dirs = dirs_under(root);
    dirs.push(root.to_path_buf());
    let open: Vec<String> = dirs
        .iter()
        .filter(|d| mode(d) != 0o700)
        .map(|d| format!("{} {:o}", d.display(), mode(d)))
        .collect();
    assert!(open.is_empty(), "folders others can enter: {open:#?}");
}

#[cfg(unix)]
#[test]
fn every_file_the_tool_writes_is_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = TestSandbox::start(SandboxConfig::default());
    let work = tempfile::tempdir().unwrap();
    // A data folder the tool creates, with a parent it creates too.
    let data = work.path().join("made/data");

    // The embedded sandbox (its state file), history, logs.
    let user = random_user();
    Run::lossy_of(bare(&data).args(["initiate", "--user-id", &user, "--type", "full"])).expect(0);
    // An ad-hoc target, and a batch writing result files; one written over a file others
    // could read.
    Run::lossy_of(sending(&data, &sandbox.base_url()).args([
        "initiate",
        "--user-id",
        &random_user(),
        "--type",
        "rfi",
    ]))
    .expect(0);
    let csv = data.join("results.csv");
    std::fs::write(&csv, "old").unwrap();
    std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o644)).unwrap();
    let jsonl = data.join("out/results.jsonl");
    std::fs::create_dir_all(jsonl.parent().unwrap()).unwrap();
    std::fs::set_permissions(
        jsonl.parent().unwrap(),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    for (n, out) in [&csv, &jsonl].into_iter().enumerate() {
        let ids: String = (0..3).map(|_| random_user() + "\n").collect();
        let list = write_file(work.path(), &format!("ids-{n}.txt"), ids.as_bytes());
        Run::lossy_of(sending(&data, &sandbox.base_url()).args([
            "batch",
            path_arg(&list),
            "--yes",
            "--out",
            path_arg(out),
        ]))
        .expect(0);
    }
    assert!(std::fs::read_to_string(&csv).unwrap().contains("initiated"));

    // The console's exports (`x` and `X`).
    let store = kyc_console::history::SqliteStore::open_in(&data).unwrap();
    for format in [
        kyc_console::history::export::ExportFormat::Csv,
        kyc_console::history::export::ExportFormat::Json,
    ] {
        let path = data.join(format!("kyc-history.{}", format.extension()));
        let rows = kyc_console::history::export::export(
            &store,
            &kyc_console::history::HistoryFilter::default(),
            format,
            &path,
        )
        .unwrap();
        assert!(rows >= 5, "{rows} rows");
    }
    drop(store);

    let names: Vec<String> = files_under(&data)
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "history.sqlite3",
        "sandbox-state.json",
        "results.csv",
        "kyc-history.json",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("kyc-console.log.")),
        "{names:?}"
    );
    assert_private(&work.path().join("made"));
}

#[cfg(unix)]
#[test]
fn the_usual_folders_are_created_for_the_owner_only() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(BIN);
    for var in common::CLEARED_VARS.into_iter().chain([
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    ]) {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home.path())
        .args(["history", "--json"])
        .stdin(std::process::Stdio::null());
    Run::lossy_of(&mut cmd).expect(0);
    let local = home.path().join(".local");
    assert!(local.join("share/kyc-console/history.sqlite3").exists());
    assert!(local.join("state/kyc-console/logs").is_dir());
    assert_private(&local);
}

// --- logs that do not pile up -------------------------------------------------------------------------

fn log_name(days_ago: u64) -> String {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(days_ago);
    format!("kyc-console.log.{}", day.format("%Y-%m-%d"))
}

/// Log files for each of `days_ago`, and a file of the operator's.
fn old_logs(data: &Path, days_ago: &[u64]) -> std::path::PathBuf {
    let logs = data.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for n in days_ago {
        std::fs::write(logs.join(log_name(*n)), "old line\n").unwrap();
    }
    std::fs::write(logs.join("notes.txt"), "mine").unwrap();
    logs
}

fn kept(logs: &Path, days_ago: &[u64]) -> Vec<u64> {
    days_ago
        .iter()
        .copied()
        .filter(|n| logs.join(log_name(*n)).exists())
        .collect()
}

#[test]
fn logs_are_kept_fourteen_days_unless_told_otherwise() {
    let days = [0, 1, 13, 14, 15, 400];
    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &days);
    kyc(data.path(), &["history", "--json"]).expect(0);
    assert_eq!(kept(&logs, &days), [0, 1, 13]);
    assert!(
        logs.join("notes.txt").exists(),
        "other files are left alone"
    );

    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &days);
    kyc(data.path(), &["--log-keep-days", "2", "history", "--json"]).expect(0);
    assert_eq!(kept(&logs, &days), [0, 1]);

    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &days);
    let mut cmd = bare(data.path());
    cmd.env("KYC_CONSOLE_LOG_KEEP_DAYS", "15")
        .args(["history", "--json"]);
    Run::lossy_of(&mut cmd).expect(0);
    assert_eq!(kept(&logs, &days), [0, 1, 13, 14]);

    let run = kyc(data.path(), &["--log-keep-days", "0", "history"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--log-keep-days"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn a_log_file_others_could_read_is_made_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let logs = old_logs(data.path(), &[0]);
    let today = logs.join(log_name(0));
    std::fs::set_permissions(&today, std::fs::Permissions::from_mode(0o644)).unwrap();
    kyc(data.path(), &["--log-level", "debug", "history", "--json"]).expect(0);
    assert_eq!(mode(&today), 0o600);
    assert!(
        std::fs::read_to_string(&today)
            .unwrap()
            .starts_with("old line\n")
    );
}
