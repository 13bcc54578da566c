//! Reading `config.toml`, with every mistake reported at its line.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::error::line_of;
use super::{Config, ConfigError, Endpoint, HistoryUrl, KeySource, Profile, SANDBOX_PROFILE};
use crate::api::{ApiKey, RetryPolicy};
use crate::domain::KycType;
use crate::production::is_production_url;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    operator: Option<Spanned<String>>,
    default_profile: Option<Spanned<String>>,
    default_type: Option<Spanned<String>>,
    history_url: Option<Spanned<String>>,
    history_password_env: Option<Spanned<String>>,
    #[serde(default)]
    profiles: BTreeMap<String, Spanned<RawProfile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    base_url: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    api_key_env: Option<Spanned<String>>,
    api_key_command: Option<Spanned<String>>,
    api_key: Option<Spanned<String>>,
    production: Option<bool>,
    timeout_secs: Option<Spanned<f64>>,
    max_retries: Option<Spanned<u32>>,
    rate_limit_per_minute: Option<Spanned<i64>>,
    max_wait_secs: Option<Spanned<i64>>,
}

/// The per-attempt timeouts a profile may set, in seconds.
const TIMEOUT_SECS: (f64, f64) = (1.0, 600.0);
/// The most retries a profile may allow.
const MAX_RETRIES: u32 = 10;
/// The paces a profile may keep, in requests a minute.
const RATE_LIMIT_PER_MINUTE: (i64, i64) = (1, 100_000);
/// The longest waits a profile may accept from the server, in seconds (a day at most).
const MAX_WAIT_SECS: (i64, i64) = (1, 86_400);

struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Ctx<'_> {
    fn err<T>(
        &self,
        span: Option<std::ops::Range<usize>>,
        setting: &str,
        message: impl Into<String>,
    ) -> Result<T, ConfigError> {
        Err(ConfigError::at(
            self.file,
            span.map(|s| line_of(self.text, s.start)),
            setting,
            message,
        ))
    }
}

/// Parses settings text. `others_can_read` is the file's mode when it is not private.
pub fn parse(text: &str, file: &Path, others_can_read: Option<u32>) -> Result<Config, ConfigError> {
    let ctx = Ctx { text, file };
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&ctx, &e))?;
    let mut config = Config {
        file: Some(file.to_path_buf()),
        ..Config::default()
    };
    if let Some(op) = raw.operator {
        if op.get_ref().trim().is_empty() {
            return ctx.err(
                Some(op.span()),
                "operator",
                "must not be empty (leave it out to use the OS user)",
            );
        }
        config.operator = Some(op.get_ref().trim().to_string());
    }
    if let Some(t) = raw.default_type {
        config.default_type = KycType::parse(t.get_ref())
            .or_else(|e| ctx.err(Some(t.span()), "default_type", e.to_string()))?;
    }
    if let Some(url) = raw.history_url {
        config.history_url = Some(
            HistoryUrl::parse(url.get_ref())
                .or_else(|e| ctx.err(Some(url.span()), "history_url", e))?,
        );
    }
    if let Some(var) = raw.history_password_env {
        let name = var.get_ref().trim();
        if name.is_empty() || name.contains('=') {
            return ctx.err(
                Some(var.span()),
                "history_password_env",
                "name the environment variable that holds the password",
            );
        }
        config.history_password_env = Some(name.to_string());
    }
    for (name, raw_profile) in raw.profiles {
        let span = raw_profile.span();
        let profile = profile(&ctx, &name, span, raw_profile.into_inner(), others_can_read)?;
        config.profiles.push(profile);
    }
    if let Some(default) = raw.default_profile {
        let wanted = default.get_ref().trim();
        if !config.profiles.iter().any(|p| p.name == wanted) {
            let known: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
            return ctx.err(
                Some(default.span()),
                "default_profile",
                format!(
                    "no profile named {wanted:?}; known profiles: {}",
                    known.join(", ")
                ),
            );
        }
        config.default_profile = wanted.to_string();
    }
    Ok(config)
}

