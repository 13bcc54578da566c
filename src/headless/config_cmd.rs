//! `config path` and `config check`: where settings live, and whether they hold.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{EXIT_INVALID, emit_text, shown};
use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::{self, CONFIG_ENV, Endpoint, KeySource};
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
        ConfigCommand::Check => check(global, paths),
    }
}

fn describe_paths(global: &GlobalArgs, paths: &Paths) -> String {
    let (file, required) = config::locate(global.config.as_deref(), paths);
    let source = if global.config.is_some() {
        "from --config".to_string()
    } else if std::env::var_os(CONFIG_ENV).is_some_and(|v| !v.is_empty()) {
        format!("from {CONFIG_ENV}")
    } else {
        "the default place".to_string()
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
        "settings  {} ({source}; {state})\nhistory   {}\nlogs      {} (one file a day, kyc-console.log.YYYY-MM-DD)\nexample   assets/config.example.toml in the source tree documents every setting\n",
        file.display(),
        paths.data_dir.join(HISTORY_FILE).display(),
        paths.log_dir.display()
    )
}

fn check(global: &GlobalArgs, paths: &Paths) -> ExitCode {
    let config = match config::load(global.config.as_deref(), paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", shown(&e.to_string()));
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let mut out = String::new();
    match &config.file {
        Some(file) => {
            let _ = writeln!(out, "settings  {} is valid", file.display());
        }
        None => {
            let _ = writeln!(
                out,
                "settings  none found ({}): built-in defaults",
                config::locate(global.config.as_deref(), paths).0.display()
            );
        }
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
    for p in &config.profiles {
        let badge = if p.production { "  PRODUCTION" } else { "" };
        let _ = writeln!(
            out,
            "  {:<12} {}{badge}",
            safe_text(&p.name),
            safe_text(&p.describe_target())
        );
        let _ = writeln!(out, "  {:<12} key: {}", "", safe_text(&key_status(&p.key)));
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
        let _ = writeln!(out, "  {:<12} {}", "", tuning.join(" · "));
    }
    emit_text(&out);
    ExitCode::SUCCESS
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
