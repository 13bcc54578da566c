//! Where the console keeps its files.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// The folders the console reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Settings (`config.toml`).
    pub config_dir: PathBuf,
    /// History and exports.
    pub data_dir: PathBuf,
    /// Log files.
    pub log_dir: PathBuf,
}

impl Paths {
    /// The platform's usual folders, or everything under `data_dir` when one is given.
    pub fn resolve(data_dir: Option<&Path>) -> Paths {
        if let Some(dir) = data_dir {
            return Paths::under(dir);
        }
        match ProjectDirs::from("xyz", "kyc-console", "kyc-console") {
            Some(dirs) => Paths {
                config_dir: dirs.config_dir().to_path_buf(),
                data_dir: dirs.data_dir().to_path_buf(),
                log_dir: dirs
                    .state_dir()
                    .unwrap_or_else(|| dirs.data_local_dir())
                    .join("logs"),
            },
            // No home directory: keep files beside the working directory.
            None => Paths::under(Path::new(".kyc-console")),
        }
    }

    /// Everything under one folder (tests, `--data-dir`).
    pub fn under(dir: &Path) -> Paths {
        Paths {
            config_dir: dir.to_path_buf(),
            data_dir: dir.to_path_buf(),
            log_dir: dir.join("logs"),
        }
    }

    /// The settings file looked for when `--config` is not given.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
}
