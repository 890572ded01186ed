//! Differential check of the bundled schemas against the official ones, on
//! the shared test data (../shared/testdata and ../shared/reference, read in
//! place).
//!
//! For every JSON file that is a STAC object (type Feature with
//! `stac_version`, Catalog or Collection), the core schema of its version
//! (1.0.0 and 1.1.0; both when `stac_version` is missing) and each bundled
//! extension it lists get the same verdict (valid or invalid) from
//! [`SchemaSet::bundled`] and from a set built from every official file, with
//! formats not asserted on either side, as python `jsonschema` runs them
//! (stac-validator): that is the verdict `validate` gives.
//!
//! The one agreed exception is the ML-Dataset item-key defect: the official
//! Item branch requires `" ml-dataset:split"` (leading space), ours the
//! intended `"ml-dataset:split"`. It shows on the items of
//! `jaca_dataset_q2/labels`, which carry `ml-dataset:split`. For those, our
//! verdict must equal the official verdict on a copy that also carries the
//! misspelt key, so the rest of the schema is still compared.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::schemas::{self, ObjectKind, SchemaSet};
use crate::ml_dataset::{ML_AOI_EXTENSION, ML_DATASET_EXTENSION};

/// Every bundled schema that is not a core or GeoJSON one: the extensions
/// and ML-Dataset.
fn extensions() -> Vec<&'static str> {
    schemas::BUNDLED
        .iter()
        .map(|(url, _)| *url)
        .filter(|url| {
            url.starts_with("https://stac-extensions.github.io/")
                || url.starts_with("https://crim-ca.github.io/")
                || *url == ML_DATASET_EXTENSION
        })
        .collect()
}

/// Where the agreed exception is expected, and why.
const EXCEPTION_DIR: &str = "jaca_dataset_q2/labels";
const EXCEPTION_REASON: &str = "official ML-Dataset Item branch requires \" ml-dataset:split\" (leading space); \
                                stac-ml validates items against the intended \"ml-dataset:split\"";

fn shared() -> Option<PathBuf> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if shared.join("testdata").is_dir() && shared.join("reference").is_dir() {
        return Some(shared);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{} is missing (CI=true)", shared.display());
    println!("skipped: {} not found", shared.display());
    None
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "geojson")) {
            out.push(path);
        }
    }
}

/// The core schema URLs and bundled extensions that apply to `value`, or
/// `None` when it is not a STAC object.
fn applicable(value: &Value, extensions: &[&str]) -> Option<Vec<String>> {
    let kind = ObjectKind::from_type(value.get("type")?.as_str()?)?;
    let version = value.get("stac_version");
    if kind == ObjectKind::Item && version.is_none() {
        return None; // plain GeoJSON
    }
    let mut urls: Vec<String> = match version.and_then(Value::as_str) {
        Some(v @ ("1.0.0" | "1.1.0")) => vec![schemas::core_url(kind, v)],
        Some(_) => Vec::new(),
        None => vec![schemas::core_url(kind, "1.0.0"), schemas::core_url(kind, "1.1.0")],
    };
    if let Some(Value::Array(listed)) = value.get("stac_extensions") {
        urls.extend(extensions.iter().filter(|e| listed.iter().any(|l| l.as_str() == Some(e))).map(|e| e.to_string()));
    }
    Some(urls)
}

/// A copy whose properties carry `" ml-dataset:split"` exactly when they carry
/// `"ml-dataset:split"`.
fn with_misspelt_split(value: &Value) -> Value {
    let mut copy = value.clone();
    if let Some(Value::Object(properties)) = copy.get_mut("properties") {
        properties.remove(" ml-dataset:split");
        if let Some(split) = properties.get("ml-dataset:split").cloned() {
            properties.insert(" ml-dataset:split".into(), split);
        }
    }
    copy
}

