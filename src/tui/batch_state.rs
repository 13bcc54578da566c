//! The batch screen's state: the editor holding the pasted list, the preview, and the run
//! as it happens.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use tui_input::Input;

pub use super::batch_editor::{BatchDraft, clean_paste, new_editor};
pub use super::batch_trace::SendTrace;
use super::theme::Theme;
use crate::batch::{Check, Plan};
use crate::domain::OutcomeKind;
use crate::history::{BatchInfo, SubmissionId, UnfinishedBatch};

/// The rate-limit budget as last seen, for the ETA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests a window allows.
    pub limit: usize,
    /// Requests left in the current window.
    pub remaining: usize,
    /// Until the current window resets.
    pub reset_in: Duration,
    /// How long a window lasts.
    pub window: Duration,
}

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
    /// In a resume's preview: no settled outcome yet, so it will be sent (again, with its
    /// own idempotency key, which cannot start it twice).
    Resend {
        /// Whether it was sent before.
        dispatched: bool,
        /// The outcome it ended with, if any (one worth sending again).
        last: Option<OutcomeKind>,
        status: Option<u16>,
    },
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
    /// What was pasted or typed: a multi-line editor.
    pub editor: BatchDraft,
    pub error: Option<String>,
    /// Something to know that is not an error (e.g. ids moved here from the form).
    pub note: Option<String>,
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
    /// Paused by the operator (or while the quit question is open). Set through
    /// [`BatchScreen::set_paused`], which keeps paused time out of the rate and ETA.
    pub paused: bool,
    paused_since: Option<Instant>,
    paused_for: Duration,
    pub stopping: bool,
    /// Until when dispatch waits for the rate-limit window. Set through
    /// [`BatchScreen::set_waiting`], which keeps waits out of the sending rate.
    pub waiting_until: Option<Instant>,
    waiting_since: Option<Instant>,
    waited_for: Duration,
    /// The longest rate-limit reset seen in this run: about one window's length.
    pub window: Option<Duration>,
    pub unfinished: Vec<UnfinishedBatch>,
    /// The batch a resume would send: its rows are previewed, and Enter sends them.
    pub pending_resume: Option<String>,
    /// The run second by second, for the sparklines.
    pub trace: SendTrace,
    by_line: HashMap<u32, usize>,
}

impl BatchScreen {
    pub fn new(editor: BatchDraft) -> BatchScreen {
        BatchScreen {
            stage: Stage::Input,
            editor,
            error: None,
            note: None,
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
            paused_since: None,
            paused_for: Duration::ZERO,
            stopping: false,
            waiting_until: None,
            waiting_since: None,
            waited_for: Duration::ZERO,
            window: None,
            unfinished: Vec::new(),
            pending_resume: None,
            trace: SendTrace::default(),
            by_line: HashMap::new(),
        }
    }

