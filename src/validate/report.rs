//! What validation found: [`Finding`]s, their totals, and the bounded,
//! deterministic collector that gathers them from rayon threads.
//!
//! Memory stays bounded whatever the catalog size: each file keeps at most a
//! few findings (the first ones in sort order), the whole report keeps at most
//! [`super::Options::max_findings`], and everything beyond is only counted.
//! Which findings are kept never depends on thread timing: a bounded set keeps
//! the *smallest* findings in sort order, and "the smallest N of a set" is the
//! same however the set is split between threads and merged.

use std::collections::BinaryHeap;
use std::path::PathBuf;

use serde::Serialize;

use super::schemas::ObjectKind;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The dataset fails validation.
    Error,
    /// Worth fixing, or not checked; the dataset still passes.
    Warning,
}

/// What kind of rule a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A JSON Schema violation, or an object whose core schema cannot be chosen or is not bundled.
    Schema,
    /// A link or href: broken, remote, pointing to the wrong file; duplicate item ids; cycles.
    Link,
    /// An EOTDL ingest rule (dataset name, `metadata.yml`).
    Ingest,
    /// An extension that is listed but not checked, or used but not listed.
    Extension,
    /// A file that could not be read, or not read as stac-geoparquet.
    Io,
    /// A file that is not valid JSON.
    Json,
}

/// A STAC object inside a file that holds several: a row of a
/// stac-geoparquet table (an item), or a collection or the root catalog in
/// its file metadata.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Object {
    /// What it is.
    pub kind: ObjectKind,
    /// Its id.
    pub id: String,
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ObjectKind::Item => "item",
            ObjectKind::Catalog => "catalog",
            ObjectKind::Collection => "collection",
        };
        write!(f, "{kind} {:?}", self.id)
    }
}

/// One problem, in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The file the problem is in (absolute).
    pub path: PathBuf,
    /// The object within the file, when the file holds several (a
    /// stac-geoparquet table); `None` for a JSON file, which is one object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Object>,
    /// JSON pointer of the offending value in that file, when there is one
    /// (`""` is the whole object).
    pub pointer: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
    /// Which kind of rule.
    pub kind: Kind,
    /// The URL of the schema violated, for schema findings.
    pub schema: Option<String>,
}

impl Finding {
    /// A finding without a schema URL.
    pub fn new(
        path: impl Into<PathBuf>,
        severity: Severity,
        kind: Kind,
        pointer: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding { path: path.into(), object: None, pointer, message: message.into(), severity, kind, schema: None }
    }
}

/// Findings kept up to a limit (the smallest in sort order), with every
/// finding counted.
#[derive(Debug, Clone)]
pub(crate) struct Bounded {
    heap: BinaryHeap<Finding>,
    limit: usize,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) omitted: usize,
}

impl Bounded {
    pub(crate) fn new(limit: usize) -> Self {
        Bounded { heap: BinaryHeap::new(), limit, errors: 0, warnings: 0, omitted: 0 }
    }

    /// Counts a finding and keeps it if it is among the smallest `limit`.
    pub(crate) fn push(&mut self, finding: Finding) {
        match finding.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        self.keep(finding);
    }

    /// Counts `n` findings that were dropped before reaching the collector.
    pub(crate) fn count_omitted(&mut self, severity: Severity, n: usize) {
        match severity {
            Severity::Error => self.errors += n,
            Severity::Warning => self.warnings += n,
        }
        self.omitted += n;
    }

    fn keep(&mut self, finding: Finding) {
        if self.heap.len() < self.limit {
            self.heap.push(finding);
        } else {
            self.omitted += 1;
            if let Some(mut largest) = self.heap.peek_mut()
                && finding < *largest
            {
                *largest = finding;
            }
        }
    }

    /// Adds another collector's counts and kept findings.
    pub(crate) fn absorb(&mut self, other: Bounded) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.omitted += other.omitted;
        for finding in other.heap {
            self.keep(finding);
        }
    }

    /// The kept findings, sorted.
    pub(crate) fn into_sorted(self) -> Vec<Finding> {
        self.heap.into_sorted_vec()
    }
}

/// The EOTDL quality level a dataset claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Quality {
    /// A folder with `metadata.yml` only.
    Q0,
    /// A STAC catalog.
    Q1,
    /// A STAC catalog whose root has `ml-dataset:name` (ML-Dataset metadata).
    Q2,
}

/// The result of validating one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The file validated: the root catalog, or `metadata.yml` for Q0.
    pub root: PathBuf,
    /// The level the dataset claims; `None` when a single item was validated.
    /// The dataset passes at that level only when [`Report::errors`] is 0.
    pub quality: Option<Quality>,
    /// The kept findings, sorted by path, then pointer, then message.
    pub findings: Vec<Finding>,
    /// Errors found, including those not kept.
    pub errors: usize,
    /// Warnings found, including those not kept.
    pub warnings: usize,
    /// Findings counted but not kept (per-file and total limits).
    pub omitted: usize,
    /// Catalogs and collections checked.
    pub nodes: usize,
    /// Items checked.
    pub items: usize,
    /// Remote asset hrefs seen; never fetched, so not checked.
    pub remote_assets: usize,
}

impl Report {
    /// True when nothing fails: no errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(path: &str, message: &str, severity: Severity) -> Finding {
        Finding::new(path, severity, Kind::Schema, None, message)
    }

    #[test]
    fn keeps_the_smallest_whatever_the_split() {
        let all: Vec<Finding> = (0..50)
            .map(|i| {
                finding(
                    &format!("/f{:02}", (i * 37) % 50),
                    "m",
                    if i % 3 == 0 { Severity::Error } else { Severity::Warning },
                )
            })
            .collect();
        let mut one = Bounded::new(10);
        for f in all.clone() {
            one.push(f);
        }
        let mut left = Bounded::new(10);
        let mut right = Bounded::new(10);
        for (i, f) in all.into_iter().enumerate() {
            if i % 2 == 0 { left.push(f) } else { right.push(f) }
        }
        right.absorb(left);
        assert_eq!((one.errors, one.warnings, one.omitted), (17, 33, 40));
        assert_eq!((right.errors, right.warnings, right.omitted), (17, 33, 40));
        let kept = one.into_sorted();
        assert_eq!(kept, right.into_sorted());
        assert_eq!(kept.first().unwrap().path, PathBuf::from("/f00"));
        assert_eq!(kept.last().unwrap().path, PathBuf::from("/f09"));
    }
}
