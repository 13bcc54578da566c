//! The batch editor: the multi-line text area holding a pasted list, and how a paste is
//! cleaned before it goes in.

use std::sync::{Mutex, MutexGuard, PoisonError};

use ratatui_textarea::TextArea;

use super::theme::Theme;
use crate::domain::{needs_escape, safe_text};

/// The batch editor: a multi-line text area (cursor, arrows, Home/End, Delete, scrolling
/// back, undo), kept across closing the screen while nothing was sent from it.
///
/// The text area keeps where it last scrolled to in cells it updates as it is drawn; the
/// lock only keeps the state shareable between threads (tests watch it from another
/// task). One task uses it, so the lock is never contended.
#[derive(Default)]
pub struct BatchDraft(Mutex<TextArea<'static>>);

impl BatchDraft {
    /// The text area, to change.
    pub fn get_mut(&mut self) -> &mut TextArea<'static> {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// The text area, to read or draw.
    pub fn lock(&self) -> MutexGuard<'_, TextArea<'static>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clone for BatchDraft {
    fn clone(&self) -> Self {
        BatchDraft(Mutex::new(self.lock().clone()))
    }
}

impl std::fmt::Debug for BatchDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BatchDraft")
            .field(&self.lock().lines())
            .finish()
    }
}

/// A new, empty batch editor styled for the theme.
pub fn new_editor(theme: Theme) -> BatchDraft {
    let mut editor = TextArea::default();
    editor.set_style(theme.input_focused());
    editor.set_cursor_line_style(ratatui::style::Style::default());
    editor.set_line_number_style(theme.muted());
    // A long row (a CSV line with its redirect URI) wraps under its own line number rather
    // than scrolling the numbers out of sight.
    editor.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    editor.set_placeholder_text(
        "paste user ids, one per line, or a CSV with a header; or type a file's path",
    );
    editor.set_placeholder_style(theme.muted());
    BatchDraft(Mutex::new(editor))
}

/// Text pasted into the editor as it is kept and shown: line breaks as `\n`, and every
/// control character or bidi override (tabs aside) written as a visible escape, so what
/// is on screen is what is checked.
pub fn clean_paste(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if !text
        .chars()
        .any(|c| c != '\n' && c != '\t' && needs_escape(c))
    {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c == '\n' || c == '\t' || !needs_escape(c) {
            out.push(c);
        } else {
            out.push_str(&safe_text(c.encode_utf8(&mut buf)));
        }
    }
    out
}
