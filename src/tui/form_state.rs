//! The form's state: its fields, what validation says of them, and what rapid entry
//! remembers between sends (the refused id, the note on how the id was shown, a pasted
//! list on offer to the batch screen).

use std::collections::HashMap;

use tui_input::Input;

use crate::domain::{
    FormField, InitiateRequest, KycType, Normalisation, RedirectUri, RedirectUriWarning, UserId,
};

/// The form's fields and what validation says of them.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub user_id: Input,
    pub kyc_type: Option<KycType>,
    pub redirect_uri: Input,
    /// Errors the API named for a field, shown until the field is edited.
    pub server_errors: HashMap<FormField, String>,
    /// Rapid entry: after a success, Enter on a valid user id sends at once.
    pub rapid: bool,
    /// The user id the platform refused. While the field still holds it, it is shown
    /// selected: the next key or paste replaces it (see [`Form::refused_selected`]).
    pub refused: Option<String>,
    /// What was changed in the user id field so it shows the id as it will be sent, and
    /// the value it was shown with (the note lapses once the field is emptied).
    pub as_sent: Option<(String, Normalisation)>,
    /// Several ids pasted into the user id field: the first went into it, the whole list
    /// can be moved to the batch screen (while the field still holds that first id).
    pub pasted_list: Option<PastedList>,
}

/// Several user ids pasted into the form, offered to the batch screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastedList {
    /// The id put into the field.
    pub first: String,
    /// How many ids the paste held.
    pub ids: usize,
    /// The list as the batch screen reads it: one id per line, or the pasted CSV.
    pub text: String,
}

/// The result of validating the user id field as typed.
pub type UserIdCheck = Result<(UserId, Normalisation), crate::domain::UserIdError>;
/// The result of validating the redirect URI field as typed.
pub type RedirectCheck =
    Result<Option<(RedirectUri, Option<RedirectUriWarning>)>, crate::domain::RedirectUriError>;

impl Form {
    pub fn kyc_type(&self) -> KycType {
        self.kyc_type.unwrap_or(KycType::Full)
    }

    pub fn check_user_id(&self) -> UserIdCheck {
        UserId::parse(self.user_id.value())
    }

    /// Whether the field still holds the id the platform refused (shown selected).
    pub fn refused_selected(&self) -> bool {
        self.refused
            .as_deref()
            .is_some_and(|r| !r.is_empty() && r == self.user_id.value())
    }

    /// What was changed to show the id as it will be sent, while the field holds it.
    pub fn as_sent_note(&self) -> Option<Normalisation> {
        self.as_sent
            .as_ref()
            .filter(|(value, norm)| value == self.user_id.value() && norm.changed())
            .map(|(_, norm)| *norm)
    }

    /// The pasted list on offer, while the field still holds its first id.
    pub fn pasted_list(&self) -> Option<&PastedList> {
        self.pasted_list
            .as_ref()
            .filter(|l| l.first == self.user_id.value())
    }

    pub fn check_redirect(&self) -> RedirectCheck {
        RedirectUri::parse_optional(self.redirect_uri.value())
    }

    /// The request, or the first field that is wrong and why.
    pub fn request(&self) -> Result<InitiateRequest, (FormField, String)> {
        let user_id = self
            .check_user_id()
            .map_err(|e| (FormField::UserId, e.to_string()))?
            .0;
        let redirect_uri = self
            .check_redirect()
            .map_err(|e| (FormField::RedirectUri, e.to_string()))?
            .map(|(u, _)| u);
        Ok(InitiateRequest {
            user_id,
            kyc_type: self.kyc_type(),
            redirect_uri,
        })
    }
}
