//! Assigning items to splits, reproducibly.
//!
//! Items are grouped into units that must share a split (a label item and the
//! items its `source` links reach; with the spatial strategy, items whose
//! footprints touch), the units are ordered by their first item (the dataset is
//! already sorted by collection and id), permuted with ChaCha seeded by the
//! user's seed, and each unit goes to the split furthest below its target. The
//! targets come from the ratios by largest remainder, so with one-item units
//! the sizes are exact and nothing is dropped.
//!
//! Two more ways to form and place units: `group_by` joins the items that
//! share the value of a property (all tiles of one field, region or sensor
//! in one split), with any strategy but the temporal one; the temporal
//! strategy places each unit by its time against cutoffs instead of by a
//! permutation (train on earlier, test on later).

use std::borrow::Cow;
use std::collections::HashMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::catalog::Dataset;
use crate::class_counts::ClassCounts;
use crate::error::{Error, Result, Setting};
use crate::union_find::{Groups, UnionFind};

/// Split names and their normalised ratios; valid by construction.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitSpec {
    names: Vec<String>,
    ratios: Vec<f64>,
}

impl SplitSpec {
    /// EOTDL's default names.
    pub const DEFAULT_NAMES: [&'static str; 3] = ["Training", "Validation", "Test"];

    /// Checks names and ratios. Ratios are percentages summing to 100 or
    /// fractions summing to 1; each must be positive.
    pub fn new(names: Vec<String>, ratios: Vec<f64>) -> Result<Self> {
        if ratios.is_empty() {
            return Err(Error::setting(Setting::Ratios, " needs at least one value"));
        }
        if let Some(bad) = ratios.iter().find(|r| !r.is_finite() || **r <= 0.0) {
            return Err(Error::setting(Setting::Ratios, format!(": {bad} is not a positive number")));
        }
        let sum: f64 = ratios.iter().sum();
        let scale = if (sum - 100.0).abs() <= 1e-6 {
            100.0
        } else if (sum - 1.0).abs() <= 1e-9 {
            1.0
        } else {
            return Err(Error::setting(
                Setting::Ratios,
                format!(
                    " {} sum to {}; give percentages that sum to 100 or fractions that sum to 1",
                    ratios.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(","),
                    // 0.5 + 0.2 + 0.2 is 0.8999999999999999 in binary floating point.
                    ((sum * 1e9).round() / 1e9)
                ),
            ));
        };
        if names.len() != ratios.len() {
            return Err(Error::NamesForRatios { names, ratios: ratios.len() });
        }
        for (i, name) in names.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(Error::setting(Setting::Names, ": a split name is empty"));
            }
            if names[..i].contains(name) {
                return Err(Error::setting(Setting::Names, format!(": {name:?} is given twice")));
            }
        }
        Ok(SplitSpec { names, ratios: ratios.iter().map(|r| r / scale).collect() })
    }

    /// The split names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The ratios as fractions summing to 1.
    pub fn ratios(&self) -> &[f64] {
        &self.ratios
    }

    /// Exact counts for `total` items: floors of the quotas, then the
    /// remainder to the largest fractional parts (earlier split on ties).
    pub fn targets(&self, total: usize) -> Vec<usize> {
        let quotas: Vec<f64> = self.ratios.iter().map(|r| r * total as f64).collect();
        let floors = quotas.iter().map(|q| q.floor() as u64).collect();
        let fractions: Vec<f64> = quotas.iter().map(|q| q - q.floor()).collect();
        crate::largest_remainder::complete(floors, total as u64, &fractions, f64::total_cmp)
            .into_iter()
            .map(|c| c as usize)
            .collect()
    }
}

/// How units of items are formed.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// Each label item with its source items is a unit.
    Random,
    /// As random, but each class's units are split in the ratios on their
    /// own (the class of a unit is the majority class of its first label
    /// item). A class with a single unit goes to the split furthest below its
    /// target, which is the first split when nothing is assigned yet.
    Stratified,
    /// Units also join when their footprints overlap with positive area, or,
    /// with a block size, when their bbox centres fall in the same grid cell of
    /// that many degrees: no overlapping tiles end up in different splits.
    Spatial {
        /// Grid cell edge in degrees.
        block_size: Option<f64>,
    },
    /// Each unit goes by its time (the earliest `datetime`, else
    /// `start_datetime`, of its items): before the first cutoff to the first
    /// split, from the first cutoff to before the second to the second, and
    /// so on. No permutation; the seed and the ratios play no part.
    Temporal(Cutoffs),
    /// Each unit goes by a hash of its key and the seed against thresholds
    /// from the ratios (see [`crate::hash_split`]): no permutation, so a
    /// database can compute the same split row by row, any part of a catalog
    /// can be split on its own, and a growing catalog keeps every old
    /// assignment. The key is the unit's label item id (the smallest, for
    /// label items joined by a shared source), or with a block size the grid
    /// cell of that item's bbox centre, or with `group_by` its value of the
    /// property. Sizes approach the ratios.
    Hash {
        /// Grid cell edge in degrees, to key units by cell.
        block_size: Option<f64>,
    },
}

