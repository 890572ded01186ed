//! Reading files: whole-file reads into a reused buffer, and the one parallel
//! loop over many item files that loading, validation and `info` share.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use serde_json::Value;

use crate::error::{Error, Result};

/// Reads whole files into one buffer, so a thread reading many files
/// allocates once (whole-file reads: `stac::read`'s byte-at-a-time reader is
/// ~14× slower).
#[derive(Debug, Default)]
pub struct FileReader {
    buffer: Vec<u8>,
}

impl FileReader {
    /// The bytes of `path`, valid until the next read.
    pub fn read(&mut self, path: &Path) -> std::io::Result<&[u8]> {
        self.buffer.clear();
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut self.buffer))?;
        Ok(&self.buffer)
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
    let mut reader = FileReader { buffer: std::mem::take(buffer) };
    let value = reader.read_json(path);
    *buffer = reader.buffer;
    value
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
