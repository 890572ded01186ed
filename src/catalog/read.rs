//! Reading files: whole-file reads into a reused buffer, and the one parallel
//! loop over many item files that loading, validation and `info` share.
//!
//! Every file stac-ml reads goes through [`read_file`]: it opens only regular
//! files (a FIFO is opened without blocking and refused, like a device or a
//! folder) and reads at most [`max_file_size`] bytes, so neither `/dev/zero`
//! nor a pipe can hang a run or grow its memory without bound.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use rayon::prelude::*;
use serde_json::Value;

use crate::error::{Error, Result};

/// The default of [`max_file_size`]: 512 MiB. Real label GeoJSONs reach
/// hundreds of MB; a JSON file of this size already takes several GB parsed.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 512 << 20;

static MAX_FILE_SIZE: AtomicU64 = AtomicU64::new(DEFAULT_MAX_FILE_SIZE);

/// The most bytes one file (STAC JSON, label GeoJSON, schema, metadata) may
/// take; a larger file is refused with an error naming it.
pub fn max_file_size() -> u64 {
    MAX_FILE_SIZE.load(Ordering::Relaxed)
}

/// Sets [`max_file_size`] for the whole process (the CLI's `--max-file-size`).
pub fn set_max_file_size(bytes: u64) {
    MAX_FILE_SIZE.store(bytes, Ordering::Relaxed);
}

/// Size and modification time of a file when it was read: a file read again
/// later (an item when it is written) must show the same stamp, or it changed
/// in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStamp {
    /// Size in bytes.
    pub len: u64,
    /// Modification time, in nanoseconds since the Unix epoch (0 if
    /// unknown; saturated outside 1677–2262).
    pub modified: i64,
}

impl FileStamp {
    pub(crate) fn of(metadata: &std::fs::Metadata) -> Self {
        let nanos = |d: std::time::Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        let modified = metadata.modified().ok().map_or(0, |time| match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => nanos(after),
            Err(before) => -nanos(before.duration()),
        });
        FileStamp { len: metadata.len(), modified }
    }
}

/// Opens `path` for reading if it is a regular file. FIFOs are opened with
/// `O_NONBLOCK`, so the open itself cannot wait for a writer; the type is then
/// checked on the open file (no race with a swap of the path).
fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, std::fs::Metadata)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, not_regular(&metadata.file_type())));
    }
    Ok((file, metadata))
}

fn not_regular(kind: &std::fs::FileType) -> String {
    #[cfg(unix)]
    use std::os::unix::fs::FileTypeExt;
    let what = if kind.is_dir() {
        "a folder"
    } else {
        #[cfg(unix)]
        {
            if kind.is_fifo() {
                "a FIFO (named pipe)"
            } else if kind.is_char_device() {
                "a character device"
            } else if kind.is_block_device() {
                "a block device"
            } else if kind.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            }
        }
        #[cfg(not(unix))]
        "not a regular file"
    };
    format!("is {what}, not a regular file; stac-ml reads only regular files")
}

fn too_large(len: u64, limit: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "is larger ({len} bytes) than the {} one file may take; raise the limit with --max-file-size",
            human_size(limit)
        ),
    )
}

/// `bytes` in the largest binary unit that divides it (`512 MiB`), else bytes.
pub fn human_size(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// Reads the regular file `path` whole into `buffer` (cleared first), at most
/// [`max_file_size`] bytes; returns its stamp as opened.
pub fn read_file(path: &Path, buffer: &mut Vec<u8>) -> std::io::Result<FileStamp> {
    buffer.clear();
    let (file, metadata) = open_regular(path)?;
    let limit = max_file_size();
    if metadata.len() > limit {
        return Err(too_large(metadata.len(), limit));
    }
    buffer.reserve(metadata.len() as usize + 1);
    // Bounded even if the file grows while it is read.
    file.take(limit + 1).read_to_end(buffer)?;
    if buffer.len() as u64 > limit {
        let len = buffer.len() as u64;
        buffer.clear();
        buffer.shrink_to(1 << 20);
        return Err(too_large(len, limit));
    }
    Ok(FileStamp::of(&metadata))
}

/// Opens the regular file `path` for reading in pieces (a raster decoder
/// that seeks from chunk to chunk), refusing what [`read_file`] refuses: a
/// file that is not regular, or larger than [`max_file_size`].
pub fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
    let (file, metadata) = open_regular(path)?;
    let limit = max_file_size();
    if metadata.len() > limit {
        return Err(too_large(metadata.len(), limit));
    }
    Ok(file)
}