impl Strategy {
    /// The strategy's name as the CLI spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Stratified => "stratified",
            Strategy::Spatial { .. } => "spatial",
            Strategy::Temporal(_) => "temporal",
            Strategy::Hash { .. } => "hash",
        }
    }
}

/// The cutoffs of a temporal split, strictly increasing; valid by
/// construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Cutoffs {
    times: Vec<chrono::DateTime<chrono::Utc>>,
    undated: Option<u16>,
}

impl Cutoffs {
    /// Parses cutoffs (RFC 3339 date-times, or dates `YYYY-MM-DD` meaning
    /// midnight UTC), which must increase strictly and number one less than
    /// the splits; `undated` is the index of the split for units without a
    /// time (else they are refused).
    pub fn new(texts: &[String], splits: usize, undated: Option<u16>) -> Result<Self> {
        if texts.is_empty() {
            return Err(Error::setting(Setting::Cutoffs, " needs at least one date"));
        }
        let mut times = Vec::with_capacity(texts.len());
        for text in texts {
            let text = text.trim();
            let time = chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
                })
                .map_err(|_| {
                    Error::setting(
                        Setting::Cutoffs,
                        format!(": {text:?} is not a date (YYYY-MM-DD) or an RFC 3339 date-time"),
                    )
                })?;
            if let Some(last) = times.last()
                && time <= *last
            {
                return Err(Error::setting(
                    Setting::Cutoffs,
                    format!(": {text:?} is not after the cutoff before it; give them in increasing order"),
                ));
            }
            times.push(time);
        }
        if times.len() + 1 != splits {
            return Err(Error::setting(
                Setting::Cutoffs,
                format!(
                    ": {} cutoffs make {} splits, but {splits} split names are given; give one name more than cutoffs",
                    times.len(),
                    times.len() + 1
                ),
            ));
        }
        Ok(Cutoffs { times, undated })
    }

    /// The cutoffs as RFC 3339 text in UTC, for the record of the split.
    pub fn texts(&self) -> Vec<String> {
        self.times.iter().map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)).collect()
    }

    /// The split of units without a time, if one was chosen.
    pub fn undated(&self) -> Option<u16> {
        self.undated
    }

    /// The split index of a time: how many cutoffs are at or before it.
    pub fn split_of(&self, time: chrono::DateTime<chrono::Utc>) -> u16 {
        self.times.iter().take_while(|c| **c <= time).count() as u16
    }
}

/// Everything that decides a split.
#[derive(Debug, Clone)]
pub struct SplitOptions {
    /// Names and ratios.
    pub spec: SplitSpec,
    /// The seed of the permutation.
    pub seed: u64,
    /// How units are formed.
    pub strategy: Strategy,
    /// Index of the node whose items (and its descendants' items) are split.
    pub node: usize,
    /// Splits of a previous version, by item id, to keep.
    pub keep: Option<HashMap<String, String>>,
    /// Keep the items that share this property's value in one split (the
    /// item's `properties`, else its top-level field of that name). Not with
    /// [`Strategy::Temporal`].
    pub group_by: Option<String>,
}

/// The result: a split index for every item that has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The split names, in order.
    pub names: Vec<String>,
    /// Split index by item index; `None` for items outside the split.
    pub split_of: Vec<Option<u16>>,
    /// True for items that were split directly (the chosen collection's),
    /// false for items that only inherit a split through `source` links.
    pub member: Vec<bool>,
    /// Item counts per split among members.
    pub counts: Vec<usize>,
    /// Target counts per split among members.
    pub targets: Vec<usize>,
    /// Members whose split came from the previous version.
    pub kept: usize,
    /// Ids the previous version assigned that are gone now, sorted.
    pub gone: Vec<String>,
    /// With `group_by`: members lacking the property (each its own group).
    /// Not counted by the hash strategy, which counts `keyed_by_id` instead.
    pub ungrouped: usize,
    /// With the hash strategy and a block size or `group_by`: units keyed by
    /// their id because their key item has no bbox or lacks the property.
    pub keyed_by_id: usize,
}

impl Assignment {
    /// The split name of an item.
    pub fn name_of(&self, item: usize) -> Option<&str> {
        self.split_of[item].map(|k| self.names[k as usize].as_str())
    }

    /// The splits as the metrics, the balance and the report take them.
    pub fn view(&self) -> SplitView<'_> {
        SplitView { names: Cow::Borrowed(&self.names), split_of: Cow::Borrowed(&self.split_of) }
    }
}

