//! The command line as the shell expects it: completion scripts, a manual page, global
//! flags under their own heading, the environment variables and exit statuses in
//! `--help`, value lists that refuse what they do not hold, and `config example` / `config
//! check` (every problem, and `--json`).

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use common::{Run, console, files_under, kyc, random_user, run};
use serde_json::Value;

/// The sandbox answers this user 500.
const SERVER_ERROR_USER: &str = "usr-00000000-0000-4000-8000-000000000500";

fn kyc_env(dir: &Path, args: &[&str], var: &str, value: &str) -> Run {
    let mut cmd = console(dir, args);
    cmd.env(var, value);
    run(cmd)
}

/// A private settings file holding `text`.
fn settings(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("settings.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The lines of a help text from `heading` to the next blank line.
fn section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn completions_for_bash_zsh_and_fish_know_every_command_and_create_no_files() {
    for shell in ["bash", "zsh", "fish"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = kyc(&data, &["completions", shell]).expect(0);
        assert!(out.stderr.is_empty(), "{shell}: {}", out.stderr);
        for word in [
            "initiate",
            "history",
            "batch",
            "config",
            "completions",
            "man",
            "log-level",
            "profile",
            "shipping",
        ] {
            assert!(out.stdout.contains(word), "{shell}: no {word}");
        }
        assert!(files_under(dir.path()).is_empty(), "{shell}: files made");
    }
    let refused = kyc(
        tempfile::tempdir().unwrap().path(),
        &["completions", "tcsh"],
    )
    .expect(2);
    assert!(
        refused.stderr.contains("invalid value 'tcsh'")
            && refused.stderr.contains("bash")
            && refused.stderr.contains("zsh"),
        "{}",
        refused.stderr
    );
}

#[test]
fn the_man_page_is_roff_with_environment_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let page = kyc(dir.path(), &["man"]).expect(0).stdout;
    assert!(page.contains(".TH kyc-console 1"), "{page}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH \"GLOBAL OPTIONS\"",
        ".SH SUBCOMMANDS",
        ".SH ENVIRONMENT",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(page.contains(section), "no {section} in\n{page}");
    }
    assert!(!page.contains(".SH EXTRA"), "{page}");
    for variable in [
        "KYC_CONSOLE_CONFIG",
        "KYC_CONSOLE_LOG",
        "KYC_CONSOLE_HISTORY_URL",
    ] {
        assert!(page.contains(variable), "no {variable}");
    }
    assert!(page.contains(".TP\n\\fB2\\fR\nNothing was sent"), "{page}");

    let batch = kyc(dir.path(), &["man", "batch"]).expect(0).stdout;
    assert!(batch.contains(".TH kyc-console-batch 1"), "{batch}");
    assert!(batch.contains("\\-\\-resume"), "{batch}");
    assert!(batch.contains(".SH \"EXIT STATUS\""), "{batch}");

    let unknown = kyc(dir.path(), &["man", "nope"]).expect(2);
    assert!(
        unknown.stderr.contains("initiate, history"),
        "{}",
        unknown.stderr
    );

    // groff reads it without a warning, where groff is installed.
    let groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    if let Ok(mut groff) = groff {
        use std::io::Write as _;
        groff
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = groff.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn global_flags_have_their_own_heading_in_every_command_s_help() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        vec!["--help"],
        vec!["initiate", "--help"],
        vec!["batch", "--help"],
        vec!["history", "--help"],
        vec!["config", "check", "--help"],
    ] {
        let help = kyc(dir.path(), &command).expect(0).stdout;
        let options = section(&help, "Options:");
        let global = section(&help, "Global options:");
        for flag in [
            "--profile",
            "--base-url",
            "--config",
            "--data-dir",
            "--log-level",
            "--history-url",
        ] {
            assert!(
                global.iter().any(|l| l.contains(flag)),
                "{command:?}: {flag} not under Global options:\n{help}"
            );
            assert!(
                !options.iter().any(|l| l.contains(flag)),
                "{command:?}: {flag} among the command's own options:\n{help}"
            );
        }
    }
}

#[test]
fn help_shows_the_environment_variables_and_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let help = kyc(dir.path(), &["--help"]).expect(0).stdout;
    for shown in [
        "[env: KYC_CONSOLE_CONFIG]",
        "[env: KYC_CONSOLE_LOG]",
        "[env: KYC_CONSOLE_HISTORY_URL]",
        "[env: KYC_CONSOLE_LOG_KEEP_DAYS]",
    ] {
        assert!(help.contains(shown), "no {shown} in\n{help}");
    }
    // Names only, never what a variable holds (set or empty).
    assert!(!help.contains("=]"), "{help}");
    let environment = section(&help, "Environment:").join("\n");
    for variable in [
        "KYC_CONSOLE_CONFIG",
        "KYC_CONSOLE_HISTORY_URL",
        "KYC_CONSOLE_HISTORY_PASSWORD",
        "KYC_CONSOLE_LOG",
        "KYC_CONSOLE_LOG_KEEP_DAYS",
        "NO_COLOR",
    ] {
        assert!(environment.contains(variable), "{variable}:\n{environment}");
    }
    let codes = |help: &str| -> Vec<String> {
        section(help, "Exit status:")
            .iter()
            .filter_map(|l| l.strip_prefix("  "))
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(codes(&help), ["0", "1", "2"], "{help}");
    for command in ["initiate", "batch", "replay", "retry"] {
        let help = kyc(dir.path(), &[command, "--help"]).expect(0).stdout;
        assert_eq!(codes(&help), ["0", "1", "2"], "{command}:\n{help}");
    }
}

#[test]
fn the_exit_statuses_in_help_are_the_ones_the_binary_returns() {
    let dir = tempfile::tempdir().unwrap();
    let send = |user: &str| {
        kyc(
            dir.path(),
            &["initiate", "--user-id", user, "--type", "full"],
        )
    };
    assert_eq!(send(&random_user()).code, 0, "initiated");
    assert_eq!(send(SERVER_ERROR_USER).code, 1, "sent, not initiated");
    let invalid = send("usr-123");
    assert_eq!(invalid.code, 2, "invalid input");
    assert!(invalid.stderr.contains("nothing was sent"), "{invalid:?}");
    assert_eq!(
        kyc(dir.path(), &["show", "999"]).code,
        1,
        "no such submission"
    );
    assert_eq!(kyc(dir.path(), &["initiate"]).code, 2, "a usage mistake");
    assert_eq!(
        kyc(dir.path(), &["batch", "--resume", "b-000000000000"]).code,
        1,
        "no such batch"
    );
    // An invalid settings file is a setting to fix, whichever command reads it.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[profiles.prod]\nbase_url = \"ftp://x\"\n").unwrap();
    let bad = bad.display().to_string();
    for command in [
        &["history"][..],
        &["show", "1"],
        &["initiate", "--user-id", "usr-1", "--type", "full"],
    ] {
        let mut args = vec!["--config", bad.as_str()];
        args.extend_from_slice(command);
        assert_eq!(
            kyc(dir.path(), &args).code,
            2,
            "{command:?} with invalid settings"
        );
    }

    // Every status the code returns is one of the three documented.
    let mut files = Vec::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("ExitCode::from(") {
            let arg = &text[at + "ExitCode::from(".len()..];
            let arg = arg.split(')').next().unwrap_or_default();
            assert!(
                ["EXIT_INITIATED", "EXIT_FAILED", "EXIT_INVALID", "exit_for("]
                    .iter()
                    .any(|known| arg.contains(known)),
                "{}: ExitCode::from({arg}) is not a documented status",
                file.display()
            );
        }
    }
    let codes = [
        kyc_console::headless::EXIT_INITIATED,
        kyc_console::headless::EXIT_FAILED,
        kyc_console::headless::EXIT_INVALID,
    ];
    assert_eq!(codes, [0, 1, 2]);
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn value_lists_refuse_what_they_do_not_hold_with_the_values_they_take() {
    let dir = tempfile::tempdir().unwrap();
    let user = random_user();
    for args in [
        vec!["initiate", "--user-id", &user, "--type", "passport"],
        vec!["history", "--type", "passport"],
        vec!["batch", "-", "--type", "passport"],
    ] {
        let refused = kyc(dir.path(), &args).expect(2);
        assert!(
            refused
                .stderr
                .contains("invalid value 'passport' for '--type <TYPE>'")
                && refused
                    .stderr
                    .contains("[possible values: full, shipping, rfi, import]"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    let refused = kyc(dir.path(), &["--log-level", "loud", "history"]).expect(2);
    assert!(
        refused
            .stderr
            .contains("invalid value 'loud' for '--log-level <LEVEL>'")
            && refused
                .stderr
                .contains("[possible values: error, warn, info, debug, trace]"),
        "{}",
        refused.stderr
    );
    let from_env = kyc_env(dir.path(), &["history"], "KYC_CONSOLE_LOG", "loud").expect(2);
    assert!(from_env.stderr.contains("'loud'"), "{}", from_env.stderr);
    // Any case is the same value.
    kyc(
        dir.path(),
        &["--log-level", "DEBUG", "history", "--type", "Full"],
    )
    .expect(0);
    kyc_env(dir.path(), &["history"], "KYC_CONSOLE_LOG", "trace").expect(0);
}

#[test]
fn config_example_prints_the_documented_settings_and_they_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let example = kyc(dir.path(), &["config", "example"]).expect(0).stdout;
    let shipped = include_str!("../assets/config.example.toml");
    assert_eq!(example, shipped);
    let file = settings(dir.path(), &example);
    let checked = kyc(
        dir.path(),
        &[
            "--config",
            file.to_str().unwrap(),
            "config",
            "check",
            "--json",
        ],
    )
    .expect(0)
    .json();
    assert_eq!(checked["valid"], true, "{checked:#}");
    assert_eq!(checked["errors"], Value::Array(Vec::new()));
    let profiles = checked["settings"]["profiles"].as_array().unwrap();
    assert!(profiles.len() > 1, "{checked:#}");

    let path = kyc(dir.path(), &["config", "path"]).expect(0).stdout;
    assert!(!path.contains("source tree"), "{path}");
    assert!(path.contains("`kyc-console config example`"), "{path}");
}

#[test]
fn config_check_reports_every_problem_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = settings(
        dir.path(),
        "operator = \"\"\ncolour = true\n\n[profiles.prod]\nbase_url = \"ftp://x\"\n\
         api_key_env = \"K\"\ntimeout = 5\n\n[profiles.ok]\nbase_url = \"https://ok.example\"\n\
         api_key_env = \"K\"\nmax_retries = 50\n",
    );
    let config = file.to_str().unwrap();
    let text = kyc(dir.path(), &["--config", config, "config", "check"]).expect(2);
    let errors: Vec<&str> = text
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    let want = [
        "line 1: operator: must not be empty",
        "line 2: colour: unknown field `colour`",
        "line 5: profiles.prod.base_url: \"ftp://x\" is not an http(s) URL",
        "line 7: profiles.prod.timeout: unknown field `timeout`",
        "line 12: profiles.ok.max_retries: must be from 0 to 10, not 50",
    ];
    assert_eq!(errors.len(), want.len(), "{}", text.stderr);
    for (line, want) in errors.iter().zip(want) {
        assert!(line.contains(want), "{want:?} in {line:?}");
    }
    assert!(text.stderr.contains("5 problems in"), "{}", text.stderr);

    let json = kyc(
        dir.path(),
        &["--config", config, "config", "check", "--json"],
    )
    .expect(2);
    let report = json.json();
    assert_eq!(report["valid"], false);
    assert_eq!(report["found"], true);
    assert_eq!(report["file"], config);
    assert_eq!(report["source"], "flag");
    assert_eq!(report["settings"], Value::Null);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5, "{report:#}");
    assert_eq!(errors[0]["line"], 1);
    assert_eq!(errors[0]["setting"], "operator");
    assert_eq!(
        errors[4]["message"], "must be from 0 to 10, not 50",
        "{report:#}"
    );
    for e in errors {
        let text = e["text"].as_str().unwrap();
        assert!(text.starts_with(config), "{text}");
    }

    // A command that needs the settings names the first and counts the rest.
    let refused = kyc(
        dir.path(),
        &[
            "--config",
            config,
            "initiate",
            "--user-id",
            &random_user(),
            "--type",
            "full",
        ],
    )
    .expect(2);
    assert!(
        refused
            .stderr
            .contains("(and 4 more problems: `kyc-console config check` lists every one)"),
        "{}",
        refused.stderr
    );
}

#[test]
fn config_check_json_describes_the_settings_and_never_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "sk_live_never_shown_7f3c9e1d";
    let file = settings(
        dir.path(),
        &format!(
            "operator = \"alice\"\ndefault_type = \"rfi\"\n\n[profiles.staging]\n\
             base_url = \"https://staging.example/v1\"\napi_key = \"{secret}\"\nmax_retries = 2\n\n\
             [profiles.prod]\nbase_url = \"https://api.kulipa.xyz/v1\"\napi_key_env = \"KYC_CONVENTIONS_UNSET\"\n"
        ),
    );
    let config = file.to_str().unwrap();
    let out = kyc_env(
        dir.path(),
        &["config", "check", "--json"],
        "KYC_CONSOLE_CONFIG",
        config,
    )
    .expect(0);
    out.assert_no_key(secret);
    let report = out.json();
    assert_eq!(report["valid"], true);
    assert_eq!(report["source"], "env");
    let settings = &report["settings"];
    assert_eq!(settings["operator"]["name"], "alice");
    assert_eq!(settings["operator"]["from"], "settings");
    assert_eq!(settings["default_type"], "rfi");
    let profile = |name: &str| {
        settings["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {settings:#}"))
            .clone()
    };
    assert_eq!(profile("sandbox")["built_in"], true);
    let staging = profile("staging");
    assert_eq!(staging["key"]["from"], "settings_file");
    assert_eq!(staging["max_retries"], 2);
    let prod = profile("prod");
    assert_eq!(prod["production"], true);
    assert_eq!(prod["key"]["from"], "env");
    assert_eq!(prod["key"]["variable"], "KYC_CONVENTIONS_UNSET");
    assert_eq!(prod["key"]["set"], false);

    // An empty variable names no file: the default place is read.
    let path = kyc_env(dir.path(), &["config", "path"], "KYC_CONSOLE_CONFIG", "")
        .expect(0)
        .stdout;
    assert!(path.contains("(the default place;"), "{path}");
}
