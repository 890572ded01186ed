//! The output gate of q2: the Q2 catalog is validated before it is published
//! (each item in memory as it is written, then the finished temporary tree),
//! and publishing is refused when q2's own output is invalid. Errors that
//! were in the input already are reported, not blocking.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::ml_dataset::{ML_AOI_EXTENSION, ML_DATASET_EXTENSION};
use crate::progress::Observer;
use crate::validate::{self, Checked, Finding, Incremental, Kind, Report, Severity};
use crate::write::Gate;

/// True for errors q2 itself would have caused: broken links in what it
/// wrote, or ML-Dataset / ml-aoi fields that fail their schemas. Other schema
/// errors were in the input already (EOTDL's own examples carry some) and are
/// reported, not blocking: `stac-ml validate` is the strict gate.
pub fn caused_by_q2(finding: &Finding) -> bool {
    finding.severity == Severity::Error
        && match finding.kind {
            Kind::Link | Kind::Io | Kind::Json => true,
            // Only the fields q2 writes: the ML-Dataset schema also rejects any
            // `file:*` key (an upstream rule), which is the input's business.
            Kind::Schema => {
                let ours = |prefix: &str| {
                    finding.pointer.as_deref().is_some_and(|p| p.contains(prefix)) || finding.message.contains(prefix)
                };
                finding.schema.as_deref().is_some_and(|s| s == ML_DATASET_EXTENSION || s == ML_AOI_EXTENSION)
                    && (ours("ml-dataset:") || ours("ml-aoi:"))
            }
            Kind::Ingest | Kind::Extension => false,
        }
}

/// Decides whether the report of the temporary tree `tmp`, to be published
/// as `out`, may be published: an error naming up to five of the problems q2
/// caused if not, else the warning to show about errors carried over from the
/// input, if any.
pub fn check_report(report: &Report, tmp: &Path, out: &Path) -> Result<Option<String>> {
    let blocking: Vec<&Finding> = report.findings.iter().filter(|f| caused_by_q2(f)).collect();
    if !blocking.is_empty() {
        let lines: Vec<String> = blocking
            .iter()
            .take(5)
            // Name the file as it would have been published; the temporary tree is removed.
            .map(|f| {
                let path = f.path.strip_prefix(tmp).map(|rel| out.join(rel)).unwrap_or_else(|_| f.path.clone());
                format!("{} {}: {}", path.display(), f.pointer.as_deref().unwrap_or(""), f.message)
            })
            .collect();
        return Err(Error::Rejected(format!(
            "the Q2 catalog failed validation; nothing was published ({} problems, first: {})",
            blocking.len(),
            lines.join("; ")
        )));
    }
    let inherited = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    Ok((inherited > 0).then(|| {
        format!(
            "the Q2 catalog has {} validation errors carried over from the input (run `stac-ml validate` on the output for the list)",
            report.errors.max(inherited)
        )
    }))
}

/// Validates the Q2 catalog before it is published and refuses to publish
/// it when [`check_report`] does; keeps the report of what it validated.
pub struct OutputGate<'a> {
    options: &'a validate::Options,
    schemas: &'a validate::SchemaSet,
    out: &'a Path,
    observer: &'a dyn Observer,
    tmp: OnceLock<PathBuf>,
    incremental: OnceLock<Incremental<'a>>,
    report: Mutex<Option<Report>>,
}

impl<'a> OutputGate<'a> {
    /// A gate for the output folder `out`, as the user named it (messages
    /// name files under it), telling `observer` of
    /// its stages and warnings.
    pub fn new(
        options: &'a validate::Options,
        schemas: &'a validate::SchemaSet,
        out: &'a Path,
        observer: &'a dyn Observer,
    ) -> Self {
        OutputGate {
            options,
            schemas,
            out,
            observer,
            tmp: OnceLock::new(),
            incremental: OnceLock::new(),
            report: Mutex::new(None),
        }
    }

    /// The temporary tree that was validated; its paths are the report's.
    pub fn validated_tree(&self) -> Option<&Path> {
        self.tmp.get().map(PathBuf::as_path)
    }