#[test]
fn bundled_schemas_agree_with_the_official_ones() {
    let Some(shared) = shared() else { return };
    let reference = shared.join("reference");
    let mut official_files = schemas::read_url_tree(&reference.join("stac-schemas")).unwrap();
    let ml_dataset: Value =
        serde_json::from_slice(&std::fs::read(reference.join("ml-dataset-schema.json")).unwrap()).unwrap();
    official_files.retain(|(url, _)| url != ML_DATASET_EXTENSION);
    official_files.push((ML_DATASET_EXTENSION.to_string(), ml_dataset));
    let official = SchemaSet::from_files(official_files).unwrap();
    let ours = SchemaSet::bundled().unwrap();
    for kind in [ObjectKind::Item, ObjectKind::Catalog, ObjectKind::Collection] {
        for version in ["1.0.0", "1.1.0"] {
            official.validator(&schemas::core_url(kind, version)).unwrap();
        }
    }
    let extensions = extensions();
    assert!(extensions.contains(&ML_AOI_EXTENSION));
    // Some official mlm files do not compile in this crate (see below); only
    // those that do are compared here. tests/schema_cases/check.py compares
    // every one with python jsonschema, which accepts them.
    let extensions: Vec<&str> = extensions.into_iter().filter(|url| official.validator(url).is_ok()).collect();
    // The ones compared above compile offline, lookahead patterns such as
    // `^(?!label:)` included (the crate's default regex engine is
    // fancy-regex). Some unrelated official files do not compile (old mlm
    // versions put a string where a schema belongs); list them for the record.
    let broken: Vec<&str> = official.urls().filter(|url| official.validator(url).is_err()).collect();
    println!("official schemas that do not compile (not used here): {broken:?}");
    assert!(broken.iter().all(|url| url.contains("mlm")), "{broken:?}");

    let testdata = shared.join("testdata");
    let mut files = Vec::new();
    json_files(&testdata, &mut files);
    files.sort();
    let realworld = shared.join("realworld");
    if realworld.is_dir() {
        let mut more = Vec::new();
        json_files(&realworld, &mut more);
        more.sort();
        files.extend(more);
    }
    let (mut objects, mut checks, mut official_invalid, mut exceptions) = (0, 0, 0, 0);
    let mut unexpected = Vec::new();
    for file in &files {
        let Ok(value) = serde_json::from_slice::<Value>(&std::fs::read(file).unwrap()) else { continue };
        let Some(urls) = applicable(&value, &extensions) else { continue };
        objects += 1;
        let relative = file.strip_prefix(&testdata).or_else(|_| file.strip_prefix(&shared)).unwrap();
        for url in urls {
            checks += 1;
            let theirs = official.is_valid(&url, &value).unwrap();
            let mine = ours.is_valid(&url, &value).unwrap();
            official_invalid += usize::from(!theirs);
            if theirs == mine {
                continue;
            }
            // The ML-Dataset key defect, wherever items carry the intended key
            // (jaca_dataset_q2, and the realworld Q2 exports of EOTDL).
            let is_exception = url == ML_DATASET_EXTENSION
                && value["properties"].get("ml-dataset:split").is_some()
                && official.is_valid(&url, &with_misspelt_split(&value)).unwrap() == mine;
            if is_exception {
                exceptions += 1;
            } else {
                unexpected.push(format!(
                    "{} [{}]: official {}, ours {}",
                    relative.display(),
                    schemas::label(&url),
                    if theirs { "valid" } else { "invalid" },
                    if mine { "valid" } else { "invalid" }
                ));
            }
        }
    }
    println!(
        "{} files, {objects} STAC objects, {checks} schema checks ({official_invalid} invalid officially), \
         {exceptions} expected disagreements ({EXCEPTION_REASON}), {} unexpected",
        files.len(),
        unexpected.len()
    );
    assert!(objects > 100, "only {objects} STAC objects found under {}", testdata.display());
    assert!(exceptions > 0, "the ML-Dataset exception in {EXCEPTION_DIR} was not exercised");
    assert_eq!(unexpected, Vec::<String>::new());
}

/// End-to-end verdicts on the shared datasets.
#[test]
fn shared_datasets_validate_as_expected() {
    use super::{Kind, Options, Quality, validate_path};
    let Some(shared) = shared() else { return };
    let testdata = shared.join("testdata");

    let report = validate_path(&testdata.join("pystac-test-case-1"), &Options::default()).unwrap();
    assert_eq!((report.errors, report.warnings, report.quality), (0, 0, Some(Quality::Q1)), "{:#?}", report.findings);

    // Q2, and its items pass ML-Dataset with the intended key; what fails is
    // a 1.0.0 summaries value that is neither an array, a range nor a schema
    // (the EOTDL name rule, "Q2 Dataset" has a space, is a warning by default).
    let report = validate_path(&testdata.join("jaca_dataset_q2"), &Options::default()).unwrap();
    assert_eq!(report.quality, Some(Quality::Q2));
    let errors: Vec<(Kind, &str)> = report
        .findings
        .iter()
        .filter(|f| f.severity == super::Severity::Error)
        .map(|f| (f.kind, f.pointer.as_deref().unwrap_or("")))
        .collect();
    // And, since the raster extension is checked, every band of the source
    // assets gives `spatial_resolution` as an array where raster v1.1.0 wants
    // a number (the official schema agrees: see the test above).
    assert_eq!(errors[0], (Kind::Schema, "/summaries/label:type"));
    assert!(errors.len() > 1, "{errors:?}");
    assert!(
        errors[1..].iter().all(|(kind, pointer)| *kind == Kind::Schema
            && pointer.contains("/raster:bands/")
            && pointer.ends_with("/spatial_resolution")),
        "{errors:?}"
    );

    let report = validate_path(&testdata.join("ml-dataset-example"), &Options::default()).unwrap();
    assert_eq!(report.quality, Some(Quality::Q2));
    assert_eq!((report.errors, report.findings[0].kind), (1, Kind::Link));
}

