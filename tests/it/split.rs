//! `stac-ml split` on real catalogs (read in place from ../shared/testdata),
//! on generated catalogs and on small catalogs built inline.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::{
    Tree, assert_same_tree, check_tree, files_under, generate, input_items, is_remote, links, read_json, resolve,
    snapshot, split, split_env, split_items, tempdir, testdata, write_json,
};

const ML_DATASET: &str = "https://raw.githubusercontent.com/earthpulse/ml-dataset/main/json-schema/schema.json";
const ML_AOI: &str = "https://stac-extensions.github.io/ml-aoi/v0.2.0/schema.json";
const DEFAULT_SPLITS: [&str; 3] = ["Training", "Validation", "Test"];

/// The `stac_extensions` of a STAC object as strings.
fn extensions(json: &Value) -> Vec<&str> {
    json["stac_extensions"].as_array().map(|l| l.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// Checks `ml-dataset:split-items` of the collection `id`: the lists are
/// sorted and disjoint, their union is exactly the collection's items, each
/// item's own `ml-dataset:split` agrees, and the sizes are `sizes`.
#[track_caller]
fn check_partition(tree: &Tree, id: &str, names: &[&str], sizes: &[usize]) -> BTreeMap<String, String> {
    let node = read_json(&tree.node(id));
    let lists = split_items(&node);
    let listed_names: Vec<&str> = node["ml-dataset:split-items"]
        .as_array()
        .expect("split-items")
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(listed_names, names, "split-items names of {id}");
    let mut split_of: BTreeMap<String, String> = BTreeMap::new();
    for (name, ids) in &lists {
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(&sorted, ids, "split-items {name} of {id} are not sorted");
        for item in ids {
            let earlier = split_of.insert(item.clone(), name.clone());
            assert!(earlier.is_none(), "{item} is in split {name} and in {earlier:?}");
        }
    }
    let items = tree.items_of(id);
    let item_ids: BTreeSet<&String> = items.keys().collect();
    let listed: BTreeSet<&String> = split_of.keys().collect();
    assert_eq!(listed, item_ids, "the union of the split-items of {id} is not its items");
    for (item_id, (path, item)) in &items {
        assert_eq!(item.split(), Some(split_of[item_id].as_str()), "{}", path.display());
        assert!(extensions(&item.json).contains(&ML_DATASET), "{}: no ML-Dataset extension", path.display());
    }
    let got: Vec<usize> = names.iter().map(|n| lists.get(*n).map_or(0, Vec::len)).collect();
    assert_eq!(got, sizes, "split sizes of {id}");
    split_of
}

/// Every label item's `source` links reach items of the output that carry
/// the same split; returns how many source items were checked.
#[track_caller]
fn check_sources_follow(tree: &Tree, labels: &str) -> usize {
    let mut checked = BTreeSet::new();
    for (path, item) in tree.items_of(labels).values() {
        for (rel, href) in links(&item.json) {
            if rel != "source" || is_remote(&href) {
                continue;
            }
            let target = resolve(path, &href);
            let source = tree.items.get(&target).unwrap_or_else(|| {
                panic!("{}: source link {href} does not reach an item of the output", path.display())
            });
            assert_eq!(source.split(), item.split(), "{} vs its label {}", target.display(), path.display());
            assert!(source.split().is_some(), "{} has no split", target.display());
            checked.insert(target);
        }
    }
    checked.len()
}

/// Every local asset href of every output item reaches the same absolute
/// file as the input item's href; remote hrefs are unchanged. Returns the
/// number of local asset files that exist.
#[track_caller]
fn check_assets(input: &Path, tree: &Tree) -> usize {
    let inputs = input_items(input);
    let mut existing = 0;
    for (path, item) in &tree.items {
        let node_id = read_json(&item.parent)["id"].as_str().expect("node id").to_string();
        let original = &inputs[&(node_id, item.id.clone())];
        let original_json = read_json(original);
        let assets = item.json["assets"].as_object().cloned().unwrap_or_default();
        let original_assets = original_json["assets"].as_object().cloned().unwrap_or_default();
        assert_eq!(
            assets.keys().collect::<Vec<_>>(),
            original_assets.keys().collect::<Vec<_>>(),
            "{}: asset keys",
            path.display()
        );
        for (key, asset) in &assets {
            let href = asset["href"].as_str().expect("asset href");
            let original_href = original_assets[key]["href"].as_str().expect("asset href");
            if is_remote(original_href) {
                assert_eq!(href, original_href, "{}: remote asset {key} changed", path.display());
                continue;
            }
            assert!(!href.starts_with('/'), "{}: asset {key} href {href} is absolute", path.display());
            let now = resolve(path, href);
            let then = resolve(original, original_href);
            assert_eq!(now, then, "{}: asset {key} no longer reaches the input's file", path.display());
            if now.exists() {
                existing += 1;
            }
        }
    }
    existing
}

/// The split summary's `splits` array for these (name, items, target) rows.
fn splits_json(rows: &[(&str, usize, usize)]) -> Value {
    rows.iter().map(|(name, items, target)| json!({"name": name, "items": items, "target": target})).collect()
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn eurosat_exact_split_with_sources_following() {
    let input = testdata("EuroSAT-small-STAC");
    let before = snapshot(&input);
    let dir = tempdir();
    let out = dir.path().join("q2");
    let output = split(&input.join("catalog.json"), &out, &["--json"]).success();
    let summary = output.json();
    assert_eq!(
        summary,
        json!({
            "catalog": out.join("catalog.json"),
            "items_written": 200,
            "splits": splits_json(&[("Training", 80, 80), ("Validation", 10, 10), ("Test", 10, 10)]),
            "source_items_following_labels": 100,
            "kept": 0,
            "gone": [],
        })
    );

    let tree = check_tree(&out);
    assert_eq!(tree.items.len(), 200);
    assert_eq!(tree.items_of("labels").len(), 100);
    assert_eq!(tree.items_of("source").len(), 100);
    let split_of = check_partition(&tree, "labels", &DEFAULT_SPLITS, &[80, 10, 10]);
    let input_label_ids: BTreeSet<String> =
        input_items(&input.join("catalog.json")).into_keys().filter(|(c, _)| c == "labels").map(|(_, i)| i).collect();
    assert_eq!(split_of.keys().cloned().collect::<BTreeSet<_>>(), input_label_ids);
    assert_eq!(check_sources_follow(&tree, "labels"), 100);
    // The source collection is not split itself: no split-items there.
    assert!(read_json(&tree.node("source")).get("ml-dataset:split-items").is_none());

    let root = read_json(&out.join("catalog.json"));
    assert_eq!(root["id"], "EuroSAT-Q1-small");
    assert_eq!(root["ml-dataset:splits"], json!(DEFAULT_SPLITS));
    assert_eq!(root["ml-dataset:name"], "EuroSAT-Q1-small");
    assert_eq!(root["ml-dataset:tasks"], json!(["image classification"]));
    assert_eq!(root["ml-dataset:inputs-type"], json!(["satellite imagery"]));
    assert_eq!(root["ml-dataset:annotations-type"], "vector");
    assert_eq!(root["ml-dataset:version"], "0.1.0");
    assert!(extensions(&root).contains(&ML_DATASET), "{:?}", root["stac_extensions"]);

    // The 100 label GeoJSON files exist; source rasters are not shipped.
    assert_eq!(check_assets(&input.join("catalog.json"), &tree), 100);
    assert_same_tree(&before, &snapshot(&input), "the input catalog");
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn jaca_keeps_all_four_label_items() {
    let input = testdata("jaca_dataset_stac_labels");
    let dir = tempdir();
    let out = dir.path().join("q2");
    let summary = split(&input.join("catalog.json"), &out, &["--json"]).success().json();
    assert_eq!(summary["items_written"], 8);
    assert_eq!(summary["splits"], splits_json(&[("Training", 3, 3), ("Validation", 1, 1), ("Test", 0, 0)]));
    assert_eq!(summary["source_items_following_labels"], 4);
    let tree = check_tree(&out);
    assert_eq!(tree.items.len(), 8);
    check_partition(&tree, "labels", &DEFAULT_SPLITS, &[3, 1, 0]);
    assert_eq!(check_sources_follow(&tree, "labels"), 4);
    assert!(tree.items.values().all(|item| item.split().is_some()), "every item has a split");
    check_assets(&input.join("catalog.json"), &tree);
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn pystac_nested_catalog_keeps_its_nesting() {
    let input = testdata("pystac-test-case-1");
    let dir = tempdir();
    let out = dir.path().join("q2");
    let extra = ["--collection", "area-1-1", "--tasks", "segmentation", "--json"];
    let summary = split(&input.join("catalog.json"), &out, &extra).success().json();
    assert_eq!(summary["items_written"], 8);
    assert_eq!(summary["splits"], splits_json(&[("Training", 2, 2), ("Validation", 0, 0), ("Test", 0, 0)]));

    // Folder names come from ids, which match this catalog's folders: the
    // output has exactly the input's files, nesting included.
    let relative = |root: &Path| -> Vec<PathBuf> {
        files_under(root).into_iter().map(|f| f.strip_prefix(root).expect("under root").to_path_buf()).collect()
    };
    assert_eq!(relative(&out), relative(&input));
    let tree = check_tree(&out);
    assert_eq!(tree.items.len(), 8);
    assert_eq!(tree.nodes.len(), 7, "root, 2 countries, 4 areas");
    // The imagery and label items of area-1-1 are one unit: both in Training.
    check_partition(&tree, "area-1-1", &DEFAULT_SPLITS, &[2, 0, 0]);
    let outside: Vec<&PathBuf> =
        tree.items.iter().filter(|(_, i)| !i.id.starts_with("area-1-1")).map(|(p, _)| p).collect();
    assert_eq!(outside.len(), 6);
    for path in outside {
        assert_eq!(tree.items[path].split(), None, "{} is outside --collection", path.display());
    }
    for id in ["country-1", "area-1-2", "area-2-1"] {
        assert!(read_json(&tree.node(id)).get("ml-dataset:split-items").is_none(), "{id} has split-items");
    }
    let root = read_json(&out.join("catalog.json"));
    assert_eq!(root["ml-dataset:tasks"], json!(["segmentation"]));
    assert_eq!(root["ml-dataset:name"], "test");
    check_assets(&input.join("catalog.json"), &tree);
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn label_extension_multidataset_one_collection() {
    let input = testdata("label-ext-examples/multidataset");
    let dir = tempdir();
    let out = dir.path().join("q2");
    let extra = ["--collection", "zanzibar-collection", "--tasks", "segmentation", "--json"];
    let result = split(&input.join("catalog.json"), &out, &extra).success();
    let summary = result.json();
    assert_eq!(summary["items_written"], 5);
    assert_eq!(summary["splits"], splits_json(&[("Training", 2, 2), ("Validation", 0, 0), ("Test", 0, 0)]));
    // Remote source links are reported, not followed.
    assert!(result.stderr.contains("is remote; not followed"), "{}", result.stderr);
    let tree = check_tree(&out);
    assert_eq!(tree.items.len(), 5);
    check_partition(&tree, "zanzibar-collection", &DEFAULT_SPLITS, &[2, 0, 0]);
    for (id, (path, item)) in tree.items_of("spacenet-buildings-collection") {
        assert_eq!(item.split(), None, "{id} ({}) is outside --collection", path.display());
    }
    // Remote links are kept as written.
    for (path, item) in &tree.items {
        let original = &input_items(&input.join("catalog.json"))
            [&(read_json(&item.parent)["id"].as_str().unwrap().to_string(), item.id.clone())];
        let remote =
            |json: &Value| -> Vec<(String, String)> { links(json).into_iter().filter(|(_, h)| is_remote(h)).collect() };
        assert_eq!(remote(&item.json), remote(&read_json(original)), "{}", path.display());
    }
    check_assets(&input.join("catalog.json"), &tree);
}

#[test]
fn two_named_splits_in_both_formats() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 20, 1, &[]);
    let out = dir.path().join("q2");
    let extra = ["--ratios", "0.7,0.3", "--names", "train,test", "--format", "both", "--json"];
    let summary = split(&input, &out, &extra).success().json();
    assert_eq!(summary["splits"], splits_json(&[("train", 14, 14), ("test", 6, 6)]));
    let tree = check_tree(&out);
    check_partition(&tree, "labels", &["train", "test"], &[14, 6]);
    assert_eq!(check_sources_follow(&tree, "labels"), 20);
    for (path, item) in &tree.items {
        let properties = &item.json["properties"];
        let split = item.split().expect("every item has a split");
        assert!(split == "train" || split == "test", "{}: {split}", path.display());
        assert_eq!(properties["ml-aoi:split"], split, "{}", path.display());
        let ext = extensions(&item.json);
        assert!(ext.contains(&ML_AOI) && ext.contains(&ML_DATASET), "{}: {ext:?}", path.display());
    }
    assert_eq!(read_json(&out.join("catalog.json"))["ml-dataset:splits"], json!(["train", "test"]));
}

#[test]
fn ml_aoi_format_writes_only_ml_aoi_names() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 10, 1, &[]);
    let out = dir.path().join("q2");
    split(&input, &out, &["--format", "ml-aoi"]).success();
    let tree = check_tree(&out);
    for (path, item) in &tree.items {
        let properties = &item.json["properties"];
        assert!(properties.get("ml-dataset:split").is_none(), "{}", path.display());
        let aoi = properties["ml-aoi:split"].as_str().expect("ml-aoi:split");
        assert!(["train", "validate", "test"].contains(&aoi), "{}: {aoi}", path.display());
    }
    let validate = tree.items.values().filter(|i| i.json["properties"]["ml-aoi:split"] == "validate").count();
    assert_eq!(validate, 2, "10% of 10 labels and their 1 source each");
}

#[test]
fn ml_aoi_format_refuses_a_split_without_ml_aoi_name() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 10, 1, &[]);
    let out = dir.path().join("q2");
    let extra = ["--ratios", "0.7,0.3", "--names", "train,holdout", "--format", "ml-aoi"];
    let stderr = split(&input, &out, &extra).usage_error();
    assert!(stderr.contains("split \"holdout\" has no ml-aoi equivalent"), "{stderr}");
    assert!(!out.exists(), "nothing is written on error");
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 300, 3, &["--dup-rate", "0.05", "--overlap", "0.05"]);
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    split_env(&input, &one, &["--seed", "5"], &[("RAYON_NUM_THREADS", "1")]).success();
    split_env(&input, &two, &["--seed", "5"], &[("RAYON_NUM_THREADS", "2")]).success();
    let first = snapshot(&one);
    assert_eq!(first.len(), 1 + 2 * 2 + 2 * 2 * 300, "catalog, 2 collections and 600 items, each in a folder");
    assert_same_tree(&first, &snapshot(&two), "the second run's output");

    let other = dir.path().join("other");
    split(&input, &other, &["--seed", "6"]).success();
    let assignment = |out: &Path| split_items(&read_json(&out.join("labels/collection.json")));
    let (five, six) = (assignment(&one), assignment(&other));
    assert_ne!(five, six, "another seed gives another assignment");
    let sizes = |a: &BTreeMap<String, Vec<String>>| a.values().map(Vec::len).collect::<Vec<_>>();
    assert_eq!(sizes(&five), sizes(&six), "but the same sizes");
}