fn profile(
    ctx: &Ctx,
    name: &str,
    span: std::ops::Range<usize>,
    raw: RawProfile,
    others_can_read: Option<u32>,
) -> Result<Profile, ConfigError> {
    let at = |field: &str| format!("profiles.{name}.{field}");
    if name == SANDBOX_PROFILE {
        return ctx.err(
            Some(span),
            &format!("profiles.{name}"),
            "the sandbox profile is built in and cannot be redefined; choose another name",
        );
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return ctx.err(
            Some(span),
            &format!("profiles.{name}"),
            "profile names use letters, digits, - and _ only",
        );
    }
    let Some(base) = raw.base_url else {
        return ctx.err(
            Some(span),
            &format!("profiles.{name}"),
            "base_url is required, e.g. base_url = \"https://api.kulipa.xyz/v1\"",
        );
    };
    let raw_url = base.get_ref().trim();
    if has_credentials(raw_url) {
        // Never echoed: the value holds a secret.
        return ctx.err(
            Some(base.span()),
            &at("base_url"),
            "must not hold credentials (user:password@): they would be sent and printed; \
             put the API key in api_key_env or api_key_command",
        );
    }
    let base_url = url::Url::parse(raw_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .map_or_else(
            || {
                ctx.err(
                    Some(base.span()),
                    &at("base_url"),
                    format!("{:?} is not an http(s) URL", base.get_ref()),
                )
            },
            Ok,
        )?;
    let method = match raw.method {
        None => reqwest::Method::POST,
        Some(m) => match m.get_ref().trim().to_ascii_uppercase().as_str() {
            "POST" => reqwest::Method::POST,
            "PUT" => reqwest::Method::PUT,
            other => {
                return ctx.err(
                    Some(m.span()),
                    &at("method"),
                    format!("{other:?} is not allowed: use POST (the default) or PUT"),
                );
            }
        },
    };
    let path = match raw.path {
        None => "/kycs".to_string(),
        Some(p) if p.get_ref().starts_with('/') && !p.get_ref().contains(char::is_whitespace) => {
            p.get_ref().clone()
        }
        Some(p) => {
            return ctx.err(
                Some(p.span()),
                &at("path"),
                "must start with / and contain no spaces, e.g. \"/kycs\"",
            );
        }
    };
    let sources = [
        raw.api_key_env.is_some(),
        raw.api_key_command.is_some(),
        raw.api_key.is_some(),
    ];
    let key = match (raw.api_key_env, raw.api_key_command, raw.api_key) {
        (Some(env), None, None) => {
            let v = env.get_ref().trim();
            if v.is_empty() || v.contains(char::is_whitespace) || v.contains('=') {
                return ctx.err(
                    Some(env.span()),
                    &at("api_key_env"),
                    "must be the name of an environment variable, e.g. \"KYC_API_KEY\"",
                );
            }
            KeySource::Env(v.to_string())
        }
        (None, Some(cmd), None) => {
            if cmd.get_ref().trim().is_empty() {
                return ctx.err(
                    Some(cmd.span()),
                    &at("api_key_command"),
                    "must not be empty",
                );
            }
            KeySource::Command(cmd.get_ref().trim().to_string())
        }
        (None, None, Some(literal)) => {
            if let Some(mode) = others_can_read {
                return ctx.err(
                    Some(literal.span()),
                    &at("api_key"),
                    format!(
                        "a key written in the file is refused because others can read {} (mode {mode:o}): \
                         run chmod 600 on it, or use api_key_env or api_key_command",
                        ctx.file.display()
                    ),
                );
            }
            if literal.get_ref().trim().is_empty() {
                return ctx.err(Some(literal.span()), &at("api_key"), "must not be empty");
            }
            KeySource::Literal(ApiKey::new(literal.get_ref().trim()))
        }
        _ if sources.iter().any(|s| *s) => {
            return ctx.err(
                Some(span),
                &format!("profiles.{name}"),
                "set only one of api_key_env, api_key_command and api_key",
            );
        }
        _ => {
            return ctx.err(
                Some(span),
                &format!("profiles.{name}"),
                "needs an API key source: api_key_env = \"NAME\" or api_key_command = \"...\"",
            );
        }
    };
    let (min, max) = TIMEOUT_SECS;
    let timeout = match raw.timeout_secs {
        None => crate::api::DEFAULT_TIMEOUT,
        Some(t) if (min..=max).contains(t.get_ref()) => Duration::from_secs_f64(*t.get_ref()),
        Some(t) => {
            return ctx.err(
                Some(t.span()),
                &at("timeout_secs"),
                format!("must be from {min} to {max} seconds, not {:?}", t.get_ref()),
            );
        }
    };
    let mut retry = RetryPolicy::default();
    if let Some(n) = raw.max_retries {
        if *n.get_ref() > MAX_RETRIES {
            return ctx.err(
                Some(n.span()),
                &at("max_retries"),
                format!("must be at most {MAX_RETRIES}"),
            );
        }
        retry.max_retries = *n.get_ref();
    }
    let rate_limit_per_minute = match raw.rate_limit_per_minute {
        None => None,
        Some(n) => Some(within(
            ctx,
            &n,
            &at("rate_limit_per_minute"),
            RATE_LIMIT_PER_MINUTE,
            "a minute",
        )?),
    };
    if let Some(n) = raw.max_wait_secs {
        let secs = within(ctx, &n, &at("max_wait_secs"), MAX_WAIT_SECS, "seconds")?;
        retry.max_wait = Duration::from_secs(u64::from(secs));
    }
    let production = raw
        .production
        .unwrap_or_else(|| is_production_url(&base_url));
    Ok(Profile {
        name: name.to_string(),
        endpoint: Endpoint::Remote {
            base_url,
            method,
            path,
        },
        key,
        production,
        timeout,
        retry,
        rate_limit_per_minute,
    })
}

/// An integer setting within `(min, max)`, else an error naming the setting, the line
/// and the bounds (`unit` after them: "seconds", "a minute").
fn within(
    ctx: &Ctx,
    value: &Spanned<i64>,
    setting: &str,
    (min, max): (i64, i64),
    unit: &str,
) -> Result<u32, ConfigError> {
    let n = *value.get_ref();
    match u32::try_from(n) {
        Ok(v) if (min..=max).contains(&n) => Ok(v),
        _ => ctx.err(
            Some(value.span()),
            setting,
            format!(
                "must be from {} to {} {unit}, not {n}",
                thousands(min),
                thousands(max)
            ),
        ),
    }
}

/// `100000` as `100,000`.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Whether a URL names a user or password (`user:pass@host`), parsed or not.
pub fn has_credentials(raw: &str) -> bool {
    if let Ok(url) = url::Url::parse(raw) {
        return !url.username().is_empty() || url.password().is_some();
    }
    // Unparsable: an `@` in what would be the authority is enough to keep it unprinted.
    let after_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    after_scheme
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
}

/// A parse error from the TOML reader, placed at its line and named by its table.
fn toml_error(ctx: &Ctx, e: &toml::de::Error) -> ConfigError {
    let line = e.span().map(|s| line_of(ctx.text, s.start));
    let table = line.and_then(|l| table_at(ctx.text, l));
    let message = e.message().trim().to_string();
    let field = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"))
        .map(str::to_string)
        .or_else(|| line.and_then(|l| key_at(ctx.text, l)));
    let setting = match (table, field) {
        (Some(t), Some(f)) => Some(format!("{t}.{f}")),
        (None, Some(f)) => Some(f.to_string()),
        (Some(t), None) => Some(t),
        (None, None) => None,
    };
    ConfigError {
        file: Some(ctx.file.to_path_buf()),
        line,
        setting,
        message,
    }
}

/// The key set on a line (`name = value`), if it sets one.
fn key_at(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?.trim();
    let (key, _) = l.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !l.starts_with('[')).then(|| key.to_string())
}

