//! Resolving and relativising hrefs. Paths are handled lexically after the
//! root has been canonicalised once: canonicalising every item file would cost
//! a syscall per path, and `stac::href::make_absolute` is wrong for relative
//! bases (../shared/NOTES.md §6).

use std::path::{Component, Path, PathBuf};

/// True when an href names something behind a network scheme (http, https,
/// s3, gs, ...). `file://` hrefs are local.
pub fn is_remote(href: &str) -> bool {
    match href.find("://") {
        Some(pos) => {
            let scheme = &href[..pos];
            !scheme.eq_ignore_ascii_case("file")
                && !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Resolves `href` found in the file `base` to an absolute, normalised path.
/// `base` must already be absolute and normalised.
pub fn resolve(base: &Path, href: &str) -> PathBuf {
    let href = href.strip_prefix("file://").unwrap_or(href);
    let target = Path::new(href);
    if target.is_absolute() {
        normalize(target)
    } else {
        normalize(&base.parent().unwrap_or(Path::new("/")).join(target))
    }
}

/// Removes `.` and `..` components without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` at the root stays at the root, as the OS resolves it; a
                // relative path keeps leading `..`s it cannot pop.
                let at_root = out.has_root() && out.parent().is_none();
                if !at_root && (out.as_os_str().is_empty() || out.ends_with("..") || !out.pop()) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The href that reaches `target` from a file in the folder `from_dir`, with
/// `/` separators; both paths absolute and normalised. Relative hrefs start
/// with `./` or `../`, the way pystac writes them.
pub fn relative(from_dir: &Path, target: &Path) -> String {
    let from: Vec<_> = from_dir.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..from.len() {
        parts.push("..".into());
    }
    for component in &to[common..] {
        parts.push(component.as_os_str().to_string_lossy().into_owned());
    }
    if parts.first().is_some_and(|first| first == "..") { parts.join("/") } else { format!("./{}", parts.join("/")) }
}

/// The last path segment of an href without its `.json`: how a row is
/// named by the JSON file it came from.
pub fn stem(href: &str) -> &str {
    let href = href.split(['?', '#']).next().unwrap_or(href);
    let last = href.rsplit('/').next().unwrap_or(href);
    last.strip_suffix(".json").unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_schemes() {
        assert!(is_remote("https://example.com/a.json"));
        assert!(is_remote("s3://bucket/key.json"));
        assert!(!is_remote("file:///tmp/a.json"));
        assert!(!is_remote("./a.json"));
        assert!(!is_remote("../b/c.json"));
        assert!(!is_remote("weird:name.json"));
    }

    #[test]
    fn resolves_relative_and_absolute() {
        let base = Path::new("/data/cat/labels/collection.json");
        assert_eq!(resolve(base, "./a/a.json"), Path::new("/data/cat/labels/a/a.json"));
        assert_eq!(resolve(base, "../catalog.json"), Path::new("/data/cat/catalog.json"));
        assert_eq!(resolve(base, "/x/y.json"), Path::new("/x/y.json"));
        assert_eq!(resolve(base, "file:///x/./z.json"), Path::new("/x/z.json"));
    }

    #[test]
    fn relativises() {
        assert_eq!(relative(Path::new("/o/labels/a"), Path::new("/o/catalog.json")), "../../catalog.json");
        assert_eq!(relative(Path::new("/o"), Path::new("/o/labels/collection.json")), "./labels/collection.json");
        assert_eq!(relative(Path::new("/o/x"), Path::new("/data/img.tif")), "../../data/img.tif");
    }
}
