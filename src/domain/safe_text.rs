//! Text that came from the network, a file or the history, made safe to put on a terminal.
//!
//! A terminal acts on what it is sent: ESC starts a sequence that can move the cursor,
//! clear the screen, retitle the window or write the clipboard (OSC 52); C1 controls
//! (U+0080–U+009F) do the same in one character; BEL, backspace and CR overwrite what was
//! printed; bidi overrides reorder what is read. None of that may reach the operator's
//! terminal from an API response, an input file or a stored record.
//!
//! [`safe_text`] writes every such character as a visible escape (`\x1b`, `\u{9b}`,
//! `\u{202e}`) and cuts a value longer than its limit with a marker saying how many bytes
//! were left out (`…(+998976 bytes)`). [`safe_lines`] does the same for a multi-line body
//! printed line by line: newlines stay, each line is made safe on its own.
//!
//! The result holds no character [`needs_escape`] names, is never longer than its limit,
//! and is a fixed point: making it safe again changes nothing. JSON and CSV outputs keep
//! the exact values; only text for people goes through here.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest a single value (an id, a status, a URL, a header) is shown, in bytes.
pub const VALUE_LIMIT: usize = 512;
/// The longest one line of a body is shown, in bytes.
pub const LINE_LIMIT: usize = 4096;
/// The smallest limit honoured: room for some text and the marker.
pub const MIN_LIMIT: usize = 48;

/// Room kept for the marker when a value is cut: `…(+` and ` bytes)` around any `usize`.
const MARKER_ROOM: usize = "…(+".len() + 20 + " bytes)".len();

/// Whether a character must not reach a terminal as it is: every control (C0, DEL, C1),
/// the bidi controls, the line and paragraph separators, and the byte-order mark.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
        )
}

/// A value made safe to print on one line, cut at [`VALUE_LIMIT`] bytes.
pub fn safe_text(text: &str) -> Cow<'_, str> {
    safe_text_within(text, VALUE_LIMIT)
}

/// A value made safe to print on one line, at most `limit` bytes long (at least
/// [`MIN_LIMIT`]). Borrowed when the text was safe already.
pub fn safe_text_within(text: &str, limit: usize) -> Cow<'_, str> {
    let limit = limit.max(MIN_LIMIT);
    if text.len() <= limit && !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    // Where the text stands once only the room for a marker is left: (output, input) bytes.
    let keep = limit - MARKER_ROOM;
    let mut cut: Option<(usize, usize)> = None;
    let mut out = String::with_capacity(text.len().min(limit));
    for (at, c) in text.char_indices() {
        let before = out.len();
        push_visible(&mut out, c);
        if cut.is_none() && out.len() > keep {
            cut = Some((before, at));
        }
        if out.len() > limit {
            let (kept, read) = cut.unwrap_or((before, at));
            out.truncate(kept);
            let _ = write!(out, "…(+{} bytes)", text.len() - read);
            return Cow::Owned(out);
        }
    }
    Cow::Owned(out)
}

/// A multi-line text (a body) made safe to print line by line: each line as
/// [`safe_text_within`] `line_limit`, joined by `\n`. A CR before a newline goes with it.
pub fn safe_lines(text: &str, line_limit: usize) -> Cow<'_, str> {
    let clean = text
        .split('\n')
        .all(|line| matches!(safe_text_within(line, line_limit), Cow::Borrowed(_)));
    if clean {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text
        .split('\n')
        .map(|line| safe_text_within(line.strip_suffix('\r').unwrap_or(line), line_limit))
        .collect();
    Cow::Owned(lines.join("\n"))
}

/// An owned [`safe_text`], for fields of a description.
pub fn safe_string(text: &str) -> String {
    safe_text(text).into_owned()
}

