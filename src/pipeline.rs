//! The whole flows of `split` and `q2` as library calls: load from a
//! [`Source`], resolve the split settings and the ML-Dataset metadata against
//! the loaded catalog, split, measure (q2), write and publish through a
//! [`Sink`] (q2 through its [`OutputGate`]), and optionally write the report.
//! A front end fills in [`SplitRunOptions`] or [`Q2Options`], calls, and
//! prints the typed outcome.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::catalog::{self, Dataset, Warnings};
use crate::class_counts::ClassCounts;
use crate::error::{Error, Result, Setting};
use crate::gate::OutputGate;
use crate::info::{SplitInfo, info};
use crate::metrics::{self, MetricsOptions, QualityMetrics};
use crate::ml_dataset::{AnnotationsType, DatasetType, InputType, Metadata, Task};
use crate::progress::Observer;
use crate::sink::{OutputFormat, Q2Content, Sink, SplitFormat, WriteSummary};
use crate::source::Source;
use crate::split::{self, Assignment, SplitOptions, SplitSpec, SplitView, Strategy};
use crate::validate::{self, Quality, Report};
use crate::write::JsonTreeSink;

/// How items are grouped before they are split, without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StrategyKind {
    /// Items one by one.
    #[default]
    Random,
    /// Within each majority class.
    Stratified,
    /// Overlapping footprints (and grid cells, with a block size) together.
    Spatial,
    /// By time, against cutoff dates.
    Temporal,
    /// By a hash of each unit's key, against thresholds from the ratios.
    Hash,
}

/// The split as asked for, before it is resolved against the catalog.
#[derive(Debug, Clone)]
pub struct SplitSettings {
    /// Id of the collection (or catalog) whose items are split.
    pub collection: String,
    /// Split proportions: percentages summing to 100 or fractions summing to
    /// 1. Empty with the temporal strategy, where the cutoffs decide.
    pub ratios: Vec<f64>,
    /// Split names, one per ratio; `None` for the default names (3 splits).
    pub names: Option<Vec<String>>,
    /// Seed of the permutation.
    pub seed: u64,
    /// How items are grouped.
    pub strategy: StrategyKind,
    /// With the spatial or hash strategy: the grid cell size, in degrees.
    pub block_size: Option<f64>,
    /// A previous Q2 catalog whose splits are kept.
    pub keep_from: Option<PathBuf>,
    /// With the temporal strategy: the cutoff dates, as written (RFC 3339
    /// date-times or `YYYY-MM-DD`).
    pub cutoffs: Option<Vec<String>>,
    /// With the temporal strategy: the split for items without a time
    /// (else they are refused).
    pub undated: Option<String>,
    /// Keep items sharing this property's value in one split.
    pub group_by: Option<String>,
}

/// ML-Dataset fields given explicitly; unset fields keep the input's values,
/// else are inferred.
#[derive(Debug, Clone, Default)]
pub struct MetadataOverrides {
    /// `ml-dataset:name`.
    pub name: Option<String>,
    /// `ml-dataset:tasks`, as spelt by the user.
    pub tasks: Option<Vec<String>>,
    /// `ml-dataset:inputs-type`, as spelt by the user.
    pub inputs_type: Option<Vec<String>>,
    /// `ml-dataset:annotations-type`, as spelt by the user.
    pub annotations_type: Option<String>,
    /// `ml-dataset:version`.
    pub version: Option<String>,
    /// `ml-dataset:type`, as spelt by the user.
    pub dataset_type: Option<String>,
}

/// What `split` does: split a catalog and write it as a Q2 JSON tree.
#[derive(Debug, Clone)]
pub struct SplitRunOptions {
    /// The split.
    pub split: SplitSettings,
    /// The ML-Dataset fields.
    pub metadata: MetadataOverrides,
    /// Which split fields to write.
    pub format: SplitFormat,
    /// The output's format: a JSON tree or stac-geoparquet.
    pub output: OutputFormat,
    /// The output folder (or file, for a single stac-geoparquet file).
    pub out: PathBuf,
    /// Replace a non-empty output folder.
    pub force: bool,
    /// Validate the output before publishing it: refuse it if the run broke
    /// it, warn of validation errors carried over from the input.
    pub validate: bool,
}

/// What `q2` does: a split run that also measures, writes the metrics on the
/// root, validates before publishing and can write a report.
#[derive(Debug, Clone)]
pub struct Q2Options {
    /// The split run.
    pub run: SplitRunOptions,
    /// IoU at or above which two footprints count as near duplicates.
    pub iou: f64,
    /// Also write `report.html` beside the published catalog.
    pub report: bool,
}

