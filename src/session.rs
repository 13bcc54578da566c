//! What every sending command opens first: the settings, the chosen profile (starting the
//! embedded sandbox when needed), one reusable client, the history store, and who sends.

use std::sync::Arc;

use std::path::PathBuf;

use crate::config::{self, Config, ConfigError, HistoryUrl, Profile};
use crate::history::{HistoryError, HistoryStore, PostgresStore, SqliteStore};
use crate::paths::Paths;
use crate::send::Destination;
use crate::target::{self, Opened, TargetChoice, TargetError, Targets};

/// Why a session could not open.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// What a session is opened with: the settings file (default: the platform's place) and
/// the target asked for.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    pub config: Option<PathBuf>,
    pub target: TargetChoice,
    /// A shared history asked for on the command line (`--history-url`) or in
    /// `KYC_CONSOLE_HISTORY_URL`; before the settings' `history_url`.
    pub history_url: Option<String>,
}

/// Settings, an opened profile and the history.
pub struct Session {
    pub config: Config,
    pub profile: Profile,
    pub opened: Opened,
    /// Where sends go, and who sends them.
    pub to: Destination,
    pub targets: Targets,
    pub store: Arc<dyn HistoryStore>,
}

impl Session {
    pub async fn open(options: &SessionOptions, paths: &Paths) -> Result<Session, SessionError> {
        let config = config::load(options.config.as_deref(), paths)?;
        let profile = target::choose(&options.target, &config)?;
        let store = open_history(options, &config, paths)?;
        let mut targets = Targets::in_data_dir(&paths.data_dir);
        let opened = targets.open(&profile).await?;
        let operator = config.operator.clone().unwrap_or_else(operator_name);
        let to = opened.destination(&operator);
        Ok(Session {
            config,
            profile: opened.profile.clone(),
            opened,
            to,
            targets,
            store,
        })
    }

    /// Stops the embedded sandbox, if one was started.
    pub async fn close(self) {
        self.targets.close().await;
    }
}

/// The variable read for the history database's password when the settings name none.
pub const HISTORY_PASSWORD_ENV: &str = "KYC_CONSOLE_HISTORY_PASSWORD";

/// Opens the history the flags and settings name: a PostgreSQL database shared by a team,
/// or (by default) the SQLite file in the data directory. A database that cannot be
/// reached is an error naming its host: nothing is sent without its write-ahead record.
pub fn open_history(
    options: &SessionOptions,
    config: &Config,
    paths: &Paths,
) -> Result<Arc<dyn HistoryStore>, SessionError> {
    let flagged = options
        .history_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| {
            HistoryUrl::parse(u).map_err(|e| {
                HistoryError::Storage(format!("--history-url / KYC_CONSOLE_HISTORY_URL: {e}"))
            })
        })
        .transpose()?;
    let Some(url) = flagged.or_else(|| config.history_url.clone()) else {
        return Ok(Arc::new(SqliteStore::open_in(&paths.data_dir)?));
    };
    let password = match &config.history_password_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            HistoryError::Storage(format!(
                "the password of the history database at {url} is read from the environment \
                 variable {var} (history_password_env), which is not set"
            ))
        })?),
        None => std::env::var(HISTORY_PASSWORD_ENV).ok(),
    };
    let operator = config.operator.clone().unwrap_or_else(operator_name);
    let store = PostgresStore::open(url.secret(), password.as_deref(), &operator)?;
    tracing::info!(history = %url, "history in PostgreSQL");
    Ok(Arc::new(store))
}

/// The operator's name: the OS user.
pub fn operator_name() -> String {
    whoami::username().unwrap_or_else(|_| "unknown".to_string())
}
