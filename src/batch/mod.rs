//! Many verifications from a list: read, preview, record every row (with its idempotency
//! key) before anything is sent, send paced, resume after any interruption, report.

/// Reading a CSV or a plain list.
mod input;
/// The preview, row by row.
mod plan;
/// The result file.
mod results;
/// Sending a recorded batch, paced.
mod runner;

use chrono::Utc;

pub use input::{InputError, InputRow, read_input};
pub use plan::{Check, Defaults, Plan, PlannedRow, plan};
pub use results::{ResultLine, result_lines, write_results};
pub use runner::{BatchEvent, Control, Job, RunSummary, run};

use crate::api::ApiClient;
use crate::history::{BatchInfo, HistoryError, HistoryStore, NewBatch};
use crate::submit::{self, Origin};

/// Concurrent requests unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Records the batch and every valid row (each with its own idempotency key) in one
/// transaction; returns the batch id and the rows to send, in input order.
pub fn record(
    store: &dyn HistoryStore,
    client: &ApiClient,
    origin: &Origin,
    plan: &Plan,
    source: &str,
) -> Result<(String, Vec<Job>), HistoryError> {
    let batch = NewBatch {
        id: format!("b-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        created_at: Utc::now(),
        operator: origin.operator.clone(),
        profile: origin.profile.clone(),
        source: source.to_string(),
    };
    let rows: Vec<_> = plan
        .to_send()
        .filter_map(|row| {
            let request = row.request.as_ref()?;
            let mut new = submit::prepare(client, origin, request, None, Some(batch.id.clone()));
            new.batch_line = Some(row.line);
            Some(new)
        })
        .collect();
    let ids = store.create_batch(&batch, &rows)?;
    let jobs = ids
        .into_iter()
        .zip(rows.iter())
        .map(|(id, row)| Job {
            id,
            line: row.batch_line.unwrap_or(0),
        })
        .collect();
    Ok((batch.id, jobs))
}

/// The rows of a recorded batch that have no outcome yet: never sent, or interrupted.
/// Sending them again with their own keys cannot initiate any of them twice.
pub fn unfinished_jobs(info: &BatchInfo) -> Vec<Job> {
    info.unfinished()
        .map(|r| Job {
            id: r.id,
            line: r.batch_line.unwrap_or(0),
        })
        .collect()
}
