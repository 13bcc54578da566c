//! Any text as `config.toml`: parsing never panics; an error names the file.
#![no_main]

use std::path::Path;

use kyc_console::config::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(e) = parse(text, Path::new("fuzz.toml"), None) {
        assert!(e.to_string().contains("fuzz.toml"));
    }
});
