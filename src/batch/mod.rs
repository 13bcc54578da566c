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
pub use plan::{Check, Defaults, Plan, PlanCounts, PlannedRow, plan};
pub use results::{ResultLine, result_lines, write_results};
pub use runner::{BatchEvent, Control, Job, RunSummary, run};

use crate::history::{BatchInfo, Earlier, HistoryError, HistoryStore, NewBatch};
use crate::send::Destination;

/// Concurrent requests unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// A batch as recorded: its id, the rows claimed (to send, in input order), and the rows
/// another submission held when the batch was recorded (not recorded, never sent here).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub batch_id: String,
    pub jobs: Vec<Job>,
    pub skipped: Vec<(u32, Earlier)>,
}

/// Records the batch and claims every valid row (each with its own idempotency key) in
/// one transaction. A row whose user and type another submission holds on this target
/// (in flight, unknown, initiated, or in another unfinished batch, maybe recorded by
/// another process since the preview) is skipped, not recorded.
pub fn record(
    store: &dyn HistoryStore,
    to: &Destination,
    plan: &Plan,
    source: &str,
) -> Result<Recorded, HistoryError> {
    let batch = NewBatch {
        id: format!("b-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        created_at: Utc::now(),
        operator: to.operator.clone(),
        profile: to.profile.clone(),
        source: source.to_string(),
    };
    let rows: Vec<_> = plan
        .to_send()
        .filter_map(|row| {
            let request = row.request.as_ref()?;
            Some(to.new_submission(request, None, Some((batch.id.clone(), row.line))))
        })
        .collect();
    let claims = store.create_batch(&batch, &rows)?;
    let mut jobs = Vec::with_capacity(rows.len());
    let mut skipped = Vec::new();
    for (claim, row) in claims.into_iter().zip(rows.iter()) {
        let line = row.batch_line.unwrap_or(0);
        match claim {
            Ok(id) => jobs.push(Job { id, line }),
            Err(earlier) => skipped.push((line, earlier)),
        }
    }
    Ok(Recorded {
        batch_id: batch.id,
        jobs,
        skipped,
    })
}

/// The rows of a recorded batch whose outcome is not settled (see
/// [`BatchInfo::unfinished`]), to send again, each with its own key.
pub fn unfinished_jobs(info: &BatchInfo) -> Vec<Job> {
    info.unfinished()
        .map(|r| Job {
            id: r.id,
            line: r.batch_line.unwrap_or(0),
        })
        .collect()
}
