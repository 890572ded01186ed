//! Atomic output for every command that writes: a folder is built in a hidden
//! sibling and renamed into place, a file is written beside its target and
//! renamed over it. A crash leaves the output absent, the old one or the new
//! one complete, never a partial tree or half a file; hidden leftovers of
//! killed runs are removed by the next run.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

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
            remove_tree(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        let staged = Staged { tmp, out: out.to_path_buf(), published: false };
        std::fs::create_dir(&staged.tmp).map_err(|e| Error::io(&staged.tmp, e))?;
        Ok(staged)
    }

    /// The hidden folder to build in.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Renames the finished tree into place. An existing output is swapped
    /// with it in one step where the OS can (Linux `RENAME_EXCHANGE`), so
    /// there is no moment without an output; elsewhere it is moved aside
    /// first. The old tree is removed only after the new one is in place.
    pub fn publish(mut self) -> Result<()> {
        let result = self.rename_into_place();
        // On failure the guard removes the hidden folder, whichever tree it holds.
        self.published = result.is_ok();
        result
    }

    fn rename_into_place(&self) -> Result<()> {
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
                return remove_tree(tmp).map_err(|e| Error::io(tmp, e));
            }
        }
        if out.exists() {
            let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let old = out.with_file_name(format!(".{name}.stac-ml-old-{}", std::process::id()));
            std::fs::rename(out, &old).map_err(|e| Error::io(out, e))?;
            std::fs::rename(tmp, out).map_err(|e| Error::io(out, e))?;
            remove_tree(&old).map_err(|e| Error::io(&old, e))?;
        } else {
            std::fs::rename(tmp, out).map_err(|e| Error::io(out, e))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.published {
            let _ = remove_tree(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` through a hidden sibling file and a rename, so a
/// reader never sees half a file.
pub fn publish_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let Some(name) = path.file_name() else {
        return Err(Error::Output { path: path.to_path_buf(), message: "not a file name".into() });
    };
    let tmp = path.with_file_name(format!(".{}.stac-ml-tmp-{}", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
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
        staged.publish().unwrap();
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
        assert!(matches!(err, Error::Io { .. }), "{err}");
        assert_eq!(listing(dir.path()), ["report.html"]);
    }
}
