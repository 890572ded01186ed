//! Escaping for human-readable text: hrefs, ids and paths come from the
//! input, and a newline or an escape sequence in one must not split a message
//! over lines, forge an `error:` line or drive the terminal. JSON output is
//! exact and never escaped this way.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character written as an escape: `\n`, `\r`,
/// `\t`, other C0 characters and DEL as `\x1b`, C1 controls and the Unicode
/// bidirectional overrides (which reorder what a terminal shows) as
/// `\u{202e}`. Borrowed when there is nothing to escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        assert!(matches!(escape("plain/ünïcode path.json"), Cow::Borrowed(_)));
        assert_eq!(escape("a\nerror: forged"), "a\\nerror: forged");
        assert_eq!(escape("\x1b[31mred\x1b[0m\r\t\x7f\0"), "\\x1b[31mred\\x1b[0m\\r\\t\\x7f\\x00");
        assert_eq!(escape("c1\u{85}bidi\u{202e}txt"), "c1\\u{85}bidi\\u{202e}txt");
    }
}
