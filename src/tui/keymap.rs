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
    /// Reading the figures over the rows in view.
    Stats,
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
            Mode::Stats => "Stats view",
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

    /// What the help overlay calls the mode where it says where a key works.
    pub fn name(self) -> &'static str {
        match self {
            Mode::TextField => "text fields",
            Mode::TypePicker => "type picker",
            Mode::SubmitButton => "submit button",
            Mode::History => "history",
            Mode::Filter => "history filter",
            Mode::Detail => "detail",
            Mode::Stats => "stats",
            Mode::Help => "help",
            Mode::Confirm => "questions",
            Mode::Picker => "profiles",
            Mode::BatchInput => "batch paste",
            Mode::BatchPreview => "batch preview",
            Mode::BatchConfirm => "batch production name",
            Mode::BatchRun => "batch run",
            Mode::BatchDone => "batch finished",
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
    /// The keys the footer names for the row (empty: the row's own keys). A pair or a
    /// range reads better there (`j/k move`, `1-4/f/s/r/i pick`); each must be bound in
    /// the row's modes, which a test checks.
    pub shown: &'static [Key],
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
        shown: &[],
    }
}

impl Binding {
    /// The same row, with the keys the footer names for it.
    const fn shown(self, keys: &'static [Key]) -> Binding {
        Binding {
            shown: keys,
            ..self
        }
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

/// Keys that pick a KYC type, as the footer names them: `1-4/f/s/r/i`.
const TYPE_KEYS: &[Key] = &[
    ch('1'),
    ch('2'),
    ch('3'),
    ch('4'),
    ch('f'),
    ch('s'),
    ch('r'),
    ch('i'),
];

/// Every binding, in the order the footer and help list them: modes, keys, action,
/// footer text, help text; `.shown(..)` names other keys in the footer. Rows with the same
/// keys and help text are one line in the help, with every mode of both.
#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    b(EVERYWHERE, &[ctrl('c'), ctrl('q')], Action::Quit, "quit", "quit (asks first while submissions are in flight)").shown(&[ctrl('c')]),
    b(&[TypePicker, SubmitButton], &[ch('q')], Action::Quit, "quit", "quit (asks first while submissions are in flight)"),
    b(&[Detail, Stats, Help], &[ESC, ch('q')], Action::Close, "close", "close"),
    b(&[History], &[ESC, ch('q')], Action::Close, "back", "back to the form, in the user id field"),
    b(&[Confirm], &[ch('y'), ch('Y')], Action::Yes, "yes", "answer yes"),
    b(&[Confirm], &[ch('n'), ch('N'), ESC, ch('q'), ENTER], Action::No, "no (default)", "answer no (the default)"),
    b(MAIN, &[ctrl('s')], Action::Submit, "submit", "submit the form from anywhere"),
    b(FORM, &[ENTER], Action::Advance, "next/submit", "next field; submits from the last field"),
    b(MAIN, &[TAB], Action::NextField, "next", "next field (the history pane comes after the form)"),
    b(MAIN, &[BACKTAB], Action::PrevField, "", "previous field"),
    b(&[TextField, SubmitButton], &[UP], Action::FieldUp, "", "field above"),
    b(&[TextField, SubmitButton], &[DOWN], Action::FieldDown, "", "field below"),
    b(&[TypePicker], &[DOWN, ch('j'), RIGHT], Action::TypeNext, "type", "next KYC type").shown(&[UP, DOWN]),
    b(&[TypePicker], &[UP, ch('k'), LEFT], Action::TypePrev, "", "previous KYC type"),
    b(&[TypePicker], &[ch('1'), ch('f')], Action::TypePick(0), "pick", "full").shown(TYPE_KEYS),
    b(&[TypePicker], &[ch('2'), ch('s')], Action::TypePick(1), "", "shipping"),
    b(&[TypePicker], &[ch('3'), ch('r')], Action::TypePick(2), "", "rfi"),
    b(&[TypePicker], &[ch('4'), ch('i')], Action::TypePick(3), "", "import"),
    b(&[History], &[ch('k'), UP], Action::RowUp, "", "previous row"),
    b(&[History], &[ch('j'), DOWN], Action::RowDown, "move", "next row").shown(&[ch('j'), ch('k')]),
    b(&[History], &[ENTER], Action::OpenDetail, "detail", "open the request and response"),
    b(&[History], &[ch('/')], Action::Filter, "filter", "filter by any id, idempotency key, operator or status (3+ characters; status:503 for that status only)"),
    b(&[History], &[ch('e')], Action::ToggleErrors, "errors", "show errors only / everything"),
    b(&[History], &[ch('y')], Action::CopyLink, "copy link", "copy the webview link of the row"),
    b(FORM, &[ctrl('y')], Action::CopyLink, "copy link", "copy the webview link of the last success"),
    b(MAIN, &[ctrl('x')], Action::CancelPending, "cancel", "cancel the selected (or newest) submission in flight (asks first)"),
    b(&[TypePicker, SubmitButton, History], &[ch('p')], Action::Profiles, "profile", "choose the profile (target) to send to"),
    b(&[TextField], &[ctrl('p')], Action::Profiles, "profile", "choose the profile (works in text fields too)"),
    b(&[TypePicker, SubmitButton, History], &[ctrl('p')], Action::Profiles, "", "choose the profile (works in text fields too)"),
    b(&[History], &[ch('s')], Action::OpenStats, "stats", "figures over the rows in view: outcomes by status, a timeline, time sending per target"),
    b(&[History], &[ch('a')], Action::ToggleAllProfiles, "all profiles", "show every profile's rows / only the current profile's"),
    b(&[History], &[ch('x')], Action::ExportCsv, "export", "export the rows shown (filter applied) to CSV in the data directory").shown(&[ch('x'), ch('X')]),
    b(&[History], &[ch('X')], Action::ExportJson, "", "export the rows shown (filter applied) to JSON in the data directory"),
    b(&[History], &[PGUP], Action::PageUp, "", "page up"),
    b(&[History], &[PGDN], Action::PageDown, "", "page down"),
    b(&[History], &[ch('g'), HOME], Action::Top, "newest/oldest", "newest row").shown(&[ch('g'), ch('G')]),
    b(&[History], &[ch('G'), END], Action::Bottom, "", "oldest row"),
    b(&[Picker], &[ch('j'), DOWN], Action::RowDown, "move", "next profile").shown(&[ch('j'), ch('k')]),
    b(&[Picker], &[ch('k'), UP], Action::RowUp, "", "previous profile"),
    b(&[Picker], &[ENTER], Action::Choose, "use it", "send to this profile from now on"),
    b(&[Picker], &[ESC, ch('q')], Action::Close, "keep current", "close, keeping the current profile"),
    b(&[TypePicker, SubmitButton, History], &[ch('B')], Action::OpenBatch, "batch", "many verifications at once: paste a list or a CSV, or name a file"),
    b(&[TextField], &[ctrl('b')], Action::OpenBatch, "batch", "open the batch screen (works in text fields too)"),
    b(&[TypePicker, SubmitButton, History], &[ctrl('b')], Action::OpenBatch, "", "open the batch screen (works in text fields too)"),
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
    b(&[BatchPreview, BatchRun, BatchDone], &[ch('j'), DOWN], Action::ScrollDown, "scroll", "scroll down").shown(&[ch('j'), ch('k')]),
    b(&[BatchPreview, BatchRun, BatchDone], &[ch('k'), UP], Action::ScrollUp, "", "scroll up"),
    b(&[BatchPreview, BatchRun, BatchDone], &[PGDN], Action::PageDown, "page", "page down").shown(&[PGUP, PGDN]),
    b(&[BatchPreview, BatchRun, BatchDone], &[PGUP], Action::PageUp, "", "page up"),
    b(&[BatchPreview, BatchRun, BatchDone], &[ch('g'), HOME], Action::Top, "first/last", "first row").shown(&[ch('g'), ch('G')]),
    b(&[BatchPreview, BatchRun, BatchDone], &[ch('G'), END], Action::Bottom, "", "last row"),
    b(&[BatchInput], &[ESC], Action::Close, "close", "close the batch screen (the text is kept; a running batch must be stopped first)"),
    b(&[BatchDone], &[ESC, ch('q')], Action::Close, "close", "close the batch screen (the text is kept; a running batch must be stopped first)"),
    // Refused while sending (it says how to stop), so the footer does not offer it there.
    b(&[BatchRun], &[ESC, ch('q')], Action::Close, "", "close the batch screen (the text is kept; a running batch must be stopped first)"),
    b(&[BatchPreview], &[ESC, ch('q')], Action::Close, "back", "back (to the text, as it was)"),
    b(&[BatchConfirm], &[ESC], Action::Close, "back", "back (to the text, as it was)"),
    b(&[Filter], &[ENTER], Action::FilterDone, "keep filter", "keep the filter and go back to the rows"),
    b(&[Filter], &[ESC], Action::FilterClear, "clear", "clear the filter"),
    b(&[Detail], &[ch('c')], Action::CopyCurl, "curl", "copy as curl (the key is $KYC_API_KEY)"),
    b(&[Detail], &[ch('y')], Action::CopyLink, "link", "copy the webview link"),
    b(&[Detail], &[ch('i')], Action::CopyRequestId, "req id", "copy the request id"),
    b(&[Detail], &[ch('b')], Action::CopyBody, "body", "copy the raw response body"),
    b(&[Detail], &[ch('r')], Action::Resend, "resend", "resend as a new submission (new idempotency key)"),
    b(&[Detail], &[ch('R')], Action::RetrySameKey, "retry same key", "retry with the same idempotency key (no outcome yet: never starts it twice)"),
    b(&[Detail], &[ch('l')], Action::LoadIntoForm, "edit", "load the request into the form"),
    b(&[Stats], &[ch('t')], Action::TogglePer, "per minute/hour", "the timeline per minute / per hour"),
    b(&[Stats], &[ch('z')], Action::ToggleZone, "local/UTC", "the timeline in local time / UTC"),
    b(&[Stats], &[ch('r')], Action::Refresh, "refresh", "count again (rows recorded since come in)"),
    b(&[Detail, Stats, Help], &[ch('j'), DOWN], Action::ScrollDown, "scroll", "scroll down").shown(&[ch('j'), ch('k')]),
    b(&[Detail, Stats, Help], &[ch('k'), UP], Action::ScrollUp, "", "scroll up"),
    b(&[Detail, Stats, Help], &[PGDN], Action::PageDown, "page", "page down").shown(&[PGUP, PGDN]),
    b(&[Detail, Stats, Help], &[PGUP], Action::PageUp, "", "page up"),
    b(&[Detail, Stats, Help], &[ch('g'), HOME], Action::Top, "top/end", "to the top").shown(&[ch('g'), ch('G')]),
    b(&[Detail, Stats, Help], &[ch('G'), END], Action::Bottom, "", "to the end"),
    b(&[Help], &[ch('?')], Action::Close, "", "close"),
    b(&[TypePicker, SubmitButton, History, Detail, Stats], &[ch('?')], Action::Help, "help", "show every key, this screen's first"),
    b(EVERYWHERE, &[F1], Action::Help, "", "show every key, this screen's first (works in text fields too)"),
];

/// The action a key has in a mode, if any.
pub fn action_for(mode: Mode, event: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode))
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// `(keys, text)` pairs for the footer in a mode: each row with footer text, named by its
/// shown keys; rows that say the same thing are one item (`Ctrl-C/q quit`).
pub fn footer(mode: Mode) -> Vec<(String, &'static str)> {
    footer_where(mode, |_| true)
}

