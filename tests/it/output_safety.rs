//! Never touch what is not ours (issue 14, points 1–4, 11, 18): an output
//! that is, contains or lies inside any folder of the input is refused
//! whatever symlinks or hrefs lead there; `report -o` refuses input files,
//! non-regular files and existing files without `--force`; publishing
//! without `--force` never replaces what appeared meanwhile; SIGINT and
//! SIGTERM remove the hidden output being built; errors name the user's
//! path, never the hidden one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::{assert_same_tree, generate, path_str, read_json, run, snapshot, tempdir, write_json};

/// A generated catalog in `dir/in` whose `labels` collection folder is a
/// symlink to `dir/ext/labels`, outside the root's folder. Returns (root
/// catalog, the outside folder).
fn catalog_with_symlinked_collection(dir: &Path) -> (PathBuf, PathBuf) {
    let catalog = generate(&dir.join("in"), 4, 1, &[]);
    let ext = dir.join("ext");
    std::fs::create_dir(&ext).unwrap();
    std::fs::rename(dir.join("in/labels"), ext.join("labels")).unwrap();
    std::os::unix::fs::symlink(ext.join("labels"), dir.join("in/labels")).unwrap();
    (catalog, ext)
}

/// The done-means test: every writing command, `-o` at the outside folder
/// holding the symlinked collection, at a path inside it and at its parent,
/// with and without `--force`: refused, and the input tree and the outside
/// folder are byte-identical afterwards.
#[test]
fn no_command_writes_into_a_collection_reached_through_a_symlink() {
    let dir = tempdir();
    let (catalog, ext) = catalog_with_symlinked_collection(dir.path());
    let (input_before, ext_before) = (snapshot(&dir.path().join("in")), snapshot(&ext));
    let targets = [ext.join("labels"), ext.join("labels/out"), ext.clone(), ext.join("labels/tile_0000001")];
    for out in &targets {
        for force in [false, true] {
            for command in ["split", "q2"] {
                let mut args = vec![command.to_string(), path_str(&catalog), "-o".into(), path_str(out)];
                if force {
                    args.push("--force".into());
                }
                let stderr = run(&args).usage_error();
                // Without --force an occupied OUT is refused before the
                // catalog is read, for that simpler reason; with it, for
                // holding the input.
                let occupied = !force && stderr.contains("exists and is not empty");
                assert!(occupied || stderr.contains("the input's folder"), "{args:?}: {stderr}");
                assert!(!stderr.contains("stac-ml-tmp"), "{args:?}: {stderr}");
            }
            // A new file beside the collection's folder touches nothing of the input.
            let file = if *out == ext { out.join("labels/new.html") } else { out.join("tile_0000001.json") };
            for report_out in [out.clone(), file] {
                let mut args = vec!["report".to_string(), path_str(&catalog), "-o".into(), path_str(&report_out)];
                if force {
                    args.push("--force".into());
                }
                run(&args).usage_error();
            }
        }
    }
    assert_same_tree(&input_before, &snapshot(&dir.path().join("in")), "the input");
    assert_same_tree(&ext_before, &snapshot(&ext), "the outside folder holding the collection");
}

/// Point 4: `-o ext/out` where the input's `labels` is a symlink to `ext`
/// (the output path itself has no symlink) would put a Q2 tree inside the
/// input.
#[test]
fn an_output_inside_the_target_of_an_input_symlink_is_refused() {
    let dir = tempdir();
    let (catalog, ext) = catalog_with_symlinked_collection(dir.path());
    let before = snapshot(&ext);
    let out = ext.join("labels/q2");
    let stderr = run(["q2", &path_str(&catalog), "-o", &path_str(&out)]).usage_error();
    assert!(stderr.contains(&format!("is inside the input's folder {}", path_str(&ext.join("labels")))), "{stderr}");
    assert!(!out.exists());
    assert_same_tree(&before, &snapshot(&ext), "the collection's folder");
}

