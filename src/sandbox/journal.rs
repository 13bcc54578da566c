//! The state file: the sandbox's memory kept across restarts.
//!
//! The file is JSON Lines: a header line naming the format, then one [`Change`] a line. Each
//! change is written and fsynced before the response that reflects it goes out; changes
//! that arrive together share one fsync. On opening, the file is read, then rewritten whole
//! (one line per idempotency key) through a temporary file renamed over it; the same happens
//! while running once the file holds more than twice the lines its memory needs.
//!
//! Only newline-terminated lines count: a last line cut short by a crash was never
//! acknowledged, and is dropped with a warning. Anything else unreadable makes the sandbox
//! start with no memory and keep the file aside, renamed, rather than overwrite it.
//! A lock file beside it keeps a second sandbox from using the same file at once.
//!
//! Version 2 says when each idempotency key was first seen; a key whose time to live has
//! passed leaves the file when it is rewritten. A version 1 file is read, and rewritten as
//! version 2 with its keys counted from the moment it is opened.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::records::{Change, Snapshot, now_ms};
use crate::private_files;

/// The header's `format`.
const FORMAT: &str = "kyc-console sandbox state";
/// The header's `version`: the one written, and the oldest still read.
const VERSION: u32 = 2;
const OLDEST_VERSION: u32 = 1;
/// A file larger than this is not one the sandbox wrote; it is kept aside unread.
const MAX_FILE_BYTES: u64 = 1 << 30;
/// Changes written with one fsync at most.
const MAX_BATCH: usize = 1024;
/// How long opening waits for another sandbox to let go of the file.
const LOCK_WAIT: Duration = Duration::from_secs(1);
/// Lines the file may hold beyond twice what its memory needs before it is rewritten.
const COMPACT_SLACK: usize = 4096;

/// The first line of the file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    version: u32,
}

/// A state file opened: its writer, the memory it held, and what to tell the operator.
pub struct Opened {
    pub journal: Journal,
    pub memory: Snapshot,
    pub warnings: Vec<String>,
}

