//! The one table of key bindings. Input handling, the footer and the help overlay all read
//! it, so what the screen says is always what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where the keyboard focus is; each mode has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Typing in the user id or redirect URI field.
    TextField,
    /// On the KYC type picker.
    TypePicker,
    /// On the submit button.
    SubmitButton,
    /// On the history pane.
    History,
    /// Typing a history filter.
    Filter,
    /// Reading one submission.
    Detail,
    /// Reading the help overlay.
    Help,
    /// Answering a yes/no question.
    Confirm,
    /// Choosing a profile.
    Picker,
    /// Pasting a batch.
    BatchInput,
    /// Reading a batch's preview.
    BatchPreview,
    /// Typing the profile's name to send a batch to production.
    BatchConfirm,
    /// Watching a batch run.
    BatchRun,
}

impl Mode {
    /// The heading the help overlay groups bindings under.
    pub fn title(self) -> &'static str {
        match self {
            Mode::TextField => "Text fields (user id, redirect URI)",
            Mode::TypePicker => "KYC type picker",
            Mode::SubmitButton => "Submit button",
            Mode::History => "History",
            Mode::Filter => "History filter",
            Mode::Detail => "Detail view",
            Mode::Help => "Help",
            Mode::Confirm => "Confirmation",
            Mode::Picker => "Profile picker",
            Mode::BatchInput => "Batch: paste",
            Mode::BatchPreview => "Batch: preview",
            Mode::BatchConfirm => "Batch: production confirmation",
            Mode::BatchRun => "Batch: running",
        }
    }
}

/// A key with modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl Key {
    /// How the key is written on screen: `Ctrl-S`, `Tab`, `j`.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{}", base.to_uppercase())
        } else {
            base
        }
    }

    fn matches(self, event: &KeyEvent) -> bool {
        let mods = event.modifiers - KeyModifiers::SHIFT;
        let code = match event.code {
            // Some terminals report Ctrl-letters in uppercase.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        self.code == code && self.mods == mods
    }
}

/// One row of the table.
pub struct Binding {
    pub modes: &'static [Mode],
    pub keys: &'static [Key],
    pub action: Action,
    /// Short text for the footer; empty keeps it out of the footer.
    pub footer: &'static str,
    /// The help overlay's description.
    pub help: &'static str,
}

use Mode::*;

const FORM: &[Mode] = &[TextField, TypePicker, SubmitButton];
const MAIN: &[Mode] = &[TextField, TypePicker, SubmitButton, History];
/// Every mode: the help overlay's order.
const EVERYWHERE: &[Mode] = &HELP_ORDER;

