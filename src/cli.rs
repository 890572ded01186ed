//! Command-line definitions (clap). Raw arguments stop here: each command
//! turns them into library options before doing any work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use stac_ml::Setting;

/// Curate machine-learning training datasets described as STAC catalogs, offline.
///
/// Reproducible train/validation/test splits, quality metrics and ML-Dataset
/// ("Q2") metadata for local STAC catalogs. Never touches the network.
#[derive(Debug, Parser)]
#[command(name = "stac-ml", version, propagate_version = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,

    /// Print no progress bars or warnings on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// The most one input file (STAC JSON, label GeoJSON, schema) may take:
    /// bytes, or a number with K, M, G or T (binary units). Larger files are
    /// refused by name. [default: 512M]
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
}

/// A size in bytes: digits, optionally followed by K, M, G or T (powers of
/// 1024, with an optional `iB` or `B`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("{text:?} is not a size; write bytes or a number with K, M, G or T, e.g. 2G")),
    };
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a size; write e.g. 2G or 1048576"))?;
    let bytes = number.checked_mul(1 << shift).ok_or_else(|| format!("{text:?} is too large"))?;
    if bytes == 0 {
        return Err("the size must be more than 0".into());
    }
    Ok(bytes)
}

impl Command {
    /// `--timings`, on the commands that have stages to time.
    pub fn timings(&self) -> bool {
        match self {
            Command::Split(args) => args.output_flags.timings,
            Command::Q2(args) => args.output_flags.timings,
            Command::Metrics(args) => args.timings,
            Command::Report(args) => args.timings,
            Command::Info(_) | Command::Validate(_) | Command::Generate(_) => false,
        }
    }
}