/// Writes changes to the state file, in a thread of its own.
pub struct Journal {
    sender: Mutex<Option<mpsc::UnboundedSender<Pending>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// A change waiting for its fsync.
struct Pending {
    line: Vec<u8>,
    change: Change,
    done: oneshot::Sender<Result<(), String>>,
}

impl Journal {
    /// Opens (or creates) the state file at `path`, creating its folder (owner only) if
    /// missing, and leaves out keys first seen `ttl` (milliseconds) or longer ago. Fails if
    /// the file cannot be read or written, or another sandbox uses it.
    pub fn open(path: &Path, ttl: u64) -> io::Result<Opened> {
        let dir = parent(path);
        create_private_dir(&dir)?;
        let lock = lock(path)?;
        let mut warnings = Vec::new();
        let mut memory = match read(path) {
            Ok(Loaded { memory, torn }) => {
                if torn {
                    warnings.push(format!(
                        "sandbox state file {}: dropped an incomplete last line (a write cut short, never answered)",
                        path.display()
                    ));
                }
                memory
            }
            Err(Unreadable::Io(e)) => return Err(e),
            Err(Unreadable::Content(why)) => {
                let aside = keep_aside(path)?;
                warnings.push(format!(
                    "sandbox state file {} is unreadable ({why}); it was kept as {} and the sandbox starts with no memory",
                    path.display(),
                    aside.display()
                ));
                Snapshot::default()
            }
        };
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        memory.expire(now_ms(), ttl);
        let (file, lines) = write_snapshot(path, &memory)?;
        let writer = Writer {
            path: path.to_path_buf(),
            ttl,
            file,
            memory: memory.clone(),
            lines,
            broken: None,
            _lock: lock,
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("sandbox-state".into())
            .spawn(move || writer.run(receiver))?;
        let journal = Journal {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
        };
        Ok(Opened {
            journal,
            memory,
            warnings,
        })
    }

    /// Writes `change` durably; the caller answers only once this returns `Ok`.
    pub async fn write(&self, change: Change) -> Result<(), String> {
        let mut line = serde_json::to_vec(&change).map_err(|e| e.to_string())?;
        line.push(b'\n');
        let (done, wait) = oneshot::channel();
        let pending = Pending { line, change, done };
        let sent = match guard(&self.sender).as_ref() {
            Some(sender) => sender.send(pending).is_ok(),
            None => false,
        };
        if !sent {
            return Err("the state file is closed".into());
        }
        wait.await
            .unwrap_or_else(|_| Err("the state file's writer stopped".into()))
    }

    /// Finishes the writes under way, then closes the file and releases its lock.
    pub fn close(&self) {
        guard(&self.sender).take();
        let thread = guard(&self.thread).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the sandbox state writer failed");
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.close();
    }
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The writer thread's side: the open file and a copy of the memory it holds.
struct Writer {
    path: PathBuf,
    /// How long a key is remembered, in milliseconds.
    ttl: u64,
    file: File,
    memory: Snapshot,
    /// Lines in the file, the header included.
    lines: usize,
    /// Why writing stopped for good: a failed write could not be undone.
    broken: Option<String>,
    _lock: File,
}

impl Writer {
    fn run(mut self, mut receiver: mpsc::UnboundedReceiver<Pending>) {
        while let Some(first) = receiver.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            let result = self.append(&batch);
            if let Err(e) = &result {
                tracing::error!(error = %e, "sandbox state not saved");
            }
            for pending in batch {
                let _ = pending.done.send(result.clone());
            }
        }
    }

    fn append(&mut self, batch: &[Pending]) -> Result<(), String> {
        if let Some(why) = &self.broken {
            return Err(why.clone());
        }
        let before = self
            .file
            .metadata()
            .map_err(|e| self.failed("cannot read the size of", &e))?
            .len();
        let bytes: Vec<u8> = batch.iter().flat_map(|p| p.line.iter().copied()).collect();
        if let Err(e) = self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
        {
            // Cut a partial line off, or the next line would join it and spoil the file.
            if let Err(undo) = self
                .file
                .set_len(before)
                .and_then(|()| self.file.sync_data())
            {
                self.broken = Some(self.failed("cannot repair", &undo));
            }
            return Err(self.failed("cannot write", &e));
        }
        for pending in batch {
            self.memory.apply(&pending.change);
        }
        self.lines += batch.len();
        if self.lines > 2 * (self.memory.keys.len() + 2) + COMPACT_SLACK {
            self.memory.expire(now_ms(), self.ttl);
            match write_snapshot(&self.path, &self.memory) {
                Ok((file, lines)) => (self.file, self.lines) = (file, lines),
                // The log as it is stays correct; it is rewritten at the next chance.
                Err(e) => tracing::warn!(error = %e, "sandbox state file not compacted"),
            }
        }
        Ok(())
    }

    fn failed(&self, what: &str, e: &io::Error) -> String {
        format!("{what} {}: {e}", self.path.display())
    }
}

/// The folder holding `path`.
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates `dir` and any missing parents, readable by the owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    private_files::create_dir_all(dir)
        .map_err(|e| context(e, &format!("cannot create {}", dir.display())))
}

/// Options for a new file readable by the owner only.
fn private() -> OpenOptions {
    private_files::options()
}

/// `path` with `suffix` added to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn context(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Takes the lock file beside `path`, held as long as the returned file is open.
fn lock(path: &Path) -> io::Result<File> {
    let lock_path = beside(path, ".lock");
    let file = private()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| context(e, &format!("cannot open {}", lock_path.display())))?;
    // A sandbox that just stopped may hold the lock a moment longer: a process being started
    // at that instant holds a copy of its descriptor until it runs its program.
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(TryLockError::WouldBlock) => {
                let why = format!(
                    "sandbox state file {} is in use by another sandbox",
                    path.display()
                );
                return Err(io::Error::new(io::ErrorKind::WouldBlock, why));
            }
            Err(TryLockError::Error(e)) => {
                return Err(context(e, &format!("cannot lock {}", lock_path.display())));
            }
        }
    }
}

struct Loaded {
    memory: Snapshot,
    /// Whether an unterminated last line was dropped.
    torn: bool,
}

enum Unreadable {
    /// The file could not be read at all.
    Io(io::Error),
    /// It was read, and is not a state file this sandbox can use.
    Content(String),
}

