//! Text wrapped to the width it is given, so no message is cut.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The most lines a block of notes under a table or the editor takes.
pub const NOTES_MAX: u16 = 6;

/// Splits text into lines of at most `width` columns, at spaces where it can; a word
/// longer than a line is cut where the line ends.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let w = Span::raw(word).width();
        if used > 0 && used + 1 + w > width {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        let mut buf = [0u8; 4];
        for c in word.chars() {
            let cw = Span::raw(&*c.encode_utf8(&mut buf)).width();
            if used > 0 && used + cw > width {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
    lines
}

/// Messages as lines wrapped to `width`, each in its style.
pub fn wrapped(messages: &[(String, Style)], width: u16) -> Vec<Line<'static>> {
    messages
        .iter()
        .flat_map(|(text, style)| {
            wrap(text, usize::from(width))
                .into_iter()
                .map(move |l| Line::styled(l, *style))
        })
        .collect()
}

pub fn height(lines: &[Line], max: u16) -> u16 {
    u16::try_from(lines.len()).unwrap_or(u16::MAX).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_only_words_longer_than_a_line() {
        assert_eq!(
            wrap("column 24: expected one of full, shipping, rfi, import", 20),
            [
                "column 24: expected",
                "one of full,",
                "shipping, rfi,",
                "import"
            ]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("a b", 0), ["a", "b"]);
    }
}
