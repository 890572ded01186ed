//! Atomic output for every command that writes: a folder is built in a hidden
//! sibling and renamed into place, a file is written beside its target and
//! renamed over it. A crash leaves the output absent, the old one or the new
//! one complete, never a partial tree or half a file; hidden leftovers of
//! killed runs are removed by the next run, and SIGINT or SIGTERM remove
//! them before the process exits ([`clean_up_on_signals`]).
//!
//! The rule "never touch what is not ours" lives here too: [`check_apart`]
//! refuses an output folder that is, contains or lies inside a folder of the
//! input, and [`check_output_file`] an output file that is an input file or
//! not a regular file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use rayon::prelude::*;

use crate::catalog::Dataset;
use crate::error::{Error, Result};

/// A folder being built in a hidden sibling of its final place. Dropped
/// without [`Staged::publish`], it removes what was built.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    out: PathBuf,
    published: bool,
}

impl Staged {
    /// Starts an empty hidden sibling of `out` (an absolute path whose parent
    /// exists), first removing the leftovers of killed runs beside it.
    pub fn begin(out: &Path) -> Result<Staged> {
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parent = out.parent().unwrap_or(Path::new("/"));
        remove_stale(parent, &name);
        let tmp = parent.join(format!(".{name}.stac-ml-tmp-{}", std::process::id()));
        if tmp.exists() {
            remove_tree(&tmp).map_err(|e| unusable(out, "cannot remove an earlier run's unfinished copy", e))?;
        }
        // Registered before it exists, so a signal never misses it.
        register(&tmp)?;
        let staged = Staged { tmp, out: out.to_path_buf(), published: false };
        std::fs::create_dir(&staged.tmp).map_err(|e| unusable(out, "cannot create the output beside it", e))?;
        Ok(staged)
    }

    /// Starts a hidden sibling of the output file `out` (absolute, its
    /// folder existing) without creating it: the caller writes the file at
    /// [`Staged::path`], and [`Staged::publish`] renames it into place.
    pub fn begin_file(out: &Path) -> Result<Staged> {
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parent = out.parent().unwrap_or(Path::new("/"));
        remove_stale(parent, &name);
        let tmp = parent.join(format!(".{name}.stac-ml-tmp-{}", std::process::id()));
        if std::fs::symlink_metadata(&tmp).is_ok() {
            remove_tree(&tmp).map_err(|e| unusable(out, "cannot remove an earlier run's unfinished copy", e))?;
        }
        register(&tmp)?;
        Ok(Staged { tmp, out: out.to_path_buf(), published: false })
    }

    /// The error `error`, met while building, with paths inside the hidden
    /// folder replaced by the matching paths of the output: a user never
    /// sees the temporary name, and an I/O error says what to do.
    pub fn blame(&self, error: Error) -> Error {
        let moved = |path: &Path| match path.strip_prefix(&self.tmp) {
            Ok(rest) if rest.as_os_str().is_empty() => Some(self.out.clone()),
            Ok(rest) => Some(self.out.join(rest)),
            Err(_) => None,
        };
        match error {
            Error::Io { path, error } => match moved(&path) {
                Some(path) => unusable(&path, "cannot be written", error),
                None => Error::Io { path, error },
            },
            Error::Json { path, error } => Error::Json { path: moved(&path).unwrap_or(path), error },
            Error::NotStac { path, message } => Error::NotStac { path: moved(&path).unwrap_or(path), message },
            other => other,
        }
    }

    /// The hidden folder to build in.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Renames the finished tree into place. An existing output is swapped
    /// with it in one step where the OS can (Linux `RENAME_EXCHANGE`), so
    /// there is no moment without an output; elsewhere it is moved aside
    /// first. The old tree is removed only after the new one is in place.
    ///
    /// Without `replace`, nothing is ever replaced: an empty folder at the
    /// output is removed (`rmdir` refuses a non-empty one), and the rename
    /// fails rather than replace what appeared at the output while the tree
    /// was being built (Linux `RENAME_NOREPLACE`; elsewhere a check just
    /// before the rename): [`Error::OutputAppeared`], and the built tree is
    /// removed.
    pub fn publish(mut self, replace: bool) -> Result<()> {
        interrupted()?;
        let result = if replace { self.replace_into_place() } else { self.rename_without_replacing() };
        // On failure the guard removes the hidden folder, whichever tree it holds.
        self.published = result.is_ok();
        unregister(&self.tmp);
        result
    }

