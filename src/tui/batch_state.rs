//! The batch screen's state: what was pasted, the preview, and the run as it happens.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use tui_input::Input;

use crate::batch::{Check, Plan};
use crate::domain::OutcomeKind;
use crate::history::{BatchInfo, SubmissionId, UnfinishedBatch};

/// Where the batch screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Pasting ids or a CSV, or typing a file path.
    Input,
    /// Reading and checking the rows.
    Planning,
    /// Every row with its check; nothing sent yet.
    Preview,
    /// Production: typing the profile's name to confirm.
    Confirm,
    /// Recording rows or sending them.
    Running,
    /// Every row has an outcome, or the operator stopped.
    Done,
}

/// What a row of the batch screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowState {
    Check(Check),
    /// Recorded, waiting its turn.
    Queued,
    Sending,
    Finished {
        outcome: OutcomeKind,
        status: Option<u16>,
    },
    NotSent,
    /// No outcome recorded (e.g. before a resume).
    Unknown,
    Failed(String),
}

/// One line of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub line: u32,
    pub user_id: String,
    pub kyc_type: String,
    pub state: RowState,
    pub submission: Option<SubmissionId>,
}

/// The batch screen.
#[derive(Debug, Clone)]
pub struct BatchScreen {
    pub stage: Stage,
    /// What was pasted or typed.
    pub text: String,
    pub error: Option<String>,
    pub source: String,
    pub plan: Option<Plan>,
    pub rows: Vec<BatchRow>,
    pub scroll: usize,
    pub confirm: Input,
    pub batch_id: Option<String>,
    pub to_send: usize,
    pub done: usize,
    pub counts: BTreeMap<OutcomeKind, usize>,
    pub started: Option<Instant>,
    pub finished_at: Option<Instant>,
    pub paused: bool,
    pub stopping: bool,
    pub waiting_until: Option<Instant>,
    pub unfinished: Vec<UnfinishedBatch>,
    /// A batch to resume once confirmed.
    pub pending_resume: Option<String>,
    by_line: HashMap<u32, usize>,
}

impl BatchScreen {
    pub fn new() -> BatchScreen {
        BatchScreen {
            stage: Stage::Input,
            text: String::new(),
            error: None,
            source: String::new(),
            plan: None,
            rows: Vec::new(),
            scroll: 0,
            confirm: Input::default(),
            batch_id: None,
            to_send: 0,
            done: 0,
            counts: BTreeMap::new(),
            started: None,
            finished_at: None,
            paused: false,
            stopping: false,
            waiting_until: None,
            unfinished: Vec::new(),
            pending_resume: None,
            by_line: HashMap::new(),
        }
    }

    /// Shows a plan as the preview.
    pub fn show_plan(&mut self, source: String, plan: Plan) {
        self.rows = plan
            .rows
            .iter()
            .map(|r| BatchRow {
                line: r.line,
                user_id: r
                    .request
                    .as_ref()
                    .map_or_else(|| r.written.clone(), |q| q.user_id.to_string()),
                kyc_type: r
                    .request
                    .as_ref()
                    .map_or_else(String::new, |q| q.kyc_type.as_str().to_string()),
                state: RowState::Check(r.check.clone()),
                submission: match r.check {
                    Check::AlreadyInitiated { submission } | Check::Held { submission, .. } => {
                        Some(submission)
                    }
                    _ => None,
                },
            })
            .collect();
        // Rows that will not be sent come first: they are what the operator must read.
        self.rows
            .sort_by_key(|r| (r.state == RowState::Check(Check::Valid), r.line));
        self.to_send = plan.counts().valid;
        self.plan = Some(plan);
        self.source = source;
        self.stage = Stage::Preview;
        self.scroll = 0;
        self.error = None;
        self.index();
    }

    /// Shows a recorded batch being resumed.
    pub fn show_recorded(&mut self, info: &BatchInfo) {
        self.rows = info
            .rows
            .iter()
            .map(|r| BatchRow {
                line: r.batch_line.unwrap_or(0),
                user_id: r.user_id.clone(),
                kyc_type: r.kyc_type.as_str().to_string(),
                state: match (r.outcome, r.dispatched()) {
                    (Some(outcome), _) => RowState::Finished {
                        outcome,
                        status: r.status,
                    },
                    (None, true) => RowState::Unknown,
                    (None, false) => RowState::Queued,
                },
                submission: Some(r.id),
            })
            .collect();
        self.batch_id = Some(info.batch.id.clone());
        self.source = info.batch.source.clone();
        self.to_send = info.unfinished().count();
        self.plan = None;
        self.index();
    }

    fn index(&mut self) {
        self.by_line = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.line, i))
            .collect();
    }

    /// The row for an input line.
    pub fn row_mut(&mut self, line: u32) -> Option<&mut BatchRow> {
        let i = *self.by_line.get(&line)?;
        self.rows.get_mut(i)
    }

    /// Rows finished per second so far.
    pub fn rate(&self, now: Instant) -> f64 {
        let Some(started) = self.started else {
            return 0.0;
        };
        let end = self.finished_at.unwrap_or(now);
        let secs = end.saturating_duration_since(started).as_secs_f64();
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left at the current rate.
    pub fn eta(&self, now: Instant) -> Option<Duration> {
        let rate = self.rate(now);
        let left = self.to_send.saturating_sub(self.done);
        (rate > 0.0 && left > 0).then(|| Duration::from_secs_f64(left as f64 / rate))
    }
}

impl Default for BatchScreen {
    fn default() -> Self {
        Self::new()
    }
}