    /// The editor's text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.editor.lock().lines().join("\n")
    }

    /// Whether the editor holds nothing but blanks.
    pub fn is_blank(&self) -> bool {
        self.editor
            .lock()
            .lines()
            .iter()
            .all(|l| l.trim().is_empty())
    }

    /// Lines that hold something.
    pub fn filled_lines(&self) -> usize {
        self.editor
            .lock()
            .lines()
            .iter()
            .filter(|l| !l.trim().is_empty())
            .count()
    }

    /// Adds a list at the end of the editor (on a line of its own), cursor after it.
    pub fn append(&mut self, text: &str) {
        let blank = self.is_blank();
        let editor = self.editor.get_mut();
        editor.move_cursor(ratatui_textarea::CursorMove::Bottom);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        if !blank {
            editor.insert_newline();
        }
        editor.insert_str(clean_paste(text));
    }

    /// Empties the editor (undo brings the text back).
    pub fn clear_text(&mut self) {
        let editor = self.editor.get_mut();
        editor.select_all();
        editor.cut();
    }

    /// Pauses or resumes, keeping count of the time spent paused.
    pub fn set_paused(&mut self, paused: bool, now: Instant) {
        if paused && !self.paused {
            self.paused_since = Some(now);
        } else if !paused && let Some(since) = self.paused_since.take() {
            self.paused_for = self
                .paused_for
                .saturating_add(now.saturating_duration_since(since));
        }
        self.paused = paused;
    }

    /// Dispatch waits for the rate-limit window until `until` (or no longer waits),
    /// keeping count of the time spent waiting.
    pub fn set_waiting(&mut self, until: Option<Instant>, now: Instant) {
        match (until, self.waiting_since) {
            (Some(_), None) => self.waiting_since = Some(now),
            (None, Some(since)) => {
                self.waited_for = self
                    .waited_for
                    .saturating_add(now.saturating_duration_since(since));
                self.waiting_since = None;
            }
            _ => {}
        }
        self.waiting_until = until;
    }

    /// Starts counting a run from `now`.
    pub fn start_clock(&mut self, now: Instant) {
        self.started = Some(now);
        self.trace = SendTrace::default();
        self.finished_at = None;
        self.paused_since = self.paused.then_some(now);
        self.paused_for = Duration::ZERO;
        self.waiting_until = None;
        self.waiting_since = None;
        self.waited_for = Duration::ZERO;
    }

    /// The second of the run `now` falls in (the last one once it ended).
    pub fn run_second(&self, now: Instant) -> u64 {
        self.started.map_or(0, |started| {
            self.finished_at
                .unwrap_or(now)
                .saturating_duration_since(started)
                .as_secs()
        })
    }

    /// Stops the clock at `now`.
    pub fn stop_clock(&mut self, now: Instant) {
        self.set_paused(false, now);
        self.set_waiting(None, now);
        self.finished_at = Some(now);
    }

    /// Time spent sending: [`BatchScreen::active`] less the waits for the rate-limit
    /// window, so the rate does not fall while nothing may be sent.
    pub fn sending_time(&self, now: Instant) -> Duration {
        let end = self.finished_at.unwrap_or(now);
        let waiting_now = self
            .waiting_since
            .filter(|_| !self.paused)
            .map_or(Duration::ZERO, |since| end.saturating_duration_since(since));
        self.active(now)
            .saturating_sub(self.waited_for)
            .saturating_sub(waiting_now)
    }

    /// Time spent sending so far: since the start, less the time paused.
    pub fn active(&self, now: Instant) -> Duration {
        let Some(started) = self.started else {
            return Duration::ZERO;
        };
        let end = self.finished_at.unwrap_or(now);
        let paused_now = self
            .paused_since
            .map_or(Duration::ZERO, |since| end.saturating_duration_since(since));
        end.saturating_duration_since(started)
            .saturating_sub(self.paused_for)
            .saturating_sub(paused_now)
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
        self.pending_resume = None;
        self.index();
    }

    /// Shows what resuming a recorded batch would send: every row, those without a
    /// settled outcome marked as to be sent.
    pub fn show_resume_preview(&mut self, info: &BatchInfo) {
        self.show_recorded(info);
        for (row, recorded) in self.rows.iter_mut().zip(&info.rows) {
            if recorded.outcome.is_none_or(OutcomeKind::retryable) {
                row.state = RowState::Resend {
                    dispatched: recorded.dispatched(),
                    last: recorded.outcome,
                    status: recorded.status,
                };
            }
        }
        self.pending_resume = Some(info.batch.id.clone());
        self.stage = Stage::Preview;
        self.scroll = 0;
        self.error = None;
    }

    /// Leaves a preview (or a finished run) for the editor, the text as it was.
    pub fn back_to_editor(&mut self) {
        self.stage = Stage::Input;
        self.pending_resume = None;
        self.plan = None;
        self.rows.clear();
        self.batch_id = None;
        self.scroll = 0;
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

    /// Rows of a finished run left without a settled outcome: (never sent, unknown).
    pub fn unsettled(&self) -> (usize, usize) {
        let unsent = self
            .rows
            .iter()
            .filter(|r| matches!(r.state, RowState::NotSent | RowState::Unknown))
            .count();
        let unknown = self
            .rows
            .iter()
            .filter(
                |r| matches!(r.state, RowState::Finished { outcome, .. } if outcome.retryable()),
            )
            .count();
        (unsent, unknown)
    }

    /// Whether resuming from the finished screen would find rows to send: rows of the run
    /// just shown without an outcome, or (with no run shown) an interrupted batch.
    pub fn can_resume_when_done(&self) -> bool {
        match self.batch_id {
            Some(_) => {
                let (unsent, unknown) = self.unsettled();
                unsent + unknown > 0
            }
            None => !self.unfinished.is_empty(),
        }
    }

    /// Rows finished per second of sending so far (paused time and rate-limit waits left
    /// out).
    pub fn rate(&self, now: Instant) -> f64 {
        let secs = self.sending_time(now).as_secs_f64();
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left: a known wait for the window, the further windows the rows left need
    /// when the limit is known, and the sending at the current rate; none while paused
    /// (nothing is being sent).
    pub fn eta(&self, now: Instant, budget: Option<Budget>) -> Option<Duration> {
        if self.paused {
            return None;
        }
        let rate = self.rate(now);
        let left = self.to_send.saturating_sub(self.done);
        if left == 0 {
            return None;
        }
        let send = |rows: usize| (rate > 0.0).then(|| Duration::from_secs_f64(rows as f64 / rate));
        let wait = self
            .waiting_until
            .map_or(Duration::ZERO, |u| u.saturating_duration_since(now));
        let Some(b) = budget.filter(|b| b.limit > 0) else {
            return send(left).map(|s| wait.saturating_add(s));
        };
        // Rows the current window still lets through (none while waiting for the next).
        let open = if self.waiting_until.is_some() {
            0
        } else {
            b.remaining
        };
        if left <= open {
            return send(left);
        }
        let after = left - open;
        let first = if self.waiting_until.is_some() {
            wait
        } else {
            b.reset_in
        };
        let windows = after.div_ceil(b.limit);
        let last_rows = after - (windows - 1) * b.limit;
        let further = b
            .window
            .saturating_mul(u32::try_from(windows - 1).unwrap_or(u32::MAX));
        let waits = first.saturating_add(further);
        Some(waits.saturating_add(send(last_rows).unwrap_or(Duration::ZERO)))
    }
}

impl Default for BatchScreen {
    fn default() -> Self {
        Self::new(new_editor(Theme::default()))
    }
}