/// The stages `split --timings` names.
const TIMINGS_SPLIT: &str = "Print how long each stage took on stderr: load, split, write, validate, publish";
/// The stages `q2 --timings` names.
const TIMINGS_Q2: &str = "Print how long each stage took on stderr: load, split, measure, write, validate, publish";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Split a catalog's items reproducibly and write a Q2 catalog.
    ///
    /// Examples:
    ///   stac-ml split catalog.json -o q2/
    ///   stac-ml split catalog.json -o q2/ --ratios 70,20,10 --seed 42
    ///   stac-ml split catalog.json -o q2/ --ratios 0.9,0.1 --names train,test --split-fields both
    ///   stac-ml split v2/catalog.json -o q2-v2/ --keep-from q2-v1/catalog.json
    ///   stac-ml split catalog.json -o q2/ --strategy temporal --cutoffs 2021-01-01,2022-01-01
    ///   stac-ml split catalog.json -o q2/ --group-by field_id
    #[command(verbatim_doc_comment)]
    #[command(mut_arg("timings", |a| a.help(TIMINGS_SPLIT)))]
    Split(Box<SplitArgs>),

    /// Show a dataset at a glance: collections and their roles, counts, extents, asset sizes, splits.
    ///
    /// Collections are `labels` when they or their items use the label extension and
    /// `source_imagery` when label items link their items as `source` (or they hold
    /// non-label items); one holding both is listed under both.
    ///
    /// Examples:
    ///   stac-ml info catalog.json
    ///   stac-ml info q2/catalog.json --json
    #[command(verbatim_doc_comment)]
    Info(InfoArgs),

    /// Measure a catalog: duplicates, near duplicates, split leakage, class balance, gaps.
    ///
    /// Prints a table, or with --json exactly the array `q2` writes to the root
    /// catalog's `ml-dataset:quality-metrics`. Splits already in the catalog
    /// (`ml-dataset:split`) are used for leakage and per-split balance.
    ///
    /// Examples:
    ///   stac-ml metrics catalog.json
    ///   stac-ml metrics q2/catalog.json --json --iou 0.8
    #[command(verbatim_doc_comment)]
    Metrics(MetricsArgs),

    /// Split, measure and write a Q2 catalog with its quality metrics, in one pass.
    ///
    /// EOTDL's Q2 flow (add_ml_extension + MLDatasetQualityMetrics), seeded and
    /// offline. Re-running it on its own output replaces metric entries by name.
    ///
    /// Examples:
    ///   stac-ml q2 catalog.json -o q2/
    ///   stac-ml q2 catalog.json -o q2/ --ratios 70,15,15 --seed 1 --name my-dataset
    #[command(verbatim_doc_comment)]
    #[command(mut_arg("timings", |a| a.help(TIMINGS_Q2)))]
    Q2(Box<Q2Args>),

    /// Validate a dataset offline: schemas and links (and, with --profile eotdl, EOTDL's ingest rules).
    ///
    /// PATH is a catalog file or a dataset folder (catalog.json, or metadata.yml for Q0).
    /// Every catalog, collection and item is checked against the bundled schemas
    /// (STAC 1.0.0 and 1.1.0, GeoJSON, label v1.0.1, ml-aoi v0.2.0, view v1.0.0, ML-Dataset).
    /// Nothing is fetched. The verdict is the official validators' (no format
    /// assertion): a `format` violation alone (date-time, iri-reference, ...) is a
    /// warning, an error with --strict; a datetime without a time zone is still an
    /// error (the STAC schemas' pattern requires one).
    ///
    /// ML-Dataset: the official schema's item branch requires a key spelled
    /// " ml-dataset:split" (with a leading space), which no real item has; stac-ml
    /// checks items for the intended "ml-dataset:split" instead.
    ///
    /// Extensions without a bundled schema are reported as not checked (an error
    /// with --strict); --schema URL=PATH adds a local schema for any of them.
    /// Known aliases of an extension URL (raw.githubusercontent.com/stac-extensions/...,
    /// .../json-schema/schema.json, http://) use the bundled schema of that version,
    /// with a warning that the URL is not canonical.
    ///
    /// Profiles: by default only STAC validity fails the run; EOTDL's ingest rules
    /// (dataset name of 3-45 letters, digits and dashes; Q0 metadata.yml keys) give
    /// one warning. --profile eotdl makes them errors.
    /// Exit codes: 0 valid, 1 invalid, 2 usage or I/O error.
    ///
    /// Examples:
    ///   stac-ml validate catalog.json
    ///   stac-ml validate dataset/ --strict --output-format github
    ///   stac-ml validate dataset/ --profile eotdl
    ///   stac-ml validate catalog.json --json
    ///   stac-ml validate catalog.json --schema \
    ///     https://stac-extensions.github.io/sat/v1.0.0/schema.json=sat.json
    #[command(verbatim_doc_comment)]
    Validate(ValidateArgs),

    /// Write one self-contained HTML report of a catalog: summary, map, class balance, findings, validation.
    ///
    /// The file needs nothing else to open (inline CSS and SVG, no scripts, nothing
    /// fetched) and is the same for the same input. Footprints are drawn one by one up
    /// to 5000 distinct shapes and aggregated into a grid beyond, so the size stays
    /// bounded for millions of items. Splits already in the catalog colour the map
    /// and the charts; `q2 --report` writes the same report next to a Q2 catalog.
    ///
    /// Examples:
    ///   stac-ml report catalog.json -o report.html
    ///   stac-ml report q2/catalog.json -o q2-report.html --iou 0.8 --no-validate
    #[command(verbatim_doc_comment)]
    Report(ReportArgs),

    /// Write a synthetic Q1 catalog (source imagery + labels) for tests and benchmarks.
    ///
    /// Examples:
    ///   stac-ml generate -o synthetic/ --pairs 1000
    ///   stac-ml generate -o synthetic/ --pairs 50000 --classes 8 --dup-rate 0.01 --overlap 0.05 --seed 7
    #[command(verbatim_doc_comment)]
    Generate(GenerateArgs),
}

/// Output format of results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// For humans.
    #[default]
    Text,
    /// For computers.
    Json,
}

/// Which split fields `split` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SplitFormatArg {
    /// `ml-dataset:split` (EOTDL's Q2 format).
    #[default]
    MlDataset,
    /// `ml-aoi:split` with train | validate | test.
    MlAoi,
    /// Both fields.
    Both,
}

