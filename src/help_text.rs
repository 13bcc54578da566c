//! What `--help` and the man page say after the options: the environment variables the
//! binary reads and what each exit status means. Plain text, kept apart from the clap
//! definitions that show it.

/// The environment variables the binary reads (a macro, so help texts can be joined at
/// compile time).
macro_rules! environment_help {
    () => {
        "\
Environment:
  KYC_CONSOLE_CONFIG            The settings file, unless --config is given.
  KYC_CONSOLE_HISTORY_URL       A team's PostgreSQL history, unless --history-url is given.
  KYC_CONSOLE_HISTORY_PASSWORD  Its password (or the variable history_password_env names).
  KYC_CONSOLE_LOG               The log level, unless --log-level is given.
  KYC_CONSOLE_LOG_KEEP_DAYS     Days of log files kept, unless --log-keep-days is given.
  NO_COLOR                      Set (to anything): the console draws without colour.
  API keys come from the variable a profile's api_key_env, or --api-key-env, names."
    };
}

/// What every exit status means. `main` and `headless` return only these (clap's usage
/// errors are 2 as well).
macro_rules! exit_status_help {
    () => {
        "\
Exit status:
  0  Done: the verification was initiated (batch: every row was, or --preview, or nothing
     was left to send); any other command did what was asked.
  1  Sent, but not initiated: the API refused or failed, or the outcome is unknown (batch:
     a row was not initiated, or was never sent). Also: a command that could not finish
     (history unreadable, no such submission or batch, the sandbox could not start, the
     console stopped on an error).
  2  Nothing was sent: a flag, argument, input file or setting is invalid, or a
     confirmation the target needs was not given (--yes, --confirm, --allow-duplicate)."
    };
}

/// The environment section of `--help` and the man page.
pub const ENVIRONMENT_HELP: &str = environment_help!();
/// The exit status section of `--help` and the man page.
pub const EXIT_STATUS_HELP: &str = exit_status_help!();
/// What the top-level `--help` ends with: both.
pub const TOP_AFTER_HELP: &str = concat!(environment_help!(), "\n\n", exit_status_help!());
