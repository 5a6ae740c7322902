//! Making text that came from elsewhere safe to print on a terminal.
//!
//! A server (or whoever sits in its place) chooses the bytes of its error codes, messages
//! and fields. Printed raw, an ESC or C1 sequence in them drives the user's terminal:
//! clears the screen, sets the window title, draws a fake instruction, or (with some
//! terminals) writes to the clipboard. So every character a terminal acts on is shown as
//! an escape instead: C0 controls and DEL as `\x1b`, C1 controls and the bidi overrides
//! that reorder what is displayed as `\u{9b}`. Printable text, non-ASCII letters included,
//! is unchanged. See `docs/security.md`.

use std::fmt::Write as _;

/// How many characters of a server's free text (an error message) are kept: enough for
/// any honest message, and a hostile one cannot fill the screen.
pub const MAX_SERVER_TEXT_CHARS: usize = 300;

/// `text` with every control character escaped, newlines included: the result is one line.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// Server free text for an error message: controls escaped, cut to
/// [`MAX_SERVER_TEXT_CHARS`] characters (with `…` when cut).
pub fn server_text(text: &str) -> String {
    let mut chars = text.chars();
    let kept: String = chars.by_ref().take(MAX_SERVER_TEXT_CHARS).collect();
    let mut out = escape_controls(&kept);
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// Bytes to show a person on a terminal: text keeps its line breaks (`\n`, `\r\n`) and
/// tabs; every other control character is escaped, and bytes that are not UTF-8 are shown
/// as `\xNN`. For terminals only: pipes and files get the exact bytes.
pub fn for_terminal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let mut chars = chunk.valid().chars().peekable();
        while let Some(c) = chars.next() {
            let is_line_break = c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'));
            if is_line_break || c == '\t' {
                out.push(c);
            } else {
                push_escaped(&mut out, c);
            }
        }
        for byte in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    // Writing to a String cannot fail.
    let _ = match u32::from(c) {
        code @ (0..=0x1f | 0x7f) => write!(out, "\\x{code:02x}"),
        code if is_hidden_control(c) => write!(out, "\\u{{{code:x}}}"),
        _ => {
            out.push(c);
            Ok(())
        }
    };
}

/// C1 controls (8-bit CSI, OSC, …) and the bidirectional overrides and isolates.
fn is_hidden_control(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_are_shown_not_obeyed() {
        assert_eq!(
            escape_controls("a\u{1b}[2J\u{1b}]0;t\u{7}\u{9b}1m\u{202e}b\u{7f}\n"),
            r"a\x1b[2J\x1b]0;t\x07\u{9b}1m\u{202e}b\x7f\x0a"
        );
    }

    #[test]
    fn printable_text_is_unchanged() {
        let text = "Grüße, 秘密 🤫 \\x1b is just text";
        assert_eq!(escape_controls(text), text);
    }

    #[test]
    fn server_text_is_cut_to_its_limit() {
        let long = "é".repeat(MAX_SERVER_TEXT_CHARS + 1);
        let cut = server_text(&long);
        assert_eq!(cut.chars().count(), MAX_SERVER_TEXT_CHARS + 1);
        assert!(cut.ends_with("é…"));
        assert_eq!(server_text("short"), "short");
    }

    #[test]
    fn terminal_text_keeps_lines_and_tabs_and_escapes_the_rest() {
        assert_eq!(
            for_terminal(b"one\r\ntwo\tthree\n\x1b[2Jfour\r\xff\xfe"),
            "one\r\ntwo\tthree\n\\x1b[2Jfour\\x0d\\xff\\xfe"
        );
        assert_eq!(for_terminal("Grüße\n".as_bytes()), "Grüße\n");
    }
}
