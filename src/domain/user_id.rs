//! The platform's user identifier: `usr-` followed by a version-4 UUID.
//!
//! Parsing explains exactly what is wrong, so the form can show it on every keystroke
//! and the batch preview can name the line and column.

use std::fmt;

/// Length of a well-formed id: `usr-` plus a 36-character hyphenated UUID.
pub const USER_ID_LEN: usize = 40;
/// The prefix every id starts with.
pub const USER_ID_PREFIX: &str = "usr-";
/// Offsets (0-based, in the whole id) where the UUID's hyphens stand.
const HYPHENS: [usize; 4] = [12, 17, 22, 27];
/// Offset of the UUID version nibble (must be `4`).
const VERSION_AT: usize = 18;
/// Offset of the UUID variant nibble (must be one of `8`, `9`, `a`, `b`).
const VARIANT_AT: usize = 23;

/// A valid user id, always in lowercase canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct UserId(String);

/// What parsing had to change to accept the input, so the user can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Normalisation {
    /// Surrounding whitespace (typically from a paste) was removed.
    pub trimmed: bool,
    /// Uppercase letters were lowered.
    pub lowercased: bool,
}

impl Normalisation {
    /// True when the accepted id differs from what was typed.
    pub fn changed(self) -> bool {
        self.trimmed || self.lowercased
    }

    /// A short note for the operator, or `None` when nothing changed.
    pub fn note(self) -> Option<&'static str> {
        match (self.trimmed, self.lowercased) {
            (false, false) => None,
            (true, false) => Some("surrounding spaces removed"),
            (false, true) => Some("uppercase converted to lowercase"),
            (true, true) => Some("spaces removed and uppercase converted to lowercase"),
        }
    }
}

/// A character as a message quotes it: `'\'` for a backslash (not doubled, as `{:?}`
/// writes it); a control character or bidi override written as its escape, never raw.
struct Shown(char);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 4];
        let c = self.0.encode_utf8(&mut buf);
        write!(f, "'{}'", super::safe_text(c))
    }
}

/// Why an input is not a user id. Positions are 1-based columns in the trimmed input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserIdError {
    /// Nothing was entered.
    #[error("required: usr- followed by a v4 UUID")]
    Empty,
    /// The input does not start with `usr-`.
    #[error("must start with \"usr-\"")]
    MissingPrefix,
    /// A character that is not a hexadecimal digit stands where one is expected.
    #[error("column {position}: {} is not a hex digit (0-9, a-f)", Shown(*found))]
    NotHex { position: usize, found: char },
    /// A hyphen is missing or stands where a hex digit is expected.
    #[error("column {position}: expected {expected}, found {}", Shown(*found))]
    MisplacedHyphen {
        position: usize,
        found: char,
        expected: &'static str,
    },
    /// The id is too short or too long.
    #[error("{found}/40 characters: {}", if *found < USER_ID_LEN { "too short" } else { "too long" })]
    Length { found: usize },
    /// The UUID's version nibble is not `4`.
    #[error("column {position}: UUID version must be 4, found {}", Shown(*found))]
    Version { position: usize, found: char },
    /// The UUID's variant nibble is not one of `8`, `9`, `a`, `b`.
    #[error("column {position}: UUID variant must be 8, 9, a or b, found {}", Shown(*found))]
    Variant { position: usize, found: char },
}

impl UserIdError {
    /// The 1-based column the error points at, if it points at one.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::NotHex { position, .. }
            | Self::MisplacedHyphen { position, .. }
            | Self::Version { position, .. }
            | Self::Variant { position, .. } => Some(*position),
            Self::MissingPrefix => Some(1),
            Self::Empty | Self::Length { .. } => None,
        }
    }
}

