//! The optional redirect URI the KYC webview sends the end user to afterwards.

use url::Url;

/// An absolute URI with a scheme, as the platform requires.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

/// Why a redirect URI is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    /// It does not parse as an absolute URI.
    #[error("not absolute; e.g. https://example.com/done")]
    NotAbsolute(String),
    /// It contains spaces, which a browser would not follow as typed.
    #[error("contains a space at column {0}; percent-encode it as %20")]
    Space(usize),
}

/// Something acceptable but worth a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectUriWarning {
    /// Plain http to a host that is not this machine: the user's data may travel unencrypted.
    PlainHttp,
}

impl RedirectUriWarning {
    /// The sentence shown under the field.
    pub fn message(self) -> &'static str {
        match self {
            Self::PlainHttp => "plain http: the end user lands on an unencrypted page",
        }
    }
}

impl RedirectUri {
    /// Parses the field: empty (after trimming) means absent.
    pub fn parse_optional(
        input: &str,
    ) -> Result<Option<(RedirectUri, Option<RedirectUriWarning>)>, RedirectUriError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if let Some(i) = trimmed.chars().position(char::is_whitespace) {
            return Err(RedirectUriError::Space(i + 1));
        }
        let url = Url::parse(trimmed).map_err(|e| RedirectUriError::NotAbsolute(e.to_string()))?;
        if url.cannot_be_a_base() && !trimmed.contains("://") {
            return Err(RedirectUriError::NotAbsolute(
                "a scheme and a host are expected".into(),
            ));
        }
        let warning =
            (url.scheme() == "http" && !is_loopback(&url)).then_some(RedirectUriWarning::PlainHttp);
        Ok(Some((RedirectUri(trimmed.to_string()), warning)))
    }

    /// The URI as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_absent() {
        assert_eq!(RedirectUri::parse_optional(""), Ok(None));
        assert_eq!(RedirectUri::parse_optional("   "), Ok(None));
    }

    #[test]
    fn accepts_absolute_uris() {
        let (uri, warn) = RedirectUri::parse_optional(" https://example.com/done?x=1 ")
            .unwrap()
            .unwrap();
        assert_eq!(uri.as_str(), "https://example.com/done?x=1");
        assert_eq!(warn, None);
        let (_, warn) = RedirectUri::parse_optional("myapp://kyc/done")
            .unwrap()
            .unwrap();
        assert_eq!(warn, None);
    }

    #[test]
    fn warns_on_plain_http_to_remote_hosts_only() {
        let (_, warn) = RedirectUri::parse_optional("http://example.com")
            .unwrap()
            .unwrap();
        assert_eq!(warn, Some(RedirectUriWarning::PlainHttp));
        for local in [
            "http://localhost:3000/x",
            "http://127.0.0.1/x",
            "http://[::1]/",
        ] {
            let (_, warn) = RedirectUri::parse_optional(local).unwrap().unwrap();
            assert_eq!(warn, None, "{local}");
        }
    }

    #[test]
    fn refuses_relative_and_spaced_uris() {
        assert!(matches!(
            RedirectUri::parse_optional("/done"),
            Err(RedirectUriError::NotAbsolute(_))
        ));
        assert!(matches!(
            RedirectUri::parse_optional("example.com/done"),
            Err(RedirectUriError::NotAbsolute(_))
        ));
        assert_eq!(
            RedirectUri::parse_optional("https://example.com/a b"),
            Err(RedirectUriError::Space(22))
        );
    }
}