/// [`footer`] with only the rows whose action `offered` says acts now: a key refused in a
/// state is not offered in it (e.g. resume on a finished batch with nothing left).
pub fn footer_where(mode: Mode, offered: impl Fn(Action) -> bool) -> Vec<(String, &'static str)> {
    // Help comes first so it survives a narrow terminal; in text fields `?` is a character.
    let mut items: Vec<(Vec<Key>, &'static str)> = if mode == Mode::Help {
        Vec::new()
    } else {
        let help = BINDINGS
            .iter()
            .find(|b| b.modes.contains(&mode) && b.action == Action::Help)
            .map(|b| vec![b.keys[0]])
            .unwrap_or_default();
        vec![(help, "help")]
    };
    for b in BINDINGS.iter().filter(|b| {
        b.modes.contains(&mode)
            && !b.footer.is_empty()
            && b.action != Action::Help
            && offered(b.action)
    }) {
        let keys = if b.shown.is_empty() { b.keys } else { b.shown };
        match items.iter_mut().find(|(_, text)| *text == b.footer) {
            Some((known, _)) => {
                for k in keys {
                    if !known.contains(k) {
                        known.push(*k);
                    }
                }
            }
            None => items.push((keys.to_vec(), b.footer)),
        }
    }
    items
        .into_iter()
        .map(|(keys, text)| (compact_label(&keys), text))
        .collect()
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

/// Keys joined with `/`, a run of three or more digits written as a range: `1-4/f/s`.
fn compact_label(keys: &[Key]) -> String {
    let digit = |k: &Key| match k.code {
        KeyCode::Char(c) if k.mods.is_empty() => c.to_digit(10),
        _ => None,
    };
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let mut end = i + 1;
        if let Some(first) = digit(&keys[i]) {
            while end < keys.len() && digit(&keys[end]) == Some(first + (end - i) as u32) {
                end += 1;
            }
        }
        if end - i >= 3 {
            parts.push(format!("{}-{}", keys[i].label(), keys[end - 1].label()));
        } else {
            end = i + 1;
            parts.push(keys[i].label());
        }
        i = end;
    }
    parts.join("/")
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
pub const HELP_ORDER: [Mode; 15] = [
    TextField,
    TypePicker,
    SubmitButton,
    History,
    Filter,
    Detail,
    Stats,
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
        assert_eq!(key_names(Confirm, Action::No), ["n", "Esc", "q", "Enter"]);
        // Two rows close the help overlay: both are listed, in table order.
        assert_eq!(keys_label(Help, Action::Close), "Esc/q/?");
        assert_eq!(key_name(TextField, Action::Resend), UNBOUND);
        assert_eq!(keys_label(TextField, Action::Resend), UNBOUND);
    }

    #[test]
    fn q_closes_what_is_on_top_and_quits_only_from_the_form() {
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        let esc = press(KeyCode::Esc, KeyModifiers::NONE);
        for mode in [
            Detail,
            Help,
            History,
            Picker,
            BatchPreview,
            BatchRun,
            BatchDone,
        ] {
            assert_eq!(action_for(mode, &q), Some(Action::Close), "{mode:?}");
            assert_eq!(action_for(mode, &esc), Some(Action::Close), "{mode:?}");
        }
        assert_eq!(action_for(Confirm, &q), Some(Action::No));
        assert_eq!(action_for(Confirm, &esc), Some(Action::No));
        for mode in [TypePicker, SubmitButton] {
            assert_eq!(action_for(mode, &q), Some(Action::Quit), "{mode:?}");
        }
        // Where text is typed, q is a letter.
        for mode in [TextField, Filter, BatchInput, BatchConfirm] {
            assert_eq!(action_for(mode, &q), None, "{mode:?}");
        }
    }

    #[test]
    fn the_detail_and_the_help_scroll_by_line_page_and_to_either_end() {
        for mode in [Detail, Help] {
            for (code, action) in [
                (KeyCode::Char('j'), Action::ScrollDown),
                (KeyCode::Down, Action::ScrollDown),
                (KeyCode::Char('k'), Action::ScrollUp),
                (KeyCode::Up, Action::ScrollUp),
                (KeyCode::PageDown, Action::PageDown),
                (KeyCode::PageUp, Action::PageUp),
                (KeyCode::Char('g'), Action::Top),
                (KeyCode::Home, Action::Top),
                (KeyCode::Char('G'), Action::Bottom),
                (KeyCode::End, Action::Bottom),
            ] {
                assert_eq!(
                    action_for(mode, &press(code, KeyModifiers::NONE)),
                    Some(action),
                    "{mode:?} {code:?}"
                );
            }
        }
    }

    #[test]
    fn keys_a_footer_names_are_bound_where_it_names_them() {
        for b in BINDINGS {
            for k in b.shown {
                for mode in b.modes {
                    let event = press(k.code, k.mods);
                    assert!(
                        action_for(*mode, &event).is_some(),
                        "{} named for {:?} in {mode:?} is unbound",
                        k.label(),
                        b.action
                    );
                }
            }
        }
    }

    #[test]
    fn footer_items_name_pairs_and_ranges() {
        let items = footer(TypePicker);
        assert!(items.contains(&("↑/↓".to_string(), "type")), "{items:?}");
        assert!(
            items.contains(&("1-4/f/s/r/i".to_string(), "pick")),
            "{items:?}"
        );
        assert!(
            items.contains(&("Ctrl-C/q".to_string(), "quit")),
            "{items:?}"
        );
        let items = footer(Detail);
        for (keys, text) in [
            ("r", "resend"),
            ("R", "retry same key"),
            ("l", "edit"),
            ("j/k", "scroll"),
        ] {
            assert!(items.contains(&(keys.to_string(), text)), "{items:?}");
        }
    }
}
