//! Reading `config.toml`: every mistake reported at its line, all of them, not only the
//! first. A profile with a mistake is left out; the rest of the file is still checked.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;
use toml::de::DeTable;

use super::raw::{Ctx, Fields};
use super::{Config, ConfigError, Endpoint, HistoryUrl, KeySource, Profile, SANDBOX_PROFILE};
use crate::api::{ApiKey, RetryPolicy};
use crate::domain::KycType;
use crate::production::is_production_url;

/// The settings at the top of the file.
const TOP: [&str; 6] = [
    "operator",
    "default_profile",
    "default_type",
    "history_url",
    "history_password_env",
    "profiles",
];
/// The settings of a profile.
const PROFILE: [&str; 11] = [
    "base_url",
    "method",
    "path",
    "api_key_env",
    "api_key_command",
    "api_key",
    "production",
    "timeout_secs",
    "max_retries",
    "rate_limit_per_minute",
    "max_wait_secs",
];

/// The per-attempt timeouts a profile may set, in seconds.
const TIMEOUT_SECS: (f64, f64) = (1.0, 600.0);
/// The most retries a profile may allow.
const MAX_RETRIES: i64 = 10;
/// The paces a profile may keep, in requests a minute.
const RATE_LIMIT_PER_MINUTE: (i64, i64) = (1, 100_000);
/// The longest waits a profile may accept from the server, in seconds (a day at most).
const MAX_WAIT_SECS: (i64, i64) = (1, 86_400);

/// Parses settings text. `others_can_read` is the file's mode when it is not private.
/// On a mistake, the first (by line) is returned, counting the others.
pub fn parse(text: &str, file: &Path, others_can_read: Option<u32>) -> Result<Config, ConfigError> {
    parse_all(text, file, others_can_read).map_err(|errors| {
        let more = errors.len().saturating_sub(1);
        let mut first = errors
            .into_iter()
            .next()
            .unwrap_or_else(|| ConfigError::plain(Some(file), "invalid settings"));
        first.more = more;
        first
    })
}

