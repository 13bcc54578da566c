//! `config path`, `config check` and `config example`: where settings live, whether they
//! hold (every problem, not only the first), and a file to start from.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::{EXIT_INVALID, emit, emit_text, shown};
use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::{self, CONFIG_ENV, Config, ConfigError, Endpoint, KeySource, Profile};
use crate::domain::safe_text;
use crate::history::HISTORY_FILE;
use crate::paths::Paths;
use crate::present::format_duration;
use crate::session::operator_name;

pub fn config(global: &GlobalArgs, paths: &Paths, command: &ConfigCommand) -> ExitCode {
    match command {
        ConfigCommand::Path => {
            emit_text(&describe_paths(global, paths));
            ExitCode::SUCCESS
        }
        ConfigCommand::Check { json } => check(global, paths, *json),
        ConfigCommand::Example => {
            emit(config::EXAMPLE);
            ExitCode::SUCCESS
        }
    }
}

/// Where the settings file named came from: the flag, the variable, or the default place.
fn source(global: &GlobalArgs) -> &'static str {
    match (&global.config, global.config_from_env) {
        (Some(_), true) => "env",
        (Some(_), false) => "flag",
        (None, _) if std::env::var_os(CONFIG_ENV).is_some_and(|v| !v.is_empty()) => "env",
        (None, _) => "default",
    }
}

fn describe_paths(global: &GlobalArgs, paths: &Paths) -> String {
    let (file, required) = config::locate(global.config.as_deref(), paths);
    let source = match source(global) {
        "flag" => "from --config".to_string(),
        "env" => format!("from {CONFIG_ENV}"),
        _ => "the default place".to_string(),
    };
    let state = if file.exists() {
        "found"
    } else if required {
        // A file named by --config or the variable must exist: nothing falls back.
        "not found: commands that read settings will fail until it exists"
    } else {
        "not found: built-in defaults apply"
    };
    format!(
        "settings  {} ({source}; {state})\nhistory   {}\nlogs      {} (one file a day, kyc-console.log.YYYY-MM-DD)\nexample   `kyc-console config example` prints a settings file documenting every setting\n",
        file.display(),
        paths.data_dir.join(HISTORY_FILE).display(),
        paths.log_dir.display()
    )
}

fn check(global: &GlobalArgs, paths: &Paths, as_json: bool) -> ExitCode {
    let checked = config::check(global.config.as_deref(), paths);
    if as_json {
        let valid = checked.result.is_ok();
        emit(&format!("{:#}\n", check_json(global, &checked)));
        return if valid {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_INVALID)
        };
    }
    let config = match &checked.result {
        Ok(c) => c,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {}", shown(&e.to_string()));
            }
            let n = errors.len();
            eprintln!(
                "{} in {}: commands that read settings refuse to run until {} fixed",
                if n == 1 {
                    "1 problem".to_string()
                } else {
                    format!("{n} problems")
                },
                shown(&checked.file.display().to_string()),
                if n == 1 { "it is" } else { "they are" }
            );
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let mut out = String::new();
    if checked.found {
        let _ = writeln!(out, "settings  {} is valid", checked.file.display());
    } else {
        let _ = writeln!(
            out,
            "settings  none found ({}): built-in defaults",
            checked.file.display()
        );
    }
    let operator = match &config.operator {
        Some(op) => format!("{} (from the settings)", safe_text(op)),
        None => format!("{} (the OS user)", operator_name()),
    };
    let _ = writeln!(out, "operator  {operator}");
    let _ = writeln!(
        out,
        "defaults  profile {}, KYC type {}",
        safe_text(&config.default_profile),
        config.default_type
    );
    let _ = writeln!(out, "profiles");
    // Every profile's lines align on the longest name.
    let names: Vec<String> = config
        .profiles
        .iter()
        .map(|p| safe_text(&p.name).into_owned())
        .collect();
    let w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    for (p, name) in config.profiles.iter().zip(&names) {
        let badge = if p.production { "  PRODUCTION" } else { "" };
        let _ = writeln!(
            out,
            "  {name:<w$} {}{badge}",
            safe_text(&p.describe_target())
        );
        let _ = writeln!(out, "  {:<w$} key: {}", "", safe_text(&key_status(&p.key)));
        let mut tuning = vec![
            format!("timeout {}", format_duration(p.timeout)),
            format!("up to {} retries", p.retry.max_retries),
        ];
        if let Some(n) = p.rate_limit_per_minute {
            tuning.push(format!("at most {n} a minute"));
        }
        tuning.push(format!(
            "waits at most {} s for the server",
            crate::api::ceil_secs(p.retry.max_wait)
        ));
        if matches!(p.endpoint, Endpoint::Sandbox) {
            tuning.push("built in".into());
        }
        let _ = writeln!(out, "  {:<w$} {}", "", tuning.join(" · "));
    }
    emit_text(&out);
    ExitCode::SUCCESS
}

