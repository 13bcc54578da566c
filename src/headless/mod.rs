//! Commands that run without the console: `initiate`, `history`, `show`, `replay`,
//! `retry` and `sandbox`. Results go to stdout, problems to stderr, logs to the log file.

/// `batch`.
mod batch;
/// `config path` and `config check`.
mod config_cmd;
/// Commands printed for the operator to run next, working as printed.
mod hints;
/// `history`, and the store as the other history commands open it.
mod history;
/// Copying a local history into the configured one.
mod import;
/// `initiate`.
mod initiate;
/// Printing a finished submission.
mod report;
/// `replay` and `retry`.
mod resend;
/// `sandbox`.
mod sandbox;
/// `completions` and `man`.
mod shell;
/// `show`: one submission by any of its identifiers.
mod show;
/// `history --stats`.
mod stats;

use tokio_util::sync::CancellationToken;

use std::borrow::Cow;
use std::process::ExitCode;

use crate::domain::{LINE_LIMIT, safe_lines};
use crate::present::describe_earlier;
use crate::send::Progress;
use crate::send::{Question, SendError};
use crate::session::Session;

pub use batch::batch;
pub use config_cmd::config;
pub use history::history;
pub use import::import as import_history;
pub use initiate::{InputError, initiate, validate};
pub use report::{describe_exchange, describe_submission, exchange_json, submission_json};
pub use resend::{replay, retry};
pub use sandbox::sandbox;
pub use shell::{completions, man};
pub use show::show;

/// Exit code when the verification was initiated.
pub const EXIT_INITIATED: u8 = 0;
/// Exit code when the API refused or failed, or the outcome is unknown.
pub const EXIT_FAILED: u8 = 1;
/// Exit code when the input was invalid and nothing was sent.
pub const EXIT_INVALID: u8 = 2;

/// A token cancelled by the first Ctrl-C: in-flight work stops and is recorded as cancelled.
pub fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            token.cancel();
        }
    });
    cancel
}

/// Prints each retry to stderr as it is planned (when `show` is set).
pub fn progress_printer(show: bool) -> impl FnMut(Progress) {
    move |progress| match progress {
        Progress::Finished { attempt, .. } if show => {
            if let Some(retry) = &attempt.retry {
                eprintln!(
                    "attempt {}: {} — retrying in {:.1} s",
                    attempt.number,
                    attempt.short(),
                    retry.wait.as_secs_f64()
                );
            }
        }
        Progress::StoreFailed(e) => eprintln!("warning: history: {}", shown(&e.to_string())),
        _ => {}
    }
}

/// Opens a session to send with; a failure is printed and becomes the exit code.
pub async fn open_for_sending(
    global: &crate::cli::GlobalArgs,
    paths: &crate::paths::Paths,
) -> Result<Session, ExitCode> {
    Session::open(&global.session_options(), paths)
        .await
        .map_err(|e| {
            eprintln!("error: {}\nnothing was sent", shown(&e.to_string()));
            ExitCode::from(EXIT_INVALID)
        })
}

/// Prints why the send path sent nothing (or could not go on), with what to do, and
/// gives the exit code: 2 for a question the flags did not answer.
pub fn refusal(global: &crate::cli::GlobalArgs, session: &Session, error: &SendError) -> ExitCode {
    match error {
        SendError::Ask(Question::Production { profile, target }) => {
            eprintln!(
                "error: profile {} is PRODUCTION ({}): add --yes to send there, or \
                 choose another with --profile\nnothing was sent",
                shown(profile),
                shown(target)
            );
            ExitCode::from(EXIT_INVALID)
        }
        SendError::Ask(Question::Duplicate(earlier)) => {
            eprintln!(
                "error: {} already holds this user and type on {}\n  look at it with `{}`; \
                 add --allow-duplicate to start another verification anyway\nnothing was sent",
                describe_earlier(earlier),
                shown(&session.to.target),
                hints::command(global, session, &format!("show {}", earlier.id))
            );
            ExitCode::from(EXIT_INVALID)
        }
        // Every refusal comes before the first byte.
        other => {
            eprintln!("error: {}\nnothing was sent", shown(&other.to_string()));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// 0 when the exchange initiated the verification, else 1.
pub fn exit_for(exchange: &crate::api::Exchange) -> u8 {
    if exchange.outcome() == crate::domain::OutcomeKind::Initiated {
        EXIT_INITIATED
    } else {
        EXIT_FAILED
    }
}

/// A message that may hold what a server, a file or the history said, made safe for the
/// terminal: its lines kept, every control character and escape sequence made visible.
pub fn shown(text: &str) -> Cow<'_, str> {
    safe_lines(text, LINE_LIMIT)
}

/// Writes text for people to stdout, made safe for the terminal as a last guard: the
/// values in it were made safe (and cut) where they were written.
pub fn emit_text(text: &str) {
    emit(&shown(text));
}

/// Writes to stdout exactly (JSON, CSV, a curl command), ignoring a closed pipe (`| head`)
/// instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
