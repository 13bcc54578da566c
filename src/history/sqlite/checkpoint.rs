//! Checkpoints on a thread of their own.
//!
//! SQLite copies the write-ahead log back into the file, and flushes both to disk, once the
//! log holds [`CHECKPOINT_FRAMES`] pages. Done by the connection that commits (SQLite's
//! default), that copy and its flushes hold the history for milliseconds, and every send
//! waiting to record a row waits with it, on the runtime's workers. Here the writing
//! connection only notes the log's length as it commits; past the threshold it wakes a
//! thread that copies the log on a connection of its own while sends go on, then, holding
//! the history for a moment, copies the few pages committed meanwhile, so that the next
//! write starts the log over. The settings, the threshold and the flushes are SQLite's as
//! before: only the thread that waits for them changes.

use std::cell::Cell;
use std::os::raw::c_int;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, PoisonError, Weak};
use std::thread::JoinHandle;

use rusqlite::hooks::Wal;
use rusqlite::{Connection, OpenFlags};

/// Log pages that call for a checkpoint: SQLite's own default.
pub(super) const CHECKPOINT_FRAMES: c_int = 1000;

/// Log pages past which the writing connection checkpoints itself, as SQLite would: the
/// thread is far behind, or gone.
const OVERDUE_FRAMES: c_int = 4 * CHECKPOINT_FRAMES;

thread_local! {
    /// The log's length after the last commit on this thread, noted by [`note_frames`].
    static LOG_FRAMES: Cell<c_int> = const { Cell::new(0) };
}

/// SQLite calls this as a commit ends, on the committing thread (the store reads it back
/// right after, on the same thread). Replaces SQLite's own checkpoint after commits.
fn note_frames(_: &Wal, frames: c_int) -> rusqlite::Result<()> {
    LOG_FRAMES.set(frames);
    Ok(())
}

/// The thread that checkpoints a store's file, and the way to wake it.
pub(super) struct Checkpointer {
    /// The log's length when the thread was last woken (0 once the log starts over).
    woken_at: AtomicI32,
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread for the file `conn` writes, and hands it the checkpoints. Without
    /// a thread (none could start), `conn` keeps checkpointing as it commits.
    pub(super) fn start(path: &Path, conn: &Connection, store: Weak<Mutex<Connection>>) -> Self {
        let (wake, woken) = sync_channel(1);
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("history-checkpoint".into())
            .spawn(move || run(&path, &store, &woken));
        match thread {
            Ok(thread) => {
                conn.wal_hook(Some(note_frames));
                Checkpointer {
                    woken_at: AtomicI32::new(0),
                    wake: Some(wake),
                    thread: Some(thread),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "no checkpoint thread: the history checkpoints as it commits");
                Checkpointer {
                    woken_at: AtomicI32::new(0),
                    wake: None,
                    thread: None,
                }
            }
        }
    }

    /// After a commit on `conn` (the store's connection, still held): wakes the thread for
    /// each [`CHECKPOINT_FRAMES`] pages added to the log, or checkpoints in place once the
    /// log is overdue (the thread far behind, or gone).
    pub(super) fn committed(&self, conn: &Connection) {
        let Some(wake) = &self.wake else {
            return;
        };
        let frames = LOG_FRAMES.take();
        if frames >= OVERDUE_FRAMES {
            checkpoint(conn);
            return;
        }
        // A log shorter than when the thread was woken has started over.
        let since = match self.woken_at.load(Ordering::Relaxed) {
            woken if woken <= frames => woken,
            _ => 0,
        };
        if frames - since < CHECKPOINT_FRAMES {
            self.woken_at.store(since, Ordering::Relaxed);
            return;
        }
        self.woken_at.store(frames, Ordering::Relaxed);
        if let Err(TrySendError::Disconnected(())) = wake.try_send(()) {
            checkpoint(conn);
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; its checkpoint, if one runs, ends first.
        self.wake.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: waits to be woken, copies the log on its own connection while the store
/// goes on writing, then copies what was committed meanwhile holding the store's connection,
/// so that the log is copied whole and the next write starts it over (a log copied only
/// while writes go on would never be whole, and would grow).
fn run(path: &Path, store: &Weak<Mutex<Connection>>, woken: &Receiver<()>) {
    let own = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(conn) => conn,
        Err(e) => {
            // The store finds the channel closed and checkpoints as it commits.
            tracing::warn!(error = %e, "the checkpoint thread cannot open the history");
            return;
        }
    };
    while woken.recv().is_ok() {
        checkpoint(&own);
        let Some(store) = store.upgrade() else {
            return;
        };
        let held = store.lock().unwrap_or_else(PoisonError::into_inner);
        // With nothing left to copy this neither copies nor flushes.
        checkpoint(&own);
        drop(held);
    }
}

/// A passive checkpoint: it never waits for readers or writers, and copies what it can.
fn checkpoint(conn: &Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "history checkpoint failed");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::SqliteStore;

    #[test]
    fn a_commit_leaves_the_copy_to_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("history.sqlite3")).unwrap();
        // SQLite reports 0 once its own checkpoint after commits is replaced.
        let after_commits: i64 = store
            .conn()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap();
        assert_eq!(after_commits, 0);
        assert!(store.checkpointer.thread.is_some());
    }
}
