//! Reading a batch: a CSV with a header (`user_id`, `type`, `redirect_uri`) or a plain list
//! of user ids, one per line. File-level problems name the line; row-level problems are
//! left to validation so the preview can show every row.

use std::fmt;

/// One data line of the input, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRow {
    /// 1-based line in the input.
    pub line: u32,
    pub user_id: String,
    /// The `type` cell, when the input has that column and the cell is not empty.
    pub kyc_type: Option<String>,
    /// The `redirect_uri` cell, when present and not empty.
    pub redirect_uri: Option<String>,
}

/// Why an input cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line, when the problem has one.
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InputError {}

fn fail<T>(line: Option<u32>, message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError {
        line,
        message: message.into(),
    })
}

/// The columns a CSV may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    UserId,
    Type,
    RedirectUri,
}

fn column(name: &str) -> Option<Column> {
    let compact: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    match compact.as_str() {
        "userid" | "user" => Some(Column::UserId),
        "type" | "kyctype" => Some(Column::Type),
        "redirecturi" | "redirecturl" | "redirect" => Some(Column::RedirectUri),
        _ => None,
    }
}

/// Reads a batch from bytes (a file or a paste).
pub fn read_input(bytes: &[u8]) -> Result<Vec<InputRow>, InputError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return fail(
                Some(u32::try_from(line).unwrap_or(u32::MAX)),
                "not valid UTF-8 text: save the file as UTF-8 (CSV UTF-8 in a spreadsheet)",
            );
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((first_index, first)) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    else {
        return fail(
            None,
            "the input is empty: give a CSV with a header line (user_id,type,redirect_uri) or one user id per line",
        );
    };
    // A header names a column somewhere in its first line; rows without one are read in
    // the order user id, type, redirect URI (a plain list is the first column alone).
    let looks_like_header = first.split(',').any(|cell| column(cell.trim()).is_some());
    if looks_like_header {
        read_csv(text, u32::try_from(first_index + 1).unwrap_or(1))
    } else {
        read_rows(text)
    }
}

/// Rows without a header: `user_id[,type][,redirect_uri]`, one a line.
fn read_rows(text: &str) -> Result<Vec<InputRow>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, 3, text))?;
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() > 3 {
            return fail(
                Some(line),
                format!(
                    "{} fields: a row without a header line is user_id[,type][,redirect_uri] \
                     (quote a value that contains a comma, or add a header line)",
                    record.len()
                ),
            );
        }
        let cell = |i: usize| record.get(i).filter(|v| !v.is_empty()).map(str::to_string);
        rows.push(InputRow {
            line,
            user_id: cell(0).unwrap_or_default(),
            kyc_type: cell(1),
            redirect_uri: cell(2),
        });
    }
    Ok(rows)
}

fn read_csv(text: &str, header_line: u32) -> Result<Vec<InputRow>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InputError {
            line: Some(header_line),
            message: format!("cannot read the header: {e}"),
        })?
        .clone();
    let mut columns = Vec::with_capacity(headers.len());
    for name in &headers {
        match column(name) {
            Some(c) if columns.contains(&Some(c)) => {
                return fail(
                    Some(header_line),
                    format!("the column {name:?} appears twice"),
                );
            }
            Some(c) => columns.push(Some(c)),
            None if name.is_empty() => {
                return fail(
                    Some(header_line),
                    "an empty column name in the header: expected user_id, type, redirect_uri",
                );
            }
            None => {
                return fail(
                    Some(header_line),
                    format!(
                        "unknown column {name:?}: expected user_id, and optionally type and redirect_uri"
                    ),
                );
            }
        }
    }
    if !columns.contains(&Some(Column::UserId)) {
        return fail(
            Some(header_line),
            "the header has no user_id column: expected user_id, and optionally type and redirect_uri",
        );
    }
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, headers.len(), text))?;
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |wanted: Column| {
            columns
                .iter()
                .position(|c| *c == Some(wanted))
                .and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        rows.push(InputRow {
            line,
            user_id: cell(Column::UserId).unwrap_or_default(),
            kyc_type: cell(Column::Type),
            redirect_uri: cell(Column::RedirectUri),
        });
    }
    if rows.is_empty() {
        return fail(
            Some(header_line),
            "a header but no rows: add one user per line under it",
        );
    }
    Ok(rows)
}

/// The 1-based line of a byte offset (the reader's own count skips blank lines).
fn line_at(text: &str, byte: u64) -> u32 {
    LineCounter::new(text).line_at(byte)
}