/// What [`split`] did.
#[derive(Debug)]
pub struct SplitOutcome {
    /// The loaded input.
    pub dataset: Dataset,
    /// The split of every item.
    pub assignment: Assignment,
    /// What was written.
    pub summary: WriteSummary,
}

/// What [`q2`] did.
#[derive(Debug)]
pub struct Q2Outcome {
    /// The split of every item.
    pub assignment: Assignment,
    /// The quality-metric entries written on the root.
    pub metrics: QualityMetrics,
    /// What was written.
    pub summary: WriteSummary,
    /// The validation of the output before it was published (its paths are
    /// those of the temporary tree); `None` when not validated.
    pub validation: Option<Report>,
    /// The report written, if asked for.
    pub report: Option<PathBuf>,
    /// What the metrics suggest changing in the split.
    pub hints: Vec<crate::hints::Hint>,
}

/// The settings of a split run checked without the data, as typed values:
/// what [`SplitRunOptions::check`] returns before anything is loaded.
#[derive(Debug, Clone)]
pub struct CheckedRun {
    /// The split names and ratios.
    pub spec: SplitSpec,
    /// The strategy with its parameters.
    pub strategy: Strategy,
    /// The ML-Dataset fields given explicitly.
    pub metadata: TypedOverrides,
}

impl SplitSettings {
    /// Checks what needs no data (ratios, names, the block size and its
    /// strategy) and returns the typed split spec and strategy.
    pub fn check(&self) -> Result<(SplitSpec, Strategy)> {
        let temporal = self.strategy == StrategyKind::Temporal;
        for (given, setting) in [(self.cutoffs.is_some(), Setting::Cutoffs), (self.undated.is_some(), Setting::Undated)]
        {
            if given && !temporal {
                return Err(Error::SettingNeeds { setting, needs: Setting::Strategy, value: "temporal" });
            }
        }
        if let Some(property) = &self.group_by {
            if property.trim().is_empty() {
                return Err(Error::setting(Setting::GroupBy, ": the property name is empty"));
            }
            if temporal {
                return Err(Error::setting(Setting::GroupBy, " does not combine with strategy temporal"));
            }
        }
        if temporal {
            return self.check_temporal();
        }
        let names = match &self.names {
            Some(names) => names.iter().map(|n| n.trim().to_string()).collect(),
            None if self.ratios.len() == SplitSpec::DEFAULT_NAMES.len() => {
                SplitSpec::DEFAULT_NAMES.iter().map(|s| s.to_string()).collect()
            }
            None => {
                // Report bad ratios before the missing names: they are the bigger mistake.
                let placeholders = (0..self.ratios.len()).map(|i| i.to_string()).collect();
                SplitSpec::new(placeholders, self.ratios.clone())?;
                return Err(Error::UnnamedSplits { ratios: self.ratios.len() });
            }
        };
        let spec = SplitSpec::new(names, self.ratios.clone())?;
        if self.block_size.is_some() && !matches!(self.strategy, StrategyKind::Spatial | StrategyKind::Hash) {
            return Err(Error::SettingNeeds {
                setting: Setting::BlockSize,
                needs: Setting::Strategy,
                value: "spatial or hash",
            });
        }
        if self.strategy == StrategyKind::Hash && self.block_size.is_some() && self.group_by.is_some() {
            return Err(Error::setting(
                Setting::GroupBy,
                " does not combine with --block-size in strategy hash: a unit is keyed by its value or by its cell",
            ));
        }
        if let Some(size) = self.block_size {
            split::check_block_size(size)?;
        }
        let strategy = match self.strategy {
            StrategyKind::Random => Strategy::Random,
            StrategyKind::Stratified => Strategy::Stratified,
            StrategyKind::Spatial => Strategy::Spatial { block_size: self.block_size },
            StrategyKind::Hash => Strategy::Hash { block_size: self.block_size },
            StrategyKind::Temporal => return self.check_temporal(),
        };
        Ok((spec, strategy))
    }