    fn rename_without_replacing(&self) -> Result<()> {
        let (tmp, out) = (&self.tmp, &self.out);
        // An empty folder at the output may be replaced, as at the start;
        // `remove_dir` removes nothing else, not even a symlink to a folder.
        let _ = std::fs::remove_dir(out);
        #[cfg(target_os = "linux")]
        {
            let renamed = rustix::fs::renameat_with(
                rustix::fs::CWD,
                tmp,
                rustix::fs::CWD,
                out,
                rustix::fs::RenameFlags::NOREPLACE,
            );
            match renamed {
                Ok(()) => return Ok(()),
                Err(rustix::io::Errno::EXIST | rustix::io::Errno::NOTEMPTY) => {
                    return Err(Error::OutputAppeared { path: out.clone() });
                }
                // The file system cannot rename without replacing: check, then rename.
                Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::OPNOTSUPP) => {}
                Err(e) => return Err(unusable(out, "cannot be published", e.into())),
            }
        }
        if std::fs::symlink_metadata(out).is_ok() {
            return Err(Error::OutputAppeared { path: out.clone() });
        }
        std::fs::rename(tmp, out).map_err(|e| unusable(out, "cannot be published", e))
    }

    fn replace_into_place(&self) -> Result<()> {
        let (tmp, out) = (&self.tmp, &self.out);
        #[cfg(target_os = "linux")]
        if out.exists() {
            let swapped = rustix::fs::renameat_with(
                rustix::fs::CWD,
                tmp,
                rustix::fs::CWD,
                out,
                rustix::fs::RenameFlags::EXCHANGE,
            );
            if swapped.is_ok() {
                // `tmp` now holds the previous output.
                return remove_tree(tmp).map_err(|e| old_left(out, tmp, e));
            }
        }
        if out.exists() {
            let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let old = out.with_file_name(format!(".{name}.stac-ml-old-{}", std::process::id()));
            std::fs::rename(out, &old).map_err(|e| unusable(out, "cannot be replaced", e))?;
            std::fs::rename(tmp, out).map_err(|e| unusable(out, "cannot be published", e))?;
            remove_tree(&old).map_err(|e| old_left(out, &old, e))?;
        } else {
            std::fs::rename(tmp, out).map_err(|e| unusable(out, "cannot be published", e))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.published {
            let _ = remove_tree(&self.tmp);
        }
        unregister(&self.tmp);
    }
}

/// An output that cannot be made, in words that say what to do: the OS's
/// message alone ("Device or resource busy") does not.
fn unusable(out: &Path, what: &str, error: std::io::Error) -> Error {
    use std::io::ErrorKind;
    let hint = match (error.kind(), error.raw_os_error()) {
        (ErrorKind::PermissionDenied, _) => "choose an output in a folder you may write to",
        (ErrorKind::ReadOnlyFilesystem, _) => "the file system is read-only; write the output elsewhere",
        (ErrorKind::StorageFull | ErrorKind::QuotaExceeded, _) => "free some space or write the output elsewhere",
        (ErrorKind::ResourceBusy, _) | (_, Some(16)) => {
            "it is busy (a mount point, or in use by another program); write the output to a new folder inside it or elsewhere"
        }
        (ErrorKind::NotADirectory, _) => "a part of the path is not a folder; choose another output",
        (ErrorKind::NotFound, _) => "a folder of the path was removed during the run; run again",
        _ => "check the output path and run again, or write the output elsewhere",
    };
    Error::Output { path: out.to_path_buf(), message: format!("{what}: {error}; {hint}") }
}

/// The output was published but its previous content, moved aside to
/// `old`, could not be removed.
fn old_left(out: &Path, old: &Path, error: std::io::Error) -> Error {
    Error::Output {
        path: out.to_path_buf(),
        message: format!(
            "published, but its previous content could not be removed ({error}); it is in {}: remove that folder",
            old.display()
        ),
    }
}

