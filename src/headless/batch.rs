//! `kyc-console batch`: preview, confirm, record, send paced, report, resume.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use tokio::sync::watch;

use super::hints;
use super::{EXIT_FAILED, EXIT_INVALID, shown};
use crate::batch::{self, BatchEvent, Check, Control, Defaults, Plan};
use crate::cli::{BatchArgs, GlobalArgs};
use crate::domain::{KycType, OutcomeKind, RedirectUri, Stop, safe_text, safe_text_within};
use crate::history::BatchInfo;
use crate::history::export::outcome_text;
use crate::paths::Paths;
use crate::present::{describe_earlier, format_duration, format_rate};
use crate::production::{Answer, Confirmation, SendKind, accepts, confirmation};
use crate::session::Session;

/// Problem rows shown in the preview before "… and N more".
const PREVIEW_PROBLEMS: usize = 50;
/// The longest an input row's text is echoed in the preview, in bytes.
const ROW_ECHO: usize = 80;

pub async fn batch(global: &GlobalArgs, paths: &Paths, args: &BatchArgs) -> ExitCode {
    let session = match Session::open(&global.session_options(), paths).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}\nnothing was sent", shown(&e.to_string()));
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let code = match &args.resume {
        Some(id) => resume(global, &session, args, id).await,
        None => start(global, &session, args).await,
    };
    session.close().await;
    code
}

fn invalid(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {}\nnothing was sent", shown(&message.to_string()));
    ExitCode::from(EXIT_INVALID)
}

async fn start(global: &GlobalArgs, session: &Session, args: &BatchArgs) -> ExitCode {
    let Some(file) = &args.file else {
        return invalid("give a FILE (or - for standard input), or --resume BATCH_ID");
    };
    let (source, bytes) = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes) {
            return invalid(format!("cannot read standard input: {e}"));
        }
        ("standard input".to_string(), bytes)
    } else {
        match std::fs::read(file) {
            Ok(b) => (file.display().to_string(), b),
            Err(e) => return invalid(format!("cannot read {}: {e}", file.display())),
        }
    };
    let rows = match batch::read_input(&bytes) {
        Ok(rows) => rows,
        Err(e) => return invalid(format!("{source}: {e}")),
    };
    let kyc_type = args
        .kyc_type
        .map_or(session.config.default_type, KycType::from);
    let redirect_uri =
        match RedirectUri::parse_optional(args.redirect_uri.as_deref().unwrap_or_default()) {
            Ok(r) => r.map(|(u, _)| u),
            Err(e) => return invalid(format!("--redirect-uri: {e}")),
        };
    let defaults = Defaults {
        kyc_type,
        redirect_uri,
    };
    let plan = match batch::plan(&rows, &defaults, session.store.as_ref(), &session.to.target) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    eprint!("{}", shown(&describe_plan(&plan, &source, session)));
    for held in plan.holding_batches() {
        eprintln!(
            "batch {} holds rows of this input and is not finished: resume it with `{}`",
            safe_text(&held),
            hints::command(global, session, &format!("batch --resume {held}"))
        );
    }
    let counts = plan.counts();
    if args.preview {
        return ExitCode::SUCCESS;
    }
    if counts.valid == 0 && counts.invalid == 0 {
        // Re-running a finished file: every row is already initiated, held, or repeated.
        eprintln!(
            "nothing to send: every row is already initiated, held by another submission, or a duplicate"
        );
        return ExitCode::SUCCESS;
    }
    if counts.valid == 0 {
        return invalid("no valid row to send");
    }
    if let Err(code) = confirm(session, args, counts.valid).await {
        return code;
    }
    let recorded = match batch::record(session.store.as_ref(), &session.to, &plan, &source) {
        Ok(v) => v,
        Err(e) => return invalid(format!("cannot record the batch: {e}")),
    };
    let batch_id = recorded.batch_id;
    for (line, earlier) in &recorded.skipped {
        eprintln!(
            "line {line}: skipped, held since the preview by {}",
            describe_earlier(earlier)
        );
    }
    eprintln!(
        "batch {batch_id}: {} row(s) recorded with their idempotency keys; if interrupted, \
         finish it with `{}`",
        recorded.jobs.len(),
        hints::command(global, session, &format!("batch --resume {batch_id}"))
    );
    let skipped = recorded.skipped.len();
    send(
        global,
        session,
        args,
        &batch_id,
        recorded.jobs,
        Some(&plan),
        skipped,
    )
    .await
}

