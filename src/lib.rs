//! kyc-console: a terminal console for starting KYC verifications on a card-issuing
//! platform's REST API, with an embedded sandbox that follows the API's contract.
//!
//! `domain` holds the pure rules; `api` talks HTTP; `sandbox` serves the contract on
//! loopback; `headless` runs commands without the console; `present` describes a
//! submission once, for both the command line and the console.

pub mod api;
pub mod batch;
pub mod cli;
pub mod config;
pub mod domain;
pub mod headless;
pub mod history;
pub mod logging;
pub mod paths;
pub mod present;
pub mod sandbox;
pub mod session;
pub mod submit;
pub mod target;
pub mod tui;
