//! The `stac-ml` binary: parse, dispatch, map errors to exit codes.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use commands::{ExitStatus, Printer};

// Parsing and rewriting millions of small JSON documents on many threads is
// allocation-bound; mimalloc measured faster than glibc's malloc here (see
// the README's Performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Without it, a signal would leave the hidden output being built behind.
    #[cfg(unix)]
    if let Err(error) = stac_ml::publish::clean_up_on_signals() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "warning: cannot watch for SIGINT and SIGTERM ({error}); an interrupted run may leave a hidden .*.stac-ml-tmp-* folder beside its output"
            );
        }
    }
    let printer = Printer { quiet: cli.quiet, timings: cli.timings.then(std::time::Instant::now) };
    let result = match cli.command {
        Command::Split(args) => commands::split::run(args, printer),
        Command::Generate(args) => commands::generate::run(args, printer),
        Command::Info(args) => commands::info::run(args, printer),
        Command::Metrics(args) => commands::metrics::run(args, printer),
        Command::Q2(args) => commands::q2::run(args, printer),
        Command::Validate(args) => commands::validate::run(args, printer),
        Command::Report(args) => commands::report::run(args, printer),
    };
    match result {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Failure) => ExitCode::from(1),
        Err(error) => {
            // A closed pipe (`stac-ml ... | head`) is not a failure.
            let broken_pipe = |e: &(dyn std::error::Error + 'static)| {
                e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
                    // serde_json keeps the io::Error inside, not as its source.
                    || e.downcast_ref::<serde_json::Error>()
                        .is_some_and(|e| e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
            };
            if error.chain().any(broken_pipe) {
                return ExitCode::SUCCESS;
            }
            // Stopped by SIGINT/SIGTERM: exit as the shell expects, quietly.
            if let Some(stac_ml::Error::Interrupted { signal }) = error.downcast_ref::<stac_ml::Error>() {
                return ExitCode::from((128 + signal) as u8);
            }
            // Like anyhow's `{:#}`, with library errors in the CLI's words.
            let message: Vec<String> = error.chain().map(cli::message).collect();
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {}", message.join(": "));
            }
            ExitCode::from(2)
        }
    }
}
