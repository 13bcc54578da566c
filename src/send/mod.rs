//! The one send path. Every front-end (the form, resend, load-and-send, `replay`, `retry`,
//! `initiate`, each batch row) sends through here, and only asks the questions it raises:
//! the production guard and the duplicate guard are answered in [`Consent`]; the record is
//! written (and, for a new submission, the pair claimed) before the first byte leaves; a
//! retry goes only to the target the submission was recorded for; every attempt and the
//! outcome are recorded as they come.

use std::sync::Arc;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::api::{ApiClient, Attempt, AttemptEvent, Exchange, RequestRecord, new_idempotency_key};
use crate::domain::{InitiateRequest, OutcomeKind};
use crate::history::{Earlier, HistoryError, HistoryStore, NewSubmission, SubmissionId};
use crate::production::{Answer, Confirmation, SendKind, accepts, confirmation};

/// Where a send goes and who sends it.
#[derive(Debug, Clone)]
pub struct Destination {
    pub client: ApiClient,
    /// The profile's name, recorded with each submission.
    pub profile: String,
    /// The target's stable identity (see `target::identity`).
    pub target: String,
    pub production: bool,
    /// Who sends, recorded with each submission.
    pub operator: String,
    /// For an ad-hoc target, the name of the variable holding its key (recorded so that
    /// printed commands can name it; the key itself is never recorded).
    pub key_env: Option<String>,
}

/// What the operator agreed to beyond a plain send: the answers to [`Question`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consent {
    /// Yes to sending to production.
    pub production: bool,
    /// Yes to a new submission although an earlier one holds the user and type.
    pub duplicate: bool,
}

/// A question the send path needs answered before it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// The target is production.
    Production { profile: String, target: String },
    /// An earlier submission for the same user and type on this target may have
    /// started a verification.
    Duplicate(Box<Earlier>),
}

/// What happens while a submission runs.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Recorded in history: sending starts now.
    Recorded {
        id: SubmissionId,
        idempotency_key: String,
    },
    Started {
        id: SubmissionId,
        number: u32,
    },
    Finished {
        id: SubmissionId,
        attempt: Box<Attempt>,
    },
    /// Recording an attempt or the outcome failed (the send itself went on).
    StoreFailed(HistoryError),
}

/// Why nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{}", describe_question(.0))]
    Ask(Question),
    #[error("not sent: {0}")]
    History(#[from] HistoryError),
    #[error(
        "submission {id} was sent to {sent_to}, not to {target}: send it again to its own target"
    )]
    OtherTarget {
        id: SubmissionId,
        sent_to: String,
        target: String,
    },
    #[error(
        "submission {0} already has a final outcome: {1}; resend it as a new submission instead"
    )]
    Finished(SubmissionId, String),
}

fn describe_question(question: &Question) -> String {
    match question {
        Question::Production { profile, target } => {
            format!("profile {profile} is PRODUCTION ({target}): it needs a confirmation")
        }
        Question::Duplicate(earlier) => format!(
            "{} already holds this user and type on this target",
            crate::present::describe_earlier(earlier)
        ),
    }
}

impl Destination {
    /// Refuses production without its confirmation.
    fn guard_production(&self, consent: Consent) -> Result<(), SendError> {
        let needed = confirmation(self.production, SendKind::One);
        if needed == Confirmation::None
            || (consent.production && accepts(needed, &self.profile, Answer::Yes))
        {
            return Ok(());
        }
        Err(SendError::Ask(Question::Production {
            profile: self.profile.clone(),
            target: self.target.clone(),
        }))
    }

    /// A new submission's record, with a fresh idempotency key.
    pub fn new_submission(
        &self,
        request: &InitiateRequest,
        resend_of: Option<SubmissionId>,
        batch: Option<(String, u32)>,
    ) -> NewSubmission {
        let key = new_idempotency_key();
        let (batch_id, batch_line) = batch.unzip();
        NewSubmission {
            created_at: Utc::now(),
            operator: self.operator.clone(),
            profile: self.profile.clone(),
            base_url: self.client.target().base_url.to_string(),
            target: self.target.clone(),
            key_env: self.key_env.clone(),
            user_id: request.user_id.to_string(),
            kyc_type: request.kyc_type,
            redirect_uri: request
                .redirect_uri
                .as_ref()
                .map(|u| u.as_str().to_string()),
            request: self.client.describe(request, &key),
            idempotency_key: key,
            resend_of,
            batch_id,
            batch_line,
        }
    }
}

/// Sends a new submission: asks for production, claims the pair and records it before the
/// first byte (or names the earlier submission that holds it), then sends.
pub async fn send_new(
    to: &Destination,
    store: Arc<dyn HistoryStore>,
    request: &InitiateRequest,
    resend_of: Option<SubmissionId>,
    consent: Consent,
    cancel: &CancellationToken,
    mut on: impl FnMut(Progress),
) -> Result<(SubmissionId, Exchange), SendError> {
    to.guard_production(consent)?;
    let new = to.new_submission(request, resend_of, None);
    let id = {
        let store = store.clone();
        let new = new.clone();
        let recorded = tokio::task::spawn_blocking(move || {
            if consent.duplicate {
                store.create(&new).map(Ok)
            } else {
                store.create_unless_duplicate(&new)
            }
        })
        .await
        .map_err(|e| HistoryError::Storage(e.to_string()))??;
        recorded.map_err(|earlier| SendError::Ask(Question::Duplicate(Box::new(earlier))))?
    };
    on(Progress::Recorded {
        id,
        idempotency_key: new.idempotency_key.clone(),
    });
    let exchange = run(
        to,
        store,
        id,
        new.request,
        &new.idempotency_key,
        cancel,
        Vec::new(),
        1,
        on,
    )
    .await;
    Ok((id, exchange))
}

