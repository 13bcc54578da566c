//! `kyc-console sandbox`: the sandbox API on its own, until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use super::{EXIT_FAILED, EXIT_INVALID, emit};
use crate::cli::SandboxArgs;
use crate::sandbox::{LimiterKind, Sandbox, SandboxConfig, default_burst};

/// `kyc-console sandbox`: serve until Ctrl-C.
pub async fn sandbox(args: &SandboxArgs) -> ExitCode {
    let limiter = LimiterKind::from(args.limiter);
    if args.burst.is_some() && limiter != LimiterKind::Bucket {
        eprintln!(
            "error: --burst sizes a token bucket: add --limiter bucket, or leave --burst out \
             (a {} has no burst)",
            limiter.describe()
        );
        return ExitCode::from(EXIT_INVALID);
    }
    let config = SandboxConfig {
        api_key: args
            .api_key
            .clone()
            .unwrap_or_else(|| crate::sandbox::SANDBOX_API_KEY.to_string()),
        rate_limit: args.rate_limit.max(1),
        rate_window: Duration::from_secs(args.rate_window_secs),
        limiter,
        burst: args.burst,
        latency: Duration::from_millis(args.latency_ms),
        state_file: args.state_file.clone(),
        read_timeout: Duration::from_secs(args.read_timeout_secs),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs),
        idempotency_ttl: Duration::from_secs(args.idempotency_ttl_secs),
        max_idempotency_keys: args.max_idempotency_keys,
        ..SandboxConfig::default()
    };
    let sandbox = match Sandbox::start(config, args.port).await {
        Ok(s) => s,
        Err(e) => {
            match &args.state_file {
                Some(path) => eprintln!(
                    "error: cannot start the sandbox on 127.0.0.1:{} with state file {}: {e}",
                    args.port,
                    path.display()
                ),
                None => eprintln!(
                    "error: cannot listen on 127.0.0.1:{}: {e}\n  pick another with --port N (0 picks a free one)",
                    args.port
                ),
            }
            return ExitCode::from(EXIT_FAILED);
        }
    };
    for warning in sandbox.warnings() {
        eprintln!("warning: {}", super::shown(&warning.to_string()));
    }
    let memory = match &args.state_file {
        Some(path) => format!("kept in {}", path.display()),
        None => "this process only (--state-file PATH keeps it)".into(),
    };
    emit(&format!(
        "sandbox listening\n  base URL   {base}\n  endpoint   POST {endpoint}/kycs\n  API key    {key} (header x-api-key)\n  \
         rate limit {limit} {per} per key, {counted}\n  errors     user ids ending 000000000SSS get status SSS \
         (400 401 403 429 500 502 503 504)\n  memory     {memory}\npress Ctrl-C to stop\n",
        base = sandbox.base_url(),
        endpoint = sandbox.base_url().as_str().trim_end_matches('/'),
        key = sandbox.api_key(),
        limit = args.rate_limit.max(1),
        per = per_window(args.rate_window_secs),
        counted = counted(limiter, args.burst, args.rate_limit.max(1)),
    ));
    let _ = tokio::signal::ctrl_c().await;
    sandbox.stop().await;
    emit("sandbox stopped\n");
    ExitCode::SUCCESS
}

/// How the limit is counted, as the banner says it.
fn counted(limiter: LimiterKind, burst: Option<u32>, limit: u32) -> String {
    match limiter {
        LimiterKind::Bucket => format!(
            "token bucket (burst {})",
            burst.unwrap_or_else(|| default_burst(limit))
        ),
        other => other.describe().to_string(),
    }
}

/// The window as the banner says it: "a minute" by default.
fn per_window(secs: u64) -> String {
    match secs {
        60 => "a minute".into(),
        1 => "a second".into(),
        _ => format!("every {secs} s"),
    }
}
