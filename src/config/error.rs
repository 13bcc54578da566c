//! Settings errors that name the file, the line and the setting.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with the settings, or with a key source when a profile is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    /// 1-based line in the file.
    pub line: Option<usize>,
    /// Dotted name, e.g. `profiles.prod.base_url`.
    pub setting: Option<String>,
    pub message: String,
    /// How many more problems the same file has (reported with the first one).
    pub more: usize,
}

impl ConfigError {
    pub fn plain(file: Option<&Path>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.map(Path::to_path_buf),
            line: None,
            setting: None,
            message: message.into(),
            more: 0,
        }
    }

    pub fn at(
        file: &Path,
        line: Option<usize>,
        setting: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: Some(file.to_path_buf()),
            line,
            setting: Some(setting.into()),
            message: message.into(),
            more: 0,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, " line {line}")?;
            }
            f.write_str(": ")?;
        }
        if let Some(setting) = &self.setting {
            write!(f, "{setting}: ")?;
        }
        f.write_str(&self.message)?;
        match self.more {
            0 => Ok(()),
            1 => f.write_str(" (and 1 more problem: `kyc-console config check` lists every one)"),
            n => write!(
                f,
                " (and {n} more problems: `kyc-console config check` lists every one)"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |head| head.bytes().filter(|b| *b == b'\n').count() + 1)
}
