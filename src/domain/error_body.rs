//! Reads whatever body an API or a gateway sent back, without ever failing.
//!
//! Error bodies come as RFC 9457 problem details, `{message, errors[]}`,
//! `{error: {code, message}}`, plain text or a gateway's HTML page. The console shows a
//! readable rendition and maps field errors back to the form.

use super::FormField;
use serde_json::Value;

/// What kind of body arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    Empty,
    Json,
    ProblemJson,
    Text,
    Html,
    Binary,
}

/// An error that names (or may name) one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The form field it maps to, when it names one of ours.
    pub field: Option<FormField>,
    /// What the body called it (a JSON pointer or a name).
    pub reference: String,
    pub message: String,
}

/// The readable essence of a response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct BodySummary {
    pub format: Option<BodyFormat>,
    /// A headline: problem `title`, HTML `<title>`, or an error code.
    pub title: Option<String>,
    /// The main sentence: `detail`, `message`, or the start of the text.
    pub message: Option<String>,
    /// A machine error code, e.g. `duplicate_user_error`.
    pub code: Option<String>,
    pub field_errors: Vec<FieldError>,
    /// The whole body made readable: pretty JSON, text, or HTML reduced to text.
    pub readable: String,
}

impl BodySummary {
    /// One line for a table cell: the most specific thing the body says.
    pub fn one_line(&self) -> Option<String> {
        let base = self.message.clone().or_else(|| self.title.clone())?;
        Some(base.lines().next().unwrap_or_default().to_string())
    }

    /// The first field error for a given form field.
    pub fn error_for(&self, field: FormField) -> Option<&FieldError> {
        self.field_errors.iter().find(|e| e.field == Some(field))
    }
}

/// Reads a body. `content_type` is the response's header, if any.
pub fn read_body(content_type: Option<&str>, body: &[u8]) -> BodySummary {
    let ct = content_type.unwrap_or_default().to_ascii_lowercase();
    if body.iter().all(u8::is_ascii_whitespace) {
        return BodySummary {
            format: Some(BodyFormat::Empty),
            ..Default::default()
        };
    }
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        return read_json(&ct, json);
    }
    let text = String::from_utf8_lossy(body);
    let looks_html = ct.contains("html") || {
        let head = text
            .trim_start()
            .get(..15)
            .unwrap_or_default()
            .to_ascii_lowercase();
        head.starts_with("<!doctype html") || head.starts_with("<html")
    };
    if looks_html {
        return read_html(&text);
    }
    let replaced = text.chars().filter(|c| *c == '\u{FFFD}').count();
    if replaced * 10 > text.chars().count().max(1) {
        return BodySummary {
            format: Some(BodyFormat::Binary),
            message: Some(format!("{} bytes of binary data", body.len())),
            readable: format!("<{} bytes of binary data>", body.len()),
            ..Default::default()
        };
    }
    let trimmed = text.trim();
    BodySummary {
        format: Some(BodyFormat::Text),
        message: trimmed.lines().next().map(|l| truncate(l.trim(), 200)),
        readable: trimmed.to_string(),
        ..Default::default()
    }
}

