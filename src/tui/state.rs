//! Everything the console shows, in one place. Rendering reads it; only `update` changes it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tui_input::Input;

use crate::api::{Attempt, Exchange, RateLimit};
use crate::domain::{FormField, InitiateRequest};
use crate::history::{Earlier, HistoryFilter, HistoryRow, Submission, SubmissionId};
use crate::send::Consent;

use super::action::Action;
use super::batch_state::{BatchDraft, BatchScreen, RowState, Stage};
use super::counts::SessionCounts;
use super::keymap::Mode;
use super::stats_state::StatsView;
use super::theme::Theme;
use crate::target::Opened;

/// Which opened target requests go to. The console's effects keep every target opened
/// this session under its id; the state alone says which one is in use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RouteId(pub u64);

/// Which part of the main screen has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    UserId,
    KycType,
    RedirectUri,
    Submit,
    History,
}

impl Focus {
    /// Tab order.
    pub const ORDER: [Focus; 5] = [
        Focus::UserId,
        Focus::KycType,
        Focus::RedirectUri,
        Focus::Submit,
        Focus::History,
    ];

    pub fn of_field(field: FormField) -> Focus {
        match field {
            FormField::UserId => Focus::UserId,
            FormField::KycType => Focus::KycType,
            FormField::RedirectUri => Focus::RedirectUri,
        }
    }
}

/// Where requests go, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    pub profile: String,
    pub base_url: String,
    /// Method and full URL of the endpoint, e.g. `POST https://…/v1/kycs`.
    pub endpoint: String,
    pub production: bool,
    pub operator: String,
    /// The client's retry limit, for "retry 2/3".
    pub max_retries: u32,
}

impl TargetInfo {
    /// What the header shows for an opened profile.
    pub fn from_opened(opened: &Opened, operator: &str) -> TargetInfo {
        TargetInfo {
            profile: opened.profile.name.clone(),
            base_url: opened.target.base_url.to_string(),
            endpoint: format!("{} {}", opened.target.method, opened.target.endpoint()),
            production: opened.profile.production,
            operator: operator.to_string(),
            max_retries: opened.profile.retry.max_retries,
        }
    }
}

/// A profile as the picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChoice {
    pub name: String,
    /// `POST https://…/kycs` or `embedded sandbox`.
    pub target: String,
    pub production: bool,
}

/// Files the help overlay and the profile picker point to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathsInfo {
    /// The settings file this console reads (`--config`, `KYC_CONSOLE_CONFIG`, or the
    /// usual place).
    pub config: String,
    /// Whether that file existed when the console started.
    pub config_exists: bool,
    pub data: String,
    pub log: String,
}

pub use super::form_state::{Form, PastedList, RedirectCheck, UserIdCheck};

/// A submission in flight, with what the client has reported so far.
#[derive(Debug, Clone)]
pub struct Live {
    pub id: SubmissionId,
    pub user_id: String,
    /// Its idempotency key, by which it is cancelled.
    pub idempotency_key: String,
    pub started: Instant,
    /// The attempt being sent now.
    pub attempt: u32,
    pub last: Option<Attempt>,
    /// When the current wait for a retry ends.
    pub retry_at: Option<Instant>,
    pub cancelling: bool,
    /// Where it was sent (the route when it was recorded).
    pub route: RouteId,
}

/// The rate-limit budget the newest response carried, and when it came: the header counts
/// its reset down from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenRate {
    pub rate: RateLimit,
    /// When the response was taken in, by the state's clock.
    pub at: Instant,
}

impl SeenRate {
    /// Whole seconds (rounded up) until the window resets as of `now`: the reset the
    /// server gave, less the time since it gave it; 0 once that has passed.
    pub fn reset_in(&self, now: Instant) -> Option<u64> {
        let said = Duration::from_secs(self.rate.reset_secs?);
        let since = now.saturating_duration_since(self.at);
        Some(crate::api::ceil_secs(said.saturating_sub(since)))
    }
}

/// The outcome of the newest submission, shown under the form.
#[derive(Debug, Clone)]
pub enum LastResult {
    Sending {
        user_id: String,
    },
    Done {
        user_id: String,
        exchange: Box<Exchange>,
    },
}

/// The rows of history currently loaded: a window, never all of them.
#[derive(Debug, Clone, Default)]
pub struct HistoryPane {
    pub filter: HistoryFilter,
    pub filter_input: Input,
    pub editing_filter: bool,
    /// Rows passing the filter in the store, or as many as were counted (see `more`).
    pub total: usize,
    /// Counting stopped at `total`: more rows pass (a search matching much of history).
    pub more: bool,
    /// Count every match (the oldest was asked for), until the filter changes.
    pub count_all: bool,
    /// Waiting for that count, to show the oldest rows when it comes.
    pub jumping_to_oldest: bool,
    /// Index (in the filtered list) of `rows[0]`.
    pub offset: usize,
    pub rows: Vec<HistoryRow>,
    /// Selected index in the filtered list.
    pub selected: usize,
    /// First index shown in the pane.
    pub scroll: usize,
    /// Bumped with every load request, so stale answers are ignored.
    pub generation: u64,
    pub loaded: bool,
}