/// Every binding, in the order the footer and help list them.
pub static BINDINGS: &[Binding] = &[
    Binding {
        modes: EVERYWHERE,
        keys: &[ctrl('c'), ctrl('q')],
        action: Action::Quit,
        footer: "quit",
        help: "quit (asks first while submissions are in flight)",
    },
    Binding {
        modes: &[Detail, Help],
        keys: &[key(KeyCode::Esc), ch('q')],
        action: Action::Close,
        footer: "close",
        help: "close",
    },
    Binding {
        modes: &[Confirm],
        keys: &[ch('y'), ch('Y')],
        action: Action::Yes,
        footer: "yes",
        help: "answer yes",
    },
    Binding {
        modes: &[Confirm],
        keys: &[ch('n'), ch('N'), key(KeyCode::Esc), key(KeyCode::Enter)],
        action: Action::No,
        footer: "no (default)",
        help: "answer no (the default)",
    },
    Binding {
        modes: MAIN,
        keys: &[ctrl('s')],
        action: Action::Submit,
        footer: "submit",
        help: "submit the form from anywhere",
    },
    Binding {
        modes: FORM,
        keys: &[key(KeyCode::Enter)],
        action: Action::Advance,
        footer: "next/submit",
        help: "next field; submits from the last field",
    },
    Binding {
        modes: MAIN,
        keys: &[key(KeyCode::Tab)],
        action: Action::NextField,
        footer: "next",
        help: "next field (the history pane comes after the form)",
    },
    Binding {
        modes: MAIN,
        keys: &[key(KeyCode::BackTab)],
        action: Action::PrevField,
        footer: "",
        help: "previous field",
    },
    Binding {
        modes: &[TextField, SubmitButton],
        keys: &[key(KeyCode::Up)],
        action: Action::FieldUp,
        footer: "",
        help: "field above",
    },
    Binding {
        modes: &[TextField, SubmitButton],
        keys: &[key(KeyCode::Down)],
        action: Action::FieldDown,
        footer: "",
        help: "field below",
    },
    Binding {
        modes: &[TypePicker],
        keys: &[key(KeyCode::Down), ch('j'), key(KeyCode::Right)],
        action: Action::TypeNext,
        footer: "type",
        help: "next KYC type",
    },
    Binding {
        modes: &[TypePicker],
        keys: &[key(KeyCode::Up), ch('k'), key(KeyCode::Left)],
        action: Action::TypePrev,
        footer: "",
        help: "previous KYC type",
    },
    Binding {
        modes: &[TypePicker],
        keys: &[ch('1'), ch('f')],
        action: Action::TypePick(0),
        footer: "1-4/f s r i",
        help: "full",
    },
    Binding {
        modes: &[TypePicker],
        keys: &[ch('2'), ch('s')],
        action: Action::TypePick(1),
        footer: "",
        help: "shipping",
    },
    Binding {
        modes: &[TypePicker],
        keys: &[ch('3'), ch('r')],
        action: Action::TypePick(2),
        footer: "",
        help: "rfi",
    },
    Binding {
        modes: &[TypePicker],
        keys: &[ch('4'), ch('i')],
        action: Action::TypePick(3),
        footer: "",
        help: "import",
    },
    Binding {
        modes: &[History],
        keys: &[ch('k'), key(KeyCode::Up)],
        action: Action::RowUp,
        footer: "",
        help: "previous row",
    },
    Binding {
        modes: &[History],
        keys: &[ch('j'), key(KeyCode::Down)],
        action: Action::RowDown,
        footer: "move",
        help: "next row",
    },
    Binding {
        modes: &[History],
        keys: &[key(KeyCode::PageUp)],
        action: Action::PageUp,
        footer: "",
        help: "page up",
    },
    Binding {
        modes: &[History],
        keys: &[key(KeyCode::PageDown)],
        action: Action::PageDown,
        footer: "",
        help: "page down",
    },
    Binding {
        modes: &[History],
        keys: &[ch('g'), key(KeyCode::Home)],
        action: Action::Top,
        footer: "",
        help: "newest row",
    },
    Binding {
        modes: &[History],
        keys: &[ch('G'), key(KeyCode::End)],
        action: Action::Bottom,
        footer: "",
        help: "oldest row",
    },
    Binding {
        modes: &[History],
        keys: &[key(KeyCode::Enter)],
        action: Action::OpenDetail,
        footer: "detail",
        help: "open the request and response",
    },
    Binding {
        modes: &[History],
        keys: &[ch('/')],
        action: Action::Filter,
        footer: "filter",
        help: "filter by user id, verification id, request id or status",
    },
    Binding {
        modes: &[History],
        keys: &[ch('e')],
        action: Action::ToggleErrors,
        footer: "errors",
        help: "show errors only / everything",
    },
    Binding {
        modes: &[History],
        keys: &[ch('y')],
        action: Action::CopyLink,
        footer: "copy link",
        help: "copy the webview link of the row",
    },
    Binding {
        modes: FORM,
        keys: &[ctrl('y')],
        action: Action::CopyLink,
        footer: "copy link",
        help: "copy the webview link of the last success",
    },
    Binding {
        modes: MAIN,
        keys: &[key(KeyCode::Esc)],
        action: Action::CancelPending,
        footer: "",
        help: "cancel the selected (or newest) pending submission",
    },
    Binding {
        modes: &[TypePicker, SubmitButton, History],
        keys: &[ch('p')],
        action: Action::Profiles,
        footer: "profile",
        help: "choose the profile (target) to send to",
    },
    Binding {
        modes: MAIN,
        keys: &[ctrl('p')],
        action: Action::Profiles,
        footer: "",
        help: "choose the profile (works in text fields too)",
    },
    Binding {
        modes: &[History],
        keys: &[ch('a')],
        action: Action::ToggleAllProfiles,
        footer: "all profiles",
        help: "show every profile's rows / only the current profile's",
    },
    Binding {
        modes: &[Picker],
        keys: &[ch('j'), key(KeyCode::Down)],
        action: Action::RowDown,
        footer: "move",
        help: "next profile",
    },
    Binding {
        modes: &[Picker],
        keys: &[ch('k'), key(KeyCode::Up)],
        action: Action::RowUp,
        footer: "",
        help: "previous profile",
    },
    Binding {
        modes: &[Picker],
        keys: &[key(KeyCode::Enter)],
        action: Action::Choose,
        footer: "use it",
        help: "send to this profile from now on",
    },
    Binding {
        modes: &[Picker],
        keys: &[key(KeyCode::Esc)],
        action: Action::Close,
        footer: "keep current",
        help: "keep the current profile",
    },
    Binding {
        modes: &[TypePicker, SubmitButton, History],
        keys: &[ch('B')],
        action: Action::OpenBatch,
        footer: "batch",
        help: "many verifications at once: paste a list or a CSV, or name a file",
    },
    Binding {
        modes: MAIN,
        keys: &[ctrl('b')],
        action: Action::OpenBatch,
        footer: "",
        help: "open the batch screen (works in text fields too)",
    },
    Binding {
        modes: &[BatchInput],
        keys: &[ctrl('s')],
        action: Action::BatchPreview,
        footer: "preview",
        help: "read and check every row (nothing is sent yet)",
    },
    Binding {
        modes: &[BatchInput],
        keys: &[ctrl('r')],
        action: Action::BatchResume,
        footer: "resume",
        help: "finish the newest interrupted batch of this profile",
    },
    Binding {
        modes: &[BatchInput],
        keys: &[ctrl('u')],
        action: Action::BatchClear,
        footer: "clear",
        help: "clear the pasted text",
    },
    Binding {
        modes: &[BatchPreview],
        keys: &[key(KeyCode::Enter), ctrl('s')],
        action: Action::BatchSend,
        footer: "send",
        help: "send the valid rows (production asks for the profile's name)",
    },
    Binding {
        modes: &[BatchPreview],
        keys: &[ch('e')],
        action: Action::BatchEdit,
        footer: "edit",
        help: "back to the pasted text",
    },
    Binding {
        modes: &[BatchConfirm],
        keys: &[key(KeyCode::Enter)],
        action: Action::BatchSend,
        footer: "send",
        help: "send if the name matches",
    },
    Binding {
        modes: &[BatchRun],
        keys: &[ch(' ')],
        action: Action::BatchPause,
        footer: "pause/resume",
        help: "pause or resume sending (rows in flight finish)",
    },
    Binding {
        modes: &[BatchRun],
        keys: &[ch('c')],
        action: Action::BatchStop,
        footer: "stop",
        help: "send nothing more; the rest stays not sent, to resume later",
    },
    Binding {
        modes: &[BatchPreview, BatchRun],
        keys: &[ch('j'), key(KeyCode::Down)],
        action: Action::ScrollDown,
        footer: "",
        help: "scroll down",
    },
    Binding {
        modes: &[BatchPreview, BatchRun],
        keys: &[ch('k'), key(KeyCode::Up)],
        action: Action::ScrollUp,
        footer: "",
        help: "scroll up",
    },
    Binding {
        modes: &[BatchPreview, BatchRun],
        keys: &[key(KeyCode::PageDown)],
        action: Action::PageDown,
        footer: "",
        help: "page down",
    },
    Binding {
        modes: &[BatchPreview, BatchRun],
        keys: &[key(KeyCode::PageUp)],
        action: Action::PageUp,
        footer: "",
        help: "page up",
    },
    Binding {
        modes: &[BatchInput, BatchPreview, BatchConfirm, BatchRun],
        keys: &[key(KeyCode::Esc)],
        action: Action::Close,
        footer: "close",
        help: "close the batch screen (a running batch must be stopped first)",
    },
    Binding {
        modes: &[Filter],
        keys: &[key(KeyCode::Enter)],
        action: Action::FilterDone,
        footer: "keep filter",
        help: "keep the filter and go back to the rows",
    },
    Binding {
        modes: &[Filter],
        keys: &[key(KeyCode::Esc)],
        action: Action::FilterClear,
        footer: "clear",
        help: "clear the filter",
    },
    Binding {
        modes: &[Detail],
        keys: &[ch('c')],
        action: Action::CopyCurl,
        footer: "curl",
        help: "copy as curl (the key is $KYC_API_KEY)",
    },
    Binding {
        modes: &[Detail],
        keys: &[ch('y')],
        action: Action::CopyLink,
        footer: "link",
        help: "copy the webview link",
    },
    Binding {
        modes: &[Detail],
        keys: &[ch('i')],
        action: Action::CopyRequestId,
        footer: "req id",
        help: "copy the request id",
    },
    Binding {
        modes: &[Detail],
        keys: &[ch('b')],
        action: Action::CopyBody,
        footer: "body",
        help: "copy the raw response body",
    },
    Binding {
        modes: &[Detail],
        keys: &[ch('r')],
        action: Action::Resend,
        footer: "resend",
        help: "resend as a new submission (new idempotency key)",
    },
    Binding {
        modes: &[Detail],
        keys: &[ch('R')],
        action: Action::RetrySameKey,
        footer: "retry same key",
        help: "retry with the same idempotency key (no outcome yet: never starts it twice)",
    },
    Binding {
        modes: &[History],
        keys: &[ch('x')],
        action: Action::ExportCsv,
        footer: "export",
        help: "export the rows shown (filter applied) to CSV in the data directory",
    },
    Binding {
        modes: &[History],
        keys: &[ch('X')],
        action: Action::ExportJson,
        footer: "",
        help: "export the rows shown (filter applied) to JSON in the data directory",
    },
    Binding {
        modes: &[Detail],
        keys: &[ch('l')],
        action: Action::LoadIntoForm,
        footer: "edit",
        help: "load the request into the form",
    },
    Binding {
        modes: &[Detail, Help],
        keys: &[ch('j'), key(KeyCode::Down)],
        action: Action::ScrollDown,
        footer: "",
        help: "scroll down",
    },
    Binding {
        modes: &[Detail, Help],
        keys: &[ch('k'), key(KeyCode::Up)],
        action: Action::ScrollUp,
        footer: "",
        help: "scroll up",
    },
    Binding {
        modes: &[Help],
        keys: &[ch('?')],
        action: Action::Close,
        footer: "",
        help: "close",
    },
    Binding {
        modes: &[TypePicker, SubmitButton, History, Detail],
        keys: &[ch('?')],
        action: Action::Help,
        footer: "help",
        help: "show every key",
    },
    Binding {
        modes: EVERYWHERE,
        keys: &[key(KeyCode::F(1))],
        action: Action::Help,
        footer: "",
        help: "show every key (works in text fields too)",
    },
];

