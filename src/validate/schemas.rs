//! The JSON Schemas stac-ml validates against, and the compiled validators.
//!
//! [`SchemaSet`] owns one [`jsonschema::Registry`] holding every schema under
//! its official URL, built once, and one compiled [`jsonschema::Validator`]
//! per URL, compiled on first use and cached (as rustac caches by URI). The
//! set is `Send + Sync`, so rayon threads share it.
//!
//! By default the set is the project's own draft-07 schemas in `schemas/`
//! (see `schemas/README.md`), embedded in the binary with `include_str!`:
//! STAC core 1.0.0 and 1.1.0, GeoJSON, ML-Dataset, and every version of the
//! extensions in `../shared/reference` (label, ml-aoi, eo, projection with
//! PROJJSON, raster, file, view, scientific, version, processing,
//! classification, stats, mlm and its crim-ca copies). Users add local schemas with [`SchemaSet::with_extra`]
//! (`--schema URL=PATH`).
//!
//! Nothing is ever fetched: the `jsonschema` crate is built without its HTTP
//! features and every validator is built with
//! [`jsonschema::ValidationOptions::offline`], so a `$ref` to a URL that is not
//! in the set makes building fail with an error naming the URL.
//!
//! **Formats are annotations for the verdict, warnings in the report.** The
//! verdict ([`SchemaSet::is_valid`], and which violations are errors) comes
//! from validators built with `should_validate_formats(false)`, as python
//! `jsonschema` runs without format assertion (stac-validator, EOTDL): the
//! same verdict as the official validators. A second validator per URL, with
//! formats asserted, finds the `date-time`, `iri-reference`, ... violations;
//! those alone are reported as [`SchemaError::format_only`] (a warning, an
//! error when strict). A datetime without a time zone is still an error: the
//! STAC schemas' own `pattern` `(\+00:00|Z)$` requires one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jsonschema::{Registry, Validator};
use serde_json::Value;

use crate::error::{Error, Result};

/// Every schema file listed in `schemas/index.json`, embedded: (the URL it
/// provides, its text). `build.rs` writes the list from the index, so the two
/// cannot disagree; a unit test checks each file's `$id` against its URL.
pub const BUNDLED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled_schemas.rs"));

/// The kind of STAC object a core schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// A STAC Item (`"type": "Feature"`).
    Item,
    /// A STAC Catalog.
    Catalog,
    /// A STAC Collection.
    Collection,
}

impl ObjectKind {
    /// The kind named by an object's `type`, if it is one of the three.
    pub fn from_type(type_: &str) -> Option<Self> {
        match type_ {
            "Feature" => Some(ObjectKind::Item),
            "Catalog" => Some(ObjectKind::Catalog),
            "Collection" => Some(ObjectKind::Collection),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ObjectKind::Item => "item",
            ObjectKind::Catalog => "catalog",
            ObjectKind::Collection => "collection",
        }
    }
}

/// The official URL of the core schema for `kind` in STAC `version`.
pub fn core_url(kind: ObjectKind, version: &str) -> String {
    let name = kind.name();
    format!("https://schemas.stacspec.org/v{version}/{name}-spec/json-schema/{name}.json")
}

/// A short human name for a schema URL: `STAC 1.1.0 item`, `label v1.0.1`,
/// `ML-Dataset`, else the URL itself.
pub fn label(url: &str) -> String {
    if url == crate::ml_dataset::ML_DATASET_EXTENSION {
        return "ML-Dataset".into();
    }
    if let Some(rest) = url.strip_prefix("https://schemas.stacspec.org/v") {
        let mut parts = rest.split('/');
        if let (Some(version), Some(file)) = (parts.next(), parts.next_back()) {
            return format!("STAC {version} {}", file.trim_end_matches(".json"));
        }
    }
    if let Some(rest) = url.strip_prefix("https://stac-extensions.github.io/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() == 3 && parts[2] == "schema.json" {
            return format!("{} {}", parts[0], parts[1]);
        }
    }
    if let Some(version) =
        url.strip_prefix("https://crim-ca.github.io/mlm-extension/").and_then(|rest| rest.strip_suffix("/schema.json"))
    {
        return format!("mlm {version} (crim-ca)");
    }
    url.to_string()
}

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// JSON pointer of the offending value in the instance (`""` for the root).
    pub pointer: String,
    /// What is wrong, without dumping large values.
    pub message: String,
    /// Only a `format` keyword fails here: the official validators, which do
    /// not assert formats, accept the value.
    pub format_only: bool,
}

