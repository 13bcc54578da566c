//! What a response (or the lack of one) means for the operator.
//!
//! Classification is pure: the client, the console, history and batch all read the same
//! table, so an outcome is explained the same way everywhere.

use std::fmt;

/// The broad kind of an attempt's or a submission's result.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// A 2xx: the verification was started.
    Initiated,
    /// A 4xx the operator must act on (not 429).
    Rejected,
    /// A 500 or another 5xx that is not transient: outcome unknown on the server.
    ServerError,
    /// 429, 502, 503, 504: worth retrying with the same idempotency key.
    Transient,
    /// No response after the request may have left: a connection lost mid-request, a
    /// timeout, a cancellation, or a crash.
    Unknown,
    /// Nothing left the machine: the connection was never made (refused, name not found,
    /// TLS handshake failed). Sending again, even with a new key, cannot start a second
    /// verification.
    NotSent,
}

impl OutcomeKind {
    /// Every kind, for stores that list them.
    pub const ALL: [OutcomeKind; 6] = [
        Self::Initiated,
        Self::Rejected,
        Self::ServerError,
        Self::Transient,
        Self::Unknown,
        Self::NotSent,
    ];

    /// Whether a submission that ended so may have started a verification (or did): a new
    /// one for the same user and type would then be a duplicate. Only a refusal, and a
    /// send that never left the machine, are sure to have started nothing.
    pub fn may_have_started(self) -> bool {
        match self {
            Self::Rejected | Self::NotSent => false,
            Self::Initiated | Self::ServerError | Self::Transient | Self::Unknown => true,
        }
    }

    /// Classifies an HTTP status code.
    pub fn from_status(status: u16) -> OutcomeKind {
        match status {
            200..=299 => Self::Initiated,
            429 => Self::Transient,
            502..=504 => Self::Transient,
            500..=599 => Self::ServerError,
            // 1xx and 3xx are not expected from this endpoint; treat them as refusals
            // so they are shown as they came, not as success.
            _ => Self::Rejected,
        }
    }

    /// A short lowercase label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Initiated => "initiated",
            Self::Rejected => "rejected",
            Self::ServerError => "server error",
            Self::Transient => "transient",
            Self::Unknown => "unknown",
            Self::NotSent => "not sent",
        }
    }

    /// Whether the client retries this kind by itself (with the same idempotency key), and
    /// whether a stored submission with this outcome may be sent again with its key.
    pub fn retryable(self) -> bool {
        matches!(self, Self::Transient | Self::Unknown | Self::NotSent)
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why no response arrived.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The connection failed or broke once the request may have been on its way.
    Network,
    /// The connection could not be made, so no byte of the request left the machine:
    /// refused, name not found, TLS handshake failed, or no connection within the connect
    /// timeout.
    NotSent,
    /// No complete response within the per-attempt timeout.
    Timeout,
    /// The operator cancelled it.
    Cancelled,
    /// The console stopped before the outcome was recorded.
    Interrupted,
}

impl FailureKind {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Network => "network error",
            Self::NotSent => "could not connect",
            Self::Timeout => "timed out",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }
}

/// What an outcome means and what to do, in operator language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    /// The status or failure in a few words, e.g. "503 Service Unavailable".
    pub title: String,
    /// What happened.
    pub meaning: String,
    /// What the operator should do next.
    pub action: String,
}

/// Explains an HTTP status. Undocumented statuses keep their own code and reason.
pub fn explain_status(status: u16) -> Explanation {
    let (meaning, action): (&str, &str) = match status {
        200..=299 => (
            "the verification was started",
            "send the end user the webview link, or wait for the platform's notification",
        ),
        400 => (
            "the platform found the request malformed or invalid",
            "fix the field the response names, then submit again",
        ),
        401 => (
            "the platform did not accept the credentials (missing or wrong API key)",
            "check the API key of this profile; nothing was started",
        ),
        403 => (
            "the API key is valid but not allowed to do this for this user or type",
            "ask the platform to grant the right (the import type is for approved partners only)",
        ),
        404 => (
            "the platform does not know this path or this user",
            "check the profile's base URL and path, and that the user exists",
        ),
        409 => (
            "the platform reports a conflict, e.g. a verification already in progress for this user",
            "look up the user's existing verification before starting another",
        ),
        422 => (
            "the idempotency key was already used with a different request",
            "resend as a new submission (a new key) if a new verification is really wanted",
        ),
        429 => (
            "too many requests for this API key in the current window",
            "wait for the window to reset (Retry-After); the retry reuses the same idempotency key",
        ),
        500 => (
            "the platform failed while handling the request: the verification may or may not exist",
            "report it with the request id; resending the same key replays this 500, so a deliberate retry needs a new submission",
        ),
        502 => (
            "a gateway in front of the platform got an invalid response",
            "transient: retried automatically with the same idempotency key; if it persists, try later",
        ),
        503 => (
            "the platform is not ready: maintenance or overload",
            "transient: retried after Retry-After with the same idempotency key; if it persists, try later",
        ),
        504 => (
            "a gateway timed out waiting for the platform: the verification may or may not exist",
            "retrying with the same idempotency key is safe; report the request id if it persists",
        ),
        _ => match OutcomeKind::from_status(status) {
            OutcomeKind::Rejected => (
                "the platform refused the request with a status this console does not know",
                "read the response body below; report it with the request id if unclear",
            ),
            _ => (
                "the platform failed with a status this console does not know",
                "report it with the request id",
            ),
        },
    };
    Explanation {
        title: status_title(status),
        meaning: meaning.to_string(),
        action: action.to_string(),
    }
}