    /// The temporal strategy's checks: cutoffs given and increasing, one
    /// split name more than cutoffs, no ratios, an undated split among the names.
    fn check_temporal(&self) -> Result<(SplitSpec, Strategy)> {
        if !self.ratios.is_empty() {
            return Err(Error::setting(Setting::Ratios, " do not apply to strategy temporal: the cutoffs decide"));
        }
        if self.block_size.is_some() {
            return Err(Error::SettingNeeds {
                setting: Setting::BlockSize,
                needs: Setting::Strategy,
                value: "spatial",
            });
        }
        let Some(cutoffs) = &self.cutoffs else {
            return Err(Error::setting(Setting::Cutoffs, " is needed by strategy temporal"));
        };
        let names: Vec<String> = match &self.names {
            Some(names) => names.iter().map(|n| n.trim().to_string()).collect(),
            None if cutoffs.len() + 1 == SplitSpec::DEFAULT_NAMES.len() => {
                SplitSpec::DEFAULT_NAMES.iter().map(|s| s.to_string()).collect()
            }
            None => {
                return Err(Error::setting(
                    Setting::Names,
                    format!(
                        " are needed: {} cutoffs make {} splits (the default names are for 3)",
                        cutoffs.len(),
                        cutoffs.len() + 1
                    ),
                ));
            }
        };
        // Ratios play no part in a temporal split; equal ones keep the spec valid.
        let spec = SplitSpec::new(names.clone(), vec![1.0 / names.len() as f64; names.len()])?;
        let undated = match &self.undated {
            Some(name) => match names.iter().position(|n| n == name.trim()) {
                Some(k) => Some(k as u16),
                None => {
                    return Err(Error::setting(
                        Setting::Undated,
                        format!(": {name:?} is not among the split names {}", names.join(",")),
                    ));
                }
            },
            None => None,
        };
        let cutoffs = split::Cutoffs::new(cutoffs, names.len(), undated)?;
        Ok((spec, Strategy::Temporal(cutoffs)))
    }
}

/// [`MetadataOverrides`] parsed into the ML-Dataset vocabularies.
#[derive(Debug, Clone, Default)]
pub struct TypedOverrides {
    /// `ml-dataset:name`.
    pub name: Option<String>,
    /// `ml-dataset:tasks`.
    pub tasks: Option<Vec<Task>>,
    /// `ml-dataset:inputs-type`.
    pub inputs_type: Option<Vec<InputType>>,
    /// `ml-dataset:annotations-type`.
    pub annotations_type: Option<AnnotationsType>,
    /// `ml-dataset:version`.
    pub version: Option<String>,
    /// `ml-dataset:type`.
    pub dataset_type: Option<DatasetType>,
}

impl MetadataOverrides {
    /// Parses the given values; an unknown spelling is an error naming its setting.
    pub fn check(&self) -> Result<TypedOverrides> {
        Ok(TypedOverrides {
            name: self.name.clone(),
            tasks: self
                .tasks
                .as_ref()
                .map(|v| v.iter().map(|t| Task::parse(t)).collect::<Result<Vec<_>>>())
                .transpose()?,
            inputs_type: self
                .inputs_type
                .as_ref()
                .map(|v| v.iter().map(|t| InputType::parse(t)).collect::<Result<Vec<_>>>())
                .transpose()?,
            annotations_type: self.annotations_type.as_deref().map(AnnotationsType::parse).transpose()?,
            version: self.version.clone(),
            dataset_type: self.dataset_type.as_deref().map(DatasetType::parse).transpose()?,
        })
    }
}

impl SplitRunOptions {
    /// Checks every setting that needs no data, and the output against the
    /// input's location when it is known, before anything is loaded: a typo
    /// is reported at once, not after a large catalog is read.
    pub fn check(&self, input: Option<&Path>) -> Result<CheckedRun> {
        let (spec, strategy) = self.split.check()?;
        let metadata = self.metadata.check()?;
        match self.output {
            OutputFormat::GeoParquet { partition_by_split: false } => check_output_file(input, &self.out, self.force)?,
            _ => check_output(input, &self.out, self.force)?,
        }
        Ok(CheckedRun { spec, strategy, metadata })
    }
}

/// The output checks that need no data: a folder name, not inside or
/// around the input's root folder, and empty unless `force`. The writer
/// checks again (and against every input folder) before it writes.
pub fn check_output(input: Option<&Path>, out: &Path, force: bool) -> Result<()> {
    let out_abs = crate::publish::resolve_out(out)?;
    if let Some(input) = input.filter(|i| crate::geoparquet::is_parquet_input(i)) {
        // A Parquet input is that file or folder alone.
        let input = std::fs::canonicalize(input).unwrap_or_else(|_| input.to_path_buf());
        if input.starts_with(&out_abs) || out_abs.starts_with(&input) {
            return Err(Error::Output {
                path: out_abs,
                message: format!(
                    "is, contains or lies inside the input {}; the input is only read: write the output elsewhere",
                    input.display()
                ),
            });
        }
        return crate::publish::check_vacant(&out_abs, force);
    }
    // An input that cannot be found is reported by the load that follows.
    let root = input.and_then(|path| catalog::root_file(path).ok());
    if let Some(folder) = root.as_deref().and_then(Path::parent) {
        if out_abs.starts_with(folder) {
            return Err(Error::Output {
                path: out_abs,
                message: format!(
                    "is inside the input's folder {}; the input is only read: write the output elsewhere",
                    folder.display()
                ),
            });
        }
        if folder.starts_with(&out_abs) {
            return Err(Error::Output {
                path: out_abs,
                message: format!(
                    "contains the input's folder {}; the input is only read: write the output elsewhere",
                    folder.display()
                ),
            });
        }
    }
    crate::publish::check_vacant(&out_abs, force)
}