/// Writes `bytes` to `path` through a hidden sibling file and a rename, so a
/// reader never sees half a file.
pub fn publish_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let Some(name) = path.file_name() else {
        return Err(Error::Output { path: path.to_path_buf(), message: "not a file name".into() });
    };
    let tmp = path.with_file_name(format!(".{}.stac-ml-tmp-{}", name.to_string_lossy(), std::process::id()));
    register(&tmp)?;
    let written = std::fs::write(&tmp, bytes)
        .map_err(|e| unusable(path, "cannot be written", e))
        .and_then(|()| interrupted())
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| unusable(path, "cannot be written", e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    unregister(&tmp);
    written
}

// ---------------------------------------------------------------------------
// Signals: the hidden paths being built are registered, so SIGINT and SIGTERM
// remove them before the process exits.

/// The signal that stopped the run, 0 while none has.
static STOP: AtomicI32 = AtomicI32::new(0);
/// Hidden paths being built, not yet published or removed.
static BUILDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Notified when a path leaves [`BUILDING`].
static LEFT: Condvar = Condvar::new();

fn building() -> MutexGuard<'static, Vec<PathBuf>> {
    BUILDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn register(path: &Path) -> Result<()> {
    let mut paths = building();
    // Checked under the lock: a signal handler holding it has either seen
    // this path or made this check fail.
    interrupted()?;
    paths.push(path.to_path_buf());
    Ok(())
}

fn unregister(path: &Path) {
    let mut paths = building();
    if let Some(i) = paths.iter().position(|p| p == path) {
        paths.swap_remove(i);
        LEFT.notify_all();
    }
}

/// `Err(Error::Interrupted)` once a signal asked the run to stop: long
/// stages that build output check it between items and stop, and the
/// guards remove what they built.
pub fn interrupted() -> Result<()> {
    match STOP.load(Ordering::SeqCst) {
        0 => Ok(()),
        signal => Err(Error::Interrupted { signal }),
    }
}