async fn resume(global: &GlobalArgs, session: &Session, args: &BatchArgs, id: &str) -> ExitCode {
    let info = match session.store.batch(id) {
        Ok(info) => info,
        // No such batch, or a history that cannot be read: 1, as `--help` says.
        Err(e) => {
            eprintln!("error: {}\nnothing was sent", shown(&e.to_string()));
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let target = info
        .rows
        .first()
        .map(|r| r.id)
        .map(|first| session.store.get(first));
    if let Some(Ok(first)) = target
        && first.new.target != session.to.target
    {
        let reach = hints::Reach {
            profile: &info.batch.profile,
            base_url: &first.new.base_url,
            key_env: first.new.key_env.as_deref(),
        };
        let command = hints::command_to(global, session, &reach, &format!("batch --resume {id}"));
        return invalid(format!(
            "batch {id} was sent to {} (profile {}), not to {}: run `{command}`",
            first.new.target, info.batch.profile, session.to.target
        ));
    }
    let jobs = batch::unfinished_jobs(&info);
    eprintln!(
        "batch {}: {} of {} row(s) have no settled outcome (never sent, cut off, or unknown); \
         each is sent again with its own idempotency key, so none can be initiated twice",
        safe_text(id),
        jobs.len(),
        info.rows.len()
    );
    if !jobs.is_empty()
        && let Err(code) = confirm(session, args, jobs.len()).await
    {
        return code;
    }
    send(global, session, args, id, jobs, None, 0).await
}

/// Asks before sending: y/N, or the profile's name for production.
async fn confirm(session: &Session, args: &BatchArgs, rows: usize) -> Result<(), ExitCode> {
    let profile = &session.profile;
    let needed = confirmation(profile.production, SendKind::Batch);
    let given = [
        args.yes.then_some(Answer::Yes),
        args.confirm.as_deref().map(Answer::Name),
    ];
    if given
        .into_iter()
        .flatten()
        .any(|answer| accepts(needed, &profile.name, answer))
    {
        return Ok(());
    }
    if needed == Confirmation::ProfileName {
        if args.confirm.is_some() {
            return Err(invalid(format!(
                "--confirm must repeat the profile's name, {}",
                profile.name
            )));
        }
        if !std::io::stdin().is_terminal() {
            return Err(invalid(format!(
                "profile {} is PRODUCTION: add --confirm {} to send {rows} verification(s)",
                profile.name, profile.name
            )));
        }
        let answer = ask(format!(
            "Send {rows} verification(s) to PRODUCTION ({})? Type the profile name to confirm: ",
            profile.describe_target()
        ))
        .await;
        return if accepts(needed, &profile.name, Answer::Name(&answer)) {
            Ok(())
        } else {
            Err(invalid("not confirmed"))
        };
    }
    if !std::io::stdin().is_terminal() {
        return Err(invalid(format!(
            "add --yes to send {rows} verification(s) without a prompt"
        )));
    }
    let answer = ask(format!(
        "Send {rows} verification(s) to {}? [y/N] ",
        profile.name
    ))
    .await;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(invalid("not confirmed"))
    }
}

async fn ask(question: String) -> String {
    eprint!("{}", shown(&question));
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        line
    })
    .await
    .unwrap_or_default()
}

/// The preview: counts, then every row that will not be sent and why.
pub fn describe_plan(plan: &Plan, source: &str, session: &Session) -> String {
    let c = plan.counts();
    let source = safe_text(source);
    let mut out = format!(
        "{source}: {} row(s): {} to send, {} invalid, {} duplicate, {} already initiated, {} held by another submission\n\
         target: profile {} ({}){}\n",
        plan.rows.len(),
        c.valid,
        c.invalid,
        c.duplicate,
        c.initiated,
        c.held,
        safe_text(&session.profile.name),
        safe_text(&session.profile.describe_target()),
        if session.profile.production {
            " PRODUCTION"
        } else {
            ""
        }
    );
    let problems: Vec<_> = plan
        .rows
        .iter()
        .filter(|r| r.check != Check::Valid)
        .collect();
    for row in problems.iter().take(PREVIEW_PROBLEMS) {
        let _ = writeln!(
            out,
            "  line {:>5}  {:<40}  {}",
            row.line,
            safe_text_within(&row.written, ROW_ECHO),
            safe_text(&row.check.describe())
        );
    }
    if problems.len() > PREVIEW_PROBLEMS {
        let _ = writeln!(out, "  … and {} more", problems.len() - PREVIEW_PROBLEMS);
    }
    out
}

