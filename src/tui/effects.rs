//! Runs what `update` asks for (HTTP, history, clipboard) and reports back as messages.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::clipboard::Clipboard;
use super::message::{Effect, Msg};
use super::update::TOAST_FOR;
use crate::api::{ApiClient, AttemptEvent, new_idempotency_key};
use crate::domain::InitiateRequest;
use crate::history::{HistoryStore, NewSubmission, SubmissionId};

/// Who submits and where, recorded with every submission.
#[derive(Debug, Clone)]
pub struct Origin {
    pub operator: String,
    pub profile: String,
}

/// Owns the services effects need, and the cancel handles of submissions in flight.
pub struct Effects {
    client: ApiClient,
    store: Arc<dyn HistoryStore>,
    clipboard: Box<dyn Clipboard>,
    origin: Origin,
    tx: UnboundedSender<Msg>,
    cancels: HashMap<SubmissionId, CancellationToken>,
    /// Tokens of submissions not yet recorded, by idempotency key.
    unrecorded: HashMap<String, CancellationToken>,
}

impl Effects {
    pub fn new(
        client: ApiClient,
        store: Arc<dyn HistoryStore>,
        clipboard: Box<dyn Clipboard>,
        origin: Origin,
        tx: UnboundedSender<Msg>,
    ) -> Effects {
        Effects {
            client,
            store,
            clipboard,
            origin,
            tx,
            cancels: HashMap::new(),
            unrecorded: HashMap::new(),
        }
    }

    /// Notes that a submission now has an id, so it can be cancelled by id.
    pub fn observe(&mut self, msg: &Msg) {
        match msg {
            Msg::Created {
                id,
                idempotency_key,
                ..
            } => {
                if let Some(token) = self.unrecorded.remove(idempotency_key) {
                    self.cancels.insert(*id, token);
                }
            }
            Msg::CreateFailed {
                idempotency_key, ..
            } => {
                self.unrecorded.remove(idempotency_key);
            }
            Msg::Finished { id, .. } => {
                self.cancels.remove(id);
            }
            _ => {}
        }
    }

    /// Cancels everything in flight (on quit).
    pub fn cancel_all(&mut self) {
        for token in self.cancels.values().chain(self.unrecorded.values()) {
            token.cancel();
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Submit { request, resend_of } => self.submit(request, resend_of),
            Effect::Cancel(id) => {
                if let Some(token) = self.cancels.get(&id) {
                    token.cancel();
                }
            }
            Effect::LoadHistory {
                filter,
                offset,
                limit,
                generation,
            } => {
                let store = self.store.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = store
                        .count(&filter)
                        .and_then(|total| Ok((total, store.window(&filter, offset, limit)?)));
                    let _ = tx.send(match result {
                        Ok((total, rows)) => Msg::HistoryLoaded {
                            generation,
                            total,
                            offset,
                            rows,
                        },
                        Err(e) => Msg::StoreFailed(e.to_string()),
                    });
                });
            }
            Effect::LoadDetail(id) => {
                let store = self.store.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(match store.get(id) {
                        Ok(s) => Msg::DetailLoaded(Box::new(s)),
                        Err(e) => Msg::StoreFailed(e.to_string()),
                    });
                });
            }
            Effect::Copy { what, text } => {
                let msg = match self.clipboard.copy(&text) {
                    Ok(()) => Msg::Copied { what },
                    Err(e) => Msg::StoreFailed(format!("copy failed: {e}")),
                };
                let _ = self.tx.send(msg);
            }
            Effect::ClearToastAfter(id) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(TOAST_FOR).await;
                    let _ = tx.send(Msg::ClearToast(id));
                });
            }
        }
    }

    fn submit(&mut self, request: InitiateRequest, resend_of: Option<SubmissionId>) {
        let key = new_idempotency_key();
        let new = NewSubmission {
            created_at: Utc::now(),
            operator: self.origin.operator.clone(),
            profile: self.origin.profile.clone(),
            base_url: self.client.target().base_url.to_string(),
            user_id: request.user_id.to_string(),
            kyc_type: request.kyc_type,
            redirect_uri: request
                .redirect_uri
                .as_ref()
                .map(|u| u.as_str().to_string()),
            idempotency_key: key.clone(),
            request: self.client.describe(&request, &key),
            resend_of,
        };
        let token = CancellationToken::new();
        self.unrecorded.insert(key.clone(), token.clone());
        let client = self.client.clone();
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            // Write-ahead: the submission and its key are recorded before anything is sent.
            let created = {
                let store = store.clone();
                let new = new.clone();
                tokio::task::spawn_blocking(move || store.create(&new)).await
            };
            let id = match created {
                Ok(Ok(id)) => id,
                Ok(Err(e)) => {
                    let _ = tx.send(Msg::CreateFailed {
                        idempotency_key: key,
                        error: e.to_string(),
                    });
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Msg::CreateFailed {
                        idempotency_key: key,
                        error: e.to_string(),
                    });
                    return;
                }
            };
            let _ = tx.send(Msg::Created {
                id,
                user_id: new.user_id.clone(),
                idempotency_key: key.clone(),
            });
            let exchange = client
                .submit(&request, &key, &token, |event| match event {
                    AttemptEvent::Started { number } => {
                        let _ = tx.send(Msg::AttemptStarted { id, number });
                    }
                    AttemptEvent::Finished(attempt) => {
                        if let Err(e) = store.record_attempt(id, &attempt) {
                            let _ = tx.send(Msg::StoreFailed(e.to_string()));
                        }
                        let _ = tx.send(Msg::AttemptFinished { id, attempt });
                    }
                })
                .await;
            if let Err(e) = store.finish(id, exchange.outcome()) {
                let _ = tx.send(Msg::StoreFailed(e.to_string()));
            }
            let _ = tx.send(Msg::Finished {
                id,
                exchange: Box::new(exchange),
            });
        });
    }
}
