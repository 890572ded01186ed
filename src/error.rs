//! The library's error type. Every variant about a file names the file, so the
//! CLI can print one clear line without extra context.

use std::path::PathBuf;

/// Everything that can stop a stac-ml operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    // The cause is part of the message and deliberately not a `source`, so
    // `{:#}` chains print it once.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },

    /// A file is not valid JSON.
    #[error("{}: malformed JSON: {error}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        error: serde_json::Error,
    },

    /// An input file changed between loading and writing.
    #[error(
        "{}: changed while stac-ml was running (its size or modification time differs from when it was loaded); \
         nothing was written; run again once the input is stable",
        path.display()
    )]
    InputChanged {
        /// The file.
        path: PathBuf,
    },

    /// A file is JSON but not the STAC object it should be.
    #[error("{}: {message}", path.display())]
    NotStac {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// A structural link points to a file that does not exist.
    #[error("{}: broken {rel} link: {href} ({} does not exist)", from.display(), target.display())]
    BrokenLink {
        /// The file holding the link.
        from: PathBuf,
        /// The link's rel.
        rel: String,
        /// The href as written.
        href: String,
        /// Where it resolved to.
        target: PathBuf,
    },

    /// A structural link points back to a catalog already on the walk.
    #[error("{}: cyclic {rel} link: {href} leads back to {}", from.display(), target.display())]
    CyclicLink {
        /// The file holding the link.
        from: PathBuf,
        /// The link's rel.
        rel: String,
        /// The href as written.
        href: String,
        /// The file already visited.
        target: PathBuf,
    },

    /// A structural link is remote; stac-ml is offline and never fetches.
    #[error("{}: remote {rel} link {href} is not followed (stac-ml works offline; make the catalog local first)", from.display())]
    RemoteLink {
        /// The file holding the link.
        from: PathBuf,
        /// The link's rel.
        rel: String,
        /// The href as written.
        href: String,
    },

    /// Two items of one collection share an id.
    #[error("{}: duplicate item id {id:?} in {collection:?} (also in {})", path.display(), other.display())]
    DuplicateId {
        /// The later file.
        path: PathBuf,
        /// The earlier file.
        other: PathBuf,
        /// The id.
        id: String,
        /// The collection or catalog id.
        collection: String,
    },

    /// A user-supplied option is invalid.
    #[error("{0}")]
    Usage(String),

    /// A setting of an operation has an invalid value. `message` follows the
    /// setting's name directly (it starts with its own separator, e.g.
    /// `": 0 is not a positive number"` or `" must be in (0, 1]"`), so a front
    /// end can put its own spelling of the setting in front of it.
    #[error("{}{message}", setting.field())]
    InvalidSetting {
        /// Which setting.
        setting: Setting,
        /// What is wrong with its value, starting with a separator.
        message: String,
    },

    /// Split ratios were given for other than the default number of splits,
    /// without split names.
    #[error("{ratios} ratios given; name the splits (the default names are for 3 splits)")]
    UnnamedSplits {
        /// How many ratios were given.
        ratios: usize,
    },

    /// A setting was given that only applies with a particular value of another.
    #[error("{} needs {} {value}", setting.field(), needs.field())]
    SettingNeeds {
        /// The setting given.
        setting: Setting,
        /// The setting it depends on.
        needs: Setting,
        /// The value `needs` must have.
        value: &'static str,
    },

    /// The temporal strategy met a unit of items none of which has a time,
    /// and no split was chosen for such units.
    #[error(
        "{}: item {id:?} has no datetime or start_datetime in RFC 3339 with a time zone; the temporal split needs one (or choose a split for undated items with undated)",
        path.display()
    )]
    Undated {
        /// The item file.
        path: PathBuf,
        /// The item id.
        id: String,
    },

    /// A split name has no ml-aoi spelling, and ml-aoi split fields were asked for.
    #[error(
        "split {name:?} has no ml-aoi equivalent (train, validate, test); write ml-dataset:split only or rename the split"
    )]
    NoMlAoiSplit {
        /// The split name.
        name: String,
    },

    /// The previous Q2 catalog whose splits are kept could not be loaded.
    // The cause is part of the message, as for `Io`.
    #[error("reading the previous Q2 catalog {}: {error}", path.display())]
    PreviousUnreadable {
        /// The previous catalog.
        path: PathBuf,
        /// Why it could not be loaded.
        error: Box<Error>,
    },

    /// The previous Q2 catalog whose splits are kept assigns none.
    #[error("{}: the previous Q2 catalog has no item with ml-dataset:split", path.display())]
    PreviousUnsplit {
        /// The previous catalog's root file.
        path: PathBuf,
    },

    /// The output failed its checks and was not published.
    #[error("{0}")]
    Rejected(String),

    /// As many split names as ratios are needed.
    #[error("{} split names ({}) for {ratios} ratios; give one name per ratio", names.len(), names.join(","))]
    NamesForRatios {
        /// The names given.
        names: Vec<String>,
        /// How many ratios were given.
        ratios: usize,
    },

    /// A kept split (from a previous Q2 catalog) is not among the split names.
    #[error("keep_from: item {id:?} is in split {split:?}, which is not among the names {}", names.join(","))]
    KeptSplitUnknown {
        /// The item id.
        id: String,
        /// Its split in the previous catalog.
        split: String,
        /// The split names of this run.
        names: Vec<String>,
    },

    /// The output folder exists and is not empty, and replacing it was not asked for.
    #[error("{}: exists and is not empty; replacing it must be asked for", path.display())]
    OutputOccupied {
        /// The output folder.
        path: PathBuf,
    },

    /// The output appeared while the run was building it, and replacing it
    /// was not asked for: nothing was replaced, the built tree was removed.
    #[error(
        "{}: appeared while this run was writing it (another run, or another program?); nothing was replaced: remove it or choose another output and run again",
        path.display()
    )]
    OutputAppeared {
        /// The output.
        path: PathBuf,
    },

    /// The run was stopped by a signal (SIGINT, SIGTERM); what it had built
    /// was removed.
    #[error("interrupted by signal {signal}; the unfinished output was removed")]
    Interrupted {
        /// The signal number.
        signal: i32,
    },

    /// The output location is unsafe or occupied.
    #[error("{}: {message}", path.display())]
    Output {
        /// The output folder.
        path: PathBuf,
        /// Why it cannot be used.
        message: String,
    },
}

