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
    /// A batch that finished (or was stopped).
    BatchDone,
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
            Mode::BatchDone => "Batch: finished",
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

/// A row of the table, written on one line so the table reads as a table.
const fn b(
    modes: &'static [Mode],
    keys: &'static [Key],
    action: Action,
    footer: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        modes,
        keys,
        action,
        footer,
        help,
    }
}

// Named keys, so the rows stay short.
const ESC: Key = key(KeyCode::Esc);
const ENTER: Key = key(KeyCode::Enter);
const TAB: Key = key(KeyCode::Tab);
const BACKTAB: Key = key(KeyCode::BackTab);
const UP: Key = key(KeyCode::Up);
const DOWN: Key = key(KeyCode::Down);
const LEFT: Key = key(KeyCode::Left);
const RIGHT: Key = key(KeyCode::Right);
const PGUP: Key = key(KeyCode::PageUp);
const PGDN: Key = key(KeyCode::PageDown);
const HOME: Key = key(KeyCode::Home);
const END: Key = key(KeyCode::End);
const F1: Key = key(KeyCode::F(1));
const DELETE: Key = key(KeyCode::Delete);
const BACKSPACE: Key = key(KeyCode::Backspace);
const CTRL_LEFT: Key = Key {
    code: KeyCode::Left,
    mods: KeyModifiers::CONTROL,
};
const CTRL_RIGHT: Key = Key {
    code: KeyCode::Right,
    mods: KeyModifiers::CONTROL,
};

use Mode::*;

const FORM: &[Mode] = &[TextField, TypePicker, SubmitButton];
const MAIN: &[Mode] = &[TextField, TypePicker, SubmitButton, History];
/// Every mode: the help overlay's order.
const EVERYWHERE: &[Mode] = &HELP_ORDER;

