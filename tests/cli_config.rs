//! The built binary's settings: `config path` and `config check`, every key source end to
//! end against a real sandbox, choosing profiles, the production guard, and a scan for the
//! API key in every file and every output when keys come from a command and from the file.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{Run, TestSandbox, files_holding, files_under, random_user, run};
use kyc_console::api::KEY_MASK;
use kyc_console::history::{HistoryFilter, HistoryStore, SqliteStore};
use serde_json::Value;
use tempfile::TempDir;

/// The key the test sandbox accepts; finding its bytes anywhere it should not be is a leak.
const KEY: &str = "sk_test_keysource_9f8e7d6c5b4a";
/// Its last four characters, the only ones `config check` may show.
const KEY_TAIL: &str = "5b4a";
/// A key the test sandbox refuses with 401.
const WRONG_KEY: &str = "sk_test_wrong_000000000000";
/// Variables the profiles read the key from (set only on the child process).
const KEY_VAR: &str = "KYC_CONSOLE_TEST_CFG_KEY";
const OTHER_VAR: &str = "KYC_CONSOLE_TEST_CFG_OTHER";
const UNSET_VAR: &str = "KYC_CONSOLE_TEST_CFG_UNSET";
/// The user id the sandbox answers 400 for.
const BAD_REQUEST_USER: &str = "usr-00000000-0000-4000-8000-000000000400";

/// `kyc-console --data-dir <dir> <args>`, with no settings or key variables inherited.
fn console(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = common::console(dir, args);
    for var in [KEY_VAR, OTHER_VAR, UNSET_VAR] {
        cmd.env_remove(var);
    }
    cmd
}

fn kyc(dir: &Path, args: &[&str]) -> Run {
    run(console(dir, args))
}

/// [`kyc`] with one variable set for the child.
fn kyc_env(dir: &Path, args: &[&str], var: &str, value: &str) -> Run {
    let mut cmd = console(dir, args);
    cmd.env(var, value);
    run(cmd)
}

/// Writes `text` as `config.toml` in `dir` with `mode`, and returns its path.
fn write_settings(dir: &Path, text: &str, mode: u32) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("the settings are written");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    path
}

/// A settings file in its own temp dir (never under the data dir).
struct Settings {
    _dir: TempDir,
    path: PathBuf,
}

impl Settings {
    fn new(text: &str) -> Settings {
        Settings::with_mode(text, 0o600)
    }