fn read_json(ct: &str, json: Value) -> BodySummary {
    let readable = serde_json::to_string_pretty(&json).unwrap_or_default();
    let mut out = BodySummary {
        format: Some(if ct.contains("problem+json") {
            BodyFormat::ProblemJson
        } else {
            BodyFormat::Json
        }),
        readable,
        ..Default::default()
    };
    let Value::Object(map) = &json else {
        if let Value::String(s) = &json {
            out.message = Some(s.clone());
        }
        return out;
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    // Problem details.
    out.title = text(map.get("title"));
    out.message = text(map.get("detail")).or_else(|| text(map.get("message")));
    out.code = text(map.get("code")).or_else(|| {
        map.get("type")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && *t != "about:blank")
            .map(|t| t.rsplit('/').next().unwrap_or(t).to_string())
    });
    if map.contains_key("title") && map.contains_key("status") {
        out.format = Some(BodyFormat::ProblemJson);
    }
    // {error: {code, message}} or {error: "text", error_description: "..."}
    match map.get("error") {
        Some(Value::Object(err)) => {
            out.code = out.code.or_else(|| text(err.get("code")));
            out.message = out
                .message
                .or_else(|| text(err.get("message")))
                .or_else(|| text(err.get("detail")));
            if let Some(errors) = err.get("errors") {
                collect_field_errors(errors, &mut out.field_errors);
            }
            if let Some(field) = text(err.get("field")).or_else(|| text(err.get("param"))) {
                push_field(
                    &mut out.field_errors,
                    &field,
                    out.message.clone().unwrap_or_default(),
                );
            }
        }
        Some(Value::String(s)) => {
            out.code = out.code.or_else(|| Some(s.clone()));
            out.message = out.message.or_else(|| text(map.get("error_description")));
        }
        _ => {}
    }
    for key in ["errors", "invalid-params", "invalid_params", "violations"] {
        if let Some(errors) = map.get(key) {
            collect_field_errors(errors, &mut out.field_errors);
        }
    }
    if out.message.is_none() {
        out.message = out
            .field_errors
            .first()
            .map(|e| format!("{}: {}", e.reference, e.message));
    }
    out
}

fn collect_field_errors(errors: &Value, out: &mut Vec<FieldError>) {
    match errors {
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => out.push(FieldError {
                        field: None,
                        reference: String::new(),
                        message: s.clone(),
                    }),
                    Value::Object(e) => {
                        let reference =
                            ["pointer", "field", "name", "param", "path", "propertyPath"]
                                .iter()
                                .find_map(|k| e.get(*k).and_then(Value::as_str))
                                .or_else(|| {
                                    e.get("source")
                                        .and_then(|s| s.get("pointer"))
                                        .and_then(Value::as_str)
                                })
                                .unwrap_or_default();
                        let message = ["detail", "message", "reason", "title", "code"]
                            .iter()
                            .find_map(|k| e.get(*k).and_then(Value::as_str))
                            .unwrap_or("invalid")
                            .to_string();
                        push_field(out, reference, message);
                    }
                    _ => {}
                }
            }
        }
        // {"userId": ["must be 40 characters"]} or {"userId": "…"}
        Value::Object(map) => {
            for (name, v) in map {
                let message = match v {
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                };
                push_field(out, name, message);
            }
        }
        _ => {}
    }
}

fn push_field(out: &mut Vec<FieldError>, reference: &str, message: String) {
    out.push(FieldError {
        field: FormField::from_reference(reference),
        reference: reference.to_string(),
        message,
    });
}

fn read_html(html: &str) -> BodySummary {
    let title = between_tags(html, "title").map(|t| collapse(&decode_entities(t)));
    let text = collapse(&decode_entities(&strip_tags(html)));
    let body_text = match &title {
        Some(t) => text
            .strip_prefix(t.as_str())
            .unwrap_or(&text)
            .trim()
            .to_string(),
        None => text.clone(),
    };
    BodySummary {
        format: Some(BodyFormat::Html),
        message: (!body_text.is_empty()).then(|| truncate(&body_text, 200)),
        title,
        readable: text,
        ..Default::default()
    }
}

fn between_tags<'a>(html: &'a str, tag: &str) -> Option<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find(&format!("<{tag}"))?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find(&format!("</{tag}"))?;
    html.get(start..end)
}