/// The case files of `tests/schema_cases`, sorted.
fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema_cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The objects written for each bundled extension schema, in
/// `tests/schema_cases/*.json` (valid ones, and invalid ones exercising each
/// required field, enum and range): the official schema and ours both give
/// the verdict the case file records. Official schemas this crate cannot
/// compile (old mlm files) are compared by `tests/schema_cases/check.py`.
#[test]
fn objects_of_our_own_get_the_recorded_verdict_from_both_schemas() {
    let Some(shared) = shared() else { return };
    let official =
        SchemaSet::from_files(schemas::read_url_tree(&shared.join("reference/stac-schemas")).unwrap()).unwrap();
    let ours = SchemaSet::bundled().unwrap();
    let files = case_files();
    let mut covered = std::collections::BTreeSet::new();
    let mut wrong = Vec::new();
    let mut checks = 0;
    for file in &files {
        let spec: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let url = spec["schema"].as_str().unwrap();
        covered.insert(url.to_string());
        let official_compiles = official.validator(url).is_ok();
        let cases = spec["cases"].as_array().unwrap();
        assert!(cases.iter().any(|c| c["valid"] == true), "{}: no valid case", file.display());
        assert!(cases.iter().any(|c| c["valid"] == false), "{}: no invalid case", file.display());
        for case in cases {
            let (name, expected, object) =
                (case["name"].as_str().unwrap(), case["valid"].as_bool().unwrap(), &case["object"]);
            checks += 1;
            if official_compiles && official.is_valid(url, object).unwrap() != expected {
                wrong.push(format!("{} [{name}]: official schema disagrees with the case", file.display()));
            }
            if ours.is_valid(url, object).unwrap() != expected {
                wrong.push(format!("{} [{name}]: our schema disagrees with the case", file.display()));
            }
        }
    }
    println!("{} case files, {checks} objects", files.len());
    assert_eq!(wrong, Vec::<String>::new());
    let uncovered: Vec<&str> = extensions().into_iter().filter(|url| !covered.contains(*url)).collect();
    // The core-adjacent ones are covered by the shared data above.
    let uncovered: Vec<&str> = uncovered
        .into_iter()
        .filter(|url| {
            !url.contains("/label/v1.0.1/") && !url.contains("/ml-aoi/v0.2.0/") && *url != ML_DATASET_EXTENSION
        })
        .collect();
    assert_eq!(uncovered, Vec::<&str>::new(), "bundled extension schemas without a case file in tests/schema_cases");
}

/// For every bundled extension, a required field missing from a valid Item
/// of its case file is reported at that field, from the Item's own branch
/// of the schema (not, say, as `/type: "Collection" was expected`). Each
/// field of `properties` and of each asset is removed in turn; when that
/// makes the Item invalid, no error may come from the Collection branch
/// (`/type`), and a "required property" error for the removed field must
/// point at that field (here, or where the schema lets it sit instead).
/// Schemas whose only requirement is "at least one of these fields" (eo,
/// view, processing, ...) report that at the object holding them.
#[test]
fn a_missing_required_field_is_reported_at_that_field() {
    let ours = SchemaSet::bundled().unwrap();
    let files = case_files();
    let mut wrong = Vec::new();
    let mut reported = std::collections::BTreeMap::<String, usize>::new();
    for file in &files {
        let spec: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let url = spec["schema"].as_str().unwrap();
        if !ours.contains(url) {
            continue;
        }
        for case in spec["cases"].as_array().unwrap() {
            let object = &case["object"];
            if case["valid"] != true || object["type"] != "Feature" {
                continue;
            }
            let mut places: Vec<String> = Vec::new();
            if let Some(Value::Object(properties)) = object.get("properties") {
                places.extend(properties.keys().map(|k| format!("/properties/{k}")));
            }
            if let Some(Value::Object(assets)) = object.get("assets") {
                for (name, asset) in assets {
                    if let Some(asset) = asset.as_object() {
                        places.extend(asset.keys().map(|k| format!("/assets/{name}/{k}")));
                    }
                }
            }
            for place in places {
                if place.ends_with("/datetime") || place.ends_with("/href") {
                    continue; // core fields
                }
                let mut copy = object.clone();
                let (parent, key) = place.rsplit_once('/').unwrap();
                copy.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
                if ours.is_valid(url, &copy).unwrap() {
                    continue;
                }
                let (errors, _) = ours.errors(url, &copy, 50).unwrap();
                let wrong_branch = errors.iter().any(|e| e.pointer == "/type");
                let missing = format!("\"{key}\" is a required property");
                // Where the field may sit in one of several places (properties or
                // the model asset), the error may name the other place.
                let required_elsewhere =
                    errors.iter().any(|e| e.message.contains(&missing) && !e.pointer.ends_with(&format!("/{key}")));
                if errors.iter().any(|e| e.pointer == place && e.message.contains(&missing)) {
                    *reported.entry(schemas::label(url)).or_default() += 1;
                }
                if wrong_branch || required_elsewhere {
                    wrong.push(format!(
                        "{} [{}] without {place}: {:?}",
                        file.file_name().unwrap().to_string_lossy(),
                        case["name"].as_str().unwrap_or(""),
                        errors.iter().map(|e| format!("{} {}", e.pointer, e.message)).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    println!("required fields reported at the field, per schema: {reported:?}");
    assert!(wrong.is_empty(), "{} removals not reported at the field:\n{}", wrong.len(), wrong.join("\n"));
}
