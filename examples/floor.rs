//! The read+parse floor for benches/e2e.sh: read every `.json` file under a
//! folder whole and parse it with serde_json, in parallel. No STAC logic; what
//! any loader must at least spend.

use rayon::prelude::*;

fn main() {
    let root = std::env::args().nth(1).expect("usage: floor DIR");
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    let start = std::time::Instant::now();
    let parsed: usize = files
        .par_iter()
        .map(|p| {
            let bytes = std::fs::read(p).expect("read");
            let value: serde_json::Value = serde_json::from_slice(&bytes).expect("parse");
            usize::from(value.is_object())
        })
        .sum();
    println!("{parsed} {:.3}", start.elapsed().as_secs_f64());
}