/// Which split each item is in: the one shape splits travel in, whether
/// freshly assigned (borrowed from an [`Assignment`]) or recorded in a
/// catalog's items ([`SplitView::existing`], owned).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitView<'a> {
    /// The split names, in order.
    pub names: Cow<'a, [String]>,
    /// Split index (into `names`) by item index; `None` for items in no split.
    pub split_of: Cow<'a, [Option<u16>]>,
}

impl SplitView<'_> {
    /// Splits already recorded in a catalog's items (`ml-dataset:split`),
    /// named in the order of the root's `ml-dataset:splits`, then any others
    /// sorted. `None` when no item carries a split.
    pub fn existing(dataset: &Dataset) -> Option<SplitView<'static>> {
        if dataset.items.iter().all(|i| i.split.is_none()) {
            return None;
        }
        let mut names: Vec<String> = match dataset.root().json.get("ml-dataset:splits") {
            Some(serde_json::Value::Array(list)) => {
                list.iter().filter_map(serde_json::Value::as_str).map(String::from).collect()
            }
            _ => Vec::new(),
        };
        let mut others: Vec<String> = dataset
            .items
            .iter()
            .filter_map(|i| i.split.as_deref())
            .filter(|s| !names.iter().any(|n| n == s))
            .map(String::from)
            .collect();
        others.sort();
        others.dedup();
        names.extend(others);
        let split_of: Vec<Option<u16>> = dataset
            .items
            .iter()
            .map(|i| i.split.as_deref().and_then(|s| names.iter().position(|n| n == s)).map(|k| k as u16))
            .collect();
        Some(SplitView { names: Cow::Owned(names), split_of: Cow::Owned(split_of) })
    }

    /// The split name of an item.
    pub fn name_of(&self, item: usize) -> Option<&str> {
        self.split_of[item].map(|k| self.names[k as usize].as_str())
    }

    /// Items per split, in the order of the names.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.names.len()];
        for k in self.split_of.iter().flatten() {
            counts[*k as usize] += 1;
        }
        counts
    }
}

/// Indices of the items of `node` and of every node below it.
pub fn subtree_items(dataset: &Dataset, node: usize) -> Vec<usize> {
    let mut stack = vec![node];
    let mut items = Vec::new();
    while let Some(n) = stack.pop() {
        items.extend_from_slice(&dataset.nodes[n].items);
        stack.extend(dataset.nodes[n].children.iter().rev());
    }
    items.sort_unstable();
    items
}

