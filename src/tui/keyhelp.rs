//! What the help overlay makes of the key table: every key once, with the screens where it
//! works, starting with the keys of the screen help was opened from.

use super::keymap::{BINDINGS, HELP_ORDER, Mode};

/// What keys do in some modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meaning {
    pub help: &'static str,
    pub modes: Vec<Mode>,
}

/// One line of the help: keys, and what they do where (first where the line is listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub meanings: Vec<Meaning>,
}

impl HelpEntry {
    fn works_in(&self, mode: Mode) -> bool {
        self.meanings.iter().any(|m| m.modes.contains(&mode))
    }
}

/// The keys listed under one mode's heading: those that work there and were not listed
/// under an earlier heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    pub mode: Mode,
    pub entries: Vec<HelpEntry>,
}

/// Every row of the table as a help line: rows with the same keys are one line, their
/// meanings (with the modes of each) side by side; the same meaning twice is one.
fn entries() -> Vec<HelpEntry> {
    let mut out: Vec<HelpEntry> = Vec::new();
    for b in BINDINGS {
        let keys = b.keys_label();
        let at = match out.iter().position(|e| e.keys == keys) {
            Some(at) => at,
            None => {
                out.push(HelpEntry {
                    keys,
                    meanings: Vec::new(),
                });
                out.len() - 1
            }
        };
        let meanings = &mut out[at].meanings;
        match meanings.iter_mut().find(|m| m.help == b.help) {
            Some(m) => {
                for mode in b.modes {
                    if !m.modes.contains(mode) {
                        m.modes.push(*mode);
                    }
                }
            }
            None => meanings.push(Meaning {
                help: b.help,
                modes: b.modes.to_vec(),
            }),
        }
    }
    out
}

/// The help's sections: the mode it was opened from first, with all its keys; then every
/// other mode in [`HELP_ORDER`] with the keys not listed yet (a mode with none left is
/// left out). Every key appears once, what it does in the section's mode first.
pub fn sections(from: Mode) -> Vec<HelpSection> {
    let mut left = entries();
    let order = std::iter::once(from).chain(HELP_ORDER.into_iter().filter(|m| *m != from));
    let mut out = Vec::new();
    for mode in order {
        let (mut here, rest): (Vec<HelpEntry>, Vec<HelpEntry>) =
            left.into_iter().partition(|e| e.works_in(mode));
        left = rest;
        for e in &mut here {
            e.meanings.sort_by_key(|m| !m.modes.contains(&mode));
        }
        if !here.is_empty() {
            out.push(HelpSection {
                mode,
                entries: here,
            });
        }
    }
    out
}

/// Where a key works, in words: `everywhere`, `form, history`, `detail, help`.
pub fn where_label(modes: &[Mode]) -> String {
    if HELP_ORDER.iter().all(|m| modes.contains(m)) {
        return "everywhere".to_string();
    }
    let groups: [(&str, &[Mode]); 2] = [
        (
            "form",
            &[Mode::TextField, Mode::TypePicker, Mode::SubmitButton],
        ),
        (
            "batch",
            &[
                Mode::BatchInput,
                Mode::BatchPreview,
                Mode::BatchConfirm,
                Mode::BatchRun,
            ],
        ),
    ];
    let mut named: Vec<&str> = Vec::new();
    for mode in HELP_ORDER.into_iter().filter(|m| modes.contains(m)) {
        match groups.iter().find(|(_, members)| {
            members.contains(&mode) && members.iter().all(|m| modes.contains(m))
        }) {
            Some((group, _)) if !named.contains(group) => named.push(group),
            Some(_) => {}
            None => named.push(mode.name()),
        }
    }
    named.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_listed_once_and_the_screen_it_came_from_first() {
        for from in HELP_ORDER {
            let sections = sections(from);
            assert_eq!(sections[0].mode, from);
            let keys: Vec<&str> = sections
                .iter()
                .flat_map(|s| s.entries.iter().map(|e| e.keys.as_str()))
                .collect();
            let mut unique = keys.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "keys listed twice: {keys:?}");
            // Every row of the table is said somewhere.
            for b in BINDINGS {
                assert!(
                    sections
                        .iter()
                        .flat_map(|s| &s.entries)
                        .any(|e| e.keys == b.keys_label()
                            && e.meanings
                                .iter()
                                .any(|m| m.help == b.help && m.modes.contains(&b.modes[0]))),
                    "{} {} is not listed",
                    b.keys_label(),
                    b.help
                );
            }
            // The first section holds every key that works where help was opened, with
            // what it does there first.
            for b in BINDINGS.iter().filter(|b| b.modes.contains(&from)) {
                let entry = sections[0]
                    .entries
                    .iter()
                    .find(|e| e.keys == b.keys_label());
                assert!(
                    entry.is_some_and(|e| e.meanings[0].modes.contains(&from)),
                    "{from:?}: {} missing from the first section",
                    b.keys_label()
                );
            }
        }
    }

    #[test]
    fn quit_is_listed_once_for_every_screen() {
        let all: Vec<HelpEntry> = sections(Mode::History)
            .into_iter()
            .flat_map(|s| s.entries)
            .collect();
        let quits: Vec<&HelpEntry> = all.iter().filter(|e| e.keys == "Ctrl-C/Ctrl-Q").collect();
        assert_eq!(quits.len(), 1);
        assert_eq!(where_label(&quits[0].meanings[0].modes), "everywhere");
        // A key that means different things on different screens is one line.
        let down: Vec<&HelpEntry> = all.iter().filter(|e| e.keys == "j/↓").collect();
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].meanings[0].help, "next row");
        assert!(down[0].meanings.len() >= 3, "{down:?}");
        // Far fewer lines than one per key per mode, as the help used to list them.
        let per_mode: usize = HELP_ORDER
            .iter()
            .map(|m| BINDINGS.iter().filter(|b| b.modes.contains(m)).count())
            .sum();
        assert!(all.len() * 2 < per_mode, "{} of {per_mode}", all.len());
    }

    #[test]
    fn where_a_key_works_reads_as_words() {
        use Mode::*;
        assert_eq!(
            where_label(&[TextField, TypePicker, SubmitButton, History]),
            "form, history"
        );
        assert_eq!(where_label(&[Detail, Help]), "detail, help");
        assert_eq!(
            where_label(&[TypePicker, SubmitButton]),
            "type picker, submit button"
        );
        assert_eq!(
            where_label(&[BatchInput, BatchPreview, BatchConfirm, BatchRun]),
            "batch"
        );
    }
}