    fn with_mode(text: &str, mode: u32) -> Settings {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write_settings(dir.path(), text, mode);
        Settings { _dir: dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().expect("a UTF-8 path")
    }
}

/// `initiate` for a fresh user: global flags before the command; `--json` and `--yes`
/// (the command's own) after it.
fn initiate_args(flags: &[&str]) -> Vec<String> {
    let (own, global): (Vec<&str>, Vec<&str>) = flags
        .iter()
        .partition(|f| matches!(**f, "--json" | "--yes"));
    let user = random_user();
    global
        .into_iter()
        .chain(["initiate", "--user-id", &user, "--type", "full"])
        .chain(own)
        .map(str::to_string)
        .collect()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `history --json` as rows, newest first.
fn history_rows(dir: &Path) -> Vec<Value> {
    match kyc(dir, &["history", "--json"]).expect(0).json() {
        Value::Array(rows) => rows,
        other => panic!("not an array: {other}"),
    }
}

/// The profile's two first lines in `config check`: its target, then its key.
fn profile_lines<'a>(stdout: &'a str, name: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no profile {name} in:\n{stdout}"));
    let key = lines
        .get(at + 1)
        .copied()
        .unwrap_or_else(|| panic!("no key line for {name} in:\n{stdout}"));
    assert!(key.trim_start().starts_with("key: "), "{key}");
    (lines[at], key)
}

// --- config path -------------------------------------------------------------------------

#[test]
fn config_path_names_settings_history_and_logs() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let run = kyc(d, &["config", "path"]).expect(0);
    let out = &run.stdout;
    let settings = d.join("config.toml");
    assert!(
        out.contains(&format!("settings  {} (", settings.display())),
        "{out}"
    );
    assert!(out.contains("the default place"), "{out}");
    assert!(out.contains("not found: built-in defaults apply"), "{out}");
    assert!(
        out.contains(&format!(
            "history   {}\n",
            d.join("history.sqlite3").display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("logs      {} (", d.join("logs").display())),
        "{out}"
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    // Once the file exists in the default place it is found.
    write_settings(d, "operator = \"alice\"\n", 0o600);
    let out = kyc(d, &["config", "path"]).expect(0).stdout;
    assert!(out.contains("the default place; found)"), "{out}");
    assert!(!out.contains("built-in defaults"), "{out}");
}

#[test]
fn config_path_says_where_the_file_came_from() {
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new("operator = \"alice\"\n");

    let out = kyc(data.path(), &["--config", s.arg(), "config", "path"])
        .expect(0)
        .stdout;
    assert!(
        out.contains(&format!("settings  {} (from --config; found)", s.arg())),
        "{out}"
    );

    let out = kyc_env(
        data.path(),
        &["config", "path"],
        "KYC_CONSOLE_CONFIG",
        s.arg(),
    )
    .expect(0)
    .stdout;
    assert!(
        out.contains(&format!(
            "settings  {} (from KYC_CONSOLE_CONFIG; found)",
            s.arg()
        )),
        "{out}"
    );

    // --config wins over the variable.
    let other = Settings::new("");
    let out = kyc_env(
        data.path(),
        &["--config", other.arg(), "config", "path"],
        "KYC_CONSOLE_CONFIG",
        s.arg(),
    )
    .expect(0)
    .stdout;
    assert!(out.contains(other.arg()) && !out.contains(s.arg()), "{out}");
    assert!(out.contains("from --config"), "{out}");
}

#[test]
fn config_path_with_a_missing_named_file_does_not_promise_defaults() {
    let data = tempfile::tempdir().unwrap();
    let missing = data.path().join("nowhere").join("settings.toml");
    let missing = missing.to_str().unwrap();
    let out = kyc(data.path(), &["--config", missing, "config", "path"])
        .expect(0)
        .stdout;
    assert!(out.contains(missing), "{out}");
    assert!(out.contains("from --config; not found"), "{out}");
    // A named file that is missing is an error for every other command, not the defaults.
    assert!(!out.contains("built-in defaults apply"), "{out}");
    let check = kyc(data.path(), &["--config", missing, "config", "check"]).expect(2);
    assert!(check.stderr.contains(missing), "{}", check.stderr);
}

// --- config check ------------------------------------------------------------------------

#[test]
fn config_check_without_a_file_lists_the_sandbox() {
    let data = tempfile::tempdir().unwrap();
    let run = kyc(data.path(), &["config", "check"]).expect(0);
    let out = &run.stdout;
    assert!(
        out.contains(&format!(
            "settings  none found ({}): built-in defaults",
            data.path().join("config.toml").display()
        )),
        "{out}"
    );
    assert!(
        out.contains("defaults  profile sandbox, KYC type full"),
        "{out}"
    );
    let (target, key) = profile_lines(out, "sandbox");
    assert!(target.contains("embedded sandbox"), "{target}");
    assert!(!target.contains("PRODUCTION"), "{target}");
    assert!(key.contains("the sandbox's built-in key"), "{key}");
    assert!(!out.contains("PRODUCTION"), "{out}");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn config_check_lists_every_profile_with_its_target_and_key_source() {
    let data = tempfile::tempdir().unwrap();
    let marks = tempfile::tempdir().unwrap();
    let marker = marks.path().join("ran");
    let command = format!("touch {} && echo k", marker.display());
    let s = Settings::new(&format!(
        r#"operator = "alice"
default_profile = "envset"
default_type = "rfi"

[profiles.envset]
base_url = "https://staging.partner.example/api"
method = "PUT"
path = "/v1/kycs"
api_key_env = "{KEY_VAR}"

[profiles.envunset]
base_url = "http://127.0.0.1:8787/v1"
api_key_env = "{UNSET_VAR}"

[profiles.cmd]
base_url = "https://staging.partner.example/api"
api_key_command = "{command}"
timeout_secs = 12
max_retries = 1
rate_limit_per_minute = 60

[profiles.cmdmix]
base_url = "https://staging.partner.example/api"
api_key_command = "printf %s $KULIPA_KEY_2024_PRIMARY sk_live_0123456789abcdef"

[profiles.lit]
base_url = "https://staging.partner.example/api"
api_key = "{KEY}"

[profiles.live]
base_url = "https://api.kulipa.xyz/v1"
api_key_env = "{UNSET_VAR}"

[profiles.marked]
base_url = "https://staging.partner.example/api"
api_key_env = "{UNSET_VAR}"
production = true

[profiles.a-rather-long-profile-name]
base_url = "https://staging.partner.example/api"
api_key_env = "{UNSET_VAR}"
"#
    ));
    let run = kyc_env(
        data.path(),
        &["--config", s.arg(), "config", "check"],
        KEY_VAR,
        KEY,
    )
    .expect(0);
    let out = &run.stdout;
    run.assert_no_key(KEY);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    // Every profile's lines align on the longest name.
    let long = "  a-rather-long-profile-name POST https://staging.partner.example/api";
    assert!(out.contains(long), "{out}");
    let indent = " ".repeat(2 + "a-rather-long-profile-name".len() + 1);
    assert!(out.contains(&format!("\n{indent}key: ")), "{out}");
    assert!(
        out.contains(&format!("\n  envset{}", " ".repeat(21))),
        "{out}"
    );
    assert!(
        out.contains(&format!("settings  {} is valid", s.arg())),
        "{out}"
    );
    assert!(out.contains("operator  alice (from the settings)"), "{out}");
    assert!(
        out.contains("defaults  profile envset, KYC type rfi"),
        "{out}"
    );

    // The built-in sandbox comes first, then the file's profiles in name order.
    let order: Vec<usize> = [
        "sandbox", "cmd", "envset", "envunset", "lit", "live", "marked",
    ]
    .iter()
    .map(|name| {
        out.lines()
            .position(|l| l.split_whitespace().next() == Some(*name))
            .unwrap_or_else(|| panic!("no {name} in:\n{out}"))
    })
    .collect();
    assert!(order.is_sorted(), "{order:?}\n{out}");

    let (target, key) = profile_lines(out, "envset");
    assert!(
        target.ends_with("PUT https://staging.partner.example/api/v1/kycs"),
        "{target}"
    );
    assert!(
        key.ends_with(&format!(
            "key: environment variable {KEY_VAR} (set, {KEY_MASK}{KEY_TAIL})"
        )),
        "{key}"
    );

    let (target, key) = profile_lines(out, "envunset");
    assert!(
        target.ends_with("POST http://127.0.0.1:8787/v1/kycs"),
        "{target}"
    );
    assert!(
        key.contains(&format!("environment variable {UNSET_VAR} (NOT SET")),
        "{key}"
    );

    let (target, key) = profile_lines(out, "cmd");
    assert!(
        target.ends_with("POST https://staging.partner.example/api/kycs"),
        "{target}"
    );
    assert!(key.contains(&format!("command `{command}`")), "{key}");
    assert!(key.contains("runs when the profile is first used"), "{key}");
    assert!(
        out.contains("timeout 12.0 s · up to 1 retries · at most 60 a minute"),
        "{out}"
    );
    assert!(!marker.exists(), "config check ran the key command");

    // A key written into the command is masked; a variable is shown as written.
    let (_, key) = profile_lines(out, "cmdmix");
    assert!(
        key.contains(&format!(
            "command `printf %s $KULIPA_KEY_2024_PRIMARY {KEY_MASK}cdef`"
        )),
        "{key}"
    );
    assert!(!out.contains("0123456789ab"), "{out}");

    let (_, key) = profile_lines(out, "lit");
    assert!(
        key.contains(&format!(
            "written in the settings file ({KEY_MASK}{KEY_TAIL})"
        )),
        "{key}"
    );

    // PRODUCTION for api.kulipa.xyz by default and where the file says so; nowhere else.
    for name in ["live", "marked"] {
        let (target, _) = profile_lines(out, name);
        assert!(target.ends_with("  PRODUCTION"), "{target}");
    }
    for name in ["sandbox", "cmd", "envset", "envunset", "lit"] {
        let (target, _) = profile_lines(out, name);
        assert!(!target.contains("PRODUCTION"), "{target}");
    }
    let (target, _) = profile_lines(out, "live");
    assert!(
        target.contains("POST https://api.kulipa.xyz/v1/kycs"),
        "{target}"
    );
}

#[test]
fn the_production_host_can_be_marked_not_production() {
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&format!(
        "[profiles.live]\nbase_url = \"https://api.kulipa.xyz/v1\"\napi_key_env = \"{KEY_VAR}\"\nproduction = false\n"
    ));
    let out = kyc(data.path(), &["--config", s.arg(), "config", "check"])
        .expect(0)
        .stdout;
    let (target, _) = profile_lines(&out, "live");
    assert!(
        target.contains("https://api.kulipa.xyz/v1/kycs"),
        "{target}"
    );
    assert!(!target.contains("PRODUCTION"), "{target}");
}

/// `config check` of `text`, which must fail at `line` naming `setting` with `message`.
fn assert_check_fails(text: &str, line: usize, setting: &str, message: &str) {
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(text);
    let run = kyc(data.path(), &["--config", s.arg(), "config", "check"]).expect(2);
    let expected = format!("error: {} line {line}: {setting}: ", s.arg());
    assert!(
        run.stderr.starts_with(&expected),
        "expected {expected:?} in:\n{}\nfor:\n{text}",
        run.stderr
    );
    assert!(run.stderr.contains(message), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn config_check_names_the_file_line_and_setting_of_each_mistake() {
    let base = "[profiles.p]\nbase_url = \"https://x.example\"\n";
    assert_check_fails(
        &format!("{base}api_key_env = \"K\"\ncolour = \"red\"\n"),
        4,
        "profiles.p.colour",
        "unknown field `colour`",
    );
    assert_check_fails(
        "[profiles.p]\napi_key_env = \"K\"\nbase_url = \"not a url\"\n",
        3,
        "profiles.p.base_url",
        "\"not a url\" is not an http(s) URL",
    );
    assert_check_fails(
        &format!("{base}api_key_env = \"K\"\nproduction = \"yes\"\n"),
        4,
        "profiles.p.production",
        "invalid type",
    );
    assert_check_fails(
        &format!("operator = \"a\"\n\n{base}"),
        3,
        "profiles.p",
        "needs an API key source",
    );
    assert_check_fails(
        &format!("{base}api_key_env = \"K\"\napi_key_command = \"pass show k\"\n"),
        1,
        "profiles.p",
        "set only one of api_key_env, api_key_command and api_key",
    );
    assert_check_fails(
        &format!("{base}api_key_env = \"K\nmax_retries = 2\n"),
        3,
        "profiles.p.api_key_env",
        "",
    );
}

#[test]
fn a_toml_syntax_error_names_the_file_and_line() {
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new("operator = \"a\"\n[profiles.p\nbase_url = \"https://x.example\"\n");
    let run = kyc(data.path(), &["--config", s.arg(), "config", "check"]).expect(2);
    assert!(
        run.stderr
            .starts_with(&format!("error: {} line 2: ", s.arg())),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_mistake_in_the_default_file_is_reported_too() {
    let data = tempfile::tempdir().unwrap();
    let path = write_settings(data.path(), "default_type = \"passport\"\n", 0o600);
    let run = kyc(data.path(), &["config", "check"]).expect(2);
    assert!(
        run.stderr
            .starts_with(&format!("error: {} line 1: default_type: ", path.display())),
        "{}",
        run.stderr
    );
    // A sending command refuses as well, before sending anything.
    let args = initiate_args(&[]);
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(
        run.stderr.contains(&path.display().to_string()),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
}

#[test]
fn config_pointing_to_a_missing_file_names_it() {
    let data = tempfile::tempdir().unwrap();
    let missing = data.path().join("missing.toml");
    let missing = missing.to_str().unwrap();
    let run = kyc(data.path(), &["--config", missing, "config", "check"]).expect(2);
    assert!(
        run.stderr
            .starts_with(&format!("error: {missing}: cannot read the settings file")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    // The variable must name an existing file too.
    let run = kyc_env(
        data.path(),
        &["config", "check"],
        "KYC_CONSOLE_CONFIG",
        missing,
    )
    .expect(2);
    assert!(run.stderr.contains(missing), "{}", run.stderr);
}

#[test]
fn kyc_console_config_pointing_to_a_bad_file_names_it() {
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(
        "[profiles.p]\nbase_url = \"https://x.example\"\napi_key_env = \"K\"\nmethod = \"GET\"\n",
    );
    let run = kyc_env(
        data.path(),
        &["config", "check"],
        "KYC_CONSOLE_CONFIG",
        s.arg(),
    )
    .expect(2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {} line 4: profiles.p.method: \"GET\" is not allowed",
            s.arg()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

// --- key sources, end to end ---------------------------------------------------------------

#[test]
fn api_key_env_sends_with_the_variable_and_refuses_without_it() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", &format!("api_key_env = \"{KEY_VAR}\"")));
    let args = initiate_args(&["--config", s.arg(), "--profile", "p"]);

    let run = kyc_env(data.path(), &strs(&args), KEY_VAR, KEY).expect(0);
    assert!(run.stdout.contains("initiated"), "{}", run.stdout);
    run.assert_no_key(KEY);
    assert_eq!(sb.requests(), 1);

    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(run.stderr.contains(KEY_VAR), "{}", run.stderr);
    assert!(run.stderr.contains("is not set"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(sb.requests(), 1, "nothing reached the sandbox");

    // An empty variable is refused the same way.
    let run = kyc_env(data.path(), &strs(&args), KEY_VAR, "  ").expect(2);
    assert!(run.stderr.contains(KEY_VAR), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(sb.requests(), 1);
    assert_eq!(history_rows(data.path()).len(), 1);
}

#[test]
fn api_key_env_unset_sends_nothing_at_all() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", &format!("api_key_env = \"{UNSET_VAR}\"")));
    let args = initiate_args(&["--config", s.arg(), "--profile", "p"]);
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(
        run.stderr.contains(&format!(
            "profile p: the environment variable {UNSET_VAR} is not set"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(sb.requests(), 0);
    assert!(history_rows(data.path()).is_empty());
}

#[test]
fn api_key_command_supplies_the_key() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&format!(
        "{}{}{}",
        sb.profile("good", &format!("api_key_command = \"printf {KEY}\"")),
        sb.profile(
            "failing",
            "api_key_command = \"echo no such entry >&2; exit 3\""
        ),
        sb.profile("silent", "api_key_command = \"printf ''\""),
    ));

    let args = initiate_args(&["--config", s.arg(), "--profile", "good", "--json"]);
    let run = kyc(data.path(), &strs(&args)).expect(0);
    assert_eq!(run.json()["status"], 201, "{run:?}");
    assert_eq!(run.json()["profile"], "good");
    assert_eq!(sb.requests(), 1);

    let args = initiate_args(&["--config", s.arg(), "--profile", "failing"]);
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(
        run.stderr
            .contains("api_key_command `echo no such entry >&2; exit 3` failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no such entry"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);

    let args = initiate_args(&["--config", s.arg(), "--profile", "silent"]);
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(
        run.stderr
            .contains("api_key_command `printf ''` printed nothing"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(sb.requests(), 1, "the failed commands sent nothing");
    assert_eq!(history_rows(data.path()).len(), 1);
}

#[test]
fn a_failing_key_command_is_named() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", "api_key_command = \"exit 3\""));
    let args = initiate_args(&["--config", s.arg(), "--profile", "p"]);
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(
        run.stderr
            .contains("profile p: api_key_command `exit 3` failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(sb.requests(), 0);
}

#[test]
fn a_literal_key_works_only_in_a_private_file() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", &format!("api_key = \"{KEY}\"")));
    let args = initiate_args(&["--config", s.arg(), "--profile", "p"]);
    let run = kyc(data.path(), &strs(&args)).expect(0);
    assert!(run.stdout.contains("initiated"), "{}", run.stdout);
    run.assert_no_key(KEY);
    assert_eq!(sb.requests(), 1);

    std::fs::set_permissions(&s.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(
        run.stderr.contains(&format!(
            "{} line 3: profiles.p.api_key: a key written in the file is refused because others can read",
            s.arg()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("mode 644"), "{}", run.stderr);
    assert!(run.stderr.contains("chmod 600"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    run.assert_no_key(KEY);
    assert_eq!(sb.requests(), 1);

    // config check refuses it too, and says why.
    let run = kyc(data.path(), &["--config", s.arg(), "config", "check"]).expect(2);
    assert!(run.stderr.contains("chmod 600"), "{}", run.stderr);
    run.assert_no_key(KEY);

    // Group-readable is "others" as well.
    std::fs::set_permissions(&s.path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(run.stderr.contains("mode 640"), "{}", run.stderr);
    assert_eq!(sb.requests(), 1);
}

#[test]
fn a_wrong_key_is_a_401_and_exit_1() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", &format!("api_key_env = \"{KEY_VAR}\"")));
    let args = initiate_args(&["--config", s.arg(), "--profile", "p"]);
    let run = kyc_env(data.path(), &strs(&args), KEY_VAR, WRONG_KEY).expect(1);
    assert!(run.all().contains("401"), "{run:#?}");
    assert!(!run.all().contains(WRONG_KEY), "{run:#?}");
    assert_eq!(sb.requests(), 1);
    let rows = history_rows(data.path());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], 401);
    assert_eq!(rows[0]["profile"], "p");
}

#[test]
fn api_key_env_on_the_command_line_overrides_the_profile() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let marks = tempfile::tempdir().unwrap();
    let marker = marks.path().join("ran");
    // Run, this command would leave a marker and give a wrong key.
    let s = Settings::new(&sb.profile(
        "p",
        &format!(
            "api_key_command = \"touch {} && printf {WRONG_KEY}\"",
            marker.display()
        ),
    ));
    let args = initiate_args(&[
        "--config",
        s.arg(),
        "--profile",
        "p",
        "--api-key-env",
        OTHER_VAR,
        "--json",
    ]);
    let run = kyc_env(data.path(), &strs(&args), OTHER_VAR, KEY).expect(0);
    assert_eq!(run.json()["status"], 201);
    assert_eq!(run.json()["profile"], "p");
    assert!(!marker.exists(), "the profile's own key command ran");
    assert_eq!(sb.requests(), 1);

    // Without the override, the profile's source is used (and its wrong key refused).
    let args = initiate_args(&["--config", s.arg(), "--profile", "p"]);
    kyc(data.path(), &strs(&args)).expect(1);
    assert!(marker.exists(), "the profile's key command did not run");
    assert_eq!(sb.requests(), 2);

    // The override names a variable: when it is unset, nothing is sent.
    let args = initiate_args(&[
        "--config",
        s.arg(),
        "--profile",
        "p",
        "--api-key-env",
        UNSET_VAR,
    ]);
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(run.stderr.contains(UNSET_VAR), "{}", run.stderr);
    assert_eq!(sb.requests(), 2);
}

// --- choosing a profile --------------------------------------------------------------------

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&format!(
        "{}{}",
        sb.profile("p", &format!("api_key_env = \"{KEY_VAR}\"")),
        sb.profile("q", &format!("api_key_env = \"{KEY_VAR}\"")),
    ));
    let args = initiate_args(&["--config", s.arg(), "--profile", "nope"]);
    let run = kyc(data.path(), &strs(&args)).expect(2);
    assert!(
        run.stderr
            .contains("no profile named \"nope\"; known profiles: sandbox, p, q"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(sb.requests(), 0);
}

#[test]
fn a_profile_and_a_base_url_together_are_refused() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", &format!("api_key_env = \"{KEY_VAR}\"")));
    let args = initiate_args(&[
        "--config",
        s.arg(),
        "--profile",
        "p",
        "--base-url",
        "http://x",
    ]);
    let run = kyc_env(data.path(), &strs(&args), KEY_VAR, KEY).expect(2);
    assert!(
        run.stderr
            .contains("choose either --profile or --base-url, not both"),
        "{}",
        run.stderr
    );
    assert_eq!(sb.requests(), 0);
}