/// Assigns splits. The stratified strategy takes each unit's class from
/// `classes`; without them it reads them here (and drops their warnings), so
/// a caller that also measures class balance should read them once with
/// [`ClassCounts::read`] and pass them.
pub fn assign(dataset: &Dataset, options: &SplitOptions, classes: Option<&ClassCounts>) -> Result<Assignment> {
    let names = options.spec.names().to_vec();
    let members = subtree_items(dataset, options.node);
    let n = dataset.items.len();
    let mut member = vec![false; n];
    for &i in &members {
        member[i] = true;
    }

    // Units: members joined through shared source items.
    let mut units = UnionFind::new(n);
    // The first member linking each non-member source: four bytes an item
    // rather than a hash map entry per source.
    let mut first_linker: Vec<u32> = vec![u32::MAX; n];
    for &i in &members {
        for &s in dataset.items[i].sources.iter() {
            if member[s] {
                units.union(i, s);
            } else if first_linker[s] != u32::MAX {
                units.union(i, first_linker[s] as usize);
            } else {
                first_linker[s] = i as u32;
            }
        }
    }
    drop(first_linker);
    if let Strategy::Spatial { block_size } = options.strategy {
        join_spatially(dataset, &members, block_size, &mut units)?;
    }
    let mut ungrouped = 0;
    if let Some(property) = &options.group_by {
        if matches!(options.strategy, Strategy::Temporal(_)) {
            return Err(Error::setting(Setting::GroupBy, " does not combine with the temporal strategy"));
        }
        // The hash strategy keys units by the value instead: equal values, equal splits.
        if !matches!(options.strategy, Strategy::Hash { .. }) {
            ungrouped = join_groups(dataset, &members, property, &mut units)?;
        }
    }
    let groups = units.groups(&members);
    drop(units);

    let index_of: HashMap<&str, u16> = names.iter().enumerate().map(|(k, s)| (s.as_str(), k as u16)).collect();
    let mut split_of: Vec<Option<u16>> = vec![None; n];
    let mut counts = vec![0usize; names.len()];
    let mut kept = 0;
    let mut gone = Vec::new();
    if let Some(keep) = &options.keep {
        let mut present = std::collections::HashSet::new();
        for &i in &members {
            let id = dataset.items[i].id.as_str();
            present.insert(id);
            if let Some(name) = keep.get(id) {
                let Some(&k) = index_of.get(name.as_str()) else {
                    return Err(Error::KeptSplitUnknown {
                        id: id.to_string(),
                        split: name.clone(),
                        names: names.to_vec(),
                    });
                };
                split_of[i] = Some(k);
                counts[k as usize] += 1;
                kept += 1;
            }
        }
        gone = keep.keys().filter(|id| !present.contains(id.as_str())).cloned().collect();
        gone.sort_unstable();
    }

    if let Strategy::Temporal(cutoffs) = &options.strategy {
        place_by_time(dataset, &groups, cutoffs, &mut split_of, &mut counts)?;
        // Times decide, not ratios: the sizes are what they are.
        let targets = counts.clone();
        propagate_to_sources(dataset, &members, &member, &mut split_of);
        return Ok(Assignment { names, split_of, member, counts, targets, kept, gone, ungrouped, keyed_by_id: 0 });
    }
    if let Strategy::Hash { block_size } = options.strategy {
        let keyed_by_id = place_by_hash(dataset, &groups, options, block_size, &mut split_of, &mut counts)?;
        let targets = options.spec.targets(members.len());
        propagate_to_sources(dataset, &members, &member, &mut split_of);
        return Ok(Assignment { names, split_of, member, counts, targets, kept, gone, ungrouped, keyed_by_id });
    }
    let targets = options.spec.targets(members.len());
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    // Strata of unit numbers; shuffling the numbers is shuffling the units.
    let strata: Vec<Vec<u32>> = match &options.strategy {
        Strategy::Stratified => match classes {
            Some(classes) => stratify(dataset, classes, &groups),
            None => stratify(dataset, &ClassCounts::read(dataset, &mut Default::default()), &groups),
        },
        _ => vec![(0..groups.len() as u32).collect()],
    };
    for mut order in strata {
        order.shuffle(&mut rng);
        // Per-stratum targets keep each class in the ratios; the global
        // deficit breaks ties so the totals stay close to the targets too.
        let size: usize = order.iter().map(|&g| groups.get(g as usize).len()).sum();
        let local_targets = options.spec.targets(size);
        let mut local = vec![0usize; names.len()];
        for &g in &order {
            let group = groups.get(g as usize);
            if let Some(k) = group.iter().find_map(|&i| split_of[i as usize]) {
                local[k as usize] += group.len();
            }
        }
        let units = order.iter().map(|&g| groups.get(g as usize));
        distribute(units, &local_targets, &mut local, &targets, &mut counts, &mut split_of);
    }
    propagate_to_sources(dataset, &members, &member, &mut split_of);
    Ok(Assignment { names, split_of, member, counts, targets, kept, gone, ungrouped, keyed_by_id: 0 })
}

/// Source items outside the chosen collection follow their label items.
fn propagate_to_sources(dataset: &Dataset, members: &[usize], member: &[bool], split_of: &mut [Option<u16>]) {
    for &i in members {
        for &s in &dataset.items[i].sources {
            if !member[s] && split_of[s].is_none() {
                split_of[s] = split_of[i];
            }
        }
    }
}

/// Places each unit without a kept split by the earliest time of its items.
fn place_by_time(
    dataset: &Dataset,
    groups: &Groups,
    cutoffs: &Cutoffs,
    split_of: &mut [Option<u16>],
    counts: &mut [usize],
) -> Result<()> {
    let time = |i: usize| dataset.items[i].datetime?.instant();
    for group in groups.iter() {
        let k = match group.iter().find_map(|&i| split_of[i as usize]) {
            // A unit with kept items stays where the previous version put them.
            Some(k) => k,
            None => match group.iter().filter_map(|&i| time(i as usize)).min() {
                Some(t) => cutoffs.split_of(t),
                None => match cutoffs.undated() {
                    Some(k) => k,
                    None => {
                        let first = group[0] as usize;
                        let path = dataset.item_file(first).to_path_buf();
                        return Err(Error::Undated { path, id: dataset.items[first].id.clone() });
                    }
                },
            },
        };
        for &i in group {
            if split_of[i as usize].is_none() {
                split_of[i as usize] = Some(k);
                counts[k as usize] += 1;
            }
        }
    }
    Ok(())
}

