//! Checks of one parsed STAC object against its schemas: the core schema
//! chosen by `type` and `stac_version`, the listed extensions, extension
//! fields used without the extension listed, and the bbox's meaning.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::links;
use super::notices::Notice;
use super::report::{Finding, Kind, Severity};
use super::schemas::{self, ObjectKind, SchemaSet};
use crate::catalog::{bbox_numbers, extension, href};

/// Extensions whose fields stac-ml recognises by prefix: (field prefix, a
/// string every identifier of the extension contains, name).
const PREFIXED: [(&str, &str, &str); 3] = [
    ("label:", "stac-extensions.github.io/label/", "label"),
    ("ml-aoi:", "stac-extensions.github.io/ml-aoi/", "ml-aoi"),
    ("ml-dataset:", "earthpulse/ml-dataset", "ML-Dataset"),
];

/// A bbox of 4 or 6 numbers whose south lies north of its north, or whose
/// latitudes leave [-90, 90]. West > east is allowed: it crosses the antimeridian.
fn bbox_problem(bbox: &Value) -> Option<String> {
    let [_, south, _, north] = bbox_numbers(bbox).ok()?;
    if south > north {
        Some(format!("bbox south {south} is north of its north {north}"))
    } else if !(-90.0..=90.0).contains(&south) || !(-90.0..=90.0).contains(&north) {
        Some(format!("bbox latitudes {south}, {north} are outside [-90, 90]"))
    } else {
        None
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn schema_findings(
    schemas: &SchemaSet,
    path: &Path,
    value: &Value,
    strict: bool,
    limit: usize,
    out: &mut Vec<Finding>,
    notices: &mut Vec<Notice>,
    omitted: &mut Vec<(Severity, usize)>,
) {
    let not_checked = if strict { Severity::Error } else { Severity::Warning };
    let error = |pointer: &str, message: String| {
        Finding::new(path, Severity::Error, Kind::Schema, Some(pointer.to_string()), message)
    };
    let Some(json) = value.as_object() else {
        out.push(error("", "is not a JSON object, so not a STAC object".into()));
        return;
    };
    // The schemas check the bbox's shape, not its meaning (RFC 7946 §5).
    if let Some(message) = json.get("bbox").and_then(bbox_problem) {
        out.push(error("/bbox", message));
    }
    let mut validate = |url: &str, instance: &Value, out: &mut Vec<Finding>| match schemas.errors(url, instance, limit)
    {
        Ok((errors, counts)) => {
            let name = schemas::label(url);
            let kept_formats = errors.iter().filter(|e| e.format_only).count();
            let formats = counts.formats - kept_formats;
            omitted.push((Severity::Error, counts.total - counts.formats - (errors.len() - kept_formats)));
            omitted.push((if strict { Severity::Error } else { Severity::Warning }, formats));
            out.extend(errors.into_iter().map(|e| {
                let (severity, note) = match (e.format_only, strict) {
                    (false, _) => (Severity::Error, ""),
                    (true, false) => (Severity::Warning, "; a format the official validators do not assert"),
                    (true, true) => (Severity::Error, "; a format, asserted in strict mode"),
                };
                Finding {
                    path: path.to_path_buf(),
                    object: None,
                    pointer: Some(e.pointer),
                    message: format!("{} ({name} schema{note})", e.message),
                    severity,
                    kind: Kind::Schema,
                    schema: Some(url.to_string()),
                }
            }));
        }
        Err(e) => out.push(error("", e.to_string())),
    };
    let kind = match json.get("type") {
        Some(Value::String(t)) => match ObjectKind::from_type(t) {
            Some(kind) => Some(kind),
            None => {
                out.push(error(
                    "/type",
                    format!(
                        "\"type\" is {t:?}, not \"Feature\", \"Catalog\" or \"Collection\"; core schema not checked"
                    ),
                ));
                None
            }
        },
        _ => {
            out.push(error("/type", "has no string \"type\", so no core schema can be chosen".into()));
            None
        }
    };
    if let Some(kind) = kind {
        match json.get("stac_version") {
            Some(Value::String(version)) => {
                let url = schemas::core_url(kind, version);
                if schemas.contains(&url) {
                    validate(&url, value, out);
                } else {
                    notices.push(Notice {
                        kind: Kind::Schema,
                        severity: not_checked,
                        message: format!("not checked: no bundled schema for STAC {version}"),
                        path: path.to_path_buf(),
                        object: None,
                        pointer: Some("/stac_version".into()),
                    });
                }
            }
            _ => out.push(error("/stac_version", "has no string \"stac_version\"; core schema not checked".into())),
        }
    }
    // Extensions as their canonical URLs: a known alias (raw repository URL,
    // `/json-schema/schema.json` path, `http`) names the same schema.
    let mut listed: BTreeSet<String> = BTreeSet::new();
    if let Some(Value::Array(extensions)) = json.get("stac_extensions") {
        // The object as the bundled schemas expect it (they check that
        // `stac_extensions` lists their own URL): aliases made canonical.
        let mut canonical_copy: Option<Value> = None;
        for (i, extension) in extensions.iter().enumerate() {
            let Some(url) = extension.as_str() else { continue }; // the core schema reports it
            let canonical = extension::parse(url).filter(|id| !id.canonical).map(|id| id.canonical_url());
            if !listed.insert(canonical.clone().unwrap_or_else(|| url.to_string())) {
                continue;
            }
            if schemas.contains(url) {
                validate(url, value, out);
                continue;
            }
            if let Some(canonical) = canonical.filter(|c| schemas.contains(c)) {
                let copy = canonical_copy.get_or_insert_with(|| with_canonical_extensions(value));
                validate(&canonical, copy, out);
                notices.push(Notice {
                    kind: Kind::Extension,
                    severity: Severity::Warning,
                    message: format!(
                        "extension {url} is not the canonical URL; checked against the schema of {canonical}, which it names"
                    ),
                    path: path.to_path_buf(),
                    object: None,
                    pointer: Some(format!("/stac_extensions/{i}")),
                });
                continue;
            }
            let message = if href::is_remote(url) {
                format!("extension {url} not checked: no bundled schema (give one with --schema URL=PATH)")
            } else {
                format!(
                    "extension {url} not checked: relative or local extension hrefs are not resolved; list the schema URL"
                )
            };
            notices.push(Notice {
                kind: Kind::Extension,
                severity: not_checked,
                message,
                path: path.to_path_buf(),
                object: None,
                pointer: Some(format!("/stac_extensions/{i}")),
            });
        }
    }
    let properties = json.get("properties").and_then(Value::as_object);
    for (prefix, marker, name) in PREFIXED {
        if listed.iter().any(|url| url.contains(marker)) {
            continue;
        }
        let top = json.keys().find(|k| k.starts_with(prefix)).map(|k| format!("/{}", links::escape_pointer(k)));
        let nested = || {
            properties?
                .keys()
                .find(|k| k.starts_with(prefix))
                .map(|k| format!("/properties/{}", links::escape_pointer(k)))
        };
        if let Some(pointer) = top.or_else(nested) {
            notices.push(Notice {
                kind: Kind::Extension,
                severity: Severity::Warning,
                message: format!("uses {prefix}* fields but stac_extensions does not list the {name} extension, so they are not checked"),
                path: path.to_path_buf(),
                object: None,
                pointer: Some(pointer),
            });
        }
    }
}

/// A copy of `value` whose `stac_extensions` aliases are replaced by their
/// canonical URLs.
fn with_canonical_extensions(value: &Value) -> Value {
    let mut copy = value.clone();
    if let Some(Value::Array(extensions)) = copy.get_mut("stac_extensions") {
        for extension in extensions {
            if let Some(id) = extension.as_str().and_then(extension::parse).filter(|id| !id.canonical) {
                *extension = Value::String(id.canonical_url());
            }
        }
    }
    copy
}
