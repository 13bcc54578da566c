//! The batch screen's I/O: reading and checking input, recording, running, resuming.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::message::Msg;
use crate::batch::{self, Control, Defaults, Job, Plan};
use crate::domain::safe_text;
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

/// Loads a recorded batch, to preview what resuming it would send.
pub fn load_batch(store: Arc<dyn HistoryStore>, batch_id: String, tx: UnboundedSender<Msg>) {
    tokio::task::spawn_blocking(move || {
        let _ = tx.send(match store.batch(&batch_id) {
            Ok(info) => Msg::BatchResumeLoaded(Box::new(info)),
            Err(e) => Msg::BatchFailed(format!("cannot load batch {batch_id}: {e}")),
        });
    });
}

/// Whether one line of text is meant as a file's path rather than a user id: it names a
/// `.csv`, `.txt` or `.tsv` file, starts with `~/`, `./` or `../`, or holds a `/` (or `\`)
/// and is neither an id nor a CSV row (no comma).
pub fn looks_like_path(line: &str) -> bool {
    let line = line.trim();
    let lower = line.to_ascii_lowercase();
    if [".csv", ".txt", ".tsv"].iter().any(|x| lower.ends_with(x)) {
        return true;
    }
    if ["~/", "./", "../"].iter().any(|p| line.starts_with(p)) {
        return true;
    }
    (line.contains('/') || line.contains('\\')) && !line.contains(',') && !lower.starts_with("usr-")
}

/// The file a path names: `~/` is the home directory, a relative path is taken from the
/// directory the console was started in.
fn resolve(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map_or_else(|| PathBuf::from(path), |d| d.home_dir().join(rest)),
        None => PathBuf::from(path),
    }
}

/// Why a path cannot be read as a batch, said so the operator can fix it.
fn unreadable(written: &str, path: &Path, error: &std::io::Error) -> String {
    let written = safe_text(written);
    let from = if path.is_relative() {
        std::env::current_dir()
            .map(|d| format!(" (relative to {})", safe_text(&d.display().to_string())))
            .unwrap_or_default()
    } else {
        String::new()
    };
    match error.kind() {
        std::io::ErrorKind::NotFound => format!("no such file: {written}{from}"),
        _ if path.is_dir() => format!("{written} is a folder: name a file in it{from}"),
        _ => format!("cannot read {written}: {error}"),
    }
}

/// Reads the pasted text (or the file it names) and checks every row against history
/// on the target the batch would go to. One line that looks like a path is read as a
/// file, and one that names nothing says "no such file" rather than being checked as an id.
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
        let path = resolve(trimmed);
        let (source, bytes) = if one_line && (path.is_file() || looks_like_path(trimmed)) {
            match std::fs::read(&path) {
                Ok(bytes) => (path.display().to_string(), bytes),
                Err(e) => {
                    let _ = tx.send(Msg::BatchPlanned {
                        source: path.display().to_string(),
                        result: Err(unreadable(trimmed, &path, &e)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_told_from_an_id_or_a_csv_row() {
        for path in [
            "ids.csv",
            "IDS.TXT",
            "~/ids",
            "./ids",
            "../batches/today",
            "/tmp/ids",
            "batches/today",
            "usr-list.csv",
        ] {
            assert!(looks_like_path(path), "{path}");
        }
        for not_path in [
            "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
            "usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6,full,https://example.com/done",
            "usr-123/456",
            "ids",
            "",
        ] {
            assert!(!looks_like_path(not_path), "{not_path}");
        }
    }

    #[test]
    fn a_missing_file_is_named_with_where_it_was_looked_for() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        let said = unreadable("nope/ids.csv", Path::new("nope/ids.csv"), &e);
        assert!(
            said.starts_with("no such file: nope/ids.csv (relative to "),
            "{said}"
        );
        let said = unreadable("/nope/ids.csv", Path::new("/nope/ids.csv"), &e);
        assert_eq!(said, "no such file: /nope/ids.csv");
    }
}
