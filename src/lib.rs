//! kyc-console: a terminal console for starting KYC verifications on a card-issuing
//! platform's REST API, with an embedded sandbox that follows the API's contract.
//!
//! `domain` holds the pure rules; `api` talks HTTP; `sandbox` serves the contract on
//! loopback; `headless` runs commands without the console; `present` describes a
//! submission once, for both the command line and the console.

/// The HTTP client: headers, idempotency, timeouts, bounded retries, attempt captures.
pub mod api;
/// Many verifications from a list: read, preview, record ahead, send paced, resume.
pub mod batch;
/// The command line (clap); only `main` and `headless` see its types.
pub mod cli;
/// Settings and profiles from `config.toml`, with errors that name the line.
pub mod config;
/// Pure rules of the API: ids, types, the wire request, what outcomes mean.
pub mod domain;
/// Commands without the console, printing what `present` describes.
pub mod headless;
/// The environment and exit status sections of `--help` and the man page.
pub mod help_text;
/// Every submission and attempt, stored before sending; read a window at a time.
pub mod history;
/// Logs to a daily file, never to the terminal.
pub mod logging;
/// Where the console keeps its files.
pub mod paths;
/// How a submission, an attempt, a duration reads: one description for both front-ends.
pub mod present;
/// Files and folders only their owner can read.
pub mod private_files;
/// Which targets are production, and what a send there must be confirmed with.
pub mod production;
/// The embedded API server on loopback, following the contract.
pub mod sandbox;
/// The one send path: production and duplicate guards, write-ahead record, target identity.
pub mod send;
/// What a sending command opens first: settings, target, client, history.
pub mod session;
/// Choosing a target (profile or URL) and opening it with its key and client.
pub mod target;
/// The terminal console: state, update, effects, views, one loop.
pub mod tui;
