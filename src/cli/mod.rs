//! Command-line definitions: every command and the global flags they share.

/// The values flags take.
mod values;

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::CONFIG_ENV;
use crate::help_text::{EXIT_STATUS_HELP, TOP_AFTER_HELP};
use crate::logging::{DEFAULT_LOG_KEEP_DAYS, LOG_ENV, LOG_KEEP_DAYS_ENV};
use crate::sandbox::{
    DEFAULT_IDEMPOTENCY_TTL, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_IDEMPOTENCY_KEYS,
    DEFAULT_RATE_WINDOW, DEFAULT_READ_TIMEOUT,
};
use crate::session::SessionOptions;
use crate::target::TargetChoice;

use values::at_least_one;
pub use values::{KycTypeArg, LimiterArg, LogLevelArg, PerArg};

/// A terminal console for starting KYC verifications, with an embedded sandbox.
#[derive(Debug, Parser)]
#[command(
    name = "kyc-console",
    version,
    about,
    long_about = None,
    after_help = TOP_AFTER_HELP,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Parses the command line (exiting with clap's message and status 2 on a mistake), noting
/// where `--config` came from.
pub fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let from_env = matches.value_source("config") == Some(ValueSource::EnvVariable);
    let empty = cli
        .global
        .config
        .as_ref()
        .is_some_and(|c| c.as_os_str().is_empty());
    match (from_env, empty) {
        // An empty variable names no file, as if it were unset.
        (true, true) => cli.global.config = None,
        (true, false) => cli.global.config_from_env = true,
        (false, true) => Cli::command()
            .error(
                clap::error::ErrorKind::InvalidValue,
                "a value is required for '--config <FILE>' but none was supplied",
            )
            .exit(),
        (false, false) => {}
    }
    cli
}

/// The command tree, for completions and the man page.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Flags every command takes, under their own heading in every command's help.
#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use this profile from the settings (`sandbox` is built in).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send to this API base URL instead of the embedded sandbox (e.g. https://api.kulipa.xyz/v1).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Read the API key from this environment variable.
    #[arg(long, global = true, value_name = "NAME")]
    pub api_key_env: Option<String>,
    /// Keep history and logs here instead of the platform's data directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Read settings from this file (default: config.toml in the platform's config folder;
    /// `kyc-console config path` says where).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = CONFIG_ENV,
        hide_env_values = true,
        // Empty is allowed here: an empty variable means unset (see `parse`).
        value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from)
    )]
    pub config: Option<PathBuf>,
    /// Whether `config` came from the environment variable, not the flag.
    #[arg(skip)]
    pub config_from_env: bool,
    /// Keep history in this PostgreSQL database, shared by a team
    /// (postgres://USER@HOST:PORT/DATABASE), instead of the data directory.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "KYC_CONSOLE_HISTORY_URL",
        hide_env_values = true
    )]
    pub history_url: Option<String>,
    /// How much the log file records (default: info).
    #[arg(
        long,
        global = true,
        value_name = "LEVEL",
        env = LOG_ENV,
        hide_env_values = true,
        value_enum,
        ignore_case = true
    )]
    pub log_level: Option<LogLevelArg>,
    /// Delete log files older than this many days.
    #[arg(
        long,
        global = true,
        value_name = "DAYS",
        env = LOG_KEEP_DAYS_ENV,
        hide_env_values = true,
        default_value_t = DEFAULT_LOG_KEEP_DAYS,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub log_keep_days: u32,
}

