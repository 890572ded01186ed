//! `stac-ml validate`: the offline CI gate before ingest.

use stac_ml::escape::escape;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use stac_ml::validate::{self, Finding, Kind, Object, Options, Profile, Report, Severity};

use super::{ExitStatus, Printer};
use crate::cli::{ValidateArgs, ValidateFormat, ValidateProfile};

/// Runs `validate`.
pub fn run(args: ValidateArgs, printer: Printer) -> Result<ExitStatus> {
    if let Some(note) = args.deprecation() {
        printer.warn(note);
    }
    if args.list_schemas {
        let mut stdout = std::io::stdout().lock();
        for (url, _) in validate::schemas::BUNDLED {
            writeln!(stdout, "{}\t{url}", validate::schemas::label(url))?;
        }
        return Ok(ExitStatus::Success);
    }
    let format = args.format();
    let Some(path) = args.path else { bail!("validate needs a PATH (a catalog file or a dataset folder)") };
    let mut schemas = Vec::new();
    for pair in &args.schema {
        let Some((url, path)) = pair.split_once('=') else {
            bail!("--schema {pair:?}: expected URL=PATH");
        };
        schemas.push((url.to_string(), PathBuf::from(path)));
    }
    let profile = match args.profile {
        ValidateProfile::Stac => Profile::Stac,
        ValidateProfile::Eotdl => Profile::Eotdl,
    };
    let options = Options { profile, strict: args.strict, schemas, schema_dir: args.schema_dir, ..Options::default() };
    let spinner = printer.spinner("validating");
    let report = validate::validate_path(&path, &options)?;
    spinner.finish_and_clear();
    let mut stdout = std::io::stdout().lock();
    match format {
        ValidateFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
        ValidateFormat::Github => print_github(&mut stdout, &report)?,
        ValidateFormat::Text => print_text(&mut stdout, &report)?,
    }
    Ok(if report.is_valid() { ExitStatus::Success } else { ExitStatus::Failure })
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// How many files a folded line names before "… and N more".
const FOLDED_FILES: usize = 3;

/// `n` and the noun, singular or plural: "1 error", "2 errors".
fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// What makes findings in different files identical.
type Key<'a> = (Severity, Kind, Option<&'a str>, &'a str);

fn key(f: &Finding) -> Key<'_> {
    (f.severity, f.kind, f.pointer.as_deref(), f.message.as_str())
}

/// One finding's line, indented, without its file.
fn finding_line(finding: &Finding) -> String {
    let pointer =
        finding.pointer.as_deref().map(|p| format!(" {}", if p.is_empty() { "/" } else { p })).unwrap_or_default();
    format!("  {} [{:?}]{}: {}", severity(finding.severity), finding.kind, escape(&pointer), escape(&finding.message))
}

/// Where a finding is: its file, and the object within the file when the
/// file holds several (a stac-geoparquet table).
type Location<'a> = (&'a Path, Option<&'a Object>);

fn location(finding: &Finding) -> Location<'_> {
    (finding.path.as_path(), finding.object.as_ref())
}

/// A location for people: `FILE` or `FILE: item "ID"`.
fn location_text((path, object): Location<'_>) -> String {
    let path = escape(&path.display().to_string()).into_owned();
    match object {
        Some(object) => format!("{path}: {}", escape(&object.to_string())),
        None => path,
    }
}

/// Findings grouped by file (and object, in a table), each with its JSON
/// pointer; findings identical (severity, kind, pointer, message) in several
/// places folded into one line with the number of places and the first few;
/// then a summary line.
pub fn print_text(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    // The locations of each key, in report order (sorted by path).
    let mut places: BTreeMap<Key<'_>, Vec<Location<'_>>> = BTreeMap::new();
    for finding in &report.findings {
        let list = places.entry(key(finding)).or_default();
        if list.last() != Some(&location(finding)) {
            list.push(location(finding));
        }
    }
    let mut current = None;
    for finding in report.findings.iter().filter(|f| places[&key(f)].len() == 1) {
        if current != Some(location(finding)) {
            writeln!(out, "{}", location_text(location(finding)))?;
            current = Some(location(finding));
        }
        writeln!(out, "{}", finding_line(finding))?;
    }
    let mut folded: Vec<(&Finding, &Vec<Location<'_>>)> = Vec::new();
    for finding in &report.findings {
        let list = &places[&key(finding)];
        if list.len() > 1 && list[0] == location(finding) && !folded.iter().any(|(f, _)| key(f) == key(finding)) {
            folded.push((finding, list));
        }
    }
    if !folded.is_empty() {
        writeln!(out, "in several files:")?;
    }
    for (finding, list) in folded {
        let names: Vec<String> = list.iter().take(FOLDED_FILES).map(|&l| location_text(l)).collect();
        let more = list.len().saturating_sub(FOLDED_FILES);
        let more = if more > 0 { format!(", … and {more} more") } else { String::new() };
        let noun =
            if list.iter().any(|(_, object)| object.is_some()) { ("object", "objects") } else { ("file", "files") };
        writeln!(out, "{} ({}: {}{more})", finding_line(finding), count(list.len(), noun.0, noun.1), names.join(", "))?;
    }
    if report.omitted > 0 {
        writeln!(out, "({} not listed)", count(report.omitted, "more finding", "more findings"))?;
    }
    let quality = report.quality.map(|q| format!("{q:?}")).unwrap_or_else(|| "-".into());
    writeln!(
        out,
        "{}: {}, {} in {} and {} (claims {quality}): {}",
        escape(&report.root.display().to_string()),
        count(report.errors, "error", "errors"),
        count(report.warnings, "warning", "warnings"),
        count(report.nodes, "catalog/collection", "catalogs/collections"),
        count(report.items, "item", "items"),
        if report.is_valid() { "valid" } else { "INVALID" }
    )
}

/// GitHub Actions workflow commands: one annotation per finding.
fn print_github(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    // Workflow commands need %, CR and LF escaped in the message; other
    // control characters are escaped for the log reader.
    let escape = |s: &str| escape(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    for finding in &report.findings {
        let title =
            format!("{:?}{}", finding.kind, finding.pointer.as_deref().map(|p| format!(" {p}")).unwrap_or_default());
        writeln!(
            out,
            "::{} file={},title={}::{}",
            severity(finding.severity),
            escape(&finding.path.display().to_string()).replace(',', "%2C"),
            escape(&title).replace(',', "%2C").replace(':', "%3A"),
            escape(&match &finding.object {
                Some(object) => format!("{object}: {}", finding.message),
                None => finding.message.clone(),
            })
        )?;
    }
    writeln!(out, "{}, {}", count(report.errors, "error", "errors"), count(report.warnings, "warning", "warnings"))
}
