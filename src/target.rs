//! Choosing where requests go (a profile, or an ad-hoc `--base-url`), and opening it:
//! starting the embedded sandbox when needed and reading the profile's key once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::api::{ApiClient, ApiKey, ClientError, ClientOptions, Target};
use crate::config::{Config, ConfigError, Endpoint, KeySource, Profile, has_credentials};
use crate::production::is_production_url;
use crate::sandbox::{SANDBOX_STATE_FILE, Sandbox, SandboxConfig};
use crate::send::Destination;

/// The name an ad-hoc `--base-url` target goes by.
pub const CUSTOM_PROFILE: &str = "custom";

/// Why no target could be opened.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("--base-url {0:?} is not a valid URL: {1}")]
    BadUrl(String, url::ParseError),
    #[error(
        "--base-url must not hold credentials (user:password@): they would be sent and printed; \
         pass the API key with --api-key-env NAME"
    )]
    Credentials,
    #[error("--base-url must be http or https, not {0:?}")]
    BadScheme(String),
    #[error("--base-url needs an API key: pass --api-key-env NAME with the variable that holds it")]
    NoKey,
    #[error("choose either --profile or --base-url, not both")]
    ProfileAndUrl,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot start the embedded sandbox: {0}")]
    Sandbox(std::io::Error),
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Which target the operator asked for, by name or by URL (the command line's
/// `--profile`, `--base-url` and `--api-key-env`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetChoice {
    pub profile: Option<String>,
    pub base_url: Option<String>,
    /// The environment variable holding the key, overriding the profile's key source.
    pub api_key_env: Option<String>,
}

/// The profile asked for: by name, else an ad-hoc profile for a base URL, else the
/// settings' default. A key variable given overrides the key source.
pub fn choose(choice: &TargetChoice, config: &Config) -> Result<Profile, TargetError> {
    let mut profile = match (&choice.profile, &choice.base_url) {
        (Some(_), Some(_)) => return Err(TargetError::ProfileAndUrl),
        (Some(name), None) => config.profile(name)?.clone(),
        (None, Some(raw)) => {
            if has_credentials(raw) {
                // Never echoed: the value holds a secret.
                return Err(TargetError::Credentials);
            }
            let url = url::Url::parse(raw).map_err(|e| TargetError::BadUrl(raw.clone(), e))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(TargetError::BadScheme(url.scheme().to_string()));
            }
            let name = choice.api_key_env.clone().ok_or(TargetError::NoKey)?;
            Profile {
                name: CUSTOM_PROFILE.to_string(),
                production: is_production_url(&url),
                endpoint: Endpoint::Remote {
                    base_url: url,
                    method: reqwest::Method::POST,
                    path: "/kycs".to_string(),
                },
                key: KeySource::Env(name),
                ..Profile::sandbox()
            }
        }
        (None, None) => config.profile(&config.default_profile)?.clone(),
    };
    if let Some(name) = &choice.api_key_env {
        profile.key = KeySource::Env(name.clone());
    }
    Ok(profile)
}

/// The identity of the embedded sandbox, whatever port it has this time.
pub const EMBEDDED_SANDBOX: &str = "embedded sandbox";

/// A target's stable identity: what the duplicate guard is scoped to and what a retry
/// with the same key must match. The embedded sandbox is one target across restarts (its
/// memory is kept in the data directory); anything else is its method and canonical URL.
pub fn identity(profile: &Profile, target: &Target) -> String {
    match profile.endpoint {
        Endpoint::Sandbox => EMBEDDED_SANDBOX.to_string(),
        Endpoint::Remote { .. } => {
            let endpoint = target.endpoint();
            let canonical = url::Url::parse(&endpoint).map_or(endpoint, |u| u.to_string());
            format!("{} {canonical}", target.method)
        }
    }
}

/// A profile opened for sending.
#[derive(Debug, Clone)]
pub struct Opened {
    pub profile: Profile,
    pub target: Target,
    pub client: ApiClient,
}