#[test]
fn keep_from_the_output_itself_updates_in_place() {
    let dir = tempdir();
    let v1_in = generate(&dir.path().join("v1"), 40, 4, &[]);
    let q2 = dir.path().join("q2");
    split(&v1_in, &q2, &[]).success();
    let v1_splits = label_splits(&q2);
    let v2_in = generate(&dir.path().join("v2"), 50, 4, &[]);
    let keep = q2.join("catalog.json");
    let summary = split(&v2_in, &q2, &["--keep-from", keep.to_str().unwrap(), "--force", "--json"]).success().json();
    assert_eq!(summary["kept"], 40);
    let v2_splits = label_splits(&q2);
    assert_eq!(v2_splits.len(), 50);
    for (id, split) in &v1_splits {
        assert_eq!(&v2_splits[id], split, "{id} changed split");
    }
}

#[test]
fn keep_from_refuses_unusable_previous_catalogs() {
    let dir = tempdir();
    let v1_in = generate(&dir.path().join("v1"), 10, 4, &[]);
    let stderr = split(&v1_in, &dir.path().join("a"), &["--keep-from", v1_in.to_str().unwrap()]).usage_error();
    assert!(
        stderr.contains(&format!("{}: --keep-from catalog has no item with ml-dataset:split", v1_in.display())),
        "{stderr}"
    );
    let q2 = dir.path().join("q2");
    split(&v1_in, &q2, &["--ratios", "0.5,0.5", "--names", "train,test"]).success();
    let keep = q2.join("catalog.json");
    let stderr = split(&v1_in, &dir.path().join("b"), &["--keep-from", keep.to_str().unwrap()]).usage_error();
    assert!(
        stderr.contains(
            "--keep-from: item \"tile_0000000\" is in split \"train\", which is not among --names \
             Training,Validation,Test"
        ),
        "{stderr}"
    );
}