/// Writes `c`, or its visible escape.
fn push_visible(out: &mut String, c: char) {
    if !needs_escape(c) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_and_sequences_become_visible() {
        assert_eq!(safe_text("kyc-1"), "kyc-1");
        assert!(matches!(safe_text("kyc-1"), Cow::Borrowed(_)));
        assert_eq!(
            safe_text("a\u{1b}]52;c;aGk=\u{7}b"),
            "a\\x1b]52;c;aGk=\\x07b",
            "OSC 52 with BEL"
        );
        assert_eq!(safe_text("\u{1b}[2J\u{1b}[H"), "\\x1b[2J\\x1b[H");
        assert_eq!(safe_text("\u{9b}31m"), "\\u{9b}31m", "C1 CSI");
        assert_eq!(safe_text("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(
            safe_text("a\rb\u{8}c\td\ne\u{7f}"),
            "a\\rb\\x08c\\td\\ne\\x7f"
        );
        assert_eq!(safe_text("\u{0}"), "\\x00");
        assert_eq!(safe_text("é ✓ 日本"), "é ✓ 日本", "printable text stays");
    }

    #[test]
    fn long_values_are_cut_with_a_marker() {
        let id = "k".repeat(1_000_000);
        let shown = safe_text(&id);
        assert!(shown.len() <= VALUE_LIMIT, "{}", shown.len());
        let kept = shown.chars().take_while(|&c| c == 'k').count();
        assert_eq!(
            shown,
            format!("{}…(+{} bytes)", "k".repeat(kept), 1_000_000 - kept)
        );
        // Escapes count towards the limit and are never split.
        let escapes = "\u{1b}".repeat(400);
        let shown = safe_text_within(&escapes, 100);
        assert!(shown.len() <= 100);
        assert!(shown.starts_with("\\x1b\\x1b"));
        assert!(shown.contains("…(+"), "{shown}");
        let before_marker = shown.split('…').next().unwrap_or_default();
        assert_eq!(before_marker.len() % 4, 0, "{shown}");
    }

    #[test]
    fn bodies_keep_their_lines() {
        assert_eq!(
            safe_lines("{\r\n  \"id\": \"a\u{1b}[2J\"\n}", LINE_LIMIT),
            "{\n  \"id\": \"a\\x1b[2J\"\n}"
        );
        assert!(matches!(safe_lines("a\nb", LINE_LIMIT), Cow::Borrowed(_)));
        let long = format!("short\n{}\nend", "x".repeat(10_000));
        let shown = safe_lines(&long, LINE_LIMIT);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].len() <= LINE_LIMIT && lines[1].contains("…(+"));
    }

    proptest! {
        #[test]
        fn nothing_unsafe_comes_out_and_safe_text_is_a_fixed_point(
            text in any::<String>(),
            limit in 0usize..600,
        ) {
            let once = safe_text_within(&text, limit).into_owned();
            prop_assert!(!once.chars().any(needs_escape), "{once:?}");
            prop_assert!(once.len() <= limit.max(MIN_LIMIT));
            prop_assert_eq!(safe_text_within(&once, limit), once.as_str());
            if text.len() <= limit.max(MIN_LIMIT) && !text.chars().any(needs_escape) {
                prop_assert_eq!(once.as_str(), text.as_str());
            }
        }

        #[test]
        fn controls_and_long_text_in_any_mix(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("\u{1b}]52;c;".to_string()),
                    Just("\u{1b}[2J".to_string()),
                    Just("\u{9b}".to_string()),
                    Just("\u{202e}".to_string()),
                    Just("\r\n".to_string()),
                    Just("\u{7}".to_string()),
                    "[a-z✓]{0,300}",
                ],
                0..40,
            ),
        ) {
            let text = parts.concat();
            let line = safe_text(&text).into_owned();
            prop_assert!(!line.chars().any(needs_escape));
            prop_assert!(line.len() <= VALUE_LIMIT);
            prop_assert_eq!(safe_text(&line), line.as_str());
            let body = safe_lines(&text, 64).into_owned();
            prop_assert!(body.split('\n').all(|l| l.len() <= 64 && !l.chars().any(needs_escape)));
            prop_assert_eq!(safe_lines(&body, 64), body.as_str());
        }
    }
}
