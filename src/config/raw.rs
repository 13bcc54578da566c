//! The settings file read as TOML with the place of every key and value kept, so that
//! each mistake, however many there are, is reported at its line and reading goes on:
//! syntax errors (the reader recovers from them), unknown settings and values of the wrong
//! type are all collected, not only the first.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::ConfigError;
use super::error::line_of;

/// The file being read and the problems found so far.
pub(super) struct Ctx<'a> {
    pub text: &'a str,
    pub file: &'a Path,
    errors: RefCell<Vec<ConfigError>>,
}

impl<'a> Ctx<'a> {
    pub fn new(text: &'a str, file: &'a Path) -> Ctx<'a> {
        Ctx {
            text,
            file,
            errors: RefCell::new(Vec::new()),
        }
    }

    /// Notes a problem with `setting`, placed at the line `span` starts on.
    pub fn fail(&self, span: Option<Range<usize>>, setting: &str, message: impl Into<String>) {
        let error = ConfigError::at(
            self.file,
            span.map(|s| line_of(self.text, s.start)),
            setting,
            message,
        );
        self.errors.borrow_mut().push(error);
    }

    /// Every problem noted, in the order of the file's lines.
    pub fn into_errors(self) -> Vec<ConfigError> {
        let mut errors = self.errors.into_inner();
        errors.sort_by_key(|e| e.line.unwrap_or(0));
        errors
    }

    /// The whole file as a table; syntax errors are noted and what could be read is kept.
    pub fn document(&self) -> Spanned<DeTable<'a>> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        for e in errors {
            let span = e.span();
            let line = span.clone().map(|s| line_of(self.text, s.start));
            let setting = line.and_then(|l| key_at(self.text, l));
            let setting = match (line.and_then(|l| table_at(self.text, l)), setting) {
                (Some(t), Some(k)) => Some(format!("{t}.{k}")),
                (t, k) => k.or(t),
            };
            self.errors.borrow_mut().push(ConfigError {
                file: Some(self.file.to_path_buf()),
                line,
                setting,
                message: e.message().trim().to_string(),
                more: 0,
            });
        }
        table
    }
}

/// The settings of one table, by name. Names not allowed there are noted when it is read.
pub(super) struct Fields<'c, 'a> {
    ctx: &'c Ctx<'a>,
    /// Dotted name of the table (`profiles.prod`), empty at the top.
    prefix: String,
    entries: BTreeMap<String, Spanned<DeValue<'a>>>,
}

impl<'c, 'a> Fields<'c, 'a> {
    /// A table's settings; a name not in `allowed` is noted as unknown.
    pub fn of(
        ctx: &'c Ctx<'a>,
        prefix: &str,
        table: &DeTable<'a>,
        allowed: &[&str],
    ) -> Fields<'c, 'a> {
        let mut entries = BTreeMap::new();
        for (key, value) in table {
            let name = key.get_ref().to_string();
            if allowed.contains(&name.as_str()) {
                entries.insert(name, value.clone());
            } else {
                let expected: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
                ctx.fail(
                    Some(key.span()),
                    &dotted(prefix, &name),
                    format!(
                        "unknown field `{name}`, expected one of {}",
                        expected.join(", ")
                    ),
                );
            }
        }
        Fields {
            ctx,
            prefix: prefix.to_string(),
            entries,
        }
    }

    /// The dotted name of one of this table's settings.
    pub fn name(&self, field: &str) -> String {
        dotted(&self.prefix, field)
    }

    fn wrong_type(&self, field: &str, value: &Spanned<DeValue<'a>>, expected: &str) {
        let shown = match value.get_ref() {
            DeValue::String(s) => format!("string {s:?}"),
            DeValue::Integer(i) => format!("integer `{i}`"),
            DeValue::Float(f) => format!("float `{f}`"),
            DeValue::Boolean(b) => format!("boolean `{b}`"),
            other => other.type_str().to_string(),
        };
        self.ctx.fail(
            Some(value.span()),
            &self.name(field),
            format!("invalid type: {shown}, expected {expected}"),
        );
    }

    pub fn string(&self, field: &str) -> Option<Spanned<String>> {
        let value = self.entries.get(field)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(field, value, "a string");
                None
            }
        }
    }

    pub fn boolean(&self, field: &str) -> Option<Spanned<bool>> {
        let value = self.entries.get(field)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(value.span(), *b)),
            _ => {
                self.wrong_type(field, value, "a boolean (true or false)");
                None
            }
        }
    }

    /// A whole number; one beyond what 64 bits hold is noted.
    pub fn integer(&self, field: &str) -> Option<Spanned<i64>> {
        let value = self.entries.get(field)?;
        match value.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(Spanned::new(value.span(), n)),
                Err(_) => {
                    self.ctx.fail(
                        Some(value.span()),
                        &self.name(field),
                        format!("invalid value: integer `{i}` is out of range"),
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(field, value, "a whole number");
                None
            }
        }
    }

    /// A number, whole or not.
    pub fn number(&self, field: &str) -> Option<Spanned<f64>> {
        let value = self.entries.get(field)?;
        let parsed = match value.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            _ => {
                self.wrong_type(field, value, "a number");
                return None;
            }
        };
        match parsed {
            Some(n) => Some(Spanned::new(value.span(), n)),
            None => {
                self.ctx.fail(
                    Some(value.span()),
                    &self.name(field),
                    "invalid value: not a number this reader can hold",
                );
                None
            }
        }
    }

    /// A table, with its entries by name (in name order) and where it is.
    pub fn tables(&self, field: &str) -> Vec<(Spanned<String>, Spanned<DeTable<'a>>)> {
        let Some(value) = self.entries.get(field) else {
            return Vec::new();
        };
        let DeValue::Table(table) = value.get_ref() else {
            self.wrong_type(field, value, "a table");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, inner) in table {
            let name = key.get_ref().to_string();
            match inner.get_ref() {
                DeValue::Table(t) => out.push((
                    Spanned::new(key.span(), name),
                    Spanned::new(inner.span(), t.clone()),
                )),
                _ => self.wrong_type(&format!("{field}.{name}"), inner, "a table"),
            }
        }
        out
    }
}

fn dotted(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

/// The key set on a line (`name = value`), if it sets one.
fn key_at(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?.trim();
    let (key, _) = l.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !l.starts_with('[')).then(|| key.to_string())
}

/// The `[table]` a line belongs to.
fn table_at(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|l| {
            let l = l.trim();
            (l.starts_with('[') && l.ends_with(']'))
                .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        })
        .last()
}