/// The action a key has in a mode, if any.
pub fn action_for(mode: Mode, event: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode))
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// `(keys, text)` pairs for the footer in a mode.
pub fn footer(mode: Mode) -> Vec<(String, &'static str)> {
    // Help comes first so it survives a narrow terminal; in text fields `?` is a character.
    let help = match mode {
        Mode::TextField
        | Mode::Filter
        | Mode::Confirm
        | Mode::Picker
        | Mode::BatchInput
        | Mode::BatchConfirm => "F1",
        _ => "?",
    };
    let mut items = if mode == Mode::Help {
        Vec::new()
    } else {
        vec![(help.to_string(), "help")]
    };
    items.extend(
        BINDINGS
            .iter()
            .filter(|b| b.modes.contains(&mode) && !b.footer.is_empty() && b.action != Action::Help)
            .map(|b| (keys_label(b), b.footer)),
    );
    items
}

/// All keys of a binding, joined: `j/↓`.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join("/")
}

/// Modes in the order the help overlay lists them.
pub const HELP_ORDER: [Mode; 13] = [
    TextField,
    TypePicker,
    SubmitButton,
    History,
    Filter,
    Detail,
    Picker,
    BatchInput,
    BatchPreview,
    BatchConfirm,
    BatchRun,
    Confirm,
    Help,
];

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: ratatui::crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn text_fields_keep_printable_characters() {
        for c in ['j', 'k', 'y', 'q', '?', 'e', '/', '1', 'G'] {
            assert_eq!(
                action_for(TextField, &press(KeyCode::Char(c), KeyModifiers::NONE)),
                None,
                "{c}"
            );
        }
    }

    #[test]
    fn quit_and_submit_work_from_every_main_mode() {
        for mode in [TextField, TypePicker, SubmitButton, History] {
            assert_eq!(
                action_for(mode, &press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
                Some(Action::Quit)
            );
            assert_eq!(
                action_for(mode, &press(KeyCode::Char('S'), KeyModifiers::CONTROL)),
                Some(Action::Submit)
            );
        }
    }

    #[test]
    fn each_key_means_one_thing_per_mode() {
        for mode in HELP_ORDER {
            let mut seen: Vec<Key> = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.modes.contains(&mode)) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{:?} bound twice in {mode:?}", k.label());
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn uppercase_g_goes_to_the_bottom() {
        assert_eq!(
            action_for(History, &press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            action_for(History, &press(KeyCode::Char('g'), KeyModifiers::NONE)),
            Some(Action::Top)
        );
    }

    #[test]
    fn footer_reads_the_table() {
        let items = footer(Detail);
        assert!(items.iter().any(|(k, t)| k == "c" && *t == "curl"));
        assert_eq!(footer(TextField)[0], ("F1".to_string(), "help"));
        assert_eq!(footer(History)[0], ("?".to_string(), "help"));
    }
}