impl GlobalArgs {
    /// The flags as the core takes them.
    pub fn session_options(&self) -> SessionOptions {
        SessionOptions {
            config: self.config.clone(),
            target: TargetChoice {
                profile: self.profile.clone(),
                base_url: self.base_url.clone(),
                api_key_env: self.api_key_env.clone(),
            },
            history_url: self.history_url.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start one verification without the console and print the outcome.
    #[command(after_help = EXIT_STATUS_HELP)]
    Initiate(InitiateArgs),
    /// List stored submissions, newest first.
    History(HistoryArgs),
    /// Show one stored submission with every attempt.
    Show(ShowArgs),
    /// Resend a stored request as a new submission (a new idempotency key).
    #[command(after_help = EXIT_STATUS_HELP)]
    Replay(IdArgs),
    /// Send a submission with no known outcome again, with its own idempotency key.
    #[command(after_help = EXIT_STATUS_HELP)]
    Retry(IdArgs),
    /// Start many verifications from a CSV or a list of ids (or finish an interrupted batch).
    #[command(after_help = EXIT_STATUS_HELP)]
    Batch(BatchArgs),
    /// Run the sandbox API on its own, for curl or other tools.
    Sandbox(SandboxArgs),
    /// Settings: where they are, whether they are valid, and an example.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a completion script for a shell.
    ///
    /// Install it where the shell looks, for example:
    /// bash: `kyc-console completions bash > ~/.local/share/bash-completion/completions/kyc-console`;
    /// zsh: `kyc-console completions zsh > ~/.zfunc/_kyc-console`;
    /// fish: `kyc-console completions fish > ~/.config/fish/completions/kyc-console.fish`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    ///
    /// With a command's name, that command's page. Read it with `kyc-console man | man -l
    /// -`, or install it: `kyc-console man > ~/.local/share/man/man1/kyc-console.1`.
    Man {
        /// The command whose page to print (default: kyc-console itself).
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub action: Option<HistoryAction>,
    /// Print a JSON array.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV with a header line.
    #[arg(long)]
    pub csv: bool,
    /// At most this many rows (newest first).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
    /// Only submissions recorded from this date (YYYY-MM-DD, UTC) or instant (RFC 3339) on.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only submissions whose final status is this code.
    #[arg(long, value_name = "CODE")]
    pub status: Option<u16>,
    /// Only submissions for this user id.
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,
    /// Only submissions that did not initiate.
    #[arg(long)]
    pub errors: bool,
    /// Only submissions whose user id, verification id, request id, idempotency key or
    /// operator holds this text (any case), or whose status starts with it: what `/`
    /// finds in the console.
    #[arg(long, value_name = "TEXT")]
    pub find: Option<String>,
    /// Only submissions of this type.
    #[arg(long = "type", value_name = "TYPE", value_enum, ignore_case = true)]
    pub kyc_type: Option<KycTypeArg>,
    /// Only submissions sent by this operator (exactly).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// Only submissions that ended so: initiated, rejected, server_error, transient,
    /// unknown, not_sent.
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: Option<String>,
    /// Print figures over every matching submission instead of rows: how they ended, by
    /// status; how many ended each way per minute or hour (UTC); and time sending per
    /// target (p50, p95, p99, max). With --json, one object.
    #[arg(long, conflicts_with = "csv")]
    pub stats: bool,
    /// The step of the --stats timeline [default: minute over up to 3 hours, else hour].
    #[arg(
        long,
        value_name = "STEP",
        value_enum,
        ignore_case = true,
        requires = "stats"
    )]
    pub per: Option<PerArg>,
}

#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// Copy a local history file (history.sqlite3) into the history these settings use,
    /// e.g. a team's database; copying it again adds nothing.
    Import {
        /// The history file to copy from.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The submission: its number in history, a request id, a verification id, an
    /// idempotency key, or a user id (which lists every submission for that user).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print one JSON object.
    #[arg(long, conflicts_with = "curl")]
    pub json: bool,
    /// Print the request as a curl command (the key as $KYC_API_KEY).
    #[arg(long)]
    pub curl: bool,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The submission's number in history.
    pub id: i64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Confirm sending to a production profile.
    #[arg(long)]
    pub yes: bool,
    /// Send although an earlier submission for the same user and type on this target may
    /// have started a verification (for `retry`, which reuses a key, it changes nothing).
    #[arg(long)]
    pub allow_duplicate: bool,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// A CSV with a header (user_id, type, redirect_uri) or one user id per line; - reads stdin.
    #[arg(
        value_name = "FILE",
        required_unless_present = "resume",
        conflicts_with = "resume"
    )]
    pub file: Option<std::path::PathBuf>,
    /// Finish a batch that was interrupted: send its rows that have no outcome yet.
    #[arg(long, value_name = "BATCH_ID")]
    pub resume: Option<String>,
    /// The KYC type of rows without one (default: the settings' default_type).
    #[arg(long = "type", value_name = "TYPE", value_enum, ignore_case = true)]
    pub kyc_type: Option<KycTypeArg>,
    /// The redirect URI of rows without one.
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = crate::batch::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Write one result line per input row here (.csv, or .jsonl for JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// Show the preview and stop.
    #[arg(long)]
    pub preview: bool,
    /// Send without asking (not enough for a production profile).
    #[arg(long)]
    pub yes: bool,
    /// Send to a production profile without asking: repeat the profile's name.
    #[arg(long, value_name = "PROFILE")]
    pub confirm: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print where settings, history and logs live.
    Path,
    /// Validate the settings, listing every problem, and print the resolved profiles
    /// (keys never shown).
    Check {
        /// Print one JSON object: the file, whether it is valid, every error, the profiles.
        #[arg(long)]
        json: bool,
    },
    /// Print an example settings file that documents every setting: save it where
    /// `kyc-console config path` says settings are read, and edit it.
    Example,
}

