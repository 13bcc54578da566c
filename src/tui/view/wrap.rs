//! Word wrapping for what the console draws, so no message is cut at the edge: lines break
//! at spaces, continuation lines are indented under the text they continue, and a word too
//! long for a line (a link, a path) breaks after a `/`, `?` or `&`, so an id in it stays
//! whole. Only a word with no such place and wider than a line is broken inside.
//!
//! The wrapped lines are what is drawn (no further wrapping by the widget), so their count
//! is the height the text takes: scrolling and layout rely on it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Where a word too long for a line may break: after one of these.
const BREAK_AFTER: [char; 3] = ['/', '?', '&'];
/// A long word starts on the next line rather than leave fewer columns than this of it.
const MIN_PART: usize = 8;

/// The columns a character takes on screen.
fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// A character with its style.
type Cell = (char, Style);

/// `line` wrapped to `width` columns; lines after the first start with `hang` spaces.
pub fn wrap(line: &Line<'_>, width: usize, hang: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    // A hanging indent that leaves less than half the line is not worth keeping.
    let hang = if hang * 2 > width { 0 } else { hang };
    let cells: Vec<Cell> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let mut out = Wrapper {
        width,
        hang,
        lines: Vec::new(),
        current: Vec::new(),
        used: 0,
        fresh: true,
    };
    let mut i = 0;
    while i < cells.len() {
        let start = i;
        let space = cells[i].0 == ' ';
        while i < cells.len() && (cells[i].0 == ' ') == space {
            i += 1;
        }
        if space {
            out.spaces(&cells[start..i]);
        } else {
            out.word(&cells[start..i]);
        }
    }
    out.finish()
}

/// The spaces a line starts with.
pub fn leading_spaces(line: &Line<'_>) -> usize {
    line.spans
        .iter()
        .flat_map(|s| s.content.chars())
        .take_while(|c| *c == ' ')
        .count()
}

struct Wrapper {
    width: usize,
    hang: usize,
    lines: Vec<Line<'static>>,
    current: Vec<Cell>,
    used: usize,
    /// Nothing but the indent on the current line yet (a continuation line).
    fresh: bool,
}

fn width_of(cells: &[Cell]) -> usize {
    cells.iter().map(|(c, _)| char_width(*c)).sum()
}

impl Wrapper {
    /// Spaces between words: kept on the line they are on (they align columns), dropped at
    /// the start of a continuation line.
    fn spaces(&mut self, cells: &[Cell]) {
        if self.fresh && !self.lines.is_empty() {
            return;
        }
        let fit = cells.len().min(self.width.saturating_sub(self.used));
        self.push(&cells[..fit]);
        if fit < cells.len() {
            self.new_line();
        }
    }

    fn word(&mut self, mut cells: &[Cell]) {
        loop {
            let w = width_of(cells);
            let room = self.width.saturating_sub(self.used);
            if w <= room {
                self.push(cells);
                self.fresh = false;
                return;
            }
            let line_room = self.width - self.hang;
            // A word that fits on a line of its own goes to the next line whole.
            if w <= line_room && !self.fresh {
                self.trim_trailing_spaces();
                self.new_line();
                continue;
            }
            // Too long for any line: break where a link or path allows, else at the edge;
            // on a line already started only if a useful part fits.
            let cut = break_at(cells, room);
            if (!self.fresh && cut < MIN_PART) || (cut == 0 && self.used > self.hang) {
                self.trim_trailing_spaces();
                self.new_line();
                continue;
            }
            // Not even one character fits on an empty line: show one anyway.
            let cut = cut.max(1);
            self.push(&cells[..cut]);
            self.fresh = false;
            cells = &cells[cut..];
            if cells.is_empty() {
                return;
            }
            self.new_line();
        }
    }

    fn push(&mut self, cells: &[Cell]) {
        self.used += width_of(cells);
        self.current.extend_from_slice(cells);
    }

    fn trim_trailing_spaces(&mut self) {
        while self.current.last().is_some_and(|(c, _)| *c == ' ') && self.current.len() > self.hang
        {
            self.current.pop();
            self.used = self.used.saturating_sub(1);
        }
    }

    fn new_line(&mut self) {
        let cells = std::mem::take(&mut self.current);
        self.lines.push(to_line(&cells));
        self.current = vec![(' ', Style::new()); self.hang];
        self.used = self.hang;
        self.fresh = true;
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        if !self.fresh || self.lines.is_empty() {
            let cells = std::mem::take(&mut self.current);
            self.lines.push(to_line(&cells));
        }
        self.lines
    }
}

/// How many cells of `cells` to put on a line with `room` columns left: up to the last
/// break character that fits, else as many as fit.
fn break_at(cells: &[Cell], room: usize) -> usize {
    let mut used = 0;
    let mut fits = 0;
    let mut after_break = None;
    for (i, (c, _)) in cells.iter().enumerate() {
        used += char_width(*c);
        if used > room {
            break;
        }
        fits = i + 1;
        // A break after the last character is no break at all.
        if BREAK_AFTER.contains(c) && i + 1 < cells.len() {
            after_break = Some(i + 1);
        }
    }
    after_break.unwrap_or(fits)
}