/// Places each unit without a kept split by the hash of its key; returns
/// how many units were keyed by id for want of a bbox or the property.
fn place_by_hash(
    dataset: &Dataset,
    groups: &Groups,
    options: &SplitOptions,
    block_size: Option<f64>,
    split_of: &mut [Option<u16>],
    counts: &mut [usize],
) -> Result<usize> {
    use crate::hash_split::{self, KeyItem, KeyKind};
    let items = &dataset.items;
    fn key_item<'a>(item: &'a crate::catalog::ItemRecord, value: Option<&'a str>) -> KeyItem<'a> {
        KeyItem { id: item.id.as_str(), label: item.is_label(), bbox: item.bbox.as_ref(), value }
    }
    // Units with kept items stay where the previous version put them.
    let open: Vec<&[u32]> = groups.iter().filter(|g| g.iter().all(|&i| split_of[i as usize].is_none())).collect();
    let keys: Vec<usize> = open
        .iter()
        .map(|g| {
            let by_key = |&&a: &&u32, &&b: &&u32| {
                hash_split::key_order(&key_item(&items[a as usize], None), &key_item(&items[b as usize], None))
            };
            *g.iter().min_by(by_key).expect("units have items") as usize
        })
        .collect();
    let (kind, values) = match (&options.group_by, block_size) {
        (Some(property), _) => {
            let values = property_values(dataset, &keys, property)?;
            (KeyKind::Property(property), values.iter().map(|v| v.as_ref().and_then(hash_split::value_key)).collect())
        }
        (None, Some(size)) => (KeyKind::Cell(size), vec![None; keys.len()]),
        (None, None) => (KeyKind::Id, vec![None; keys.len()]),
    };
    let thresholds = hash_split::thresholds(options.spec.ratios());
    let mut keyed_by_id = 0;
    for ((group, &i), value) in open.iter().zip(&keys).zip(&values) {
        let (key, by_id) = hash_split::key_of(&key_item(&items[i], value.as_deref()), kind);
        keyed_by_id += usize::from(by_id);
        let k = hash_split::split_of(hash_split::position(options.seed, &key), &thresholds);
        for &i in group.iter() {
            split_of[i as usize] = Some(k);
            counts[k as usize] += 1;
        }
    }
    // New items of units with kept ones join the split of the first kept item.
    for group in groups.iter() {
        if let Some(k) = group.iter().find_map(|&i| split_of[i as usize]) {
            for &i in group {
                if split_of[i as usize].is_none() {
                    split_of[i as usize] = Some(k);
                    counts[k as usize] += 1;
                }
            }
        }
    }
    Ok(keyed_by_id)
}

/// The value of `property` of each item (its `properties`, else its
/// top-level field of that name; `None` when absent). Item files are read
/// again, on the I/O pool: loading keeps no free-form properties.
fn property_values(dataset: &Dataset, items: &[usize], property: &str) -> Result<Vec<Option<serde_json::Value>>> {
    crate::catalog::read::read_each(items, |_, &i, reader| {
        let mut json = dataset.read_item(i, reader)?;
        let value = match json.get_mut("properties").and_then(|p| p.get_mut(property)) {
            Some(value) => Some(value.take()),
            None => json.get_mut(property).map(serde_json::Value::take),
        };
        Ok(value.filter(|v| !v.is_null()))
    })
    .into_iter()
    .collect()
}

/// Joins the members that share the value of `property`; returns how many
/// lack it (each stays a group of its own).
fn join_groups(dataset: &Dataset, members: &[usize], property: &str, units: &mut UnionFind) -> Result<usize> {
    let values = property_values(dataset, members, property)?;
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut lacking = 0;
    for (&i, value) in members.iter().zip(values) {
        match value {
            // The JSON text: 1 and "1" are different values.
            Some(value) => match first.get(&value.to_string()) {
                Some(&j) => units.union(i, j),
                None => {
                    first.insert(value.to_string(), i);
                }
            },
            None => lacking += 1,
        }
    }
    Ok(lacking)
}

/// Gives each unit the split furthest below its target (kept units stay).
fn distribute<'a>(
    groups: impl Iterator<Item = &'a [u32]>,
    targets: &[usize],
    local: &mut [usize],
    global_targets: &[usize],
    counts: &mut [usize],
    split_of: &mut [Option<u16>],
) {
    for group in groups {
        // A unit with kept items stays where the previous version put them;
        // its new items join the split of its first kept item.
        let k = match group.iter().find_map(|&i| split_of[i as usize]) {
            Some(k) => k,
            None => (0..targets.len())
                .max_by(|&a, &b| {
                    let da = targets[a] as i64 - local[a] as i64;
                    let db = targets[b] as i64 - local[b] as i64;
                    let ga = global_targets[a] as i64 - counts[a] as i64;
                    let gb = global_targets[b] as i64 - counts[b] as i64;
                    da.cmp(&db).then(ga.cmp(&gb)).then(b.cmp(&a))
                })
                .expect("at least one split") as u16,
        };
        for &i in group {
            if split_of[i as usize].is_none() {
                split_of[i as usize] = Some(k);
                counts[k as usize] += 1;
                local[k as usize] += 1;
            }
        }
    }
}

/// Groups units (their numbers) by the majority class of their first label
/// item; strata in class-name order, units without a class last.
fn stratify(dataset: &Dataset, classes: &ClassCounts, groups: &Groups) -> Vec<Vec<u32>> {
    let mut strata: std::collections::BTreeMap<(bool, String), Vec<u32>> = Default::default();
    for (g, group) in groups.iter().enumerate() {
        let class =
            group.iter().find(|&&i| dataset.items[i as usize].is_label()).and_then(|&i| classes.majority(i as usize));
        strata.entry((class.is_none(), class.unwrap_or_default().to_string())).or_default().push(g as u32);
    }
    strata.into_values().collect()
}

