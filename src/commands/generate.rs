//! `stac-ml generate`.

use std::io::Write;

use anyhow::Result;
use stac_ml::generate::{GenerateOptions, generate};

use super::{ExitStatus, Printer};
use crate::cli::{DatasetFormatArg, GenerateArgs};
use stac_ml::sink::OutputFormat;

/// Writes a synthetic catalog and prints its known counts as JSON.
pub fn run(args: GenerateArgs, printer: Printer) -> Result<ExitStatus> {
    let geoparquet = match args.output_format {
        Some(format) => format == DatasetFormatArg::Geoparquet,
        None => OutputFormat::of_path(&args.output) != OutputFormat::JsonTree,
    };
    let options = GenerateOptions {
        out: args.output,
        pairs: args.pairs,
        classes: args.classes,
        dup_rate: args.dup_rate,
        overlap: args.overlap,
        seed: args.seed,
        footprints: args.footprints,
        geoparquet,
    };
    let spinner = printer.spinner("generating");
    let summary = generate(&options)?;
    spinner.finish_and_clear();
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &summary)?;
    writeln!(stdout)?;
    Ok(ExitStatus::Success)
}
