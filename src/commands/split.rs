//! `stac-ml split`: load, assign, write.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use stac_ml::catalog::{self, Dataset};
use stac_ml::ml_dataset::{AnnotationsType, DatasetType, InputType, Metadata, Task};
use stac_ml::split::{self, Assignment, SplitOptions, SplitSpec, Strategy};
use stac_ml::write::{SplitFormat, WriteOptions, WriteSummary, write_q2};

use super::{ExitStatus, Printer};
use crate::cli::{MetadataFlags, SplitArgs, SplitFlags, SplitFormatArg, StrategyArg};

/// Runs `split`.
pub fn run(args: Box<SplitArgs>, printer: Printer) -> Result<ExitStatus> {
    let spinner = printer.spinner("loading");
    let started = std::time::Instant::now();
    let dataset = catalog::load(&args.catalog)?;
    printer.stage(&format!("loaded {} items", dataset.items.len()), started);
    spinner.finish_and_clear();
    printer.warnings(&dataset.warnings);
    let options = split_options(&dataset, &args.split, printer)?;
    let started = std::time::Instant::now();
    let assignment = split::assign(&dataset, &options, None)?;
    let metadata = metadata(&dataset, &args.metadata)?;
    printer.stage("split", started);
    let started = std::time::Instant::now();
    let progress = printer.progress(dataset.items.len() as u64, "writing");
    let write = WriteOptions {
        out: args.output.clone(),
        force: args.output_flags.force,
        format: split_format(args.split.format),
        metadata,
        provenance: provenance(&dataset, &options),
        quality_metrics: Vec::new(),
        progress: Some(&progress),
        gate: None,
    };
    let summary = write_q2(&dataset, &assignment, &write)?;
    printer.stage("written and published", started);
    progress.finish_and_clear();
    let json = args.output_flags.json();
    print_summary(&dataset, &assignment, &summary, json)?;
    Ok(ExitStatus::Success)
}

/// Resolves the split flags against the loaded catalog.
pub fn split_options(dataset: &Dataset, flags: &SplitFlags, printer: Printer) -> Result<SplitOptions> {
    let names = match &flags.names {
        Some(names) => names.iter().map(|n| n.trim().to_string()).collect(),
        None if flags.ratios.len() == SplitSpec::DEFAULT_NAMES.len() => {
            SplitSpec::DEFAULT_NAMES.iter().map(|s| s.to_string()).collect()
        }
        None => {
            // Report bad ratios before the missing names: they are the bigger mistake.
            let placeholders = (0..flags.ratios.len()).map(|i| i.to_string()).collect();
            SplitSpec::new(placeholders, flags.ratios.clone())?;
            anyhow::bail!(
                "{} ratios given; name the splits with --names (the default names are for 3 splits)",
                flags.ratios.len()
            )
        }
    };
    let spec = SplitSpec::new(names, flags.ratios.clone())?;
    let node = dataset.node_by_id(&flags.collection)?;
    let keep = match &flags.keep_from {
        Some(path) => Some(previous_splits(path, &flags.collection, printer)?),
        None => None,
    };
    if flags.block_size.is_some() && flags.strategy != StrategyArg::Spatial {
        anyhow::bail!("--block-size needs --strategy spatial");
    }
    let strategy = match flags.strategy {
        StrategyArg::Random => Strategy::Random,
        StrategyArg::Stratified => Strategy::Stratified,
        StrategyArg::Spatial => Strategy::Spatial { block_size: flags.block_size },
    };
    Ok(SplitOptions { spec, seed: flags.seed, strategy, node, keep })
}

/// The splits a previous Q2 catalog assigned, by item id.
fn previous_splits(path: &Path, collection: &str, printer: Printer) -> Result<HashMap<String, String>> {
    let previous = catalog::load(path).with_context(|| format!("reading --keep-from catalog {}", path.display()))?;
    printer.warnings(&previous.warnings);
    let items: Vec<usize> = match previous.node_by_id(collection) {
        Ok(node) => split::subtree_items(&previous, node),
        Err(_) => (0..previous.items.len()).collect(),
    };
    let splits: HashMap<String, String> = items
        .into_iter()
        .filter_map(|i| {
            let item = &previous.items[i];
            item.split.as_ref().map(|s| (item.id.clone(), s.to_string()))
        })
        .collect();
    if splits.is_empty() {
        anyhow::bail!("{}: --keep-from catalog has no item with ml-dataset:split", previous.root().path.display());
    }
    Ok(splits)
}

