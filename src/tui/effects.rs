//! Runs what `update` asks for (HTTP, history, clipboard) and reports back as messages.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::clipboard::Clipboard;
use super::effects_batch;
use super::message::{Effect, Msg};
use super::state::{PendingSend, RouteId, TargetInfo};
use super::update::TOAST_FOR;
use crate::api::Exchange;
use crate::batch::{Control, DEFAULT_CONCURRENCY};
use crate::config::Profile;
use crate::domain::InitiateRequest;
use crate::history::export;
use crate::history::{HistoryError, HistoryStore, SubmissionId};
use crate::send::{self, Consent, Destination, Progress, SendError};
use crate::target::{Opened, Targets};
use tokio::sync::watch;

/// The profile opener, shared with the tasks that switch profiles.
pub type SharedTargets = Arc<tokio::sync::Mutex<Targets>>;

/// Every target opened this session, by the id the state refers to it with.
type Routes = Arc<Mutex<HashMap<RouteId, Destination>>>;

/// Cancel handles of submissions in flight, by idempotency key; each task removes its own.
type Cancels = Arc<Mutex<HashMap<String, CancellationToken>>>;

/// What the loop needs from the outside.
pub struct Services {
    /// The target opened at start, known to the state as `RouteId::default()`.
    pub opened: Opened,
    /// Who sends, recorded with every submission.
    pub operator: String,
    pub store: Arc<dyn HistoryStore>,
    pub clipboard: Box<dyn Clipboard>,
    /// Where exports are written.
    pub data_dir: PathBuf,
    /// Opens profiles chosen in the picker.
    pub targets: SharedTargets,
    /// Every profile in the settings.
    pub profiles: Vec<Profile>,
}

/// Runs effects with the services they need. Where a submission goes is not kept here:
/// each effect names its route, which the state chose.
pub struct Effects {
    routes: Routes,
    operator: String,
    store: Arc<dyn HistoryStore>,
    clipboard: Box<dyn Clipboard>,
    data_dir: PathBuf,
    targets: SharedTargets,
    profiles: Vec<Profile>,
    tx: UnboundedSender<Msg>,
    /// Steers the running batch, if any.
    batch_control: Option<watch::Sender<Control>>,
    cancels: Cancels,
    /// The tasks that send (submissions, retries, batches), until they end.
    sending: Vec<JoinHandle<()>>,
}