/// Why the client sent nothing more after an attempt it could have retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stop {
    /// The server asked for a longer wait (Retry-After, or the rate-limit reset of a 429)
    /// than the profile's `max_wait_secs`.
    WaitTooLong { asked_secs: u64, max_wait_secs: u64 },
    /// Every retry the profile allows (`max_retries`) was used.
    RetriesUsed { max_retries: u32 },
}

/// The last attempt's explanation, saying why no more attempts followed: `attempts` were
/// made in all.
pub fn explain_stop(last: Explanation, stop: Stop, attempts: usize) -> Explanation {
    let tries = if attempts == 1 {
        "1 attempt".to_string()
    } else {
        format!("{attempts} attempts")
    };
    match stop {
        Stop::WaitTooLong {
            asked_secs,
            max_wait_secs,
        } => Explanation {
            meaning: format!(
                "{}; the server asked to wait {asked_secs} s, more than max_wait_secs \
                 {max_wait_secs}, so retrying stopped after {tries}: nothing more was sent",
                last.meaning
            ),
            action: "retry it later with the same idempotency key, so it is never started \
                     twice: R in the console's detail, or `kyc-console retry` with its number"
                .to_string(),
            ..last
        },
        Stop::RetriesUsed { max_retries: 0 } => Explanation {
            meaning: format!(
                "{}; not retried ({tries}): retries are off for this profile (max_retries 0)",
                last.meaning
            ),
            ..last
        },
        Stop::RetriesUsed { max_retries } => Explanation {
            meaning: format!(
                "{}; still so after {tries}: every retry allowed (max_retries {max_retries}) \
                 was used",
                last.meaning
            ),
            ..last
        },
    }
}

/// Explains a redirect, which the client never follows: following it would carry the key
/// to wherever it points.
pub fn explain_redirect(status: u16, location: Option<&str>) -> Explanation {
    let to = match location {
        Some(location) => format!("redirected to {location}"),
        None => "redirected (with no Location header)".to_string(),
    };
    Explanation {
        title: status_title(status),
        meaning: format!("the server {to}; not followed, so the API key went nowhere else"),
        action: "check the profile's base URL: the API answers there itself, it does not \
                 redirect; if the new address is the API's, set base_url to it and send again"
            .to_string(),
    }
}

/// Explains a success that gives no verification id (`why`, e.g. "its body is not
/// JSON"): it was started, and only the request id (if any) can find it.
pub fn explain_initiated_without_id(
    status: u16,
    request_id: Option<&str>,
    why: &str,
) -> Explanation {
    let action = match request_id {
        Some(id) => format!(
            "look it up with the platform by request id {id}; do not start another: this one exists"
        ),
        None => "look it up with the platform by user id and idempotency key (the response had \
                 no request id either); do not start another: this one exists"
            .to_string(),
    };
    Explanation {
        title: format!("{} (no verification id)", status_title(status)),
        meaning: format!(
            "the verification was started, but {why}, so there is no verification id to look \
             it up by"
        ),
        action,
    }
}

/// Explains a failure to get any response.
pub fn explain_failure(kind: FailureKind) -> Explanation {
    let (meaning, action) = match kind {
        FailureKind::NotSent => {
            return Explanation {
                title: format!("{} ({})", OutcomeKind::NotSent.label(), kind.label()),
                meaning: "nothing reached the platform: the connection could not be made \
                          (connection refused, name not found, or TLS handshake failed)"
                    .to_string(),
                action: "safe to send again: nothing was started; if it persists, check the \
                         profile's base URL and the network"
                    .to_string(),
            };
        }
        FailureKind::Network => (
            "no response: the connection failed, so the outcome is unknown",
            "safe to retry with the same idempotency key: the platform will not start it twice",
        ),
        FailureKind::Timeout => (
            "no response in time: the request may or may not have reached the platform",
            "safe to retry with the same idempotency key: the platform will not start it twice",
        ),
        FailureKind::Cancelled => (
            "cancelled before a response arrived: the request may or may not have reached the platform",
            "retry with the same idempotency key to learn the outcome without starting it twice",
        ),
        FailureKind::Interrupted => (
            "the console stopped before the outcome was recorded",
            "retry with the same idempotency key to learn the outcome without starting it twice",
        ),
    };
    Explanation {
        title: format!("outcome unknown ({})", kind.label()),
        meaning: meaning.to_string(),
        action: action.to_string(),
    }
}

