//! What comes back to the loop from effects, and what `update` asks the loop to do.

use super::state::{PendingSend, RouteId, TargetInfo};
use crate::api::{Attempt, Exchange};
use crate::batch::{BatchEvent, Control, Defaults, Plan, RunSummary};
use crate::domain::InitiateRequest;
use crate::history::export::ExportFormat;
use crate::history::stats::HistoryStats;
use crate::history::{
    BatchInfo, Earlier, HistoryFilter, HistoryRow, Submission, SubmissionId, UnfinishedBatch,
};
use crate::send::{Consent, Question};

/// Results of effects, delivered to `update` by the loop.
#[derive(Debug, Clone)]
pub enum Msg {
    /// The store recorded a new submission; sending starts now.
    Created {
        id: SubmissionId,
        user_id: String,
        idempotency_key: String,
    },
    /// The store could not record a submission: nothing was sent.
    CreateFailed {
        idempotency_key: String,
        error: String,
    },
    AttemptStarted {
        id: SubmissionId,
        number: u32,
    },
    AttemptFinished {
        id: SubmissionId,
        attempt: Box<Attempt>,
    },
    Finished {
        id: SubmissionId,
        exchange: Box<Exchange>,
    },
    HistoryLoaded {
        generation: u64,
        total: usize,
        /// `total` is where counting stopped: more rows pass.
        more: bool,
        offset: usize,
        rows: Vec<HistoryRow>,
    },
    DetailLoaded(Box<Submission>),
    /// The figures asked for with `generation`.
    StatsLoaded {
        filter: HistoryFilter,
        generation: u64,
        stats: Result<Box<HistoryStats>, String>,
    },
    StoreFailed(String),
    Copied {
        what: &'static str,
    },
    Exported {
        rows: usize,
        path: String,
    },
    ClearToast(u64),
    BatchUnfinished(Vec<UnfinishedBatch>),
    BatchPlanned {
        source: String,
        result: Result<Plan, String>,
    },
    /// The batch and its rows are recorded; sending starts.
    BatchRecorded {
        batch_id: String,
        /// Rows another submission held when the batch was recorded: not sent here.
        skipped: Vec<(u32, Earlier)>,
    },
    /// The send path asks before going on: the operator answers, and the send is made
    /// again with that answer.
    Asked {
        send: PendingSend,
        consent: Consent,
        question: Question,
    },
    /// A recorded batch was loaded to resume.
    BatchResumed(Box<BatchInfo>),
    /// A recorded batch was loaded to preview what resuming it would send.
    BatchResumeLoaded(Box<BatchInfo>),
    Batch(BatchEvent),
    BatchFinished(RunSummary),
    BatchFailed(String),
    /// A profile was opened as `route`: send there from now on.
    ProfileSwitched {
        info: TargetInfo,
        route: RouteId,
    },
    ProfileFailed {
        name: String,
        error: String,
    },
    Tick,
}

/// Work `update` asks for; the loop runs it and reports back with a [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Submit {
        request: InitiateRequest,
        resend_of: Option<SubmissionId>,
        route: RouteId,
        consent: Consent,
    },
    /// Send a recorded submission again with its own idempotency key.
    Retry {
        id: SubmissionId,
        user_id: String,
        idempotency_key: String,
        route: RouteId,
        consent: Consent,
    },
    /// Cancel the submission sent with this idempotency key.
    Cancel(String),
    LoadHistory {
        filter: HistoryFilter,
        offset: usize,
        limit: usize,
        /// Count no further than this (`usize::MAX` for every row).
        count_cap: usize,
        generation: u64,
    },
    LoadDetail(SubmissionId),
    /// Read the figures over the rows `filter` passes.
    LoadStats {
        filter: HistoryFilter,
        generation: u64,
    },
    Copy {
        what: &'static str,
        text: String,
    },
    Export {
        filter: HistoryFilter,
        format: ExportFormat,
    },
    ClearToastAfter(u64),
    SwitchProfile(String),
    BatchLoadUnfinished {
        profile: String,
    },
    BatchPlan {
        text: String,
        defaults: Defaults,
        route: RouteId,
    },
    BatchStart {
        plan: Plan,
        source: String,
        route: RouteId,
    },
    BatchResume {
        batch_id: String,
        route: RouteId,
    },
    /// Load a recorded batch to preview what resuming it would send.
    BatchLoadResume {
        batch_id: String,
    },
    BatchControl(Control),
}
