//! What every sending command opens first: the settings, the chosen profile (starting the
//! embedded sandbox when needed), one reusable client, the history store, and who sends.

use std::sync::Arc;

use std::path::PathBuf;

use crate::config::{self, Config, ConfigError, Profile};
use crate::history::{HistoryError, SqliteStore};
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
}

/// Settings, an opened profile and the history.
pub struct Session {
    pub config: Config,
    pub profile: Profile,
    pub opened: Opened,
    /// Where sends go, and who sends them.
    pub to: Destination,
    pub targets: Targets,
    pub store: Arc<SqliteStore>,
}

impl Session {
    pub async fn open(options: &SessionOptions, paths: &Paths) -> Result<Session, SessionError> {
        let config = config::load(options.config.as_deref(), paths)?;
        let profile = target::choose(&options.target, &config)?;
        let store = Arc::new(SqliteStore::open_in(&paths.data_dir)?);
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

/// The operator's name: the OS user.
pub fn operator_name() -> String {
    whoami::fallible::username().unwrap_or_else(|_| "unknown".to_string())
}
