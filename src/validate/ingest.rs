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

/// Checks a Q0 `metadata.yml`: it is a YAML mapping, the required keys are
/// present, and `name` is a non-empty string that follows [`check_name`].
///
/// Read with `yaml-rust2` (a maintained, pure-Rust YAML 1.2 parser that
/// passes the YAML test suite; the serde_yaml forks wrap a C translation, and
/// no typed model is needed for four keys). Only its event parser is used:
/// the document's top-level keys and scalar values are collected as events
/// arrive, so an alias is looked up, never expanded (no billion laughs), and
/// nesting is bounded by the scanner's depth limit.
pub fn check_metadata(path: &Path, text: &str) -> Vec<Finding> {
    let error = |pointer: Option<&str>, message: String| {
        Finding::new(path, Severity::Error, Kind::Ingest, pointer.map(String::from), message)
    };
    let keys = match top_level_keys(text) {
        Ok(keys) => keys,
        Err(message) => return vec![error(None, message)],
    };
    let mut findings = Vec::new();
    for key in METADATA_KEYS {
        if !keys.iter().any(|(k, _)| k == key) {
            findings.push(error(
                None,
                format!("missing required key {key:?}; an EOTDL Q0 metadata.yml needs {}", METADATA_KEYS.join(", ")),
            ));
        }
    }
    // The last `name` wins, as in PyYAML, which EOTDL reads it with.
    if let Some((_, value)) = keys.iter().rev().find(|(k, _)| k == "name") {
        let message = match value {
            Entry::Null => Err("\"name\" is empty".to_string()),
            Entry::Text(name) if name.is_empty() => Err("\"name\" is empty".to_string()),
            Entry::Text(name) => check_name(name),
            Entry::Collection => Err("\"name\" must be a string, not a list or mapping".to_string()),
        };
        if let Err(message) = message {
            findings.push(error(Some("/name"), message));
        }
    }
    findings
}

/// A top-level value of `metadata.yml`.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    /// A null: empty, `~` or `null`.
    Null,
    /// Any other scalar, as text.
    Text(String),
    /// A sequence or mapping.
    Collection,
}

/// The (key, value) pairs of the first document's top-level mapping, in
/// order; complex keys are skipped. An error says what is wrong.
fn top_level_keys(text: &str) -> Result<Vec<(String, Entry)>, String> {
    use yaml_rust2::Event;
    use yaml_rust2::parser::Parser;
    use yaml_rust2::scanner::TScalarStyle;

    let scalar = |value: String, style: TScalarStyle| {
        let null = style == TScalarStyle::Plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL");
        if null { Entry::Null } else { Entry::Text(value) }
    };
    let mut parser = Parser::new_from_str(text);
    // Scalar anchors by id, so `name: *n` resolves; collections stay opaque.
    let mut anchors: std::collections::HashMap<usize, Entry> = std::collections::HashMap::new();
    let mut keys = Vec::new();
    // Nesting depth: 1 inside the top-level mapping.
    let mut depth = 0usize;
    let mut started = false;
    let mut key: Option<Option<String>> = None;
    loop {
        let (event, _) = parser.next_token().map_err(|e| format!("is not valid YAML: {e}; fix the syntax"))?;
        let value = match event {
            Event::StreamEnd | Event::DocumentEnd if depth == 0 => break,
            Event::StreamStart | Event::DocumentStart | Event::Nothing => continue,
            Event::StreamEnd | Event::DocumentEnd => continue,
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let is_mapping = matches!(event, Event::MappingStart(..));
                if anchor > 0 {
                    anchors.insert(anchor, Entry::Collection);
                }
                depth += 1;
                if depth == 1 {
                    if !is_mapping || started {
                        return Err(NOT_A_MAPPING.into());
                    }
                    started = true;
                    continue;
                }
                if depth != 2 {
                    continue;
                }
                Entry::Collection
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, _) => {
                let entry = scalar(value, style);
                if anchor > 0 {
                    anchors.insert(anchor, entry.clone());
                }
                if depth == 0 {
                    // A scalar document: empty means no keys at all.
                    if entry == Entry::Null {
                        break;
                    }
                    return Err(NOT_A_MAPPING.into());
                }
                if depth != 1 {
                    continue;
                }
                entry
            }
            Event::Alias(id) => {
                if depth == 0 {
                    return Err(NOT_A_MAPPING.into());
                }
                if depth != 1 {
                    continue;
                }
                anchors.get(&id).cloned().unwrap_or(Entry::Null)
            }
        };
        // `value` is a node directly in the top-level mapping: a key or its value.
        match key.take() {
            None => {
                key = Some(match value {
                    Entry::Text(k) => Some(k),
                    Entry::Null => Some(String::new()),
                    Entry::Collection => None,
                })
            }
            Some(Some(k)) => keys.push((k, value)),
            Some(None) => {}
        }
    }
    Ok(keys)
}

const NOT_A_MAPPING: &str = "is not a mapping of keys; an EOTDL Q0 metadata.yml is `key: value` lines";

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
        let missing = "name: \"x\"\nother:\n  license: nested\nauthors: [a]\n";
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
