//! STAC extension identifiers: the canonical schema URL of an extension,
//! and the known aliases that name the same schema.
//!
//! The canonical form is `https://stac-extensions.github.io/<name>/<version>/schema.json`.
//! Known aliases of it, any of them over `http` or `https` and with a
//! trailing `#`:
//! - `stac-extensions.github.io/<name>/<version>/json-schema/schema.json`
//! - `raw.githubusercontent.com/stac-extensions/<name>/<version>/json-schema/schema.json`
//! - `crim-ca.github.io/mlm-extension/<version>/schema.json` (the mlm
//!   extension's former home), for `mlm`.

/// Where the canonical extension schemas live.
const CANONICAL_HOST: &str = "stac-extensions.github.io";

/// An extension named by a schema URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionId<'a> {
    /// Its name: `label`, `ml-aoi`, `eo`, ...
    pub name: &'a str,
    /// Its version as the URL spells it: `v1.0.1`.
    pub version: &'a str,
    /// True when the URL is the canonical one.
    pub canonical: bool,
}

impl ExtensionId<'_> {
    /// The canonical schema URL of this extension and version.
    pub fn canonical_url(&self) -> String {
        format!("https://{CANONICAL_HOST}/{}/{}/schema.json", self.name, self.version)
    }
}

/// The extension a schema URL names, canonical or a known alias; `None` for
/// any other URL.
pub fn parse(url: &str) -> Option<ExtensionId<'_>> {
    let (https, rest) = match url.split_once("://")? {
        ("https", rest) => (true, rest),
        ("http", rest) => (false, rest),
        _ => return None,
    };
    let trimmed = rest.strip_suffix('#');
    let rest = trimmed.unwrap_or(rest);
    let parts: Vec<&str> = rest.split('/').collect();
    let (name, version, canonical) = match parts.as_slice() {
        [CANONICAL_HOST, name, version, "schema.json"] => (*name, *version, true),
        [CANONICAL_HOST, name, version, "json-schema", "schema.json"] => (*name, *version, false),
        ["raw.githubusercontent.com", "stac-extensions", name, version, "json-schema", "schema.json"] => {
            (*name, *version, false)
        }
        ["crim-ca.github.io", "mlm-extension", version, "schema.json"] => ("mlm", *version, false),
        _ => return None,
    };
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid(name) || !version.starts_with('v') || !valid(version) {
        return None;
    }
    Some(ExtensionId { name, version, canonical: canonical && https && trimmed.is_none() })
}

/// True when `url` names extension `name` (any version), canonically or
/// through a known alias.
pub fn is(url: &str, name: &str) -> bool {
    parse(url).is_some_and(|id| id.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_and_aliases() {
        let canonical = "https://stac-extensions.github.io/label/v1.0.1/schema.json";
        let id = parse(canonical).unwrap();
        assert_eq!((id.name, id.version, id.canonical), ("label", "v1.0.1", true));
        for alias in [
            "http://stac-extensions.github.io/label/v1.0.1/schema.json",
            "https://stac-extensions.github.io/label/v1.0.1/schema.json#",
            "https://stac-extensions.github.io/label/v1.0.1/json-schema/schema.json",
            "https://raw.githubusercontent.com/stac-extensions/label/v1.0.1/json-schema/schema.json",
        ] {
            let id = parse(alias).unwrap_or_else(|| panic!("{alias}"));
            assert!(!id.canonical, "{alias}");
            assert_eq!(id.canonical_url(), canonical, "{alias}");
            assert!(is(alias, "label"));
        }
        let mlm = parse("https://crim-ca.github.io/mlm-extension/v1.2.0/schema.json").unwrap();
        assert_eq!(mlm.canonical_url(), "https://stac-extensions.github.io/mlm/v1.2.0/schema.json");
        for other in [
            "https://example.com/label/v1.0.1/schema.json",
            "../schema/v1.0.0/projection.json",
            "https://stac-extensions.github.io/label/1.0.1/schema.json",
            "ftp://stac-extensions.github.io/label/v1.0.1/schema.json",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
        assert!(!is(canonical, "ml-aoi"));
    }
}
