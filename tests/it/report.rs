//! `stac-ml report` and `q2 --report`: the HTML file is self-contained,
//! deterministic, bounded in size, and shows a map and charts; and a headless
//! Chromium renders it (the browser test, required in CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{generate, is_ci, path_str, read_json, run, run_env, tempdir, testdata, write_json};

/// Shapes drawn one by one at most (the library's `report::MAX_FOOTPRINTS`).
const MAX_FOOTPRINTS: usize = 5000;
/// Cells along the longer side of an aggregated map (`report::GRID_CELLS`).
const GRID_CELLS: usize = 100;

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The report of `catalog` written to `out`, read back.
fn report(catalog: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["report".to_string(), path_str(catalog), "-o".into(), path_str(out)];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = run(&args).success();
    assert!(output.stdout.contains("wrote "), "stdout: {}", output.stdout);
    std::fs::read_to_string(out).expect("the report is written")
}

/// The file opens offline: no scripts, no stylesheets or images loaded from
/// anywhere, only in-page links; a CSP that forbids loading anything.
#[track_caller]
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "an HTML document");
    assert!(html.trim_end().ends_with("</html>"), "a complete document");
    let lower = html.to_ascii_lowercase();
    for banned in ["<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "src=\"", "src='"] {
        assert!(!lower.contains(banned), "the report contains {banned:?}");
    }
    for (at, _) in lower.match_indices("href=\"") {
        let value = &lower[at + 6..];
        assert!(value.starts_with('#'), "only in-page links, found href=\"{}", &value[..value.len().min(40)]);
    }
    assert!(!lower.contains("http://") && !lower.contains("https://"), "no URL at all in a report of a local catalog");
    assert!(html.contains("default-src 'none'"), "a CSP forbids loading anything");
}

/// The map and at least one chart are there and not empty.
#[track_caller]
fn assert_map_and_charts(html: &str) {
    assert_eq!(count(html, "<svg id=\"map\""), 1, "one map");
    let shapes = count(html, "class=\"footprint\"") + count(html, "class=\"cell\"");
    assert!(shapes > 0, "the map draws shapes");
    assert!(count(html, "<svg class=\"chart\" data-property=\"label\"") == 1, "a chart of the `label` property");
    assert!(count(html, "class=\"bar\"") > 0, "the chart has bars");
}

#[test]
fn report_of_a_generated_catalog() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("g"), 300, 4, &["--dup-rate", "0.05", "--overlap", "0.1"]);
    let first = dir.path().join("first.html");
    let html = report(&catalog, &first, &[]);
    assert_self_contained(&html);
    assert_map_and_charts(&html);
    assert!(html.contains("data-mode=\"footprints\""), "300 pairs are drawn one by one");
    // 300 label + 300 source items; a pair shares one footprint, exact duplicates share theirs.
    assert_eq!(count(&html, "class=\"footprint\""), 300 - 15);
    // One bar per class: no splits in a Q1 catalog, only "all".
    assert_eq!(count(&html, "class=\"bar\""), 5);
    assert!(html.contains("<tr><th>spatial duplicates</th><td>15</td></tr>"));
    assert!(html.contains("No splits: leakage not measured."));
    // Valid; the generated image assets do not exist, hence warnings.
    assert!(
        html.contains(
            "id=\"validation-status\"><span class=\"warn\">valid, with warnings</span> at level Q1: 0 errors"
        )
    );

    // Deterministic: byte-identical on a second run, whatever the thread count.
    let second = dir.path().join("second.html");
    let args = ["report", &path_str(&catalog), "-o", &path_str(&second)];
    run_env(args, &[("RAYON_NUM_THREADS", "1")]).success();
    assert!(std::fs::read(&second).expect("second report") == html.as_bytes(), "the same input gives the same bytes");

    let skipped = report(&catalog, &dir.path().join("skipped.html"), &["--no-validate"]);
    assert!(skipped.contains("<p id=\"validation-status\">Not run.</p>"));
}

#[test]
fn data_strings_are_escaped() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("g"), 20, 2, &[]);
    let mut root = read_json(&catalog);
    let hostile = "<img src=x onerror=alert(1)> & \"quoted\" 'single'";
    root["id"] = hostile.into();
    write_json(&catalog, &root);
    let html = report(&catalog, &dir.path().join("r.html"), &["--no-validate"]);
    assert!(!html.contains(hostile) && !html.contains("<img"), "the raw id reaches the page");
    assert!(html.contains("<h1>&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39;</h1>"));
    assert_self_contained(&html);
}

