//! Choosing where requests go: the embedded sandbox unless a base URL is given.

use url::Url;

use crate::api::{ApiKey, Target};
use crate::cli::GlobalArgs;
use crate::sandbox::{Sandbox, SandboxConfig};

/// The host of the platform's production API; a target there is flagged as production.
pub const PRODUCTION_HOST: &str = "api.kulipa.xyz";

/// A target ready to use, with the sandbox it runs on when embedded.
pub struct ResolvedTarget {
    pub target: Target,
    /// The profile's name as shown in the header.
    pub profile: String,
    /// True when submitting here affects real users.
    pub production: bool,
    /// The embedded sandbox, kept alive as long as the target is used.
    pub sandbox: Option<Sandbox>,
}

/// Why no target could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("--base-url {0:?} is not a valid URL: {1}")]
    BadUrl(String, url::ParseError),
    #[error("--base-url must be http or https, not {0:?}")]
    BadScheme(String),
    #[error(
        "the environment variable {0} is not set: export it with the API key, or drop --api-key-env"
    )]
    MissingEnv(String),
    #[error("the environment variable {0} is empty: it must hold the API key")]
    EmptyEnv(String),
    #[error("--base-url needs an API key: pass --api-key-env NAME with the variable that holds it")]
    NoKey,
    #[error("cannot start the embedded sandbox: {0}")]
    Sandbox(std::io::Error),
}

/// Resolves the target from the global flags, starting the embedded sandbox when needed.
pub async fn resolve(global: &GlobalArgs) -> Result<ResolvedTarget, TargetError> {
    let key_from_env = match &global.api_key_env {
        Some(name) => match std::env::var(name) {
            Ok(v) if v.trim().is_empty() => return Err(TargetError::EmptyEnv(name.clone())),
            Ok(v) => Some(ApiKey::new(v.trim())),
            Err(_) => return Err(TargetError::MissingEnv(name.clone())),
        },
        None => None,
    };
    match &global.base_url {
        Some(raw) => {
            let url = Url::parse(raw).map_err(|e| TargetError::BadUrl(raw.clone(), e))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(TargetError::BadScheme(url.scheme().to_string()));
            }
            let key = key_from_env.ok_or(TargetError::NoKey)?;
            let production = url.host_str() == Some(PRODUCTION_HOST);
            Ok(ResolvedTarget {
                target: Target::new(url, key),
                profile: if production { "production" } else { "custom" }.to_string(),
                production,
                sandbox: None,
            })
        }
        None => {
            let sandbox = Sandbox::start(SandboxConfig::default(), 0)
                .await
                .map_err(TargetError::Sandbox)?;
            let key = key_from_env.unwrap_or_else(|| ApiKey::new(sandbox.api_key()));
            Ok(ResolvedTarget {
                target: Target::new(sandbox.base_url(), key),
                profile: "sandbox".to_string(),
                production: false,
                sandbox: Some(sandbox),
            })
        }
    }
}