pub fn split_format(format: SplitFormatArg) -> SplitFormat {
    match format {
        SplitFormatArg::MlDataset => SplitFormat::MlDataset,
        SplitFormatArg::MlAoi => SplitFormat::MlAoi,
        SplitFormatArg::Both => SplitFormat::Both,
    }
}

/// The record of how the split was made, written on the root catalog.
pub fn provenance(dataset: &Dataset, options: &SplitOptions) -> Value {
    json!({
        "tool": concat!("stac-ml ", env!("CARGO_PKG_VERSION")),
        "collection": dataset.nodes[options.node].id,
        "strategy": options.strategy.name(),
        "block_size": match options.strategy { Strategy::Spatial { block_size } => json!(block_size), _ => Value::Null },
        "seed": options.seed,
        "names": options.spec.names(),
        "ratios": options.spec.ratios(),
        "kept_from_previous": options.keep.is_some(),
    })
}

/// Resolves the ML-Dataset fields: flags, else the input's values, else inferred.
pub fn metadata(dataset: &Dataset, flags: &MetadataFlags) -> Result<Metadata> {
    let root = &dataset.root().json;
    let existing = |key: &str| -> Vec<String> {
        match root.get(key) {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(String::from).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let labels = dataset.items.iter().filter_map(|i| i.label.as_deref());

    let name =
        flags.name.clone().or_else(|| existing("ml-dataset:name").pop()).unwrap_or_else(|| dataset.root().id.clone());

    let tasks: Vec<Task> = match &flags.tasks {
        Some(list) => list.iter().map(|t| Task::parse(t)).collect::<Result<_, _>>()?,
        None if !existing("ml-dataset:tasks").is_empty() => {
            existing("ml-dataset:tasks").iter().map(|t| Task::parse(t)).collect::<Result<_, _>>()?
        }
        None => {
            let mut inferred: Vec<Task> = labels
                .clone()
                .flat_map(|l| l.tasks.iter())
                .filter_map(|t| match t.to_lowercase().as_str() {
                    "classification" | "image classification" => Some(Task::ImageClassification),
                    "detection" | "object detection" => Some(Task::ObjectDetection),
                    "segmentation" => Some(Task::Segmentation),
                    _ => None,
                })
                .collect();
            inferred.sort_unstable();
            inferred.dedup();
            if inferred.is_empty() {
                anyhow::bail!("--tasks is required: the catalog's label items name no known label:tasks");
            }
            inferred
        }
    };

    let inputs_type: Vec<InputType> = match &flags.inputs_type {
        Some(list) => list.iter().map(|t| InputType::parse(t)).collect::<Result<_, _>>()?,
        None if !existing("ml-dataset:inputs-type").is_empty() => {
            existing("ml-dataset:inputs-type").iter().map(|t| InputType::parse(t)).collect::<Result<_, _>>()?
        }
        None => vec![InputType::SatelliteImagery],
    };

    let annotations_type = match &flags.annotations_type {
        Some(t) => AnnotationsType::parse(t)?,
        None => match existing("ml-dataset:annotations-type").pop() {
            Some(t) => AnnotationsType::parse(&t)?,
            None => {
                let types: Vec<&str> = labels.filter_map(|l| l.label_type.as_deref()).collect();
                if types.is_empty() {
                    anyhow::bail!("--annotations-type is required: the catalog has no label items with label:type");
                } else if types.iter().all(|t| *t == "raster") {
                    AnnotationsType::Raster
                } else {
                    AnnotationsType::Vector
                }
            }
        },
    };

    let version = flags
        .dataset_version
        .clone()
        .or_else(|| existing("ml-dataset:version").pop())
        .unwrap_or_else(|| "0.1.0".into());
    let dataset_type = match &flags.dataset_type {
        Some(t) => Some(DatasetType::parse(t)?),
        None => existing("ml-dataset:type").pop().map(|t| DatasetType::parse(&t)).transpose()?,
    };
    Ok(Metadata { name, tasks, inputs_type, annotations_type, version, dataset_type })
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