/// Locks a map, even one a panicking task left poisoned: its entries stay valid.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Effects {
    pub fn new(services: Services, tx: UnboundedSender<Msg>) -> Effects {
        let first = services.opened.destination(&services.operator);
        let routes = HashMap::from([(RouteId::default(), first)]);
        Effects {
            routes: Arc::new(Mutex::new(routes)),
            operator: services.operator,
            store: services.store,
            clipboard: services.clipboard,
            data_dir: services.data_dir,
            targets: services.targets,
            profiles: services.profiles,
            batch_control: None,
            tx,
            cancels: Arc::default(),
            sending: Vec::new(),
        }
    }

    /// Where a route sends; the error says why it cannot.
    fn route(&self, route: RouteId) -> Result<Destination, String> {
        lock(&self.routes)
            .get(&route)
            .cloned()
            .ok_or_else(|| "the profile to send to is not open".to_string())
    }

    /// A batch run with a fresh steering channel, kept to pause and stop it.
    fn batch_task(&mut self, to: Destination) -> effects_batch::BatchTask {
        let (control, watcher) = watch::channel(Control::Run);
        self.batch_control = Some(control);
        effects_batch::BatchTask {
            to,
            store: self.store.clone(),
            control: watcher,
            concurrency: DEFAULT_CONCURRENCY,
            tx: self.tx.clone(),
        }
    }

    /// Cancels everything in flight (on quit, a signal or a failure); a batch stops
    /// dispatching.
    pub fn cancel_all(&mut self) {
        if let Some(control) = &self.batch_control {
            let _ = control.send(Control::Interrupt);
        }
        for token in lock(&self.cancels).values() {
            token.cancel();
        }
    }

    /// Waits, at most `limit`, for every sending task to end: a cancelled submission
    /// records its last attempt and its outcome (unknown) before its task ends, so none is
    /// lost when the process exits. A batch row still in flight at the limit keeps its
    /// write-ahead record, and `--resume` settles it.
    pub async fn settle(&mut self, limit: Duration) {
        let tasks = std::mem::take(&mut self.sending);
        let _ = tokio::time::timeout(limit, futures::future::join_all(tasks)).await;
    }

    /// Keeps a sending task to wait for at the end.
    fn keep(&mut self, task: JoinHandle<()>) {
        self.sending.retain(|t| !t.is_finished());
        self.sending.push(task);
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Submit {
                request,
                resend_of,
                route,
                consent,
            } => self.submit(request, resend_of, route, consent),
            Effect::Retry {
                id,
                user_id,
                idempotency_key,
                route,
                consent,
            } => self.retry(id, user_id, idempotency_key, route, consent),
            Effect::Cancel(key) => {
                if let Some(token) = lock(&self.cancels).get(&key) {
                    token.cancel();
                }
            }
            Effect::LoadHistory {
                filter,
                offset,
                limit,
                count_cap,
                generation,
            } => {
                let store = self.store.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = store.page(&filter, offset, limit, count_cap);
                    let _ = tx.send(match result {
                        Ok((count, rows)) => Msg::HistoryLoaded {
                            generation,
                            total: count.n,
                            more: count.more,
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
            Effect::LoadStats { filter, generation } => {
                let store = self.store.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let stats = store
                        .stats(&filter)
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::StatsLoaded {
                        filter,
                        generation,
                        stats,
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
                    let msg = crate::private_files::create_dir_all(&dir)
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
                let operator = self.operator.clone();
                let routes = self.routes.clone();
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
                        Ok(opened) => {
                            let info = TargetInfo::from_opened(&opened, &operator);
                            let mut routes = lock(&routes);
                            let route = RouteId(u64::try_from(routes.len()).unwrap_or(u64::MAX));
                            routes.insert(route, opened.destination(&operator));
                            Msg::ProfileSwitched { info, route }
                        }
                        Err(e) => Msg::ProfileFailed {
                            name,
                            error: e.to_string(),
                        },
                    });
                });
            }
            Effect::BatchLoadUnfinished { profile } => {
                effects_batch::load_unfinished(self.store.clone(), profile, self.tx.clone());
            }
            Effect::BatchPlan {
                text,
                defaults,
                route,
            } => match self.route(route) {
                Ok(to) => {
                    effects_batch::plan(
                        self.store.clone(),
                        text,
                        defaults,
                        to.target,
                        self.tx.clone(),
                    );
                }
                Err(e) => {
                    let _ = self.tx.send(Msg::BatchFailed(e));
                }
            },
            Effect::BatchStart {
                plan,
                source,
                route,
            } => match self.route(route) {
                Ok(to) => {
                    let task = self.batch_task(to).start(plan, source);
                    self.keep(task);
                }
                Err(e) => {
                    let _ = self.tx.send(Msg::BatchFailed(e));
                }
            },
            Effect::BatchResume { batch_id, route } => match self.route(route) {
                Ok(to) => {
                    let task = self.batch_task(to).resume(batch_id);
                    self.keep(task);
                }
                Err(e) => {
                    let _ = self.tx.send(Msg::BatchFailed(e));
                }
            },
            Effect::BatchLoadResume { batch_id } => {
                effects_batch::load_batch(self.store.clone(), batch_id, self.tx.clone());
            }
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

    fn submit(
        &mut self,
        request: InitiateRequest,
        resend_of: Option<SubmissionId>,
        route: RouteId,
        consent: Consent,
    ) {
        let to = match self.route(route) {
            Ok(to) => to,
            Err(error) => {
                let _ = self.tx.send(Msg::CreateFailed {
                    idempotency_key: String::new(),
                    error,
                });
                return;
            }
        };
        // Until it is recorded with its key, its cancel handle goes by a name of its own.
        let marker = format!("new-{}", uuid::Uuid::new_v4());
        let token = self.track(&marker);
        let store = self.store.clone();
        let tx = self.tx.clone();
        let cancels = self.cancels.clone();
        let user_id = request.user_id.to_string();
        let task = tokio::spawn(async move {
            let progress = forward(&tx, &cancels, &marker, user_id);
            let result =
                send::send_new(&to, store, &request, resend_of, consent, &token, progress).await;
            lock(&cancels).remove(&marker);
            let pending = PendingSend::New { request, resend_of };
            finish(&tx, &cancels, pending, consent, result);
        });
        self.keep(task);
    }

    /// Sends a recorded submission again with its own key.
    fn retry(
        &mut self,
        id: SubmissionId,
        user_id: String,
        key: String,
        route: RouteId,
        consent: Consent,
    ) {
        let to = match self.route(route) {
            Ok(to) => to,
            Err(error) => {
                let _ = self.tx.send(Msg::CreateFailed {
                    idempotency_key: key,
                    error,
                });
                return;
            }
        };
        let token = self.track(&key);
        let store = self.store.clone();
        let tx = self.tx.clone();
        let cancels = self.cancels.clone();
        let task = tokio::spawn(async move {
            let progress = forward(&tx, &cancels, &key, user_id.clone());
            let result = send::send_again(&to, store, id, consent, &token, progress).await;
            lock(&cancels).remove(&key);
            let pending = PendingSend::Again {
                id,
                user_id,
                idempotency_key: key,
            };
            finish(
                &tx,
                &cancels,
                pending,
                consent,
                result.map(|exchange| (id, exchange)),
            );
        });
        self.keep(task);
    }

    /// A cancel handle for a submission about to be sent.
    fn track(&self, key: &str) -> CancellationToken {
        let token = CancellationToken::new();
        lock(&self.cancels).insert(key.to_string(), token.clone());
        token
    }
}

/// Turns a submission's progress into messages for the loop. Once recorded, its cancel
/// handle is filed under its idempotency key, which the state knows it by.
fn forward(
    tx: &UnboundedSender<Msg>,
    cancels: &Cancels,
    marker: &str,
    user_id: String,
) -> impl FnMut(Progress) + use<> {
    let tx = tx.clone();
    let cancels = cancels.clone();
    let marker = marker.to_string();
    move |progress| {
        let msg = match progress {
            Progress::Recorded {
                id,
                idempotency_key,
            } => {
                let mut map = lock(&cancels);
                if let Some(token) = map.remove(&marker) {
                    map.insert(idempotency_key.clone(), token);
                }
                Msg::Created {
                    id,
                    user_id: user_id.clone(),
                    idempotency_key,
                }
            }
            Progress::Started { id, number } => Msg::AttemptStarted { id, number },
            Progress::Finished { id, attempt } => Msg::AttemptFinished { id, attempt },
            Progress::StoreFailed(e) => Msg::StoreFailed(e.to_string()),
        };
        let _ = tx.send(msg);
    }
}

/// The send's end as a message: its outcome, a question to ask, or why nothing was sent.
fn finish(
    tx: &UnboundedSender<Msg>,
    cancels: &Cancels,
    send: PendingSend,
    consent: Consent,
    result: Result<(SubmissionId, Exchange), SendError>,
) {
    let msg = match result {
        Ok((id, exchange)) => {
            lock(cancels).remove(&exchange.idempotency_key);
            Msg::Finished {
                id,
                exchange: Box::new(exchange),
            }
        }
        Err(SendError::Ask(question)) => Msg::Asked {
            send,
            consent,
            question,
        },
        Err(e) => Msg::CreateFailed {
            idempotency_key: String::new(),
            error: e.to_string(),
        },
    };
    let _ = tx.send(msg);
}
