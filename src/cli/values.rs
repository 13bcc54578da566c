//! The values flags take, each a type of its own, and what each becomes in the core.

use clap::ValueEnum;

use crate::domain::KycType;
use crate::history::stats::Per;
use crate::logging::LogLevel;
use crate::sandbox::LimiterKind;

/// A KYC type, as `--type` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KycTypeArg {
    Full,
    Shipping,
    Rfi,
    Import,
}

impl From<KycTypeArg> for KycType {
    fn from(t: KycTypeArg) -> KycType {
        match t {
            KycTypeArg::Full => KycType::Full,
            KycTypeArg::Shipping => KycType::Shipping,
            KycTypeArg::Rfi => KycType::Rfi,
            KycTypeArg::Import => KycType::Import,
        }
    }
}

/// A log level, as `--log-level` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevelArg {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl From<LogLevelArg> for LogLevel {
    fn from(l: LogLevelArg) -> LogLevel {
        match l {
            LogLevelArg::Error => LogLevel::Error,
            LogLevelArg::Warn => LogLevel::Warn,
            LogLevelArg::Info => LogLevel::Info,
            LogLevelArg::Debug => LogLevel::Debug,
            LogLevelArg::Trace => LogLevel::Trace,
        }
    }
}

/// `--limiter`: how the sandbox counts requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LimiterArg {
    Fixed,
    Sliding,
    Bucket,
}

impl From<LimiterArg> for LimiterKind {
    fn from(arg: LimiterArg) -> Self {
        match arg {
            LimiterArg::Fixed => LimiterKind::Fixed,
            LimiterArg::Sliding => LimiterKind::Sliding,
            LimiterArg::Bucket => LimiterKind::Bucket,
        }
    }
}

/// A number that must not be zero (`unit` follows the 1 in the message). A zero
/// `--rate-window-secs` would restart its window on every request and never refuse.
pub(super) fn at_least_one<T>(text: &str, unit: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialEq + From<u8>,
    T::Err: std::fmt::Display,
{
    match text.parse::<T>() {
        Ok(n) if n == T::from(0) => Err(format!("must be at least 1{unit}")),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `--per`: the step of the `--stats` timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PerArg {
    Minute,
    Hour,
}

impl From<PerArg> for Per {
    fn from(arg: PerArg) -> Per {
        match arg {
            PerArg::Minute => Per::Minute,
            PerArg::Hour => Per::Hour,
        }
    }
}
