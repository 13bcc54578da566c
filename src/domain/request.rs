//! The body sent to initiate a verification, with its JSON field names in one place.

use super::{KycType, RedirectUri, UserId};

/// JSON name of the user id field.
pub const FIELD_USER_ID: &str = "userId";
/// JSON name of the KYC type field.
pub const FIELD_TYPE: &str = "type";
/// JSON name of the optional redirect URI field.
pub const FIELD_REDIRECT_URI: &str = "redirectUri";

/// The form fields an operator fills in, which error bodies are mapped back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormField {
    UserId,
    KycType,
    RedirectUri,
}

impl FormField {
    /// The label an operator sees.
    pub fn label(self) -> &'static str {
        match self {
            Self::UserId => "user id",
            Self::KycType => "KYC type",
            Self::RedirectUri => "redirect URI",
        }
    }

    /// Maps a JSON name, a JSON pointer (`/userId`) or a snake_case name to a field.
    pub fn from_reference(reference: &str) -> Option<FormField> {
        let name = reference
            .trim()
            .trim_start_matches('#')
            .trim_start_matches("/body")
            .trim_start_matches('/')
            .trim_start_matches("body.");
        let compact: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        match compact.as_str() {
            "userid" => Some(Self::UserId),
            "type" | "kyctype" => Some(Self::KycType),
            "redirecturi" | "redirecturl" => Some(Self::RedirectUri),
            _ => None,
        }
    }
}

/// A validated request to initiate a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiateRequest {
    pub user_id: UserId,
    pub kyc_type: KycType,
    pub redirect_uri: Option<RedirectUri>,
}

impl InitiateRequest {
    /// The JSON body, with `redirectUri` omitted when absent.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert(FIELD_USER_ID.into(), self.user_id.as_str().into());
        body.insert(FIELD_TYPE.into(), self.kyc_type.as_str().into());
        if let Some(uri) = &self.redirect_uri {
            body.insert(FIELD_REDIRECT_URI.into(), uri.as_str().into());
        }
        serde_json::Value::Object(body)
    }

    /// The exact bytes sent (compact JSON), which idempotency compares.
    pub fn body_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omits_absent_redirect_uri() {
        let req = InitiateRequest {
            user_id: "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6".parse().unwrap(),
            kyc_type: KycType::Shipping,
            redirect_uri: None,
        };
        let sent: serde_json::Value = serde_json::from_slice(&req.body_bytes()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"userId": "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6", "type": "shipping"})
        );
        let with = InitiateRequest {
            redirect_uri: RedirectUri::parse_optional("https://a.example/x")
                .unwrap()
                .map(|(u, _)| u),
            ..req
        };
        assert_eq!(with.to_json()["redirectUri"], "https://a.example/x");
    }

    #[test]
    fn maps_references_to_fields() {
        assert_eq!(
            FormField::from_reference("/userId"),
            Some(FormField::UserId)
        );
        assert_eq!(
            FormField::from_reference("#/type"),
            Some(FormField::KycType)
        );
        assert_eq!(
            FormField::from_reference("redirect_uri"),
            Some(FormField::RedirectUri)
        );
        assert_eq!(
            FormField::from_reference("body.userId"),
            Some(FormField::UserId)
        );
        assert_eq!(FormField::from_reference("/amount"), None);
    }
}
