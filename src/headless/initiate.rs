//! `kyc-console initiate`: one verification, validated like the form, sent like the console.

use std::process::ExitCode;

use serde_json::json;

use super::{
    EXIT_INVALID, cancel_on_ctrl_c, describe_exchange, emit, emit_text, exchange_json, exit_for,
    hints, open_for_sending, progress_printer, refusal, shown,
};
use crate::cli::{GlobalArgs, InitiateArgs};
use crate::domain::{FormField, InitiateRequest, KycType, RedirectUri, UserId};
use crate::paths::Paths;
use crate::send::{self, Consent};

/// A field the operator got wrong, with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: FormField,
    pub message: String,
    pub hint: &'static str,
}

/// Validates the command's fields with the domain's rules.
pub fn validate(args: &InitiateArgs) -> Result<(InitiateRequest, Vec<String>), InputError> {
    let mut notes = Vec::new();
    let (user_id, norm) = UserId::parse(&args.user_id).map_err(|e| InputError {
        field: FormField::UserId,
        message: e.to_string(),
        hint: "expected usr- followed by a v4 UUID, e.g. usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
    })?;
    if let Some(note) = norm.note() {
        notes.push(format!("user id: {note}"));
    }
    let kyc_type = KycType::from(args.kyc_type);
    let redirect = RedirectUri::parse_optional(args.redirect_uri.as_deref().unwrap_or_default())
        .map_err(|e| InputError {
            field: FormField::RedirectUri,
            message: e.to_string(),
            hint: "pass an absolute URI such as https://example.com/kyc-done, or leave it out",
        })?;
    let redirect_uri = redirect.map(|(uri, warning)| {
        if let Some(w) = warning {
            notes.push(format!("redirect URI: {}", w.message()));
        }
        uri
    });
    Ok((
        InitiateRequest {
            user_id,
            kyc_type,
            redirect_uri,
        },
        notes,
    ))
}

/// `kyc-console initiate`: validate, send (with retries), print, and exit 0/1/2.
pub async fn initiate(global: &GlobalArgs, paths: &Paths, args: &InitiateArgs) -> ExitCode {
    let (request, notes) = match validate(args) {
        Ok(v) => v,
        Err(e) => {
            if args.json {
                let out = json!({
                    "sent": false,
                    "outcome": "invalid",
                    "error": {"field": e.field, "message": e.message, "hint": e.hint},
                });
                emit(&format!("{out:#}\n"));
            } else {
                eprintln!(
                    "error: {}: {}\n  {}\nnothing was sent",
                    e.field.label(),
                    shown(&e.message),
                    e.hint
                );
            }
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let session = match open_for_sending(global, paths).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !args.json {
        for note in &notes {
            eprintln!("note: {}", shown(note));
        }
    }
    let cancel = cancel_on_ctrl_c();
    let consent = Consent {
        production: args.yes,
        duplicate: args.allow_duplicate,
    };
    let sent = send::send_new(
        &session.to,
        session.store.clone(),
        &request,
        None,
        consent,
        &cancel,
        progress_printer(!args.json),
    )
    .await;
    let code = match sent {
        Ok((id, exchange)) => {
            let retry_later = hints::retry_later(global, &session, id, &exchange);
            if args.json {
                let mut out = exchange_json(&exchange, &session.profile.name, &notes);
                out["submission_id"] = json!(id);
                out["retry_command"] = json!(retry_later);
                emit(&format!("{out:#}\n"));
            } else {
                emit_text(&describe_exchange(&exchange));
                emit_text(&format!(
                    "  {:<13} #{id} (`{}`)\n",
                    "history",
                    hints::command(global, &session, &format!("show {id}"))
                ));
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
