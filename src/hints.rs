//! Hints: what to change when the metrics show a split that will mislead
//! training. Typed, so each front end words the setting its own way (the
//! CLI as a flag); the library names settings by [`Setting::field`].

use std::collections::BTreeMap;

use crate::Setting;
use crate::metrics::QualityMetrics;

/// Classes named per hint before the list is cut.
const NAMED: usize = 5;

/// One hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// Classes that some split has no feature (or item) of.
    ClassesMissingFromSplits {
        /// The label property.
        property: String,
        /// (class, splits without it), by class name.
        classes: Vec<(String, Vec<String>)>,
    },
    /// A random split whose splits overlap in space.
    LeakingRandomSplit {
        /// Overlapping pairs across splits.
        pairs: usize,
    },
    /// A hash split whose splits overlap in space: keyed by id it scatters
    /// neighbours like a random split; keyed by grid cell, footprints that
    /// cross a cell border still leak.
    LeakingHashSplit {
        /// Overlapping pairs across splits.
        pairs: usize,
    },
}

impl Hint {
    /// The hint as one line, the settings spelt by `setting` (for example
    /// [`Setting::field`]).
    pub fn describe(&self, setting: impl Fn(Setting) -> String) -> String {
        match self {
            Hint::ClassesMissingFromSplits { property, classes } => {
                let named: Vec<String> = classes
                    .iter()
                    .take(NAMED)
                    .map(|(class, splits)| format!("{class:?} (none in {})", splits.join(", ")))
                    .collect();
                let more = classes.len().saturating_sub(NAMED);
                format!(
                    "label property {property:?}: {} class{} missing from some split: {}{}; {} stratified splits each class in the ratios",
                    classes.len(),
                    if classes.len() == 1 { " is" } else { "es are" },
                    named.join(", "),
                    if more > 0 { format!(" and {more} more") } else { String::new() },
                    setting(Setting::Strategy),
                )
            }
            Hint::LeakingRandomSplit { pairs } => format!(
                "the random split leaks: {pairs} pairs of items in different splits overlap; {} spatial keeps overlapping footprints in one split",
                setting(Setting::Strategy)
            ),
            Hint::LeakingHashSplit { pairs } => format!(
                "the hash split leaks: {pairs} pairs of items in different splits overlap; {} (a grid cell larger than a footprint) keeps neighbours in one split and stays coordination-free, {} spatial keeps every overlapping footprint in one split",
                setting(Setting::BlockSize),
                setting(Setting::Strategy)
            ),
        }
    }
}

/// The hints the metrics call for. `strategy` is the name of the strategy
/// that made the splits, when known; a leak is hinted for a random or hash
/// split, or one of unknown making (EOTDL's splits are random).
pub fn hints(metrics: &QualityMetrics, strategy: Option<&str>) -> Vec<Hint> {
    let mut hints = Vec::new();
    if let Some(splits) = &metrics.classes_balance.splits {
        for property in &metrics.classes_balance.values {
            let mut missing: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            // Each split's classes of this property, once: a free-text
            // property with thousands of classes stays linear.
            let present: Vec<std::collections::HashSet<&str>> = splits
                .iter()
                .map(|split| {
                    split
                        .values
                        .iter()
                        .filter(|p| p.name == property.name)
                        .flat_map(|p| &p.values)
                        .filter(|c| c.total > 0)
                        .map(|c| c.class.as_str())
                        .collect()
                })
                .collect();
            for class in property.values.iter().filter(|c| c.total > 0) {
                for (split, present) in splits.iter().zip(&present) {
                    if !present.contains(class.class.as_str()) {
                        missing.entry(class.class.as_str()).or_default().push(split.split.clone());
                    }
                }
            }
            if !missing.is_empty() {
                hints.push(Hint::ClassesMissingFromSplits {
                    property: property.name.clone(),
                    classes: missing.into_iter().map(|(c, s)| (c.to_string(), s)).collect(),
                });
            }
        }
    }
    if let Some(leakage) = &metrics.split_leakage
        && leakage.total > 0
    {
        match strategy {
            None | Some("random") => hints.push(Hint::LeakingRandomSplit { pairs: leakage.total }),
            Some("hash") => hints.push(Hint::LeakingHashSplit { pairs: leakage.total }),
            Some(_) => {}
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording_names_the_setting_as_asked() {
        let hint = Hint::ClassesMissingFromSplits {
            property: "class".into(),
            classes: vec![("rare".into(), vec!["Test".into(), "Validation".into()])],
        };
        assert_eq!(
            hint.describe(|s| s.field().to_string()),
            r#"label property "class": 1 class is missing from some split: "rare" (none in Test, Validation); strategy stratified splits each class in the ratios"#
        );
        let leak = Hint::LeakingRandomSplit { pairs: 3 };
        assert!(
            leak.describe(|s| format!("--{}", s.field()))
                .ends_with("--strategy spatial keeps overlapping footprints in one split")
        );
        let hashed = Hint::LeakingHashSplit { pairs: 3 };
        assert!(hashed.describe(|s| format!("--{}", s.field())).contains("; --block_size (a grid cell"));
    }
}
