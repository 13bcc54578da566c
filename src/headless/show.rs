//! `kyc-console show ID`: one stored submission, found by whatever identifier the operator
//! has at hand: its number, a request id, a verification id, an idempotency key, or a user
//! id (which may name several, listed so one can be picked).

use std::process::ExitCode;

use serde_json::json;

use super::history::{NEVER_SENT_NOTE, listed_time, open_store};
use super::{
    EXIT_FAILED, EXIT_INVALID, describe_submission, emit, emit_text, hints, submission_json,
};
use crate::api::to_curl;
use crate::cli::{GlobalArgs, ShowArgs};
use crate::domain::{UserId, safe_text};
use crate::history::export::ExportRow;
use crate::history::{HistoryError, HistoryRow, HistoryStore, Submission};
use crate::paths::Paths;

/// The longest identifier worth looking up (ids and keys are far shorter).
const MAX_IDENTIFIER: usize = 256;

/// What `show` searches, for messages.
const SEARCHED: &str = "request id, verification id, idempotency key or user id";

/// What the identifier named.
enum Found {
    One(Box<Submission>),
    Many(Vec<HistoryRow>),
    Nothing(String),
}

/// `kyc-console show ID`.
pub fn show(global: &GlobalArgs, paths: &Paths, args: &ShowArgs) -> ExitCode {
    let identifier = args.id.trim();
    if let Err(why) = well_formed(identifier) {
        eprintln!("error: show {}: {why}", safe_text(&args.id));
        return ExitCode::from(EXIT_INVALID);
    }
    let store = match open_store(global, paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let found = match look_up(store.as_ref(), identifier) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {}", safe_text(&e.to_string()));
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let submission = match found {
        Found::One(submission) => submission,
        Found::Nothing(searched) => {
            eprintln!(
                "error: {}; `{}` lists them",
                safe_text(&searched),
                hints::history_command(global, "history")
            );
            return ExitCode::from(EXIT_FAILED);
        }
        Found::Many(rows) => return several(global, args, identifier, &rows),
    };
    if args.curl {
        emit_text(&format!("{}\n", to_curl(&submission.new.request)));
    } else if args.json {
        emit(&format!("{:#}\n", submission_json(&submission)));
    } else {
        let retry = hints::history_command(global, &format!("retry {}", submission.id));
        emit_text(&describe_submission(&submission, &retry));
    }
    ExitCode::SUCCESS
}

/// Why `identifier` cannot name anything: empty, too long, or holding blanks or control
/// characters (which no number, id or key has).
fn well_formed(identifier: &str) -> Result<(), String> {
    if identifier.is_empty() {
        return Err(format!("give a submission's number, or its {SEARCHED}"));
    }
    if identifier.len() > MAX_IDENTIFIER {
        return Err(format!(
            "{} bytes is longer than any number, {SEARCHED} ({MAX_IDENTIFIER} at most)",
            identifier.len()
        ));
    }
    if identifier
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "not a number, {SEARCHED}: it holds blanks or control characters"
        ));
    }
    Ok(())
}

/// The submission a number names, else the ones an exact identifier names. A user id is
/// looked up as the form would write it (lower case).
fn look_up(store: &dyn HistoryStore, identifier: &str) -> Result<Found, HistoryError> {
    let number = identifier.parse::<i64>().ok();
    if let Some(n) = number {
        match store.get(n) {
            Ok(submission) => return Ok(Found::One(Box::new(submission))),
            Err(HistoryError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let canonical = UserId::parse(identifier)
        .map(|(id, _)| id.to_string())
        .unwrap_or_else(|_| identifier.to_string());
    let rows = store.find(&canonical)?;
    match rows.as_slice() {
        [] => Ok(Found::Nothing(match number {
            Some(n) => format!("no submission {n} in history, and no {SEARCHED} {identifier}"),
            None => format!("no submission in history has the {SEARCHED} {identifier}"),
        })),
        [one] => store.get(one.id).map(|s| Found::One(Box::new(s))),
        _ => Ok(Found::Many(rows)),
    }
}

/// Several submissions match (a user id): each with its number, time, type, outcome and
/// the command that shows it, newest first.
fn several(
    global: &GlobalArgs,
    args: &ShowArgs,
    identifier: &str,
    rows: &[HistoryRow],
) -> ExitCode {
    let flag = if args.json {
        " --json"
    } else if args.curl {
        " --curl"
    } else {
        ""
    };
    let command = |id: i64| hints::history_command(global, &format!("show {id}{flag}"));
    if args.json {
        let matches: Vec<_> = rows
            .iter()
            .map(|r| {
                let row = ExportRow::from(r.clone());
                json!({
                    "id": row.id,
                    "created_at": row.created_at,
                    "sent_at": row.sent_at,
                    "profile": row.profile,
                    "user_id": row.user_id,
                    "type": row.kyc_type,
                    "status": row.status,
                    "outcome": row.outcome,
                    "verification_id": row.verification_id,
                    "command": command(row.id),
                })
            })
            .collect();
        emit(&format!("{:#}\n", json!({ "matches": matches })));
        return ExitCode::SUCCESS;
    }
    let mut out = format!(
        "{} submissions match {}, newest first:\n",
        rows.len(),
        safe_text(identifier)
    );
    for r in rows {
        let row = ExportRow::from(r.clone());
        out.push_str(&format!(
            "{:>6}  {:<25}  {:<10}  {:<8}  {:<14}  {}\n",
            format!("#{}", row.id),
            listed_time(&row),
            safe_text(&row.profile),
            row.kyc_type,
            row.outcome,
            command(row.id)
        ));
    }
    let note = || {
        if rows.iter().any(|r| !r.dispatched()) {
            eprintln!("{NEVER_SENT_NOTE}");
        }
    };
    if args.curl {
        // A curl command is one request: say which ones there are, and print none.
        eprint!("{out}");
        note();
        eprintln!("error: name one of them to print its curl command");
        return ExitCode::from(EXIT_INVALID);
    }
    emit_text(&out);
    note();
    ExitCode::SUCCESS
}
