//! Runs what `update` asks for (HTTP, history, clipboard) and reports back as messages.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::clipboard::Clipboard;
use super::effects_batch;
use super::message::{Effect, Msg};
use super::state::TargetInfo;
use super::update::TOAST_FOR;
use crate::api::ApiClient;
use crate::batch::{Control, DEFAULT_CONCURRENCY};
use crate::config::Profile;
use crate::domain::InitiateRequest;
use crate::history::export;
use crate::history::{HistoryError, HistoryStore, SubmissionId};
use crate::submit::{self, Progress};
use crate::target::Targets;
use tokio::sync::watch;

pub use crate::submit::Origin;

/// Owns the services effects need, and the cancel handles of submissions in flight.
/// The profile opener, shared with the tasks that switch profiles.
pub type SharedTargets = Arc<tokio::sync::Mutex<Targets>>;

pub struct Effects {
    client: ApiClient,
    store: Arc<dyn HistoryStore>,
    clipboard: Box<dyn Clipboard>,
    origin: Origin,
    data_dir: PathBuf,
    targets: SharedTargets,
    profiles: Vec<Profile>,
    tx: UnboundedSender<Msg>,
    /// Steers the running batch, if any.
    batch_control: Option<watch::Sender<Control>>,
    cancels: HashMap<SubmissionId, CancellationToken>,
    /// Tokens of submissions not yet recorded, by idempotency key.
    unrecorded: HashMap<String, CancellationToken>,
}

impl Effects {
    pub fn new(services: super::app::Services, tx: UnboundedSender<Msg>) -> Effects {
        Effects {
            client: services.client,
            store: services.store,
            clipboard: services.clipboard,
            origin: services.origin,
            data_dir: services.data_dir,
            targets: services.targets,
            profiles: services.profiles,
            batch_control: None,
            tx,
            cancels: HashMap::new(),
            unrecorded: HashMap::new(),
        }
    }

    /// A batch run with a fresh steering channel, kept to pause and stop it.
    fn batch_task(&mut self) -> effects_batch::BatchTask {
        let (control, watcher) = watch::channel(Control::Run);
        self.batch_control = Some(control);
        effects_batch::BatchTask {
            client: self.client.clone(),
            store: self.store.clone(),
            control: watcher,
            concurrency: DEFAULT_CONCURRENCY,
            tx: self.tx.clone(),
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
            Msg::ProfileSwitched { opened, .. } => {
                // In-flight submissions keep their client; new ones use this one.
                self.client = opened.client.clone();
                self.origin.profile = opened.profile.name.clone();
            }
            _ => {}
        }
    }

    /// Cancels everything in flight (on quit); a batch stops dispatching.
    pub fn cancel_all(&mut self) {
        if let Some(control) = &self.batch_control {
            let _ = control.send(Control::Stop);
        }
        for token in self.cancels.values().chain(self.unrecorded.values()) {
            token.cancel();
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Submit { request, resend_of } => self.submit(request, resend_of),
            Effect::Retry {
                id,
                user_id,
                idempotency_key,
            } => self.retry(id, user_id, idempotency_key),
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
            Effect::Export { filter, format } => {
                let store = self.store.clone();
                let tx = self.tx.clone();
                let dir = self.data_dir.clone();
                tokio::task::spawn_blocking(move || {
                    let name = format!(
                        "kyc-history-{}.{}",
                        chrono::Local::now().format("%Y%m%d-%H%M%S"),
                        format.extension()
                    );
                    let path = dir.join(name);
                    let msg = std::fs::create_dir_all(&dir)
                        .map_err(|e| HistoryError::Storage(e.to_string()))
                        .and_then(|()| export::export(store.as_ref(), &filter, format, &path))
                        .map_or_else(
                            |e| Msg::StoreFailed(format!("export failed: {e}")),
                            |rows| Msg::Exported {
                                rows,
                                path: path.display().to_string(),
                            },
                        );
                    let _ = tx.send(msg);
                });
            }
            Effect::SwitchProfile(name) => {
                let tx = self.tx.clone();
                let targets = self.targets.clone();
                let profile = self.profiles.iter().find(|p| p.name == name).cloned();
                let operator = self.origin.operator.clone();
                tokio::spawn(async move {
                    let Some(profile) = profile else {
                        let _ = tx.send(Msg::ProfileFailed {
                            name,
                            error: "no such profile in the settings".into(),
                        });
                        return;
                    };
                    let opened = targets.lock().await.open(&profile).await;
                    let _ = tx.send(match opened {
                        Ok(opened) => Msg::ProfileSwitched {
                            info: TargetInfo::from_opened(&opened, &operator),
                            opened: Box::new(opened),
                        },
                        Err(e) => Msg::ProfileFailed {
                            name,
                            error: e.to_string(),
                        },
                    });
                });
            }
            Effect::BatchLoadUnfinished => effects_batch::load_unfinished(
                self.store.clone(),
                self.origin.profile.clone(),
                self.tx.clone(),
            ),
            Effect::BatchPlan { text, defaults } => {
                effects_batch::plan(self.store.clone(), text, defaults, self.tx.clone());
            }
            Effect::BatchStart { plan, source } => {
                let origin = self.origin.clone();
                self.batch_task().start(origin, plan, source);
            }
            Effect::BatchResume(batch_id) => self.batch_task().resume(batch_id),
            Effect::BatchControl(c) => {
                if let Some(control) = &self.batch_control {
                    let _ = control.send(c);
                }
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
        let new = submit::prepare(&self.client, &self.origin, &request, resend_of, None);
        let key = new.idempotency_key.clone();
        let user_id = new.user_id.clone();
        let token = CancellationToken::new();
        self.unrecorded.insert(key.clone(), token.clone());
        let client = self.client.clone();
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let progress = forward(&tx, user_id, key.clone());
            let result = submit::send_new(&client, store, new, &token, progress).await;
            finish(&tx, key, result);
        });
    }

    /// Sends a recorded submission again with its own key.
    fn retry(&mut self, id: SubmissionId, user_id: String, key: String) {
        let token = CancellationToken::new();
        self.cancels.insert(id, token.clone());
        let client = self.client.clone();
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let progress = forward(&tx, user_id, key.clone());
            let result = submit::send_again(&client, store, id, &token, progress).await;
            finish(&tx, key, result.map(|exchange| (id, exchange)));
        });
    }
}

/// Turns a submission's progress into messages for the loop.
fn forward(
    tx: &UnboundedSender<Msg>,
    user_id: String,
    key: String,
) -> impl FnMut(Progress) + use<> {
    let tx = tx.clone();
    move |progress| {
        let msg = match progress {
            Progress::Recorded(id) => Msg::Created {
                id,
                user_id: user_id.clone(),
                idempotency_key: key.clone(),
            },
            Progress::Started { id, number } => Msg::AttemptStarted { id, number },
            Progress::Finished { id, attempt } => Msg::AttemptFinished { id, attempt },
            Progress::StoreFailed(e) => Msg::StoreFailed(e.to_string()),
        };
        let _ = tx.send(msg);
    }
}

fn finish(
    tx: &UnboundedSender<Msg>,
    key: String,
    result: Result<(SubmissionId, crate::api::Exchange), submit::SubmitError>,
) {
    let _ = tx.send(match result {
        Ok((id, exchange)) => Msg::Finished {
            id,
            exchange: Box::new(exchange),
        },
        Err(e) => Msg::CreateFailed {
            idempotency_key: key,
            error: e.to_string(),
        },
    });
}