/// Parses settings text, reporting every mistake (in line order) when there is any.
pub fn parse_all(
    text: &str,
    file: &Path,
    others_can_read: Option<u32>,
) -> Result<Config, Vec<ConfigError>> {
    let ctx = Ctx::new(text, file);
    let config = read(&ctx, others_can_read);
    let errors = ctx.into_errors();
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

fn read(ctx: &Ctx, others_can_read: Option<u32>) -> Config {
    let document = ctx.document();
    let top = Fields::of(ctx, "", document.get_ref(), &TOP);
    let mut config = Config {
        file: Some(ctx.file.to_path_buf()),
        ..Config::default()
    };
    if let Some(op) = top.string("operator") {
        if op.get_ref().trim().is_empty() {
            ctx.fail(
                Some(op.span()),
                "operator",
                "must not be empty (leave it out to use the OS user)",
            );
        } else {
            config.operator = Some(op.get_ref().trim().to_string());
        }
    }
    if let Some(t) = top.string("default_type") {
        match KycType::parse(t.get_ref()) {
            Ok(kyc_type) => config.default_type = kyc_type,
            Err(e) => ctx.fail(Some(t.span()), "default_type", e.to_string()),
        }
    }
    if let Some(url) = top.string("history_url") {
        match HistoryUrl::parse(url.get_ref()) {
            Ok(u) => config.history_url = Some(u),
            Err(e) => ctx.fail(Some(url.span()), "history_url", e),
        }
    }
    if let Some(var) = top.string("history_password_env") {
        let name = var.get_ref().trim();
        if name.is_empty() || name.contains('=') {
            ctx.fail(
                Some(var.span()),
                "history_password_env",
                "name the environment variable that holds the password",
            );
        } else {
            config.history_password_env = Some(name.to_string());
        }
    }
    let mut defined = vec![SANDBOX_PROFILE.to_string()];
    for (name, table) in top.tables("profiles") {
        defined.push(name.get_ref().clone());
        let name = name.get_ref();
        if let Some(p) = profile(ctx, name, table.span(), table.get_ref(), others_can_read) {
            config.profiles.push(p);
        }
    }
    if let Some(default) = top.string("default_profile") {
        let wanted = default.get_ref().trim();
        if defined.iter().any(|p| p == wanted) {
            config.default_profile = wanted.to_string();
        } else {
            ctx.fail(
                Some(default.span()),
                "default_profile",
                format!(
                    "no profile named {wanted:?}; known profiles: {}",
                    defined.join(", ")
                ),
            );
        }
    }
    config
}

/// A profile, or `None` (its mistakes noted) when it cannot be used.
fn profile(
    ctx: &Ctx,
    name: &str,
    span: Range<usize>,
    table: &DeTable,
    others_can_read: Option<u32>,
) -> Option<Profile> {
    let whole = format!("profiles.{name}");
    let fields = Fields::of(ctx, &whole, table, &PROFILE);
    let at = |field: &str| fields.name(field);
    let mut usable = true;
    if name == SANDBOX_PROFILE {
        ctx.fail(
            Some(span.clone()),
            &whole,
            "the sandbox profile is built in and cannot be redefined; choose another name",
        );
        usable = false;
    } else if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        ctx.fail(
            Some(span.clone()),
            &whole,
            "profile names use letters, digits, - and _ only",
        );
        usable = false;
    }
    let base_url = base_url(ctx, &fields, &whole, &span);
    let method = match fields.string("method") {
        None => Some(reqwest::Method::POST),
        Some(m) => match m.get_ref().trim().to_ascii_uppercase().as_str() {
            "POST" => Some(reqwest::Method::POST),
            "PUT" => Some(reqwest::Method::PUT),
            other => {
                ctx.fail(
                    Some(m.span()),
                    &at("method"),
                    format!("{other:?} is not allowed: use POST (the default) or PUT"),
                );
                None
            }
        },
    };
    let path = match fields.string("path") {
        None => Some("/kycs".to_string()),
        Some(p) if p.get_ref().starts_with('/') && !p.get_ref().contains(char::is_whitespace) => {
            Some(p.get_ref().clone())
        }
        Some(p) => {
            ctx.fail(
                Some(p.span()),
                &at("path"),
                "must start with / and contain no spaces, e.g. \"/kycs\"",
            );
            None
        }
    };
    let key = key_source(ctx, &fields, &whole, &span, others_can_read);
    let (min, max) = TIMEOUT_SECS;
    let timeout = match fields.number("timeout_secs") {
        None => Some(crate::api::DEFAULT_TIMEOUT),
        Some(t) if (min..=max).contains(t.get_ref()) => Some(Duration::from_secs_f64(*t.get_ref())),
        Some(t) => {
            ctx.fail(
                Some(t.span()),
                &at("timeout_secs"),
                format!("must be from {min} to {max} seconds, not {:?}", t.get_ref()),
            );
            None
        }
    };
    let mut retry = RetryPolicy::default();
    if let Some(n) = fields.integer("max_retries") {
        match u32::try_from(*n.get_ref()) {
            Ok(v) if *n.get_ref() <= MAX_RETRIES => retry.max_retries = v,
            _ => {
                ctx.fail(
                    Some(n.span()),
                    &at("max_retries"),
                    format!("must be from 0 to {MAX_RETRIES}, not {}", n.get_ref()),
                );
                usable = false;
            }
        }
    }
    let rate_limit_per_minute = fields.integer("rate_limit_per_minute").map(|n| {
        within(
            ctx,
            &n,
            &at("rate_limit_per_minute"),
            RATE_LIMIT_PER_MINUTE,
            "a minute",
        )
    });
    if let Some(n) = fields.integer("max_wait_secs") {
        match within(ctx, &n, &at("max_wait_secs"), MAX_WAIT_SECS, "seconds") {
            Some(secs) => retry.max_wait = Duration::from_secs(u64::from(secs)),
            None => usable = false,
        }
    }
    let production = fields.boolean("production").map(|p| *p.get_ref());
    let rate_limit_per_minute = match rate_limit_per_minute {
        None => None,
        Some(Some(n)) => Some(n),
        Some(None) => {
            usable = false;
            None
        }
    };
    let (Some(base_url), Some(method), Some(path), Some(key), Some(timeout), true) =
        (base_url, method, path, key, timeout, usable)
    else {
        return None;
    };
    let production = production.unwrap_or_else(|| is_production_url(&base_url));
    Some(Profile {
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

/// The profile's `base_url`: required, http(s), with no credentials in it.
fn base_url(ctx: &Ctx, fields: &Fields, whole: &str, span: &Range<usize>) -> Option<url::Url> {
    let Some(base) = fields.string("base_url") else {
        ctx.fail(
            Some(span.clone()),
            whole,
            "base_url is required, e.g. base_url = \"https://api.kulipa.xyz/v1\"",
        );
        return None;
    };
    let raw_url = base.get_ref().trim();
    if has_credentials(raw_url) {
        // Never echoed: the value holds a secret.
        ctx.fail(
            Some(base.span()),
            &fields.name("base_url"),
            "must not hold credentials (user:password@): they would be sent and printed; \
             put the API key in api_key_env or api_key_command",
        );
        return None;
    }
    let parsed = url::Url::parse(raw_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if parsed.is_none() {
        ctx.fail(
            Some(base.span()),
            &fields.name("base_url"),
            format!("{:?} is not an http(s) URL", base.get_ref()),
        );
    }
    parsed
}

/// Where the profile's key comes from: exactly one of the three sources.
fn key_source(
    ctx: &Ctx,
    fields: &Fields,
    whole: &str,
    span: &Range<usize>,
    others_can_read: Option<u32>,
) -> Option<KeySource> {
    let at = |field: &str| fields.name(field);
    match (
        fields.string("api_key_env"),
        fields.string("api_key_command"),
        fields.string("api_key"),
    ) {
        (Some(env), None, None) => {
            let v = env.get_ref().trim();
            if v.is_empty() || v.contains(char::is_whitespace) || v.contains('=') {
                ctx.fail(
                    Some(env.span()),
                    &at("api_key_env"),
                    "must be the name of an environment variable, e.g. \"KYC_API_KEY\"",
                );
                return None;
            }
            Some(KeySource::Env(v.to_string()))
        }
        (None, Some(cmd), None) => {
            if cmd.get_ref().trim().is_empty() {
                ctx.fail(
                    Some(cmd.span()),
                    &at("api_key_command"),
                    "must not be empty",
                );
                return None;
            }
            Some(KeySource::Command(cmd.get_ref().trim().to_string()))
        }
        (None, None, Some(literal)) => {
            if let Some(mode) = others_can_read {
                ctx.fail(
                    Some(literal.span()),
                    &at("api_key"),
                    format!(
                        "a key written in the file is refused because others can read {} (mode {mode:o}): \
                         run chmod 600 on it, or use api_key_env or api_key_command",
                        ctx.file.display()
                    ),
                );
                return None;
            }
            if literal.get_ref().trim().is_empty() {
                ctx.fail(Some(literal.span()), &at("api_key"), "must not be empty");
                return None;
            }
            Some(KeySource::Literal(ApiKey::new(literal.get_ref().trim())))
        }
        (None, None, None) => {
            ctx.fail(
                Some(span.clone()),
                whole,
                "needs an API key source: api_key_env = \"NAME\" or api_key_command = \"...\"",
            );
            None
        }
        _ => {
            ctx.fail(
                Some(span.clone()),
                whole,
                "set only one of api_key_env, api_key_command and api_key",
            );
            None
        }
    }
}

/// An integer setting within `(min, max)`, else `None` and an error naming the setting,
/// the line and the bounds (`unit` after them: "seconds", "a minute").
fn within(
    ctx: &Ctx,
    value: &Spanned<i64>,
    setting: &str,
    (min, max): (i64, i64),
    unit: &str,
) -> Option<u32> {
    let n = *value.get_ref();
    match u32::try_from(n) {
        Ok(v) if (min..=max).contains(&n) => Some(v),
        _ => {
            ctx.fail(
                Some(value.span()),
                setting,
                format!(
                    "must be from {} to {} {unit}, not {n}",
                    thousands(min),
                    thousands(max)
                ),
            );
            None
        }
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
                "line 4: profiles.p.max_retries: must be from 0 to 10, not 50",
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
                "line 4: profiles.p.max_retries: must be from 0 to 10, not -1",
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
    fn every_mistake_is_reported_in_line_order_not_only_the_first() {
        let text = "operator = \"\"\ncolour = true\ndefault_type = \"passport\"\n\n\
            [profiles.prod]\nbase_url = \"ftp://x\"\napi_key_env = \"MY KEY\"\ntimeout = 5\n\
            production = \"yes\"\n\n[profiles.ok]\nbase_url = \"https://ok.example\"\n\
            api_key_env = \"K\"\nmax_retries = 50\n";
        let errors = parse_all(text, &file(), None).unwrap_err();
        let found: Vec<(Option<usize>, String)> = errors
            .iter()
            .map(|e| (e.line, e.setting.clone().unwrap_or_default()))
            .collect();
        let want = [
            (1, "operator"),
            (2, "colour"),
            (3, "default_type"),
            (6, "profiles.prod.base_url"),
            (7, "profiles.prod.api_key_env"),
            (8, "profiles.prod.timeout"),
            (9, "profiles.prod.production"),
            (14, "profiles.ok.max_retries"),
        ];
        let want: Vec<(Option<usize>, String)> = want
            .iter()
            .map(|(l, s)| (Some(*l), (*s).to_string()))
            .collect();
        assert_eq!(found, want, "{errors:#?}");
        // One error at a time for the commands that only need to refuse, counting the rest.
        let first = parse(text, &file(), None).unwrap_err().to_string();
        assert!(
            first.contains("line 1: operator: must not be empty")
                && first
                    .ends_with("(and 7 more problems: `kyc-console config check` lists every one)"),
            "{first}"
        );
        // Syntax mistakes are all found too, and reading goes on past them.
        let errors = parse_all("a = \nb = [\ncolour = 1\n", &file(), None).unwrap_err();
        assert!(errors.len() >= 2, "{errors:#?}");
        assert!(errors.iter().all(|e| e.line.is_some()), "{errors:#?}");
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