#[test]
fn the_default_profile_is_used_without_profile() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&format!(
        "default_profile = \"p\"\n{}",
        sb.profile("p", &format!("api_key_env = \"{KEY_VAR}\""))
    ));
    let args = initiate_args(&["--config", s.arg(), "--json"]);
    let run = kyc_env(data.path(), &strs(&args), KEY_VAR, KEY).expect(0);
    assert_eq!(run.json()["profile"], "p");
    assert_eq!(sb.requests(), 1, "the request went to p's sandbox");
    let rows = history_rows(data.path());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["profile"], "p");
    assert_eq!(rows[0]["status"], 201);
}

#[test]
fn history_records_the_profile_of_each_submission() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", &format!("api_key_env = \"{KEY_VAR}\"")));

    // The built-in sandbox profile (its own embedded sandbox), then p.
    let args = initiate_args(&["--config", s.arg()]);
    kyc(data.path(), &strs(&args)).expect(0);
    assert_eq!(sb.requests(), 0, "the built-in profile has its own sandbox");
    let args = initiate_args(&["--config", s.arg(), "--profile", "p"]);
    kyc_env(data.path(), &strs(&args), KEY_VAR, KEY).expect(0);
    assert_eq!(sb.requests(), 1);

    let rows = history_rows(data.path());
    let profiles: Vec<&str> = rows
        .iter()
        .map(|r| r["profile"].as_str().expect("a profile"))
        .collect();
    assert_eq!(profiles, ["p", "sandbox"], "newest first");
    assert!(rows.iter().all(|r| r["outcome"] == "initiated"), "{rows:?}");
}

