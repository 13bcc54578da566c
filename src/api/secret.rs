//! API keys, kept out of every `Debug`, log line and screen.

use std::fmt;

/// An API key. `Debug` and `Display` print a mask; only [`ApiKey::expose`] gives the value,
/// and only the HTTP layer calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// What is shown wherever a key would appear.
pub const KEY_MASK: &str = "••••••••";

/// The request header the key travels in.
pub const KEY_HEADER: &str = "x-api-key";

/// Whether a header carries the key (names are case-insensitive).
pub fn is_key_header(name: &str) -> bool {
    name.eq_ignore_ascii_case(KEY_HEADER)
}

/// A header's value as it may be shown: the key header's is the mask whatever was
/// recorded, so a record written before masking, or by hand, still shows no key.
pub fn mask_header<'a>(name: &str, value: &'a str) -> &'a str {
    if is_key_header(name) { KEY_MASK } else { value }
}

impl ApiKey {
    pub fn new(value: impl Into<String>) -> ApiKey {
        ApiKey(value.into())
    }

    /// The real value, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key with all but its last four characters hidden, for `config check`.
    pub fn masked_hint(&self) -> String {
        let n = self.0.chars().count();
        if n <= 8 {
            KEY_MASK.to_string()
        } else {
            let tail: String = self.0.chars().skip(n - 4).collect();
            format!("{KEY_MASK}{tail}")
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(KEY_MASK)
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(KEY_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let key = ApiKey::new("sk_live_supersecret_1234");
        assert!(!format!("{key:?} {key}").contains("supersecret"));
        assert!(key.masked_hint().ends_with("1234"));
        assert!(!key.masked_hint().contains("supersecret"));
        assert_eq!(key.expose(), "sk_live_supersecret_1234");
    }

    #[test]
    fn the_key_header_is_masked_whatever_its_case() {
        assert_eq!(mask_header("X-Api-Key", "sk_live_supersecret"), KEY_MASK);
        assert_eq!(mask_header("x-api-key", KEY_MASK), KEY_MASK);
        assert_eq!(
            mask_header("accept", "application/json"),
            "application/json"
        );
    }
}
