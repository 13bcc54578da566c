//! The top-level fields of a JSON object, read as the bytes come: a success's verification
//! id survives a body longer than the bytes kept, a body cut short, or trailing bytes that
//! are not JSON. Nothing is buffered beyond the value being read.

use std::collections::BTreeMap;

/// The top-level fields a success is looked up by: its id, its status, its webview link.
pub const LOOKUP_FIELDS: [&str; 3] = ["id", "status", "url"];

/// The longest value kept: anything longer is not an identifier.
const MAX_VALUE: usize = 4096;

/// What is being read at the top level of the object.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    /// Between tokens.
    Nothing,
    /// A key's characters (raw, escapes included).
    Key(Vec<u8>),
    /// A string value of a wanted key (raw, escapes included).
    Text(Vec<u8>),
    /// A number, `true`, `false` or `null` of a wanted key.
    Scalar(Vec<u8>),
}

/// Reads the top-level fields named in [`LOOKUP_FIELDS`] from JSON bytes fed in any
/// chunks. Strings are decoded, numbers and booleans kept as written, `null`, objects and
/// arrays leave the field out. A key given twice keeps its last value, as a JSON parser
/// would. A body that does not start with an object yields nothing.
#[derive(Debug, Clone)]
pub struct FieldScanner {
    found: BTreeMap<String, String>,
    /// The object opened (its `{` was seen).
    started: bool,
    /// The top level ended, or is not an object: nothing more is read.
    finished: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// At depth 1, whether the next string is a key.
    expect_key: bool,
    /// The last key read at depth 1.
    key: Option<String>,
    reading: Reading,
    /// The current value grew past [`MAX_VALUE`].
    too_long: bool,
}

impl Default for FieldScanner {
    fn default() -> Self {
        FieldScanner {
            found: BTreeMap::new(),
            started: false,
            finished: false,
            depth: 0,
            in_string: false,
            escaped: false,
            expect_key: false,
            key: None,
            reading: Reading::Nothing,
            too_long: false,
        }
    }
}

impl FieldScanner {
    pub fn new() -> FieldScanner {
        FieldScanner::default()
    }

    /// The fields of a whole body.
    pub fn scan(bytes: &[u8]) -> BTreeMap<String, String> {
        let mut scanner = FieldScanner::new();
        scanner.feed(bytes);
        scanner.into_found()
    }

    /// True once the top-level value has ended (or is not an object).
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// True when every lookup field has a value.
    pub fn has_all(&self) -> bool {
        LOOKUP_FIELDS.iter().all(|f| self.found.contains_key(*f))
    }

    pub fn found(&self) -> &BTreeMap<String, String> {
        &self.found
    }