// --- production guard ----------------------------------------------------------------------

#[test]
fn a_production_profile_needs_yes_for_every_send() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile(
        "prod",
        &format!("api_key_env = \"{KEY_VAR}\"\nproduction = true"),
    ));
    let with_key = |args: &[&str]| kyc_env(data.path(), args, KEY_VAR, KEY);

    let args = initiate_args(&["--config", s.arg(), "--profile", "prod"]);
    let refused = with_key(&strs(&args)).expect(2);
    assert!(
        refused.stderr.contains("profile prod is PRODUCTION"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("nothing was sent"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert_eq!(sb.requests(), 0);
    assert!(history_rows(data.path()).is_empty());

    let mut args = initiate_args(&["--config", s.arg(), "--profile", "prod"]);
    args.push("--yes".into());
    args.push("--json".into());
    let sent = with_key(&strs(&args)).expect(0);
    assert_eq!(sent.json()["status"], 201);
    assert_eq!(sb.requests(), 1);
    let id = sent.json()["submission_id"]
        .as_i64()
        .expect("submission_id")
        .to_string();

    for command in ["replay", "retry"] {
        let run = with_key(&["--config", s.arg(), "--profile", "prod", command, &id]).expect(2);
        assert!(
            run.stderr.contains("PRODUCTION"),
            "{command}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("--yes"), "{command}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing was sent"),
            "{command}: {}",
            run.stderr
        );
    }
    assert_eq!(sb.requests(), 1, "neither replay nor retry sent");
    assert_eq!(history_rows(data.path()).len(), 1);

    // With --yes, replay sends.
    with_key(&[
        "--config",
        s.arg(),
        "--profile",
        "prod",
        "replay",
        &id,
        "--yes",
        "--allow-duplicate",
    ])
    .expect(0);
    assert_eq!(sb.requests(), 2);
    assert_eq!(history_rows(data.path()).len(), 2);
}

#[test]
fn a_default_production_profile_is_guarded_too() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&format!(
        "default_profile = \"prod\"\n{}",
        sb.profile(
            "prod",
            &format!("api_key_env = \"{KEY_VAR}\"\nproduction = true")
        )
    ));
    let args = initiate_args(&["--config", s.arg()]);
    let run = kyc_env(data.path(), &strs(&args), KEY_VAR, KEY).expect(2);
    assert!(run.stderr.contains("PRODUCTION"), "{}", run.stderr);
    assert_eq!(sb.requests(), 0);
}

