//! The form: moving between fields, the type picker, typing and pasting, and sending.

use tui_input::{Input, InputRequest};

use super::common::{cycle, toast};
use super::sending::{cancel_pending, copy_link, submit_form};
use crate::domain::{FormField, KycType, Normalisation, needs_escape, safe_text_within};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::message::Effect;
use crate::tui::state::{Focus, Form, PastedList, State};

/// An action while a form field has the keyboard.
pub fn handle(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Submit => submit_form(state),
        Action::NextField => next_field(state),
        Action::PrevField => prev_field(state),
        Action::FieldDown => {
            if state.focus != Focus::Submit {
                state.focus = cycle(state.focus, 1);
            }
            Vec::new()
        }
        Action::FieldUp => {
            if state.focus != Focus::UserId {
                state.focus = cycle(state.focus, Focus::ORDER.len() - 1);
            }
            Vec::new()
        }
        Action::Advance => match state.focus {
            // Enter on the refused id would send it again or move on with it: say what
            // replaces it instead (an explicit submit still sends it).
            Focus::UserId if state.form.refused_selected() => {
                let hint = format!(
                    "the platform refused this id: paste or type the next one to replace it \
                     ({} sends it again)",
                    key_name(Mode::TextField, Action::Submit)
                );
                toast(state, &hint, false)
            }
            Focus::UserId if state.form.rapid && state.form.request().is_ok() => submit_form(state),
            Focus::UserId | Focus::KycType => {
                state.focus = cycle(state.focus, 1);
                Vec::new()
            }
            _ => submit_form(state),
        },
        Action::TypeNext | Action::TypePrev | Action::TypePick(_) => {
            pick_type(state, action);
            Vec::new()
        }
        Action::CancelPending => cancel_pending(state),
        Action::CopyLink => copy_link(state),
        _ => Vec::new(),
    }
}

pub fn next_field(state: &mut State) -> Vec<Effect> {
    state.focus = cycle(state.focus, 1);
    Vec::new()
}

pub fn prev_field(state: &mut State) -> Vec<Effect> {
    state.focus = cycle(state.focus, Focus::ORDER.len() - 1);
    Vec::new()
}

fn pick_type(state: &mut State, action: Action) {
    let current = state.form.kyc_type().index();
    let n = KycType::ALL.len();
    let index = match action {
        Action::TypeNext => (current + 1) % n,
        Action::TypePrev => (current + n - 1) % n,
        Action::TypePick(i) => i.min(n - 1),
        _ => current,
    };
    state.form.kyc_type = Some(KycType::ALL[index]);
    state.form.server_errors.remove(&FormField::KycType);
}

/// A key typed into the focused text field; editing clears the API's error for it. The
/// user id field shows the id as it will be sent: uppercase is lowered and spaces left
/// out as they are typed (and the field says so). While it holds the id the platform
/// refused, that id is selected: a typed character or a deletion replaces it whole, a
/// cursor move keeps it.
pub fn edit(state: &mut State, request: InputRequest) {
    let field = match state.focus {
        Focus::UserId => FormField::UserId,
        Focus::RedirectUri => FormField::RedirectUri,
        _ => return,
    };
    let mut request = request;
    let mut norm = Normalisation::default();
    if field == FormField::UserId {
        if let InputRequest::InsertChar(c) = request {
            if c.is_whitespace() {
                norm.trimmed = true;
                let value = state.form.user_id.value().to_string();
                note_as_sent(&mut state.form, norm, &value);
                return;
            }
            if c.is_uppercase() {
                norm.lowercased = true;
                request = InputRequest::InsertChar(c.to_lowercase().next().unwrap_or(c));
            }
        }
        if state.form.refused_selected() {
            state.form.refused = None;
            if is_deletion(&request) || matches!(request, InputRequest::InsertChar(_)) {
                state.form.user_id = Input::default();
                state.form.server_errors.remove(&field);
                if is_deletion(&request) {
                    return;
                }
            }
        }
    }
    let previous = state.form.user_id.value().to_string();
    let input = match field {
        FormField::UserId => &mut state.form.user_id,
        _ => &mut state.form.redirect_uri,
    };
    if input.handle(request).is_some_and(|c| c.value) {
        state.form.server_errors.remove(&field);
        if field == FormField::UserId {
            note_as_sent(&mut state.form, norm, &previous);
        }
    }
}