async fn send(
    global: &GlobalArgs,
    session: &Session,
    args: &BatchArgs,
    batch_id: &str,
    jobs: Vec<batch::Job>,
    plan: Option<&Plan>,
    skipped: usize,
) -> ExitCode {
    let total = jobs.len();
    let (control_tx, control_rx) = watch::channel(Control::Run);
    let stopper = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: no new rows are sent; rows in flight finish");
            let _ = control_tx.send(Control::Stop);
        }
    });
    let bar = progress_bar(total);
    let started = Instant::now();
    // The runner goes on a worker thread of its own: the rows' events then reach it without
    // waking this thread, which only waits for the end.
    let runner = {
        let to = session.to.clone();
        let store = session.store.clone();
        let bar = bar.clone();
        let concurrency = args.concurrency;
        tokio::spawn(async move {
            let mut counts: BTreeMap<OutcomeKind, usize> = BTreeMap::new();
            let summary = batch::run(&to, store, jobs, concurrency, control_rx, |event| {
                on_event(event, &mut counts, bar.as_ref());
            })
            .await;
            (summary, counts)
        })
    };
    let summary = match runner.await {
        Ok((summary, _)) => summary,
        Err(e) => {
            eprintln!("error: the batch stopped on an internal error: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    stopper.abort();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let info = match session.store.batch(batch_id) {
        Ok(info) => info,
        Err(e) => {
            eprintln!("error: {}", shown(&e.to_string()));
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if let Some(out) = &args.out {
        match batch::result_lines(plan, &info, session.store.as_ref()) {
            Ok(lines) => match batch::write_results(out, &lines) {
                Ok(()) => eprintln!("results: {} ({} line(s))", out.display(), lines.len()),
                Err(e) => eprintln!("error: cannot write {}: {e}", out.display()),
            },
            Err(e) => eprintln!(
                "error: cannot write {}: {}",
                out.display(),
                shown(&e.to_string())
            ),
        }
    }
    let resume = hints::command(global, session, &format!("batch --resume {batch_id}"));
    if let Some(Stop::WaitTooLong {
        asked_secs,
        max_wait_secs,
    }) = summary.halted
    {
        eprintln!(
            "stopped sending: the server asked to wait {asked_secs} s, more than max_wait_secs \
             {max_wait_secs}; rows in flight finished and {} row(s) were not sent; resume later \
             with `{resume}`",
            summary.not_sent
        );
    }
    eprint!(
        "{}",
        shown(&summary_text(
            &info,
            started.elapsed(),
            summary.dispatched,
            batch_id,
            &resume
        ))
    );
    let all_initiated = info
        .rows
        .iter()
        .all(|r| r.outcome == Some(OutcomeKind::Initiated));
    // Invalid rows were never sent, so never initiated either.
    let any_invalid = plan.is_some_and(|p| p.counts().invalid > 0);
    if all_initiated && summary.not_sent == 0 && !any_invalid && skipped == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

/// What the command shows of a row's event: the bar's count and outcomes, a failed row's
/// line, a wait.
fn on_event(
    event: BatchEvent,
    counts: &mut BTreeMap<OutcomeKind, usize>,
    bar: Option<&ProgressBar>,
) {
    match event {
        BatchEvent::RowFinished { exchange, .. } => {
            *counts.entry(exchange.outcome()).or_default() += 1;
            if let Some(bar) = bar {
                bar.inc(1);
                bar.set_message(counts_text(counts));
            }
        }
        BatchEvent::RowFailed { line, error, .. } => {
            let text = format!("line {line}: {}", shown(&error.to_string()));
            match bar {
                Some(bar) => bar.println(text),
                None => eprintln!("{text}"),
            }
        }
        BatchEvent::Waiting { until, reason } => {
            let wait = until.saturating_duration_since(Instant::now());
            let text = format!("{} ({})", safe_text(&reason), format_duration(wait));
            match bar {
                Some(bar) => bar.set_message(text),
                None => eprintln!("{text}"),
            }
        }
        BatchEvent::RowStarted { .. } | BatchEvent::Attempt { .. } => {}
    }
}

fn progress_bar(total: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    bar.set_style(progress_style());
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// The bar, the count, the rate rounded as every rate the CLI prints, and the time left.
fn progress_style() -> ProgressStyle {
    ProgressStyle::with_template("{bar:30} {pos}/{len} {rate} eta {eta} {msg}")
        .map(|style| {
            style.with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&format_rate(state.per_sec()));
                },
            )
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn counts_text(counts: &BTreeMap<OutcomeKind, usize>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{n} {}", k.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closing summary: every row's state, the rate, and the command that settles what is
/// left (rows never sent and rows of unknown outcome alike).
fn summary_text(
    info: &BatchInfo,
    took: Duration,
    dispatched: usize,
    batch_id: &str,
    resume: &str,
) -> String {
    let mut by_outcome: BTreeMap<String, usize> = BTreeMap::new();
    for row in &info.rows {
        *by_outcome.entry(outcome_text(row)).or_default() += 1;
    }
    let parts: Vec<String> = by_outcome.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let rate = format_rate(dispatched as f64 / took.as_secs_f64());
    let mut out = format!(
        "batch {batch_id}: {} row(s): {}; sent {dispatched} in {} ({rate})\n",
        info.rows.len(),
        parts.join(", "),
        format_duration(took)
    );
    let unsent = info.unfinished().filter(|r| !r.dispatched()).count();
    let unknown = info.unfinished().count() - unsent;
    if unsent + unknown > 0 {
        let _ = writeln!(
            out,
            "{unknown} row(s) of unknown outcome and {unsent} never sent: `{resume}` sends them again, each with its own key (none can be initiated twice)"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::{ProgressDrawTarget, TermLike};
    use std::sync::{Arc, Mutex};

    /// A terminal that keeps what the bar wrote.
    #[derive(Debug, Clone, Default)]
    struct Captured(Arc<Mutex<String>>);

    impl TermLike for Captured {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(&format!("{s}\n"));
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The words of `text` that are rates.
    fn rates(text: &str) -> Vec<String> {
        text.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter(|w| w.ends_with("/s") || w.ends_with("/min"))
            .map(str::to_string)
            .collect()
    }

    /// Digits with at most one decimal, then the unit.
    fn rounded(rate: &str) -> bool {
        let number = rate.trim_end_matches("/s").trim_end_matches("/min");
        let number = number.strip_prefix('<').unwrap_or(number);
        let (whole, decimals) = number.split_once('.').unwrap_or((number, ""));
        !whole.is_empty()
            && whole.chars().all(|c| c.is_ascii_digit())
            && decimals.len() <= 1
            && decimals.chars().all(|c| c.is_ascii_digit())
    }

    #[test]
    fn the_progress_bar_rounds_its_rate() {
        let term = Captured::default();
        let bar = ProgressBar::with_draw_target(
            Some(3),
            ProgressDrawTarget::term_like(Box::new(term.clone())),
        );
        bar.set_style(progress_style());
        bar.inc(3);
        bar.finish();
        let shown = term.0.lock().unwrap().clone();
        let found = rates(&shown);
        assert!(!found.is_empty(), "no rate in {shown:?}");
        for rate in found {
            assert!(
                rounded(&rate),
                "{rate} is not rounded for people: {shown:?}"
            );
        }
    }

    #[test]
    fn the_summary_rounds_its_rate() {
        let info = BatchInfo {
            batch: crate::history::NewBatch {
                id: "b1".into(),
                created_at: chrono::Utc::now(),
                operator: "op".into(),
                profile: "sandbox".into(),
                source: "ids.txt".into(),
            },
            rows: Vec::new(),
        };
        let text = summary_text(&info, Duration::from_millis(1337), 3, "b1", "resume");
        assert!(text.contains("sent 3 in 1.3 s (2.2/s)"), "{text}");
        let text = summary_text(&info, Duration::from_secs(4), 120, "b1", "resume");
        assert!(text.contains("(30/s)"), "{text}");
        let text = summary_text(&info, Duration::from_secs(120), 1, "b1", "resume");
        assert!(text.contains("(0.5/min)"), "{text}");
    }
}
