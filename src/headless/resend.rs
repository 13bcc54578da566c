//! `replay` and `retry`: a stored submission sent again, to the target it went to unless
//! another is named with `--profile` or `--base-url` (and then both are printed).

use std::process::ExitCode;

use serde_json::json;

use super::history::{load, open_store};
use super::{
    EXIT_INVALID, cancel_on_ctrl_c, describe_exchange, emit, emit_text, exchange_json, exit_for,
    hints, open_for_sending, progress_printer, refusal, shown, submission_json,
};
use crate::cli::{GlobalArgs, IdArgs};
use crate::domain::OutcomeKind;
use crate::history::Submission;
use crate::paths::Paths;
use crate::send::{self, Consent};
use crate::session::Session;
use crate::target::CUSTOM_PROFILE;

/// Opens the original's target (or the one named), saying where the send goes.
async fn open_for(
    global: &GlobalArgs,
    paths: &Paths,
    original: &Submission,
) -> Result<Session, ExitCode> {
    let mut chosen = global.clone();
    let named = global.profile.is_some() || global.base_url.is_some();
    if !named {
        if original.new.profile == CUSTOM_PROFILE {
            if chosen.api_key_env.is_none() {
                chosen.api_key_env.clone_from(&original.new.key_env);
            }
            if chosen.api_key_env.is_none() {
                eprintln!(
                    "error: submission #{} went to {} (an ad-hoc target): add --api-key-env NAME \
                     with the variable that holds its key, or name another target with --profile\n\
                     nothing was sent",
                    original.id,
                    shown(&original.new.base_url)
                );
                return Err(ExitCode::from(EXIT_INVALID));
            }
            chosen.base_url = Some(original.new.base_url.clone());
        } else {
            chosen.profile = Some(original.new.profile.clone());
        }
    }
    let session = open_for_sending(&chosen, paths).await?;
    if named && session.to.target != original.new.target {
        eprintln!(
            "sending to profile {} ({}); the original #{} went to profile {} ({})",
            shown(&session.profile.name),
            shown(&session.to.target),
            original.id,
            shown(&original.new.profile),
            shown(&original.new.target)
        );
    } else {
        eprintln!(
            "sending to the original's target: profile {} ({})",
            shown(&session.profile.name),
            shown(&session.to.target)
        );
    }
    Ok(session)
}

/// The stored submission and a session open on its target (or the one named).
async fn original_and_target(
    global: &GlobalArgs,
    paths: &Paths,
    id: i64,
) -> Result<(Submission, Session), ExitCode> {
    let original = load(open_store(global, paths)?.as_ref(), id)?;
    let session = open_for(global, paths, &original).await?;
    Ok((original, session))
}

/// `kyc-console replay ID`: the stored request as a new submission, beside the original.
pub async fn replay(global: &GlobalArgs, paths: &Paths, args: &IdArgs) -> ExitCode {
    let (original, session) = match original_and_target(global, paths, args.id).await {
        Ok(found) => found,
        Err(code) => return code,
    };
    let code = replay_in(global, &session, &original, args).await;
    session.close().await;
    code
}

async fn replay_in(
    global: &GlobalArgs,
    session: &Session,
    original: &Submission,
    args: &IdArgs,
) -> ExitCode {
    let request = match original.request() {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: submission #{} cannot be rebuilt ({}); nothing was sent",
                original.id,
                shown(&e.to_string())
            );
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let consent = Consent {
        production: args.yes,
        duplicate: args.allow_duplicate,
    };
    let cancel = cancel_on_ctrl_c();
    let sent = send::send_new(
        &session.to,
        session.store.clone(),
        &request,
        Some(original.id),
        consent,
        &cancel,
        progress_printer(!args.json),
    )
    .await;
    let (id, exchange) = match sent {
        Ok(v) => v,
        Err(e) => return refusal(global, session, &e),
    };
    let before = original.exchange();
    if args.json {
        let mut new = exchange_json(&exchange, &session.profile.name, &[]);
        new["submission_id"] = json!(id);
        emit(&format!(
            "{:#}\n",
            json!({"original": submission_json(original), "replay": new})
        ));
    } else {
        let line = |label: &str, id: i64, outcome: Option<OutcomeKind>, title: String| {
            format!(
                "{label:<9} #{id:<6} {:<14} {title}\n",
                outcome.map_or("no outcome", OutcomeKind::label)
            )
        };
        emit_text(&line(
            "original",
            original.id,
            original.outcome,
            before.explanation().title,
        ));
        emit_text(&line(
            "replay",
            id,
            Some(exchange.outcome()),
            exchange.explanation().title,
        ));
        emit("\n");
        emit_text(&describe_exchange(&exchange));
        if let Some(command) = hints::retry_later(global, session, id, &exchange) {
            emit_text(&format!("  {:<13} `{command}`\n", "retry later"));
        }
    }
    ExitCode::from(exit_for(&exchange))
}

/// `kyc-console retry ID`: the same request with its own key, to learn an unknown outcome.
pub async fn retry(global: &GlobalArgs, paths: &Paths, args: &IdArgs) -> ExitCode {
    let (_, session) = match original_and_target(global, paths, args.id).await {
        Ok(found) => found,
        Err(code) => return code,
    };
    let cancel = cancel_on_ctrl_c();
    let consent = Consent {
        production: args.yes,
        duplicate: false,
    };
    let sent = send::send_again(
        &session.to,
        session.store.clone(),
        args.id,
        consent,
        &cancel,
        progress_printer(!args.json),
    )
    .await;
    let code = match sent {
        Ok(exchange) => {
            let retry_later = hints::retry_later(global, &session, args.id, &exchange);
            if args.json {
                let mut out = exchange_json(&exchange, &session.profile.name, &[]);
                out["submission_id"] = json!(args.id);
                out["retry_command"] = json!(retry_later);
                emit(&format!("{out:#}\n"));
            } else {
                emit_text(&describe_exchange(&exchange));
                if let Some(command) = retry_later {
                    emit_text(&format!("  {:<13} `{command}`\n", "retry later"));
                }
            }
            ExitCode::from(exit_for(&exchange))
        }
        Err(e) => refusal(global, &session, &e),
    };
    session.close().await;
    code
}