/// Item id to split of the label items of a split output.
fn label_splits(out: &Path) -> BTreeMap<String, String> {
    check_tree(out)
        .items_of("labels")
        .into_iter()
        .map(|(id, (_, item))| (id, item.split().expect("labels are split").to_string()))
        .collect()
}

#[test]
fn keep_from_keeps_every_previous_split() {
    let dir = tempdir();
    let v1_in = generate(&dir.path().join("v1"), 200, 4, &[]);
    let v1 = dir.path().join("q2v1");
    split(&v1_in, &v1, &[]).success();
    let v1_splits = label_splits(&v1);
    assert_eq!(v1_splits.len(), 200);

    let v2_in = generate(&dir.path().join("v2"), 260, 4, &[]);
    let v2 = dir.path().join("q2v2");
    let keep = v1.join("catalog.json");
    let extra = ["--keep-from", keep.to_str().unwrap(), "--seed", "9", "--json"];
    let summary = split(&v2_in, &v2, &extra).success().json();
    assert_eq!(summary["kept"], 200);
    assert_eq!(summary["gone"], json!([]));
    // 200 kept items are 160/20/20; the 60 new ones fill the targets exactly.
    assert_eq!(summary["splits"], splits_json(&[("Training", 208, 208), ("Validation", 26, 26), ("Test", 26, 26)]));
    let v2_splits = label_splits(&v2);
    assert_eq!(v2_splits.len(), 260);
    for (id, split) in &v1_splits {
        assert_eq!(v2_splits.get(id), Some(split), "{id} changed split");
    }
    let tree = check_tree(&v2);
    check_partition(&tree, "labels", &DEFAULT_SPLITS, &[208, 26, 26]);
    assert_eq!(check_sources_follow(&tree, "labels"), 260);
    let provenance = &read_json(&v2.join("catalog.json"))["stac-ml:split"];
    assert_eq!(provenance["kept_from_previous"], true);
    assert_eq!(provenance["seed"], 9);
}

