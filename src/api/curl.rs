//! The request as a curl command support can paste. The key is `$KYC_API_KEY`, never its value.

use super::RequestRecord;
use super::secret::is_key_header;

/// The environment variable a copied curl command reads the key from.
pub const CURL_KEY_VAR: &str = "KYC_API_KEY";

/// Renders a request as a multi-line curl command.
pub fn to_curl(request: &RequestRecord) -> String {
    let mut parts = vec![format!(
        "curl -sS -i -X {} {}",
        request.method,
        shell_quote(&request.url)
    )];
    for (name, value) in &request.headers {
        if is_key_header(name) {
            parts.push(format!("-H \"{name}: ${CURL_KEY_VAR}\""));
        } else if !name.eq_ignore_ascii_case("user-agent") {
            parts.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
        }
    }
    parts.push(format!("--data-raw {}", shell_quote(&request.body)));
    parts.join(" \\\n  ")
}

/// Single-quotes a word for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'\''"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_the_variable_for_the_key_and_quotes_the_rest() {
        let req = RequestRecord {
            method: "POST".into(),
            url: "http://127.0.0.1:1/v1/kycs".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-api-key".into(), "whatever-was-stored".into()),
                ("x-idempotency-key".into(), "k-1".into()),
            ],
            body: r#"{"userId":"it's"}"#.into(),
        };
        let curl = to_curl(&req);
        assert!(curl.contains("-H \"x-api-key: $KYC_API_KEY\""));
        assert!(!curl.contains("whatever-was-stored"));
        assert!(curl.contains(r#"--data-raw '{"userId":"it'\''s"}'"#));
        assert!(curl.starts_with("curl -sS -i -X POST 'http://127.0.0.1:1/v1/kycs'"));
    }
}