/// How many violations [`SchemaSet::errors`] found, kept or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// All of them.
    pub total: usize,
    /// Those that are [`SchemaError::format_only`].
    pub formats: usize,
}

/// A compiled validator, or why it could not be built.
type Compiled = std::result::Result<Arc<Validator>, String>;

/// A set of JSON Schemas keyed by URL, validated offline.
pub struct SchemaSet {
    registry: Registry<'static>,
    /// One lazily compiled validator per registered URL, formats not
    /// asserted (the verdict), and one with formats asserted (the warnings).
    validators: BTreeMap<String, [OnceLock<Compiled>; 2]>,
    /// Where each URL's schema came from, for error messages.
    origins: BTreeMap<String, String>,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet").field("urls", &self.origins).finish_non_exhaustive()
    }
}

impl SchemaSet {
    /// The bundled schemas ([`BUNDLED`]).
    pub fn bundled() -> Result<Self> {
        Self::build(bundled_entries()?)
    }

    /// The bundled schemas plus local schema files, each registered under the
    /// given URL (`--schema URL=PATH`). A file given for a bundled URL replaces
    /// the bundled schema. Each extra schema is compiled now, so a file that
    /// is not JSON, is not a valid schema or `$ref`s a URL the set lacks fails
    /// here, with an error naming the file.
    pub fn with_extra(extra: Vec<(String, PathBuf)>) -> Result<Self> {
        Self::with_sources(extra, None)
    }

    /// [`SchemaSet::with_extra`] plus a local mirror: every file under
    /// `mirror`, laid out by URL as [`read_url_tree`] reads it, provides the
    /// URLs that are neither bundled nor given as a file (`--schema-dir`).
    /// Nothing is fetched; a missing folder or a file that is not JSON fails
    /// here, naming it.
    pub fn with_mirror(extra: Vec<(String, PathBuf)>, mirror: &Path) -> Result<Self> {
        Self::with_sources(extra, Some(mirror))
    }

