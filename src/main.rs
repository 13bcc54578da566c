//! Entry point: parse the command line, start logging, dispatch.

use std::process::ExitCode;

use kyc_console::cli::{self, Command, HistoryAction};
use kyc_console::domain::{LINE_LIMIT, safe_lines};
use kyc_console::{headless, logging, paths::Paths, tui};

/// mimalloc rather than the system's allocator: a batch allocates and frees small buffers
/// on every row from several threads (requests, answers, rows of history), which it serves
/// from per-thread pages where glibc's took about a sixth of the client's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // No transparent huge pages: the kernel zeroes each 2 MiB page whole on first touch,
    // about a twentieth of a batch's CPU for a heap of tens of MiB. mimalloc is built not to
    // ask for them (its `no_thp` feature); this keeps a kernel that has them always on from
    // using them anyway.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
    let cli = cli::parse();
    // Printing help for the shell or for man needs no files: nothing is created for it.
    match &cli.command {
        Some(Command::Completions { shell }) => return headless::completions(*shell),
        Some(Command::Man { command }) => return headless::man(command.as_deref()),
        _ => {}
    }
    let paths = Paths::resolve(cli.global.data_dir.as_deref());
    if let Err(e) = logging::init(
        &paths.log_dir,
        cli.global.log_level.map(Into::into),
        cli.global.log_keep_days,
    ) {
        eprintln!("error: {e}");
        return ExitCode::from(headless::EXIT_INVALID);
    }
    logging::install_panic_hook(&paths.log_dir);
    let runtime = match runtime(cli.command.as_ref()) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match &cli.command {
            Some(Command::Initiate(args)) => headless::initiate(&cli.global, &paths, args).await,
            Some(Command::History(args)) => match &args.action {
                Some(HistoryAction::Import { file }) => {
                    headless::import_history(&cli.global, &paths, file)
                }
                None => headless::history(&cli.global, &paths, args),
            },
            Some(Command::Show(args)) => headless::show(&cli.global, &paths, args),
            Some(Command::Replay(args)) => headless::replay(&cli.global, &paths, args).await,
            Some(Command::Retry(args)) => headless::retry(&cli.global, &paths, args).await,
            Some(Command::Batch(args)) => headless::batch(&cli.global, &paths, args).await,
            Some(Command::Sandbox(args)) => headless::sandbox(args).await,
            Some(Command::Config(command)) => headless::config(&cli.global, &paths, command),
            Some(Command::Completions { shell }) => headless::completions(*shell),
            Some(Command::Man { command }) => headless::man(command.as_deref()),
            None => match tui::run_console(&cli.global.session_options(), &paths).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "console stopped");
                    let message = e.to_string();
                    eprintln!("error: {}", safe_lines(&message, LINE_LIMIT));
                    ExitCode::FAILURE
                }
            },
        }
    })
}

/// The async runtime: the runtime's default (a worker per core), but a single worker for a
/// headless batch. Its rows wait on the network and on short writes to the history, and
/// one worker keeps 128 rows in flight at 96% of what the latency allows while handing no
/// task between threads: waking the other worker for them took about a fifth of its CPU.
fn runtime(command: Option<&Command>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if matches!(command, Some(Command::Batch(_))) {
        builder.worker_threads(1);
    }
    builder.enable_all().build()
}
