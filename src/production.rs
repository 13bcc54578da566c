//! The production rule, asked by every front-end alike: which targets are production, and
//! what a send there (or a batch anywhere) needs before anything leaves the machine.

/// The host of the platform's production API; a target there is production unless the
/// settings say otherwise.
pub const PRODUCTION_HOST: &str = "api.kulipa.xyz";

/// Whether a base URL points at the production API.
pub fn is_production_url(url: &url::Url) -> bool {
    url.host_str() == Some(PRODUCTION_HOST)
}

/// What is being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendKind {
    /// One submission: a form, a resend, a replay, a retry.
    One,
    /// Many rows at once.
    Batch,
}

/// What the operator must say before a send goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Nothing: send.
    None,
    /// A yes (`--yes`, `y`; in the console, Enter on a batch's preview is that yes).
    Yes,
    /// The profile's name, typed out: a batch to production.
    ProfileName,
}

/// The confirmation a send of this kind needs on a target that is (or is not) production.
pub fn confirmation(production: bool, kind: SendKind) -> Confirmation {
    match (production, kind) {
        (false, SendKind::One) => Confirmation::None,
        (true, SendKind::One) | (false, SendKind::Batch) => Confirmation::Yes,
        (true, SendKind::Batch) => Confirmation::ProfileName,
    }
}

/// What the operator said: a yes, or a name typed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    Yes,
    Name(&'a str),
}

/// Whether an answer gives what `needed` asks for. The profile's name typed out is
/// always enough; a bare yes is not enough where the name is asked for.
pub fn accepts(needed: Confirmation, profile: &str, answer: Answer<'_>) -> bool {
    match (needed, answer) {
        (Confirmation::None, _) => true,
        (_, Answer::Name(name)) => name.trim() == profile,
        (Confirmation::Yes, Answer::Yes) => true,
        (Confirmation::ProfileName, Answer::Yes) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_asks_more_and_a_batch_always_asks() {
        assert_eq!(confirmation(false, SendKind::One), Confirmation::None);
        assert_eq!(confirmation(true, SendKind::One), Confirmation::Yes);
        assert_eq!(confirmation(false, SendKind::Batch), Confirmation::Yes);
        assert_eq!(
            confirmation(true, SendKind::Batch),
            Confirmation::ProfileName
        );
    }

    #[test]
    fn only_the_exact_name_confirms_a_production_batch() {
        let needed = Confirmation::ProfileName;
        assert!(accepts(needed, "prod", Answer::Name("prod")));
        assert!(accepts(needed, "prod", Answer::Name(" prod\n")));
        assert!(!accepts(needed, "prod", Answer::Name("Prod")));
        assert!(!accepts(needed, "prod", Answer::Yes));
        assert!(accepts(Confirmation::Yes, "prod", Answer::Yes));
        assert!(!accepts(Confirmation::Yes, "prod", Answer::Name("other")));
    }

    #[test]
    fn the_production_host_is_production() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(is_production_url(&url("https://api.kulipa.xyz/v1")));
        assert!(!is_production_url(&url(
            "https://api.kulipa.xyz.example/v1"
        )));
        assert!(!is_production_url(&url("http://127.0.0.1:8080/v1")));
    }
}
