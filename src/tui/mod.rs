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
use std::time::Instant;

use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, EventStream};
use ratatui::crossterm::execute;
use tokio::sync::mpsc;

use crate::cli::GlobalArgs;
use crate::paths::Paths;
use crate::session::{Session, SessionError};

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("cannot set up the terminal: {0}")]
    Terminal(std::io::Error),
    #[error(transparent)]
    Loop(#[from] app::LoopError),
}

/// Opens the console on the terminal and runs it until the operator quits.
/// The terminal is restored on every path out, panics included.
pub async fn run_console(global: &GlobalArgs, paths: &Paths) -> Result<(), ConsoleError> {
    let session = Session::open(global, paths).await?;
    let target = &session.resolved.target;
    let info = state::TargetInfo {
        profile: session.origin.profile.clone(),
        base_url: target.base_url.to_string(),
        endpoint: format!("{} {}", target.method, target.endpoint()),
        production: session.resolved.production,
        operator: session.origin.operator.clone(),
        max_retries: session.options.retry.max_retries,
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
    let services = app::Services {
        client: session.client.clone(),
        store: session.store.clone(),
        data_dir: paths.data_dir.clone(),
        clipboard: Box::new(clipboard::TerminalClipboard),
        origin: session.origin.clone(),
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
    session.close().await;
    result.map(|_| ()).map_err(ConsoleError::from)
}

/// Leaves the terminal as it was: paste mode off, raw mode off, main screen back.
fn restore_terminal() {
    let mut out = std::io::stdout();
    let _ = execute!(out, DisableBracketedPaste);
    ratatui::restore();
    let _ = out.flush();
}
