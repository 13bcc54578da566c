//! Where a profile's API key comes from. The value is read only when the profile is used,
//! and it is only ever held as an [`ApiKey`], which never prints.

use std::path::Path;
use std::process::{Command, Stdio};

use super::ConfigError;
use crate::api::ApiKey;

/// A key source.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The embedded sandbox's fixed key.
    Sandbox,
    /// An environment variable.
    Env(String),
    /// A command run once (e.g. a password manager); its trimmed stdout is the key.
    Command(String),
    /// Written in the settings file (allowed only when the file is private).
    Literal(ApiKey),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl KeySource {
    /// Where the key comes from, without its value.
    pub fn describe(&self) -> String {
        match self {
            KeySource::Sandbox => "the sandbox's built-in key".to_string(),
            KeySource::Env(name) => format!("environment variable {name}"),
            KeySource::Command(cmd) => format!("command `{}`", shown_command(cmd)),
            KeySource::Literal(key) => {
                format!("written in the settings file ({})", key.masked_hint())
            }
        }
    }

    /// Reads the key. `sandbox_key` is the embedded sandbox's, for [`KeySource::Sandbox`].
    pub fn resolve(&self, profile: &str, sandbox_key: Option<&str>) -> Result<ApiKey, ConfigError> {
        let fail =
            |message: String| ConfigError::plain(None, format!("profile {profile}: {message}"));
        match self {
            KeySource::Sandbox => sandbox_key
                .map(ApiKey::new)
                .ok_or_else(|| fail("the sandbox is not running".into())),
            KeySource::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(ApiKey::new(v.trim())),
                Ok(_) => Err(fail(format!(
                    "the environment variable {name} is empty: it must hold the API key"
                ))),
                Err(_) => Err(fail(format!(
                    "the environment variable {name} is not set: export it with the API key (api_key_env)"
                ))),
            },
            KeySource::Command(cmd) => {
                let shown = shown_command(cmd);
                let output = shell(cmd)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .output()
                    .map_err(|e| fail(format!("cannot run api_key_command `{shown}`: {e}")))?;
                if !output.status.success() {
                    let err = String::from_utf8_lossy(&output.stderr);
                    return Err(fail(format!(
                        "api_key_command `{shown}` failed ({}): {}",
                        output.status,
                        err.trim().lines().next().unwrap_or("no message")
                    )));
                }
                let key = String::from_utf8_lossy(&output.stdout).trim().to_string();
                if key.is_empty() {
                    return Err(fail(format!(
                        "api_key_command `{shown}` printed nothing: it must print the API key"
                    )));
                }
                Ok(ApiKey::new(key))
            }
            KeySource::Literal(key) => Ok(key.clone()),
        }
    }
}

/// A key command as it may be shown: a word that looks like a key itself (as in
/// `printf sk_live_…`) keeps only its last four characters, like any key on screen.
/// A key-looking word has 16 or more letters, digits and `_-.+`, with at least one letter
/// and one digit; paths (with `/`) and `$VARIABLES` are shown as written.
fn shown_command(cmd: &str) -> String {
    fn key_like(word: &str, after: Option<char>) -> bool {
        word.chars().count() >= 16
            && !matches!(after, Some('$' | '{'))
            && !word.contains('/')
            && word.chars().any(|c| c.is_ascii_alphabetic())
            && word.chars().any(|c| c.is_ascii_digit())
    }
    let mut out = String::with_capacity(cmd.len());
    let mut word = String::new();
    let mut before_word = None;
    let flush = |word: &mut String, before: Option<char>, out: &mut String| {
        if key_like(word, before) {
            out.push_str(&ApiKey::new(word.as_str()).masked_hint());
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    let mut prev = None;
    for c in cmd.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '/' | '~') {
            if word.is_empty() {
                before_word = prev;
            }
            word.push(c);
        } else {
            flush(&mut word, before_word, &mut out);
            out.push(c);
        }
        prev = Some(c);
    }
    flush(&mut word, before_word, &mut out);
    out
}

#[cfg(unix)]
fn shell(cmd: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(cmd);
    c
}

#[cfg(not(unix))]
fn shell(cmd: &str) -> Command {
    let mut c = Command::new("cmd");
    c.arg("/C").arg(cmd);
    c
}

/// The file's mode when others (group or world) can read it, else `None`.
pub fn readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
