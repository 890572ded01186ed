//! `stac-ml validate`: the offline CI gate before ingest.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use stac_ml::validate::{self, Options, Profile, Report, Severity};

use super::{ExitStatus, Printer};
use crate::cli::{ValidateArgs, ValidateFormat, ValidateProfile};

/// Runs `validate`.
pub fn run(args: ValidateArgs, printer: Printer) -> Result<ExitStatus> {
    if args.list_schemas {
        let mut stdout = std::io::stdout().lock();
        for (url, _) in validate::schemas::BUNDLED {
            writeln!(stdout, "{}\t{url}", validate::schemas::label(url))?;
        }
        return Ok(ExitStatus::Success);
    }
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
    match args.format {
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

/// Findings grouped by file, each with its JSON pointer, then a summary line.
pub fn print_text(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let mut current = None;
    for finding in &report.findings {
        if current != Some(&finding.path) {
            writeln!(out, "{}", finding.path.display())?;
            current = Some(&finding.path);
        }
        let pointer =
            finding.pointer.as_deref().map(|p| format!(" {}", if p.is_empty() { "/" } else { p })).unwrap_or_default();
        writeln!(out, "  {} [{:?}]{pointer}: {}", severity(finding.severity), finding.kind, finding.message)?;
    }
    if report.omitted > 0 {
        writeln!(out, "({} more findings not listed)", report.omitted)?;
    }
    let quality = report.quality.map(|q| format!("{q:?}")).unwrap_or_else(|| "-".into());
    writeln!(
        out,
        "{}: {} errors, {} warnings in {} catalogs/collections and {} items (claims {quality}): {}",
        report.root.display(),
        report.errors,
        report.warnings,
        report.nodes,
        report.items,
        if report.is_valid() { "valid" } else { "INVALID" }
    )
}

/// GitHub Actions workflow commands: one annotation per finding.
fn print_github(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    // Workflow commands need %, CR and LF escaped in the message.
    let escape = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    for finding in &report.findings {
        let title =
            format!("{:?}{}", finding.kind, finding.pointer.as_deref().map(|p| format!(" {p}")).unwrap_or_default());
        writeln!(
            out,
            "::{} file={},title={}::{}",
            severity(finding.severity),
            escape(&finding.path.display().to_string()).replace(',', "%2C"),
            escape(&title).replace(',', "%2C").replace(':', "%3A"),
            escape(&finding.message)
        )?;
    }
    writeln!(out, "{} errors, {} warnings", report.errors, report.warnings)
}
