//! Logs go to a daily file, never to the terminal (which belongs to the console).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The environment variable that sets the log level when `--log-level` is absent.
pub const LOG_ENV: &str = "KYC_CONSOLE_LOG";

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot create the log directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid log level {0:?}: use error, warn, info, debug or trace")]
    Level(String),
}

/// Starts file logging; keep the guard alive until exit so lines are flushed.
pub fn init(log_dir: &Path, level: Option<&str>) -> Result<WorkerGuard, LogError> {
    std::fs::create_dir_all(log_dir).map_err(|source| LogError::Dir {
        path: log_dir.display().to_string(),
        source,
    })?;
    let level = level
        .map(str::to_string)
        .or_else(|| std::env::var(LOG_ENV).ok())
        .unwrap_or_else(|| "info".to_string());
    let filter = EnvFilter::try_new(format!("warn,kyc_console={level}"))
        .ok()
        .filter(|_| {
            matches!(
                level.to_ascii_lowercase().as_str(),
                "error" | "warn" | "info" | "debug" | "trace"
            )
        })
        .ok_or_else(|| LogError::Level(level.clone()))?;
    let appender = tracing_appender::rolling::daily(log_dir, "kyc-console.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok(guard)
}
