//! The page around the sections: head, inline CSS, navigation and footer.

use std::fmt::{self, Write};

use super::text::escape;
use super::{Legend, charts, labels, map, tables};
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

/// Navigation links to the label sections that exist.
fn label_links(metrics: &QualityMetrics) -> String {
    let mut links = String::new();
    if metrics.target_distribution.is_some() {
        links.push_str("<a href=\"#targets\">Regression targets</a>");
    }
    if metrics.objects_per_item.is_some() {
        links.push_str("<a href=\"#objects\">Objects per item</a>");
    }
    if metrics.label_source_consistency.is_some() {
        links.push_str("<a href=\"#consistency\">Label/source consistency</a>");
    }
    links
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
{label_links}<a href=\"#findings\">Duplicates and leakage</a><a href=\"#missing\">Missing values</a>\
         <a href=\"#validation\">Validation</a></nav>\n",
        id = escape(&info.id),
        catalog = escape(&info.catalog),
        label_links = label_links(metrics),
    )?;
    tables::summary(out, info, &legend, metrics)?;
    let leaks = metrics.split_leakage.as_ref().map(|l| l.examples.as_slice()).unwrap_or_default();
    map::map(out, dataset, splits, &legend, leaks)?;
    charts::balance(out, &metrics.classes_balance, &legend)?;
    if let Some(pixels) = &metrics.pixel_balance {
        charts::pixels(out, pixels, &legend)?;
    }
    labels::sections(out, metrics)?;
    tables::findings(out, metrics)?;
    tables::missing(out, &metrics.missing_values)?;
    tables::validation_section(out, validation)?;
    writeln!(
        out,
        "<footer>Made by stac-ml {} from the local files only; nothing in this page is fetched.</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    )
}
