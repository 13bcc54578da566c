//! Settings: the operator, the default profile and type, and the profiles (targets with
//! their key sources). The console runs without any file: the built-in `sandbox` profile
//! is the embedded sandbox.

/// Errors naming the file, line and setting.
mod error;
/// Where a profile's API key comes from.
mod keys;
/// Reading `config.toml`.
mod parse;
/// The file as TOML, with the place of every key and value.
mod raw;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::ConfigError;
pub use keys::KeySource;
pub use parse::{has_credentials, parse, parse_all};

use crate::api::RetryPolicy;
use crate::domain::KycType;
use crate::paths::Paths;

/// The environment variable naming the settings file when `--config` is absent.
pub const CONFIG_ENV: &str = "KYC_CONSOLE_CONFIG";
/// The name of the built-in profile that targets the embedded sandbox.
pub const SANDBOX_PROFILE: &str = "sandbox";

/// Where a profile sends requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// The embedded sandbox, started on demand.
    Sandbox,
    /// A real API.
    Remote {
        base_url: url::Url,
        method: reqwest::Method,
        path: String,
    },
}

/// A named target with everything needed to send to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub endpoint: Endpoint,
    pub key: KeySource,
    /// Submitting here affects real users: always confirmed.
    pub production: bool,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Requests a minute this console allows itself (below the API's limit).
    pub rate_limit_per_minute: Option<u32>,
}

impl Profile {
    /// The built-in sandbox profile.
    pub fn sandbox() -> Profile {
        Profile {
            name: SANDBOX_PROFILE.to_string(),
            endpoint: Endpoint::Sandbox,
            key: KeySource::Sandbox,
            production: false,
            timeout: crate::api::DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            rate_limit_per_minute: None,
        }
    }

    /// `https://api…/v1` or `embedded sandbox`.
    pub fn describe_target(&self) -> String {
        match &self.endpoint {
            Endpoint::Sandbox => "embedded sandbox on 127.0.0.1".to_string(),
            Endpoint::Remote {
                base_url,
                method,
                path,
            } => format!("{method} {}{path}", base_url.as_str().trim_end_matches('/')),
        }
    }
}

/// The settings in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file they came from, if any.
    pub file: Option<PathBuf>,
    /// Recorded with every submission; the OS user when absent.
    pub operator: Option<String>,
    pub default_profile: String,
    pub default_type: KycType,
    /// The sandbox first, then the file's profiles in name order.
    pub profiles: Vec<Profile>,
    /// A shared history (PostgreSQL) instead of the SQLite file in the data directory.
    pub history_url: Option<HistoryUrl>,
    /// The environment variable holding the history database's password.
    pub history_password_env: Option<String>,
}

/// Where a shared history is: a `postgres://` URL. Shown (and debug-printed) with any
/// password masked.
#[derive(Clone, PartialEq, Eq)]
pub struct HistoryUrl(String);

impl HistoryUrl {
    /// A `postgres://` or `postgresql://` URL, or why it is not one.
    pub fn parse(text: &str) -> Result<HistoryUrl, String> {
        let text = text.trim();
        let parsed = url::Url::parse(text).map_err(|_| {
            "not a URL: use postgres://USER@HOST:PORT/DATABASE (leave it out to keep history \
             in the data directory)"
                .to_string()
        })?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(format!(
                "{}:// is not a history store: use postgres://USER@HOST:PORT/DATABASE",
                parsed.scheme()
            ));
        }
        Ok(HistoryUrl(text.to_string()))
    }

    /// The URL as given, password included: only for connecting.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn masked(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            }
            Err(_) => "(a URL that does not parse)".to_string(),
        }
    }
}

impl std::fmt::Debug for HistoryUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HistoryUrl({})", self.masked())
    }
}

impl std::fmt::Display for HistoryUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            operator: None,
            default_profile: SANDBOX_PROFILE.to_string(),
            default_type: KycType::Full,
            profiles: vec![Profile::sandbox()],
            history_url: None,
            history_password_env: None,
        }
    }
}

impl Config {
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                ConfigError::plain(
                    self.file.as_deref(),
                    format!(
                        "no profile named {name:?}; known profiles: {}",
                        self.profiles
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

/// Which settings file is read: `--config`, else `KYC_CONSOLE_CONFIG`, else the config
/// directory's `config.toml`. The flag and the variable must name an existing file.
pub fn locate(flag: Option<&Path>, paths: &Paths) -> (PathBuf, bool) {
    if let Some(path) = flag {
        return (path.to_path_buf(), true);
    }
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return (PathBuf::from(path), true);
    }
    (paths.config_file(), false)
}

/// The example settings file shipped with the binary, documenting every setting.
pub const EXAMPLE: &str = include_str!("../../assets/config.example.toml");

/// What `config check` reports: the file looked for, whether it exists, and the settings
/// or every problem found in them.
#[derive(Debug)]
pub struct Checked {
    pub file: PathBuf,
    pub found: bool,
    pub result: Result<Config, Vec<ConfigError>>,
}

/// Reads and checks the settings, keeping every problem (see [`load`] for which file).
pub fn check(flag: Option<&Path>, paths: &Paths) -> Checked {
    let (path, required) = locate(flag, paths);
    let (found, result) = match std::fs::read_to_string(&path) {
        Ok(text) => (
            true,
            parse_all(&text, &path, keys::readable_by_others(&path)),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            (false, Ok(Config::default()))
        }
        Err(e) => (
            path.exists(),
            Err(vec![ConfigError::plain(
                Some(&path),
                format!("cannot read the settings file: {e}"),
            )]),
        ),
    };
    Checked {
        file: path,
        found,
        result,
    }
}

/// Loads the settings (defaults when the usual file does not exist).
pub fn load(flag: Option<&Path>, paths: &Paths) -> Result<Config, ConfigError> {
    let (path, required) = locate(flag, paths);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path, keys::readable_by_others(&path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Config::default()),
        Err(e) => Err(ConfigError::plain(
            Some(&path),
            format!("cannot read the settings file: {e}"),
        )),
    }
}