#[test]
fn keep_from_reports_gone_items() {
    let dir = tempdir();
    let v1_in = generate(&dir.path().join("v1"), 40, 4, &[]);
    let v1 = dir.path().join("q2v1");
    split(&v1_in, &v1, &[]).success();
    let v1_splits = label_splits(&v1);

    let v2_in = generate(&dir.path().join("v2"), 30, 4, &[]);
    let v2 = dir.path().join("q2v2");
    let keep = v1.join("catalog.json");
    let summary = split(&v2_in, &v2, &["--keep-from", keep.to_str().unwrap(), "--json"]).success().json();
    assert_eq!(summary["kept"], 30);
    let gone: Vec<String> = (30..40).map(|i| format!("tile_{i:07}")).collect();
    assert_eq!(summary["gone"], json!(gone));
    let v2_splits = label_splits(&v2);
    assert_eq!(v2_splits.len(), 30);
    for (id, split) in &v2_splits {
        assert_eq!(&v1_splits[id], split, "{id} changed split");
    }
    let counts = summary["splits"].as_array().unwrap().iter().map(|s| s["items"].as_u64().unwrap()).sum::<u64>();
    assert_eq!(counts, 30);

    // The text summary names the gone items too.
    let v3 = dir.path().join("q2v3");
    let text = split(&v2_in, &v3, &["--keep-from", keep.to_str().unwrap()]).success().stdout;
    assert!(text.contains("30 items kept their previous split; 10 previous items are gone"), "{text}");
    assert!(text.contains("gone: tile_0000030"), "{text}");
}

