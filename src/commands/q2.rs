//! `stac-ml q2`: EOTDL's whole flow in one pass: split, measure, write the Q2
//! catalog with `ml-dataset:quality-metrics` filled in.

use std::io::Write;

use anyhow::Result;
use stac_ml::catalog;
use stac_ml::metrics::{self, MetricsOptions, Splits};
use stac_ml::ml_dataset::{ML_AOI_EXTENSION, ML_DATASET_EXTENSION};
use stac_ml::split;
use stac_ml::validate::{self, Finding, Kind, Severity};
use stac_ml::write::{WriteOptions, write_q2};

use super::split::{metadata, provenance, split_format, split_options};
use super::{ExitStatus, Printer};
use crate::cli::{OutputFormat, Q2Args};

/// Runs `q2`.
pub fn run(args: Box<Q2Args>, printer: Printer) -> Result<ExitStatus> {
    let args = *args;
    if !(args.iou > 0.0 && args.iou <= 1.0) {
        anyhow::bail!("--iou must be in (0, 1], got {}", args.iou);
    }
    let spinner = printer.spinner("loading");
    let mut dataset = catalog::load(&args.catalog)?;
    spinner.set_message("splitting");
    let options = split_options(&dataset, &args.split, printer)?;
    let assignment = split::assign(&dataset, &options)?;
    let metadata = metadata(&dataset, &args.metadata)?;
    spinner.set_message("measuring");
    let mut warnings = std::mem::take(&mut dataset.warnings);
    let splits = Splits { names: &assignment.names, split_of: &assignment.split_of };
    let entries = metrics::compute(&dataset, Some(splits), MetricsOptions { iou: args.iou }, &mut warnings);
    spinner.finish_and_clear();
    printer.warnings(&warnings);
    let progress = printer.progress(dataset.items.len() as u64, "writing");
    let gate = |tmp: &std::path::Path| check_output(tmp, printer);
    let write = WriteOptions {
        out: args.output.clone(),
        force: args.force,
        format: split_format(args.split.format),
        metadata,
        provenance: provenance(&dataset, &options),
        quality_metrics: entries.clone(),
        progress: Some(&progress),
        before_publish: if args.no_validate { None } else { Some(&gate) },
    };
    let summary = write_q2(&dataset, &assignment, &write)?;
    progress.finish_and_clear();
    let mut stdout = std::io::stdout().lock();
    if args.json || args.output_format == OutputFormat::Json {
        let value = serde_json::json!({
            "catalog": summary.catalog,
            "items_written": summary.items,
            "splits": (0..assignment.names.len()).map(|k| serde_json::json!({
                "name": assignment.names[k], "items": assignment.counts[k], "target": assignment.targets[k],
            })).collect::<Vec<_>>(),
            "kept": assignment.kept,
            "gone": assignment.gone,
            "quality_metrics": entries,
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        super::metrics::print_table(&mut stdout, &entries)?;
        writeln!(stdout, "\nwrote {} items to {}", summary.items, summary.catalog.display())?;
    }
    Ok(ExitStatus::Success)
}

/// True for errors q2 itself would have caused: broken links in what it
/// wrote, or ML-Dataset / ml-aoi fields that fail their schemas. Other schema
/// errors were in the input already (EOTDL's own examples carry some) and are
/// reported, not blocking: `stac-ml validate` is the strict gate.
fn caused_by_q2(finding: &Finding) -> bool {
    finding.severity == Severity::Error
        && match finding.kind {
            Kind::Link | Kind::Io | Kind::Json => true,
            Kind::Schema => {
                finding.schema.as_deref().is_some_and(|s| s == ML_DATASET_EXTENSION || s == ML_AOI_EXTENSION)
            }
            Kind::Ingest | Kind::Extension => false,
        }
}

/// Validates the finished temporary tree; refuses to publish it when q2's
/// own output is invalid.
fn check_output(tmp: &std::path::Path, printer: Printer) -> stac_ml::Result<()> {
    let report = validate::validate_path(&tmp.join("catalog.json"), &validate::Options::default())?;
    let blocking: Vec<&Finding> = report.findings.iter().filter(|f| caused_by_q2(f)).collect();
    if !blocking.is_empty() {
        let lines: Vec<String> = blocking
            .iter()
            .take(5)
            .map(|f| format!("{}{}: {}", f.path.display(), f.pointer.as_deref().unwrap_or(""), f.message))
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
