//! `stac-ml q2`: EOTDL's whole flow in one pass: split, measure, write the Q2
//! catalog with `ml-dataset:quality-metrics` filled in.

use std::io::Write;

use anyhow::Result;
use stac_ml::input;
use stac_ml::pipeline::{self, Q2Options};

use super::split::run_options;
use super::{ExitStatus, Printer, Terminal};
use crate::cli::Q2Args;

/// Runs `q2`.
pub fn run(args: Box<Q2Args>, printer: Printer) -> Result<ExitStatus> {
    let args = *args;
    if let Some(note) = args.split.deprecation() {
        printer.warn(&note);
    }
    let options = Q2Options {
        run: run_options(&args.split, &args.metadata, &args.output, &args.output_flags, !args.no_validate)?,
        iou: args.iou,
        report: args.report,
    };
    let terminal = Terminal::new(printer);
    let outcome = pipeline::q2(input::open(&args.catalog).as_ref(), &options, &terminal);
    terminal.finish();
    let outcome = outcome?;
    printer.hints(&outcome.hints);
    let (assignment, summary) = (&outcome.assignment, &outcome.summary);
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
            "quality_metrics": outcome.metrics,
        });
        if let Some(path) = &outcome.report {
            value["report"] = serde_json::json!(path);
        }
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
    } else {
        super::metrics::print_table(&mut stdout, &outcome.metrics)?;
        writeln!(stdout, "\nwrote {} items to {}", summary.items, summary.catalog.display())?;
        if let Some(path) = &outcome.report {
            writeln!(stdout, "wrote {}", path.display())?;
        }
    }
    Ok(ExitStatus::Success)
}