/// Point 1: the folder of a local asset the input links by absolute href
/// (outside the root) is never replaced, even with `--force`; neither is a
/// collection reached by a `../` href.
#[test]
fn force_never_replaces_a_folder_the_input_links() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let assets = dir.path().join("assets");
    std::fs::create_dir(&assets).unwrap();
    std::fs::write(assets.join("image.tif"), "pixels").unwrap();
    let item_path = dir.path().join("in/source/tile_0000000/tile_0000000.json");
    let mut item = read_json(&item_path);
    item["assets"]["image"]["href"] = path_str(&assets.join("image.tif")).into();
    write_json(&item_path, &item);
    let before = snapshot(dir.path());
    for out in [assets.clone(), assets.join("q2")] {
        let stderr = run(["q2", &path_str(&catalog), "-o", &path_str(&out), "--force"]).usage_error();
        assert!(stderr.contains(&format!("the input's folder {}", path_str(&assets))), "{stderr}");
    }
    assert_same_tree(&before, &snapshot(dir.path()), "the input and its assets");

    // A collection outside the root's folder, linked as `../labels/collection.json`.
    let outer = tempdir();
    let root = outer.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let catalog = generate(&outer.path().join("gen"), 3, 1, &[]);
    let mut json = read_json(&catalog);
    for link in json["links"].as_array_mut().unwrap() {
        if link["rel"] == "child" {
            let href = link["href"].as_str().unwrap().trim_start_matches("./").to_string();
            link["href"] = format!("../gen/{href}").into();
        }
    }
    write_json(&root.join("catalog.json"), &json);
    let before = snapshot(outer.path());
    let labels = outer.path().join("gen/labels");
    let stderr = run(["q2", &path_str(&root.join("catalog.json")), "-o", &path_str(&labels), "--force"]).usage_error();
    assert!(stderr.contains("the input's folder"), "{stderr}");
    assert_same_tree(&before, &snapshot(outer.path()), "the input");
}

fn report(catalog: &Path, out: &Path, extra: &[&str]) -> crate::util::Output {
    let mut args = vec!["report".to_string(), path_str(catalog), "-o".into(), path_str(out), "--no-validate".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    run(&args)
}

/// Point 2: `report -o` refuses input files (directly or through a symlinked
/// folder), new files in the input's folders, non-regular files, symlinks,
/// and existing files without `--force`; with it, a plain file is replaced.
#[test]
fn report_never_replaces_input_files_or_special_files() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    std::os::unix::fs::symlink(dir.path().join("in"), dir.path().join("link")).unwrap();
    // Apart from the snapshotted tree: reading a FIFO would block.
    let special = tempdir();
    let fifo = special.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::os::unix::fs::symlink(&catalog, dir.path().join("to-catalog.html")).unwrap();
    let before = snapshot(dir.path());
    let item = dir.path().join("in/labels/tile_0000000/tile_0000000.json");
    let geojson = dir.path().join("in/labels/tile_0000000/tile_0000000.geojson");
    let image = dir.path().join("in/source/tile_0000000/tile_0000000.tif");
    let cases: [(PathBuf, &str); 9] = [
        (catalog.clone(), "is the input file"),
        (item, "is the input file"),
        (geojson, "is the input file"),
        (dir.path().join("link/catalog.json"), "is the input file"),
        (image, "is inside the input's folder"),
        (dir.path().join("in/report.html"), "is inside the input's folder"),
        (fifo.clone(), "not a regular file"),
        (dir.path().join("in"), "is a folder"),
        (dir.path().join("to-catalog.html"), "symbolic link"),
    ];
    for (out, expected) in &cases {
        for force in [&[][..], &["--force"][..]] {
            let stderr = report(&catalog, out, force).usage_error();
            assert!(stderr.contains(expected), "{} {force:?}: {stderr}", out.display());
        }
    }
    assert_same_tree(&before, &snapshot(dir.path()), "the input, the FIFO and the symlink");
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&std::fs::metadata(&fifo).unwrap().file_type()));

    let out = dir.path().join("r.html");
    std::fs::write(&out, "mine").unwrap();
    let stderr = report(&catalog, &out, &[]).usage_error();
    assert!(stderr.contains("exists; pass --force to replace it"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    report(&catalog, &out, &["--force"]).success();
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("<!DOCTYPE html>"));
}