    fn with_sources(extra: Vec<(String, PathBuf)>, mirror: Option<&Path>) -> Result<Self> {
        let mut entries = bundled_entries()?;
        let mut added = Vec::new();
        for (url, path) in extra {
            let mut bytes = Vec::new();
            crate::catalog::read::read_file(&path, &mut bytes).map_err(|e| Error::io(&path, e))?;
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|error| Error::Json { path: path.clone(), error })?;
            if !value.is_object() && !value.is_boolean() {
                return Err(Error::not_stac(&path, format!("is not a JSON Schema (given for {url})")));
            }
            entries.retain(|entry| entry.url != url);
            entries.push(Entry { url: url.clone(), value, origin: path.display().to_string() });
            added.push(url);
        }
        if let Some(mirror) = mirror {
            if !mirror.is_dir() {
                let error =
                    std::io::Error::new(std::io::ErrorKind::NotFound, "the schema mirror folder does not exist");
                return Err(Error::io(mirror, error));
            }
            for (url, value) in read_url_tree(mirror)? {
                if !entries.iter().any(|entry| entry.url == url) {
                    let origin = format!("{} (mirror of {url})", mirror.display());
                    entries.push(Entry { url, value, origin });
                }
            }
        }
        let set = Self::build(entries)?;
        for url in added {
            set.validator(&url)?;
        }
        Ok(set)
    }

    /// A set of arbitrary schemas: (URL, schema) pairs. Validators are
    /// compiled on first use.
    pub fn from_files(files: Vec<(String, Value)>) -> Result<Self> {
        let entries = files.into_iter().map(|(url, value)| Entry { origin: url.clone(), url, value }).collect();
        Self::build(entries)
    }

    /// Every schema file under `dir`, laid out by URL: see [`read_url_tree`].
    pub fn from_url_tree(dir: &Path) -> Result<Self> {
        Self::from_files(read_url_tree(dir)?)
    }

    fn build(entries: Vec<Entry>) -> Result<Self> {
        let mut validators = BTreeMap::new();
        let mut origins = BTreeMap::new();
        // Draft 7 is the default for schemas without `$schema`, and it is the
        // draft whose meta-schema the registry injects when a schema `$ref`s
        // `http://json-schema.org/draft-07/schema` (collection summaries do).
        let mut builder = Registry::new().draft(jsonschema::Draft::Draft7);
        for entry in entries {
            validators.insert(entry.url.clone(), [OnceLock::new(), OnceLock::new()]);
            origins.insert(entry.url.clone(), entry.origin.clone());
            builder = builder
                .add(&entry.url, entry.value)
                .map_err(|e| schema_error(&entry.origin, format!("cannot register {}: {e}", entry.url)))?;
        }
        // `prepare` crawls every `$ref` of every schema; one that names a URL
        // outside the set fails here (the registry's retriever never fetches).
        let registry = builder.prepare().map_err(|e| {
            Error::Usage(format!(
                "JSON Schemas do not resolve offline: {e} (add the missing schema with --schema URL=PATH)"
            ))
        })?;
        Ok(SchemaSet { registry, validators, origins })
    }

    /// True when a schema is registered under `url`.
    pub fn contains(&self, url: &str) -> bool {
        self.validators.contains_key(url)
    }

    /// The registered URLs, sorted.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    /// The compiled validator for `url` (formats not asserted), compiled on
    /// first use and cached.
    pub fn validator(&self, url: &str) -> Result<&Validator> {
        self.compiled(url, false)
    }

    fn compiled(&self, url: &str, formats: bool) -> Result<&Validator> {
        let Some(cells) = self.validators.get(url) else {
            return Err(Error::Usage(format!("no schema is registered for {url}")));
        };
        let compiled = cells[usize::from(formats)].get_or_init(|| {
            jsonschema::options()
                .offline()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(formats)
                .with_registry(&self.registry)
                .build(&serde_json::json!({ "$ref": url }))
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        match compiled {
            Ok(validator) => Ok(validator),
            Err(message) => {
                let origin = self.origins.get(url).map_or(url, String::as_str);
                Err(schema_error(origin, format!("schema for {url} does not compile: {message}")))
            }
        }
    }

    /// Whether `instance` is valid against the schema registered under `url`,
    /// formats not asserted: the official validators' verdict.
    pub fn is_valid(&self, url: &str, instance: &Value) -> Result<bool> {
        Ok(self.validator(url)?.is_valid(instance))
    }

    /// The violations of `instance` against the schema under `url`, at most
    /// `limit` of them, and how many there were in all. Violations of a
    /// `format` alone come with [`SchemaError::format_only`] and sort after the
    /// others; each group is sorted by pointer then message.
    pub fn errors(&self, url: &str, instance: &Value, limit: usize) -> Result<(Vec<SchemaError>, Counts)> {
        // The common case, a valid object, costs one pass.
        let with_formats = self.compiled(url, true)?;
        if with_formats.is_valid(instance) {
            return Ok((Vec::new(), Counts { total: 0, formats: 0 }));
        }
        let validator = self.validator(url)?;
        let mut errors: Vec<SchemaError> = Vec::new();
        let mut described = Vec::new();
        if !validator.is_valid(instance) {
            for error in validator.iter_errors(instance) {
                describe(&error, 4, &mut described);
            }
        }
        errors.extend(described.drain(..).map(|(pointer, message, _)| SchemaError {
            pointer,
            message,
            format_only: false,
        }));
        for error in with_formats.iter_errors(instance) {
            describe(&error, 4, &mut described);
        }
        for (pointer, message, format) in described {
            if format && !errors.iter().any(|e| e.pointer == pointer && e.message == message) {
                errors.push(SchemaError { pointer, message, format_only: true });
            }
        }
        errors.sort_by(|a, b| (a.format_only, &a.pointer, &a.message).cmp(&(b.format_only, &b.pointer, &b.message)));
        errors.dedup_by(|a, b| a.pointer == b.pointer && a.message == b.message);
        // Real violations first, so that the limit keeps them over format-only ones.
        let total = errors.len();
        let formats = errors.iter().filter(|e| e.format_only).count();
        errors.truncate(limit);
        Ok((errors, Counts { total, formats }))
    }
}

/// Longest message kept for one violation.
const MAX_MESSAGE: usize = 400;

/// One violation as reported: pointer, message, and whether it is a
/// `format` violation.
type Described = (String, String, bool);

/// The error's pointer and message, with large values masked (a failing
/// item must not be printed whole), into `out`. A `required` violation is
/// reported at the missing property (`/properties/label:description`), not
/// at the object that lacks it.
///
/// A `oneOf`/`anyOf` failure says little by itself ("not valid under any of
/// the schemas"), so it is replaced by the violations of one alternative:
/// - where the alternatives branch on the object's `type` (the label,
///   ml-aoi and ML-Dataset schemas' Item vs Collection), the branch whose
///   `type` the object has: every violation of it is reported;
/// - else, when one alternative got further into the document than the
///   failure itself, that alternative's deepest violation, much as Python's
///   `best_match` does (deepest, then fewest violations, then first).
fn describe(error: &jsonschema::ValidationError<'_>, depth: usize, out: &mut Vec<Described>) {
    use jsonschema::error::ValidationErrorKind;
    let context = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => Some(context),
        _ => None,
    };
    if let Some(context) = context
        && depth > 0
    {
        let branches: Vec<&[jsonschema::ValidationError<'_>]> =
            context.iter().map(Vec::as_slice).filter(|branch| !branch.is_empty()).collect();
        // The branches that do not reject the object's `type`, when some do.
        let typed: Vec<&[jsonschema::ValidationError<'_>]> =
            branches.iter().copied().filter(|branch| !rejects_type(branch, error)).collect();
        if typed.len() == 1 && branches.len() > 1 {
            for inner in typed[0] {
                describe(inner, depth - 1, out);
            }
            return;
        }
        if let Some(branch) = branches.iter().max_by(|a, b| {
            let score = |branch: &[jsonschema::ValidationError<'_>]| {
                (deepest(branch).map_or(0, segments), std::cmp::Reverse(branch.len()))
            };
            // On a tie `max_by` keeps the left one when told it is greater: the first wins.
            score(a).cmp(&score(b)).then(std::cmp::Ordering::Greater)
        }) && let Some(first) = deepest(branch)
            && segments(first) > segments(error)
        {
            return describe(first, depth - 1, out);
        }
    }
    let message =
        if is_small(error.instance()) { error.to_string() } else { error.masked_with("the value").to_string() };
    let format = matches!(error.kind(), ValidationErrorKind::Format { .. });
    let mut pointer = error.instance_path().as_str().to_string();
    if let ValidationErrorKind::Required { property: Value::String(property) } = error.kind() {
        pointer.push('/');
        pointer.push_str(&property.replace('~', "~0").replace('/', "~1"));
    }
    out.push((pointer, truncate(message), format));
}

/// True when one of `branch`'s violations is the object's own `type` member
/// failing a `const` or `enum`: the branch describes another kind of object.
fn rejects_type(branch: &[jsonschema::ValidationError<'_>], parent: &jsonschema::ValidationError<'_>) -> bool {
    use jsonschema::error::ValidationErrorKind;
    let type_pointer = format!("{}/type", parent.instance_path().as_str());
    branch.iter().any(|e| {
        matches!(e.kind(), ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. })
            && e.instance_path().as_str() == type_pointer
    })
}

/// True for values short enough to quote in a message: scalars, and arrays or
/// objects of a few scalars (`["label"]`), never a whole item.
fn is_small(value: &Value) -> bool {
    let scalar = |v: &Value| match v {
        Value::String(s) => s.len() <= 80,
        Value::Array(_) | Value::Object(_) => false,
        _ => true,
    };
    match value {
        Value::Array(list) => list.len() <= 4 && list.iter().all(scalar),
        Value::Object(map) => map.len() <= 2 && map.values().all(scalar),
        other => scalar(other),
    }
}

/// How deep in the instance an error is.
fn segments(error: &jsonschema::ValidationError<'_>) -> usize {
    error.instance_path().segments().count()
}

/// The deepest violation of an alternative (the first by pointer among equals).
fn deepest<'a, 'e>(branch: &'a [jsonschema::ValidationError<'e>]) -> Option<&'a jsonschema::ValidationError<'e>> {
    branch.iter().max_by(|a, b| segments(a).cmp(&segments(b)).then_with(|| b.instance_path().cmp(a.instance_path())))
}

fn truncate(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

/// An error about a schema (not about the data): names the schema's file or
/// URL. The crate error has no schema variant; these are problems with what
/// the user configured, so they are usage errors.
fn schema_error(origin: &str, message: String) -> Error {
    Error::Usage(format!("{origin}: {message}"))
}

struct Entry {
    url: String,
    value: Value,
    origin: String,
}

fn bundled_entries() -> Result<Vec<Entry>> {
    BUNDLED
        .iter()
        .map(|(url, text)| {
            let value = serde_json::from_str(text)
                .map_err(|error| Error::Json { path: PathBuf::from(format!("<bundled schema {url}>")), error })?;
            Ok(Entry { url: (*url).to_string(), value, origin: format!("bundled schema {url}") })
        })
        .collect()
}

/// Reads every file under `dir`, laid out by URL (`dir/<host>/<path>`
/// provides `https://<host>/<path>`), as (URL, schema) pairs sorted by URL. A
/// file whose `$id` differs from its place is also listed under its `$id`.
/// This is how copies of the official schemas are kept.
pub fn read_url_tree(dir: &Path) -> Result<Vec<(String, Value)>> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(dir).expect("walked under dir");
        let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let value = crate::catalog::read_json(&file)?;
        if let Some(id) = value.get("$id").and_then(Value::as_str) {
            schemas.insert(id.trim_end_matches('#').to_string(), value.clone());
        }
        schemas.insert(format!("https://{}", parts.join("/")), value);
    }
    Ok(schemas.into_iter().collect())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            collect_files(&path, out)?;
        } else if file_type.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shared_across_threads() {
        assert_send_sync::<SchemaSet>();
    }

    #[test]
    fn bundled_schemas_carry_their_url_as_id_and_every_file_is_listed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        for (url, text) in BUNDLED {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(value["$id"].as_str().map(|id| id.trim_end_matches('#')), Some(*url));
        }
        let mut on_disk = Vec::new();
        collect_files(&dir, &mut on_disk).unwrap();
        let unlisted: Vec<_> = on_disk
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("index.json"))
            .filter(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                !BUNDLED.iter().any(|(_, t)| *t == text)
            })
            .collect();
        assert!(unlisted.is_empty(), "schema files missing from schemas/index.json: {unlisted:?}");
    }

    #[test]
    fn every_bundled_schema_compiles() {
        let set = SchemaSet::bundled().unwrap();
        for (url, _) in BUNDLED {
            set.validator(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    #[test]
    fn labels() {
        assert_eq!(label(&core_url(ObjectKind::Item, "1.1.0")), "STAC 1.1.0 item");
        assert_eq!(label("https://stac-extensions.github.io/label/v1.0.1/schema.json"), "label v1.0.1");
        assert_eq!(label(crate::ml_dataset::ML_DATASET_EXTENSION), "ML-Dataset");
        assert_eq!(label("https://crim-ca.github.io/mlm-extension/v1.2.0/schema.json"), "mlm v1.2.0 (crim-ca)");
        assert_eq!(label("https://example.com/x.json"), "https://example.com/x.json");
    }

    #[test]
    fn formats_are_warnings_not_verdicts() {
        let url = "https://example.com/t.json";
        let set = SchemaSet::from_files(vec![(
            url.into(),
            json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "string", "format": "date-time"}),
        )])
        .unwrap();
        assert!(set.is_valid(url, &json!("2020-01-01T00:00:00Z")).unwrap());
        assert_eq!(set.errors(url, &json!("2020-01-01T00:00:00Z"), 5).unwrap().1.total, 0);
        // Valid for the official validators (no format assertion), reported as format-only.
        assert!(set.is_valid(url, &json!("2020-13-01T00:00:00Z")).unwrap());
        let (errors, counts) = set.errors(url, &json!("2020-13-01T00:00:00Z"), 5).unwrap();
        assert_eq!(counts, Counts { total: 1, formats: 1 });
        assert!(errors[0].format_only, "{errors:?}");
        // A type error is not format-only.
        let (errors, _) = set.errors(url, &json!(3), 5).unwrap();
        assert!(!errors[0].format_only, "{errors:?}");
    }

    #[test]
    fn unknown_remote_ref_fails_to_build_and_names_the_url() {
        let err = SchemaSet::from_files(vec![(
            "https://example.com/a.json".into(),
            json!({"$ref": "https://example.com/missing.json"}),
        )])
        .unwrap_err()
        .to_string();
        assert!(err.contains("https://example.com/missing.json"), "{err}");
    }

    #[test]
    fn extra_schema_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{ not json").unwrap();
        let err = SchemaSet::with_extra(vec![("https://example.com/x.json".into(), bad.clone())]).unwrap_err();
        assert!(err.to_string().contains(&bad.display().to_string()), "{err}");
        let missing = dir.path().join("missing.json");
        let err = SchemaSet::with_extra(vec![("https://example.com/x.json".into(), missing.clone())]).unwrap_err();
        assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
        let good = dir.path().join("good.json");
        std::fs::write(&good, r#"{"type": "object", "required": ["x:y"]}"#).unwrap();
        let set = SchemaSet::with_extra(vec![("https://example.com/x.json".into(), good)]).unwrap();
        assert!(set.contains("https://example.com/x.json"));
        assert!(set.contains(&core_url(ObjectKind::Item, "1.0.0")));
        assert!(!set.is_valid("https://example.com/x.json", &json!({})).unwrap());
    }

    #[test]
    fn errors_carry_pointers_and_mask_objects() {
        let set = SchemaSet::bundled().unwrap();
        let url = "https://stac-extensions.github.io/ml-aoi/v0.2.0/schema.json";
        let item = json!({
            "type": "Feature", "stac_version": "1.1.0", "id": "x",
            "stac_extensions": [url],
            "geometry": null, "properties": {"datetime": "2020-01-01T00:00:00Z", "ml-aoi:split": "validation"},
            "links": [], "assets": {}
        });
        let (errors, counts) = set.errors(url, &item, 20).unwrap();
        assert!(counts.total >= 1);
        assert!(errors.iter().any(|e| e.pointer == "/properties/ml-aoi:split"), "{errors:?}");
        assert!(errors.iter().all(|e| !e.message.contains("\"stac_version\"")), "objects must be masked: {errors:?}");
    }
}