/// Reads the memory `path` holds; no file is an empty memory.
fn read(path: &Path) -> Result<Loaded, Unreadable> {
    let io = |e: io::Error| Unreadable::Io(context(e, &format!("cannot read {}", path.display())));
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Loaded {
                memory: Snapshot::default(),
                torn: false,
            });
        }
        Err(e) => return Err(io(e)),
    };
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(Unreadable::Content(format!(
            "{size} bytes, more than a state file holds"
        )));
    }
    let mut reader = BufReader::new(file);
    let mut memory = Snapshot::default();
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            return Ok(Loaded {
                memory,
                torn: false,
            });
        }
        number += 1;
        let bad = |why: String| Unreadable::Content(format!("line {number}: {why}"));
        if line.last() != Some(&b'\n') {
            // The header is written whole, with its file; only a change can be cut short,
            // and every change starts as an object does.
            if number == 1 || line.first() != Some(&b'{') {
                return Err(bad("no line end".into()));
            }
            return Ok(Loaded { memory, torn: true });
        }
        if number == 1 {
            let header: Header = serde_json::from_slice(&line).map_err(|e| bad(e.to_string()))?;
            if header.format != FORMAT || !(OLDEST_VERSION..=VERSION).contains(&header.version) {
                return Err(bad(format!(
                    "not a version {OLDEST_VERSION} to {VERSION} {FORMAT:?} file ({:?} version {})",
                    header.format, header.version
                )));
            }
            continue;
        }
        // serde would take an array for a struct too; the sandbox writes objects only.
        if line.first() != Some(&b'{') {
            return Err(bad("not a JSON object".into()));
        }
        let change: Change = serde_json::from_slice(&line).map_err(|e| bad(e.to_string()))?;
        if !change.is_valid() {
            return Err(bad("per-key counts without a key".into()));
        }
        memory.apply(&change);
    }
}

/// Renames the unreadable file at `path` to a name that says so, never over another file.
fn keep_aside(path: &Path) -> io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    for n in 0..1000 {
        let suffix = match n {
            0 => format!(".corrupt-{stamp}"),
            _ => format!(".corrupt-{stamp}-{n}"),
        };
        let aside = beside(path, &suffix);
        if aside.exists() {
            continue;
        }
        std::fs::rename(path, &aside).map_err(|e| {
            context(
                e,
                &format!("cannot keep the unreadable {} aside", path.display()),
            )
        })?;
        return Ok(aside);
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("too many unreadable copies beside {}", path.display()),
    ))
}

