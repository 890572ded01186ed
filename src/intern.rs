//! Interned strings for label fields: a million label items name the same
//! few classes, properties and tasks, so each distinct string is held once
//! and every use is one pointer. Strings are never freed (a process holds
//! as many as its inputs name). The table lives on the global allocator, so
//! running out of memory here is reported like anywhere else, as one line:
//! the `ustr` crate, tried first, allocates beside it and panics instead.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// An interned string: copied as a pointer, equal when the text is equal,
/// ordered and hashed by its text.
#[derive(Clone, Copy)]
pub struct Interned(&'static String);

fn table() -> &'static Mutex<HashMap<&'static str, &'static String>> {
    static TABLE: OnceLock<Mutex<HashMap<&'static str, &'static String>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

impl Interned {
    /// The one `Interned` of `text`.
    pub fn new(text: &str) -> Self {
        let mut table = table().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&held) = table.get(text) {
            return Interned(held);
        }
        let held: &'static String = Box::leak(Box::new(text.to_string()));
        table.insert(held.as_str(), held);
        Interned(held)
    }

    /// The text.
    pub fn as_str(&self) -> &'static str {
        self.0.as_str()
    }
}

impl From<&str> for Interned {
    fn from(text: &str) -> Self {
        Interned::new(text)
    }
}

impl From<&String> for Interned {
    fn from(text: &String) -> Self {
        Interned::new(text)
    }
}

impl std::ops::Deref for Interned {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Interned {
    fn eq(&self, other: &Self) -> bool {
        // One string per text: the same text is the same pointer.
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Interned {}

impl PartialEq<str> for Interned {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Interned {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Interned {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Interned {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Interned {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for Interned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Interned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An interned list of interned strings (a label item's properties or
/// tasks): a million label items list the same few, so each list is held
/// once and every use is one thin pointer, with nothing of its own on the
/// heap.
// A reference to the box, not to the slice: 8 bytes, where a slice
// reference is 16; the point of the type.
#[allow(clippy::borrowed_box)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InternedList(&'static Box<[Interned]>);

#[allow(clippy::borrowed_box)]
type ListTable = HashMap<&'static [Interned], &'static Box<[Interned]>>;

fn lists() -> &'static Mutex<ListTable> {
    static LISTS: OnceLock<Mutex<ListTable>> = OnceLock::new();
    LISTS.get_or_init(Default::default)
}

impl InternedList {
    /// The one `InternedList` of `items`.
    pub fn new(items: &[Interned]) -> Self {
        let mut lists = lists().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&held) = lists.get(items) {
            return InternedList(held);
        }
        #[allow(clippy::borrowed_box)]
        let held: &'static Box<[Interned]> = Box::leak(Box::new(items.to_vec().into_boxed_slice()));
        lists.insert(held, held);
        InternedList(held)
    }
}

impl Default for InternedList {
    /// The empty list, looked up once: every label item's record starts
    /// from a default, so this must not take the table's lock each time.
    fn default() -> Self {
        static EMPTY: OnceLock<InternedList> = OnceLock::new();
        *EMPTY.get_or_init(|| InternedList::new(&[]))
    }
}

impl FromIterator<Interned> for InternedList {
    fn from_iter<I: IntoIterator<Item = Interned>>(iter: I) -> Self {
        let items: Vec<Interned> = iter.into_iter().collect();
        InternedList::new(&items)
    }
}

impl std::ops::Deref for InternedList {
    type Target = [Interned];
    fn deref(&self) -> &[Interned] {
        self.0
    }
}

impl<'a> IntoIterator for &'a InternedList {
    type Item = &'a Interned;
    type IntoIter = std::slice::Iter<'a, Interned>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::fmt::Debug for InternedList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_list_per_sequence_of_texts() {
        let a: InternedList = ["label", "kind"].into_iter().map(Interned::new).collect();
        let b = InternedList::new(&[Interned::new("label"), Interned::new("kind")]);
        assert!(std::ptr::eq(a.as_ptr(), b.as_ptr()));
        assert_eq!(a.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["label", "kind"]);
        let other: InternedList = ["kind", "label"].into_iter().map(Interned::new).collect();
        assert_ne!(a, other);
        assert!(InternedList::default().is_empty());
        assert_eq!(InternedList::default(), InternedList::new(&[]));
        assert_eq!(format!("{a:?}"), r#"["label", "kind"]"#);
    }

    #[test]
    fn one_string_per_text_ordered_by_text() {
        let (a, b) = (Interned::new("class_1"), Interned::from(&"class_1".to_string()));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        let mut names = [Interned::new("b"), Interned::new("a"), Interned::new("c")];
        names.sort();
        assert_eq!(names.map(|n| n.as_str()), ["a", "b", "c"]);
        assert_ne!(Interned::new("a"), Interned::new("b"));
    }
}