/// `config check --json`: the file, whether it is valid, every problem, and the settings
/// in force when it is valid. Never a key's value.
fn check_json(global: &GlobalArgs, checked: &config::Checked) -> Value {
    let (errors, settings) = match &checked.result {
        Ok(config) => (Vec::new(), settings_json(config)),
        Err(errors) => (errors.iter().map(error_json).collect(), Value::Null),
    };
    json!({
        "file": checked.file.display().to_string(),
        "source": source(global),
        "found": checked.found,
        "valid": checked.result.is_ok(),
        "errors": errors,
        "settings": settings,
    })
}

fn error_json(e: &ConfigError) -> Value {
    json!({
        "line": e.line,
        "setting": e.setting,
        "message": e.message,
        "text": e.to_string(),
    })
}

fn settings_json(config: &Config) -> Value {
    let (operator, from) = match &config.operator {
        Some(op) => (op.clone(), "settings"),
        None => (operator_name(), "os_user"),
    };
    json!({
        "operator": {"name": operator, "from": from},
        "default_profile": config.default_profile,
        "default_type": config.default_type.as_str(),
        "history_url": config.history_url.as_ref().map(config::HistoryUrl::masked),
        "history_password_env": config.history_password_env,
        "profiles": config.profiles.iter().map(profile_json).collect::<Vec<_>>(),
    })
}

fn profile_json(p: &Profile) -> Value {
    let key = match &p.key {
        KeySource::Sandbox => json!({"from": "sandbox"}),
        KeySource::Env(name) => json!({
            "from": "env",
            "variable": name,
            "set": std::env::var(name).is_ok_and(|v| !v.trim().is_empty()),
        }),
        // As `describe` shows it: a key-like word in the command masked.
        KeySource::Command(_) => json!({"from": "command", "described": p.key.describe()}),
        KeySource::Literal(_) => json!({"from": "settings_file"}),
    };
    json!({
        "name": p.name,
        "target": p.describe_target(),
        "built_in": matches!(p.endpoint, Endpoint::Sandbox),
        "production": p.production,
        "key": key,
        "timeout_secs": p.timeout.as_secs_f64(),
        "max_retries": p.retry.max_retries,
        "max_wait_secs": crate::api::ceil_secs(p.retry.max_wait),
        "rate_limit_per_minute": p.rate_limit_per_minute,
    })
}

/// Where a key comes from and whether it is there, never its value.
fn key_status(key: &KeySource) -> String {
    match key {
        KeySource::Env(name) => match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => {
                format!(
                    "{} (set, {})",
                    key.describe(),
                    crate::api::ApiKey::new(v.trim()).masked_hint()
                )
            }
            _ => format!("{} (NOT SET: using this profile will fail)", key.describe()),
        },
        KeySource::Command(_) => {
            format!("{} (runs when the profile is first used)", key.describe())
        }
        KeySource::Sandbox | KeySource::Literal(_) => key.describe(),
    }
}
