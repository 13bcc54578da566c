//! Commands the CLI prints for the operator to run next, written to work as printed: they
//! name the target the way it was chosen (a profile, or a base URL and its key variable)
//! and the settings and data directory given, so a copy and paste reaches the same place.

use crate::cli::GlobalArgs;
use crate::domain::{LINE_LIMIT, safe_text_within};
use crate::session::Session;
use crate::target::CUSTOM_PROFILE;

/// `kyc-console REST` with the flags that reach the session's target and files.
pub fn command(global: &GlobalArgs, session: &Session, rest: &str) -> String {
    let key_env = session.to.key_env.as_deref();
    let reach = Reach {
        profile: &session.profile.name,
        base_url: session.opened.target.base_url.as_ref(),
        key_env,
    };
    command_to(global, session, &reach, rest)
}

/// For a submission the client stopped because the server asked for a longer wait than
/// `max_wait_secs`: the command that asks again later, with the same idempotency key.
pub fn retry_later(
    global: &GlobalArgs,
    session: &Session,
    id: i64,
    exchange: &crate::api::Exchange,
) -> Option<String> {
    let stopped = exchange
        .last()
        .and_then(|a| a.stop)
        .is_some_and(|s| matches!(s, crate::domain::Stop::WaitTooLong { .. }));
    stopped.then(|| command(global, session, &format!("retry {id}")))
}

/// How a target was reached: by profile, or (ad hoc) by base URL and key variable.
pub struct Reach<'a> {
    pub profile: &'a str,
    pub base_url: &'a str,
    pub key_env: Option<&'a str>,
}

/// `kyc-console REST` with the flags that reach another target (a profile, or an ad-hoc
/// base URL) and the files given. Printed on a terminal, so a value read from a file or the
/// history shows its control characters as visible escapes.
pub fn command_to(global: &GlobalArgs, session: &Session, reach: &Reach<'_>, rest: &str) -> String {
    let target = target_flags(global, reach, &session.config.default_profile);
    let command = format!("kyc-console {rest}{target}{}", file_flags(global));
    safe_text_within(&command, LINE_LIMIT).into_owned()
}

/// The flags that choose a target: nothing for the default profile, `--profile NAME`
/// for another, `--base-url URL --api-key-env NAME` for an ad-hoc one.
pub fn target_flags(global: &GlobalArgs, reach: &Reach<'_>, default_profile: &str) -> String {
    if reach.profile == CUSTOM_PROFILE {
        let key = reach
            .key_env
            .or(global.api_key_env.as_deref())
            .unwrap_or("VARIABLE_WITH_THE_KEY");
        format!(
            " --base-url {} --api-key-env {}",
            quote(reach.base_url),
            quote(key)
        )
    } else if reach.profile != default_profile || global.profile.is_some() {
        format!(" --profile {}", quote(reach.profile))
    } else {
        String::new()
    }
}

/// `kyc-console REST` with the settings and data directory given, for a command that reads
/// only the history (no target to reach).
pub fn history_command(global: &GlobalArgs, rest: &str) -> String {
    let command = format!("kyc-console {rest}{}", file_flags(global));
    safe_text_within(&command, LINE_LIMIT).into_owned()
}

/// `--config` and `--data-dir` as given.
fn file_flags(global: &GlobalArgs) -> String {
    let mut out = String::new();
    if let Some(config) = &global.config {
        out.push_str(&format!(
            " --config {}",
            quote(&config.display().to_string())
        ));
    }
    if let Some(dir) = &global.data_dir {
        out.push_str(&format!(
            " --data-dir {}",
            quote(&dir.display().to_string())
        ));
    }
    out
}

/// A shell word: as is when plain, else in single quotes.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_the_shell_needs_it() {
        assert_eq!(
            quote("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(quote("/tmp/my data"), "'/tmp/my data'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn an_ad_hoc_target_is_named_by_url_and_key_variable() {
        let global = GlobalArgs {
            base_url: Some("http://127.0.0.1:9/v1".into()),
            api_key_env: Some("KEY".into()),
            ..GlobalArgs::default()
        };
        let reach = |profile, key_env| Reach {
            profile,
            base_url: "http://127.0.0.1:9/v1",
            key_env,
        };
        assert_eq!(
            target_flags(&global, &reach(CUSTOM_PROFILE, None), "sandbox"),
            " --base-url http://127.0.0.1:9/v1 --api-key-env KEY"
        );
        let plain = GlobalArgs::default();
        assert_eq!(
            target_flags(&plain, &reach(CUSTOM_PROFILE, Some("REC")), "sandbox"),
            " --base-url http://127.0.0.1:9/v1 --api-key-env REC",
            "the variable recorded with the submission"
        );
        assert_eq!(target_flags(&plain, &reach("sandbox", None), "sandbox"), "");
        assert_eq!(
            target_flags(&plain, &reach("staging", None), "sandbox"),
            " --profile staging"
        );
    }
}
