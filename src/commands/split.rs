//! `stac-ml split`: load, assign, write.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};
use stac_ml::catalog::Dataset;
use stac_ml::input;
use stac_ml::pipeline::{self, MetadataOverrides, SplitRunOptions, SplitSettings, StrategyKind};
use stac_ml::sink::{OutputFormat, SplitFormat, WriteSummary};
use stac_ml::split::Assignment;

use super::{ExitStatus, Printer, Terminal};
use crate::cli::{DatasetFormatArg, MetadataFlags, OutputFlags, SplitArgs, SplitFlags, SplitFormatArg, StrategyArg};

/// Runs `split`.
pub fn run(args: Box<SplitArgs>, printer: Printer) -> Result<ExitStatus> {
    if let Some(note) = args.split.deprecation() {
        printer.warn(&note);
    }
    let options = run_options(&args.split, &args.metadata, &args.output, &args.output_flags, !args.no_validate)?;
    let terminal = Terminal::new(printer);
    let outcome = pipeline::split(input::open(&args.catalog).as_ref(), &options, &terminal);
    terminal.finish();
    let outcome = outcome?;
    print_summary(&outcome.dataset, &outcome.assignment, &outcome.summary, args.output_flags.json())?;
    Ok(ExitStatus::Success)
}

/// The library's options for a split run, from the flags.
pub fn run_options(
    split: &SplitFlags,
    metadata: &MetadataFlags,
    out: &Path,
    flags: &OutputFlags,
    validate: bool,
) -> Result<SplitRunOptions> {
    let output = match (flags.output_format, flags.partition_by.is_some()) {
        (Some(DatasetFormatArg::Json), true) => {
            return Err(stac_ml::Error::Usage(
                "--partition-by needs geoparquet output (--output-format geoparquet); a JSON tree is not partitioned"
                    .into(),
            )
            .into());
        }
        (Some(DatasetFormatArg::Geoparquet), partition_by_split) | (None, partition_by_split @ true) => {
            OutputFormat::GeoParquet { partition_by_split }
        }
        (Some(DatasetFormatArg::Json), false) => OutputFormat::JsonTree,
        (None, false) => OutputFormat::of_path(out),
    };
    Ok(SplitRunOptions {
        split: SplitSettings {
            collection: split.collection.clone(),
            // The temporal strategy takes no ratios: the cutoffs decide.
            ratios: match (&split.ratios, split.strategy) {
                (Some(ratios), _) => ratios.clone(),
                (None, StrategyArg::Temporal) => Vec::new(),
                (None, _) => vec![80.0, 10.0, 10.0],
            },
            names: split.names.clone(),
            seed: split.seed,
            strategy: match split.strategy {
                StrategyArg::Random => StrategyKind::Random,
                StrategyArg::Stratified => StrategyKind::Stratified,
                StrategyArg::Spatial => StrategyKind::Spatial,
                StrategyArg::Temporal => StrategyKind::Temporal,
                StrategyArg::Hash => StrategyKind::Hash,
            },
            block_size: split.block_size,
            keep_from: split.keep_from.clone(),
            cutoffs: split.cutoffs.clone(),
            undated: split.undated.clone(),
            group_by: split.group_by.clone(),
        },
        metadata: MetadataOverrides {
            name: metadata.name.clone(),
            tasks: metadata.tasks.clone(),
            inputs_type: metadata.inputs_type.clone(),
            annotations_type: metadata.annotations_type.clone(),
            version: metadata.dataset_version.clone(),
            dataset_type: metadata.dataset_type.clone(),
        },
        format: match split.split_fields() {
            SplitFormatArg::MlDataset => SplitFormat::MlDataset,
            SplitFormatArg::MlAoi => SplitFormat::MlAoi,
            SplitFormatArg::Both => SplitFormat::Both,
        },
        output,
        out: out.to_path_buf(),
        force: flags.force,
        validate,
    })
}

fn print_summary(dataset: &Dataset, assignment: &Assignment, summary: &WriteSummary, json: bool) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let inherited = assignment.split_of.iter().zip(&assignment.member).filter(|(s, m)| s.is_some() && !**m).count();
    if json {
        let splits: Vec<Value> = (0..assignment.names.len())
            .map(|k| json!({"name": assignment.names[k], "items": assignment.counts[k], "target": assignment.targets[k]}))
            .collect();
        let value = json!({
            "catalog": summary.catalog,
            "items_written": summary.items,
            "splits": splits,
            "source_items_following_labels": inherited,
            "kept": assignment.kept,
            "gone": assignment.gone,
        });
        serde_json::to_writer_pretty(&mut stdout, &value)?;
        writeln!(stdout)?;
        return Ok(());
    }
    writeln!(stdout, "{:<14} {:>10} {:>10}", "split", "items", "target")?;
    for k in 0..assignment.names.len() {
        writeln!(stdout, "{:<14} {:>10} {:>10}", assignment.names[k], assignment.counts[k], assignment.targets[k])?;
    }
    if inherited > 0 {
        writeln!(stdout, "{inherited} source items follow the split of their label items")?;
    }
    if assignment.kept > 0 || !assignment.gone.is_empty() {
        writeln!(
            stdout,
            "{} items kept their previous split; {} previous items are gone",
            assignment.kept,
            assignment.gone.len()
        )?;
        for id in assignment.gone.iter().take(10) {
            writeln!(stdout, "  gone: {id}")?;
        }
    }
    writeln!(stdout, "wrote {} items of {} to {}", summary.items, dataset.root().id, summary.catalog.display())?;
    Ok(())
}
