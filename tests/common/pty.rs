//! The console in a pseudo-terminal (util-linux `script`), for the tests of what it leaves
//! the terminal in.

use std::process::{Child, Command, Stdio};

use super::CLEARED_VARS;

/// Enters the alternate screen.
pub const ENTER_ALT: &[u8] = b"\x1b[?1049h";
/// Leaves it.
pub const LEAVE_ALT: &[u8] = b"\x1b[?1049l";

/// Whether `script` is there to give a pseudo-terminal.
pub fn script_available() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the shell command line `outer` in a pseudo-terminal, with the environment the
/// tests clear left out; its keys go to the child's stdin, the screen comes from stdout.
pub fn spawn_in_script(outer: &str) -> Child {
    let mut cmd = Command::new("script");
    for var in CLEARED_VARS {
        cmd.env_remove(var);
    }
    cmd.args(["-q", "-f", "-c", outer, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script runs")
}