#[test]
fn input_tree_is_byte_identical_after_split() {
    let dir = tempdir();
    let input_dir = dir.path().join("in");
    let input = generate(&input_dir, 50, 2, &["--dup-rate", "0.1"]);
    let before = snapshot(&input_dir);
    let out = dir.path().join("q2");
    split(&input, &out, &["--format", "both"]).success();
    assert_same_tree(&before, &snapshot(&input_dir), "the input catalog");
    let names: BTreeSet<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["in".to_string(), "q2".to_string()]), "no stray files beside the output");
}

#[test]
fn existing_output_needs_force() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), 10, 1, &[]);
    let out = dir.path().join("q2");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("old.txt"), "old").unwrap();
    let before = snapshot(&out);

    let stderr = split(&input, &out, &[]).usage_error();
    assert!(stderr.contains(&format!("{}: exists and is not empty; pass --force to replace it", out.display())));
    assert_same_tree(&before, &snapshot(&out), "the existing output");

    split(&input, &out, &["--force"]).success();
    assert!(!out.join("old.txt").exists(), "the old output is replaced, not merged");
    assert_eq!(check_tree(&out).items.len(), 20);
    let hidden: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "stray temporary folders: {hidden:?}");

    // An empty folder needs no --force.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    split(&input, &empty, &[]).success();
}

#[test]
fn output_inside_the_input_is_refused() {
    let dir = tempdir();
    let input_dir = dir.path().join("in");
    let input = generate(&input_dir, 5, 1, &[]);
    let before = snapshot(&input_dir);
    let out = input_dir.join("q2");
    let stderr = split(&input, &out, &[]).usage_error();
    assert!(
        stderr.contains(&format!(
            "{}: is inside the input's folder {}; the input is only read: write the output elsewhere",
            out.display(),
            input_dir.display()
        )),
        "{stderr}"
    );
    // The input folder itself is the extreme case.
    split(&input, &input_dir, &["--force"]).usage_error();
    assert_same_tree(&before, &snapshot(&input_dir), "the input catalog");
}

#[test]