/// The output checks for a single output file that need no data: a new or
/// regular file (replaced only with `force`), in a folder that exists, that
/// is not the input.
pub fn check_output_file(input: Option<&Path>, out: &Path, force: bool) -> Result<()> {
    let resolved = crate::publish::check_output_path(out)?;
    if let Some(input) = input.and_then(|i| std::fs::canonicalize(i).ok())
        && (resolved == input || resolved.starts_with(&input))
    {
        return Err(Error::Output {
            path: out.to_path_buf(),
            message: format!("is the input {}; the input is only read: write the output elsewhere", input.display()),
        });
    }
    if !force && std::fs::symlink_metadata(&resolved).is_ok() {
        return Err(Error::OutputOccupied { path: out.to_path_buf() });
    }
    Ok(())
}

/// The sink for a run's output.
fn sink_for<'a>(run: &SplitRunOptions, gate: Option<&'a dyn crate::write::Gate>) -> Box<dyn Sink + 'a> {
    match run.output {
        OutputFormat::JsonTree => Box::new(JsonTreeSink { out: run.out.clone(), force: run.force, gate }),
        OutputFormat::GeoParquet { partition_by_split } => {
            Box::new(crate::geoparquet::GeoParquetSink { out: run.out.clone(), force: run.force, partition_by_split })
        }
    }
}

/// Loads, splits and writes the Q2 dataset.
pub fn split(source: &dyn Source, options: &SplitRunOptions, observer: &dyn Observer) -> Result<SplitOutcome> {
    let checked = options.check(source.location())?;
    observer.begin("loading");
    let dataset = source.load()?;
    observer.end(&format!("loaded {} items", dataset.items.len()));
    warn(observer, &dataset.warnings);
    let split_options = resolve_against(&dataset, &options.split, checked.spec, checked.strategy, observer)?;
    let assignment = split::assign(&dataset, &split_options, None)?;
    warn_ungrouped(observer, &split_options, &assignment);
    let metadata = resolve_typed(&dataset, &checked.metadata)?;
    observer.end("split");
    observer.begin_items("writing", dataset.items.len() as u64);
    let provenance = provenance(&dataset, &split_options);
    let content = Q2Content {
        dataset: &dataset,
        assignment: &assignment,
        format: options.format,
        metadata: &metadata,
        provenance: &provenance,
        quality_metrics: None,
    };
    let validate_options = validate::Options::default();
    let schemas = if options.validate { Some(validate::SchemaSet::bundled()?) } else { None };
    let gate = schemas.as_ref().map(|schemas| OutputGate::new(&validate_options, schemas, &options.out, observer));
    let sink = sink_for(options, gate.as_ref().map(|g| g as &dyn crate::write::Gate));
    let summary = sink.write(&content, source, observer)?;
    observer.end(if options.validate { "published" } else { "written and published" });
    Ok(SplitOutcome { dataset, assignment, summary })
}

/// Loads, splits, measures, writes the Q2 JSON tree with the metrics on its
/// root, validates it before publishing, and writes the report if asked.
pub fn q2(source: &dyn Source, options: &Q2Options, observer: &dyn Observer) -> Result<Q2Outcome> {
    let run = &options.run;
    let checked = run.check(source.location())?;
    let metrics_options = MetricsOptions::new(options.iou)?;
    observer.begin("loading");
    let mut dataset = source.load()?;
    observer.end(&format!("loaded {} items", dataset.items.len()));
    observer.begin("splitting");
    let split_options = resolve_against(&dataset, &run.split, checked.spec, checked.strategy, observer)?;
    let mut warnings = std::mem::take(&mut dataset.warnings);
    // Read once, for stratified splitting and for the class-balance metric.
    let classes = ClassCounts::read(&dataset, &mut warnings);
    let assignment = split::assign(&dataset, &split_options, Some(&classes))?;
    warn_ungrouped(observer, &split_options, &assignment);
    let metadata = resolve_typed(&dataset, &checked.metadata)?;
    observer.end("split");
    observer.begin("measuring");
    let entries = metrics::compute(&dataset, &classes, Some(&assignment.view()), metrics_options);
    // Held only until measured: the write that follows is the run's largest stage.
    drop(classes);
    observer.end("measured");
    warn(observer, &warnings);
    observer.begin_items("writing", dataset.items.len() as u64);
    // q2 writes an EOTDL Q2 dataset: its gate judges ingest readiness too.
    let validate_options = validate::Options { profile: validate::Profile::Eotdl, ..validate::Options::default() };
    let schemas = validate::SchemaSet::bundled()?;
    let gate = OutputGate::new(&validate_options, &schemas, &run.out, observer);
    let provenance = provenance(&dataset, &split_options);
    let content = Q2Content {
        dataset: &dataset,
        assignment: &assignment,
        format: run.format,
        metadata: &metadata,
        provenance: &provenance,
        quality_metrics: Some(&entries),
    };
    let summary = sink_for(run, if run.validate { Some(&gate) } else { None }).write(&content, source, observer)?;
    observer.end("published");
    let validation = gate.into_report();
    let report = if options.report {
        Some(write_report(source, &dataset, &assignment, &entries, &summary, validation.as_ref())?)
    } else {
        None
    };
    let hints = crate::hints::hints(&entries, Some(split_options.strategy.name()));
    Ok(Q2Outcome { assignment, metrics: entries, summary, validation, report, hints })
}