fn is_deletion(request: &InputRequest) -> bool {
    matches!(
        request,
        InputRequest::DeletePrevChar
            | InputRequest::DeleteNextChar
            | InputRequest::DeletePrevWord
            | InputRequest::DeleteNextWord
            | InputRequest::DeleteLine
            | InputRequest::DeleteTillEnd
    )
}

/// Keeps the note on what was changed to show the id as sent, for the value now in the
/// field (what was noted for the value before this edit carries over); an empty field has
/// nothing to note.
fn note_as_sent(form: &mut Form, norm: Normalisation, previous: &str) {
    let value = form.user_id.value().to_string();
    let before = form
        .as_sent
        .as_ref()
        .filter(|(noted, _)| noted == previous)
        .map(|(_, n)| *n)
        .unwrap_or_default();
    let merged = Normalisation {
        trimmed: before.trimmed || norm.trimmed,
        lowercased: before.lowercased || norm.lowercased,
    };
    form.as_sent = (!value.is_empty() && merged.changed()).then_some((value, merged));
}

/// A paste into a one-line field. Into the user id field: the first id it holds (or its
/// first line), trimmed and lowered as it will be sent, replacing a complete or refused
/// id; when it holds several ids, the whole list is offered to the batch screen.
pub fn paste(state: &mut State, text: &str) -> Vec<Effect> {
    let pasted = Pasted::read(text);
    let user_id = state.focus == Focus::UserId;
    // Pasting over a complete or refused id replaces it: appending would never make sense.
    if user_id && (state.form.refused_selected() || state.form.check_user_id().is_ok()) {
        state.form.user_id = Input::default();
        state.form.refused = None;
        state.form.server_errors.remove(&FormField::UserId);
    }
    let value = if user_id {
        pasted.first_id.unwrap_or(pasted.first_line)
    } else {
        pasted.first_line
    };
    // No field value holds a control character: each is left out, and said.
    let hidden = value.chars().filter(|c| needs_escape(*c)).count();
    for c in value.chars().filter(|c| !needs_escape(*c)) {
        edit(state, InputRequest::InsertChar(c));
    }
    // What came beside the one id taken from a line, so nothing is dropped unsaid.
    let beside = pasted
        .first_id
        .filter(|_| user_id && pasted.ids.len() == 1)
        .map(|id| {
            pasted
                .first_line
                .replacen(id, " ", 1)
                .trim_matches(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .to_string()
        })
        .filter(|rest| !rest.is_empty());
    if user_id && pasted.spaced {
        let trimmed = Normalisation {
            trimmed: true,
            lowercased: false,
        };
        let value = state.form.user_id.value().to_string();
        note_as_sent(&mut state.form, trimmed, &value);
    }
    if user_id && pasted.ids.len() > 1 {
        state.form.pasted_list = Some(PastedList {
            first: state.form.user_id.value().to_string(),
            ids: pasted.ids.len(),
            text: pasted.list,
        });
        return Vec::new();
    }
    let mut left_out = Vec::new();
    if pasted.more {
        left_out.push("the lines after its first line (this field takes one value)".to_string());
    }
    if let Some(rest) = beside {
        left_out.push(format!("\"{}\" beside the id", safe_text_within(&rest, 40)));
    }
    if hidden > 0 {
        left_out.push(format!("{hidden} control character(s)"));
    }
    if left_out.is_empty() {
        return Vec::new();
    }
    toast(
        state,
        &format!("pasted, leaving out {}", left_out.join(", ")),
        true,
    )
}

/// What a paste into a one-line field holds.
struct Pasted<'a> {
    /// The first non-blank line, without its surrounding spaces.
    first_line: &'a str,
    /// The first word that starts like a user id (`usr-`, any case).
    first_id: Option<&'a str>,
    /// Every such word.
    ids: Vec<&'a str>,
    /// Whether anything but the value taken came with it.
    more: bool,
    /// Whether it came with spaces around it (beyond a final line break).
    spaced: bool,
    /// The paste as a batch reads it: a multi-line paste (a list or a CSV) as it came, or
    /// the ids of one line, one per line.
    list: String,
}

impl<'a> Pasted<'a> {
    fn read(text: &'a str) -> Pasted<'a> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let first_line = lines.next().unwrap_or_default();
        let more = lines.next().is_some();
        let ids: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|w| w.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("usr-")))
            .collect();
        let list = if more {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            ids.join("\n")
        };
        Pasted {
            first_line,
            first_id: ids.first().copied(),
            ids,
            more,
            spaced: text.trim_matches(['\r', '\n']) != text.trim(),
            list,
        }
    }
}