fn refused_nested_output_leaves_the_input_untouched() {
    let dir = tempdir();
    let input_dir = dir.path().join("in");
    let input = generate(&input_dir, 5, 1, &[]);
    let before = snapshot(&input_dir);
    let out = input_dir.join("new").join("q2");
    let stderr = split(&input, &out, &[]).usage_error();
    assert!(stderr.contains("is inside the input's folder"), "{stderr}");
    assert_same_tree(&before, &snapshot(&input_dir), "the input catalog");
}

#[test]
fn output_containing_the_input_is_refused() {
    let dir = tempdir();
    let outer = dir.path().join("outer");
    let input_dir = outer.join("in");
    let input = generate(&input_dir, 5, 1, &[]);
    let before = snapshot(&outer);
    let stderr = split(&input, &outer, &["--force"]).usage_error();
    assert!(
        stderr.contains(&format!(
            "{}: contains the input's folder {}; the input is only read: write the output elsewhere",
            outer.display(),
            input_dir.display()
        )),
        "{stderr}"
    );
    assert_same_tree(&before, &snapshot(&outer), "the folder holding the input");
}

/// A catalog whose label item ids hold path separators and `..`.
pub fn hostile_ids_catalog(root: &Path) -> PathBuf {
    let catalog = root.join("catalog.json");
    write_json(
        &catalog,
        &json!({
            "type": "Catalog", "stac_version": "1.0.0", "id": "hostile", "description": "ids with separators",
            "links": [{"rel": "child", "href": "./labels/collection.json"}],
        }),
    );
    let ids = ["../evil", "a/b", "ok"];
    let item_links: Vec<Value> =
        (0..ids.len()).map(|i| json!({"rel": "item", "href": format!("./item{i}/item{i}.json")})).collect();
    write_json(
        &root.join("labels/collection.json"),
        &json!({
            "type": "Collection", "stac_version": "1.0.0", "id": "labels", "description": "labels",
            "license": "CC0-1.0",
            "extent": {"spatial": {"bbox": [[0, 0, 1, 1]]}, "temporal": {"interval": [[null, null]]}},
            "links": item_links,
        }),
    );
    for (i, id) in ids.iter().enumerate() {
        write_json(
            &root.join(format!("labels/item{i}/item{i}.json")),
            &json!({
                "type": "Feature", "stac_version": "1.0.0", "id": id,
                "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
                "geometry": null,
                "properties": {
                    "datetime": "2020-01-01T00:00:00Z", "label:type": "vector", "label:properties": ["class"],
                    "label:tasks": ["classification"], "label:description": "d",
                },
                "links": [], "assets": {},
            }),
        );
    }
    catalog
}

#[test]
fn ids_with_path_separators_stay_inside_the_output() {
    let dir = tempdir();
    let base = dir.path().join("a").join("b");
    let input = hostile_ids_catalog(&base.join("in"));
    let before = snapshot(dir.path());
    let out = base.join("q2");
    let summary = split(&input, &out, &["--json"]).success().json();
    assert_eq!(summary["items_written"], 3);

    let canonical_out = out.canonicalize().unwrap();
    let written = files_under(&out);
    assert_eq!(written.len(), 5, "catalog, collection, 3 items: {written:?}");
    for file in &written {
        let canonical = file.canonicalize().unwrap();
        assert!(canonical.starts_with(&canonical_out), "{} is outside the output", canonical.display());
    }
    // Nothing appeared anywhere else in the temp dir.
    let after: BTreeMap<_, _> =
        snapshot(dir.path()).into_iter().filter(|(p, _)| !dir.path().join(p).starts_with(&out)).collect();
    assert_same_tree(&before, &after, "the temp dir outside the output");

    let tree = check_tree(&out);
    let ids: BTreeSet<&str> = tree.items.values().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["../evil", "a/b", "ok"]), "ids are kept as they are");
    // 80/10/10 of 3 is 2.4/0.3/0.3: largest remainder gives 3/0/0.
    check_partition(&tree, "labels", &DEFAULT_SPLITS, &[3, 0, 0]);
}

/// The checks above can fail: a tree with an absolute link or an item linked
/// twice is caught.
#[test]
fn tree_checks_catch_bad_trees() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("g"), 3, 1, &[]);
    check_tree(catalog.parent().unwrap());
    let collection = dir.path().join("g/labels/collection.json");
    let original = read_json(&collection);
    let fails = || std::panic::catch_unwind(|| check_tree(&dir.path().join("g"))).is_err();

    let mut absolute = original.clone();
    absolute["links"][2]["href"] = json!(dir.path().join("g/labels/tile_0000000/tile_0000000.json"));
    write_json(&collection, &absolute);
    assert!(fails(), "an absolute item link is caught");

    let mut twice = original.clone();
    let first_item = twice["links"][2].clone();
    twice["links"].as_array_mut().unwrap().push(first_item);
    write_json(&collection, &twice);
    assert!(fails(), "an item linked twice is caught");

    let mut missing = original.clone();
    missing["links"].as_array_mut().unwrap().remove(2);
    write_json(&collection, &missing);
    assert!(fails(), "an item file nobody links is caught");
}