#[test]
fn q2_report_is_written_next_to_the_catalog() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("g"), 400, 4, &["--dup-rate", "0.05", "--overlap", "0.2"]);
    let out = dir.path().join("q2");
    let q2 = |extra: &[&str]| {
        let mut args = vec!["q2".to_string(), path_str(&catalog), "-o".into(), path_str(&out), "--report".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args).success()
    };
    let output = q2(&[]);
    let path = out.join("report.html");
    assert!(output.stdout.contains(&format!("wrote {}", path.display())), "stdout: {}", output.stdout);
    let html = std::fs::read_to_string(&path).expect("q2 --report writes report.html next to catalog.json");
    assert_self_contained(&html);
    assert_map_and_charts(&html);
    assert!(html.contains("<tr><th>quality level</th><td>Q2</td></tr>"));
    for split in ["Training", "Validation", "Test"] {
        assert!(html.contains(&format!("<g class=\"split\" data-split=\"{split}\"")), "{split} on the map");
        assert!(html.contains(&format!("<rect class=\"bar\" data-split=\"{split}\"")), "{split} in the chart");
    }
    // 5 classes x (all + 3 splits), unless a small split misses a class.
    assert!(count(&html, "class=\"bar\"") > 5 * 3);
    assert!(html.contains("<table class=\"split-leakage\">"), "random splits of overlapping pairs leak");
    // Leaking pairs outlined on top of the footprints; the generated tiles
    // lie at sea (5°E 40°N), so no land is drawn there.
    let map = &html[html.find("<svg id=\"map\"").unwrap()..];
    let map = &map[..map.find("</svg>").unwrap()];
    let footprint = map.find("class=\"footprint\"").unwrap();
    assert!(map.find("<rect class=\"leak\"").expect("leaking pairs on the map") > footprint);
    assert!(!map.contains("class=\"land\""), "no land in the Balearic Sea");
    assert!(html.contains("Red dashed outlines mark where"), "the caption explains the marks");
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    assert!(html.contains("<table class=\"near-duplicates\">"));
    assert!(html.contains("<table class=\"spatial-duplicates\">"));
    assert!(
        html.contains(
            "id=\"validation-status\"><span class=\"warn\">valid, with warnings</span> at level Q2: 0 errors"
        )
    );
    assert!(!html.contains("stac-ml-tmp"), "paths of the temporary tree do not leak into the report");

    // The JSON summary names it; a rerun gives the same bytes.
    let json = q2(&["--force", "--json"]).json();
    assert_eq!(json["report"], path_str(&path));
    assert!(std::fs::read(&path).expect("rerun") == html.as_bytes(), "q2 --report is deterministic");

    // The published catalog itself does not link the report.
    let root = std::fs::read_to_string(out.join("catalog.json")).expect("catalog");
    assert!(!root.contains("report.html"));

    // Without --report there is none.
    run(["q2", &path_str(&catalog), "-o", &path_str(&out), "--force"]).success();
    assert!(!path.exists());
}

#[test]
fn many_footprints_are_aggregated() {
    let dir = tempdir();
    // 6000 distinct footprints (pairs share theirs): over the cap.
    let catalog = generate(&dir.path().join("g"), 6000, 3, &["--overlap", "0.05"]);
    let html = report(&catalog, &dir.path().join("r.html"), &["--no-validate"]);
    assert_self_contained(&html);
    assert_map_and_charts(&html);
    assert!(html.contains("data-mode=\"cells\""));
    assert_eq!(count(&html, "class=\"footprint\""), 0);
    let cells = count(&html, "class=\"cell\"");
    assert!(cells > 0 && cells <= GRID_CELLS * GRID_CELLS, "{cells} cells");
    assert!(count(&html, "class=\"footprint\"") <= MAX_FOOTPRINTS);
    // Tables stop after their cap: 300 shifted pairs make 600 near-duplicate
    // clusters (sources and labels apart), of which 25 rows are shown.
    assert!(html.contains("1200 items in 600 clusters"));
    assert!(html.contains("<tr><td class=\"more\" colspan=\"3\">575 more</td></tr>"), "the clusters table is capped");
    let clusters = &html[html.find("<table class=\"near-duplicates\">").expect("clusters table")..];
    let clusters = &clusters[..clusters.find("</table>").expect("table end")];
    assert_eq!(count(clusters, "<tr><td class=\"n\">"), 25, "25 cluster rows");
    assert!(html.len() < 1_500_000, "report of 12000 items is {} bytes", html.len());
}

#[test]
#[cfg_attr(not(has_shared_testdata), ignore = "needs ../shared/testdata beside the checkout")]
fn report_of_a_real_catalog() {
    let dir = testdata("EuroSAT-small-STAC");
    let tmp = tempdir();
    let html = report(&dir.join("catalog.json"), &tmp.path().join("r.html"), &[]);
    assert_map_and_charts(&html);
    // Europe's land is drawn under the footprints.
    let map = &html[html.find("<svg id=\"map\"").unwrap()..];
    let land = map.find("<path class=\"land\" d=\"M").expect("land on the map");
    assert!(land < map.find("class=\"footprint\"").unwrap(), "land is drawn under the footprints");
    assert_eq!(count(&html, "class=\"bar\""), 10, "EuroSAT's ten classes");
    // Its label:classes use arrays of names: validation finds errors, shown with relative paths.
    assert!(html.contains("<span class=\"bad\">invalid</span>"));
    assert!(html.contains("<td class=\"ids\">labels/"), "finding paths relative to the catalog");
}

