//! Talking to the KYC API over HTTP: one reusable client, the contract's headers,
//! idempotent retries, and whole captures of every attempt. Nothing about terminals.

/// Reading a response whole, and a success's id however long its body.
mod capture;
/// The client: headers, idempotency, timeouts, retries.
mod client;
/// A request as a curl command, key as `$KYC_API_KEY`.
mod curl;
/// What was sent and what came back.
mod exchange;
/// The top-level fields of a JSON body, read as it comes.
mod fields;
/// One pace shared by a client's clones: turns, waits, answers taken in.
mod pace;
/// The pace as arithmetic on instants: even spacing, learning, corrections.
mod pacer;
/// Rate-limit policies and budgets from headers, in every form servers send.
mod ratelimit;
/// When to try again, and how long to wait.
mod retry;
/// API keys kept out of every print.
mod secret;

pub use crate::domain::Stop;
pub use capture::SCAN_LIMIT;
pub use client::{
    ApiClient, AttemptEvent, ClientError, ClientOptions, DEFAULT_BODY_CAP, DEFAULT_TIMEOUT, Target,
    new_idempotency_key, user_agent,
};
pub use curl::{CURL_KEY_VAR, to_curl};
pub use exchange::{
    Attempt, AttemptResult, CapturedResponse, Exchange, RateLimit, RequestRecord, RetryPlan, millis,
};
pub use fields::{FieldScanner, LOOKUP_FIELDS};
pub use pace::{Pace, Permit};
pub use pacer::{Answer, Gate, HoldReason, MIN_MARGIN, Outlook, Pacer, Sent, spacing};
pub use ratelimit::{Quota, RateHeaders, read_rate_headers, seconds_from_now};
pub use retry::{DEFAULT_MAX_WAIT, RetryPolicy, ceil_secs, parse_count, parse_retry_after};
pub use secret::{ApiKey, KEY_HEADER, KEY_MASK, is_key_header, mask_header};
