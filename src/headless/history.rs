//! `history`, `show`, `replay` and `retry`: the stored submissions, for scripts and tickets.

use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::{EXIT_FAILED, EXIT_INVALID, emit, emit_text};
use crate::cli::{GlobalArgs, HistoryArgs};
use crate::domain::{KycType, OutcomeKind, UserId, safe_text};
use crate::history::export::{EXPORT_COLUMNS, ExportRow, export_row};
use crate::history::stats::Per;
use crate::history::{HistoryFilter, HistoryStore, Submission};
use crate::paths::Paths;
use crate::present::format_duration;

/// Parses `--since`: a date (midnight UTC) or an RFC 3339 instant.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("--since {text:?}: use a date like 2026-11-27 or an instant like 2026-11-27T09:30:00Z"))
}

/// The history the flags and settings name (see [`crate::session::open_history`]).
pub(super) fn open_store(
    global: &GlobalArgs,
    paths: &Paths,
) -> Result<Arc<dyn HistoryStore>, ExitCode> {
    let options = global.session_options();
    // Invalid settings are a setting to fix (2); a history that cannot be opened, 1.
    let config = crate::config::load(options.config.as_deref(), paths).map_err(|e| {
        eprintln!("error: {}", safe_text(&e.to_string()));
        ExitCode::from(EXIT_INVALID)
    })?;
    crate::session::open_history(&options, &config, paths).map_err(|e| {
        eprintln!("error: {}", safe_text(&e.to_string()));
        ExitCode::from(EXIT_FAILED)
    })
}

/// Parses `--outcome`: an outcome's name (`server_error`), or its label (`server error`,
/// `server-error`), in any case.
pub fn parse_outcome(text: &str) -> Result<OutcomeKind, String> {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let wanted = norm(text);
    OutcomeKind::ALL
        .into_iter()
        .find(|o| norm(o.label()) == wanted)
        .ok_or_else(|| {
            let names: Vec<String> = OutcomeKind::ALL.iter().map(|o| norm(o.label())).collect();
            format!(
                "--outcome {}: use one of {}",
                safe_text(&format!("{text:?}")),
                names.join(", ")
            )
        })
}

/// The filter the flags (and a `--profile` given on the command line) ask for, or what
/// is wrong with them.
fn filter_of(global: &GlobalArgs, args: &HistoryArgs) -> Result<HistoryFilter, String> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let user_id = args
        .user_id
        .as_deref()
        .map(UserId::parse)
        .transpose()
        .map_err(|e| format!("--user-id: {e}"))?
        .map(|(id, _)| id.to_string());
    let kyc_type = args.kyc_type.map(KycType::from);
    let outcome = args.outcome.as_deref().map(parse_outcome).transpose()?;
    let blank = |flag: &str, value: &Option<String>| match value {
        Some(v) if v.trim().is_empty() => Err(format!("{flag}: give some text, not nothing")),
        _ => Ok(()),
    };
    blank("--find", &args.find)?;
    blank("--operator", &args.operator)?;
    Ok(HistoryFilter {
        text: args.find.clone().unwrap_or_default(),
        errors_only: args.errors,
        profile: global.profile.clone(),
        since,
        status: args.status,
        user_id,
        kyc_type,
        operator: args.operator.clone(),
        outcome,
    })
}

