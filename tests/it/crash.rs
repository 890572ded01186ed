//! Crash safety: `q2 -o OUT --force` killed with SIGKILL at spread-out
//! moments leaves OUT absent (when there was none) or complete: the old
//! complete catalog or the new complete one, never a partial tree. The input
//! is never touched, and a later normal run succeeds whatever hidden temp
//! folders the killed runs left behind.
//!
//! Known gap, not provoked here: where the OS cannot exchange two folders in
//! one step, `publish.rs` `Staged::publish` replaces an existing OUT with two
//! renames (OUT to `.OUT.stac-ml-old-PID`, then the temp tree to OUT). A kill between them (a window of microseconds) leaves OUT absent
//! and the old catalog only in the hidden folder. Were a kill to land there,
//! this test would fail, rightly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::util::{Entry, assert_same_tree, generate, path_str, run, snapshot, tempdir};

const PAIRS: usize = 3000;
const ITERATIONS: u64 = 8;

/// `q2 INPUT -o OUT --force --seed SEED` as a command, not yet started.
fn q2_command(input: &Path, out: &Path, seed: u64) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stac-ml"));
    command.args(["q2", &path_str(input), "-o", &path_str(out), "--force", "-q", "--seed", &seed.to_string()]);
    command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    command
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Hidden `.NAME.stac-ml-*` siblings of `out`.
fn strays(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let mut found: Vec<String> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.stac-ml-")))
        .collect();
    found.sort();
    found
}

/// A number in [0, 1) from `n`, the same on every run (SplitMix64).
fn unit(n: u64) -> f64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

/// What OUT held after a kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Absent,
    Old,
    New,
}

#[test]
fn killed_q2_leaves_output_absent_or_complete() {
    let dir = tempdir();
    let input = generate(&dir.path().join("in"), PAIRS, 5, &["--dup-rate", "0.05", "--overlap", "0.1"]);
    let input_before = snapshot(input.parent().unwrap());

    // The old output (seed 1) and the new one (seed 2), written beside OUT so
    // their relative hrefs to the input are the same as OUT's.
    let (old_dir, new_dir) = (dir.path().join("ref-old"), dir.path().join("ref-new"));
    assert!(q2_command(&input, &old_dir, 1).status().unwrap().success());
    let started = Instant::now();
    assert!(q2_command(&input, &new_dir, 2).status().unwrap().success());
    let full_run = started.elapsed();
    let (old, new) = (snapshot(&old_dir), snapshot(&new_dir));
    assert_ne!(old, new, "the two seeds give different outputs");
    let items = count_items(&new_dir);
    assert_eq!(items, 2 * PAIRS as u64);
    println!("one full q2 run of {} items: {full_run:?}", 2 * PAIRS);

    let out = dir.path().join("out");
    let mut seen = Vec::new();
    for i in 0..ITERATIONS {
        let prepopulated = i % 2 == 0;
        if out.exists() {
            std::fs::remove_dir_all(&out).unwrap();
        }
        if prepopulated {
            copy_tree(&old_dir, &out);
        }
        // Spread the kills over the whole run: a permutation of eighths, plus jitter.
        let fraction = (((i * 5) % ITERATIONS) as f64 + unit(i)) / ITERATIONS as f64;
        let delay = full_run.mul_f64(fraction);
        let mut child = q2_command(&input, &out, 2).spawn().expect("spawn q2");
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        let status = child.wait().unwrap();
        let state = state_of(&out, &old, &new, i);
        if state != State::Absent {
            assert_eq!(count_items(&out), items, "iteration {i}: info on OUT");
        }
        match (prepopulated, state) {
            (true, State::Old | State::New) | (false, State::Absent | State::New) => {}
            (prepopulated, state) => panic!("iteration {i}: OUT is {state:?} (pre-populated: {prepopulated})"),
        }
        let left = strays(&out);
        println!(
            "iteration {i}: pre-populated {prepopulated}, killed after {delay:?} ({:.0}%){}: OUT {state:?}, {status}, hidden siblings {left:?}",
            fraction * 100.0,
            if finished { " (had already finished)" } else { "" },
        );
        seen.push((prepopulated, state));
    }
    // The kills hit both before and after the publication.
    assert!(seen.iter().any(|(p, s)| *p && *s == State::Old), "no kill before publication with OUT present: {seen:?}");
    assert!(seen.iter().any(|(p, s)| !*p && *s == State::Absent), "no kill before publication: {seen:?}");

    // Whatever the killed runs left, a normal run still succeeds and is right.
    let left = strays(&out);
    assert!(q2_command(&input, &out, 2).status().unwrap().success(), "a normal run after the kills");
    assert_same_tree(&new, &snapshot(&out), "OUT after a normal run");
    println!("hidden siblings left by the killed runs: {left:?}; after the normal run: {:?}", strays(&out));
    assert_same_tree(&input_before, &snapshot(input.parent().unwrap()), "the input");
}

/// `info OUT/catalog.json --json` succeeds; its item count.
fn count_items(out: &Path) -> u64 {
    let info = run(["info", &path_str(&out.join("catalog.json")), "--json"]).success().json();
    info["items"].as_u64().expect("items")
}

/// Compares OUT with the two complete outputs; a partial tree fails here,
/// naming what differs from the nearer one.
fn state_of(out: &Path, old: &BTreeMap<PathBuf, Entry>, new: &BTreeMap<PathBuf, Entry>, i: u64) -> State {
    if !out.exists() {
        return State::Absent;
    }
    let now = snapshot(out);
    if &now == new {
        State::New
    } else if &now == old {
        State::Old
    } else {
        let differ_new = now.iter().filter(|(p, e)| new.get(*p) != Some(e)).count();
        let differ_old = now.iter().filter(|(p, e)| old.get(*p) != Some(e)).count();
        let nearer = if differ_new <= differ_old { new } else { old };
        assert_same_tree(nearer, &now, &format!("iteration {i}: OUT is neither the old nor the new catalog; it"));
        unreachable!()
    }
}

/// Keeps the kill delays of the loop honest: they cover the run from start
/// to end, and both pre-populated and absent iterations get early and late
/// kills.
#[test]
fn kill_delays_cover_the_run() {
    let fractions: Vec<(bool, f64)> =
        (0..ITERATIONS).map(|i| (i % 2 == 0, (((i * 5) % ITERATIONS) as f64 + unit(i)) / ITERATIONS as f64)).collect();
    for k in 0..ITERATIONS {
        let low = k as f64 / ITERATIONS as f64;
        let high = (k + 1) as f64 / ITERATIONS as f64;
        assert_eq!(fractions.iter().filter(|(_, f)| *f >= low && *f < high).count(), 1, "one kill per eighth");
    }
    for prepopulated in [true, false] {
        let mine: Vec<f64> = fractions.iter().filter(|(p, _)| *p == prepopulated).map(|(_, f)| *f).collect();
        assert!(mine.iter().any(|f| *f < 0.4) && mine.iter().any(|f| *f > 0.6), "{prepopulated}: {mine:?}");
    }
}