/// Lines of the records of one text, read in order: each call counts only the newlines
/// since the last one, so numbering every record reads the text once.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// The offset counted up to, and the newlines before it.
    at: usize,
    newlines: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            at: 0,
            newlines: 0,
        }
    }

    /// The 1-based line of the record at `byte`.
    fn line_at(&mut self, byte: u64) -> u32 {
        let bytes = self.bytes;
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        // A record after blank or comment lines is reported where those start.
        while at < bytes.len() {
            match bytes[at] {
                b'\n' | b'\r' => at += 1,
                b'#' => {
                    at = bytes[at..]
                        .iter()
                        .position(|b| *b == b'\n')
                        .map_or(bytes.len(), |n| at + n + 1);
                }
                _ => break,
            }
        }
        if at < self.at {
            // Records come in order; start over rather than count wrong if one does not.
            (self.at, self.newlines) = (0, 0);
        }
        self.newlines += bytes[self.at..at].iter().filter(|b| **b == b'\n').count();
        self.at = at;
        u32::try_from(self.newlines + 1).unwrap_or(u32::MAX)
    }
}

fn csv_error(e: &csv::Error, header_len: usize, text: &str) -> InputError {
    let line = e.position().map(|p| line_at(text, p.byte()));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { len, .. } => format!(
            "{len} field(s), but the header has {header_len}: every row needs the same columns \
             (quote a value that contains a comma)"
        ),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text: save the file as UTF-8".to_string(),
        _ => e.to_string(),
    };
    InputError { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plain_list_skipping_blanks_and_comments() {
        let rows = read_input(b"# ids from ticket 42\nusr-a\n\n  usr-b  \r\nusr-c").unwrap();
        let got: Vec<_> = rows.iter().map(|r| (r.line, r.user_id.as_str())).collect();
        assert_eq!(got, [(2, "usr-a"), (4, "usr-b"), (5, "usr-c")]);
        assert!(rows.iter().all(|r| r.kyc_type.is_none()));
    }

    #[test]
    fn reads_a_csv_with_any_column_order_and_optional_cells() {
        let text = "\u{feff}type,user_id,redirect_uri\nrfi, usr-a ,https://x.example\n,usr-b,\n\nfull,usr-c,\n";
        let rows = read_input(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            InputRow {
                line: 2,
                user_id: "usr-a".into(),
                kyc_type: Some("rfi".into()),
                redirect_uri: Some("https://x.example".into())
            }
        );
        assert_eq!((rows[1].line, rows[1].kyc_type.as_deref()), (3, None));
        assert_eq!(rows[2].line, 5);
        let only_ids = read_input(b"user_id\nusr-a\n").unwrap();
        assert_eq!(only_ids[0].user_id, "usr-a");
    }

    #[test]
    fn rows_without_a_header_are_user_id_type_redirect_uri() {
        let text = "usr-a\nusr-b,rfi\n# a note\nusr-c, shipping ,https://x.example/done\nusr-d,,\n";
        let rows = read_input(text.as_bytes()).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.user_id.as_str(),
                    r.kyc_type.as_deref(),
                    r.redirect_uri.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, "usr-a", None, None),
                (2, "usr-b", Some("rfi"), None),
                (4, "usr-c", Some("shipping"), Some("https://x.example/done")),
                (5, "usr-d", None, None),
            ]
        );
        let err = read_input(b"usr-a,full,https://x,extra\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.starts_with("4 fields"), "{err}");
    }

    #[test]
    fn file_errors_name_the_line() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "the input is empty"),
            (b"\n  \n# only a comment\n", "the input is empty"),
            (
                b"user_id,colour\nusr-a,red\n",
                "line 1: unknown column \"colour\"",
            ),
            (
                b"type,redirect_uri\nfull,https://x\n",
                "line 1: the header has no user_id column",
            ),
            (
                b"user_id,type\nusr-a,full\nusr-b,full,extra\n",
                "line 3: 3 field(s), but the header has 2",
            ),
            (b"user_id,type\n", "line 1: a header but no rows"),
            (
                b"user_id,user_id\nusr-a,usr-b\n",
                "line 1: the column \"user_id\" appears twice",
            ),
        ];
        for (input, expected) in cases {
            let e = read_input(input).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{expected:?} vs {e:?}");
        }
        let e = read_input(b"usr-a\nusr-b\nusr-\xff\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().contains("UTF-8"));
    }

    #[test]
    fn lines_are_numbered_across_blanks_comments_crlf_and_quoted_line_breaks() {
        let text =
            "user_id,type\r\nusr-a,full\r\n\r\n# a comment\r\n\"usr-\nb\",rfi\r\n\n\nusr-c,\n";
        let rows = read_input(text.as_bytes()).unwrap();
        let got: Vec<_> = rows.iter().map(|r| (r.line, r.user_id.as_str())).collect();
        assert_eq!(got, [(2, "usr-a"), (5, "usr-\nb"), (9, "usr-c")]);
    }

    #[test]
    fn a_long_csv_is_numbered_to_its_last_line() {
        // Numbering each record from the start made this quadratic: minutes, not a blink.
        let mut text = String::from("user_id,type,redirect_uri\n");
        for n in 0..50_000 {
            if n % 1000 == 0 {
                text.push('\n');
            }
            text.push_str(&format!("usr-{n},full,https://x.example/{n}\n"));
        }
        let rows = read_input(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 50_000);
        let last = rows.last().unwrap();
        assert_eq!((last.line, last.user_id.as_str()), (50_051, "usr-49999"));
    }
}