/// Items lacking the group-by property are not grouped with anything: say
/// how many, so a misspelt property does not pass as a grouped split.
fn warn_ungrouped(observer: &dyn Observer, options: &SplitOptions, assignment: &Assignment) {
    if let Some(property) = &options.group_by
        && assignment.ungrouped > 0
    {
        let members = assignment.member.iter().filter(|m| **m).count();
        observer.warning(&format!(
            "{} of {members} items lack the property {property:?}; each of them is a group of its own",
            assignment.ungrouped
        ));
    }
    if assignment.keyed_by_id > 0 {
        let lacking = match (&options.group_by, &options.strategy) {
            (Some(property), _) => format!("lack the property {property:?}"),
            (None, Strategy::Hash { block_size: Some(_) }) => "have no bbox".to_string(),
            _ => return,
        };
        observer.warning(&format!(
            "{} units are keyed by their item's id for the hash split: their key items {lacking}",
            assignment.keyed_by_id
        ));
    }
}

fn warn(observer: &dyn Observer, warnings: &Warnings) {
    for line in warnings.lines() {
        observer.warning(&line);
    }
}

/// Writes `report.html` beside the published catalog, from what is in memory:
/// the input's records, the assignment, the metrics, the gate's validation.
fn write_report(
    source: &dyn Source,
    dataset: &Dataset,
    assignment: &Assignment,
    entries: &QualityMetrics,
    summary: &WriteSummary,
    validation: Option<&Report>,
) -> Result<PathBuf> {
    let mut overview = info(source, dataset)?;
    overview.catalog = summary.catalog.display().to_string();
    overview.quality = Quality::Q2;
    overview.splits = (0..assignment.names.len())
        .map(|k| SplitInfo {
            name: assignment.names[k].clone(),
            items: assignment.split_of.iter().filter(|s| **s == Some(k as u16)).count(),
        })
        .collect();
    let html = crate::report::html(dataset, &overview, entries, Some(&assignment.view()), validation);
    // Beside a stac-geoparquet file, under its name; inside an output folder.
    let path = if summary.out.is_dir() { summary.out.join("report.html") } else { summary.out.with_extension("html") };
    crate::publish::publish_file(&path, html.as_bytes())?;
    Ok(path)
}

/// Resolves the split settings against the loaded catalog; loads the
/// previous catalog's splits when they are kept, telling `observer` of its
/// warnings.
pub fn resolve_split(dataset: &Dataset, settings: &SplitSettings, observer: &dyn Observer) -> Result<SplitOptions> {
    let (spec, strategy) = settings.check()?;
    resolve_against(dataset, settings, spec, strategy, observer)
}

/// The checked spec and strategy with what needs the data: the split node
/// and the previous catalog's splits.
fn resolve_against(
    dataset: &Dataset,
    settings: &SplitSettings,
    spec: SplitSpec,
    strategy: Strategy,
    observer: &dyn Observer,
) -> Result<SplitOptions> {
    let node = dataset.node_by_id(&settings.collection)?;
    let keep = match &settings.keep_from {
        Some(path) => Some(previous_splits(path, &settings.collection, observer)?),
        None => None,
    };
    Ok(SplitOptions { spec, seed: settings.seed, strategy, node, keep, group_by: settings.group_by.clone() })
}

/// The splits a previous Q2 catalog assigned, by item id.
fn previous_splits(path: &Path, collection: &str, observer: &dyn Observer) -> Result<HashMap<String, String>> {
    // A previous output may be a JSON tree or stac-geoparquet.
    let previous = crate::input::open(path)
        .load()
        .map_err(|error| Error::PreviousUnreadable { path: path.to_path_buf(), error: Box::new(error) })?;
    warn(observer, &previous.warnings);
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
        return Err(Error::PreviousUnsplit { path: previous.root().path.clone() });
    }
    Ok(splits)
}

