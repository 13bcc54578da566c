//! `completions` and `man`: the command line described for the shell and for `man`, from
//! the same definitions that parse it.

use std::process::ExitCode;

use roff::{Roff, bold, roman};

use super::{EXIT_FAILED, EXIT_INVALID, emit, shown};
use crate::cli;
use crate::help_text::{ENVIRONMENT_HELP, EXIT_STATUS_HELP};

/// The name completions and pages are written for.
const BIN: &str = "kyc-console";

/// `kyc-console completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut out);
    emit(&String::from_utf8_lossy(&out));
    ExitCode::SUCCESS
}

/// `kyc-console man [COMMAND]`: the manual page in roff on stdout.
pub fn man(name: Option<&str>) -> ExitCode {
    let mut root = cli::command();
    root.build();
    let (command, top) = match name {
        None => (root, true),
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => (sub.clone(), false),
            None => {
                let known: Vec<&str> = root
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .filter(|n| *n != "help")
                    .collect();
                eprintln!(
                    "error: no command {} has a page; pages: {}",
                    shown(&format!("{name:?}")),
                    known.join(", ")
                );
                return ExitCode::from(EXIT_INVALID);
            }
        },
    };
    match page(command, top) {
        Ok(text) => {
            emit(&text);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write the page: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// The page: clap_mangen's sections, with the help's closing notes as ENVIRONMENT (for the
/// top page) and EXIT STATUS sections instead of one unformatted EXTRA section.
fn page(command: clap::Command, top: bool) -> std::io::Result<String> {
    let command = command.after_help(None::<&'static str>);
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out)?;
    let mut page = String::from_utf8_lossy(&out).into_owned();
    let mut extra = Roff::new();
    if top {
        section(&mut extra, "ENVIRONMENT", ENVIRONMENT_HELP);
    }
    section(&mut extra, "EXIT STATUS", EXIT_STATUS_HELP);
    let extra = extra.to_roff();
    match page.find(".SH VERSION") {
        Some(at) => page.insert_str(at, &extra),
        None => page.push_str(&extra),
    }
    Ok(page)
}

/// A help section (`Heading:` then `  TERM  meaning` entries, continued on lines indented
/// further) as a man section of tagged paragraphs.
fn section(roff: &mut Roff, title: &str, help: &str) {
    roff.control("SH", [title]);
    let mut entry: Option<(String, String)> = None;
    let flush = |roff: &mut Roff, entry: &mut Option<(String, String)>| {
        if let Some((term, text)) = entry.take() {
            if term.is_empty() {
                roff.control("PP", []).text([roman(text)]);
            } else {
                roff.control("TP", [])
                    .text([bold(term)])
                    .text([roman(text)]);
            }
        }
    };
    for line in help.lines().skip(1) {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        match (&mut entry, indent) {
            (Some((_, text)), i) if i > 2 => {
                text.push(' ');
                text.push_str(body);
            }
            _ => {
                flush(roff, &mut entry);
                entry = Some(match body.split_once("  ") {
                    Some((term, text)) if !term.contains(' ') => {
                        (term.to_string(), text.trim().to_string())
                    }
                    _ => (String::new(), body.to_string()),
                });
            }
        }
    }
    flush(roff, &mut entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_sections_become_tagged_paragraphs() {
        let mut roff = Roff::new();
        section(
            &mut roff,
            "EXIT STATUS",
            "Exit status:\n  0  Done: all\n     of it.\n  1  Not.\n  A closing note.",
        );
        let text = roff.to_roff();
        assert!(text.contains(".SH \"EXIT STATUS\""), "{text}");
        assert!(
            text.contains(".TP\n\\fB0\\fR\nDone: all of it.\n"),
            "{text}"
        );
        assert!(text.contains(".TP\n\\fB1\\fR\nNot.\n"), "{text}");
        assert!(text.contains(".PP\nA closing note.\n"), "{text}");
    }
}