/// Every binding, in the order the footer and help list them: modes, keys, action,
/// footer text, help text.
#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    b(EVERYWHERE, &[ctrl('c'), ctrl('q')], Action::Quit, "quit", "quit (asks first while submissions are in flight)"),
    b(&[Detail, Help], &[ESC, ch('q')], Action::Close, "close", "close"),
    b(&[Confirm], &[ch('y'), ch('Y')], Action::Yes, "yes", "answer yes"),
    b(&[Confirm], &[ch('n'), ch('N'), ESC, ENTER], Action::No, "no (default)", "answer no (the default)"),
    b(MAIN, &[ctrl('s')], Action::Submit, "submit", "submit the form from anywhere"),
    b(FORM, &[ENTER], Action::Advance, "next/submit", "next field; submits from the last field"),
    b(MAIN, &[TAB], Action::NextField, "next", "next field (the history pane comes after the form)"),
    b(MAIN, &[BACKTAB], Action::PrevField, "", "previous field"),
    b(&[TextField, SubmitButton], &[UP], Action::FieldUp, "", "field above"),
    b(&[TextField, SubmitButton], &[DOWN], Action::FieldDown, "", "field below"),
    b(&[TypePicker], &[DOWN, ch('j'), RIGHT], Action::TypeNext, "type", "next KYC type"),
    b(&[TypePicker], &[UP, ch('k'), LEFT], Action::TypePrev, "", "previous KYC type"),
    b(&[TypePicker], &[ch('1'), ch('f')], Action::TypePick(0), "1-4/f s r i", "full"),
    b(&[TypePicker], &[ch('2'), ch('s')], Action::TypePick(1), "", "shipping"),
    b(&[TypePicker], &[ch('3'), ch('r')], Action::TypePick(2), "", "rfi"),
    b(&[TypePicker], &[ch('4'), ch('i')], Action::TypePick(3), "", "import"),
    b(&[History], &[ch('k'), UP], Action::RowUp, "", "previous row"),
    b(&[History], &[ch('j'), DOWN], Action::RowDown, "move", "next row"),
    b(&[History], &[PGUP], Action::PageUp, "", "page up"),
    b(&[History], &[PGDN], Action::PageDown, "", "page down"),
    b(&[History], &[ch('g'), HOME], Action::Top, "", "newest row"),
    b(&[History], &[ch('G'), END], Action::Bottom, "", "oldest row"),
    b(&[History], &[ENTER], Action::OpenDetail, "detail", "open the request and response"),
    b(&[History], &[ch('/')], Action::Filter, "filter", "filter by any id, idempotency key, operator or status (3+ characters)"),
    b(&[History], &[ch('e')], Action::ToggleErrors, "errors", "show errors only / everything"),
    b(&[History], &[ch('y')], Action::CopyLink, "copy link", "copy the webview link of the row"),
    b(FORM, &[ctrl('y')], Action::CopyLink, "copy link", "copy the webview link of the last success"),
    b(MAIN, &[ctrl('x')], Action::CancelPending, "", "cancel the selected (or newest) submission in flight (asks first)"),
    b(&[TypePicker, SubmitButton, History], &[ch('p')], Action::Profiles, "profile", "choose the profile (target) to send to"),
    b(MAIN, &[ctrl('p')], Action::Profiles, "", "choose the profile (works in text fields too)"),
    b(&[History], &[ch('a')], Action::ToggleAllProfiles, "all profiles", "show every profile's rows / only the current profile's"),
    b(&[Picker], &[ch('j'), DOWN], Action::RowDown, "move", "next profile"),
    b(&[Picker], &[ch('k'), UP], Action::RowUp, "", "previous profile"),
    b(&[Picker], &[ENTER], Action::Choose, "use it", "send to this profile from now on"),
    b(&[Picker], &[ESC], Action::Close, "keep current", "keep the current profile"),
    b(&[TypePicker, SubmitButton, History], &[ch('B')], Action::OpenBatch, "batch", "many verifications at once: paste a list or a CSV, or name a file"),
    b(MAIN, &[ctrl('b')], Action::OpenBatch, "", "open the batch screen (works in text fields too)"),
    b(&[BatchInput], &[ctrl('s')], Action::BatchPreview, "preview", "read and check every row (nothing is sent yet)"),
    b(&[BatchInput], &[ctrl('r')], Action::BatchResume, "resume", "preview the newest interrupted batch of this profile, to finish it"),
    b(&[BatchInput], &[ctrl('u')], Action::BatchClear, "clear", "clear the text (undo brings it back)"),
    b(&[BatchInput], &[UP, DOWN, LEFT, RIGHT, CTRL_LEFT, CTRL_RIGHT], Action::EditorKey, "", "move the cursor (Ctrl: by word; Shift: select)"),
    b(&[BatchInput], &[HOME, END, PGUP, PGDN], Action::EditorKey, "", "start/end of the line; scroll a page back/forward"),
    b(&[BatchInput], &[BACKSPACE, DELETE], Action::EditorKey, "", "delete before/at the cursor (Enter breaks the line)"),
    b(&[BatchInput], &[ctrl('z'), ctrl('y')], Action::EditorKey, "", "undo / redo"),
    b(&[BatchPreview], &[ENTER, ctrl('s')], Action::BatchSend, "send", "send the valid rows (production asks for the profile's name)"),
    b(&[BatchPreview], &[ch('e')], Action::BatchEdit, "edit", "back to the text, as it was"),
    b(&[BatchPreview], &[ctrl('r')], Action::BatchResume, "", "preview the unfinished batch that holds rows of this list (the preview names it), to finish it"),
    b(&[BatchDone], &[ctrl('r')], Action::BatchResume, "resume", "preview the rows left without an outcome, to send them again (each with its own key)"),
    b(&[BatchConfirm], &[ENTER], Action::BatchSend, "send", "send if the name matches"),
    b(&[BatchRun], &[ch(' ')], Action::BatchPause, "pause/resume", "pause or resume sending (rows in flight finish)"),
    b(&[BatchRun], &[ch('c')], Action::BatchStop, "stop", "send nothing more; the rest stays not sent, to resume later"),
    b(&[BatchPreview, BatchRun, BatchDone], &[ch('j'), DOWN], Action::ScrollDown, "", "scroll down"),
    b(&[BatchPreview, BatchRun, BatchDone], &[ch('k'), UP], Action::ScrollUp, "", "scroll up"),
    b(&[BatchPreview, BatchRun, BatchDone], &[PGDN], Action::PageDown, "", "page down"),
    b(&[BatchPreview, BatchRun, BatchDone], &[PGUP], Action::PageUp, "", "page up"),
    b(&[BatchInput, BatchRun, BatchDone], &[ESC], Action::Close, "close", "close the batch screen (the text is kept; a running batch must be stopped first)"),
    b(&[BatchPreview, BatchConfirm], &[ESC], Action::Close, "back", "back (to the text, as it was)"),
    b(&[Filter], &[ENTER], Action::FilterDone, "keep filter", "keep the filter and go back to the rows"),
    b(&[Filter], &[ESC], Action::FilterClear, "clear", "clear the filter"),
    b(&[Detail], &[ch('c')], Action::CopyCurl, "curl", "copy as curl (the key is $KYC_API_KEY)"),
    b(&[Detail], &[ch('y')], Action::CopyLink, "link", "copy the webview link"),
    b(&[Detail], &[ch('i')], Action::CopyRequestId, "req id", "copy the request id"),
    b(&[Detail], &[ch('b')], Action::CopyBody, "body", "copy the raw response body"),
    b(&[Detail], &[ch('r')], Action::Resend, "resend", "resend as a new submission (new idempotency key)"),
    b(&[Detail], &[ch('R')], Action::RetrySameKey, "retry same key", "retry with the same idempotency key (no outcome yet: never starts it twice)"),
    b(&[History], &[ch('x')], Action::ExportCsv, "export", "export the rows shown (filter applied) to CSV in the data directory"),
    b(&[History], &[ch('X')], Action::ExportJson, "", "export the rows shown (filter applied) to JSON in the data directory"),
    b(&[Detail], &[ch('l')], Action::LoadIntoForm, "edit", "load the request into the form"),
    b(&[Detail, Help], &[ch('j'), DOWN], Action::ScrollDown, "", "scroll down"),
    b(&[Detail, Help], &[ch('k'), UP], Action::ScrollUp, "", "scroll up"),
    b(&[Help], &[ch('?')], Action::Close, "", "close"),
    b(&[TypePicker, SubmitButton, History, Detail], &[ch('?')], Action::Help, "help", "show every key"),
    b(EVERYWHERE, &[F1], Action::Help, "", "show every key (works in text fields too)"),
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
    let mut items = if mode == Mode::Help {
        Vec::new()
    } else {
        vec![(key_name(mode, Action::Help), "help")]
    };
    items.extend(
        BINDINGS
            .iter()
            .filter(|b| b.modes.contains(&mode) && !b.footer.is_empty() && b.action != Action::Help)
            .map(|b| (b.keys_label(), b.footer)),
    );
    items
}

