//! `history`, `show`, `replay` and `retry`: the stored submissions, for scripts and tickets.

use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::{
    EXIT_FAILED, EXIT_INVALID, cancel_on_ctrl_c, describe_exchange, describe_submission, emit,
    exchange_json, exit_for, open_for_sending, progress_printer, submission_json,
};
use crate::api::to_curl;
use crate::cli::{GlobalArgs, HistoryArgs, IdArgs, ShowArgs};
use crate::domain::{OutcomeKind, UserId};
use crate::history::export::{EXPORT_COLUMNS, ExportRow};
use crate::history::{HistoryFilter, HistoryStore, SqliteStore, Submission};
use crate::paths::Paths;
use crate::present::format_duration;
use crate::session::Session;
use crate::submit;

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

fn open_store(paths: &Paths) -> Result<SqliteStore, ExitCode> {
    SqliteStore::open_in(&paths.data_dir).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_FAILED)
    })
}

/// `kyc-console history`.
pub fn history(paths: &Paths, args: &HistoryArgs) -> ExitCode {
    let since = match args.since.as_deref().map(parse_since).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let user_id = match args.user_id.as_deref().map(UserId::parse).transpose() {
        Ok(u) => u.map(|(id, _)| id.to_string()),
        Err(e) => {
            eprintln!("error: --user-id: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let store = match open_store(paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let filter = HistoryFilter {
        errors_only: args.errors,
        since,
        status: args.status,
        user_id,
        ..HistoryFilter::default()
    };
    let rows = match store.window(&filter, 0, args.limit) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let rows: Vec<ExportRow> = rows.into_iter().map(ExportRow::from).collect();
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
        let mut out = format!(
            "{:>6}  {:<24}  {:<10}  {:<40}  {:<8}  {:>3}  {:<14}  {:>8}  {}\n",
            "id",
            "time (UTC)",
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
            let reference = r
                .verification_id
                .clone()
                .or_else(|| r.request_id.clone())
                .unwrap_or_default();
            out.push_str(&format!(
                "{:>6}  {:<24}  {:<10}  {:<40}  {:<8}  {:>3}  {:<14}  {:>8}  {}\n",
                r.id,
                r.created_at,
                r.profile,
                r.user_id,
                r.kyc_type,
                r.status.map_or("—".to_string(), |s| s.to_string()),
                r.outcome,
                took,
                reference
            ));
        }
        emit(&out);
    }
    ExitCode::SUCCESS
}

fn load(store: &SqliteStore, id: i64) -> Result<Submission, ExitCode> {
    store.get(id).map_err(|e| {
        eprintln!("error: {e}; `kyc-console history` lists them");
        ExitCode::from(EXIT_FAILED)
    })
}

/// `kyc-console show ID`.
pub fn show(paths: &Paths, args: &ShowArgs) -> ExitCode {
    let store = match open_store(paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let submission = match load(&store, args.id) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.curl {
        emit(&format!("{}\n", to_curl(&submission.new.request)));
    } else if args.json {
        emit(&format!("{:#}\n", submission_json(&submission)));
    } else {
        emit(&describe_submission(&submission));
    }
    ExitCode::SUCCESS
}

/// `kyc-console replay ID`: the stored request as a new submission, beside the original.
pub async fn replay(global: &GlobalArgs, paths: &Paths, args: &IdArgs) -> ExitCode {
    let session = match open_for_sending(global, paths, args.yes).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let code = replay_in(&session, args).await;
    session.close().await;
    code
}

async fn replay_in(session: &Session, args: &IdArgs) -> ExitCode {
    let original = match load(&session.store, args.id) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let request = match original.request() {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: submission #{} cannot be rebuilt ({e}); nothing was sent",
                original.id
            );
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let cancel = cancel_on_ctrl_c();
    let new = submit::prepare(
        &session.client,
        &session.origin,
        &request,
        Some(original.id),
        None,
    );
    let sent = submit::send_new(
        &session.client,
        session.store.clone(),
        new,
        &cancel,
        progress_printer(!args.json),
    )
    .await;
    let (id, exchange) = match sent {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let before = original.exchange();
    if args.json {
        let mut new = exchange_json(&exchange, &session.origin.profile, &[]);
        new["submission_id"] = json!(id);
        emit(&format!(
            "{:#}\n",
            json!({"original": submission_json(&original), "replay": new})
        ));
    } else {
        let line = |label: &str, id: i64, outcome: Option<OutcomeKind>, title: String| {
            format!(
                "{label:<9} #{id:<6} {:<14} {title}\n",
                outcome.map_or("no outcome", OutcomeKind::label)
            )
        };
        emit(&line(
            "original",
            original.id,
            original.outcome,
            before.explanation().title,
        ));
        emit(&line(
            "replay",
            id,
            Some(exchange.outcome()),
            exchange.explanation().title,
        ));
        emit("\n");
        emit(&describe_exchange(&exchange));
    }
    ExitCode::from(exit_for(&exchange))
}

/// `kyc-console retry ID`: the same request with its own key, to learn an unknown outcome.
pub async fn retry(global: &GlobalArgs, paths: &Paths, args: &IdArgs) -> ExitCode {
    let session = match open_for_sending(global, paths, args.yes).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let cancel = cancel_on_ctrl_c();
    let sent = submit::send_again(
        &session.client,
        session.store.clone(),
        args.id,
        &cancel,
        progress_printer(!args.json),
    )
    .await;
    let code = match sent {
        Ok(exchange) => {
            if args.json {
                let mut out = exchange_json(&exchange, &session.origin.profile, &[]);
                out["submission_id"] = json!(args.id);
                emit(&format!("{out:#}\n"));
            } else {
                emit(&describe_exchange(&exchange));
            }
            exit_for(&exchange)
        }
        Err(e) => {
            eprintln!("error: {e}\nnothing was sent");
            EXIT_FAILED
        }
    };
    session.close().await;
    ExitCode::from(code)
}
