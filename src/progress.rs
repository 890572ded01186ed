//! How long work tells its caller what it is doing: stages that begin and
//! end, items done within a stage, warnings. The library only calls an
//! [`Observer`]; a front end decides what to show (the CLI draws spinners and
//! progress bars and prints `--timings` lines and warnings on stderr).

/// Receives progress from a running operation. Every method has an empty
/// default, so an observer implements only what it shows. Items may be
/// reported from several threads at once.
pub trait Observer: Sync {
    /// A stage of unknown length begins; `activity` names it as it runs
    /// (`"loading"`).
    fn begin(&self, activity: &'static str) {
        let _ = activity;
    }

    /// A stage of `total` items begins (`"writing"`).
    fn begin_items(&self, activity: &'static str, total: u64) {
        let _ = (activity, total);
    }

    /// One item of the current stage is done.
    fn item_done(&self) {}

    /// `n` items of the stage were done at once.
    fn items_done(&self, n: u64) {
        for _ in 0..n {
            self.item_done();
        }
    }

    /// A step of the work ended; `done` says what was done
    /// (`"loaded 40 items"`). The next step starts now.
    fn end(&self, done: &str) {
        let _ = done;
    }

    /// Something the user should know that does not stop the work.
    fn warning(&self, line: &str) {
        let _ = line;
    }
}

/// An observer that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {}
