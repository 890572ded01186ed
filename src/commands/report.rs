//! `stac-ml report`: one self-contained HTML file about a catalog.

use std::io::Write;

use anyhow::Result;
use stac_ml::info::info;
use stac_ml::metrics::MetricsOptions;
use stac_ml::report;
use stac_ml::validate;

use super::{ExitStatus, Printer};
use crate::cli::ReportArgs;

/// Runs `report`.
pub fn run(args: ReportArgs, printer: Printer) -> Result<ExitStatus> {
    // Before the catalog is read: a mistake in -o is shown at once.
    stac_ml::publish::check_output_path(&args.output)?;
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
    let output = stac_ml::publish::check_output_file(&measured.dataset, &args.output, args.force)?;
    let html =
        report::html(&measured.dataset, &overview, &measured.metrics, measured.splits.as_ref(), validation.as_ref());
    stac_ml::publish::publish_file(&output, html.as_bytes())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "wrote {} ({} KB)", args.output.display(), html.len().div_ceil(1000))?;
    Ok(ExitStatus::Success)
}