/// `kyc-console history`.
pub fn history(global: &GlobalArgs, paths: &Paths, args: &HistoryArgs) -> ExitCode {
    let filter = match filter_of(global, args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let store = match open_store(global, paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.stats {
        return super::stats::print(store.as_ref(), &filter, args.per.map(Per::from), args.json);
    }
    let read = store.window(&filter, 0, args.limit).and_then(|rows| {
        // A full window may hide older rows: count them, to say so.
        let total = if rows.len() >= args.limit {
            store.count(&filter)?
        } else {
            rows.len()
        };
        Ok((rows, total))
    });
    let (rows, total) = match read {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {}", safe_text(&e.to_string()));
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if total > rows.len() {
        eprintln!(
            "note: the newest {} of {total} matching submissions; {} older left out \
             (--limit {total} shows them all)",
            rows.len(),
            total - rows.len()
        );
    }
    let rows: Vec<ExportRow> = match rows
        .into_iter()
        .map(|row| export_row(store.as_ref(), row))
        .collect()
    {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {}", safe_text(&e.to_string()));
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if args.json {
        emit(&format!("{:#}\n", json!(rows)));
    } else if args.csv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let written = if rows.is_empty() {
            // The header comes with the first row; scripts still want it when none match.
            writer.write_record(EXPORT_COLUMNS)
        } else {
            rows.iter().try_for_each(|row| writer.serialize(row))
        };
        if let Err(e) = written {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
        match writer.into_inner() {
            Ok(bytes) => emit(&String::from_utf8_lossy(&bytes)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_FAILED);
            }
        }
    } else if rows.is_empty() {
        eprintln!("no submissions match");
    } else {
        let production = production_profiles(global, paths);
        let mut marked = false;
        let mut out = format!(
            "{:>6}  {:<25}  {:<10}  {:<40}  {:<8}  {:>3}  {:<14}  {:>8}  {}\n",
            "id",
            "sent (UTC)",
            "profile",
            "user id",
            "type",
            "st",
            "outcome",
            "took",
            "verification / request id"
        );
        for r in &rows {
            let took = r
                .latency_ms
                .map(|ms| format_duration(std::time::Duration::from_millis(ms)))
                .unwrap_or_default();
            let reference = match (&r.verification_id, &r.request_id) {
                (Some(verification), _) => verification.clone(),
                // Started, but the answer gave no id: the request id is all there is.
                (None, Some(request)) if r.outcome == "initiated" => {
                    format!("no verification id; request id {request}")
                }
                (None, None) if r.outcome == "initiated" => {
                    "no verification id, no request id".to_string()
                }
                (None, request) => request.clone().unwrap_or_default(),
            };
            let profile = if production.contains(&r.profile) {
                marked = true;
                format!("!{}", safe_text(&r.profile))
            } else {
                safe_text(&r.profile).into_owned()
            };
            out.push_str(&format!(
                "{:>6}  {:<25}  {:<10}  {:<40}  {:<8}  {:>3}  {:<14}  {:>8}  {}\n",
                r.id,
                listed_time(r),
                profile,
                safe_text(&r.user_id),
                r.kyc_type,
                r.status.map_or("—".to_string(), |s| s.to_string()),
                r.outcome,
                took,
                safe_text(&reference)
            ));
        }
        emit_text(&out);
        if marked {
            eprintln!("note: ! marks a production profile");
        }
        if rows.iter().any(|r| r.sent_at.is_none()) {
            eprintln!("{NEVER_SENT_NOTE}");
        }
    }
    ExitCode::SUCCESS
}

/// What the `*` after a time means.
pub(super) const NEVER_SENT_NOTE: &str =
    "note: * marks a row never sent, listed at the time it was recorded";

/// The time a row is listed at: when it was sent; for a row never sent, when it was
/// recorded, marked `*` (see [`NEVER_SENT_NOTE`]).
pub(super) fn listed_time(row: &ExportRow) -> String {
    match &row.sent_at {
        Some(sent) => sent.clone(),
        None => format!("{}*", row.created_at),
    }
}

/// The names of the production profiles in the settings, to mark their rows; none (and a
/// note saying why) when the settings cannot be read, which does not stop `history`.
fn production_profiles(global: &GlobalArgs, paths: &Paths) -> Vec<String> {
    match crate::config::load(global.config.as_deref(), paths) {
        Ok(config) => config
            .profiles
            .into_iter()
            .filter(|p| p.production)
            .map(|p| p.name)
            .collect(),
        Err(e) => {
            eprintln!(
                "note: production profiles are not marked: {}",
                safe_text(&e.to_string())
            );
            Vec::new()
        }
    }
}

pub(super) fn load(store: &dyn HistoryStore, id: i64) -> Result<Submission, ExitCode> {
    store.get(id).map_err(|e| {
        eprintln!(
            "error: {}; `kyc-console history` lists them",
            safe_text(&e.to_string())
        );
        ExitCode::from(EXIT_FAILED)
    })
}