/// Removes tags, comments, and the contents of `script` and `style` elements.
fn strip_tags(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    while i < html.len() {
        let rest = &lower[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
        } else if rest.starts_with("<script") || rest.starts_with("<style") {
            let close = if rest.starts_with("<script") {
                "</script"
            } else {
                "</style"
            };
            let end = rest.find(close).map_or(rest.len(), |e| e + close.len());
            i += end + lower[i + end..].find('>').map_or(0, |e| e + 1);
        } else if rest.starts_with('<') {
            out.push(' ');
            i += rest.find('>').map_or(rest.len(), |e| e + 1);
        } else {
            let next = rest.find('<').unwrap_or(rest.len());
            out.push_str(&html[i..i + next]);
            i += next;
        }
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_problem_details_with_pointers() {
        let body = br##"{"type":"https://errors.example/validation","title":"Invalid request","status":400,
            "detail":"userId is invalid","errors":[{"pointer":"#/userId","detail":"must be 40 characters"}]}"##;
        let s = read_body(Some("application/problem+json"), body);
        assert_eq!(s.format, Some(BodyFormat::ProblemJson));
        assert_eq!(s.title.as_deref(), Some("Invalid request"));
        assert_eq!(s.message.as_deref(), Some("userId is invalid"));
        assert_eq!(s.code.as_deref(), Some("validation"));
        let e = s.error_for(FormField::UserId).unwrap();
        assert_eq!(e.message, "must be 40 characters");
    }

    #[test]
    fn reads_message_and_errors() {
        let body = br#"{"message":"Validation failed","errors":[{"field":"redirectUri","message":"not absolute"},"plain"]}"#;
        let s = read_body(Some("application/json"), body);
        assert_eq!(s.message.as_deref(), Some("Validation failed"));
        assert_eq!(
            s.error_for(FormField::RedirectUri).unwrap().message,
            "not absolute"
        );
        assert_eq!(s.field_errors.len(), 2);
        let map = br#"{"errors":{"type":["unknown type"]}}"#;
        let s = read_body(None, map);
        assert_eq!(
            s.error_for(FormField::KycType).unwrap().message,
            "unknown type"
        );
        assert_eq!(s.message.as_deref(), Some("type: unknown type"));
    }

    #[test]
    fn reads_nested_error_objects() {
        let body =
            br#"{"error":{"code":"duplicate_user_error","message":"a KYC is already pending"}}"#;
        let s = read_body(Some("application/json"), body);
        assert_eq!(s.code.as_deref(), Some("duplicate_user_error"));
        assert_eq!(s.message.as_deref(), Some("a KYC is already pending"));
    }

    #[test]
    fn reduces_gateway_html_to_title_and_text() {
        let body = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>h1{color:red}</style></head>\
            <body><h1>502 Bad Gateway</h1><p>The upstream &amp; friends sent junk.</p><!-- hi --></body></html>";
        let s = read_body(Some("text/html; charset=utf-8"), body);
        assert_eq!(s.format, Some(BodyFormat::Html));
        assert_eq!(s.title.as_deref(), Some("502 Bad Gateway"));
        assert_eq!(
            s.readable,
            "502 Bad Gateway 502 Bad Gateway The upstream & friends sent junk."
        );
        assert!(!s.readable.contains("color"));
        assert_eq!(
            s.message.as_deref(),
            Some("502 Bad Gateway The upstream & friends sent junk.")
        );
    }

    #[test]
    fn reads_plain_text_empty_and_binary() {
        let s = read_body(Some("text/plain"), b"Service Unavailable\nback soon\n");
        assert_eq!(s.format, Some(BodyFormat::Text));
        assert_eq!(s.message.as_deref(), Some("Service Unavailable"));
        assert_eq!(read_body(None, b"  \n").format, Some(BodyFormat::Empty));
        let s = read_body(None, &[0xff, 0xfe, 0x00, 0x81, 0x92, 0xff]);
        assert_eq!(s.format, Some(BodyFormat::Binary));
    }

    proptest! {
        #[test]
        fn never_fails_whatever_the_bytes(body in proptest::collection::vec(any::<u8>(), 0..512),
                                          ct in prop_oneof![Just(None), Just(Some("text/html")), Just(Some("application/json"))]) {
            let _ = read_body(ct, &body);
        }

        #[test]
        fn never_fails_on_html_like_text(body in "[<>!a-z/ -]{0,200}") {
            let _ = read_body(Some("text/html"), body.as_bytes());
        }
    }
}