/// The README's quick-start command runs on the bundled example.
#[test]
fn readme_example_splits() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example/catalog.json");
    let before = snapshot(example.parent().unwrap());
    let dir = tempdir();
    let out = dir.path().join("example-q2");
    let summary = split(&example, &out, &["--json"]).success().json();
    assert_eq!(summary["items_written"], 24);
    assert_eq!(summary["splits"], splits_json(&[("Training", 10, 10), ("Validation", 1, 1), ("Test", 1, 1)]));
    let tree = check_tree(&out);
    check_partition(&tree, "labels", &DEFAULT_SPLITS, &[10, 1, 1]);
    assert_eq!(check_sources_follow(&tree, "labels"), 12);
    assert_eq!(check_assets(&example, &tree), 12, "the label GeoJSON files are bundled");
    assert_same_tree(&before, &snapshot(example.parent().unwrap()), "testdata/example");

    // As written in the README: `q2` with a relative catalog path from the
    // repository root, twice (--force makes the command rerunnable).
    let out = dir.path().join("from-root");
    for _ in 0..2 {
        let output = crate::util::stac_ml()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["q2", "testdata/example/catalog.json", "-o", out.to_str().unwrap(), "--force"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains(&format!("wrote 24 items to {}", out.join("catalog.json").display())), "{text}");
    }
    assert_eq!(check_assets(&example, &check_tree(&out)), 12);
    let root = crate::util::read_json(&out.join("catalog.json"));
    let names: Vec<&str> =
        root["ml-dataset:quality-metrics"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "spatial-duplicates",
            "near-duplicates",
            "split-leakage",
            "classes-balance",
            "objects-per-item",
            "missing-values",
            "label-source-consistency",
            "samples"
        ]
    );
}

/// Every label GeoJSON of a generated catalog.
fn label_geojsons(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        files_under(root).into_iter().filter(|f| f.extension().is_some_and(|e| e == "geojson")).collect();
    files.sort();
    files
}

#[test]
fn stratified_split_and_balance_use_the_class_counts_they_are_given() {
    use stac_ml::balance::{ClassCounts, ClassSource};
    use stac_ml::catalog::{self, Warnings};
    use stac_ml::metrics::{self, MetricsOptions};
    use stac_ml::split::{SplitOptions, SplitSpec, Strategy, assign};

    let dir = tempdir();
    let root = generate(&dir.path().join("gen"), 60, 5, &["--classes", "4"]);
    let dataset = catalog::load(&root).unwrap();
    let options = SplitOptions {
        spec: SplitSpec::new(DEFAULT_SPLITS.map(String::from).to_vec(), vec![80.0, 10.0, 10.0]).unwrap(),
        seed: 3,
        strategy: Strategy::Stratified,
        node: dataset.node_by_id("labels").unwrap(),
        keep: None,
        group_by: None,
    };
    let mut warnings = Warnings::default();
    let classes = ClassCounts::read(&dataset, &mut warnings);
    assert!(warnings.is_empty());
    let expected = assign(&dataset, &options, None).unwrap();

    // From here on, reading a label asset again would find no classes.
    for file in label_geojsons(root.parent().unwrap()) {
        std::fs::write(&file, "not GeoJSON").unwrap();
    }
    let reread = ClassCounts::read(&dataset, &mut Warnings::default());
    assert_ne!(reread, classes, "the label assets are what the counts come from");
    assert_ne!(assign(&dataset, &options, None).unwrap(), expected, "stratification depends on the classes");

    let assignment = assign(&dataset, &options, Some(&classes)).unwrap();
    assert_eq!(assignment, expected);
    let measured = metrics::compute(&dataset, &classes, Some(&assignment.view()), MetricsOptions::default());
    let sources = &measured.classes_balance.sources;
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!((sources[0].source, sources[0].items), (ClassSource::LabelAssets, 60));
}

