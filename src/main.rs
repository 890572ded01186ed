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
static ALLOCATOR: OutOfMemoryExits = OutOfMemoryExits(mimalloc::MiMalloc);

/// mimalloc, but a failed allocation ends the process with exit 2 and one
/// `error:` line instead of Rust's abort (exit 134 and a core). Nothing is
/// published: an output being built stays in its hidden sibling folder, which
/// the next run beside it removes.
struct OutOfMemoryExits(mimalloc::MiMalloc);

// SAFETY: every call is forwarded to mimalloc; only a null result is handled,
// by ending the process without unwinding.
unsafe impl std::alloc::GlobalAlloc for OutOfMemoryExits {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        configure_once();
        // SAFETY: forwarded with the caller's guarantees.
        checked(unsafe { self.0.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        configure_once();
        // SAFETY: forwarded with the caller's guarantees.
        checked(unsafe { self.0.alloc_zeroed(layout) })
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        checked(unsafe { self.0.realloc(ptr, layout, new_size) })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.dealloc(ptr, layout) }
    }
}

/// Sets mimalloc's options before its first allocation, which creates the
/// first arena (1 GiB reserved): an arena committed eagerly at creation (the
/// default on Linux) is never decommitted. With 16 I/O threads each holding
/// its own heap, that kept q2 on 100k items near 300 MB; arenas committed on
/// demand keep it near 200 MB (README, Performance). Freed pages are
/// returned after 10 ms (mimalloc v3 waits 1 s: 254 MB against 213 MB for
/// q2 on 100k items), not at once: returning them at once made every free a
/// system call with a TLB shootdown on every core, which took 4 of the 8.5 s
/// of loading a million table rows. `MIMALLOC_ARENA_EAGER_COMMIT` and
/// `MIMALLOC_PURGE_DELAY` still override.
fn configure_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static CONFIGURED: AtomicBool = AtomicBool::new(false);
    if CONFIGURED.load(Ordering::Relaxed) || CONFIGURED.swap(true, Ordering::Relaxed) {
        return;
    }
    // Positions in mimalloc's `mi_option_t` (the same in its v2 and v3);
    // libmimalloc-sys does not name these two.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    for (option, value) in [(ARENA_EAGER_COMMIT, 0), (PURGE_DELAY, 10)] {
        // SAFETY: sets the default of a plain integer option, which a
        // `MIMALLOC_*` environment variable still overrides.
        unsafe { libmimalloc_sys::mi_option_set_default(option, value) };
    }
}

fn checked(ptr: *mut u8) -> *mut u8 {
    if ptr.is_null() {
        out_of_memory();
    }
    ptr
}

/// Ends the process after an allocation failed: a fixed message (formatting
/// would allocate), then `_exit`, which runs no destructors or exit handlers
/// that might allocate again.
/// Several threads can fail at once: only the first writes the line and
/// exits; the others wait for that exit, so the line is written whole and
/// once.
#[cold]
fn out_of_memory() -> ! {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if REPORTED.swap(true, Ordering::SeqCst) {
        loop {
            // SAFETY: pause only waits for a signal; the first thread's exit ends it.
            unsafe { libc::pause() };
        }
    }
    const MESSAGE: &[u8] =
        b"error: out of memory; raise the memory limit (ulimit -v) or give a smaller input; nothing was written\n";
    let _ = std::io::stderr().write_all(MESSAGE);
    // SAFETY: `_exit` ends the process; it takes no pointers.
    unsafe { libc::_exit(2) }
}

/// Builds rayon's global pool and polars' pool now, so a process that cannot
/// start threads (`ulimit -u`, `ulimit -v`) stops with one line instead of a
/// panic where a pool is first used. The I/O pool falls back to the global
/// one by itself.
fn start_threads() -> Result<(), String> {
    let advice = "raise the process or memory limit (ulimit -u, ulimit -v) \
                  or set RAYON_NUM_THREADS and POLARS_MAX_THREADS to fewer threads";
    // Panic messages are silenced while the pools start: polars panics when
    // it cannot start its pool, and a thread that starts but cannot map its
    // signal stack panics inside std, possibly after the builder returned.
    // On failure the hook stays silent, as the process ends with one line.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    rayon::ThreadPoolBuilder::new()
        .build_global()
        .map_err(|error| format!("cannot start worker threads ({error}); {advice}"))?;
    // polars builds its pool lazily: force it here and report a failure as one line.
    std::panic::catch_unwind(|| {
        std::sync::LazyLock::force(&polars_core::runtime::THREAD_POOL);
    })
    .map_err(|_| format!("cannot start polars' worker threads; {advice}"))?;
    std::panic::set_hook(hook);
    Ok(())
}

fn main() -> ExitCode {
    // glibc's malloc still serves what std and glibc allocate themselves (a
    // thread's TLS destructors, for one), and by default reserves a 64 MiB
    // arena per thread for it: with 16-32 I/O threads that is most of the
    // address space under `ulimit -v`, where a thread then cannot start and
    // glibc aborts. One arena is plenty for those few allocations.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; no thread runs yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
    let cli = Cli::parse();
    if let Err(message) = start_threads() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("error: {message}");
        }
        return ExitCode::from(2);
    }
    if let Some(bytes) = cli.max_file_size {
        stac_ml::catalog::read::set_max_file_size(bytes);
    }
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
    let printer = Printer { quiet: cli.quiet, timings: cli.command.timings().then(std::time::Instant::now) };
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
                eprintln!("error: {}", stac_ml::escape::escape(&message.join(": ")));
            }
            ExitCode::from(2)
        }
    }
}
