//! Any bytes as a response body, under any content type: reading it never panics.
#![no_main]

use kyc_console::domain::read_body;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Option<String>, Vec<u8>)| {
    let (content_type, body) = input;
    let summary = read_body(content_type.as_deref(), &body);
    let _ = summary.one_line();
});
