//! `history import FILE`: copying a local history file into the history the settings use
//! (a team's database, most often), oldest first, a part at a time, so a large file is
//! never read whole. Submissions already there (by idempotency key) are left as they are,
//! so running it again (or on the history itself) adds nothing. A resend keeps its link
//! to the submission it resends when both are copied in the same part.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;

use super::history::open_store;
use super::{EXIT_FAILED, EXIT_INVALID};
use crate::cli::GlobalArgs;
use crate::domain::safe_text;
use crate::history::{
    HistoryError, HistoryFilter, HistoryStore, NewBatch, SqliteStore, Submission,
};
use crate::paths::Paths;

/// Submissions read and copied at a time.
const PART: usize = 1_000;

pub fn import(global: &GlobalArgs, paths: &Paths, file: &Path) -> ExitCode {
    let shown = file.display().to_string();
    let shown = safe_text(&shown);
    if !file.is_file() {
        eprintln!("error: {shown}: no such history file (give the path of a history.sqlite3)");
        return ExitCode::from(EXIT_INVALID);
    }
    let source = match SqliteStore::open(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {shown}: {}", safe_text(&e.to_string()));
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let target = match open_store(global, paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match copy(&source, target.as_ref()) {
        Ok((read, added)) => {
            eprintln!(
                "copied {added} of {read} submission(s) from {shown}; {} were there already",
                read - added
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", safe_text(&e));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Copies every submission of `source`, oldest first; returns how many were read and how
/// many added.
fn copy(source: &SqliteStore, target: &dyn HistoryStore) -> Result<(usize, usize), String> {
    let all = HistoryFilter::default();
    let total = source.count(&all).map_err(|e| e.to_string())?;
    let (mut remaining, mut added) = (total, 0);
    let mut batches_copied: HashSet<String> = HashSet::new();
    while remaining > 0 {
        let n = remaining.min(PART);
        // The window is newest first: at this offset it holds the oldest rows not copied.
        let rows = source
            .window(&all, remaining - n, n)
            .map_err(|e| e.to_string())?;
        let part: Vec<Submission> = rows
            .iter()
            .rev()
            .map(|row| source.get(row.id))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        // The batches these rows belong to go first (a batch row names its batch).
        let mut batches = Vec::new();
        for s in &part {
            let Some(id) = &s.new.batch_id else { continue };
            if !batches_copied.insert(id.clone()) {
                continue;
            }
            batches.push(match source.batch(id) {
                Ok(info) => info.batch,
                // A row naming a batch the file lacks: the batch as the row knows it.
                Err(HistoryError::NoBatch(_)) => NewBatch {
                    id: id.clone(),
                    created_at: s.new.created_at,
                    operator: s.new.operator.clone(),
                    profile: s.new.profile.clone(),
                    source: "imported".to_string(),
                },
                Err(e) => return Err(e.to_string()),
            });
        }
        added += target
            .import(&batches, &part)
            .map_err(|e| format!("copying into the history failed: {e}"))?;
        remaining -= n;
    }
    Ok((total, added))
}