/// The record of how the split was made, written on the root catalog.
pub fn provenance(dataset: &Dataset, options: &SplitOptions) -> Value {
    let mut record = json!({
        "tool": concat!("stac-ml ", env!("CARGO_PKG_VERSION")),
        "collection": dataset.nodes[options.node].id,
        "strategy": options.strategy.name(),
        "block_size": match options.strategy {
            Strategy::Spatial { block_size } | Strategy::Hash { block_size } => json!(block_size),
            _ => Value::Null,
        },
        "seed": options.seed,
        "names": options.spec.names(),
        "ratios": options.spec.ratios(),
        "kept_from_previous": options.keep.is_some(),
    });
    // Added only when used, so the record of earlier kinds of split is unchanged.
    if let Strategy::Temporal(cutoffs) = &options.strategy {
        record["ratios"] = Value::Null;
        record["cutoffs"] = json!(cutoffs.texts());
        record["undated"] = json!(cutoffs.undated().map(|k| &options.spec.names()[k as usize]));
    }
    if let Some(property) = &options.group_by {
        record["group_by"] = json!(property);
    }
    if let Strategy::Hash { .. } = options.strategy {
        // Integers, the last 2^64: a unit goes to the first split whose
        // threshold exceeds the first 8 bytes of MD5("<seed>:<key>").
        record["thresholds"] = json!(crate::hash_split::thresholds(options.spec.ratios()));
    }
    record
}

/// Resolves the ML-Dataset fields: the overrides, else the input's values,
/// else inferred from the label items.
pub fn resolve_metadata(dataset: &Dataset, overrides: &MetadataOverrides) -> Result<Metadata> {
    resolve_typed(dataset, &overrides.check()?)
}