impl HistoryPane {
    /// The selected row, if it is loaded.
    pub fn selected_row(&self) -> Option<&HistoryRow> {
        self.selected
            .checked_sub(self.offset)
            .and_then(|i| self.rows.get(i))
    }

    /// The row at a filtered index, if loaded.
    pub fn row_at(&self, index: usize) -> Option<&HistoryRow> {
        index
            .checked_sub(self.offset)
            .and_then(|i| self.rows.get(i))
    }
}

/// The detail overlay's content.
#[derive(Debug, Clone)]
pub struct Detail {
    pub submission: Box<Submission>,
    pub scroll: u16,
    /// Set after `r`: the new submission's user id and the fact it got a new key.
    pub resent: bool,
}

/// A send waiting for the operator's answer to a question.
#[derive(Debug, Clone, PartialEq)]
pub enum PendingSend {
    /// A new submission.
    New {
        request: InitiateRequest,
        resend_of: Option<SubmissionId>,
    },
    /// A recorded one, again with its own key.
    Again {
        id: SubmissionId,
        user_id: String,
        idempotency_key: String,
    },
}

/// A question that must be answered before anything else happens.
#[derive(Debug, Clone)]
pub enum Confirm {
    /// Send this to production?
    Production(PendingSend),
    /// Start another verification although an earlier submission holds the user and type?
    Duplicate {
        send: PendingSend,
        consent: Consent,
        earlier: Box<Earlier>,
    },
    /// Quit while submissions are in flight or batch rows queued? A running batch is
    /// paused while this is asked, and resumed on no.
    Quit {
        in_flight: usize,
        queued: usize,
        resume_batch: bool,
    },
    /// Cancel this submission? Its outcome becomes unknown.
    Cancel {
        idempotency_key: String,
        user_id: String,
    },
}

/// What covers the main screen.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// Every key, those of the screen it was opened from (`from`) first.
    Help {
        scroll: u16,
        from: Mode,
    },
    Detail(Detail),
    /// The figures over the rows the history pane's filter passes.
    Stats(StatsView),
    /// Waiting for the store to load a submission.
    LoadingDetail(SubmissionId),
    /// Choosing the profile to send to.
    Profiles {
        selected: usize,
    },
    Confirm(Confirm),
}

/// A short message in the footer, e.g. "copied".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub text: String,
    pub error: bool,
}

/// The console's whole state.
#[derive(Debug, Clone)]
pub struct State {
    pub theme: Theme,
    /// Where requests go, as shown.
    pub target: TargetInfo,
    /// Where requests go, as effects find it.
    pub route: RouteId,
    /// Every profile the settings define, for the picker.
    pub profiles: Vec<ProfileChoice>,
    /// A profile switch asked for and not yet done.
    pub switching: Option<String>,
    /// The batch screen, while open (or while its batch runs).
    pub batch: Option<BatchScreen>,
    /// The batch editor's text, kept when the batch screen is closed before a preview
    /// was sent; it comes back when the screen opens again.
    pub batch_draft: Option<Box<BatchDraft>>,
    pub paths: PathsInfo,
    pub form: Form,
    pub focus: Focus,
    pub history: HistoryPane,
    pub live: BTreeMap<SubmissionId, Live>,
    /// Submissions asked for but not yet recorded in the store, and the route of the last.
    pub starting: usize,
    pub starting_route: RouteId,
    pub last_result: Option<LastResult>,
    /// The webview link of the newest success, which Ctrl-Y copies from the form.
    pub last_link: Option<String>,
    pub last_rate: Option<SeenRate>,
    /// What this session sent: each submission once, retries apart.
    pub session: SessionCounts,
    /// What covers the main screen, on top.
    pub overlay: Option<Overlay>,
    /// Overlays under the top one (help over a detail, a question over it), returned to
    /// when the top one closes.
    pub behind: Vec<Overlay>,
    pub toast: Option<Toast>,
    pub next_toast: u64,
    /// Terminal size, for paging and layout decisions.
    pub size: (u16, u16),
    /// The time rendering measures elapsed times against.
    pub now: Instant,
    /// Counts ticks, for the spinner.
    pub frame: u64,
    pub quit: bool,
}