// --- the API key never lands anywhere ------------------------------------------------------

#[test]
fn keys_from_a_command_or_the_file_are_in_no_file_and_no_output() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&format!(
        "{}{}",
        sb.profile("cmd", &format!("api_key_command = \"printf {KEY}\"")),
        sb.profile("lit", &format!("api_key = \"{KEY}\"")),
    ));
    let mut outputs: Vec<Run> = Vec::new();
    let mut scan = |args: &[&str], code: i32| -> Run {
        let mut cmd = console(data.path(), &["--config", s.arg(), "--log-level", "trace"]);
        cmd.args(args);
        let run = run(cmd).expect(code);
        outputs.push(run.clone());
        run
    };

    let user = random_user();
    let ok = scan(
        &[
            "--profile",
            "cmd",
            "initiate",
            "--user-id",
            &user,
            "--type",
            "full",
            "--json",
        ],
        0,
    )
    .json();
    assert_eq!(ok["status"], 201, "the key was sent and accepted");
    let ok_id = ok["submission_id"].as_i64().expect("an id").to_string();
    let bad = scan(
        &[
            "--profile",
            "lit",
            "initiate",
            "--user-id",
            BAD_REQUEST_USER,
            "--type",
            "full",
        ],
        1,
    );
    assert!(bad.stdout.contains("400"), "{}", bad.stdout);
    scan(
        &["--profile", "lit", "replay", &ok_id, "--allow-duplicate"],
        0,
    );
    scan(
        &[
            "--profile",
            "cmd",
            "replay",
            &ok_id,
            "--json",
            "--allow-duplicate",
        ],
        0,
    );
    let shown = scan(&["show", &ok_id, "--json"], 0).json();
    assert_eq!(shown["user_id"], user.as_str());
    scan(&["show", &ok_id], 0);
    let curl = scan(&["show", &ok_id, "--curl"], 0);
    assert!(curl.stdout.contains("$KYC_API_KEY"), "{}", curl.stdout);
    let history = scan(&["history", "--json"], 0).json();
    assert_eq!(history.as_array().map(Vec::len), Some(4));
    let csv = scan(&["history", "--csv"], 0);
    assert_eq!(csv.stdout.lines().count(), 5, "{}", csv.stdout);
    // config check shows the command, with the key in it masked like any other key.
    let check = scan(&["config", "check"], 0);
    let (_, key) = profile_lines(&check.stdout, "cmd");
    assert!(
        key.contains(&format!("key: command `printf {KEY_MASK}{KEY_TAIL}`")),
        "{key}"
    );
    let (_, key) = profile_lines(&check.stdout, "lit");
    assert!(key.contains(&format!("({KEY_MASK}{KEY_TAIL})")), "{key}");
    scan(&["config", "path"], 0);

    // Every send reached the sandbox, with the key it accepts.
    assert_eq!(sb.requests(), 4);
    assert_eq!(sb.sandbox().stats().verifications, 3);

    // No output holds the key.
    assert_eq!(outputs.len(), 11);
    for run in &outputs {
        run.assert_no_key(KEY);
    }

    // The scan reads what was written: a non-empty log and the history with its rows.
    let files = files_under(data.path());
    let log_dir = data.path().join("logs");
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(&log_dir) && std::fs::metadata(f).unwrap().len() > 0),
        "no non-empty log file in {files:?}"
    );
    assert!(
        files.contains(&data.path().join("history.sqlite3")),
        "{files:?}"
    );
    let store = SqliteStore::open_in(data.path()).unwrap();
    assert_eq!(store.count(&HistoryFilter::default()).unwrap(), 4);
    drop(store);
    // The scan finds what is there: the user id is stored in plain text.
    let with_user = files_holding(data.path(), &user);
    assert!(
        with_user.iter().any(|f| f
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("history.sqlite3"))),
        "the user id is not in the history files: {with_user:?}"
    );
    // ... and the key is in the settings file, so a scan of it would find it.
    assert_eq!(
        files_holding(s.path.parent().unwrap(), KEY),
        std::slice::from_ref(&s.path)
    );

    // ... but in no file under the data dir.
    let leaked = files_holding(data.path(), KEY);
    assert!(leaked.is_empty(), "the API key is in {leaked:?}");
}

