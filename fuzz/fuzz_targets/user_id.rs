//! Any text as a user id: parsing never panics, and what it accepts is a canonical id
//! that parses to itself.
#![no_main]

use kyc_console::domain::UserId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok((id, _)) = UserId::parse(text) {
        let again = UserId::parse(id.as_str()).map(|(i, _)| i);
        assert_eq!(again.ok().as_ref(), Some(&id));
    }
});
