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

    /// The output location is unsafe or occupied.
    #[error("{}: {message}", path.display())]
    Output {
        /// The output folder.
        path: PathBuf,
        /// Why it cannot be used.
        message: String,
    },
}

impl Error {
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
