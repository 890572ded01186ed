//! `stac-ml q2`: EOTDL's whole flow in one pass: split, measure, write the Q2
//! catalog with `ml-dataset:quality-metrics` filled in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use anyhow::Result;
use serde_json::Value;
use stac_ml::catalog::{self, Dataset};
use stac_ml::info::{SplitInfo, info};
use stac_ml::metrics::{self, MetricsOptions, Splits};
use stac_ml::ml_dataset::{ML_AOI_EXTENSION, ML_DATASET_EXTENSION};
use stac_ml::report;
use stac_ml::split::{self, Assignment};
use stac_ml::validate::{self, Checked, Finding, Incremental, Kind, Quality, Report, Severity};
use stac_ml::write::{Gate, WriteOptions, WriteSummary, write_q2};

use super::split::{metadata, provenance, split_format, split_options};
use super::{ExitStatus, Printer};
use crate::cli::Q2Args;

/// Runs `q2`.
pub fn run(args: Box<Q2Args>, printer: Printer) -> Result<ExitStatus> {
    let args = *args;
    let metrics_options = MetricsOptions::new(args.iou)?;
    let spinner = printer.spinner("loading");
    let started = Instant::now();
    let mut dataset = catalog::load(&args.catalog)?;
    printer.stage(&format!("loaded {} items", dataset.items.len()), started);
    spinner.set_message("splitting");
    let started = Instant::now();
    let options = split_options(&dataset, &args.split, printer)?;
    let assignment = split::assign(&dataset, &options)?;
    let metadata = metadata(&dataset, &args.metadata)?;
    printer.stage("split", started);
    spinner.set_message("measuring");
    let started = Instant::now();
    let mut warnings = std::mem::take(&mut dataset.warnings);
    let splits = Splits { names: &assignment.names, split_of: &assignment.split_of };
    let entries = metrics::compute(&dataset, Some(splits), metrics_options, &mut warnings);
    printer.stage("measured", started);
    spinner.finish_and_clear();
    printer.warnings(&warnings);
    let progress = printer.progress(dataset.items.len() as u64, "writing");
    let validate_options = validate::Options::default();
    let schemas = validate::SchemaSet::bundled()?;
    let gate = OutputGate {
        options: &validate_options,
        schemas: &schemas,
        out: &args.output,
        printer,
        incremental: OnceLock::new(),
        report: Mutex::new(None),
        started: Mutex::new(Instant::now()),
    };
    let write = WriteOptions {
        out: args.output.clone(),
        force: args.output_flags.force,
        format: split_format(args.split.format),
        metadata,
        provenance: provenance(&dataset, &options),
        quality_metrics: entries.clone(),
        progress: Some(&progress),
        gate: if args.no_validate { None } else { Some(&gate) },
    };
    let summary = write_q2(&dataset, &assignment, &write)?;
    printer.stage("published", *gate.started.lock().unwrap_or_else(|e| e.into_inner()));
    progress.finish_and_clear();
    let validation = gate.report.into_inner().unwrap_or_else(|e| e.into_inner());
    let report_path = if args.report {
        Some(write_report(&dataset, &assignment, &entries, &summary, validation.as_ref())?)
    } else {
        None
    };
    let mut stdout = std::io::stdout().lock();
    if args.output_flags.json() {
        let mut value = serde_json::json!({
            "catalog": summary.catalog,
            "items_written": summary.items,
            "splits": (0..assignment.names.len()).map(|k| serde_json::json!({
                "name": assignment.names[k], "items": assignment.counts[k], "target": assignment.targets[k],
            })).collect::<Vec<_>>(),
            "kept": assignment.kept,
            "gone": assignment.gone,
            "quality_metrics": entries,
        });
        if let Some(path) = &report_path {
            value["report"] = serde_json::json!(path);
        }
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        super::metrics::print_table(&mut stdout, &entries)?;
        writeln!(stdout, "\nwrote {} items to {}", summary.items, summary.catalog.display())?;
        if let Some(path) = &report_path {
            writeln!(stdout, "wrote {}", path.display())?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Writes `report.html` beside the published catalog, from what is in memory:
/// the input's records, the assignment, the metrics, the gate's validation.
fn write_report(
    dataset: &Dataset,
    assignment: &Assignment,
    entries: &[Value],
    summary: &WriteSummary,
    validation: Option<&Report>,
) -> Result<PathBuf> {
    let mut overview = info(dataset)?;
    overview.catalog = summary.catalog.display().to_string();
    overview.quality = Quality::Q2;
    overview.splits = (0..assignment.names.len())
        .map(|k| SplitInfo {
            name: assignment.names[k].clone(),
            items: assignment.split_of.iter().filter(|s| **s == Some(k as u16)).count(),
        })
        .collect();
    let splits = Splits { names: &assignment.names, split_of: &assignment.split_of };
    let html = report::html(dataset, &overview, entries, Some(splits), validation);
    let path = summary.out.join("report.html");
    stac_ml::publish::publish_file(&path, html.as_bytes())?;
    Ok(path)
}

/// True for errors q2 itself would have caused: broken links in what it
/// wrote, or ML-Dataset / ml-aoi fields that fail their schemas. Other schema
/// errors were in the input already (EOTDL's own examples carry some) and are
/// reported, not blocking: `stac-ml validate` is the strict gate.
fn caused_by_q2(finding: &Finding) -> bool {
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

/// Validates the Q2 catalog before it is published: each item in memory as it
/// is written, then the finished temporary tree (catalogs, collections,
/// links). Refuses to publish when q2's own output is invalid.
struct OutputGate<'a> {
    options: &'a validate::Options,
    schemas: &'a validate::SchemaSet,
    out: &'a Path,
    printer: Printer,
    incremental: OnceLock<Incremental<'a>>,
    /// The report of the output, kept for `--report`.
    report: Mutex<Option<Report>>,
    /// When the current stage started, for `--timings`.
    started: Mutex<Instant>,
}

impl Gate for OutputGate<'_> {
    fn begin(&self, tmp: &Path) {
        let _ = self.incremental.set(Incremental::new(&tmp.join("catalog.json"), self.options, self.schemas));
        self.restart("");
    }

    fn item(&self, file: &Path, json: &Value, parent: &Path, collection: Option<&str>, planned: Checked<'_>) {
        if let Some(incremental) = self.incremental.get() {
            incremental.item(file, json, parent, collection, planned);
        }
    }

    fn finish(&self, tmp: &Path, written: Checked<'_>) -> stac_ml::Result<()> {
        self.restart("wrote and checked the items");
        let report = match self.incremental.get() {
            Some(incremental) => incremental.finish(written)?,
            None => validate::validate_path(&tmp.join("catalog.json"), self.options)?,
        };
        self.restart("validated the tree");
        check_report(&report, tmp, self.out, self.printer)?;
        *self.report.lock().unwrap_or_else(|e| e.into_inner()) = Some(report);
        Ok(())
    }
}

impl OutputGate<'_> {
    /// Ends a `--timings` stage (none when `what` is empty) and starts the next.
    fn restart(&self, what: &str) {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        if !what.is_empty() {
            self.printer.stage(what, *started);
        }
        *started = Instant::now();
    }
}

/// Refuses a report of the temporary tree with errors q2 caused.
fn check_report(report: &Report, tmp: &Path, out: &Path, printer: Printer) -> stac_ml::Result<()> {
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
        return Err(stac_ml::Error::Usage(format!(
            "the Q2 catalog failed validation; nothing was published ({} problems, first: {})",
            blocking.len(),
            lines.join("; ")
        )));
    }
    let inherited = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    if inherited > 0 {
        printer.warn(&format!(
            "the Q2 catalog has {} validation errors carried over from the input (run `stac-ml validate` on the output for the list)",
            report.errors.max(inherited)
        ));
    }
    Ok(())
}