/// Cells back into spans, one per run of a style.
fn to_line(cells: &[Cell]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = None;
    for (c, s) in cells {
        if style.is_some_and(|st| st != *s) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(*s);
        text.push(*c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    Line::from(spans)
}

/// The most lines a block of notes under a table or the editor takes.
pub const NOTES_MAX: u16 = 6;

/// Plain text wrapped as [`wrap`] does, one string a line (at least one).
pub fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let lines: Vec<String> = wrap(&Line::raw(text), width, 0)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    }
}

/// Messages as lines wrapped to `width`, each in its style.
pub fn wrapped(messages: &[(String, Style)], width: u16) -> Vec<Line<'static>> {
    messages
        .iter()
        .flat_map(|(text, style)| wrap(&Line::styled(text.clone(), *style), usize::from(width), 0))
        .collect()
}

/// The height `lines` take, at most `max`.
pub fn height(lines: &[Line], max: u16) -> u16 {
    u16::try_from(lines.len()).unwrap_or(u16::MAX).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn breaks_at_spaces_with_a_hanging_indent() {
        let line = Line::raw("  what to do  send the end user the webview link, or wait");
        assert_eq!(
            text(&wrap(&line, 30, 14)),
            [
                "  what to do  send the end",
                "              user the webview",
                "              link, or wait",
            ]
        );
        assert_eq!(
            text(&wrap(&Line::raw("  → retry with the same key"), 16, 2)),
            ["  → retry with", "  the same key"]
        );
    }

    #[test]
    fn a_short_line_is_left_alone() {
        assert_eq!(text(&wrap(&Line::raw("✓ valid"), 40, 2)), ["✓ valid"]);
        assert_eq!(text(&wrap(&Line::raw(""), 40, 2)), [""]);
    }

    #[test]
    fn a_link_breaks_after_a_slash_and_keeps_its_id_whole() {
        let url = "http://127.0.0.1:43117/webview/kyc-8d2f61c4-3b7a-4e95-a0c1-5f9e2d7b0001";
        let lines = text(&wrap(&Line::raw(format!("  {url}")), 47, 2));
        assert_eq!(
            lines,
            [
                "  http://127.0.0.1:43117/webview/",
                "  kyc-8d2f61c4-3b7a-4e95-a0c1-5f9e2d7b0001"
            ]
        );
        // After a label, the link starts beside it and breaks the same way.
        let lines = text(&wrap(&Line::raw(format!("  webview     {url}")), 60, 14));
        assert_eq!(
            lines,
            [
                "  webview     http://127.0.0.1:43117/webview/",
                "              kyc-8d2f61c4-3b7a-4e95-a0c1-5f9e2d7b0001"
            ]
        );
    }

    #[test]
    fn a_word_with_nowhere_to_break_is_cut_at_the_edge_and_nothing_is_lost() {
        let word = "x".repeat(25);
        let lines = text(&wrap(&Line::raw(format!("ab {word}")), 10, 0));
        assert_eq!(lines.concat().replace(' ', ""), format!("ab{word}"));
        assert!(lines.iter().all(|l| l.chars().count() <= 10), "{lines:?}");
    }

    #[test]
    fn styles_survive_the_wrap() {
        let red = Style::new().fg(ratatui::style::Color::Red);
        let line = Line::from(vec![Span::raw("one two "), Span::styled("three four", red)]);
        let lines = wrap(&line, 9, 0);
        assert_eq!(text(&lines), ["one two", "three", "four"]);
        assert_eq!(lines[1].spans[0].style, red);
        assert_eq!(lines[0].spans[0].style, Style::new());
    }

    #[test]
    fn wide_characters_count_double() {
        let lines = text(&wrap(&Line::raw("ab 漢字漢字 cd"), 8, 0));
        assert_eq!(lines, ["ab", "漢字漢字", "cd"]);
    }

    #[test]
    fn never_wider_than_asked_whatever_the_text() {
        for width in 1..30 {
            for hang in [0, 2, 14] {
                let line = Line::raw(
                    "  a/b/c  https://x.example/a?b=c&d=e  usr-3f0e8d4a-5b6c-4d7e-8f90-a1b2c3d4e5f6 ✓",
                );
                for l in wrap(&line, width, hang) {
                    assert!(l.width() <= width, "{width}/{hang}: {l:?}");
                }
            }
        }
    }

    #[test]
    fn plain_text_breaks_at_spaces_and_inside_only_words_longer_than_a_line() {
        assert_eq!(
            wrap_text("column 24: expected one of full, shipping, rfi, import", 20),
            [
                "column 24: expected",
                "one of full,",
                "shipping, rfi,",
                "import"
            ]
        );
        assert_eq!(wrap_text("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_text("", 4), [""]);
    }
}
