//! `stac-ml report`: one self-contained HTML file about a catalog.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use stac_ml::info::info;
use stac_ml::metrics::MetricsOptions;
use stac_ml::report;
use stac_ml::validate;

use super::{ExitStatus, Printer};
use crate::cli::ReportArgs;

/// Runs `report`.
pub fn run(args: ReportArgs, printer: Printer) -> Result<ExitStatus> {
    let spinner = printer.spinner("loading");
    let measured = super::metrics::measure(&args.catalog, MetricsOptions::new(args.iou)?, &spinner, printer)?;
    let overview = info(&measured.dataset)?;
    let validation = if args.no_validate {
        None
    } else {
        spinner.set_message("validating");
        Some(validate::validate_path(&args.catalog, &validate::Options::default())?)
    };
    spinner.finish_and_clear();
    printer.warnings(&measured.warnings);
    let html =
        report::html(&measured.dataset, &overview, &measured.metrics, measured.splits.as_ref(), validation.as_ref());
    write_file(&args.output, &html)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "wrote {} ({} KB)", args.output.display(), html.len().div_ceil(1000))?;
    Ok(ExitStatus::Success)
}

/// Writes the report through a temporary sibling file and a rename, so a
/// reader never sees half a report.
pub fn write_file(path: &Path, html: &str) -> Result<()> {
    let name = path.file_name().with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.stac-ml-tmp-{}", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, html).map_err(|e| stac_ml::Error::io(&tmp, e))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(stac_ml::Error::io(path, e).into());
    }
    Ok(())
}
