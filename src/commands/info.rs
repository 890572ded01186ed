//! `stac-ml info`: the dataset at a glance.

use stac_ml::escape::escape;
use std::io::Write;

use anyhow::Result;
use stac_ml::info::{Info, human_bytes, info};
use stac_ml::input;

use super::{ExitStatus, Printer};
use crate::cli::InfoArgs;

/// Runs `info`.
pub fn run(args: InfoArgs, printer: Printer) -> Result<ExitStatus> {
    let spinner = printer.spinner("loading");
    let source = input::open(&args.catalog);
    let dataset = source.load()?;
    let overview = info(source.as_ref(), &dataset)?;
    spinner.finish_and_clear();
    printer.warnings(&dataset.warnings);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &overview)?;
        writeln!(stdout)?;
    } else {
        print_text(&mut stdout, &overview)?;
    }
    Ok(ExitStatus::Success)
}

fn print_text(out: &mut impl Write, info: &Info) -> std::io::Result<()> {
    writeln!(out, "{} ({:?}, {} items)  {}", escape(&info.id), info.quality, info.items, escape(&info.catalog))?;
    writeln!(out, "labels:         {}", list(&info.labels))?;
    writeln!(out, "source imagery: {}", list(&info.source_imagery))?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:<26} {:>9} {:>7} {:>12} {:>8}",
        "collection", "roles", "items", "labels", "assets", "missing"
    )?;
    for c in &info.collections {
        writeln!(
            out,
            "{:<28} {:<26} {:>9} {:>7} {:>12} {:>8}",
            escape(&c.id),
            escape(&c.roles.join(",")),
            c.items,
            c.label_items,
            human_bytes(c.assets.bytes),
            c.assets.missing
        )?;
        if let Some([start, end]) = &c.temporal {
            writeln!(out, "    time  {} .. {}", escape(start), escape(end))?;
        }
        if let Some(b) = c.spatial {
            writeln!(out, "    bbox  [{}, {}, {}, {}]", b[0], b[1], b[2], b[3])?;
        }
        if !c.extensions.is_empty() {
            writeln!(out, "    ext   {}", escape(&c.extensions.join(", ")))?;
        }
    }
    if !info.splits.is_empty() {
        writeln!(out)?;
        for s in &info.splits {
            writeln!(out, "split {:<20} {:>9}", escape(&s.name), s.items)?;
        }
    }
    Ok(())
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() { "-".into() } else { escape(&ids.join(", ")).into_owned() }
}
