//! The rules EOTDL enforces when a dataset is ingested (../shared/NOTES.md
//! §2): the dataset name, and for Q0 folders the `metadata.yml` keys. Name
//! uniqueness is a server-side check and cannot be done offline.

use std::path::Path;

use super::Profile;
use super::report::{Finding, Kind, Severity};

/// Shortest dataset name EOTDL accepts.
pub const NAME_MIN: usize = 3;
/// Longest dataset name EOTDL accepts.
pub const NAME_MAX: usize = 45;

/// The keys a Q0 `metadata.yml` must have.
pub const METADATA_KEYS: [&str; 4] = ["name", "authors", "license", "source"];

/// The ingest findings of one dataset as `profile` judges them: errors under
/// [`Profile::Eotdl`]; under [`Profile::Stac`] one warning, on the first
/// finding's file and pointer, saying that EOTDL ingest would refuse the
/// dataset and every reason why.
pub fn judge(findings: Vec<Finding>, profile: Profile) -> Vec<Finding> {
    match profile {
        Profile::Eotdl => findings,
        Profile::Stac => {
            let Some(first) = findings.first() else { return findings };
            let reasons: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
            let message = format!("EOTDL ingest would refuse this dataset: {}", reasons.join("; "));
            vec![Finding::new(first.path.clone(), Severity::Warning, Kind::Ingest, first.pointer.clone(), message)]
        }
    }
}

/// Checks EOTDL's dataset-name rule: 3 to 45 characters, only ASCII letters,
/// digits and dashes. The error says the rule and what broke it.
pub fn check_name(name: &str) -> Result<(), String> {
    let rule = format!("an EOTDL dataset name must be {NAME_MIN}-{NAME_MAX} characters of letters, digits and dashes");
    let length = name.chars().count();
    if !(NAME_MIN..=NAME_MAX).contains(&length) {
        let plural = if length == 1 { "" } else { "s" };
        return Err(format!("dataset name {name:?} has {length} character{plural}; {rule}"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Err(format!("dataset name {name:?} contains {bad:?}; {rule}"));
    }
    Ok(())
}

/// The name EOTDL would use for a STAC dataset: the root catalog's
/// `ml-dataset:name` when it is a string, else its `id`; with the pointer of
/// the field it came from.
pub fn dataset_name(root: &serde_json::Map<String, serde_json::Value>) -> Option<(&str, &'static str)> {
    if let Some(name) = root.get("ml-dataset:name").and_then(serde_json::Value::as_str) {
        return Some((name, "/ml-dataset:name"));
    }
    root.get("id").and_then(serde_json::Value::as_str).map(|id| (id, "/id"))
}

/// Checks a Q0 `metadata.yml`: the required keys are present (and `name` is
/// not empty), and the name follows [`check_name`].
///
/// No YAML parser is used (none is in the dependency tree): only top-level
/// `key: value` lines are read, which is all this rule needs. A line counts as
/// top level when it starts in column 0 and is not a comment, a list entry or
/// a document marker.
pub fn check_metadata(path: &Path, text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let keys = top_level_keys(text);
    for key in METADATA_KEYS {
        if !keys.iter().any(|(k, _)| k == key) {
            findings.push(Finding::new(
                path,
                Severity::Error,
                Kind::Ingest,
                None,
                format!("missing required key {key:?}; an EOTDL Q0 metadata.yml needs {}", METADATA_KEYS.join(", ")),
            ));
        }
    }
    if let Some((_, value)) = keys.iter().find(|(k, _)| k == "name") {
        let name = unquote(value);
        let message = if name.is_empty() { Err("\"name\" is empty".to_string()) } else { check_name(name) };
        if let Err(message) = message {
            findings.push(Finding::new(path, Severity::Error, Kind::Ingest, Some("/name".into()), message));
        }
    }
    findings
}

/// (key, value) of each top-level `key: value` line; the value is the rest of
/// the line, trimmed, with a trailing ` # comment` removed.
fn top_level_keys(text: &str) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty()
            || line.starts_with([' ', '\t', '#', '-', '[', '{'])
            || line.starts_with("---")
            || line.starts_with("...")
        {
            continue;
        }
        let Some((key, value)) = split_key(line) else { continue };
        let value = match value.find(" #") {
            Some(pos) if !value.starts_with(['"', '\'']) => &value[..pos],
            _ => value,
        };
        keys.push((unquote(key).to_string(), value.trim().to_string()));
    }
    keys
}

/// Splits `key: value` (or `key:` alone) at the first `:` followed by a space
/// or the end of the line, outside quotes.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') if i == 0 => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b':') if i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t' => {
                return Some((line[..i].trim(), &line[i + 1..]));
            }
            _ => {}
        }
    }
    None
}

fn unquote(value: &str) -> &str {
    let value = value.trim();
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rule_edges() {
        assert!(check_name("ab").unwrap_err().contains("has 2 characters"));
        assert!(check_name("abc").is_ok());
        assert!(check_name(&"a".repeat(45)).is_ok());
        assert!(check_name(&"a".repeat(46)).unwrap_err().contains("has 46 characters"));
        let err = check_name("my_dataset").unwrap_err();
        assert!(err.contains("'_'"), "{err}");
        assert!(err.contains("3-45 characters of letters, digits and dashes"), "{err}");
        assert!(check_name("Q2 Dataset").is_err());
        assert!(check_name("EuroSAT-small-2").is_ok());
        assert!(check_name("caña").is_err());
    }

    #[test]
    fn metadata_keys() {
        let path = Path::new("/d/metadata.yml");
        let ok = "# a dataset\nname: my-dataset\nauthors:\n  - Ada\n  - Bob\nlicense: 'CC-BY-4.0'\nsource: https://example.com # where\n";
        assert_eq!(check_metadata(path, ok), Vec::new());
        let missing = "name: \"x\"\n  license: nested\nauthors: [a]\n";
        let findings = check_metadata(path, missing);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("missing required key \"license\""));
        assert!(messages[1].starts_with("missing required key \"source\""));
        assert!(messages[2].contains("has 1 character;"), "{messages:?}");
        assert_eq!(findings[2].pointer.as_deref(), Some("/name"));
        let empty = check_metadata(path, "name:\nauthors: a\nlicense: b\nsource: c\n");
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].message, "\"name\" is empty");
    }

    #[test]
    fn name_from_root() {
        let root: serde_json::Map<_, _> =
            serde_json::from_str(r#"{"id": "cat", "ml-dataset:name": "Q2 Dataset"}"#).unwrap();
        assert_eq!(dataset_name(&root), Some(("Q2 Dataset", "/ml-dataset:name")));
        let root: serde_json::Map<_, _> = serde_json::from_str(r#"{"id": "cat"}"#).unwrap();
        assert_eq!(dataset_name(&root), Some(("cat", "/id")));
    }
}