/// A setting of an operation, as the library names it. Library messages name
/// settings by [`Setting::field`]; front ends map them to their own spelling
/// (the CLI to its flag names), so the library carries no CLI words.
// Exhaustive on purpose: front ends match every setting to their own
// spelling, and a new setting must fail to compile there until it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// Split ratios.
    Ratios,
    /// Split names.
    Names,
    /// The random seed.
    Seed,
    /// The split strategy.
    Strategy,
    /// The grid cell size of spatial or hash splits, in degrees.
    BlockSize,
    /// The catalog or collection whose items are split.
    Collection,
    /// A previous Q2 catalog whose splits are kept.
    KeepFrom,
    /// The near-duplicate IoU threshold.
    Iou,
    /// Generated image/label pairs.
    Pairs,
    /// Generated classes.
    Classes,
    /// Generated share of exact duplicates.
    DupRate,
    /// Generated share of overlapping footprints.
    OverlapRate,
    /// Generated number of distinct footprints.
    Footprints,
    /// ML-Dataset `name`.
    Name,
    /// ML-Dataset `tasks`.
    Tasks,
    /// ML-Dataset `inputs-type`.
    InputsType,
    /// ML-Dataset `annotations-type`.
    AnnotationsType,
    /// ML-Dataset `version`.
    DatasetVersion,
    /// ML-Dataset `type`.
    DatasetType,
    /// An extra schema given as URL and file.
    Schema,
    /// The output location.
    Output,
    /// The cutoff dates of a temporal split.
    Cutoffs,
    /// The split of items without a time in a temporal split.
    Undated,
    /// The property whose value keeps items in one split.
    GroupBy,
}

impl Setting {
    /// The setting's name in library messages.
    pub fn field(self) -> &'static str {
        match self {
            Setting::Ratios => "ratios",
            Setting::Names => "names",
            Setting::Seed => "seed",
            Setting::Strategy => "strategy",
            Setting::BlockSize => "block_size",
            Setting::Collection => "collection",
            Setting::KeepFrom => "keep_from",
            Setting::Iou => "iou",
            Setting::Pairs => "pairs",
            Setting::Classes => "classes",
            Setting::DupRate => "dup_rate",
            Setting::OverlapRate => "overlap_rate",
            Setting::Footprints => "footprints",
            Setting::Name => "name",
            Setting::Tasks => "tasks",
            Setting::InputsType => "inputs_type",
            Setting::AnnotationsType => "annotations_type",
            Setting::DatasetVersion => "version",
            Setting::DatasetType => "type",
            Setting::Schema => "schema",
            Setting::Output => "output",
            Setting::Cutoffs => "cutoffs",
            Setting::Undated => "undated",
            Setting::GroupBy => "group_by",
        }
    }
}

impl Error {
    /// A setting with an invalid value; `message` starts with its separator.
    pub fn setting(setting: Setting, message: impl Into<String>) -> Self {
        Error::InvalidSetting { setting, message: message.into() }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io { path: path.into(), error }
    }

    /// A problem with the shape of a STAC file.
    pub fn not_stac(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::NotStac { path: path.into(), message: message.into() }
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;