/// Reads whole files into one buffer, so a thread reading many files
/// allocates once (whole-file reads: `stac::read`'s byte-at-a-time reader is
/// ~14× slower).
#[derive(Debug, Default)]
pub struct FileReader {
    buffer: Vec<u8>,
    stamp: FileStamp,
}

impl FileReader {
    /// The bytes of `path`, valid until the next read; see [`read_file`].
    pub fn read(&mut self, path: &Path) -> std::io::Result<&[u8]> {
        self.stamp = read_file(path, &mut self.buffer)?;
        Ok(&self.buffer)
    }

    /// The stamp of the file last read successfully.
    pub fn stamp(&self) -> FileStamp {
        self.stamp
    }

    /// The file parsed as JSON; errors name the file.
    pub fn read_json(&mut self, path: &Path) -> Result<Value> {
        let bytes = self.read(path).map_err(|e| Error::io(path, e))?;
        parse_json(bytes).map_err(|error| Error::Json { path: path.to_path_buf(), error })
    }
}

/// Parses JSON, keeping every number's text (serde_json's
/// `arbitrary_precision`, so values stac-ml does not own are written back as
/// read), and refusing numbers beyond the f64 range (`1e999`) as the parser
/// did before: every file is parsed here.
pub fn parse_json(bytes: &[u8]) -> serde_json::Result<Value> {
    let value: Value = serde_json::from_slice(bytes)?;
    check_numbers(&value)?;
    Ok(value)
}

fn check_numbers(value: &Value) -> serde_json::Result<()> {
    match value {
        Value::Number(n) => {
            // Only an exponent or more than 308 digits can leave the f64 range.
            let text = n.as_str();
            if (text.len() > 308 || text.contains(['e', 'E'])) && n.as_f64().is_none() {
                return Err(serde::de::Error::custom(format_args!("number out of range: {text}")));
            }
            Ok(())
        }
        Value::Array(list) => list.iter().try_for_each(check_numbers),
        Value::Object(map) => map.values().try_for_each(check_numbers),
        _ => Ok(()),
    }
}

/// Runs `each` on every entry of `items` (with its index) in parallel on the
/// I/O pool ([`crate::io_pool`]), handing it a [`FileReader`] whose buffer is
/// reused by every entry its thread handles. Results come back in input order,
/// whatever the thread timing. `each` decides which file to read (or whether
/// to read one at all), so entries can be links, records or paths.
pub fn read_each<I, T>(items: &[I], each: impl Fn(usize, &I, &mut FileReader) -> T + Sync + Send) -> Vec<T>
where
    I: Sync,
    T: Send,
{
    crate::io_pool::install(|| {
        items.par_iter().enumerate().map_init(FileReader::default, |reader, (i, item)| each(i, item, reader)).collect()
    })
}

/// Reads a whole file and parses it; errors name the file.
pub fn read_json(path: &Path) -> Result<Value> {
    FileReader::default().read_json(path)
}

/// [`read_json`] reusing `buffer` for the bytes, so a thread reading many
/// files allocates once.
pub fn read_json_into(path: &Path, buffer: &mut Vec<u8>) -> Result<Value> {
    read_json_stamped(path, buffer).map(|(value, _)| value)
}

/// [`read_json_into`], also returning the file's stamp as it was read.
pub fn read_json_stamped(path: &Path, buffer: &mut Vec<u8>) -> Result<(Value, FileStamp)> {
    let mut reader = FileReader { buffer: std::mem::take(buffer), stamp: FileStamp::default() };
    let value = reader.read_json(path);
    let stamp = reader.stamp;
    *buffer = reader.buffer;
    value.map(|value| (value, stamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_in_input_order_with_read_errors_per_entry() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<_> = (0..50).map(|i| dir.path().join(format!("{i}.json"))).collect();
        for (i, path) in paths.iter().enumerate() {
            // Every 7th file is missing; sizes differ so a stale buffer would show.
            if i % 7 != 3 {
                std::fs::write(path, format!("{{\"n\": {i}, \"pad\": \"{}\"}}", "x".repeat(50 - i))).unwrap();
            }
        }
        let read = read_each(&paths, |_, path, reader| reader.read_json(path).map(|v| v["n"].as_u64().unwrap()));
        for (i, result) in read.iter().enumerate() {
            match result {
                Ok(n) => assert_eq!(*n, i as u64),
                Err(Error::Io { error, .. }) => {
                    assert_eq!(i % 7, 3);
                    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
                }
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!(read.iter().filter(|r| r.is_err()).count(), 7);
    }
}