    pub fn into_found(self) -> BTreeMap<String, String> {
        self.found
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.finished {
                return;
            }
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        if !self.started {
            match b {
                b'{' => {
                    self.started = true;
                    self.depth = 1;
                    self.expect_key = true;
                }
                // Whitespace, and a UTF-8 byte order mark, may come first.
                b' ' | b'\t' | b'\r' | b'\n' | 0xEF | 0xBB | 0xBF => {}
                _ => self.finished = true,
            }
            return;
        }
        if self.in_string {
            self.string_byte(b);
            return;
        }
        if matches!(self.reading, Reading::Scalar(_)) {
            if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                self.end_scalar();
            } else {
                self.push(b);
                return;
            }
        }
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 {
                    if self.expect_key {
                        self.start(Reading::Key(Vec::new()));
                    } else if self.wanted() {
                        self.start(Reading::Text(Vec::new()));
                    }
                }
            }
            b'{' | b'[' => {
                if self.depth == 1 && !self.expect_key {
                    // An object or array is not an identifier.
                    self.forget_key();
                }
                self.depth = self.depth.saturating_add(1);
            }
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.finished = true;
                }
            }
            b':' if self.depth == 1 => self.expect_key = false,
            b',' if self.depth == 1 => {
                self.expect_key = true;
                self.key = None;
            }
            b' ' | b'\t' | b'\r' | b'\n' | b':' | b',' => {}
            _ => {
                if self.depth == 1 && !self.expect_key && self.wanted() {
                    self.start(Reading::Scalar(Vec::new()));
                    self.push(b);
                }
            }
        }
    }

    fn string_byte(&mut self, b: u8) {
        if self.escaped {
            self.escaped = false;
            self.push(b);
            return;
        }
        match b {
            b'\\' => {
                self.escaped = true;
                self.push(b);
            }
            b'"' => {
                self.in_string = false;
                match std::mem::replace(&mut self.reading, Reading::Nothing) {
                    Reading::Key(raw) => {
                        self.key = (!self.too_long).then(|| decode(&raw));
                    }
                    Reading::Text(raw) => {
                        if let Some(key) = self.key.take() {
                            if self.too_long {
                                self.found.remove(&key);
                            } else {
                                self.found.insert(key, decode(&raw));
                            }
                        }
                    }
                    Reading::Scalar(_) | Reading::Nothing => {}
                }
                self.too_long = false;
            }
            _ => self.push(b),
        }
    }

    fn end_scalar(&mut self) {
        if let Reading::Scalar(raw) = std::mem::replace(&mut self.reading, Reading::Nothing)
            && let Some(key) = self.key.take()
        {
            let text = String::from_utf8_lossy(&raw).into_owned();
            if self.too_long || text == "null" {
                self.found.remove(&key);
            } else {
                self.found.insert(key, text);
            }
        }
        self.too_long = false;
    }

    fn wanted(&self) -> bool {
        self.key
            .as_deref()
            .is_some_and(|k| LOOKUP_FIELDS.contains(&k))
    }

    fn forget_key(&mut self) {
        if let Some(key) = self.key.take() {
            self.found.remove(&key);
        }
    }

    fn start(&mut self, reading: Reading) {
        self.reading = reading;
        self.too_long = false;
    }

    fn push(&mut self, b: u8) {
        if let Reading::Key(buf) | Reading::Text(buf) | Reading::Scalar(buf) = &mut self.reading {
            if buf.len() < MAX_VALUE {
                buf.push(b);
            } else {
                self.too_long = true;
            }
        }
    }
}

/// A JSON string's raw characters decoded, escapes included; lossy when they do not decode.
fn decode(raw: &[u8]) -> String {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<(String, String)> {
        FieldScanner::scan(text.as_bytes()).into_iter().collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn reads_top_level_fields_only() {
        let body = r#"{"user":{"id":"usr-inner"},"id":"kyc-1","list":[{"id":"x"}],"status":"pending","url":"http://h/w/kyc-1"}"#;
        assert_eq!(
            fields(body),
            [
                pair("id", "kyc-1"),
                pair("status", "pending"),
                pair("url", "http://h/w/kyc-1")
            ]
        );
    }

    #[test]
    fn a_body_cut_short_keeps_what_came_before_the_cut() {
        let body = r#"{"id": "kyc-2", "padding": "aaaaaaaaaaaa"#;
        assert_eq!(fields(body), [pair("id", "kyc-2")]);
        assert_eq!(fields(r#"{"id": "kyc-"#), []);
    }

    #[test]
    fn chunks_may_split_anything() {
        let body = br#"  {"pad":"x\"}{","id" : "kyc-\u0033\"q" , "status":7,"url":null}"#;
        let whole = FieldScanner::scan(body);
        for split in 0..body.len() {
            let mut s = FieldScanner::new();
            s.feed(&body[..split]);
            s.feed(&body[split..]);
            assert_eq!(s.found(), &whole, "split at {split}");
        }
        assert_eq!(
            whole.into_iter().collect::<Vec<_>>(),
            [pair("id", "kyc-3\"q"), pair("status", "7")]
        );
    }

    #[test]
    fn not_an_object_or_odd_values_give_nothing() {
        assert_eq!(fields("<html>id</html>"), []);
        assert_eq!(fields(r#"["id","kyc"]"#), []);
        assert_eq!(fields(r#"{"id":{"v":"kyc"}}"#), []);
        assert_eq!(fields(r#"{"id":"a","id":null}"#), []);
        assert_eq!(fields(r#"{"id":"a","id":"b"}"#), [pair("id", "b")]);
        let long = format!(r#"{{"id":"{}"}}"#, "k".repeat(MAX_VALUE + 1));
        assert_eq!(fields(&long), []);
        assert_eq!(fields(""), []);
    }

    #[test]
    fn stops_at_the_end_of_the_object() {
        let mut s = FieldScanner::new();
        s.feed(br#"{"id":"kyc-4"} {"id":"other"}"#);
        assert!(s.finished());
        assert_eq!(s.found().get("id").map(String::as_str), Some("kyc-4"));
    }
}
