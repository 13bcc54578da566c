//! The terminal console. `update` changes state without I/O; `effects` does the I/O;
//! `view` draws from `&State`; `app` is the loop that ties them together.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod effects;
pub mod keymap;
pub mod layout;
pub mod message;
pub mod state;
pub mod theme;
pub mod update;
pub mod view;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, EventStream};
use ratatui::crossterm::execute;
use tokio::sync::mpsc;

use crate::api::{ApiClient, ClientOptions};
use crate::cli::GlobalArgs;
use crate::history::{HistoryError, SqliteStore};
use crate::paths::Paths;
use crate::target;

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Target(#[from] target::TargetError),
    #[error(transparent)]
    Client(#[from] crate::api::ClientError),
    #[error("cannot set up the terminal: {0}")]
    Terminal(std::io::Error),
    #[error(transparent)]
    Loop(#[from] app::LoopError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// The operator's name: the OS user.
pub fn operator_name() -> String {
    whoami::fallible::username().unwrap_or_else(|_| "unknown".to_string())
}

/// Opens the console on the terminal and runs it until the operator quits.
/// The terminal is restored on every path out, panics included.
pub async fn run_console(global: &GlobalArgs, paths: &Paths) -> Result<(), ConsoleError> {
    let resolved = target::resolve(global).await?;
    let options = ClientOptions::default();
    let client = ApiClient::new(resolved.target.clone(), options)?;
    let info = state::TargetInfo {
        profile: resolved.profile.clone(),
        base_url: resolved.target.base_url.to_string(),
        endpoint: format!("{} {}", resolved.target.method, resolved.target.endpoint()),
        production: resolved.production,
        operator: operator_name(),
        max_retries: options.retry.max_retries,
    };
    let path_info = state::PathsInfo {
        config: global
            .config
            .clone()
            .unwrap_or_else(|| paths.config_file())
            .display()
            .to_string(),
        data: paths.data_dir.display().to_string(),
        log: paths.log_dir.display().to_string(),
    };
    let store = SqliteStore::open_in(&paths.data_dir)?;
    let services = app::Services {
        client,
        store: Arc::new(store),
        data_dir: paths.data_dir.clone(),
        clipboard: Box::new(clipboard::TerminalClipboard),
        origin: effects::Origin {
            operator: info.operator.clone(),
            profile: info.profile.clone(),
        },
    };

    let mut terminal = ratatui::try_init().map_err(ConsoleError::Terminal)?;
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    let (fatal_tx, fatal_rx) = mpsc::unbounded_channel::<String>();
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        let _ = fatal_tx.send(info.to_string());
        previous_hook(info);
    }));

    let size = terminal.size().map_err(ConsoleError::Terminal)?;
    let mut state = state::State::new(info, path_info, (size.width, size.height), Instant::now());
    state.theme = theme::Theme::from_env();
    let result = app::run(
        &mut terminal,
        state,
        EventStream::new(),
        services,
        fatal_rx,
        None,
    )
    .await;

    restore_terminal();
    let _ = std::panic::take_hook();
    if let Some(sandbox) = resolved.sandbox {
        sandbox.stop().await;
    }
    result.map(|_| ()).map_err(ConsoleError::from)
}

/// Leaves the terminal as it was: paste mode off, raw mode off, main screen back.
fn restore_terminal() {
    let mut out = std::io::stdout();
    let _ = execute!(out, DisableBracketedPaste);
    ratatui::restore();
    let _ = out.flush();
}