// --- The browser test ----------------------------------------------------------------

/// The Chromium binary, or `None` (and a note) when it is not installed; in
/// CI (`CI=true`) a missing Chromium fails the test.
fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    let found = if fixed.is_file() {
        Some(fixed)
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
                .find(|p| p.is_file())
        })
    };
    match found {
        Some(path) => Some(path),
        None if is_ci() => panic!("CI=true but chromium is not installed (.ci/run installs the Debian package)"),
        None => {
            println!("skipped: chromium not installed");
            None
        }
    }
}

/// Runs headless Chromium on a local file with `extra` flags; returns stdout.
/// Killed (and the test failed) after two minutes.
fn headless(chromium: &Path, profile: &Path, extra: &[String], page: &Path) -> String {
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start chromium");
    // Read both pipes on threads so a full pipe never blocks chromium.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().expect("stdout thread").expect("chromium stdout is UTF-8");
    let stderr = err.join().expect("stderr thread").unwrap_or_default();
    assert!(status.success(), "chromium failed ({status}) on {}:\n{stderr}", page.display());
    stdout
}

/// A screenshot of `page`, as PNG bytes.
fn screenshot(chromium: &Path, dir: &Path, page: &Path, name: &str) -> Vec<u8> {
    let png = dir.join(format!("{name}.png"));
    let profile = dir.join(format!("profile-{name}"));
    let flags = [format!("--screenshot={}", png.display()), "--window-size=1400,3000".to_string()];
    headless(chromium, &profile, &flags, page);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is a PNG", png.display());
    bytes
}

/// The report with some elements hidden by an extra style rule.
fn hiding(html: &str, selector: &str) -> String {
    html.replacen("</style>", &format!("{selector}{{display:none}}</style>"), 1)
}

#[test]
#[cfg_attr(not(has_chromium), ignore = "chromium not installed: apt-get install chromium")]
fn chromium_renders_the_map_and_the_charts() {
    let Some(chromium) = chromium() else { return };
    let dir = tempdir();
    let catalog = generate(&dir.path().join("g"), 400, 4, &["--dup-rate", "0.05", "--overlap", "0.2"]);
    let out = dir.path().join("q2");
    run(["q2", &path_str(&catalog), "-o", &path_str(&out), "--report", "-q"]).success();
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).expect("report");

    // The DOM as Chromium parsed it: the map and the charts with their shapes.
    let dom = headless(&chromium, &dir.path().join("profile-dom"), &["--dump-dom".to_string()], &page);
    assert!(dom.contains("<svg id=\"map\""), "no map in the rendered DOM:\n{}", &dom[..dom.len().min(2000)]);
    let map = &dom[dom.find("<svg id=\"map\"").expect("map")..];
    let map = &map[..map.find("</svg>").expect("the map svg ends")];
    let footprints = count(map, "class=\"footprint\"");
    assert!(footprints > 0, "no footprints inside the rendered map");
    assert_eq!(footprints, count(&html, "class=\"footprint\""), "every footprint survives parsing");
    let bars = count(&dom, "<rect class=\"bar\"");
    assert!(bars > 0 && bars == count(&html, "<rect class=\"bar\""), "{bars} bars in the rendered DOM");
    assert!(dom.contains("data-property=\"label\""));

    // Pixels: the page renders to a large, non-uniform image, and hiding the
    // footprints or the bars changes the image (so both draw visible pixels).
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").expect("blank page");
    let blank = screenshot(&chromium, dir.path(), &blank, "blank");
    let full = screenshot(&chromium, dir.path(), &page, "report");
    assert!(full.len() > 40_000, "the screenshot is only {} bytes", full.len());
    assert!(full.len() > 4 * blank.len(), "report {} bytes vs blank page {} bytes", full.len(), blank.len());
    for selector in [".footprint", ".bar"] {
        let hidden = dir.path().join(format!("hidden{selector}.html"));
        std::fs::write(&hidden, hiding(&html, selector)).expect("write variant");
        let shot = screenshot(&chromium, dir.path(), &hidden, &selector[1..]);
        assert!(shot != full, "hiding {selector} changes nothing on screen: it draws nothing visible");
    }
    // Keep the screenshot for people looking at a failed CI run.
    if let Some(target) = std::env::var_os("STAC_ML_REPORT_SCREENSHOT") {
        std::fs::write(target, &full).expect("copy the screenshot");
    }
}