/// [`resolve_metadata`] with the overrides already parsed.
pub fn resolve_typed(dataset: &Dataset, overrides: &TypedOverrides) -> Result<Metadata> {
    let root = &dataset.root().json;
    let existing = |key: &str| -> Vec<String> {
        match root.get(key) {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(String::from).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let labels = dataset.items.iter().filter_map(|i| i.label.as_deref());

    let name = overrides
        .name
        .clone()
        .or_else(|| existing("ml-dataset:name").pop())
        .unwrap_or_else(|| dataset.root().id.clone());

    let tasks: Vec<Task> = match &overrides.tasks {
        Some(list) => list.clone(),
        None if !existing("ml-dataset:tasks").is_empty() => {
            existing("ml-dataset:tasks").iter().map(|t| Task::parse(t)).collect::<Result<_>>()?
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
                return Err(Error::setting(
                    Setting::Tasks,
                    " is required: the catalog's label items name no known label:tasks",
                ));
            }
            inferred
        }
    };

    let inputs_type: Vec<InputType> = match &overrides.inputs_type {
        Some(list) => list.clone(),
        None if !existing("ml-dataset:inputs-type").is_empty() => {
            existing("ml-dataset:inputs-type").iter().map(|t| InputType::parse(t)).collect::<Result<_>>()?
        }
        None => vec![InputType::SatelliteImagery],
    };

    let annotations_type = match &overrides.annotations_type {
        Some(t) => *t,
        None => match existing("ml-dataset:annotations-type").pop() {
            Some(t) => AnnotationsType::parse(&t)?,
            None => {
                let types: Vec<&str> = labels.filter_map(|l| l.label_type.as_deref()).collect();
                if types.is_empty() {
                    return Err(Error::setting(
                        Setting::AnnotationsType,
                        " is required: the catalog has no label items with label:type",
                    ));
                } else if types.iter().all(|t| *t == "raster") {
                    AnnotationsType::Raster
                } else {
                    AnnotationsType::Vector
                }
            }
        },
    };

    let version =
        overrides.version.clone().or_else(|| existing("ml-dataset:version").pop()).unwrap_or_else(|| "0.1.0".into());
    let dataset_type = match &overrides.dataset_type {
        Some(t) => Some(*t),
        None => existing("ml-dataset:type").pop().map(|t| DatasetType::parse(&t)).transpose()?,
    };
    Ok(Metadata { name, tasks, inputs_type, annotations_type, version, dataset_type })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenerateOptions, generate};
    use crate::progress::Silent;

    fn generated(dir: &Path) -> Dataset {
        let out = dir.join("gen");
        let options = GenerateOptions {
            out: out.clone(),
            pairs: 6,
            classes: 2,
            dup_rate: 0.0,
            overlap: 0.0,
            seed: 1,
            footprints: None,
            geoparquet: false,
        };
        generate(&options).unwrap();
        catalog::load(&out.join("catalog.json")).unwrap()
    }

    fn settings(ratios: &[f64]) -> SplitSettings {
        SplitSettings {
            collection: "labels".into(),
            ratios: ratios.to_vec(),
            names: None,
            seed: 0,
            strategy: StrategyKind::Random,
            block_size: None,
            keep_from: None,
            cutoffs: None,
            undated: None,
            group_by: None,
        }
    }

    #[test]
    fn metadata_comes_from_overrides_then_the_input_then_the_labels() {
        let dir = tempfile::tempdir().unwrap();
        let mut dataset = generated(dir.path());
        let inferred = resolve_metadata(&dataset, &MetadataOverrides::default()).unwrap();
        assert_eq!(inferred.name, dataset.root().id);
        assert_eq!(inferred.tasks, [Task::Segmentation]);
        assert_eq!(inferred.inputs_type, [InputType::SatelliteImagery]);
        assert_eq!(inferred.annotations_type, AnnotationsType::Vector);
        assert_eq!((inferred.version.as_str(), inferred.dataset_type), ("0.1.0", None));

        let root = &mut dataset.nodes[0].json;
        root.insert("ml-dataset:name".into(), json!("from input"));
        root.insert("ml-dataset:tasks".into(), json!(["object detection"]));
        root.insert("ml-dataset:type".into(), json!("benchmark"));
        let existing = resolve_metadata(&dataset, &MetadataOverrides::default()).unwrap();
        assert_eq!(existing.name, "from input");
        assert_eq!(existing.tasks, [Task::ObjectDetection]);
        assert_eq!(existing.dataset_type, Some(DatasetType::Benchmark));

        let overrides = MetadataOverrides {
            name: Some("given".into()),
            tasks: Some(vec!["image-classification".into()]),
            annotations_type: Some("raster".into()),
            version: Some("2.0".into()),
            ..Default::default()
        };
        let given = resolve_metadata(&dataset, &overrides).unwrap();
        assert_eq!(given.name, "given");
        assert_eq!(given.tasks, [Task::ImageClassification]);
        assert_eq!(given.annotations_type, AnnotationsType::Raster);
        assert_eq!(given.version, "2.0");

        let bad = MetadataOverrides { inputs_type: Some(vec!["sound".into()]), ..Default::default() };
        let err = resolve_metadata(&dataset, &bad).unwrap_err();
        assert!(matches!(err, Error::InvalidSetting { setting: Setting::InputsType, .. }), "{err}");
    }

    #[test]
    fn metadata_that_cannot_be_inferred_names_its_setting() {
        let dir = tempfile::tempdir().unwrap();
        let mut dataset = generated(dir.path());
        for item in &mut dataset.items {
            item.label = None;
        }
        let err = resolve_metadata(&dataset, &MetadataOverrides::default()).unwrap_err();
        assert_eq!(err.to_string(), "tasks is required: the catalog's label items name no known label:tasks");
        let tasks = MetadataOverrides { tasks: Some(vec!["segmentation".into()]), ..Default::default() };
        let err = resolve_metadata(&dataset, &tasks).unwrap_err();
        assert_eq!(err.to_string(), "annotations_type is required: the catalog has no label items with label:type");
    }

    #[test]
    fn split_settings_are_checked_against_each_other_and_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let dataset = generated(dir.path());
        let options = resolve_split(&dataset, &settings(&[80.0, 10.0, 10.0]), &Silent).unwrap();
        assert_eq!(options.spec.names(), SplitSpec::DEFAULT_NAMES);
        assert_eq!(dataset.nodes[options.node].id, "labels");

        let err = resolve_split(&dataset, &settings(&[60.0, 40.0]), &Silent).unwrap_err();
        assert!(matches!(err, Error::UnnamedSplits { ratios: 2 }), "{err}");
        // Bad ratios are reported before the missing names.
        let err = resolve_split(&dataset, &settings(&[60.0, 0.0]), &Silent).unwrap_err();
        assert!(!matches!(err, Error::UnnamedSplits { .. }), "{err}");

        let blocks = SplitSettings { block_size: Some(1.0), ..settings(&[80.0, 10.0, 10.0]) };
        let err = resolve_split(&dataset, &blocks, &Silent).unwrap_err();
        assert_eq!(err.to_string(), "block_size needs strategy spatial or hash");
        let spatial = SplitSettings { strategy: StrategyKind::Spatial, ..blocks.clone() };
        let options = resolve_split(&dataset, &spatial, &Silent).unwrap();
        assert_eq!(options.strategy, Strategy::Spatial { block_size: Some(1.0) });
        let hash = SplitSettings { strategy: StrategyKind::Hash, ..blocks };
        let options = resolve_split(&dataset, &hash, &Silent).unwrap();
        assert_eq!(options.strategy, Strategy::Hash { block_size: Some(1.0) });
        let record = provenance(&dataset, &options);
        assert_eq!((record["strategy"].as_str(), record["block_size"].as_f64()), (Some("hash"), Some(1.0)));
        assert_eq!(
            record["thresholds"].to_string(),
            "[14757395258967642112,16602069666338596864,18446744073709551616]"
        );
        let both = SplitSettings { group_by: Some("field".into()), ..hash.clone() };
        assert!(
            resolve_split(&dataset, &both, &Silent).unwrap_err().to_string().starts_with("group_by does not combine")
        );
        let tiny = SplitSettings { block_size: Some(0.0), ..hash };
        assert!(resolve_split(&dataset, &tiny, &Silent).is_err());
    }

    #[test]
    fn a_previous_catalog_must_be_readable_and_split() {
        let dir = tempfile::tempdir().unwrap();
        let dataset = generated(dir.path());
        let missing = SplitSettings { keep_from: Some(dir.path().join("none.json")), ..settings(&[80.0, 10.0, 10.0]) };
        let err = resolve_split(&dataset, &missing, &Silent).unwrap_err();
        assert!(
            matches!(&err, Error::PreviousUnreadable { error, .. } if matches!(**error, Error::Io { .. })),
            "{err}"
        );
        let unsplit = SplitSettings { keep_from: Some(dataset.root().path.clone()), ..settings(&[80.0, 10.0, 10.0]) };
        let err = resolve_split(&dataset, &unsplit, &Silent).unwrap_err();
        assert!(matches!(&err, Error::PreviousUnsplit { path } if *path == dataset.root().path), "{err}");
    }
}

