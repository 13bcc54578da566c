//! Reaching the server: the URL read into a connection config (the password from its own
//! source, never shown), TLS with rustls, a pool that reconnects, and errors that name
//! the host and say what to do, never the password.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::config::Host;

use crate::history::HistoryError;

/// How long connecting may take before the store gives up (and nothing is sent).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections kept open at most.
const POOL_SIZE: usize = 8;

/// What every request on the store knows: where the server is (for messages) and who works
/// here (for the audit trail).
#[derive(Debug, Clone)]
pub(super) struct Ctx {
    /// `host:port/database`, never the user's password.
    pub place: String,
    /// The local operator, recorded with each event this store appends.
    pub operator: String,
}

impl Ctx {
    /// A failed statement, naming the server.
    pub fn fail(&self, e: &tokio_postgres::Error) -> HistoryError {
        HistoryError::Storage(format!("PostgreSQL at {}: {}", self.place, describe(e)))
    }

    /// A failure to get a connection: the server is down, unreachable, or refused us.
    pub fn unreachable(&self, e: &PoolError) -> HistoryError {
        let why = match e {
            PoolError::Backend(e) => describe(e),
            PoolError::Timeout(_) => {
                format!("no connection within {} s", (CONNECT_TIMEOUT * 2).as_secs())
            }
            other => other.to_string(),
        };
        HistoryError::Storage(format!(
            "cannot reach the history database at {} ({why}); nothing was sent. Check that \
             PostgreSQL is running and reachable from this machine and that the history URL \
             (history_url, --history-url or KYC_CONSOLE_HISTORY_URL) and its password are \
             right, then try again",
            self.place
        ))
    }
}

/// A driver error as one line: the server's own message when it sent one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                let more = s.to_string();
                if !text.contains(&more) {
                    text = format!("{text}: {more}");
                }
                source = s.source();
            }
            text
        }
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        // Not a URL we can read: show none of it, in case it holds a secret.
        Err(_) => "(a URL that does not parse)".to_string(),
    }
}

/// The connection config for `url`, with `password` (from its own source) when given.
pub(super) fn config(
    url: &str,
    password: Option<&str>,
) -> Result<(tokio_postgres::Config, String), HistoryError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
        HistoryError::Storage(format!(
            "the history URL {} is not a PostgreSQL URL: {e}",
            mask_url(url)
        ))
    })?;
    if let Some(password) = password {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("kyc-console");
    }
    config.keepalives(true);
    let place = place(&config);
    Ok((config, place))
}

/// `host:port/database`, for messages.
fn place(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// TLS with rustls and the machine's root certificates; used when the server offers it
/// (`sslmode=prefer`, the default) or demands it (`sslmode=require`).
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, HistoryError> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the store cannot use is left out; the others still verify.
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HistoryError::Storage(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A pool of connections made as needed: a connection found broken is replaced, so the
/// store reconnects once the server is back.
pub(super) fn pool(config: tokio_postgres::Config) -> Result<Pool, HistoryError> {
    let manager = Manager::from_config(
        config,
        tls()?,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(CONNECT_TIMEOUT))
        .wait_timeout(Some(CONNECT_TIMEOUT * 2))
        .build()
        .map_err(|e| HistoryError::Storage(format!("cannot set up the history database: {e}")))
}

#[cfg(test)]
mod tests {
    use super::{config, mask_url};

    #[test]
    fn a_password_never_reaches_a_message() {
        let url = "postgres://kyc:s3cret-pw@db.example:6543/audit";
        assert_eq!(mask_url(url), "postgres://kyc:***@db.example:6543/audit");
        let (_, place) = config(url, None).unwrap();
        assert_eq!(place, "db.example:6543/audit");
        let bad = config("postgres://kyc:s3cret-pw@db.example:notaport/x", None).unwrap_err();
        assert!(!bad.to_string().contains("s3cret"), "{bad}");
        assert!(!mask_url("not a url s3cret").contains("s3cret"));
    }

    #[test]
    fn the_password_may_come_from_elsewhere() {
        let (c, _) = config("postgres://kyc@db.example/audit", Some("from-env")).unwrap();
        assert_eq!(c.get_password(), Some(&b"from-env"[..]));
    }
}
