//! A panic while the console runs: the terminal is given back (alternate screen left,
//! cooked mode) before anything is printed, the terminal gets one line saying where the
//! report is, and the log holds the report with a backtrace.
//!
//! Nothing in the binary panics on purpose, so the console here is this test binary run
//! again in a pseudo-terminal (util-linux `script`): it starts logging and the panic hook
//! as `main` does, opens the real console, and panics in another thread when told to.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::pty::{ENTER_ALT, LEAVE_ALT, script_available};
use common::{DEADLINE, holds, path_arg, wait_for_exit};
use kyc_console::paths::Paths;
use kyc_console::session::SessionOptions;
use kyc_console::{logging, tui};

/// Set (to the data directory) when this binary runs as the console that panics.
const CHILD_VAR: &str = "KYC_CONSOLE_TEST_PANIC_DATA";
/// The file whose appearance makes the child panic.
const TRIGGER: &str = "panic-now";
/// What the child panics with.
const PANIC_TEXT: &str = "deliberate panic for the crash report test";

/// The console that panics: run by the test below, inside the pseudo-terminal.
#[test]
#[ignore = "the console that panics; run by a_panic_restores_the_terminal_and_logs_a_backtrace"]
fn console_that_panics() {
    let Some(data) = std::env::var_os(CHILD_VAR).map(PathBuf::from) else {
        return;
    };
    let paths = Paths::under(&data);
    // As `main` does.
    logging::init(&paths.log_dir, None, 14).unwrap();
    logging::install_panic_hook(&paths.log_dir);
    let trigger = data.join(TRIGGER);
    std::thread::Builder::new()
        .name("crash-test".into())
        .spawn(move || {
            let deadline = Instant::now() + DEADLINE;
            while !trigger.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!("{PANIC_TEXT}");
        })
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(tui::run_console(&SessionOptions::default(), &paths));
    eprintln!("console ended: {result:?}");
}

#[test]
fn a_panic_restores_the_terminal_and_logs_a_backtrace() {
    if !script_available() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "util-linux `script` is needed for the pseudo-terminal; .ci/run installs bsdutils"
        );
        eprintln!("skipped: util-linux `script` is not installed, so no pseudo-terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let stty_file = dir.path().join("after.stty");
    let me = std::env::current_exe().unwrap();
    let inner = format!(
        "{CHILD_VAR}={} exec {} --exact console_that_panics --ignored --nocapture",
        path_arg(&data),
        path_arg(&me)
    );
    let outer = format!(
        "stty cols 120 rows 40; sh -c '{inner}'; stty -a > '{}'",
        path_arg(&stty_file)
    );
    let mut child = common::pty::spawn_in_script(&outer);
    let keys = child.stdin.take().unwrap();
    let mut out = child.stdout.take().unwrap();
    let screen = Arc::new(Mutex::new(Vec::new()));
    let sink = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    let bytes = || screen.lock().unwrap().clone();
    let deadline = Instant::now() + DEADLINE;
    while !(holds(&bytes(), ENTER_ALT) && holds(&bytes(), b"History")) {
        assert!(
            Instant::now() < deadline,
            "no first frame within {DEADLINE:?}:\n{}",
            String::from_utf8_lossy(&bytes())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = bytes().len();
    std::fs::write(data.join(TRIGGER), "").unwrap();
    let status = wait_for_exit(&mut child);
    drop(keys);
    reader.join().unwrap();
    assert!(status.success(), "script ended with {status}");

    let after = bytes()[before..].to_vec();
    let shown = String::from_utf8_lossy(&after);
    let left = find(&after, LEAVE_ALT).unwrap_or_else(|| {
        panic!("the alternate screen was not left:\n{shown}");
    });
    let said = find(&after, b"stopped on an internal error").unwrap_or_else(|| {
        panic!("the terminal was not told of the crash:\n{shown}");
    });
    assert!(
        left < said,
        "the crash was printed before the terminal was given back:\n{shown}"
    );
    assert!(shown.contains(PANIC_TEXT), "{shown}");
    assert!(
        shown.contains("the report, with a backtrace, is in the log"),
        "{shown}"
    );
    let stty = std::fs::read_to_string(&stty_file).unwrap();
    let modes: Vec<&str> = stty.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.contains(&mode),
            "the terminal is not back in cooked mode ({mode}):\n{stty}"
        );
    }

    let log = logs(&data.join("logs"));
    assert!(
        log.contains(PANIC_TEXT),
        "the panic is not in the log:\n{log}"
    );
    assert!(
        log.contains("panicked in thread \"crash-test\" at tests/panic_report.rs"),
        "the log does not say where:\n{log}"
    );
    assert!(
        log.contains("stack backtrace:") && log.contains("panic_report::console_that_panics"),
        "the log holds no backtrace down to the panicking function:\n{log}"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Every log file's text.
fn logs(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    text
}