/// How items are grouped before splitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum StrategyArg {
    /// Seeded random permutation; a label item and its source items stay together.
    #[default]
    Random,
    /// Each class split in the ratios on its own (majority class of each label item).
    Stratified,
    /// Overlapping footprints (and, with --block-size, grid cells) stay in one split: no leakage.
    Spatial,
    /// By time against --cutoffs: earlier items in earlier splits (train on the past, test on the future).
    Temporal,
    /// By MD5 of the seed and each label item's id (or --block-size cell, or --group-by value): stable as a catalog grows; SQL can compute it.
    Hash,
}

/// Arguments of `split`.
#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The input's root catalog file, or its dataset folder (never modified).
    pub catalog: PathBuf,

    /// The output folder for the Q2 catalog.
    #[arg(long, short, help_heading = "Output")]
    pub output: PathBuf,

    #[command(flatten)]
    pub split: SplitFlags,

    #[command(flatten)]
    pub metadata: MetadataFlags,

    /// Skip validating the Q2 catalog before publishing it (errors carried
    /// over from the input are then not counted).
    #[arg(long, help_heading = "Quality")]
    pub no_validate: bool,

    #[command(flatten)]
    pub output_flags: OutputFlags,
}

/// How `split` and `q2` treat the output folder and print their summary.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputFlags {
    /// Replace the output folder if it exists and is not empty (atomically).
    #[arg(long)]
    pub force: bool,

    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// The output's format: a JSON tree (a folder) or stac-geoparquet (a
    /// file, or a folder with --partition-by) [default: geoparquet when the
    /// output's name ends in .parquet, else json].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output_format: Option<DatasetFormatArg>,

    /// With geoparquet output: write one hive partition per split
    /// (OUTPUT/split=<name>/part-00000.parquet) into the output folder.
    #[arg(long, value_enum, value_name = "COLUMN")]
    pub partition_by: Option<PartitionArg>,

    /// Print how long each stage took on stderr.
    #[arg(long)]
    pub timings: bool,
}

impl OutputFlags {
    /// True when the summary is to be JSON.
    pub fn json(&self) -> bool {
        self.json
    }
}

/// The format of the dataset `split` and `q2` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetFormatArg {
    /// A tree of STAC JSON files under catalog.json.
    Json,
    /// stac-geoparquet: one row per item.
    Geoparquet,
}

/// What geoparquet output is partitioned by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartitionArg {
    /// One folder per split.
    Split,
}

/// Flags that decide the split.
#[derive(Debug, Args)]
#[command(next_help_heading = "Split")]
pub struct SplitFlags {
    /// Id of the collection (or catalog) whose items are split; items its label
    /// items link as `source` get the same split.
    #[arg(long, default_value = "labels")]
    pub collection: String,

    /// Split proportions: percentages summing to 100 or fractions summing to 1
    /// [default: 80,10,10; none with --strategy temporal].
    #[arg(long, value_delimiter = ',')]
    pub ratios: Option<Vec<f64>>,

    /// Split names, one per ratio [default: Training,Validation,Test].
    #[arg(long, value_delimiter = ',')]
    pub names: Option<Vec<String>>,

    /// Seed of the permutation (of the hash, with --strategy hash); the same seed gives byte-identical output.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// How items are grouped before they are split.
    #[arg(long, value_enum, default_value_t)]
    pub strategy: StrategyArg,

    /// With --strategy spatial or hash: also keep items whose bbox centres share a grid cell of this many degrees together.
    #[arg(long, value_name = "DEGREES")]
    pub block_size: Option<f64>,

    /// Keep every split a previous Q2 catalog assigned; split only new items.
    #[arg(long, value_name = "PREVIOUS_CATALOG")]
    pub keep_from: Option<PathBuf>,

    /// With --strategy temporal: cutoff dates (YYYY-MM-DD or RFC 3339), increasing; one split more than cutoffs.
    ///
    /// Items (by `datetime`, else `start_datetime`) before the first cutoff go
    /// to the first split, from the first to before the second to the second,
    /// and so on.
    #[arg(long, value_delimiter = ',', value_name = "DATE")]
    pub cutoffs: Option<Vec<String>>,

    /// With --strategy temporal: the split for items without a time (else they are refused).
    #[arg(long, value_name = "SPLIT")]
    pub undated: Option<String>,