/// Makes SIGINT and SIGTERM stop the process cleanly: the run is told to
/// stop ([`interrupted`]), the hidden folders and files it was building are
/// removed (by the guards as the run unwinds, or here after 30 s, or at
/// once on a second signal), and the process exits with 128 + the signal
/// (130, 143). Call once, from a binary.
#[cfg(unix)]
pub fn clean_up_on_signals() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("stac-ml-signals".into()).spawn(move || {
        let Some(signal) = signals.forever().next() else { return };
        let mut paths = building();
        STOP.store(signal, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !paths.is_empty() && std::time::Instant::now() < deadline {
            paths = LEFT
                .wait_timeout(paths, std::time::Duration::from_millis(50))
                .map(|(p, _)| p)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            if signals.pending().next().is_some() {
                break;
            }
        }
        for path in paths.iter() {
            // Not on the I/O pool: its threads may be the ones still writing.
            let _ = match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
                _ => std::fs::remove_file(path),
            };
        }
        // Exits holding the lock: nothing new can be registered.
        std::process::exit(128 + signal);
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Never touch what is not ours.

/// Every place the input lives: the files it was read from (catalogs,
/// collections, items, label assets) and the folders of the local files its
/// items link, as the OS resolves them (symlinks followed).
struct InputPlaces<'a> {
    /// (as loaded, resolved) for each file: nodes, then items, then label assets.
    files: Vec<(&'a Path, PathBuf)>,
    /// (as loaded, resolved) for each folder of linked files.
    linked: Vec<(&'a Path, PathBuf)>,
    /// The input's files are tables of items (stac-geoparquet): the input
    /// is those files, not their folders.
    tables: bool,
}

impl<'a> InputPlaces<'a> {
    /// Resolves every input path with one `lstat` per distinct path and
    /// ancestor (in parallel) and a `canonicalize` per symlink met: paths
    /// were resolved lexically when loaded, which is right for reading but
    /// not for knowing where a file really is.
    fn of(dataset: &'a Dataset) -> InputPlaces<'a> {
        let files: Vec<&Path> = dataset
            .nodes
            .iter()
            .map(|n| n.path.as_path())
            .chain((0..dataset.items.len()).map(|i| dataset.item_file(i)))
            .chain(dataset.items.iter().filter_map(|i| i.label.as_ref()?.asset.as_deref()))
            .collect();
        // A table's rows share their file: each file once.
        let mut files = files;
        if dataset.table.is_some() {
            let mut once = HashSet::new();
            files.retain(|path| once.insert(*path));
        }
        let linked: Vec<&Path> = dataset.linked_dirs.iter().map(PathBuf::as_path).collect();
        // Each path and its ancestors, once: stop climbing at one already seen.
        let mut seen: HashSet<&Path> = HashSet::new();
        for &path in files.iter().chain(&linked) {
            for ancestor in path.ancestors() {
                if !seen.insert(ancestor) {
                    break;
                }
            }
        }
        let seen: Vec<&Path> = seen.into_iter().collect();
        let links: HashMap<&Path, PathBuf> = crate::io_pool::install(|| {
            seen.par_iter()
                .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()))
                .filter_map(|&p| Some((p, std::fs::canonicalize(p).ok()?)))
                .collect()
        });
        let resolve = |path: &'a Path| -> (&'a Path, PathBuf) {
            if !links.is_empty() {
                // Below the deepest symlink every name is a plain entry.
                for ancestor in path.ancestors() {
                    if let Some(target) = links.get(ancestor) {
                        let rest = path.strip_prefix(ancestor).expect("an ancestor is a prefix");
                        let resolved = if rest.as_os_str().is_empty() { target.clone() } else { target.join(rest) };
                        return (path, resolved);
                    }
                }
            }
            (path, path.to_path_buf())
        };
        InputPlaces {
            files: files.into_iter().map(resolve).collect(),
            linked: linked.into_iter().map(resolve).collect(),
            tables: dataset.table.is_some(),
        }
    }

    /// The distinct folders holding input files, then the linked folders:
    /// (a path as loaded, the folder resolved, whether an output may lie
    /// inside it), in load order. An output may lie beside a table file.
    fn folders(&self) -> Vec<(&'a Path, PathBuf, bool)> {
        let mut distinct: HashSet<&Path> = HashSet::new();
        let mut folders = Vec::new();
        for (loaded, resolved) in &self.files {
            let folder = resolved.parent().unwrap_or(Path::new("/"));
            if distinct.insert(folder) {
                folders.push((*loaded, folder.to_path_buf(), self.tables));
            }
        }
        for (loaded, resolved) in &self.linked {
            if distinct.insert(resolved) {
                folders.push((*loaded, resolved.clone(), false));
            }
        }
        folders
    }
}

/// Refuses an output folder `out` (absolute, its existing part resolved)
/// that is, contains or lies inside a folder holding a file of the input
/// (see [`Dataset::linked_dirs`]), whatever symlinks lead there: replacing
/// or writing into it would change the input. The first such folder is
/// named, in load order. Costs one `lstat` per distinct input file and
/// folder, on the I/O pool.
pub fn check_apart(dataset: &Dataset, out: &Path) -> Result<()> {
    check_places(&InputPlaces::of(dataset), out)
}

fn check_places(places: &InputPlaces, out: &Path) -> Result<()> {
    for (loaded, folder, may_hold_output) in &places.folders() {
        let what = if folder == out {
            "is"
        } else if out.starts_with(folder) {
            if *may_hold_output {
                continue;
            }
            "is inside"
        } else if folder.starts_with(out) {
            "contains"
        } else {
            continue;
        };
        let shown = |p: &Path| p.display().to_string();
        let via = if loaded.parent() == Some(folder.as_path()) || *loaded == folder {
            String::new()
        } else {
            format!(" (reached as {})", shown(loaded))
        };
        return Err(Error::Output {
            path: out.to_path_buf(),
            message: format!(
                "{what} the input's folder {}{via}; the input is only read: write the output elsewhere",
                shown(folder)
            ),
        });
    }
    Ok(())
}

/// Checks an output file before it is written: `out` must be a regular file
/// if it exists (not a folder, device, FIFO or symlink), may exist only with
/// `replace`, and must lie outside every folder of the input, as for an
/// output folder ([`check_apart`]); an input file is named as such. Returns
/// the path to write, absolute with its folder resolved.
pub fn check_output_file(dataset: &Dataset, out: &Path, replace: bool) -> Result<PathBuf> {
    let resolved = check_output_path(out)?;
    let refuse = |message: String| Error::Output { path: out.to_path_buf(), message };
    let places = InputPlaces::of(dataset);
    if let Some((loaded, _)) = places.files.iter().find(|(_, file)| *file == resolved) {
        return Err(refuse(format!(
            "is the input file {}; the input is only read: write the output elsewhere",
            loaded.display()
        )));
    }
    check_places(&places, &resolved).map_err(|e| match e {
        Error::Output { message, .. } => refuse(message),
        other => other,
    })?;
    // Last: `--force` must never be suggested for an input file.
    if !replace && std::fs::symlink_metadata(&resolved).is_ok() {
        return Err(Error::OutputOccupied { path: out.to_path_buf() });
    }
    Ok(resolved)
}

/// The checks of [`check_output_file`] that need no input, made before it
/// is read: a regular file or none, in a folder that exists. Returns the
/// path with its folder resolved.
pub fn check_output_path(out: &Path) -> Result<PathBuf> {
    let refuse = |message: String| Error::Output { path: out.to_path_buf(), message };
    let Some(name) = out.file_name().filter(|n| *n != "." && *n != "..") else {
        return Err(refuse("is not a file name".into()));
    };
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(unusable(out, "cannot be checked", e)),
    };
    if let Some(meta) = &meta {
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(refuse(
                "is a symbolic link; give the path of the file itself (a link is never followed nor replaced)".into(),
            ));
        }
        if !kind.is_file() {
            let what = if kind.is_dir() { "a folder" } else { "not a regular file (a device, FIFO or socket)" };
            return Err(refuse(format!("is {what}; give the path of a new or regular file")));
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let folder = match std::fs::canonicalize(parent) {
        Ok(folder) => folder,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refuse(format!("its folder {} does not exist; create it first", parent.display())));
        }
        Err(e) => return Err(unusable(out, "cannot be written: its folder", e)),
    };
    Ok(folder.join(name))
}