impl Opened {
    /// Where sends go through this profile, and who sends them.
    pub fn destination(&self, operator: &str) -> Destination {
        Destination {
            client: self.client.clone(),
            profile: self.profile.name.clone(),
            target: identity(&self.profile, &self.target),
            production: self.profile.production,
            operator: operator.to_string(),
            key_env: match (&self.profile.key, self.profile.name == CUSTOM_PROFILE) {
                (KeySource::Env(name), true) => Some(name.clone()),
                _ => None,
            },
        }
    }
}

/// Opens profiles, keeping one embedded sandbox and each key read once per session.
#[derive(Default)]
pub struct Targets {
    sandbox: Option<Sandbox>,
    keys: HashMap<String, ApiKey>,
    /// Where the embedded sandbox keeps its memory; none keeps it in the process.
    sandbox_state: Option<PathBuf>,
}

impl Targets {
    /// An opener whose embedded sandbox forgets everything when the process ends.
    pub fn new() -> Targets {
        Targets::default()
    }

    /// An opener whose embedded sandbox keeps its memory in the data directory: an outcome
    /// left unknown is replayed after a restart, never initiated again.
    pub fn in_data_dir(data_dir: &Path) -> Targets {
        Targets {
            sandbox_state: Some(data_dir.join(SANDBOX_STATE_FILE)),
            ..Targets::default()
        }
    }

    /// Opens a profile: its target, its key (read once), and a client for it.
    pub async fn open(&mut self, profile: &Profile) -> Result<Opened, TargetError> {
        let base_url = match &profile.endpoint {
            Endpoint::Sandbox => self.sandbox().await?.base_url(),
            Endpoint::Remote { base_url, .. } => base_url.clone(),
        };
        let key = match self.keys.get(&profile.name) {
            Some(key) => key.clone(),
            None => {
                let sandbox_key = self.sandbox.as_ref().map(|s| s.api_key().to_string());
                let source = profile.key.clone();
                let name = profile.name.clone();
                // A key command may take a while (a password manager): keep the runtime free.
                let key = tokio::task::spawn_blocking(move || {
                    source.resolve(&name, sandbox_key.as_deref())
                })
                .await
                .map_err(|e| ConfigError::plain(None, e.to_string()))??;
                self.keys.insert(profile.name.clone(), key.clone());
                key
            }
        };
        let mut target = Target::new(base_url, key);
        if let Endpoint::Remote { method, path, .. } = &profile.endpoint {
            target.method = method.clone();
            target.path = path.clone();
        }
        let options = ClientOptions {
            timeout: profile.timeout,
            retry: profile.retry,
            rate_limit_per_minute: profile.rate_limit_per_minute,
            ..ClientOptions::default()
        };
        let client = ApiClient::new(target.clone(), options)?;
        Ok(Opened {
            profile: profile.clone(),
            target,
            client,
        })
    }

    async fn sandbox(&mut self) -> Result<&Sandbox, TargetError> {
        if self.sandbox.is_none() {
            let config = SandboxConfig {
                state_file: self.sandbox_state.clone(),
                ..SandboxConfig::default()
            };
            let started = match Sandbox::start(config, 0).await {
                // Another console on this data directory has the file: this one's sandbox
                // keeps its memory in the process (history still guards against twice).
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    tracing::warn!(error = %e, "embedded sandbox memory kept in this process only");
                    Sandbox::start(SandboxConfig::default(), 0).await
                }
                other => other,
            }
            .map_err(TargetError::Sandbox)?;
            for warning in started.warnings() {
                tracing::warn!(%warning, "embedded sandbox");
            }
            self.sandbox = Some(started);
        }
        self.sandbox
            .as_ref()
            .ok_or_else(|| TargetError::Sandbox(std::io::Error::other("sandbox not started")))
    }

    /// Stops the embedded sandbox, if one was started.
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.stop().await;
        }
    }
}