    /// Keep items sharing this property's value in one split (with random, stratified, spatial or hash).
    ///
    /// The value is read from the item's `properties`, else from its top-level
    /// field of that name (e.g. `collection`). Items without it are groups of
    /// their own; a warning says how many.
    #[arg(long, value_name = "PROPERTY")]
    pub group_by: Option<String>,

    /// Which split fields to write on the items.
    #[arg(long, value_enum, default_value_t, value_name = "FIELDS")]
    pub split_fields: SplitFormatArg,

    /// Deprecated spelling of --split-fields.
    #[arg(long, value_enum, hide = true, conflicts_with = "split_fields")]
    pub format: Option<SplitFormatArg>,
}

impl SplitFlags {
    /// The split fields asked for, by either spelling.
    pub fn split_fields(&self) -> SplitFormatArg {
        self.format.unwrap_or(self.split_fields)
    }

    /// The deprecation note for an old spelling, if one was used.
    pub fn deprecation(&self) -> Option<String> {
        let format = self.format?.to_possible_value()?;
        Some(format!("--format is deprecated; use --split-fields {}", format.get_name()))
    }
}

/// The root catalog's ML-Dataset fields. Unset fields keep the input's values,
/// else are inferred (tasks from `label:tasks`, annotations type from `label:type`).
#[derive(Debug, Args)]
#[command(next_help_heading = "ML-Dataset metadata")]
pub struct MetadataFlags {
    /// `ml-dataset:name` [default: the input's, else the root catalog id].
    #[arg(long)]
    pub name: Option<String>,

    /// `ml-dataset:tasks`: image-classification, object-detection, segmentation.
    #[arg(long, value_delimiter = ',')]
    pub tasks: Option<Vec<String>>,

    /// `ml-dataset:inputs-type`: text, image, satellite-imagery, video [default: satellite-imagery].
    #[arg(long, value_delimiter = ',')]
    pub inputs_type: Option<Vec<String>>,

    /// `ml-dataset:annotations-type`: raster or vector.
    #[arg(long)]
    pub annotations_type: Option<String>,

    /// `ml-dataset:version` [default: the input's, else 0.1.0].
    #[arg(long)]
    pub dataset_version: Option<String>,

    /// `ml-dataset:type`: training, test, validation, reference, benchmark, legacy.
    #[arg(long = "type")]
    pub dataset_type: Option<String>,
}

/// How `validate` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ValidateFormat {
    /// Findings grouped by file, for humans.
    #[default]
    Text,
    /// One JSON object (the report), for computers.
    Json,
    /// GitHub Actions annotations (`::error file=...::message`).
    Github,
}

/// What `validate` judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ValidateProfile {
    /// STAC validity: schemas, links, files.
    #[default]
    Stac,
    /// STAC validity plus EOTDL's ingest rules (dataset name, Q0 metadata.yml) as errors.
    Eotdl,
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A catalog file or a dataset folder.
    #[arg(required_unless_present = "list_schemas")]
    pub path: Option<PathBuf>,

    /// Print the report as one JSON object on stdout.
    #[arg(long, help_heading = "Output", conflicts_with = "output_format")]
    pub json: bool,

    /// How to print the findings.
    #[arg(long, value_enum, default_value_t, help_heading = "Output")]
    pub output_format: ValidateFormat,

    /// Deprecated spelling of --output-format (--format json is --json).
    #[arg(long, value_enum, hide = true, conflicts_with_all = ["output_format", "json"])]
    pub format: Option<ValidateFormat>,

    /// Unchecked extensions, `format` violations and missing local assets are errors, not warnings.
    #[arg(long)]
    pub strict: bool,

    /// What a pass means: STAC validity (default), or also EOTDL ingest readiness.
    ///
    /// stac: only schema, link and file errors fail (exit 1); a dataset EOTDL
    /// ingest would refuse (name with `_`, Q0 metadata.yml keys) gets one warning.
    /// eotdl: the EOTDL ingest rules are errors too.
    #[arg(long, value_enum, default_value_t)]
    pub profile: ValidateProfile,

    /// A local schema for an extension, as URL=PATH (repeatable).
    #[arg(long, value_name = "URL=PATH")]
    pub schema: Vec<String>,

    /// A local schema mirror laid out host/path (e.g. DIR/stac-extensions.github.io/eo/v1.1.0/schema.json).
    ///
    /// Used for extensions and STAC versions that are not bundled, before reporting
    /// them "not checked". Never fetched.
    #[arg(long, value_name = "DIR")]
    pub schema_dir: Option<PathBuf>,

    /// Print the bundled schemas (name and URL) and exit.
    #[arg(long)]
    pub list_schemas: bool,
}

