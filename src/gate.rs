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