/// Explains a submission whose last attempt could not connect while an earlier one,
/// `earlier` (e.g. "attempt 1 (timed out)"), reached or may have reached the platform.
pub fn explain_unsent_after(earlier: &str) -> Explanation {
    Explanation {
        title: format!(
            "outcome unknown (last attempt {})",
            FailureKind::NotSent.label()
        ),
        meaning: format!(
            "the last attempt never reached the platform, but {earlier} did or may have, so the \
             outcome is unknown"
        ),
        action: "safe to retry with the same idempotency key: the platform will not start it twice"
            .to_string(),
    }
}

/// `"503 Service Unavailable"`, or the bare code for a status with no standard reason.
pub fn status_title(status: u16) -> String {
    match reason_phrase(status) {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_documented_status() {
        let table = [
            (201, OutcomeKind::Initiated),
            (400, OutcomeKind::Rejected),
            (401, OutcomeKind::Rejected),
            (403, OutcomeKind::Rejected),
            (429, OutcomeKind::Transient),
            (500, OutcomeKind::ServerError),
            (502, OutcomeKind::Transient),
            (503, OutcomeKind::Transient),
            (504, OutcomeKind::Transient),
            (404, OutcomeKind::Rejected),
            (409, OutcomeKind::Rejected),
            (422, OutcomeKind::Rejected),
            (501, OutcomeKind::ServerError),
        ];
        for (status, kind) in table {
            assert_eq!(OutcomeKind::from_status(status), kind, "{status}");
        }
        assert!(!OutcomeKind::ServerError.retryable());
        assert!(OutcomeKind::Transient.retryable());
        assert!(OutcomeKind::NotSent.retryable());
    }

    #[test]
    fn not_sent_is_its_own_kind_with_its_own_names() {
        assert_eq!(OutcomeKind::NotSent.label(), "not sent");
        assert_eq!(
            serde_json::to_value(OutcomeKind::NotSent).unwrap(),
            "not_sent"
        );
        assert_eq!(
            serde_json::to_value(FailureKind::NotSent).unwrap(),
            "not_sent"
        );
        let e = explain_failure(FailureKind::NotSent);
        assert_eq!(e.title, "not sent (could not connect)");
        assert!(e.meaning.contains("nothing reached the platform"), "{e:?}");
        assert!(e.action.starts_with("safe to send again"), "{e:?}");
        assert!(!e.title.contains("unknown"));
        let mixed = explain_unsent_after("attempt 1 (timed out)");
        assert!(mixed.title.contains("unknown"), "{mixed:?}");
        assert!(mixed.meaning.contains("attempt 1 (timed out)"), "{mixed:?}");
        assert!(mixed.action.contains("same idempotency key"), "{mixed:?}");
    }

    #[test]
    fn a_stop_says_why_and_after_how_many_attempts() {
        let base = explain_status(503);
        let too_long = Stop::WaitTooLong {
            asked_secs: 999_999,
            max_wait_secs: 120,
        };
        let e = explain_stop(base.clone(), too_long, 1);
        assert_eq!(e.title, base.title);
        assert!(
            e.meaning.ends_with(
                "the server asked to wait 999999 s, more than max_wait_secs 120, so retrying \
                 stopped after 1 attempt: nothing more was sent"
            ),
            "{e:?}"
        );
        assert!(e.action.contains("the same idempotency key"), "{e:?}");
        assert!(!e.action.contains("retry ID"), "{e:?}");
        assert!(!e.action.contains("retried after"), "{e:?}");
        let used = explain_stop(base.clone(), Stop::RetriesUsed { max_retries: 3 }, 4);
        assert!(
            used.meaning.contains("still so after 4 attempts"),
            "{used:?}"
        );
        let off = explain_stop(base, Stop::RetriesUsed { max_retries: 0 }, 1);
        assert!(off.meaning.contains("retries are off"), "{off:?}");
    }

    #[test]
    fn redirects_name_where_they_pointed() {
        let e = explain_redirect(307, Some("http://127.0.0.1:9/steal"));
        assert_eq!(e.title, "307 Temporary Redirect");
        assert_eq!(
            e.meaning,
            "the server redirected to http://127.0.0.1:9/steal; not followed, so the API key \
             went nowhere else"
        );
        assert!(explain_redirect(302, None).meaning.contains("no Location"));
    }

    #[test]
    fn successes_without_an_id_say_so_and_name_the_request_id() {
        let e = explain_initiated_without_id(201, Some("req-1"), "its body is not JSON");
        assert_eq!(e.title, "201 Created (no verification id)");
        assert!(e.meaning.contains("its body is not JSON"), "{e:?}");
        assert!(e.action.contains("request id req-1"), "{e:?}");
        let e = explain_initiated_without_id(201, None, "the response had no body");
        assert!(e.action.contains("no request id either"), "{e:?}");
    }

    #[test]
    fn explains_documented_and_undocumented_statuses() {
        let e = explain_status(503);
        assert_eq!(e.title, "503 Service Unavailable");
        assert!(e.action.contains("Retry-After"));
        let e = explain_status(500);
        assert!(e.action.contains("new submission"));
        let odd = explain_status(418);
        assert_eq!(odd.title, "418");
        assert!(odd.meaning.contains("does not know"));
        assert!(
            explain_failure(FailureKind::Timeout)
                .title
                .contains("unknown")
        );
    }
}
