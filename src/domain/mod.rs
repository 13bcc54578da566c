//! Pure rules of the KYC API: identifiers, types, validation, the wire request, and what
//! every outcome means. Nothing here knows about terminals, HTTP or storage.

/// Reading any error body without failing.
mod error_body;
/// The four KYC types.
mod kyc_type;
/// What a response (or none) means.
mod outcome;
/// The optional redirect URI.
mod redirect_uri;
/// The body sent, with its field names.
mod request;
/// Text from the network, a file or the history, made safe for a terminal.
mod safe_text;
/// `usr-` and a version-4 UUID.
mod user_id;

pub use error_body::{BodyFormat, BodySummary, FieldError, read_body};
pub use kyc_type::{KycType, UnknownKycType};
pub use outcome::{
    Explanation, FailureKind, OutcomeKind, Stop, explain_failure, explain_initiated_without_id,
    explain_redirect, explain_status, explain_stop, explain_unsent_after, status_title,
};
pub use redirect_uri::{RedirectUri, RedirectUriError, RedirectUriWarning};
pub use request::{FIELD_REDIRECT_URI, FIELD_TYPE, FIELD_USER_ID, FormField, InitiateRequest};
pub use safe_text::{
    LINE_LIMIT, MIN_LIMIT, VALUE_LIMIT, needs_escape, safe_lines, safe_string, safe_text,
    safe_text_within,
};
pub use user_id::{Normalisation, USER_ID_LEN, USER_ID_PREFIX, UserId, UserIdError};

/// The statuses the sandbox produces on demand, and the platform documents.
pub const DOCUMENTED_ERRORS: [u16; 8] = [400, 401, 403, 429, 500, 502, 503, 504];

/// The user id whose last digits ask the sandbox for `status`, e.g. 503 →
/// `usr-00000000-0000-4000-8000-000000000503`.
pub fn error_on_demand_id(status: u16) -> UserId {
    format!("usr-00000000-0000-4000-8000-000000000{status:03}")
        .parse()
        .unwrap_or_else(|_| UserId::random())
}

/// The status a user id asks the sandbox for, if its last twelve digits are `000000000SSS`.
pub fn requested_error(user_id: &UserId) -> Option<u16> {
    let node = user_id.node();
    let status: u16 = node.strip_prefix("000000000")?.parse().ok()?;
    DOCUMENTED_ERRORS.contains(&status).then_some(status)
}