impl Binding {
    /// All keys of the binding, joined: `j/↓`.
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// What screen text calls a key that does `action` in `mode`: the first key bound to it,
/// e.g. `Ctrl-S`. Texts name keys through this, so a rebinding cannot leave them stale.
pub fn key_name(mode: Mode, action: Action) -> String {
    key_names(mode, action)
        .into_iter()
        .next()
        .unwrap_or_else(|| UNBOUND.to_string())
}

/// Every key that does `action` in `mode`, in table order. An uppercase letter beside its
/// lowercase one is left out: it is there for Caps Lock, not worth a word on screen.
pub fn key_names(mode: Mode, action: Action) -> Vec<String> {
    let keys: Vec<Key> = BINDINGS
        .iter()
        .filter(|b| b.action == action && b.modes.contains(&mode))
        .flat_map(|b| b.keys.iter().copied())
        .collect();
    keys.iter()
        .filter(|k| match k.code {
            KeyCode::Char(c) if c.is_ascii_uppercase() => !keys.contains(&Key {
                code: KeyCode::Char(c.to_ascii_lowercase()),
                mods: k.mods,
            }),
            _ => true,
        })
        .map(|k| k.label())
        .collect()
}

/// [`key_names`] joined as the table writes them: `Ctrl-C/Ctrl-Q`.
pub fn keys_label(mode: Mode, action: Action) -> String {
    let names = key_names(mode, action);
    if names.is_empty() {
        UNBOUND.to_string()
    } else {
        names.join("/")
    }
}

/// Shown for an action no key does; a unit test keeps it off the screen.
const UNBOUND: &str = "(no key)";

/// Modes in the order the help overlay lists them.
pub const HELP_ORDER: [Mode; 14] = [
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
    BatchDone,
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
        // `?` is not bound on the batch screens; F1 is.
        assert_eq!(footer(BatchRun)[0], ("F1".to_string(), "help"));
    }

    #[test]
    fn key_names_come_from_the_table() {
        assert_eq!(key_name(TextField, Action::Submit), "Ctrl-S");
        assert_eq!(key_name(BatchPreview, Action::BatchSend), "Enter");
        assert_eq!(key_name(BatchRun, Action::BatchPause), "Space");
        assert_eq!(key_name(History, Action::Help), "?");
        assert_eq!(key_name(TextField, Action::Help), "F1");
        assert_eq!(keys_label(Help, Action::Quit), "Ctrl-C/Ctrl-Q");
        assert_eq!(keys_label(Detail, Action::ScrollDown), "j/↓");
        assert_eq!(key_names(Confirm, Action::Yes), ["y"]);
        assert_eq!(key_names(Confirm, Action::No), ["n", "Esc", "Enter"]);
        // Two rows close the help overlay: both are listed, in table order.
        assert_eq!(keys_label(Help, Action::Close), "Esc/q/?");
        assert_eq!(key_name(TextField, Action::Resend), UNBOUND);
        assert_eq!(keys_label(TextField, Action::Resend), UNBOUND);
    }
}