impl UserId {
    /// Parses an id, trimming surrounding whitespace and lowering uppercase hex.
    pub fn parse(input: &str) -> Result<(UserId, Normalisation), UserIdError> {
        let trimmed = input.trim();
        let mut norm = Normalisation {
            trimmed: trimmed.len() != input.len(),
            lowercased: false,
        };
        if trimmed.is_empty() {
            return Err(UserIdError::Empty);
        }
        let lowered = trimmed.to_lowercase();
        norm.lowercased = lowered != trimmed;
        let chars: Vec<char> = lowered.chars().collect();

        // While the prefix is still being typed, only the length is wrong.
        let head: String = chars.iter().take(USER_ID_PREFIX.len()).collect();
        if !USER_ID_PREFIX.starts_with(&head) {
            return Err(UserIdError::MissingPrefix);
        }
        if chars.len() < USER_ID_PREFIX.len() {
            return Err(UserIdError::Length { found: chars.len() });
        }
        for (at, &c) in chars.iter().enumerate().take(USER_ID_LEN).skip(4) {
            let position = at + 1;
            if HYPHENS.contains(&at) {
                if c != '-' {
                    return Err(UserIdError::MisplacedHyphen {
                        position,
                        found: c,
                        expected: "a hyphen",
                    });
                }
            } else if c == '-' {
                return Err(UserIdError::MisplacedHyphen {
                    position,
                    found: c,
                    expected: "a hex digit",
                });
            } else if !c.is_ascii_hexdigit() {
                return Err(UserIdError::NotHex { position, found: c });
            }
        }
        if chars.len() != USER_ID_LEN {
            return Err(UserIdError::Length { found: chars.len() });
        }
        if chars[VERSION_AT] != '4' {
            return Err(UserIdError::Version {
                position: VERSION_AT + 1,
                found: chars[VERSION_AT],
            });
        }
        if !matches!(chars[VARIANT_AT], '8' | '9' | 'a' | 'b') {
            return Err(UserIdError::Variant {
                position: VARIANT_AT + 1,
                found: chars[VARIANT_AT],
            });
        }
        Ok((UserId(lowered), norm))
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last twelve hex digits, which the sandbox reads for error on demand.
    pub fn node(&self) -> &str {
        &self.0[USER_ID_LEN - 12..]
    }

    /// A fresh random id, for examples and tests.
    pub fn random() -> UserId {
        UserId(format!("{USER_ID_PREFIX}{}", uuid::Uuid::new_v4()))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for UserId {
    type Err = UserIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UserId::parse(s).map(|(id, _)| id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_backslash_is_quoted_once_and_a_control_character_escaped() {
        let e = super::UserIdError::NotHex {
            position: 40,
            found: '\\',
        };
        assert_eq!(
            e.to_string(),
            "column 40: '\\' is not a hex digit (0-9, a-f)"
        );
        let e = super::UserIdError::NotHex {
            position: 5,
            found: '\u{1b}',
        };
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }

    use super::*;
    use proptest::prelude::*;

    const GOOD: &str = "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6";

    #[test]
    fn accepts_a_well_formed_id() {
        let (id, norm) = UserId::parse(GOOD).unwrap();
        assert_eq!(id.as_str(), GOOD);
        assert!(!norm.changed());
        assert_eq!(id.node(), "a1b2c3d4e5f6");
    }

    #[test]
    fn trims_and_lowercases_and_says_so() {
        let (id, norm) = UserId::parse("  USR-3F0E8D4A-5B6C-4D7E-8F90-A1B2C3D4E5F6\n").unwrap();
        assert_eq!(id.as_str(), GOOD);
        assert!(norm.trimmed && norm.lowercased);
        assert!(norm.note().unwrap().contains("uppercase"));
    }

    #[test]
    fn explains_common_mistakes() {
        assert_eq!(UserId::parse(""), Err(UserIdError::Empty));
        assert_eq!(UserId::parse("   "), Err(UserIdError::Empty));
        assert_eq!(UserId::parse("us"), Err(UserIdError::Length { found: 2 }));
        assert_eq!(
            UserId::parse("usr-123"),
            Err(UserIdError::Length { found: 7 })
        );
        assert_eq!(
            UserId::parse("usr-123").unwrap_err().to_string(),
            "7/40 characters: too short"
        );
        assert_eq!(
            UserId::parse("3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6"),
            Err(UserIdError::MissingPrefix)
        );
        assert_eq!(
            UserId::parse(&format!("{GOOD}0")),
            Err(UserIdError::Length { found: 41 })
        );
        assert_eq!(
            UserId::parse("usr-3f0e8d4g"),
            Err(UserIdError::NotHex {
                position: 12,
                found: 'g'
            })
        );
        assert_eq!(
            UserId::parse("usr-3f0e8d4a-5b6c-1d7e-8f90-a1b2c3d4e5f6"),
            Err(UserIdError::Version {
                position: 19,
                found: '1'
            })
        );
        assert_eq!(
            UserId::parse("usr-3f0e8d4a-5b6c-4d7e-cf90-a1b2c3d4e5f6"),
            Err(UserIdError::Variant {
                position: 24,
                found: 'c'
            })
        );
        assert_eq!(
            UserId::parse("usr-3f0e8d4a5b6c-4d7e-8f90-a1b2c3d4e5f6"),
            Err(UserIdError::MisplacedHyphen {
                position: 13,
                found: '5',
                expected: "a hyphen"
            })
        );
    }

    #[test]
    fn non_ascii_is_reported_by_column_not_byte() {
        assert_eq!(
            UserId::parse("usr-é"),
            Err(UserIdError::NotHex {
                position: 5,
                found: 'é'
            })
        );
    }

    fn v4_id() -> impl Strategy<Value = String> {
        any::<u128>().prop_map(|bits| {
            let uuid = uuid::Builder::from_random_bytes(bits.to_le_bytes()).into_uuid();
            format!("usr-{uuid}")
        })
    }

    proptest! {
        #[test]
        fn every_well_formed_v4_id_is_accepted(id in v4_id()) {
            let (parsed, norm) = UserId::parse(&id).unwrap();
            prop_assert_eq!(parsed.as_str(), id.as_str());
            prop_assert!(!norm.changed());
            let upper = UserId::parse(&id.to_uppercase()).unwrap();
            prop_assert_eq!(upper.0.as_str(), id.as_str());
            prop_assert!(upper.1.lowercased);
        }

        #[test]
        fn every_single_character_corruption_is_rejected_with_its_reason(
            id in v4_id(),
            at in 0usize..USER_ID_LEN,
            replacement in prop_oneof![
                proptest::char::range('!', '~'),
                Just('é'),
                Just(' '),
            ],
        ) {
            let mut chars: Vec<char> = id.chars().collect();
            let original = chars[at];
            prop_assume!(replacement.to_ascii_lowercase() != original);
            chars[at] = replacement;
            let corrupted: String = chars.iter().collect();
            let result = UserId::parse(&corrupted);
            let position = at + 1;
            let lower = replacement.to_ascii_lowercase();
            if at < 4 {
                prop_assert_eq!(result, Err(UserIdError::MissingPrefix));
            } else if HYPHENS.contains(&at) {
                prop_assert_eq!(result, Err(UserIdError::MisplacedHyphen {
                    position, found: lower, expected: "a hyphen" }));
            } else if replacement == '-' {
                prop_assert_eq!(result, Err(UserIdError::MisplacedHyphen {
                    position, found: '-', expected: "a hex digit" }));
            } else if at == USER_ID_LEN - 1 && replacement == ' ' {
                // A trailing space is trimmed: the id is then one short.
                prop_assert_eq!(result, Err(UserIdError::Length { found: 39 }));
            } else if !lower.is_ascii_hexdigit() {
                prop_assert_eq!(result, Err(UserIdError::NotHex { position, found: lower }));
            } else if at == VERSION_AT {
                prop_assert_eq!(result, Err(UserIdError::Version { position, found: lower }));
            } else if at == VARIANT_AT && !matches!(lower, '8' | '9' | 'a' | 'b') {
                prop_assert_eq!(result, Err(UserIdError::Variant { position, found: lower }));
            } else {
                // Another hex digit (or the same one in uppercase) is still a valid id.
                prop_assert!(result.is_ok());
            }
        }
    }
}