impl ValidateArgs {
    /// The output format asked for, by any spelling.
    pub fn format(&self) -> ValidateFormat {
        match self.format {
            Some(format) => format,
            None if self.json => ValidateFormat::Json,
            None => self.output_format,
        }
    }

    /// The deprecation note for an old spelling, if one was used.
    pub fn deprecation(&self) -> Option<&'static str> {
        match self.format? {
            ValidateFormat::Json => Some("--format json is deprecated; use --json"),
            ValidateFormat::Github => Some("--format github is deprecated; use --output-format github"),
            ValidateFormat::Text => Some("--format text is deprecated; text is the default"),
        }
    }
}

/// Arguments of `info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The root catalog file, or its dataset folder.
    pub catalog: PathBuf,

    /// Print JSON instead of text.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

/// Arguments of `metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// The root catalog file, or its dataset folder.
    pub catalog: PathBuf,

    /// IoU at or above which two footprints count as near duplicates.
    #[arg(long, default_value_t = 0.9)]
    pub iou: f64,

    /// Print the JSON array of metric entries instead of a table.
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Print how long each stage took on stderr: load, measure.
    #[arg(long, help_heading = "Output")]
    pub timings: bool,
}

/// Arguments of `q2`.
#[derive(Debug, Args)]
pub struct Q2Args {
    /// The input's root catalog file, or its dataset folder (never modified).
    pub catalog: PathBuf,

    /// The output folder for the Q2 catalog.
    #[arg(long, short, help_heading = "Output")]
    pub output: PathBuf,

    #[command(flatten)]
    pub split: SplitFlags,

    #[command(flatten)]
    pub metadata: MetadataFlags,

    /// IoU at or above which two footprints count as near duplicates.
    #[arg(long, default_value_t = 0.9, help_heading = "Quality")]
    pub iou: f64,

    /// Skip validating the Q2 catalog before publishing it.
    #[arg(long, help_heading = "Quality")]
    pub no_validate: bool,

    /// Also write report.html (see `stac-ml report`) next to the Q2 catalog.
    #[arg(long, help_heading = "Output")]
    pub report: bool,

    #[command(flatten)]
    pub output_flags: OutputFlags,
}

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The root catalog file, or its dataset folder.
    pub catalog: PathBuf,

    /// The HTML file to write.
    #[arg(long, short, help_heading = "Output")]
    pub output: PathBuf,

    /// Print what was written as JSON on stdout.
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Print how long each stage took on stderr: load, measure.
    #[arg(long, help_heading = "Output")]
    pub timings: bool,

    /// IoU at or above which two footprints count as near duplicates.
    #[arg(long, default_value_t = 0.9)]
    pub iou: f64,

    /// Do not validate the catalog (the report then says validation was not run).
    #[arg(long)]
    pub no_validate: bool,

    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The output folder (must be absent or empty), or with geoparquet output a new file.
    #[arg(long, short, help_heading = "Output")]
    pub output: PathBuf,

    /// A JSON tree or one stac-geoparquet file [default: geoparquet when the
    /// output's name ends in .parquet, else json].
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub output_format: Option<DatasetFormatArg>,

    /// Number of (source, label) item pairs.
    #[arg(long, default_value_t = 100)]
    pub pairs: usize,

    /// Number of label classes.
    #[arg(long, default_value_t = 5)]
    pub classes: usize,

    /// Share of pairs whose footprint exactly duplicates another's (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub dup_rate: f64,

    /// Share of pairs whose footprint overlaps another's, IoU ≈ 0.905 (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub overlap: f64,

    /// Seed; the same seed gives the same files.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Put the pairs on only this many footprints (pair i on footprint i mod N), like time series of a few tiles.
    #[arg(long, value_name = "N")]
    pub footprints: Option<usize>,
}