/// Sends a recorded submission again with its own idempotency key: after a crash, an
/// unknown outcome, or a batch row's turn, this learns the real outcome without starting
/// a second verification. Only to the target it was recorded for.
pub async fn send_again(
    to: &Destination,
    store: Arc<dyn HistoryStore>,
    id: SubmissionId,
    consent: Consent,
    cancel: &CancellationToken,
    mut on: impl FnMut(Progress),
) -> Result<Exchange, SendError> {
    to.guard_production(consent)?;
    // Read in place, as every record below is written: one short look-up that a hop to
    // the blocking pool and back would cost more than (a batch reads one per row).
    let submission = store.get(id)?;
    if let Some(outcome) = submission.outcome
        && !outcome.retryable()
    {
        return Err(SendError::Finished(id, outcome.label().to_string()));
    }
    if submission.new.target != to.target {
        return Err(SendError::OtherTarget {
            id,
            sent_to: submission.new.target,
            target: to.target.clone(),
        });
    }
    // A run that stopped before recording its outcome may have lost an attempt in flight.
    // It left no outcome, or one its attempts do not give (the "unknown" recorded below
    // before a "not sent" is sent again). The lost attempt's number stays free, so the
    // outcome never claims that nothing was sent (see `Exchange::nothing_sent`).
    let lost = submission.dispatched_at.is_some()
        && submission.outcome != Some(submission.exchange().outcome());
    if submission.outcome == Some(OutcomeKind::NotSent) {
        // From here something may go out: "not sent" must not outlive this run if it stops.
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.finish(id, OutcomeKind::Unknown))
            .await
            .map_err(|e| HistoryError::Storage(e.to_string()))??;
    }
    on(Progress::Recorded {
        id,
        idempotency_key: submission.new.idempotency_key.clone(),
    });
    let first = submission.attempts.last().map_or(0, |a| a.number) + 1 + u32::from(lost);
    let key = submission.new.idempotency_key.clone();
    let exchange = run(
        to,
        store,
        id,
        submission.new.request,
        &key,
        cancel,
        submission.attempts,
        first,
        on,
    )
    .await;
    Ok(exchange)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    to: &Destination,
    store: Arc<dyn HistoryStore>,
    id: SubmissionId,
    record: RequestRecord,
    key: &str,
    cancel: &CancellationToken,
    earlier: Vec<Attempt>,
    first_number: u32,
    mut on: impl FnMut(Progress),
) -> Exchange {
    let client = &to.client;
    // Every line logged while sending names the submission; never the key or the body.
    let span = tracing::info_span!("submission", id);
    tracing::info!(parent: &span, url = %record.url, first_attempt = first_number, "sending");
    let mut noted = false;
    // A run's last attempt (the client plans no retry after it) is recorded once the client
    // returns, with the outcome it leads to, in one write: nothing is awaited in between,
    // so it is recorded as soon as before.
    let mut last: Option<Box<Attempt>> = None;
    let mut exchange = client
        .submit_recorded(record, key, cancel, first_number, |event| match event {
            AttemptEvent::Started { number } => {
                // Recorded as the first byte is about to leave, after any wait for the
                // client's pace: after a crash this tells "never sent" from "unknown", and
                // the row says when it was sent (a batch row long after it was recorded).
                if !noted {
                    noted = true;
                    if let Err(e) = store.mark_dispatched(id, Utc::now()) {
                        on(Progress::StoreFailed(e));
                    }
                }
                on(Progress::Started { id, number });
            }
            AttemptEvent::Finished(attempt) => {
                // Only the last attempt plans no retry; should another come after it,
                // it is recorded first, as it would have been.
                if let Some(earlier) = last.take() {
                    record_one(store.as_ref(), id, earlier, &mut on);
                }
                if attempt.retry.is_none() {
                    last = Some(attempt);
                } else {
                    record_one(store.as_ref(), id, attempt, &mut on);
                }
            }
        })
        .instrument(span.clone())
        .await;
    // The outcome is read from every attempt, the ones recorded before this run included.
    exchange.attempts.splice(0..0, earlier);
    tracing::info!(
        parent: &span,
        outcome = %exchange.outcome(),
        status = exchange.final_response().map(|r| r.status),
        request_id = exchange.final_response().and_then(|r| r.request_id.as_deref()),
        attempts = exchange.attempts.len(),
        "finished"
    );
    let outcome = exchange.outcome();
    let written = match &last {
        Some(attempt) => store.record_final_attempt(id, attempt, outcome),
        None => store.finish(id, outcome),
    };
    if let Err(e) = written {
        on(Progress::StoreFailed(e));
    }
    if let Some(attempt) = last {
        on(Progress::Finished { id, attempt });
    }
    exchange
}

/// Records an attempt as it ends, and passes it on.
fn record_one(
    store: &dyn HistoryStore,
    id: SubmissionId,
    attempt: Box<Attempt>,
    on: &mut impl FnMut(Progress),
) {
    if let Err(e) = store.record_attempt(id, &attempt) {
        on(Progress::StoreFailed(e));
    }
    on(Progress::Finished { id, attempt });
}