/// A stratified q2 reads each label GeoJSON once: every open of one is
/// counted with inotify (the files are regular: stac-ml refuses named pipes).
#[cfg(target_os = "linux")]
#[test]
fn stratified_q2_reads_each_label_geojson_once() {
    use rustix::fs::inotify;
    use std::collections::HashMap;
    use std::mem::MaybeUninit;

    let dir = tempdir();
    let root = generate(&dir.path().join("gen"), 12, 9, &["--classes", "3"]);
    let watcher = inotify::init(inotify::CreateFlags::NONBLOCK).unwrap();
    let mut opens: HashMap<i32, (std::path::PathBuf, usize)> = HashMap::new();
    for file in label_geojsons(root.parent().unwrap()) {
        let wd = inotify::add_watch(&watcher, &file, inotify::WatchFlags::OPEN | inotify::WatchFlags::CLOSE).unwrap();
        opens.insert(wd, (file, 0));
    }
    let out = dir.path().join("q2");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stac-ml"))
        .args(["q2", &crate::util::path_str(&root), "-o", &crate::util::path_str(&out)])
        .args(["--strategy", "stratified", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // Open and close events alternate per file, so the kernel never merges two opens.
    let mut buffer = [MaybeUninit::<u8>::uninit(); 8192];
    let mut reader = inotify::Reader::new(&watcher, &mut buffer);
    loop {
        match reader.next() {
            Ok(event) if event.events().contains(inotify::ReadFlags::OPEN) => {
                opens.get_mut(&event.wd()).expect("a watched file").1 += 1;
            }
            Ok(_) => {}
            Err(rustix::io::Errno::AGAIN) => break,
            Err(e) => panic!("inotify: {e}"),
        }
    }
    assert_eq!(opens.len(), 12);
    for (file, count) in opens.values() {
        assert_eq!(*count, 1, "{} was opened {count} times", file.display());
    }
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let balance = summary["quality_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "classes-balance")
        .expect("a class-balance entry")
        .clone();
    assert_eq!(balance["sources"], json!([{"source": "label-assets", "items": 12}]));
}

/// `--strategy spatial` on a time series of one tile (issue 14 point 8):
/// 4,000 label items on one footprint. Listing every overlapping pair took
/// 8 million pairs (128 MB for the list alone, peak RSS near 200 MB in a
/// debug build); grouping identical footprints first needs one R-tree entry
/// and a pass over the group, so the run stays near its 60 MB baseline, and
/// the whole series is one unit.
#[test]
fn spatial_split_of_items_on_one_footprint_stays_small() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 4_000, 1, &["--footprints", "1"]);
    let out = dir.path().join("out");
    let args: Vec<String> = ["split", &crate::util::path_str(&catalog), "-o", &crate::util::path_str(&out)]
        .into_iter()
        .chain(["--strategy", "spatial", "--no-validate"])
        .map(String::from)
        .collect();
    let (code, peak_kib) = crate::util::run_peak_kib(&args);
    assert_eq!(code, 0);
    assert!(peak_kib < 120 << 10, "peak RSS {peak_kib} KiB");
    let tree = check_tree(&out);
    let lists = split_items(&read_json(&tree.node("labels")));
    let sizes: Vec<usize> = lists.values().map(Vec::len).filter(|&n| n > 0).collect();
    assert_eq!(sizes, vec![4_000], "one footprint is one unit: {lists:?}");
}

/// The grouped spatial join gives every pair of overlapping members (by a
/// brute-force IoU over all pairs, both roles) one split, on footprints
/// that repeat and overlap.
#[test]
fn spatial_split_keeps_every_overlapping_pair_together() {
    use stac_ml::geometry::iou;
    use stac_ml::split::{SplitOptions, SplitSpec, Strategy, assign};
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 300, 5, &["--dup-rate", "0.2", "--overlap", "0.3"]);
    let dataset = stac_ml::catalog::load(&catalog).unwrap();
    let spec = SplitSpec::new(vec!["a".into(), "b".into(), "c".into()], vec![60.0, 20.0, 20.0]).unwrap();
    let node = dataset.node_by_id("labels").unwrap();
    let options = SplitOptions {
        spec,
        seed: 3,
        strategy: Strategy::Spatial { block_size: None },
        node,
        keep: None,
        group_by: None,
    };
    let assignment = assign(&dataset, &options, None).unwrap();
    let items = &dataset.items;
    let mut joined = 0;
    for a in 0..items.len() {
        for b in a + 1..items.len() {
            if assignment.member[a] && assignment.member[b] && iou(&items[a], &items[b]) > 0.0 {
                joined += 1;
                assert_eq!(assignment.split_of[a], assignment.split_of[b], "{} and {}", items[a].id, items[b].id);
            }
        }
    }
    assert!(joined > 100, "the catalog should have many overlapping pairs, found {joined}");
    assert!(assignment.counts.iter().filter(|&&n| n > 0).count() > 1, "{:?}", assignment.counts);
}
