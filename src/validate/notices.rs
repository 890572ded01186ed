//! "Not checked" notices, folded: the same unknown extension on a million
//! items makes one finding on the first file, with the number of objects.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::PathBuf;

use super::report::{Finding, Kind, Object, Severity};

/// A "not checked" notice, folded across objects by (kind, severity, message).
#[derive(Debug, Clone)]
pub(super) struct Notice {
    pub(super) kind: Kind,
    pub(super) severity: Severity,
    pub(super) message: String,
    pub(super) path: PathBuf,
    /// The object within the file, for a file of several (a table's row).
    pub(super) object: Option<Object>,
    pub(super) pointer: Option<String>,
}

impl Notice {
    pub(super) fn into_finding(self) -> Finding {
        Finding { object: self.object, ..Finding::new(self.path, self.severity, self.kind, self.pointer, self.message) }
    }
}

/// What makes two notices the same: (kind, severity, message).
type NoticeKey = (Kind, Severity, String);
/// A group of notices: how many, and the smallest place (path, object,
/// pointer) among them.
type NoticeGroup = (usize, Place);
/// Where a notice is: file, object within it, JSON pointer.
type Place = (PathBuf, Option<Object>, Option<String>);

/// Notices folded: one group per [`NoticeKey`].
#[derive(Debug, Default)]
pub(super) struct Notices {
    groups: BTreeMap<NoticeKey, NoticeGroup>,
}

impl Notices {
    pub(super) fn add(&mut self, notice: Notice) {
        let place = (notice.path, notice.object, notice.pointer);
        self.add_group((notice.kind, notice.severity, notice.message), 1, place);
    }

    fn add_group(&mut self, key: NoticeKey, count: usize, place: Place) {
        match self.groups.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert((count, place));
            }
            Entry::Occupied(mut entry) => {
                let group = entry.get_mut();
                group.0 += count;
                if place < group.1 {
                    group.1 = place;
                }
            }
        }
    }

    pub(super) fn merge(&mut self, other: Notices) {
        for (key, (count, place)) in other.groups {
            self.add_group(key, count, place);
        }
    }

    pub(super) fn into_findings(self) -> impl Iterator<Item = Finding> {
        self.groups.into_iter().map(|((kind, severity, message), (count, (path, object, pointer)))| {
            let message = if count > 1 { format!("{message} ({count} objects like this)") } else { message };
            Finding { object, ..Finding::new(path, severity, kind, pointer, message) }
        })
    }
}
