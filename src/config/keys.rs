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
            KeySource::Command(cmd) => format!("command `{cmd}`"),
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
                let output = shell(cmd)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .output()
                    .map_err(|e| fail(format!("cannot run api_key_command `{cmd}`: {e}")))?;
                if !output.status.success() {
                    let err = String::from_utf8_lossy(&output.stderr);
                    return Err(fail(format!(
                        "api_key_command `{cmd}` failed ({}): {}",
                        output.status,
                        err.trim().lines().next().unwrap_or("no message")
                    )));
                }
                let key = String::from_utf8_lossy(&output.stdout).trim().to_string();
                if key.is_empty() {
                    return Err(fail(format!(
                        "api_key_command `{cmd}` printed nothing: it must print the API key"
                    )));
                }
                Ok(ApiKey::new(key))
            }
            KeySource::Literal(key) => Ok(key.clone()),
        }
    }
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
