//! The four kinds of KYC process the platform can start.

use std::fmt;

/// A KYC process type, in the order the platform lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KycType {
    Full,
    Shipping,
    Rfi,
    Import,
}

/// The error for a type name the platform does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown KYC type {0:?}: expected one of full, shipping, rfi, import")]
pub struct UnknownKycType(pub String);

impl KycType {
    /// Every type, in the platform's order (the picker and the digits 1-4 follow it).
    pub const ALL: [KycType; 4] = [Self::Full, Self::Shipping, Self::Rfi, Self::Import];

    /// The value sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Shipping => "shipping",
            Self::Rfi => "rfi",
            Self::Import => "import",
        }
    }

    /// One line for an operator choosing between types.
    pub fn description(self) -> &'static str {
        match self {
            Self::Full => "document scan and identity check",
            Self::Shipping => "shipping address form only",
            Self::Rfi => "more info, e.g. proof of address",
            Self::Import => "pre-verified data, partners only",
        }
    }

    /// Position in [`KycType::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// Parses a wire value, ignoring case and surrounding spaces.
    pub fn parse(input: &str) -> Result<KycType, UnknownKycType> {
        let wanted = input.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == wanted)
            .ok_or_else(|| UnknownKycType(input.trim().to_string()))
    }
}

impl fmt::Display for KycType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KycType {
    type Err = UnknownKycType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KycType::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type_in_order() {
        let names: Vec<_> = KycType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["full", "shipping", "rfi", "import"]);
        for (i, t) in KycType::ALL.into_iter().enumerate() {
            assert_eq!(KycType::parse(t.as_str()), Ok(t));
            assert_eq!(t.index(), i);
            assert!(!t.description().is_empty());
        }
        assert_eq!(KycType::parse(" RFI "), Ok(KycType::Rfi));
    }

    #[test]
    fn names_the_allowed_values_when_unknown() {
        let err = KycType::parse("passport").unwrap_err();
        assert!(err.to_string().contains("full, shipping, rfi, import"));
    }
}
