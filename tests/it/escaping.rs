//! Control characters from the input (hrefs, ids, paths) are escaped in every
//! human-readable line, so they can neither split a message nor forge an
//! `error:` line or drive the terminal; `--json` output stays exact
//! (issue 14, point 17).

use serde_json::json;

use crate::util::{generate, path_str, read_json, run, tempdir, write_json};

const FORGED: &str = "x\nerror: forged\u{1b}[2J\r\u{7f}\u{85}\u{202e}";
const ESCAPED: &str = "x\\nerror: forged\\x1b[2J\\r\\x7f\\u{85}\\u{202e}";

/// No raw control character, and no line that does not start as it should.
#[track_caller]
fn assert_clean(text: &str, prefixes: &[&str]) {
    for c in text.chars() {
        assert!(c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)), "raw {c:?} in:\n{text}");
    }
    for line in text.lines() {
        assert!(!line.starts_with("error: forged"), "forged line in:\n{text}");
        if !prefixes.is_empty() {
            assert!(prefixes.iter().any(|p| line.starts_with(p)), "unexpected line {line:?} in:\n{text}");
        }
    }
}

#[test]
fn an_href_with_control_characters_is_escaped_in_errors_warnings_and_findings() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    // A warning: a remote source link.
    let item = dir.path().join("in/labels/tile_0000001/tile_0000001.json");
    let mut json = read_json(&item);
    json["links"].as_array_mut().unwrap().push(json!({"rel": "source", "href": format!("https://e.com/{FORGED}")}));
    write_json(&item, &json);
    let output = run(["metrics", &path_str(&catalog)]).success();
    assert!(output.stderr.contains(ESCAPED), "{}", output.stderr);
    assert_clean(&output.stderr, &["warning: "]);

    // An error: a broken child link.
    let mut root = read_json(&catalog);
    root["links"].as_array_mut().unwrap().push(json!({"rel": "child", "href": format!("{FORGED}.json")}));
    write_json(&catalog, &root);
    let stderr = run(["metrics", &path_str(&catalog)]).usage_error();
    assert!(stderr.contains(ESCAPED), "{stderr}");
    assert_clean(&stderr, &["error: "]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // A validation finding, in text and in GitHub annotations.
    for format in [&[][..], &["--format", "github"][..]] {
        let mut args = vec!["validate".to_string(), path_str(&catalog)];
        args.extend(format.iter().map(|s| s.to_string()));
        let output = run(&args);
        assert_eq!(output.code, 1, "{}", output.stderr);
        assert!(output.stdout.contains("error: forged"), "the href is reported: {}", output.stdout);
        assert_clean(&output.stdout, &[]);
    }
}

#[test]
fn ids_are_escaped_in_text_and_exact_in_json() {
    let dir = tempdir();
    let catalog = generate(&dir.path().join("in"), 3, 1, &[]);
    let collection = dir.path().join("in/labels/collection.json");
    let mut json = read_json(&collection);
    json["id"] = FORGED.into();
    write_json(&collection, &json);
    let output = run(["info", &path_str(&catalog)]).success();
    assert!(output.stdout.contains(ESCAPED), "{}", output.stdout);
    assert_clean(&output.stdout, &[]);
    let output = run(["info", &path_str(&catalog), "--json"]).success();
    assert!(output.stdout.contains(&serde_json::to_string(FORGED).unwrap()), "{}", output.stdout);
}
