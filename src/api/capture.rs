//! Reading a response whole: status, headers, the body up to the cap, the rate-limit
//! facts, and for a success the fields to look it up by however long its body.

use std::time::SystemTime;

use tokio::time::{Instant, timeout_at};

use super::exchange::{CapturedResponse, RateLimit};
use super::fields::FieldScanner;
use super::ratelimit::read_rate_headers;
use super::retry::parse_retry_after;

/// How much of a success's body is read past the cap, looking for its id: a body longer
/// than this, with its id further on, is reported without one.
pub const SCAN_LIMIT: usize = 64 * 1024 * 1024;

/// Why no response could be read.
#[derive(Debug)]
pub enum CaptureError {
    Http(reqwest::Error),
    /// The deadline passed before the body was read up to the cap.
    Timeout,
}

/// Reads status, headers and at most `cap` bytes of body, the part kept, by `deadline`.
/// A success's body is then read on (up to [`SCAN_LIMIT`], until its `id` and `url` are
/// found or it ends) for its top-level fields, which are recorded when the kept part alone
/// may not hold them. That reading never fails the attempt: a success stays a success.
pub async fn capture(
    mut response: reqwest::Response,
    cap: usize,
    deadline: Instant,
) -> Result<CapturedResponse, CaptureError> {
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let success = (200..300).contains(&status);
    let mut scanner = FieldScanner::new();
    let mut body = Vec::new();
    let mut truncated = false;
    // Bytes read past the cap, once the body is longer than the cap.
    let mut past_cap: Option<usize> = None;
    loop {
        let chunk = match timeout_at(deadline, response.chunk()).await {
            Ok(Ok(chunk)) => chunk,
            Ok(Err(e)) => return Err(CaptureError::Http(e)),
            Err(_) => return Err(CaptureError::Timeout),
        };
        let Some(chunk) = chunk else { break };
        if success {
            scanner.feed(&chunk);
        }
        let room = cap.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            past_cap = Some(chunk.len() - room);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    if let Some(mut read) = past_cap.filter(|_| success) {
        // Past the cap, for a success only: what to look it up by.
        let enough = |s: &FieldScanner| {
            s.finished() || (s.found().contains_key("id") && s.found().contains_key("url"))
        };
        while !enough(&scanner) && read < SCAN_LIMIT {
            match timeout_at(deadline, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    scanner.feed(&chunk);
                    read = read.saturating_add(chunk.len());
                }
                // The end, a broken connection or the deadline: what was read stands.
                _ => break,
            }
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let now = SystemTime::now();
    let unix = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // The contract's headers, or the IETF draft's in either form.
    let rate = read_rate_headers(&headers, unix);
    let rate_limit = RateLimit {
        limit: rate.limit,
        remaining: rate.remaining,
        reset_secs: rate.reset_secs,
        retry_after_secs: find("retry-after")
            .and_then(|v| parse_retry_after(&v, now))
            .map(|d| d.as_secs()),
    };
    Ok(CapturedResponse {
        status,
        request_id: find("x-request-id"),
        headers,
        body,
        body_truncated: truncated,
        rate_limit,
        read_fields: if truncated && success {
            scanner.into_found()
        } else {
            Default::default()
        },
    })
}
