//! The console stopped by a signal: the built binary runs in a pseudo-terminal (util-linux
//! `script`), sends a verification the embedded sandbox holds (504 after a delay, retried),
//! and gets SIGHUP, SIGINT, SIGQUIT or SIGTERM while it is in flight. Each time the process
//! ends on its own, leaves the alternate screen, gives the terminal back in cooked mode,
//! and the submission in flight is in history with its outcome recorded: nothing is lost.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::pty::{ENTER_ALT, LEAVE_ALT, script_available};
use common::{BIN, DEADLINE, history, holds, path_arg, try_count, wait_for_exit};

/// The sandbox answers this user 504 after a delay, and the client retries: seconds in flight.
const SLOW_USER: &str = "usr-00000000-0000-4000-8000-000000000504";

/// Everything the pseudo-terminal showed so far.
#[derive(Clone, Default)]
struct Screen(Arc<Mutex<Vec<u8>>>);

impl Screen {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    fn wait_for(&self, what: &str, mut done: impl FnMut(&[u8]) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(&self.bytes()) {
            assert!(
                Instant::now() < deadline,
                "no {what} within {DEADLINE:?}:\n{}",
                String::from_utf8_lossy(&self.bytes())
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "no {what} within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the console in a 120x40 pseudo-terminal, sends a slow verification, and stops it
/// with `signal` while it is in flight.
fn stopped_by(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pid_file = dir.path().join("console.pid");
    let code_file = dir.path().join("console.code");
    let stty_file = dir.path().join("after.stty");
    // The console runs in the foreground of the terminal (its pid written by the shell
    // it replaces); once it ends, the terminal's mode is read from the same terminal.
    // Temporary paths hold no quote or space.
    let inner = format!(
        "echo $$ > {}; exec {BIN} --data-dir {}",
        path_arg(&pid_file),
        path_arg(&data)
    );
    let outer = format!(
        "stty cols 120 rows 40; sh -c '{inner}'; echo $? > '{}'; stty -a > '{}'",
        path_arg(&code_file),
        path_arg(&stty_file)
    );
    let mut child = common::pty::spawn_in_script(&outer);
    let mut keys = child.stdin.take().unwrap();
    let mut out = child.stdout.take().unwrap();
    let screen = Screen::default();
    let sink = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.0.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });

    // Raw mode is on once the first frame is drawn: keys reach the console as keys.
    screen.wait_for("first frame", |b| {
        holds(b, ENTER_ALT) && holds(b, b"History")
    });
    keys.write_all(SLOW_USER.as_bytes()).unwrap();
    keys.write_all(b"\x13").unwrap(); // Ctrl-S
    keys.flush().unwrap();
    let in_flight =
        "SELECT count(*) FROM submissions WHERE dispatched_at IS NOT NULL AND outcome IS NULL";
    wait_until("a submission in flight", || {
        try_count(&data, in_flight).unwrap_or(0) == 1
    });

    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let before = screen.bytes().len();
    let sent = Command::new("kill")
        .args([format!("-{signal}"), pid.trim().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal} {pid}");
    let status = wait_for_exit(&mut child);
    drop(keys);
    reader.join().unwrap();
    assert!(status.success(), "{signal}: script ended with {status}");

    let code = std::fs::read_to_string(&code_file).unwrap();
    assert_eq!(code.trim(), "0", "{signal}: the console's exit status");
    let after = &screen.bytes()[before..];
    assert!(
        holds(after, LEAVE_ALT),
        "{signal}: the alternate screen was not left:\n{}",
        String::from_utf8_lossy(after)
    );
    let stty = std::fs::read_to_string(&stty_file).unwrap();
    let modes: Vec<&str> = stty.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.contains(&mode),
            "{signal}: the terminal is not back in cooked mode ({mode}):\n{stty}"
        );
    }

    assert_recorded(signal, &data);
}

/// The submission in flight is in history, its outcome recorded as unknown and its last
/// attempt as cut off.
fn assert_recorded(signal: &str, data: &Path) {
    let rows = history(data);
    assert_eq!(rows.len(), 1, "{signal}: {rows:?}");
    let row = &rows[0];
    assert_eq!(row["user_id"], SLOW_USER, "{signal}: {row}");
    assert_eq!(row["outcome"], "unknown", "{signal}: {row}");
    assert_eq!(row["failure"], "cancelled", "{signal}: {row}");
}

#[test]
fn every_stopping_signal_restores_the_terminal_and_records_what_was_in_flight() {
    if !script_available() {
        // CI installs it (`.ci/run`); elsewhere a missing tool skips, saying so.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "util-linux `script` is needed for the pseudo-terminal; .ci/run installs bsdutils"
        );
        eprintln!("skipped: util-linux `script` is not installed, so no pseudo-terminal");
        return;
    }
    for signal in ["HUP", "INT", "QUIT", "TERM"] {
        stopped_by(signal);
    }
}