/// The smallest grid cell `block_size` accepts, in degrees (about 11 cm at
/// the equator). Smaller cells are below the precision of real footprints,
/// and far smaller ones overflow the cell index: at 1e-300 every centre's
/// index saturates to the same `i64` and all items share one cell.
pub const MIN_BLOCK_SIZE: f64 = 1e-6;

/// The largest grid cell `block_size` accepts, in degrees: one cell already
/// spans every longitude.
pub const MAX_BLOCK_SIZE: f64 = 360.0;

/// Checks a grid cell size: a finite number of degrees from
/// [`MIN_BLOCK_SIZE`] to [`MAX_BLOCK_SIZE`]. Needs no data, so callers check
/// it before reading any.
pub fn check_block_size(size: f64) -> Result<()> {
    if (MIN_BLOCK_SIZE..=MAX_BLOCK_SIZE).contains(&size) {
        return Ok(());
    }
    Err(Error::setting(
        Setting::BlockSize,
        format!(" must be between {MIN_BLOCK_SIZE:e} and {MAX_BLOCK_SIZE} degrees, got {size}"),
    ))
}

/// Joins units whose footprints overlap, or whose bbox centres share a grid cell.
fn join_spatially(dataset: &Dataset, members: &[usize], block_size: Option<f64>, units: &mut UnionFind) -> Result<()> {
    use rayon::prelude::*;
    let items = &dataset.items;
    // Members with bit-identical footprints (a time series of one tile) form
    // one group, joined at once; the R-tree holds one representative per
    // group, so many items on one footprint cost linear work, not a pair each.
    let candidates: Vec<u32> = members.iter().map(|&i| i as u32).collect();
    let groups = crate::duplicates::group_footprints(items, candidates, false);
    for g in 0..groups.len() {
        let group = groups.get(g);
        let first = group[0] as usize;
        // A footprint without area overlaps nothing, not even its twins.
        if group.len() > 1 && crate::geometry::iou(&items[first], &items[first]) > 0.0 {
            for &i in &group[1..] {
                units.union(first, i as usize);
            }
        }
    }
    // One envelope per group, found by group number; groups are ordered by
    // their first item, so `h > g` lists each pair once.
    let index = crate::index::SpatialIndex::numbered(dataset, (0..groups.len()).map(|g| (g as u32, groups.first(g))));
    let groups = &groups;
    let pairs: Vec<(usize, usize)> = (0..groups.len())
        .into_par_iter()
        .flat_map_iter(|g| {
            let a = groups.first(g);
            let bbox = items[a].bbox;
            let hits = bbox.map(|b| index.touching(&b)).unwrap_or_default();
            let touch = move |b: usize| bbox.zip(items[b].bbox).is_some_and(|(x, y)| crate::index::touch(&x, &y));
            hits.into_iter()
                .filter(move |&h| h > g)
                .map(move |h| groups.first(h))
                .filter(move |&b| touch(b) && crate::geometry::iou(&items[a], &items[b]) > 0.0)
                .map(move |b| (a, b))
        })
        .collect();
    for (a, b) in pairs {
        units.union(a, b);
    }
    if let Some(size) = block_size {
        check_block_size(size)?;
        let mut cells: HashMap<(i64, i64), usize> = HashMap::new();
        for &i in members {
            let Some(b) = items[i].bbox else { continue };
            // A bbox crossing the antimeridian (west > east) is centred near ±180°, not near 0°.
            let mut x = if b[0] > b[2] { (b[0] + b[2] + 360.0) / 2.0 } else { (b[0] + b[2]) / 2.0 };
            if x > 180.0 {
                x -= 360.0;
            }
            let cell = ((x / size).floor() as i64, ((b[1] + b[3]) / 2.0 / size).floor() as i64);
            match cells.get(&cell) {
                Some(&first) => units.union(first, i),
                None => {
                    cells.insert(cell, i);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(ratios: &[f64]) -> SplitSpec {
        let names = (0..ratios.len()).map(|i| format!("s{i}")).collect();
        SplitSpec::new(names, ratios.to_vec()).unwrap()
    }

    #[test]
    fn largest_remainder_never_drops() {
        assert_eq!(spec(&[80.0, 10.0, 10.0]).targets(4), vec![3, 1, 0]);
        assert_eq!(spec(&[80.0, 10.0, 10.0]).targets(99), vec![79, 10, 10]);
        assert_eq!(spec(&[80.0, 10.0, 10.0]).targets(100), vec![80, 10, 10]);
        assert_eq!(spec(&[0.5, 0.5]).targets(3), vec![2, 1]);
        assert_eq!(spec(&[1.0]).targets(7), vec![7]);
        for n in 0..200 {
            assert_eq!(spec(&[70.0, 20.0, 10.0]).targets(n).iter().sum::<usize>(), n);
        }
    }

    #[test]
    fn bad_ratios_are_refused() {
        let names = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        assert!(SplitSpec::new(names(2), vec![80.0, 10.0]).is_err());
        assert!(SplitSpec::new(names(2), vec![100.0, 0.0]).is_err());
        assert!(SplitSpec::new(names(2), vec![-0.5, 1.5]).is_err());
        assert!(SplitSpec::new(names(3), vec![50.0, 50.0]).is_err());
        assert!(SplitSpec::new(vec!["a".into(), "a".into()], vec![50.0, 50.0]).is_err());
        assert!(SplitSpec::new(names(2), vec![0.25, 0.75]).is_ok());
    }

    #[test]
    fn cutoffs_place_times_at_or_after_each_cutoff_later() {
        let texts = vec!["2021-01-01".to_string(), "2022-01-01T00:00:00+01:00".to_string()];
        let cutoffs = Cutoffs::new(&texts, 3, None).unwrap();
        let at = |t: &str| cutoffs.split_of(chrono::DateTime::parse_from_rfc3339(t).unwrap().into());
        assert_eq!(at("2020-12-31T23:59:59Z"), 0);
        assert_eq!(at("2021-01-01T00:00:00Z"), 1);
        // The second cutoff is 2021-12-31T23:00:00Z.
        assert_eq!(at("2021-12-31T22:59:59Z"), 1);
        assert_eq!(at("2021-12-31T23:00:00Z"), 2);
        assert_eq!(cutoffs.texts(), ["2021-01-01T00:00:00Z", "2021-12-31T23:00:00Z"]);
        assert!(Cutoffs::new(&texts, 2, None).is_err());
        assert!(Cutoffs::new(&[], 1, None).is_err());
    }

    mod hash {
        use std::collections::BTreeMap;
        use std::path::Path;

        use super::super::*;
        use crate::generate::{GenerateOptions, generate};

        fn generated(dir: &Path, pairs: usize) -> Dataset {
            let out = dir.join(format!("gen-{pairs}"));
            let options = GenerateOptions {
                out: out.clone(),
                pairs,
                classes: 2,
                dup_rate: 0.0,
                overlap: 0.0,
                seed: 1,
                footprints: None,
                geoparquet: false,
            };
            generate(&options).unwrap();
            crate::catalog::load(&out.join("catalog.json")).unwrap()
        }

        fn options(dataset: &Dataset, strategy: Strategy, group_by: Option<&str>) -> SplitOptions {
            let spec =
                SplitSpec::new(SplitSpec::DEFAULT_NAMES.map(String::from).to_vec(), vec![80.0, 10.0, 10.0]).unwrap();
            SplitOptions {
                spec,
                seed: 7,
                strategy,
                node: dataset.node_by_id("labels").unwrap(),
                keep: None,
                group_by: group_by.map(String::from),
            }
        }

        /// Split name by (collection id, item id), for every item with a split.
        fn named(dataset: &Dataset, assignment: &Assignment) -> BTreeMap<(String, String), String> {
            dataset
                .items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let name = assignment.name_of(i)?.to_string();
                    Some(((dataset.nodes[item.node as usize].id.clone(), item.id.clone()), name))
                })
                .collect()
        }

        #[test]
        fn a_growing_catalog_keeps_every_old_assignment() {
            let dir = tempfile::tempdir().unwrap();
            let (small, large) = (generated(dir.path(), 60), generated(dir.path(), 150));
            // Keyed by id: the generator lays tiles out on a grid that widens
            // with the item count, so bboxes (and cells) change as it grows.
            let hash = |d: &Dataset| {
                named(d, &assign(d, &options(d, Strategy::Hash { block_size: None }, None), None).unwrap())
            };
            let (before, after) = (hash(&small), hash(&large));
            assert_eq!(before.len(), 120, "labels and their sources");
            assert_eq!(after.len(), 300);
            for (item, split) in &before {
                assert_eq!(&after[item], split, "{item:?} moved");
            }
            let used: std::collections::BTreeSet<&String> = after.values().collect();
            assert_eq!(used.len(), 3, "every split is used: {used:?}");
            // The random strategy, for contrast, reshuffles when items are added.
            let random = |d: &Dataset| named(d, &assign(d, &options(d, Strategy::Random, None), None).unwrap());
            let (before, after) = (random(&small), random(&large));
            assert!(before.iter().any(|(item, split)| &after[item] != split));
        }

        #[test]
        fn assignments_match_the_hash_of_each_label_id() {
            let dir = tempfile::tempdir().unwrap();
            let dataset = generated(dir.path(), 40);
            let assignment =
                assign(&dataset, &options(&dataset, Strategy::Hash { block_size: None }, None), None).unwrap();
            let thresholds = crate::hash_split::thresholds(&[0.8, 0.1, 0.1]);
            let mut sources = 0;
            for (i, item) in dataset.items.iter().enumerate() {
                if item.is_label() {
                    let k = crate::hash_split::split_of(crate::hash_split::position(7, &item.id), &thresholds);
                    assert_eq!(assignment.split_of[i], Some(k), "{}", item.id);
                    for &s in &item.sources {
                        assert_eq!(assignment.split_of[s], Some(k), "source of {}", item.id);
                        sources += 1;
                    }
                }
            }
            assert_eq!(sources, 40);
            // Targets are shown beside sizes, which only approach them.
            assert_eq!(assignment.targets, [32, 4, 4]);
            assert_eq!(assignment.counts.iter().sum::<usize>(), 40);
        }

        #[test]
        fn assignments_do_not_depend_on_item_order() {
            let dir = tempfile::tempdir().unwrap();
            let dataset = generated(dir.path(), 50);
            // The same catalog with its items in reverse order.
            let mut reversed = crate::catalog::load(&dir.path().join("gen-50/catalog.json")).unwrap();
            let n = reversed.items.len();
            reversed.items.reverse();
            for item in &mut reversed.items {
                item.sources.iter_mut().for_each(|s| *s = n - 1 - *s);
            }
            for node in &mut reversed.nodes {
                node.items.iter_mut().for_each(|i| *i = n - 1 - *i);
            }
            for (strategy, group_by) in [
                (Strategy::Hash { block_size: None }, None),
                (Strategy::Hash { block_size: Some(0.03) }, None),
                (Strategy::Hash { block_size: None }, Some("collection")),
            ] {
                let forward = assign(&dataset, &options(&dataset, strategy.clone(), group_by), None).unwrap();
                let backward = assign(&reversed, &options(&reversed, strategy.clone(), group_by), None).unwrap();
                assert_eq!(named(&dataset, &forward), named(&reversed, &backward), "{strategy:?} {group_by:?}");
            }
            // The random strategy, for contrast, depends on the order.
            let forward = assign(&dataset, &options(&dataset, Strategy::Random, None), None).unwrap();
            let backward = assign(&reversed, &options(&reversed, Strategy::Random, None), None).unwrap();
            assert_ne!(named(&dataset, &forward), named(&reversed, &backward));
        }

        #[test]
        fn a_group_by_value_keys_every_unit_that_has_it() {
            let dir = tempfile::tempdir().unwrap();
            let dataset = generated(dir.path(), 30);
            // Every label item has collection "labels": one key, one split.
            let grouped = options(&dataset, Strategy::Hash { block_size: None }, Some("collection"));
            let assignment = assign(&dataset, &grouped, None).unwrap();
            let k = crate::hash_split::split_of(
                crate::hash_split::position(7, "labels"),
                &crate::hash_split::thresholds(&[0.8, 0.1, 0.1]),
            );
            assert!(assignment.split_of.iter().all(|s| *s == Some(k)), "{:?}", assignment.counts);
            assert_eq!((assignment.keyed_by_id, assignment.ungrouped), (0, 0));
            // A property no item has: each unit falls back to its id, and says so.
            let missing = options(&dataset, Strategy::Hash { block_size: None }, Some("no-such-property"));
            let by_id = assign(&dataset, &missing, None).unwrap();
            assert_eq!(by_id.keyed_by_id, 30);
            let plain = assign(&dataset, &options(&dataset, Strategy::Hash { block_size: None }, None), None).unwrap();
            assert_eq!(by_id.split_of, plain.split_of);
        }

        #[test]
        fn kept_units_keep_their_split() {
            let dir = tempfile::tempdir().unwrap();
            let dataset = generated(dir.path(), 20);
            let mut options = options(&dataset, Strategy::Hash { block_size: None }, None);
            let fresh = assign(&dataset, &options, None).unwrap();
            // Keep every label in the split the hash would not give it.
            let labels: Vec<usize> = (0..dataset.items.len()).filter(|&i| dataset.items[i].is_label()).collect();
            let keep: HashMap<String, String> = labels
                .iter()
                .map(|&i| {
                    let other = (fresh.split_of[i].unwrap() as usize + 1) % 3;
                    (dataset.items[i].id.clone(), SplitSpec::DEFAULT_NAMES[other].to_string())
                })
                .collect();
            options.keep = Some(keep.clone());
            let kept = assign(&dataset, &options, None).unwrap();
            assert_eq!(kept.kept, 20);
            for &i in &labels {
                assert_eq!(kept.name_of(i), Some(keep[&dataset.items[i].id].as_str()));
                for &s in &dataset.items[i].sources {
                    assert_eq!(kept.split_of[s], kept.split_of[i], "sources follow kept labels");
                }
            }
        }
    }
}