/// A loaded catalog with its metrics, measured against the splits its items
/// already carry.
pub struct Measured {
    /// The catalog.
    pub dataset: Dataset,
    /// The splits its items carry, if any.
    pub splits: Option<SplitView<'static>>,
    /// Every metric.
    pub metrics: QualityMetrics,
    /// The loader's and the metrics' warnings, for the caller to show once
    /// its progress display is cleared.
    pub warnings: Warnings,
    /// What the metrics suggest changing in the recorded split.
    pub hints: Vec<crate::hints::Hint>,
}

/// Loads a catalog and computes every metric against the splits it carries.
pub fn measure(source: &dyn Source, options: MetricsOptions, observer: &dyn Observer) -> Result<Measured> {
    observer.begin("loading");
    let mut dataset = source.load()?;
    observer.end(&format!("loaded {} items", dataset.items.len()));
    observer.begin("measuring");
    let splits = SplitView::existing(&dataset);
    let mut warnings = std::mem::take(&mut dataset.warnings);
    let classes = ClassCounts::read(&dataset, &mut warnings);
    let metrics = metrics::compute(&dataset, &classes, splits.as_ref(), options);
    observer.end("measured");
    // The strategy the split was recorded with, when stac-ml made it.
    let strategy = dataset.root().json.get("stac-ml:split").and_then(|s| s.get("strategy")).and_then(Value::as_str);
    let hints = crate::hints::hints(&metrics, strategy);
    Ok(Measured { dataset, splits, metrics, warnings, hints })
}

/// What [`report`] writes.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The HTML file to write.
    pub output: PathBuf,
    /// The near-duplicate IoU threshold.
    pub iou: f64,
    /// Validate the catalog and show the findings.
    pub validate: bool,
    /// Replace an existing report file (never an input file).
    pub force: bool,
}

/// What [`report`] did.
pub struct ReportOutcome {
    /// The measured catalog.
    pub measured: Measured,
    /// Bytes of HTML written.
    pub bytes: usize,
}

/// Measures (and validates) the JSON tree at `catalog` and publishes the HTML
/// report atomically.
pub fn report(catalog: &Path, options: &ReportOptions, observer: &dyn Observer) -> Result<ReportOutcome> {
    // Before the catalog is read: a mistake in the output path is shown at once.
    crate::publish::check_output_path(&options.output)?;
    let metrics_options = MetricsOptions::new(options.iou)?;
    let source = crate::input::open(catalog);
    let measured = measure(source.as_ref(), metrics_options, observer)?;
    let overview = info(source.as_ref(), &measured.dataset)?;
    let validation = if options.validate {
        observer.begin("validating");
        Some(validate::validate_path(catalog, &validate::Options::default())?)
    } else {
        None
    };
    let html = crate::report::html(
        &measured.dataset,
        &overview,
        &measured.metrics,
        measured.splits.as_ref(),
        validation.as_ref(),
    );
    let output = crate::publish::check_output_file(&measured.dataset, &options.output, options.force)?;
    crate::publish::publish_file(&output, html.as_bytes())?;
    Ok(ReportOutcome { measured, bytes: html.len() })
}
