//! The bodies and headers the sandbox answers with, shaped like the real platform's.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

/// A response being built: status, extra headers and a body with its content type.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    pub fn problem(status: u16, title: &str, detail: &str, errors: serde_json::Value) -> Reply {
        let slug = title.to_ascii_lowercase().replace(' ', "-");
        Reply {
            content_type: "application/problem+json".into(),
            ..Reply::json(
                status,
                json!({
                    "type": format!("https://docs.sandbox.invalid/errors/{slug}"),
                    "title": title,
                    "status": status,
                    "detail": detail,
                    "errors": errors,
                }),
            )
        }
    }

    pub fn with_header(mut self, name: &str, value: impl ToString) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Turns the reply into an axum response.
    pub fn into_response(self) -> Response {
        let mut response = Response::new(axum::body::Body::from(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_str(&self.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.insert(n, v);
            }
        }
        response
    }
}

pub fn unauthenticated() -> Reply {
    Reply::json(
        401,
        json!({"message": "Unauthenticated: missing or invalid x-api-key header", "errors": []}),
    )
}

pub fn rate_limited(retry_after: u64) -> Reply {
    Reply::json(
        429,
        json!({"message": "Too many requests: rate limit exceeded for this API key", "errors": []}),
    )
    .with_header("retry-after", retry_after)
}

/// The sandbox could not save what a request changed: nothing was initiated or kept, and
/// a retry with the same idempotency key is safe.
pub fn unsaved(why: &str, retry_after: u64) -> Reply {
    Reply::json(
        503,
        json!({
            "message": format!("Service Unavailable: the sandbox could not save its state ({why}); nothing was initiated, retry with the same idempotency key"),
            "errors": [],
        }),
    )
    .with_header("retry-after", retry_after)
}

/// The body is not declared JSON.
pub fn not_json() -> Reply {
    Reply::problem(
        415,
        "Unsupported Media Type",
        "send the body as JSON with Content-Type: application/json",
        json!([{"pointer": "header:content-type", "detail": "must be application/json"}]),
    )
    .with_header("accept-post", "application/json")
}

/// The body is larger than any request the platform takes.
pub fn too_large(limit: usize) -> Reply {
    Reply::problem(
        413,
        "Content Too Large",
        &format!("the body is larger than {limit} bytes"),
        json!([{"pointer": "", "detail": format!("at most {limit} bytes")}]),
    )
    .with_header("connection", "close")
}

/// The body did not arrive within the read timeout.
pub fn body_timeout(limit: std::time::Duration) -> Reply {
    Reply::problem(
        408,
        "Request Timeout",
        &format!(
            "the body did not arrive within {} ms of the headers",
            limit.as_millis()
        ),
        json!([{"pointer": "", "detail": "sent too slowly"}]),
    )
    .with_header("connection", "close")
}

/// The sandbox holds as many idempotency keys as it may: nothing was initiated or kept.
pub fn too_many_keys(max: usize, retry_after: u64) -> Reply {
    Reply::json(
        503,
        json!({
            "message": format!("Service Unavailable: the sandbox already remembers {max} idempotency keys, none expired; nothing was initiated, retry later"),
            "errors": [],
        }),
    )
    .with_header("retry-after", retry_after)
}

/// What a user id ending in `000000000SSS` gets from the sandbox.
pub fn on_demand(status: u16, retry_after: u64) -> Reply {
    match status {
        400 => Reply::problem(
            400,
            "Invalid request",
            "userId was rejected by the platform (sandbox error on demand)",
            json!([{"pointer": "#/userId", "detail": "user does not satisfy the platform's checks"}]),
        ),
        401 => unauthenticated(),
        403 => Reply::problem(
            403,
            "Forbidden",
            "this API key is not allowed to initiate a KYC for this user",
            json!([]),
        ),
        429 => rate_limited(retry_after),
        500 => Reply::json(
            500,
            json!({"error": {"code": "internal_error", "message": "An unexpected error occurred"}}),
        ),
        502 => Reply {
            status: 502,
            content_type: "text/html; charset=utf-8".into(),
            headers: Vec::new(),
            body: b"<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n\
<center><h1>502 Bad Gateway</h1></center>\n<hr><center>gateway: upstream sent an invalid response</center>\n\
</body>\n</html>\n"
                .to_vec(),
        },
        503 => Reply {
            status: 503,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: b"Service Unavailable: the platform is under maintenance, try again shortly\n"
                .to_vec(),
        }
        .with_header("retry-after", retry_after),
        _ => Reply {
            status: 504,
            content_type: "text/html; charset=utf-8".into(),
            headers: Vec::new(),
            body: b"<html><head><title>504 Gateway Time-out</title></head>\
<body><h1>504 Gateway Time-out</h1><p>The upstream server did not answer in time.</p></body></html>\n"
                .to_vec(),
        },
    }
}
