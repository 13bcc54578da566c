//! The terminal console. `update` changes state without I/O; `effects` does the I/O;
//! `view` draws from `&State`; `app` is the loop that ties them together.

/// What a key means, independent of the key.
pub mod action;
/// The loop: input, effect results and ticks in, one draw per batch.
pub mod app;
/// The batch editor (a multi-line text area) and pasting into it.
pub mod batch_editor;
/// The batch screen's state.
pub mod batch_state;
/// A batch run second by second, for its sparklines.
pub mod batch_trace;
/// Copying through the terminal (OSC 52).
pub mod clipboard;
/// The session counter: submissions once, retries apart.
pub mod counts;
/// Runs what `update` asks for and reports back as messages.
pub mod effects;
/// The batch screen's I/O: reading, recording, running, resuming.
pub mod effects_batch;
/// The form's fields and what rapid entry remembers.
pub mod form_state;
/// What the help overlay makes of the key table.
pub mod keyhelp;
/// The one key table: input, footer, help and key names in text.
pub mod keymap;
/// Where each part of the screen goes, from the terminal size.
pub mod layout;
/// Messages from effects, and the effects `update` asks for.
pub mod message;
/// Everything the console shows; only `update` changes it.
pub mod state;
/// The stats view's state.
pub mod stats_state;
/// Colours and styles; `NO_COLOR` respected.
pub mod theme;
/// State transitions, routed by screen; no I/O.
pub mod update;
/// Drawing from `&State`.
pub mod view;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, EventStream};
use ratatui::crossterm::execute;
use tokio::sync::mpsc;

use crate::paths::Paths;
use crate::session::{Session, SessionError, SessionOptions};

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
pub async fn run_console(options: &SessionOptions, paths: &Paths) -> Result<(), ConsoleError> {
    let session = Session::open(options, paths).await?;
    let info = state::TargetInfo::from_opened(&session.opened, &session.to.operator);
    let choices = session
        .config
        .profiles
        .iter()
        .map(|p| state::ProfileChoice {
            name: p.name.clone(),
            target: p.describe_target(),
            production: p.production,
        })
        .collect();
    let (config, _) = crate::config::locate(options.config.as_deref(), paths);
    let path_info = state::PathsInfo {
        config_exists: config.exists(),
        config: config.display().to_string(),
        data: paths.data_dir.display().to_string(),
        log: paths.log_dir.display().to_string(),
    };
    let targets = Arc::new(tokio::sync::Mutex::new(session.targets));
    let services = app::Services {
        opened: session.opened.clone(),
        operator: session.to.operator.clone(),
        store: session.store.clone(),
        data_dir: paths.data_dir.clone(),
        clipboard: Box::new(clipboard::TerminalClipboard),
        targets: targets.clone(),
        profiles: session.config.profiles.clone(),
    };
    let default_type = session.config.default_type;

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
    state.profiles = choices;
    state.form.kyc_type = Some(default_type);
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
    // Every task that could hold the opener has ended with the loop.
    let targets = std::mem::take(&mut *targets.lock().await);
    targets.close().await;
    result.map(|_| ()).map_err(ConsoleError::from)
}

/// Leaves the terminal as it was: paste mode off, raw mode off, main screen back.
fn restore_terminal() {
    let mut out = std::io::stdout();
    let _ = execute!(out, DisableBracketedPaste);
    ratatui::restore();
    let _ = out.flush();
}
