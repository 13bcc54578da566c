//! Copying through the terminal (OSC 52), which also works over SSH.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;

/// The escape sequence that asks the terminal to put `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

/// Where copies go.
pub trait Clipboard: Send {
    fn copy(&mut self, text: &str) -> std::io::Result<()>;
}

/// Writes OSC 52 to the terminal.
pub struct TerminalClipboard;

impl Clipboard for TerminalClipboard {
    fn copy(&mut self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(osc52(text).as_bytes())?;
        out.flush()
    }
}

/// Keeps every OSC 52 sequence it was asked to write, for tests and headless checks.
#[derive(Clone, Default)]
pub struct RecordingClipboard {
    pub written: Arc<Mutex<Vec<String>>>,
}

impl Clipboard for RecordingClipboard {
    fn copy(&mut self, text: &str) -> std::io::Result<()> {
        self.written
            .lock()
            .map_err(|_| std::io::Error::other("clipboard record poisoned"))?
            .push(osc52(text));
        Ok(())
    }
}

/// Decodes an OSC 52 sequence back to its text (tests use it to check payloads).
pub fn decode_osc52(sequence: &str) -> Option<String> {
    let payload = sequence.strip_prefix("\x1b]52;c;")?.strip_suffix('\x07')?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_osc52() {
        let seq = osc52("curl -H \"x-api-key: $KYC_API_KEY\"");
        assert!(seq.starts_with("\x1b]52;c;"));
        assert_eq!(
            decode_osc52(&seq).as_deref(),
            Some("curl -H \"x-api-key: $KYC_API_KEY\"")
        );
    }
}
