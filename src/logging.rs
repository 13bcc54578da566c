//! Logs go to a daily file, never to the terminal (which belongs to the console).
//!
//! The files are `kyc-console.log.YYYY-MM-DD` (UTC) in the log folder, readable by their
//! owner only, as is the folder. Files older than the days to keep are deleted when logging
//! starts and each time a new day's file is opened.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};
use tracing_subscriber::EnvFilter;

use crate::private_files;

/// The environment variable that sets the log level when `--log-level` is absent.
pub const LOG_ENV: &str = "KYC_CONSOLE_LOG";
/// The environment variable that sets the days logs are kept when `--log-keep-days` is
/// absent.
pub const LOG_KEEP_DAYS_ENV: &str = "KYC_CONSOLE_LOG_KEEP_DAYS";
/// Days logs are kept unless told otherwise.
pub const DEFAULT_LOG_KEEP_DAYS: u32 = 14;
/// Log file names: this, a dot and the day.
pub const LOG_FILE_PREFIX: &str = "kyc-console.log";

/// How much the log file records of the console's own events (other crates: warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot create the log directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
}

/// Starts file logging at `level` (the command line reads it from `--log-level` or
/// [`LOG_ENV`]; info when neither is given), keeping `keep_days` days of files (today's
/// included). Each line is written to the file as it is logged, whole, by the thread that
/// logs it: a line logged is in the file even if the process dies next (a panic's report
/// included), and logging wakes no other thread (a batch logs a few lines a row).
pub fn init(log_dir: &Path, level: Option<LogLevel>, keep_days: u32) -> Result<(), LogError> {
    private_files::create_dir_all(log_dir).map_err(|source| LogError::Dir {
        path: log_dir.display().to_string(),
        source,
    })?;
    let level = level.unwrap_or_default().as_str();
    let filter = EnvFilter::try_new(format!("warn,kyc_console={level}"))
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    let daily = DailyFile::new(log_dir, keep_days);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(daily))
        .with_ansi(false)
        .try_init();
    Ok(())
}

/// Replaces the standard panic message with a report in the log: what panicked, where, in
/// which thread, and a backtrace (captured whatever `RUST_BACKTRACE` says). The terminal
/// gets one line saying where the report is. The console adds its own hook in front of this
/// one, which gives the terminal back first, so the line lands on a usable terminal.
pub fn install_panic_hook(log_dir: &Path) {
    let dir = log_dir.to_path_buf();
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        let message = panic_message(info);
        let place = info
            .location()
            .map_or_else(|| "an unknown place".to_string(), ToString::to_string);
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed");
        tracing::error!(
            target: "kyc_console::panic",
            "panicked in thread {thread:?} at {place}: {}\nstack backtrace:\n{backtrace}",
            crate::domain::safe_lines(&message, crate::domain::LINE_LIMIT)
        );
        eprintln!(
            "error: kyc-console stopped on an internal error at {place}: {}\n  \
             the report, with a backtrace, is in the log in {} (please attach it to a bug report)",
            crate::domain::safe_text_within(&message, crate::domain::LINE_LIMIT),
            dir.display()
        );
    }));
}

/// The text a panic was raised with.
fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    info.payload_as_str()
        .map_or_else(|| "(no message)".to_string(), str::to_string)
}

/// The path of the log file for `day`.
pub fn log_file(log_dir: &Path, day: NaiveDate) -> PathBuf {
    log_dir.join(format!("{LOG_FILE_PREFIX}.{}", day.format("%Y-%m-%d")))
}

/// Deletes the log files in `log_dir` more than `keep_days - 1` days older than `today`;
/// other files are left alone. Returns how many were deleted.
pub fn prune(log_dir: &Path, today: NaiveDate, keep_days: u32) -> usize {
    let Ok(entries) = std::fs::read_dir(log_dir) else {
        return 0;
    };
    let prefix = format!("{LOG_FILE_PREFIX}.");
    let mut deleted = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(day) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        if (today - day).num_days() >= i64::from(keep_days.max(1))
            && std::fs::remove_file(entry.path()).is_ok()
        {
            deleted += 1;
        }
    }
    deleted
}

/// The day's log file, opened afresh when the day changes. Opened to append, so each line,
/// written with one call, lands whole after the others (another console's included).
struct DailyFile {
    dir: PathBuf,
    keep_days: u32,
    open: Option<(NaiveDate, File)>,
}

impl DailyFile {
    /// Today's file, opened (and the old ones deleted) at once; a failure is tried again
    /// at the first line written.
    fn new(dir: &Path, keep_days: u32) -> DailyFile {
        let mut daily = DailyFile {
            dir: dir.to_path_buf(),
            keep_days,
            open: None,
        };
        let _ = daily.file();
        daily
    }

    fn file(&mut self) -> io::Result<&mut File> {
        let today = Utc::now().date_naive();
        if self.open.as_ref().is_none_or(|(day, _)| *day != today) {
            self.open = None;
            prune(&self.dir, today, self.keep_days);
            let file = private_files::append(&log_file(&self.dir, today))?;
            self.open = Some((today, file));
        }
        match &mut self.open {
            Some((_, file)) => Ok(file),
            None => Err(io::Error::other("no log file")),
        }
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.open {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_in_the_file_as_soon_as_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut daily = DailyFile::new(dir.path(), 14);
        let path = log_file(dir.path(), Utc::now().date_naive());
        daily.write_all(b"one\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\n");
        daily.write_all(b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    }

    #[test]
    fn old_log_files_are_deleted_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        let day = |n: u64| today - chrono::Days::new(n);
        for n in [0, 1, 13, 14, 400] {
            std::fs::write(log_file(dir.path(), day(n)), "x").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        std::fs::write(dir.path().join("kyc-console.log.backup"), "mine").unwrap();
        assert_eq!(prune(dir.path(), today, 14), 2);
        for n in [0, 1, 13] {
            assert!(log_file(dir.path(), day(n)).exists(), "day -{n}");
        }
        for n in [14, 400] {
            assert!(!log_file(dir.path(), day(n)).exists(), "day -{n}");
        }
        assert!(dir.path().join("notes.txt").exists());
        assert!(dir.path().join("kyc-console.log.backup").exists());
        assert_eq!(prune(dir.path(), today, 1), 2, "only today's is kept");
    }
}