/// Point 3: an output that appears while the tree is built (another run,
/// another program) is never replaced without `--force`; the built tree is
/// removed and the error says what to do. An empty folder may still be
/// replaced, as at the start; with `--force` the output is replaced.
#[test]
fn publishing_without_force_never_replaces_what_appeared_meanwhile() {
    use stac_ml::publish::Staged;
    let dir = tempdir();
    let out = dir.path().join("out");
    let hidden = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    };

    let staged = Staged::begin(&out).unwrap();
    std::fs::write(staged.path().join("new.txt"), "new").unwrap();
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("theirs.txt"), "theirs").unwrap();
    let err = staged.publish(false).unwrap_err();
    assert!(matches!(err, stac_ml::Error::OutputAppeared { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!("{}: appeared while", out.display())), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("theirs.txt")).unwrap(), "theirs");
    assert!(!out.join("new.txt").exists());
    assert_eq!(hidden(dir.path()), Vec::<String>::new());

    // A file that appeared is not replaced either.
    let file_out = dir.path().join("file-out");
    let staged = Staged::begin(&file_out).unwrap();
    std::fs::write(&file_out, "a file").unwrap();
    assert!(matches!(staged.publish(false), Err(stac_ml::Error::OutputAppeared { .. })));
    assert_eq!(std::fs::read_to_string(&file_out).unwrap(), "a file");

    // An empty folder (allowed at the start) is replaced.
    let empty = dir.path().join("empty");
    let staged = Staged::begin(&empty).unwrap();
    std::fs::write(staged.path().join("new.txt"), "new").unwrap();
    std::fs::create_dir(&empty).unwrap();
    staged.publish(false).unwrap();
    assert_eq!(std::fs::read_to_string(empty.join("new.txt")).unwrap(), "new");

    // With --force the output that appeared is replaced.
    let staged = Staged::begin(&out).unwrap();
    std::fs::write(staged.path().join("new.txt"), "new").unwrap();
    staged.publish(true).unwrap();
    assert_eq!(std::fs::read_to_string(out.join("new.txt")).unwrap(), "new");
    assert!(!out.join("theirs.txt").exists());
    assert_eq!(hidden(dir.path()), Vec::<String>::new());
}

/// Point 18: errors name the user's path, never the hidden temporary one,
/// and say what to do.
#[test]
fn errors_name_the_users_path_not_the_hidden_one() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let out = dir.path().join("missing/r.html");
    let stderr = report(&catalog, &out, &[]).usage_error();
    assert!(stderr.contains(&path_str(&out)), "{stderr}");
    assert!(stderr.contains("create it first"), "{stderr}");
    assert!(!stderr.contains("stac-ml-tmp"), "{stderr}");

    // An error met inside the hidden tree is worded with the output's path.
    let out = dir.path().join("q2");
    let staged = stac_ml::publish::Staged::begin(&out).unwrap();
    let inside = staged.path().join("labels/a/a.json");
    let err = staged.blame(stac_ml::Error::io(&inside, std::io::Error::from_raw_os_error(16)));
    let message = err.to_string();
    assert!(message.starts_with(&format!("{}: ", path_str(&out.join("labels/a/a.json")))), "{message}");
    assert!(message.contains("busy") && message.contains("write the output"), "{message}");
    assert!(!message.contains("stac-ml-tmp"), "{message}");
}

/// The hidden siblings beside `out`.
fn hidden_beside(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.stac-ml-")))
        .collect()
}

/// Starts `q2 CATALOG -o OUT`, waits until its hidden folder holds item
/// files (it is mid-write), sends `signal`, and returns the exit code.
fn signal_q2_mid_write(catalog: &Path, out: &Path, force: bool, signal: &str) -> Option<i32> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stac-ml"));
    command.args(["q2", &path_str(catalog), "-o", &path_str(out), "-q", "--no-validate"]);
    if force {
        command.arg("--force");
    }
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let hidden =
        out.with_file_name(format!(".{}.stac-ml-tmp-{}", out.file_name().unwrap().to_string_lossy(), child.id()));
    // Wait for a state (items being written), not for a time.
    loop {
        if std::fs::read_dir(hidden.join("labels")).is_ok_and(|mut d| d.next().is_some()) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("q2 ended before it was signalled ({status}); make the catalog bigger");
        }
        std::thread::yield_now();
    }
    assert!(Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success());
    child.wait().unwrap().code()
}

/// Point 11: SIGINT and SIGTERM mid-write remove the hidden folder and exit
/// 130 / 143; OUT stays absent, or (with `--force`) the old OUT intact.
#[test]
fn sigint_and_sigterm_remove_the_hidden_output() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3000, 1, &[]);

    let out = dir.path().join("out");
    assert_eq!(signal_q2_mid_write(&catalog, &out, false, "-INT"), Some(130));
    assert!(!out.exists(), "OUT was published");
    assert_eq!(hidden_beside(&out), Vec::<String>::new());

    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("old.txt"), "old").unwrap();
    let before = snapshot(&out);
    assert_eq!(signal_q2_mid_write(&catalog, &out, true, "-TERM"), Some(143));
    assert_same_tree(&before, &snapshot(&out), "the old OUT");
    assert_eq!(hidden_beside(&out), Vec::<String>::new());
}