// --- a team's database ----------------------------------------------------------------------

/// The history database cannot be reached: nothing is sent (the write-ahead record cannot
/// be written), and the error names the host, says what to do, and never the password.
#[test]
fn an_unreachable_history_database_sends_nothing_and_names_the_host() {
    let sb = TestSandbox::with_key(KEY);
    let data = tempfile::tempdir().unwrap();
    let s = Settings::new(&sb.profile("p", &format!("api_key_env = \"{KEY_VAR}\"")));
    let mut args = vec![
        "--history-url".to_string(),
        "postgres://kyc:s3cret-pw@127.0.0.1:1/audit".to_string(),
    ];
    args.extend(initiate_args(&["--config", s.arg(), "--profile", "p"]));
    let run = kyc_env(data.path(), &strs(&args), KEY_VAR, KEY);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("127.0.0.1:1"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret-pw"), "{}", run.stderr);
    assert!(!run.stdout.contains("s3cret-pw"), "{}", run.stdout);
    assert_eq!(sb.requests(), 0, "nothing reached the sandbox");
}

/// A history URL or its password source that cannot be used is named, with what to do.
#[test]
fn a_bad_history_url_or_password_source_is_named() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    for (url, says) in [
        ("notaurl", "not a URL: use postgres://"),
        ("mysql://x@y/z", "mysql:// is not a history store"),
    ] {
        let run = kyc(dir, &["--history-url", url, "history"]);
        assert_ne!(run.code, 0);
        assert!(run.stderr.contains("--history-url"), "{}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
    }
    let wrong_type = dir.join("wrong-type.toml");
    std::fs::write(&wrong_type, "history_url = 5\n").unwrap();
    let run = kyc(dir, &["--config", wrong_type.to_str().unwrap(), "history"]);
    assert!(run.stderr.contains("line 1: history_url"), "{}", run.stderr);
    let no_password = dir.join("no-password.toml");
    std::fs::write(
        &no_password,
        "history_url = \"postgres://u@127.0.0.1:1/db\"\nhistory_password_env = \"KYC_TEST_NO_SUCH_VAR\"\n",
    )
    .unwrap();
    let run = kyc(dir, &["--config", no_password.to_str().unwrap(), "history"]);
    assert!(
        run.stderr
            .contains("KYC_TEST_NO_SUCH_VAR (history_password_env), which is not set"),
        "{}",
        run.stderr
    );
}
