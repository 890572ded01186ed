//! One file per command. Each turns clap arguments into library options, runs
//! the library and prints: results to stdout, progress and warnings to stderr.

pub mod generate;
pub mod info;
pub mod metrics;
pub mod q2;
pub mod report;
pub mod split;
pub mod validate;

use std::io::IsTerminal;
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use stac_ml::catalog::Warnings;
use stac_ml::progress::Observer;

/// The exit status of a command: 0 ok, 1 the data failed a check, 2 usage or
/// I/O error (the last is produced by `main` from an `Err`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// All went well.
    Success,
    /// The data failed a check.
    Failure,
}

/// Where progress and warnings go.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Print nothing on stderr but errors.
    pub quiet: bool,
    /// `--timings`: when the command started.
    pub timings: Option<std::time::Instant>,
}

impl Printer {
    /// A progress bar on stderr, hidden when quiet or when stderr is not a terminal.
    pub fn progress(&self, length: u64, message: &'static str) -> indicatif::ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(length);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message);
        bar
    }

    /// A spinner on stderr for work of unknown length.
    pub fn spinner(&self, message: &'static str) -> indicatif::ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// Prints the loader's warnings on stderr.
    pub fn warnings(&self, warnings: &Warnings) {
        if self.quiet {
            return;
        }
        for line in warnings.lines() {
            self.warn(&line);
        }
    }

    /// Prints the metrics' hints on stderr (`hint: ...`, as uv does),
    /// settings spelt as flags.
    #[allow(clippy::print_stderr)]
    pub fn hints(&self, hints: &[stac_ml::hints::Hint]) {
        if self.quiet {
            return;
        }
        for hint in hints {
            let line = hint.describe(|s| crate::cli::flag(s).to_string());
            eprintln!("hint: {}", stac_ml::escape::escape(&line));
        }
    }

    /// With `--timings`, prints on stderr that a stage ended, with the time
    /// since the command started and since the stage started.
    #[allow(clippy::print_stderr)]
    pub fn stage(&self, what: &str, started: std::time::Instant) {
        if let Some(start) = self.timings {
            eprintln!(
                "timing: {:>8.2} s  {what} ({:.2} s{})",
                start.elapsed().as_secs_f64(),
                started.elapsed().as_secs_f64(),
                memory().map(|(now, peak)| format!("; {now} MB resident, {peak} MB peak")).unwrap_or_default()
            );
        }
    }

    /// One warning line on stderr.
    #[allow(clippy::print_stderr)]
    pub fn warn(&self, line: &str) {
        if !self.quiet {
            eprintln!("warning: {}", stac_ml::escape::escape(line));
        }
    }
}

/// Shows a library operation's progress on stderr: a spinner or a progress
/// bar for the running stage, `--timings` lines as steps end, warnings.
pub struct Terminal {
    printer: Printer,
    bar: RwLock<indicatif::ProgressBar>,
    /// When the current step started, for `--timings`.
    started: Mutex<Instant>,
}

impl Terminal {
    /// Nothing shown yet.
    pub fn new(printer: Printer) -> Self {
        Terminal { printer, bar: RwLock::new(indicatif::ProgressBar::hidden()), started: Mutex::new(Instant::now()) }
    }

    /// Clears the spinner or bar.
    pub fn finish(&self) {
        self.bar.read().unwrap_or_else(|e| e.into_inner()).finish_and_clear();
    }

    fn replace_bar(&self, bar: indicatif::ProgressBar) {
        let mut current = self.bar.write().unwrap_or_else(|e| e.into_inner());
        current.finish_and_clear();
        *current = bar;
    }

    fn restart(&self) -> Instant {
        std::mem::replace(&mut *self.started.lock().unwrap_or_else(|e| e.into_inner()), Instant::now())
    }
}

impl Observer for Terminal {
    fn begin(&self, activity: &'static str) {
        self.restart();
        let bar = self.bar.read().unwrap_or_else(|e| e.into_inner());
        // One spinner goes through the stages of unknown length.
        if bar.length().is_none() && !bar.is_finished() && !bar.is_hidden() {
            bar.set_message(activity);
            return;
        }
        drop(bar);
        self.replace_bar(self.printer.spinner(activity));
    }

    fn begin_items(&self, activity: &'static str, total: u64) {
        self.restart();
        self.replace_bar(self.printer.progress(total, activity));
    }

    fn item_done(&self) {
        self.bar.read().unwrap_or_else(|e| e.into_inner()).inc(1);
    }

    fn end(&self, done: &str) {
        let started = self.restart();
        self.printer.stage(done, started);
    }

    fn warning(&self, line: &str) {
        self.bar.read().unwrap_or_else(|e| e.into_inner()).suspend(|| self.printer.warn(line));
    }
}

/// The process's resident and peak resident memory in MB, where the system
/// tells (Linux's `/proc/self/status`): what each stage adds.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
