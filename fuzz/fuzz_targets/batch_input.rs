//! Any bytes as a batch file (CSV or a plain list): reading never panics, and every row
//! it returns names a line that exists.
#![no_main]

use kyc_console::batch::read_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(rows) = read_input(bytes) {
        let lines = bytes.split(|b| *b == b'\n').count();
        for row in rows {
            assert!(row.line as usize <= lines + 1);
        }
    }
});
