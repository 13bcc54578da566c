//! The batch screen's I/O: reading and checking input, recording, running, resuming.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::message::Msg;
use crate::batch::{self, Control, Defaults, Job, Plan};
use crate::history::HistoryStore;
use crate::send::Destination;

/// Lists this profile's unfinished batches.
pub fn load_unfinished(store: Arc<dyn HistoryStore>, profile: String, tx: UnboundedSender<Msg>) {
    tokio::task::spawn_blocking(move || {
        let _ = tx.send(match store.unfinished_batches(&profile) {
            Ok(list) => Msg::BatchUnfinished(list),
            Err(e) => Msg::StoreFailed(e.to_string()),
        });
    });
}

/// Reads the pasted text (or the file it names) and checks every row against history
/// on the target the batch would go to.
pub fn plan(
    store: Arc<dyn HistoryStore>,
    text: String,
    defaults: Defaults,
    target: String,
    tx: UnboundedSender<Msg>,
) {
    tokio::task::spawn_blocking(move || {
        let trimmed = text.trim();
        let one_line = !trimmed.contains('\n');
        let path = Path::new(trimmed);
        let (source, bytes) = if one_line && path.is_file() {
            match std::fs::read(path) {
                Ok(bytes) => (path.display().to_string(), bytes),
                Err(e) => {
                    let _ = tx.send(Msg::BatchPlanned {
                        source: path.display().to_string(),
                        result: Err(format!("cannot read {}: {e}", path.display())),
                    });
                    return;
                }
            }
        } else {
            ("pasted".to_string(), text.clone().into_bytes())
        };
        let result = batch::read_input(&bytes)
            .map_err(|e| format!("{source}: {e}"))
            .and_then(|rows| {
                batch::plan(&rows, &defaults, store.as_ref(), &target).map_err(|e| e.to_string())
            });
        let _ = tx.send(Msg::BatchPlanned { source, result });
    });
}

/// What a batch run needs: where to send, the history, and the operator's steering.
pub struct BatchTask {
    pub to: Destination,
    pub store: Arc<dyn HistoryStore>,
    pub control: watch::Receiver<Control>,
    pub concurrency: usize,
    pub tx: UnboundedSender<Msg>,
}

impl BatchTask {
    /// Records the batch, then sends it; the task ends when the run does.
    pub fn start(self, plan: Plan, source: String) -> JoinHandle<()> {
        tokio::spawn(async move {
            let recorded = {
                let store = self.store.clone();
                let to = self.to.clone();
                tokio::task::spawn_blocking(move || {
                    batch::record(store.as_ref(), &to, &plan, &source)
                })
                .await
            };
            let jobs = match recorded {
                Ok(Ok(recorded)) => {
                    let _ = self.tx.send(Msg::BatchRecorded {
                        batch_id: recorded.batch_id,
                        skipped: recorded.skipped,
                    });
                    recorded.jobs
                }
                Ok(Err(e)) => {
                    let _ = self.tx.send(Msg::BatchFailed(format!(
                        "not sent: cannot record the batch: {e}"
                    )));
                    return;
                }
                Err(e) => {
                    let _ = self.tx.send(Msg::BatchFailed(format!("not sent: {e}")));
                    return;
                }
            };
            self.run(jobs).await;
        })
    }

    /// Loads a recorded batch and sends its rows that have no outcome yet.
    pub fn resume(self, batch_id: String) -> JoinHandle<()> {
        tokio::spawn(async move {
            let loaded = {
                let store = self.store.clone();
                tokio::task::spawn_blocking(move || store.batch(&batch_id)).await
            };
            let info = match loaded {
                Ok(Ok(info)) => info,
                Ok(Err(e)) => {
                    let _ = self.tx.send(Msg::BatchFailed(e.to_string()));
                    return;
                }
                Err(e) => {
                    let _ = self.tx.send(Msg::BatchFailed(e.to_string()));
                    return;
                }
            };
            let jobs = batch::unfinished_jobs(&info);
            let _ = self.tx.send(Msg::BatchResumed(Box::new(info)));
            self.run(jobs).await;
        })
    }

    async fn run(self, jobs: Vec<Job>) {
        let tx = self.tx.clone();
        let summary = batch::run(
            &self.to,
            self.store,
            jobs,
            self.concurrency,
            self.control,
            |event| {
                let _ = tx.send(Msg::Batch(event));
            },
        )
        .await;
        let _ = self.tx.send(Msg::BatchFinished(summary));
    }
}