/// Removes hidden temporary or old trees that killed runs left beside the
/// output, when the process that made them is gone (Linux: no `/proc/PID`).
fn remove_stale(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else { continue };
        let pid = [".stac-ml-tmp-", ".stac-ml-old-"]
            .iter()
            .find_map(|tag| file_name.strip_prefix('.')?.strip_prefix(name)?.strip_prefix(tag)?.parse::<u32>().ok());
        if let Some(pid) = pid
            && Path::new("/proc/self").exists()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = remove_tree(&entry.path());
        }
    }
}

/// Removes a folder and everything in it, like `std::fs::remove_dir_all`
/// (symlinks are removed, never followed), with the entries of each folder
/// removed in parallel on the I/O pool: deleting is latency-bound too, and a
/// replaced million-item output would otherwise take minutes to remove.
pub fn remove_tree(path: &Path) -> std::io::Result<()> {
    // A staged output file (or a symlink) is one entry, not a folder.
    if !std::fs::symlink_metadata(path)?.is_dir() {
        return std::fs::remove_file(path);
    }
    fn remove(path: &Path) -> std::io::Result<()> {
        let entries: Vec<std::fs::DirEntry> = match std::fs::read_dir(path) {
            Ok(entries) => entries.collect::<std::io::Result<_>>()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        entries.par_iter().try_for_each(|entry| {
            let path = entry.path();
            let removed = if entry.file_type()?.is_dir() { remove(&path) } else { std::fs::remove_file(&path) };
            match removed {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        })?;
        match std::fs::remove_dir(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => std::fs::remove_file(path),
        Ok(_) => crate::io_pool::install(|| remove(path)),
        Err(e) => Err(e),
    }
}

/// The output folder as an absolute path with symlinks in its existing part
/// resolved; refuses `.`, `..` and paths without a last name.
pub(crate) fn resolve_out(out: &Path) -> Result<PathBuf> {
    if out.file_name().is_none_or(|n| n == ".." || n == ".") {
        return Err(Error::Output { path: out.to_path_buf(), message: "is not a folder name".into() });
    }
    let absolute = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| Error::io(out, e))?.join(out)
    };
    resolve_existing_prefix(&crate::catalog::href::normalize(&absolute))
}

/// Refuses an output that exists and is not a folder, or is a non-empty
/// folder when replacing it was not asked for.
pub(crate) fn check_vacant(out_abs: &Path, force: bool) -> Result<()> {
    match std::fs::symlink_metadata(out_abs) {
        Ok(meta) if !meta.is_dir() => {
            Err(Error::Output { path: out_abs.to_path_buf(), message: "exists and is not a folder".into() })
        }
        Ok(_) => {
            let mut entries = std::fs::read_dir(out_abs).map_err(|e| Error::io(out_abs, e))?;
            if entries.next().is_some() && !force {
                Err(Error::OutputOccupied { path: out_abs.to_path_buf() })
            } else {
                Ok(())
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(out_abs, e)),
    }
}

/// Canonicalises the longest existing prefix of an absolute, normalised path
/// (resolving symlinks there) and appends the rest unchanged.
fn resolve_existing_prefix(path: &Path) -> Result<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(&existing).is_err() {
        match (existing.file_name().map(|n| n.to_os_string()), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = std::fs::canonicalize(&existing).map_err(|e| Error::io(&existing, e))?;
    for name in rest.into_iter().rev() {
        resolved.push(name);
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_tree_removes_everything_and_follows_no_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep.txt"), "kept").unwrap();
        let tree = dir.path().join("tree");
        for i in 0..50 {
            let folder = tree.join(format!("c{}", i % 3)).join(format!("item{i}"));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("item.json"), "{}").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, tree.join("c0/link")).unwrap();
        remove_tree(&tree).unwrap();
        assert!(!tree.exists());
        assert_eq!(std::fs::read_to_string(outside.join("keep.txt")).unwrap(), "kept");
        assert_eq!(remove_tree(&tree).unwrap_err().kind(), std::io::ErrorKind::NotFound);
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_staged_folder_replaces_the_output_or_vanishes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("old.txt"), "old").unwrap();
        // A killed run's leftover: no process has PID u32::MAX.
        std::fs::create_dir(dir.path().join(format!(".out.stac-ml-tmp-{}", u32::MAX))).unwrap();

        let dropped = Staged::begin(&out).unwrap();
        std::fs::write(dropped.path().join("new.txt"), "new").unwrap();
        drop(dropped);
        assert_eq!(listing(dir.path()), ["out"], "the leftover and the unpublished folder are gone");
        assert_eq!(listing(&out), ["old.txt"]);

        let staged = Staged::begin(&out).unwrap();
        std::fs::write(staged.path().join("new.txt"), "new").unwrap();
        // Without replacing, the old output stays and the new tree vanishes.
        assert!(matches!(staged.publish(false), Err(Error::OutputAppeared { .. })));
        assert_eq!(listing(dir.path()), ["out"]);
        assert_eq!(listing(&out), ["old.txt"]);

        let staged = Staged::begin(&out).unwrap();
        std::fs::write(staged.path().join("new.txt"), "new").unwrap();
        staged.publish(true).unwrap();
        assert_eq!(listing(dir.path()), ["out"]);
        assert_eq!(listing(&out), ["new.txt"]);
    }

    #[test]
    fn a_published_file_replaces_the_old_one_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.html");
        std::fs::write(&file, "old").unwrap();
        publish_file(&file, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(listing(dir.path()), ["report.html"]);
        let err = publish_file(&dir.path().join("missing/report.html"), b"x").unwrap_err();
        assert!(matches!(err, Error::Output { .. }), "{err}");
        assert!(!err.to_string().contains("stac-ml-tmp"), "{err}");
        assert_eq!(listing(dir.path()), ["report.html"]);
    }
}