impl State {
    pub fn new(target: TargetInfo, paths: PathsInfo, size: (u16, u16), now: Instant) -> State {
        let history = HistoryPane {
            filter: crate::history::HistoryFilter {
                profile: Some(target.profile.clone()),
                ..Default::default()
            },
            ..HistoryPane::default()
        };
        State {
            theme: Theme::default(),
            profiles: vec![ProfileChoice {
                name: target.profile.clone(),
                target: target.endpoint.clone(),
                production: target.production,
            }],
            switching: None,
            batch: None,
            batch_draft: None,
            target,
            route: RouteId::default(),
            starting_route: RouteId::default(),
            paths,
            form: Form::default(),
            focus: Focus::UserId,
            history,
            live: BTreeMap::new(),
            starting: 0,
            last_result: None,
            last_link: None,
            last_rate: None,
            session: SessionCounts::default(),
            overlay: None,
            behind: Vec::new(),
            toast: None,
            next_toast: 0,
            size,
            now,
            frame: 0,
            quit: false,
        }
    }

    /// The key-binding mode the focus and overlays put the keyboard in.
    pub fn mode(&self) -> Mode {
        if let (Some(b), None) = (&self.batch, &self.overlay) {
            return match b.stage {
                Stage::Input | Stage::Planning => Mode::BatchInput,
                Stage::Preview => Mode::BatchPreview,
                Stage::Confirm => Mode::BatchConfirm,
                Stage::Running => Mode::BatchRun,
                Stage::Done => Mode::BatchDone,
            };
        }
        match &self.overlay {
            Some(Overlay::Help { .. }) => Mode::Help,
            Some(Overlay::Detail(_) | Overlay::LoadingDetail(_)) => Mode::Detail,
            Some(Overlay::Stats(_)) => Mode::Stats,
            Some(Overlay::Confirm(_)) => Mode::Confirm,
            Some(Overlay::Profiles { .. }) => Mode::Picker,
            None => match self.focus {
                Focus::UserId | Focus::RedirectUri => Mode::TextField,
                Focus::KycType => Mode::TypePicker,
                Focus::Submit => Mode::SubmitButton,
                Focus::History if self.history.editing_filter => Mode::Filter,
                Focus::History => Mode::History,
            },
        }
    }

    /// Whether `action` acts now, in the current mode: the footer offers only those. Most
    /// keys always act where they are bound; a few depend on what the screen holds.
    pub fn offers(&self, action: Action) -> bool {
        match (self.mode(), action) {
            (Mode::BatchDone, Action::BatchResume) => self
                .batch
                .as_ref()
                .is_some_and(BatchScreen::can_resume_when_done),
            _ => true,
        }
    }

    /// Submissions not yet finished: being sent, or queued in a running batch.
    pub fn in_flight(&self) -> usize {
        self.sending() + self.queued()
    }

    /// Submissions being sent now (whose outcome would become unknown if cut off).
    pub fn sending(&self) -> usize {
        let batch = self.running_batch().map_or(0, |b| {
            b.rows
                .iter()
                .filter(|r| r.state == RowState::Sending)
                .count()
        });
        self.live.len() + self.starting + batch
    }

    /// Batch rows waiting for their turn (nothing of them has left the machine).
    pub fn queued(&self) -> usize {
        self.running_batch().map_or(0, |b| {
            let unfinished = b.to_send.saturating_sub(b.done);
            let sending = b
                .rows
                .iter()
                .filter(|r| r.state == RowState::Sending)
                .count();
            unfinished.saturating_sub(sending)
        })
    }

    fn running_batch(&self) -> Option<&BatchScreen> {
        self.batch.as_ref().filter(|b| b.stage == Stage::Running)
    }

    /// Whether the clock must tick (spinners, countdowns, the header's rate-limit reset).
    pub fn needs_tick(&self) -> bool {
        self.in_flight() > 0
            || self
                .batch
                .as_ref()
                .is_some_and(|b| matches!(b.stage, Stage::Running | Stage::Planning))
            || self.reset_pending()
    }

    /// Whether the header counts a rate-limit reset down that has not reached 0.
    pub fn reset_pending(&self) -> bool {
        self.last_rate
            .and_then(|r| r.reset_in(self.now))
            .is_some_and(|secs| secs > 0)
    }

    /// Whether the terminal is large enough to show the console (else nothing is drawn
    /// but a request to enlarge it, and no key but quit acts).
    pub fn fits(&self) -> bool {
        let (width, height) = self.size;
        super::layout::fits(ratatui::layout::Rect::new(0, 0, width, height))
    }

    /// Time since an instant, as of the state's clock.
    pub fn elapsed(&self, since: Instant) -> Duration {
        self.now.saturating_duration_since(since)
    }
}
