//! Numbers written back with the exact text they were read with.
//!
//! serde_json with `arbitrary_precision` keeps every digit of a number, but
//! its parser spells an exponent its own way: `1E2` is stored as `1e+2`,
//! `5e3` as `5e+3`. Everything else (leading `-`, `-0`, trailing zeros,
//! integers beyond 64 bits) it keeps as written. So a file stac-ml rewrites
//! (an item with new links and a split field) would change numbers it does
//! not own.
//!
//! [`respell`] repairs the serialised output from the file's own bytes: each
//! number of the output whose text is the serde spelling of an input number
//! spelt differently gets that input text back. Numbers are matched by their
//! serde spelling, in document order, so a substitution never changes a value,
//! only its spelling; numbers the input did not have are left alone. Inputs
//! whose numbers are all spelt the serde way (nearly every file) return after
//! one scan.

use std::collections::{HashMap, VecDeque};

/// Calls `each(start, end)` for every number token of the JSON text `bytes`,
/// in document order. Strings are skipped (their escapes included), so a
/// digit inside a string is never taken for a number. The text is assumed to
/// be JSON that already parsed.
fn number_tokens(bytes: &[u8], mut each: impl FnMut(usize, usize)) {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                each(start, i);
            }
            _ => i += 1,
        }
    }
}

/// The text serde_json's parser (arbitrary_precision) stores for the number
/// `raw`: `E` becomes `e` and an unsigned exponent gets `+`. `None` without
/// an exponent, the one part it respells.
fn serde_spelling(raw: &[u8]) -> Option<Vec<u8>> {
    let at = raw.iter().position(|&b| b == b'e' || b == b'E')?;
    let signed = matches!(raw.get(at + 1), Some(b'+' | b'-'));
    let mut spelled = Vec::with_capacity(raw.len() + 1);
    spelled.extend_from_slice(&raw[..at]);
    spelled.push(b'e');
    if !signed {
        spelled.push(b'+');
    }
    spelled.extend_from_slice(&raw[at + 1..]);
    Some(spelled)
}

/// `output` (serialised from a value parsed out of `input`, then edited) with
/// every number respelt as `input` spelt it. See the module comment.
pub fn respell(output: Vec<u8>, input: &[u8]) -> Vec<u8> {
    // serde spelling -> the input texts with that spelling, in order.
    // Every number with an exponent is queued, those already spelt serde's
    // way too, so equal values keep their order.
    let mut wanted: HashMap<Vec<u8>, VecDeque<&[u8]>> = HashMap::new();
    let mut respelt = false;
    number_tokens(input, |start, end| {
        let raw = &input[start..end];
        if let Some(spelled) = serde_spelling(raw) {
            respelt |= spelled != raw;
            wanted.entry(spelled).or_default().push_back(raw);
        }
    });
    if !respelt {
        return output;
    }
    let mut fixed = Vec::with_capacity(output.len() + 16);
    let mut copied = 0;
    number_tokens(&output, |start, end| {
        let Some(queue) = wanted.get_mut(&output[start..end]) else { return };
        // More such numbers in the output than in the input (one was
        // duplicated by an edit): the last input spelling serves the rest.
        let raw = if queue.len() > 1 { queue.pop_front() } else { queue.front().copied() };
        if let Some(raw) = raw {
            fixed.extend_from_slice(&output[copied..start]);
            fixed.extend_from_slice(raw);
            copied = end;
        }
    });
    fixed.extend_from_slice(&output[copied..]);
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(input: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(input).unwrap();
        String::from_utf8(respell(serde_json::to_vec(&value).unwrap(), input.as_bytes())).unwrap()
    }

    #[test]
    fn exponents_keep_their_spelling() {
        let input = r#"{"a":1E2,"b":[5e3,-2E-7,1e+2],"c":"1E2 in a string \" 3E4","d":1.0,"e":-0,"f":123456789012345678901234567890}"#;
        assert_eq!(roundtrip(input), input);
    }

    #[test]
    fn equal_spellings_are_matched_in_order() {
        // Both spell 1e+2 to serde; each keeps its own text.
        let input = r#"[1E2,1e2,1E2]"#;
        assert_eq!(roundtrip(input), input);
    }

    #[test]
    fn canonical_input_returns_the_output_untouched() {
        let output = br#"{"x":1e+2}"#.to_vec();
        assert_eq!(respell(output.clone(), br#"{"x":1e+2,"s":"E"}"#), output);
    }

    #[test]
    fn edits_never_change_values() {
        // The input's 1E2 was removed by an edit, and the output gained a
        // number of its own: values stay, spellings come only from equal numbers.
        let input = r#"{"gone":1E2,"kept":2E3}"#;
        let output = br#"{"kept":2e+3,"new":7e+1}"#.to_vec();
        assert_eq!(String::from_utf8(respell(output, input.as_bytes())).unwrap(), r#"{"kept":2E3,"new":7e+1}"#);
    }
}