/// Writes `memory` whole to a temporary file, fsyncs it, renames it over `path` and
/// fsyncs the folder. Returns the file, open for appending, and the lines it holds.
fn write_snapshot(path: &Path, memory: &Snapshot) -> io::Result<(File, usize)> {
    let temp = beside(path, ".tmp");
    let failed = |e: io::Error| context(e, &format!("cannot write {}", temp.display()));
    match std::fs::remove_file(&temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(failed(e)),
        _ => {}
    }
    let file = private()
        .append(true)
        .create_new(true)
        .open(&temp)
        .map_err(failed)?;
    let mut out = BufWriter::new(file);
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
    };
    let mut lines = 0;
    serde_json::to_writer(&mut out, &header).map_err(io::Error::from)?;
    out.write_all(b"\n").map_err(failed)?;
    lines += 1;
    for change in memory.changes() {
        serde_json::to_writer(&mut out, &change).map_err(io::Error::from)?;
        out.write_all(b"\n").map_err(failed)?;
        lines += 1;
    }
    let file = out.into_inner().map_err(|e| failed(e.into_error()))?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&temp, path).map_err(|e| {
        context(
            e,
            &format!("cannot rename {} to {}", temp.display(), path.display()),
        )
    })?;
    sync_dir(&parent(path))?;
    Ok((file, lines))
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| context(e, &format!("cannot sync {}", dir.display())))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::records::KeyStats;

    const HEADER: &str = "{\"format\":\"kyc-console sandbox state\",\"version\":1}\n";
    const DAY: u64 = 24 * 60 * 60 * 1000;

    fn read_text(text: &[u8]) -> Result<Loaded, Unreadable> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    fn why(result: Result<Loaded, Unreadable>) -> String {
        match result {
            Err(Unreadable::Content(why)) => why,
            Err(Unreadable::Io(e)) => panic!("an I/O error: {e}"),
            Ok(read) => panic!("read: {:?}", read.memory),
        }
    }

    #[test]
    fn lines_fold_into_the_memory() {
        let text = format!(
            "{HEADER}{{\"requests\":1}}\n{{\"requests\":1,\"key\":\"k\",\"keyStats\":{{\"requests\":1,\"verifications\":0,\"replays\":1}}}}\n"
        );
        let read = read_text(text.as_bytes()).ok().unwrap();
        assert!(!read.torn);
        assert_eq!(read.memory.stats.requests, 2);
        assert_eq!(
            read.memory.keys["k"].stats,
            KeyStats {
                requests: 1,
                verifications: 0,
                replays: 1
            }
        );
    }

    #[test]
    fn an_unterminated_last_line_is_dropped() {
        let text = format!("{HEADER}{{\"requests\":1}}\n{{\"requests\":1,\"ke");
        let read = read_text(text.as_bytes()).ok().unwrap();
        assert!(read.torn);
        assert_eq!(read.memory.stats.requests, 1);
    }

    #[test]
    fn an_empty_file_is_an_empty_memory() {
        let read = read_text(b"").ok().unwrap();
        assert_eq!(read.memory, Snapshot::default());
    }

    #[test]
    fn garbage_a_foreign_header_or_a_bad_line_is_unreadable() {
        assert!(why(read_text(b"\xff\xfe\x00garbage\n")).starts_with("line 1"));
        assert!(why(read_text(b"garbage without a line end")).starts_with("line 1"));
        let torn_garbage = format!("{HEADER}\x00\x01");
        assert!(why(read_text(torn_garbage.as_bytes())).starts_with("line 2"));
        assert!(
            why(read_text(b"{\"format\":\"other\",\"version\":1}\n"))
                .contains("not a version 1 to 2")
        );
        let newer = "{\"format\":\"kyc-console sandbox state\",\"version\":3}\n";
        assert!(why(read_text(newer.as_bytes())).contains("version 3"));
        let bad = format!("{HEADER}{{\"requests\":1}}\n[1,2]\n");
        assert!(why(read_text(bad.as_bytes())).starts_with("line 3"));
        let orphan = format!(
            "{HEADER}{{\"keyStats\":{{\"requests\":1,\"verifications\":0,\"replays\":0}}}}\n"
        );
        assert!(why(read_text(orphan.as_bytes())).contains("without a key"));
        let unknown = format!("{HEADER}{{\"what\":1}}\n");
        assert!(why(read_text(unknown.as_bytes())).starts_with("line 2"));
    }

    #[tokio::test]
    async fn a_growing_file_is_rewritten_and_reopens_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let opened = Journal::open(&path, DAY).unwrap();
        assert!(opened.warnings.is_empty());
        let replay = Change {
            key: Some("k".into()),
            key_stats: KeyStats {
                requests: 1,
                verifications: 0,
                replays: 1,
            },
            ..Change::request()
        };
        let writes = COMPACT_SLACK + 100;
        let results =
            futures::future::join_all((0..writes).map(|_| opened.journal.write(replay.clone())))
                .await;
        assert!(results.iter().all(Result::is_ok));
        opened.journal.close();
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines < writes / 2, "{lines} lines after {writes} writes");

        let again = Journal::open(&path, DAY).unwrap();
        assert_eq!(again.memory.stats.requests, writes as u64);
        assert_eq!(again.memory.keys["k"].stats.replays, writes as u64);
        again.journal.close();
        assert!(again.journal.write(Change::request()).await.is_err());
    }

    #[tokio::test]
    async fn expired_keys_leave_the_file_when_it_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let opened = Journal::open(&path, DAY).unwrap();
        let change = |key: &str, since: u64| Change {
            key: Some(key.into()),
            since: Some(since),
            key_stats: KeyStats {
                requests: 1,
                ..KeyStats::default()
            },
            ..Change::request()
        };
        let old = now_ms() - DAY - 1;
        opened.journal.write(change("old", old)).await.unwrap();
        opened.journal.write(change("new", now_ms())).await.unwrap();
        // Enough changes to a live key to have the file rewritten while running.
        let results = futures::future::join_all(
            (0..COMPACT_SLACK + 100).map(|_| opened.journal.write(Change::request())),
        )
        .await;
        assert!(results.iter().all(Result::is_ok));
        opened.journal.close();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"old\""), "{text}");
        assert!(text.contains("\"new\""), "{text}");

        // A key expired while no sandbox ran leaves it on opening.
        std::thread::sleep(Duration::from_millis(5));
        let again = Journal::open(&path, 1).unwrap();
        assert!(again.memory.keys.is_empty());
        again.journal.close();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"new\""), "{text}");
    }

    #[test]
    fn a_version_1_file_is_read_and_its_keys_counted_from_now() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let text = format!(
            "{HEADER}{{\"requests\":1,\"key\":\"k\",\"keyStats\":{{\"requests\":1,\"verifications\":1,\"replays\":0}}}}\n"
        );
        std::fs::write(&path, text).unwrap();
        let before = now_ms();
        let opened = Journal::open(&path, DAY).unwrap();
        let since = opened.memory.keys["k"].since.unwrap();
        assert!(since >= before, "{since} < {before}");
        opened.journal.close();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"format\":\"kyc-console sandbox state\",\"version\":2}"));
        assert!(text.contains(&format!("\"since\":{since}")), "{text}");
    }
}
