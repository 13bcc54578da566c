//! What every sending command opens first: the target (starting the embedded sandbox when
//! needed), one reusable client, the history store, and who is sending.

use std::sync::Arc;

use crate::api::{ApiClient, ClientError, ClientOptions};
use crate::cli::GlobalArgs;
use crate::history::{HistoryError, SqliteStore};
use crate::paths::Paths;
use crate::submit::Origin;
use crate::target::{self, ResolvedTarget, TargetError};

/// Why a session could not open.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// An open target, client and history.
pub struct Session {
    pub resolved: ResolvedTarget,
    pub client: ApiClient,
    pub options: ClientOptions,
    pub store: Arc<SqliteStore>,
    pub origin: Origin,
}

impl Session {
    pub async fn open(global: &GlobalArgs, paths: &Paths) -> Result<Session, SessionError> {
        let store = Arc::new(SqliteStore::open_in(&paths.data_dir)?);
        let resolved = target::resolve(global).await?;
        let options = ClientOptions::default();
        let client = ApiClient::new(resolved.target.clone(), options)?;
        let origin = Origin {
            operator: operator_name(),
            profile: resolved.profile.clone(),
        };
        Ok(Session {
            resolved,
            client,
            options,
            store,
            origin,
        })
    }

    /// Stops the embedded sandbox, if one was started.
    pub async fn close(self) {
        if let Some(sandbox) = self.resolved.sandbox {
            sandbox.stop().await;
        }
    }
}

/// The operator's name: the OS user.
pub fn operator_name() -> String {
    whoami::fallible::username().unwrap_or_else(|_| "unknown".to_string())
}
