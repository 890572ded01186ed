//! The page around the sections: head, inline CSS, navigation, footer, and
//! the text and number formatting every section shares.

use std::fmt::{self, Write};

use super::{Legend, charts, map, tables};
use crate::catalog::Dataset;
use crate::info::Info;
use crate::metrics::QualityMetrics;
use crate::split::SplitView;
use crate::validate::Report;

const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.sub{color:#666;margin:0 0 8px;word-break:break-all}.caption{color:#666;margin:4px 0 8px}
nav a{margin-right:14px;color:#1f5fa8;text-decoration:none}
table{border-collapse:collapse;margin:6px 0 10px;background:#fff}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.ids{max-width:720px;word-break:break-all;font-family:ui-monospace,monospace;font-size:12px}
.more{color:#666;font-style:italic}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.legend span.item{margin-right:16px;white-space:nowrap}
svg.map{display:block;width:100%;height:auto;background:#fff;border:1px solid #ccc}
svg.map .footprint{fill-opacity:.45;stroke-width:1;vector-effect:non-scaling-stroke}
svg.map .land{fill:#ece8dc;stroke:#c9c2ae;stroke-width:1;vector-effect:non-scaling-stroke}
svg.map .leak{fill:none;stroke:#d00;stroke-width:2;stroke-dasharray:4 2;vector-effect:non-scaling-stroke}
svg.map .graticule line{stroke:#e4e4e4;stroke-width:1;vector-effect:non-scaling-stroke}
svg.map .graticule text{fill:#777;font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.chart{display:block;width:100%;max-width:920px;height:auto;background:#fff;border:1px solid #e0e0e0}
svg.chart text{font-size:12px;fill:#333}svg.chart .axis line{stroke:#e8e8e8}svg.chart .axis text{fill:#888}
.ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}.warn{color:#b26a00;font-weight:600}
footer{margin-top:36px;color:#888;font-size:12px}
";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The whole page: head and style, then each section in order.
pub(super) fn write_document(
    out: &mut String,
    dataset: &Dataset,
    info: &Info,
    metrics: &QualityMetrics,
    splits: Option<&SplitView>,
    validation: Option<&Report>,
) -> fmt::Result {
    let legend = Legend::new(dataset, splits);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{id}: stac-ml report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{id}</h1>\n<p class=\"sub\">{catalog}</p>\n\
         <nav><a href=\"#summary\">Summary</a><a href=\"#map-section\">Map</a><a href=\"#balance\">Class balance</a>\
         <a href=\"#findings\">Duplicates and leakage</a><a href=\"#missing\">Missing values</a>\
         <a href=\"#validation\">Validation</a></nav>\n",
        id = escape(&info.id),
        catalog = escape(&info.catalog),
    )?;
    tables::summary(out, info, &legend, metrics)?;
    let leaks = metrics.split_leakage.as_ref().map(|l| l.examples.as_slice()).unwrap_or_default();
    map::map(out, dataset, splits, &legend, leaks)?;
    charts::balance(out, &metrics.classes_balance, &legend)?;
    tables::findings(out, metrics)?;
    tables::missing(out, &metrics.missing_values)?;
    tables::validation_section(out, validation)?;
    writeln!(
        out,
        "<footer>Made by stac-ml {} from the local files only; nothing in this page is fetched.</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    )
}

/// A number with at most one decimal, without a trailing `.0`.
pub(super) fn num(value: f64) -> String {
    let s = format!("{value:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power)
}

/// At most `max` characters, with an ellipsis when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

pub(super) fn list(ids: &[String]) -> String {
    if ids.is_empty() { "-".into() } else { ids.join(", ") }
}

pub(super) fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 { format!("{:.1}%", part * 100.0 / whole) } else { "-".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("plain id_01"), "plain id_01");
        assert_eq!(escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(escape("a & b \"c\""), "a &amp; b &quot;c&quot;");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("é → ü"), "é → ü");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.25), "1.2");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(123.46), "123.5");
    }

    #[test]
    fn truncates_long_labels() {
        assert_eq!(truncate("short", 28), "short");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