/// The `[table]` a line belongs to.
fn table_at(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|l| {
            let l = l.trim();
            (l.starts_with('[') && l.ends_with(']'))
                .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file() -> PathBuf {
        PathBuf::from("/home/op/.config/kyc-console/config.toml")
    }

    fn ok(text: &str) -> Config {
        parse(text, &file(), None).unwrap()
    }

    fn err(text: &str) -> String {
        parse(text, &file(), None).unwrap_err().to_string()
    }

    const FULL: &str = r#"
operator = "alice"
default_profile = "prod"
default_type = "rfi"

[profiles.prod]
base_url = "https://api.kulipa.xyz/v1"
api_key_env = "KULIPA_KEY"
timeout_secs = 20
max_retries = 2
rate_limit_per_minute = 240

[profiles.staging]
base_url = "https://staging.partner.example/api"
method = "PUT"
path = "/v1/kycs"
api_key_command = "pass show kulipa/staging"
production = false
"#;

    #[test]
    fn reads_every_setting() {
        let c = ok(FULL);
        assert_eq!(c.operator.as_deref(), Some("alice"));
        assert_eq!(c.default_profile, "prod");
        assert_eq!(c.default_type, KycType::Rfi);
        let names: Vec<_> = c.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["sandbox", "prod", "staging"]);
        let prod = c.profile("prod").unwrap();
        assert!(
            prod.production,
            "the production host is production unless said otherwise"
        );
        assert_eq!(prod.timeout, Duration::from_secs(20));
        assert_eq!(prod.retry.max_retries, 2);
        assert_eq!(prod.rate_limit_per_minute, Some(240));
        assert_eq!(prod.key, KeySource::Env("KULIPA_KEY".into()));
        assert_eq!(
            prod.describe_target(),
            "POST https://api.kulipa.xyz/v1/kycs"
        );
        let staging = c.profile("staging").unwrap();
        assert!(!staging.production);
        assert_eq!(
            staging.describe_target(),
            "PUT https://staging.partner.example/api/v1/kycs"
        );
        assert_eq!(
            staging.key,
            KeySource::Command("pass show kulipa/staging".into())
        );
    }

    #[test]
    fn the_shipped_example_is_valid_and_documents_every_setting() {
        let text = include_str!("../../assets/config.example.toml");
        let c = ok(text);
        assert_eq!(c.profiles.len(), 4);
        for setting in [
            "operator",
            "default_profile",
            "default_type",
            "base_url",
            "method",
            "path",
            "api_key_env",
            "api_key_command",
            "api_key ",
            "production",
            "timeout_secs",
            "max_retries",
            "rate_limit_per_minute",
            "max_wait_secs",
        ] {
            assert!(
                text.contains(setting),
                "the example does not mention {setting}"
            );
        }
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let c = ok("");
        assert_eq!(c.default_profile, "sandbox");
        assert_eq!(c.profiles, vec![Profile::sandbox()]);
    }

    #[test]
    fn unknown_settings_name_the_line_and_setting() {
        let e = err(
            "operator = \"a\"\n\n[profiles.prod]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\ntimeout = 5\n",
        );
        assert!(e.starts_with("/home/op/.config/kyc-console/config.toml line 6: profiles.prod.timeout: unknown field `timeout`"), "{e}");
        let e = err("colour = true\n");
        assert!(e.contains("line 1: colour: unknown field `colour`"), "{e}");
    }

    #[test]
    fn bad_values_name_the_line_and_setting() {
        let cases = [
            (
                "[profiles.p]\nbase_url = \"ftp://x\"\napi_key_env = \"K\"\n",
                "line 2: profiles.p.base_url: \"ftp://x\" is not an http(s) URL",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\nmethod = \"GET\"\napi_key_env = \"K\"\n",
                "line 3: profiles.p.method: \"GET\" is not allowed",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\npath = \"kycs\"\napi_key_env = \"K\"\n",
                "line 3: profiles.p.path: must start with /",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\ntimeout_secs = 0\n",
                "line 4: profiles.p.timeout_secs: must be from 1 to 600 seconds, not 0.0",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\nmax_retries = 50\n",
                "line 4: profiles.p.max_retries: must be at most 10",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\nrate_limit_per_minute = 0\n",
                "line 4: profiles.p.rate_limit_per_minute: must be from 1 to 100,000 a minute, not 0",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"MY KEY\"\n",
                "line 3: profiles.p.api_key_env: must be the name of an environment variable",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\n",
                "line 1: profiles.p: needs an API key source",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\napi_key_command = \"c\"\n",
                "line 1: profiles.p: set only one of",
            ),
            (
                "[profiles.p]\napi_key_env = \"K\"\n",
                "line 1: profiles.p: base_url is required",
            ),
            (
                "[profiles.sandbox]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\n",
                "profiles.sandbox: the sandbox profile is built in",
            ),
            (
                "default_profile = \"nope\"\n",
                "line 1: default_profile: no profile named \"nope\"; known profiles: sandbox",
            ),
            (
                "default_type = \"passport\"\n",
                "line 1: default_type: unknown KYC type \"passport\"",
            ),
            ("operator = \"  \"\n", "line 1: operator: must not be empty"),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\nmax_retries = -1\n",
                "line 4: profiles.p.max_retries: invalid value",
            ),
            (
                "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\nproduction = \"yes\"\n",
                "line 4: profiles.p.production: invalid type",
            ),
            ("[profiles.p\nbase_url = 1\n", "line 1"),
        ];
        for (text, expected) in cases {
            let e = err(text);
            assert!(e.contains(expected), "expected {expected:?} in {e:?}");
            assert!(
                e.starts_with("/home/op/.config/kyc-console/config.toml"),
                "{e}"
            );
        }
    }

    #[test]
    fn numbers_out_of_bounds_name_the_setting_the_line_and_the_bound() {
        let profile = "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\n";
        let cases = [
            (
                "timeout_secs = 5e-324",
                "timeout_secs: must be from 1 to 600 seconds, not 5e-324",
            ),
            (
                "timeout_secs = 0.5",
                "timeout_secs: must be from 1 to 600 seconds, not 0.5",
            ),
            (
                "timeout_secs = 601",
                "timeout_secs: must be from 1 to 600 seconds, not 601.0",
            ),
            (
                "timeout_secs = nan",
                "timeout_secs: must be from 1 to 600 seconds, not NaN",
            ),
            (
                "timeout_secs = inf",
                "timeout_secs: must be from 1 to 600 seconds, not inf",
            ),
            (
                "rate_limit_per_minute = 4294967295",
                "rate_limit_per_minute: must be from 1 to 100,000 a minute, not 4294967295",
            ),
            (
                "rate_limit_per_minute = -1",
                "rate_limit_per_minute: must be from 1 to 100,000 a minute, not -1",
            ),
            (
                "rate_limit_per_minute = 9223372036854775807",
                "rate_limit_per_minute: must be from 1 to 100,000 a minute",
            ),
            (
                "max_wait_secs = 0",
                "max_wait_secs: must be from 1 to 86,400 seconds, not 0",
            ),
            (
                "max_wait_secs = 86401",
                "max_wait_secs: must be from 1 to 86,400 seconds, not 86401",
            ),
            (
                "max_wait_secs = -9223372036854775808",
                "max_wait_secs: must be from 1 to 86,400 seconds",
            ),
        ];
        for (line, expected) in cases {
            let e = err(&format!("{profile}{line}\n"));
            assert!(
                e.contains(&format!("line 4: profiles.p.{expected}")),
                "expected {expected:?} in {e:?}"
            );
        }
        let c = ok(&format!(
            "{profile}timeout_secs = 1\nrate_limit_per_minute = 100000\nmax_wait_secs = 86400\n"
        ));
        let p = c.profile("p").unwrap();
        assert_eq!(p.timeout, Duration::from_secs(1));
        assert_eq!(p.rate_limit_per_minute, Some(100_000));
        assert_eq!(p.retry.max_wait, Duration::from_secs(86_400));
        assert_eq!(
            ok(profile).profile("p").unwrap().retry.max_wait,
            Duration::from_secs(120),
            "the default"
        );
    }

    #[test]
    fn credentials_in_a_base_url_are_refused_and_never_printed() {
        for url in [
            "https://alice:s3cr3t-pw@api.example/v1",
            "https://s3cr3t-pw@api.example/v1",
            "ftp://alice:s3cr3t-pw@api.example",
            "https://alice:s3cr3t-pw@[bad/v1",
        ] {
            let e = err(&format!(
                "[profiles.p]\nbase_url = \"{url}\"\napi_key_env = \"K\"\n"
            ));
            assert!(
                e.contains("line 2: profiles.p.base_url: must not hold credentials"),
                "{url}: {e}"
            );
            assert!(!e.contains("s3cr3t-pw"), "{e}");
        }
        assert!(!has_credentials("https://api.example/v1?email=a@b.example"));
        assert!(!has_credentials("https://api.example/users/@me"));
    }

    #[test]
    fn a_literal_key_needs_a_private_file() {
        let text =
            "[profiles.p]\nbase_url = \"https://x.example\"\napi_key = \"sk_live_123456789\"\n";
        let e = parse(text, &file(), Some(0o644)).unwrap_err().to_string();
        assert!(e.contains("line 3: profiles.p.api_key: a key written in the file is refused because others can read"), "{e}");
        assert!(e.contains("mode 644") && e.contains("chmod 600"), "{e}");
        assert!(!e.contains("sk_live_123456789"));
        let c = parse(text, &file(), None).unwrap();
        let p = c.profile("p").unwrap();
        assert!(matches!(&p.key, KeySource::Literal(k) if k.expose() == "sk_live_123456789"));
        assert!(
            !format!("{c:?}").contains("sk_live_123456789"),
            "Debug never shows the key"
        );
    }
}