#[derive(Debug, Args)]
pub struct InitiateArgs {
    /// The user's id: usr- followed by a v4 UUID.
    #[arg(long, value_name = "ID")]
    pub user_id: String,
    /// The KYC type.
    #[arg(long = "type", value_name = "TYPE", value_enum, ignore_case = true)]
    pub kyc_type: KycTypeArg,
    /// Where the KYC webview sends the user afterwards (an absolute URI).
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Confirm sending to a production profile.
    #[arg(long)]
    pub yes: bool,
    /// Send although an earlier submission for the same user and type on this target may
    /// have started a verification.
    #[arg(long)]
    pub allow_duplicate: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Requests per API key in each rate-limit window before 429.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub rate_limit: u32,
    /// How long each rate-limit window lasts, in seconds.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_RATE_WINDOW.as_secs(),
        value_parser = |t: &str| at_least_one::<u64>(t, " second")
    )]
    pub rate_window_secs: u64,
    /// How requests are counted against the limit: a fixed window from its first request,
    /// a sliding window (the limit in any span of the window), or a token bucket (refilled
    /// at the limit per window, holding --burst).
    #[arg(long, value_enum, value_name = "KIND", default_value_t = LimiterArg::Fixed)]
    pub limiter: LimiterArg,
    /// The token bucket's size: requests allowed at once beyond the steady rate (default:
    /// a tenth of the limit, at least 1). With --limiter bucket only.
    #[arg(long, value_name = "N", value_parser = |t: &str| at_least_one::<u32>(t, ""))]
    pub burst: Option<u32>,
    /// The API key to accept (default: the built-in sandbox key).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Wait this long before every answer, like a slow platform.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Keep the sandbox's memory (stored responses, counters) in this file across
    /// restarts, so a retry with the same idempotency key replays after a restart too.
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// How long a request may take to arrive: its head from its first byte, its body from
    /// its head (slower connections are closed).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_READ_TIMEOUT.as_secs(),
        value_parser = |t: &str| at_least_one::<u64>(t, " second")
    )]
    pub read_timeout_secs: u64,
    /// How long a connection may sit with no request before it is closed.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
        value_parser = |t: &str| at_least_one::<u64>(t, " second")
    )]
    pub idle_timeout_secs: u64,
    /// How long an idempotency key is remembered from its first request.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_IDEMPOTENCY_TTL.as_secs(),
        value_parser = |t: &str| at_least_one::<u64>(t, " second")
    )]
    pub idempotency_ttl_secs: u64,
    /// Idempotency keys remembered at once; past that a new key gets 503 until some expire.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_IDEMPOTENCY_KEYS,
        value_parser = |t: &str| at_least_one::<usize>(t, "")
    )]
    pub max_idempotency_keys: usize,
}
