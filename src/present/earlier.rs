//! How an earlier submission that holds a user and type is named, in a duplicate question
//! and in a batch preview: its number, state, verification id, when and by whom.

use super::format::local_datetime;
use crate::domain::{OutcomeKind, safe_text};
use crate::history::Earlier;

/// `submission #12 (initiated, verification kyc-…, 2026-11-28 18:10:03 +00:00 by alice)`.
pub fn describe_earlier(earlier: &Earlier) -> String {
    let state = match (earlier.outcome, &earlier.batch_id, earlier.dispatched) {
        (Some(OutcomeKind::Initiated), _, _) => "initiated".to_string(),
        (Some(kind), _, _) => format!("{}: outcome unknown", kind.label()),
        (None, Some(batch), false) => format!("queued in batch {}", safe_text(batch)),
        (None, Some(batch), true) => format!("sent in batch {}, no outcome yet", safe_text(batch)),
        (None, None, false) => "recorded, not sent yet".to_string(),
        (None, None, true) => "in flight, or cut off before its outcome".to_string(),
    };
    let verification = earlier
        .verification_id
        .as_deref()
        .map(|v| format!(", verification {}", safe_text(v)))
        .unwrap_or_default();
    format!(
        "submission #{} ({state}{verification}, {} by {})",
        earlier.id,
        local_datetime(earlier.created_at),
        safe_text(&earlier.operator)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn earlier() -> Earlier {
        Earlier {
            id: 12,
            created_at: chrono::Utc::now(),
            operator: "alice".into(),
            profile: "sandbox".into(),
            outcome: Some(OutcomeKind::Initiated),
            dispatched: true,
            verification_id: Some("kyc-1".into()),
            batch_id: None,
        }
    }

    #[test]
    fn names_the_number_state_verification_and_operator() {
        let text = describe_earlier(&earlier());
        assert!(
            text.starts_with("submission #12 (initiated, verification kyc-1, "),
            "{text}"
        );
        assert!(text.ends_with(" by alice)"), "{text}");
        let queued = Earlier {
            outcome: None,
            dispatched: false,
            verification_id: None,
            batch_id: Some("b-1".into()),
            ..earlier()
        };
        assert!(describe_earlier(&queued).contains("(queued in batch b-1, "));
    }
}