/// The flag that sets a library setting.
pub fn flag(setting: Setting) -> &'static str {
    match setting {
        Setting::Ratios => "--ratios",
        Setting::Names => "--names",
        Setting::Seed => "--seed",
        Setting::Strategy => "--strategy",
        Setting::BlockSize => "--block-size",
        Setting::Collection => "--collection",
        Setting::KeepFrom => "--keep-from",
        Setting::Iou => "--iou",
        Setting::Pairs => "--pairs",
        Setting::Classes => "--classes",
        Setting::DupRate => "--dup-rate",
        Setting::OverlapRate => "--overlap",
        Setting::Footprints => "--footprints",
        Setting::Name => "--name",
        Setting::Tasks => "--tasks",
        Setting::InputsType => "--inputs-type",
        Setting::AnnotationsType => "--annotations-type",
        Setting::DatasetVersion => "--dataset-version",
        Setting::DatasetType => "--type",
        Setting::Schema => "--schema",
        Setting::Output => "--output",
        Setting::Cutoffs => "--cutoffs",
        Setting::Undated => "--undated",
        Setting::GroupBy => "--group-by",
    }
}

/// An error as the CLI words it: library errors that name settings name
/// their flags instead; everything else as it displays.
pub fn message(error: &(dyn std::error::Error + 'static)) -> String {
    let Some(error) = error.downcast_ref::<stac_ml::Error>() else { return error.to_string() };
    match error {
        stac_ml::Error::InvalidSetting { setting, message } => format!("{}{message}", flag(*setting)),
        stac_ml::Error::SettingNeeds { setting, needs, value } => {
            format!("{} needs {} {value}", flag(*setting), flag(*needs))
        }
        stac_ml::Error::UnnamedSplits { ratios } => format!(
            "{ratios} ratios given; name the splits with {} (the default names are for 3 splits)",
            flag(Setting::Names)
        ),
        stac_ml::Error::Undated { path, id } => format!(
            "{}: item {id:?} has no datetime or start_datetime in RFC 3339 with a time zone; --strategy temporal needs one (or place undated items with {} SPLIT)",
            path.display(),
            flag(Setting::Undated)
        ),
        stac_ml::Error::NoMlAoiSplit { name } => format!(
            "split {name:?} has no ml-aoi equivalent (train, validate, test); use --split-fields ml-dataset or rename the split"
        ),
        stac_ml::Error::PreviousUnreadable { path, error } => {
            format!("reading {} catalog {}: {}", flag(Setting::KeepFrom), path.display(), message(error.as_ref()))
        }
        stac_ml::Error::PreviousUnsplit { path } => {
            format!("{}: {} catalog has no item with ml-dataset:split", path.display(), flag(Setting::KeepFrom))
        }
        stac_ml::Error::NamesForRatios { names, ratios } => format!(
            "{} split names ({}) for {ratios} ratios; give one name per ratio with {}",
            names.len(),
            names.join(","),
            flag(Setting::Names)
        ),
        stac_ml::Error::KeptSplitUnknown { id, split, names } => format!(
            "{}: item {id:?} is in split {split:?}, which is not among {} {}",
            flag(Setting::KeepFrom),
            flag(Setting::Names),
            names.join(",")
        ),
        stac_ml::Error::OutputOccupied { path } if path.is_dir() => {
            format!("{}: exists and is not empty; pass --force to replace it", path.display())
        }
        stac_ml::Error::OutputOccupied { path } => {
            format!("{}: exists; pass --force to replace it", path.display())
        }
        stac_ml::Error::OutputAppeared { path } => format!(
            "{}: appeared while this run was writing it (another run, or another program?); nothing was replaced: remove it, choose another output or pass --force, and run again",
            path.display()
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn split_defaults() {
        let cli = Cli::parse_from(["stac-ml", "split", "c.json", "-o", "out"]);
        let Command::Split(args) = cli.command else { panic!("not split") };
        assert_eq!(args.split.ratios, None);
        assert_eq!(args.split.collection, "labels");
        assert_eq!(args.split.seed, 0);
        assert!(args.split.names.is_none());
    }
}
