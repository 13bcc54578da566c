//! Sending a submission with its history: recorded before the first byte (write-ahead),
//! each attempt recorded as it ends, the outcome recorded last. The console, the headless
//! commands and batches all send through here.

use std::sync::Arc;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::api::{ApiClient, Attempt, AttemptEvent, Exchange, new_idempotency_key};
use crate::domain::{InitiateRequest, OutcomeKind};
use crate::history::{HistoryError, HistoryStore, NewSubmission, SubmissionId};

/// Who sends and through which profile, recorded with every submission.
#[derive(Debug, Clone)]
pub struct Origin {
    pub operator: String,
    pub profile: String,
}

/// What happens while a submission runs.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Recorded in history: sending starts now.
    Recorded(SubmissionId),
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

/// Why a submission could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("not sent: {0}")]
    History(#[from] HistoryError),
    #[error(
        "submission {id} was sent to {sent_to}, not to {target}: use its profile to retry it with its key"
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

/// A new submission's record, with a fresh idempotency key.
pub fn prepare(
    client: &ApiClient,
    origin: &Origin,
    request: &InitiateRequest,
    resend_of: Option<SubmissionId>,
    batch_id: Option<String>,
) -> NewSubmission {
    let key = new_idempotency_key();
    NewSubmission {
        created_at: Utc::now(),
        operator: origin.operator.clone(),
        profile: origin.profile.clone(),
        base_url: client.target().base_url.to_string(),
        user_id: request.user_id.to_string(),
        kyc_type: request.kyc_type,
        redirect_uri: request
            .redirect_uri
            .as_ref()
            .map(|u| u.as_str().to_string()),
        request: client.describe(request, &key),
        idempotency_key: key,
        resend_of,
        batch_id,
        batch_line: None,
    }
}

/// Records a new submission, then sends it.
pub async fn send_new(
    client: &ApiClient,
    store: Arc<dyn HistoryStore>,
    new: NewSubmission,
    cancel: &CancellationToken,
    mut on: impl FnMut(Progress),
) -> Result<(SubmissionId, Exchange), SubmitError> {
    let id = {
        let store = store.clone();
        let new = new.clone();
        tokio::task::spawn_blocking(move || store.create(&new))
            .await
            .map_err(|e| HistoryError::Storage(e.to_string()))??
    };
    on(Progress::Recorded(id));
    let exchange = run(
        client,
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

/// Sends a recorded submission again with its own idempotency key: after a crash or an
/// unknown outcome this learns the real outcome without starting a second verification.
pub async fn send_again(
    client: &ApiClient,
    store: Arc<dyn HistoryStore>,
    id: SubmissionId,
    cancel: &CancellationToken,
    mut on: impl FnMut(Progress),
) -> Result<Exchange, SubmitError> {
    let submission = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.get(id))
            .await
            .map_err(|e| HistoryError::Storage(e.to_string()))??
    };
    if let Some(outcome) = submission.outcome
        && !outcome.retryable()
    {
        return Err(SubmitError::Finished(id, outcome.label().to_string()));
    }
    let target = client.target().endpoint();
    if submission.new.request.url != target {
        return Err(SubmitError::OtherTarget {
            id,
            sent_to: submission.new.request.url,
            target,
        });
    }
    // A run that stopped before recording its outcome may have lost an attempt in flight.
    // It left no outcome, or one its attempts do not give (the "unknown" recorded below
    // before a "not sent" is sent again). The lost attempt's number stays free, so the
    // outcome never claims that nothing was sent (see `Exchange::nothing_sent`).
    let lost = submission.dispatched && submission.outcome != Some(submission.exchange().outcome());
    if submission.outcome == Some(OutcomeKind::NotSent) {
        // From here something may go out: "not sent" must not outlive this run if it stops.
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.finish(id, OutcomeKind::Unknown))
            .await
            .map_err(|e| HistoryError::Storage(e.to_string()))??;
    }
    on(Progress::Recorded(id));
    let first = submission.attempts.last().map_or(0, |a| a.number) + 1 + u32::from(lost);
    let key = submission.new.idempotency_key.clone();
    let exchange = run(
        client,
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
    client: &ApiClient,
    store: Arc<dyn HistoryStore>,
    id: SubmissionId,
    record: crate::api::RequestRecord,
    key: &str,
    cancel: &CancellationToken,
    earlier: Vec<Attempt>,
    first_number: u32,
    mut on: impl FnMut(Progress),
) -> Exchange {
    // Every line logged while sending names the submission; never the key or the body.
    let span = tracing::info_span!("submission", id);
    tracing::info!(parent: &span, url = %record.url, first_attempt = first_number, "sending");
    // Recorded before the first byte: after a crash this tells "never sent" from "unknown".
    if let Err(e) = store.mark_dispatched(id) {
        on(Progress::StoreFailed(e));
    }
    let mut exchange = client
        .submit_recorded(record, key, cancel, first_number, |event| match event {
            AttemptEvent::Started { number } => on(Progress::Started { id, number }),
            AttemptEvent::Finished(attempt) => {
                if let Err(e) = store.record_attempt(id, &attempt) {
                    on(Progress::StoreFailed(e));
                }
                on(Progress::Finished { id, attempt });
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
    if let Err(e) = store.finish(id, exchange.outcome()) {
        on(Progress::StoreFailed(e));
    }
    exchange
}
