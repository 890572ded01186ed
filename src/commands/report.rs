//! `stac-ml report`: one self-contained HTML file about a catalog.

use std::io::Write;

use anyhow::Result;
use stac_ml::pipeline::{self, ReportOptions};

use super::{ExitStatus, Printer, Terminal};
use crate::cli::ReportArgs;

/// Runs `report`.
pub fn run(args: ReportArgs, printer: Printer) -> Result<ExitStatus> {
    let options =
        ReportOptions { output: args.output.clone(), iou: args.iou, validate: !args.no_validate, force: args.force };
    let terminal = Terminal::new(printer);
    let outcome = pipeline::report(&args.catalog, &options, &terminal);
    terminal.finish();
    let outcome = outcome?;
    printer.warnings(&outcome.measured.warnings);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let value = serde_json::json!({"report": args.output, "bytes": outcome.bytes});
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        writeln!(stdout, "wrote {} ({} KB)", args.output.display(), outcome.bytes.div_ceil(1000))?;
    }
    Ok(ExitStatus::Success)
}