    /// The report of the finished tree, once the gate let it pass.
    pub fn into_report(self) -> Option<Report> {
        self.report.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Gate for OutputGate<'_> {
    fn begin(&self, tmp: &Path) {
        let _ = self.tmp.set(tmp.to_path_buf());
        let _ = self.incremental.set(Incremental::new(&tmp.join("catalog.json"), self.options, self.schemas));
    }

    fn item(&self, file: &Path, json: &Value, parent: &Path, collection: Option<&str>, planned: Checked<'_>) {
        if let Some(incremental) = self.incremental.get() {
            incremental.item(file, json, parent, collection, planned);
        }
    }

    fn finish(&self, tmp: &Path, written: Checked<'_>) -> Result<()> {
        self.observer.end("wrote and checked the items");
        let report = match self.incremental.get() {
            Some(incremental) => incremental.finish(written)?,
            None => validate::validate_path(&tmp.join("catalog.json"), self.options)?,
        };
        self.observer.end("validated the tree");
        if let Some(warning) = check_report(&report, tmp, self.out)? {
            self.observer.warning(&warning);
        }
        *self.report.lock().unwrap_or_else(|e| e.into_inner()) = Some(report);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: Kind, severity: Severity, schema: Option<&str>, pointer: &str, message: &str) -> Finding {
        let mut finding = Finding::new("/tmp/.out.stac-ml-tmp-1/labels/a/a.json", severity, kind, None, message);
        finding.pointer = (!pointer.is_empty()).then(|| pointer.to_string());
        finding.schema = schema.map(String::from);
        finding
    }

    fn report(findings: Vec<Finding>, errors: usize) -> Report {
        Report {
            root: "/tmp/.out.stac-ml-tmp-1/catalog.json".into(),
            quality: None,
            findings,
            errors,
            warnings: 0,
            omitted: 0,
            nodes: 1,
            items: 1,
            remote_assets: 0,
        }
    }

    #[test]
    fn only_errors_in_what_q2_writes_block_publishing() {
        let ml = Some(ML_DATASET_EXTENSION);
        let blocking = [
            finding(Kind::Link, Severity::Error, None, "/links/0", "broken link"),
            finding(Kind::Json, Severity::Error, None, "", "malformed"),
            finding(Kind::Schema, Severity::Error, ml, "/properties/ml-dataset:version", "2 is not a string"),
            finding(Kind::Schema, Severity::Error, Some(ML_AOI_EXTENSION), "/properties", "ml-aoi:split is wrong"),
        ];
        for f in &blocking {
            assert!(caused_by_q2(f), "{f:?}");
        }
        let carried_over = [
            finding(Kind::Link, Severity::Warning, None, "/links/0", "broken link"),
            // The ML-Dataset schema rejects `file:*` keys: the input's business.
            finding(Kind::Schema, Severity::Error, ml, "/assets/a/file:size", "file:size is not allowed"),
            finding(Kind::Schema, Severity::Error, Some("https://example.com/label.json"), "", "ml-dataset:x"),
            finding(Kind::Ingest, Severity::Error, None, "", "ml-dataset:split"),
            finding(Kind::Extension, Severity::Error, None, "", "ml-dataset:split"),
        ];
        for f in &carried_over {
            assert!(!caused_by_q2(f), "{f:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_files_as_they_would_have_been_published() {
        let tmp = Path::new("/tmp/.out.stac-ml-tmp-1");
        let bad = finding(Kind::Link, Severity::Error, None, "/links/0", "broken");
        let err = check_report(&report(vec![bad.clone(), bad], 2), tmp, Path::new("out")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the Q2 catalog failed validation; nothing was published (2 problems, first: \
             out/labels/a/a.json /links/0: broken; out/labels/a/a.json /links/0: broken)"
        );
    }

    #[test]
    fn errors_carried_over_from_the_input_are_a_warning() {
        let tmp = Path::new("/tmp/.out.stac-ml-tmp-1");
        let inherited = finding(Kind::Ingest, Severity::Error, None, "", "bad bbox");
        // Counted errors include those not kept.
        let warning = check_report(&report(vec![inherited], 7), tmp, Path::new("out")).unwrap();
        assert_eq!(
            warning.as_deref(),
            Some(
                "the Q2 catalog has 7 validation errors carried over from the input \
                 (run `stac-ml validate` on the output for the list)"
            )
        );
        let warned = finding(Kind::Link, Severity::Warning, None, "", "remote");
        assert_eq!(check_report(&report(vec![warned], 0), tmp, Path::new("out")).unwrap(), None);
    }
}
