//! Pixels per value of one single-band integer GeoTIFF (a class mask),
//! decoded strip by strip or tile by tile with the pure-Rust `tiff` crate, so
//! memory holds one chunk, never the whole image.
//!
//! Supported: 8- and 16-bit, unsigned or signed samples, one band, stripped
//! or tiled, chunky or planar, uncompressed, deflate, LZW or PackBits, with
//! or without the horizontal predictor. Anything else is refused with a
//! reason ([`TiffProblem`]), never a panic.

use std::io::BufReader;
use std::path::Path;

use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

/// Why a TIFF could not be counted. The text says what to do about it where
/// there is something to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiffProblem(pub String);

impl std::fmt::Display for TiffProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one mask holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaskCounts {
    /// (value, pixels) for every value present, ascending by value.
    pub values: Vec<(i64, u64)>,
    /// The file's own nodata value (GDAL's `GDAL_NODATA` tag), when it is an
    /// integer; catalogs that say nothing about nodata rely on it.
    pub tag_nodata: Option<i64>,
}

/// Per-thread state reused from mask to mask: the chunk buffer and the
/// 16-bit histogram (512 KiB, too large to allocate per file).
#[derive(Debug)]
pub struct Counter {
    chunk: Vec<u8>,
    /// Right-edge tiles with their padding (see [`Counter::count_reader`]).
    padded: DecodingResult,
    wide: Vec<u64>,
    /// The values of the last 8-bit chunk, when it held few: the next
    /// chunk (of this mask or the next) is counted against them first.
    recent: Vec<u8>,
}

impl Default for Counter {
    fn default() -> Self {
        Counter { chunk: Vec::new(), padded: DecodingResult::U8(Vec::new()), wide: Vec::new(), recent: Vec::new() }
    }
}

/// The sample layout of a supported mask.
#[derive(Debug, Clone, Copy)]
enum Samples {
    U8,
    I8,
    U16,
    I16,
}

impl Counter {
    /// Counts the pixels of each value of the TIFF at `path`, opened through
    /// the project's safe file opening (regular files only, size cap).
    pub fn count(&mut self, path: &Path) -> Result<MaskCounts, TiffProblem> {
        let file = crate::catalog::read::open_file(path).map_err(|e| TiffProblem(e.to_string()))?;
        // Chunks are read one by one at their offsets; a small buffer serves
        // the tags and each chunk's compressed bytes.
        self.count_reader(BufReader::with_capacity(64 << 10, file))
    }

    /// [`Counter::count`] on any seekable reader.
    pub fn count_reader<R: std::io::Read + std::io::Seek>(&mut self, reader: R) -> Result<MaskCounts, TiffProblem> {
        let mut decoder = Decoder::new(reader).map_err(tiff_problem)?.with_limits(limits());
        let samples = sample_layout(&mut decoder)?;
        let tag_nodata = gdal_nodata(&mut decoder);
        let chunks = match decoder.get_chunk_type() {
            tiff::decoder::ChunkType::Strip => decoder.strip_count(),
            tiff::decoder::ChunkType::Tile => decoder.tile_count(),
        }
        .map_err(tiff_problem)?;
        let width = match samples {
            Samples::U8 | Samples::I8 => 1,
            Samples::U16 | Samples::I16 => 2,
        };
        let mut narrow = [0u64; 256];
        if matches!(samples, Samples::U16 | Samples::I16) {
            self.wide.clear();
            self.wide.resize(1 << 16, 0);
        }
        let tile_width = decoder.chunk_dimensions().0;
        for chunk in 0..chunks {
            // The data size: edge tiles and the last strip without padding,
            // which the decoder never writes out.
            let (w, h) = decoder.chunk_data_dimensions(chunk);
            let row = w as usize * width;
            let len = row.checked_mul(h as usize);
            let Some(len) = len.filter(|&n| n <= MAX_CHUNK_BYTES) else {
                return Err(TiffProblem(format!("a {w}×{h} chunk is larger than the decoder's limit")));
            };
            let data: &[u8] = if w == tile_width {
                // Only a new length is zero-filled: the decoder overwrites it all.
                self.chunk.resize(len, 0);
                decoder.read_chunk_bytes(chunk, &mut self.chunk).map_err(tiff_problem)?;
                &self.chunk
            } else {
                // A tile on the right edge, read with its padding columns:
                // tiff 0.11.3 reads such tiles row by row and then fails on
                // valid LZW streams ("no lzw end code found", also on files
                // tifffile writes); whole rows take its other, working path.
                let stride = tile_width as usize * width;
                decoder.read_chunk_to_buffer(&mut self.padded, chunk, stride).map_err(tiff_problem)?;
                let padded = self.padded.as_buffer(0);
                let bytes = padded.as_bytes();
                self.chunk.clear();
                for r in 0..h as usize {
                    self.chunk.extend_from_slice(&bytes[r * stride..r * stride + row]);
                }
                &self.chunk
            };
            match samples {
                Samples::U8 | Samples::I8 => count_few_or_all(data, &mut self.recent, &mut narrow),
                Samples::U16 | Samples::I16 => {
                    // The decoder hands samples over in native byte order.
                    for pair in data.chunks_exact(2) {
                        self.wide[u16::from_ne_bytes([pair[0], pair[1]]) as usize] += 1;
                    }
                }
            }
        }
        let mut values: Vec<(i64, u64)> = match samples {
            Samples::U8 => nonzero(&narrow, |k| k as i64),
            Samples::I8 => nonzero(&narrow, |k| k as u8 as i8 as i64),
            Samples::U16 => nonzero(&self.wide, |k| k as i64),
            Samples::I16 => nonzero(&self.wide, |k| k as u16 as i16 as i64),
        };
        values.sort_unstable();
        // A counter lives as long as its rayon worker: one large strip must
        // not pin its buffers for the rest of the pass.
        self.chunk.shrink_to(KEPT_BUFFER_BYTES);
        if let DecodingResult::U8(padded) = &mut self.padded {
            padded.shrink_to(KEPT_BUFFER_BYTES);
        }
        if values.len() > MAX_CLASS_VALUES {
            return Err(TiffProblem(format!(
                "holds {} distinct values, more than the {MAX_CLASS_VALUES} of a class mask (an instance-id mask or an image?)",
                values.len()
            )));
        }
        Ok(MaskCounts { values, tag_nodata })
    }
}

/// The largest strip or tile read at once. A mask is read chunk by chunk,
/// so a legitimate one stays far below; a crafted header declaring one huge
/// strip is refused before its buffer is zero-filled.
const MAX_CHUNK_BYTES: usize = 64 << 20;

/// What a counter keeps allocated between masks.
const KEPT_BUFFER_BYTES: usize = 4 << 20;

/// More distinct values than this is not a class mask: each value becomes a
/// row kept per item for the whole run (a 16-bit instance-id mask has tens
/// of thousands).
const MAX_CLASS_VALUES: usize = 1024;

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.decoding_buffer_size = MAX_CHUNK_BYTES;
    limits.intermediate_buffer_size = MAX_CHUNK_BYTES;
    limits
}

/// The most values counted one by one before the histogram is cheaper.
const FEW: usize = 8;

/// Counts bytes into `totals`. A mask holds a few classes, and the same
/// few from chunk to chunk: counting each of the `recent` values with
/// vectorised compares costs a fraction of a histogram's scattered
/// increments (measured: the histogram alone cost as much as inflating the
/// bench's deflate masks). When other values turn up, the chunk goes
/// through the histogram and its values become the new `recent`.
fn count_few_or_all(bytes: &[u8], recent: &mut Vec<u8>, totals: &mut [u64; 256]) {
    if !recent.is_empty() {
        let counts: Vec<u64> = recent.iter().map(|&v| count_equal(bytes, v)).collect();
        if counts.iter().sum::<u64>() == bytes.len() as u64 {
            for (&v, n) in recent.iter().zip(counts) {
                totals[v as usize] += n;
            }
            return;
        }
    }
    let mut local = [0u64; 256];
    count_bytes(bytes, &mut local);
    recent.clear();
    for (v, n) in local.iter().enumerate() {
        totals[v] += n;
        if *n > 0 {
            recent.push(v as u8);
        }
    }
    if recent.len() > FEW {
        recent.clear();
    }
}

/// Bytes equal to `value`: u8 sums over blocks of 255 bytes, which the
/// compiler turns into SIMD compares and subtractions.
fn count_equal(bytes: &[u8], value: u8) -> u64 {
    bytes.chunks(255).map(|block| u64::from(block.iter().fold(0u8, |n, &b| n + u8::from(b == value)))).sum()
}

/// Counts bytes into `totals` over eight interleaved histograms: a run of
/// one class (the common case in a mask) then increments eight different
/// counters in turn instead of waiting on one, and there is no branch to
/// mispredict on noisy class borders. Still about as slow as inflating a
/// deflate mask, hence [`count_few_or_all`] in front of it.
fn count_bytes(bytes: &[u8], totals: &mut [u64; 256]) {
    let mut lanes = [[0u32; 256]; 8];
    // u32 lanes: flushed before any can overflow.
    for block in bytes.chunks(1 << 30) {
        let mut words = block.chunks_exact(8);
        for w in &mut words {
            for (lane, &b) in lanes.iter_mut().zip(w) {
                lane[b as usize] += 1;
            }
        }
        for &b in words.remainder() {
            lanes[0][b as usize] += 1;
        }
        for lane in &mut lanes {
            for (total, n) in totals.iter_mut().zip(lane.iter_mut()) {
                *total += u64::from(std::mem::take(n));
            }
        }
    }
}

fn nonzero(histogram: &[u64], value: impl Fn(usize) -> i64) -> Vec<(i64, u64)> {
    histogram.iter().enumerate().filter(|(_, n)| **n > 0).map(|(k, n)| (value(k), *n)).collect()
}

/// Checks that the image is one band of 8- or 16-bit integers whose stored
/// values the decoder returns unchanged.
fn sample_layout<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>) -> Result<Samples, TiffProblem> {
    let colour = decoder.colortype().map_err(tiff_problem)?;
    let bits = match colour {
        ColorType::Gray(bits) => bits,
        ColorType::Multiband { num_samples, .. } => {
            return Err(TiffProblem(format!("has {num_samples} bands; a class mask has one (8- or 16-bit integers)")));
        }
        other => return Err(TiffProblem(format!("is {other:?}; a class mask is one band of 8- or 16-bit integers"))),
    };
    // WhiteIsZero: the decoder inverts values, which would rename every class.
    if decoder.find_tag_unsigned::<u16>(Tag::PhotometricInterpretation).ok().flatten() == Some(0) {
        return Err(TiffProblem("uses WhiteIsZero photometry, which inverts class values; not supported".into()));
    }
    let format = decoder.find_tag_unsigned_vec::<u16>(Tag::SampleFormat).ok().flatten();
    let signed = match format.as_deref().and_then(<[u16]>::first).copied().unwrap_or(1) {
        1 => false,
        2 => true,
        3 => return Err(TiffProblem("has floating-point samples; a class mask holds integers".into())),
        other => return Err(TiffProblem(format!("has sample format {other}; a class mask holds integers"))),
    };
    match (bits, signed) {
        (8, false) => Ok(Samples::U8),
        (8, true) => Ok(Samples::I8),
        (16, false) => Ok(Samples::U16),
        (16, true) => Ok(Samples::I16),
        (bits, _) => Err(TiffProblem(format!("has {bits}-bit samples; supported are 8- and 16-bit integers"))),
    }
}

/// GDAL writes nodata as ASCII text in its own tag (42113).
fn gdal_nodata<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>) -> Option<i64> {
    let text = decoder.get_tag_ascii_string(Tag::GdalNodata).ok()?;
    let value: f64 = text.trim_matches(char::from(0)).trim().parse().ok()?;
    integral(value)
}

/// `value` as an integer, when it is one: a non-integral or non-finite
/// nodata can never equal an integer pixel.
pub fn integral(value: f64) -> Option<i64> {
    (value.is_finite() && value.fract() == 0.0 && value.abs() < 9.0e15).then_some(value as i64)
}

fn tiff_problem(error: tiff::TiffError) -> TiffProblem {
    use tiff::TiffError;
    TiffProblem(match error {
        TiffError::FormatError(e) => format!("not a valid TIFF: {e}"),
        TiffError::UnsupportedError(e) => format!("unsupported TIFF: {e}"),
        TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated: ends before its data".into()
        }
        TiffError::IoError(e) => format!("read error: {e}"),
        TiffError::LimitsExceeded => "a strip, tile or tag is larger than the decoder's limits".into(),
        other => format!("cannot be decoded: {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_and_lane_counting_equals_plain_counting() {
        // Noise, then runs of several lengths and values, some word-aligned.
        let mut bytes: Vec<u8> = (0..10_007u32).map(|i| (i * 7 % 13 + i / 1000) as u8).collect();
        for (value, len) in [(0u8, 64), (3, 17), (3, 8), (0, 5), (9, 800), (255, 3), (0, 40)] {
            bytes.extend(std::iter::repeat_n(value, len));
        }
        let mut lanes = [0u64; 256];
        count_bytes(&bytes, &mut lanes);
        let mut plain = [0u64; 256];
        for &b in &bytes {
            plain[b as usize] += 1;
        }
        assert_eq!(lanes, plain);
    }

    #[test]
    fn recent_values_count_alike_and_give_way_to_new_ones() {
        let mut recent = Vec::new();
        let mut totals = [0u64; 256];
        let chunks: [Vec<u8>; 4] =
            [vec![1; 700], [vec![1; 300], vec![2; 600]].concat(), vec![2; 1000], (0..=255).collect()];
        let mut plain = [0u64; 256];
        for chunk in &chunks {
            count_few_or_all(chunk, &mut recent, &mut totals);
            for &b in chunk {
                plain[b as usize] += 1;
            }
            assert_eq!(totals, plain);
        }
        // 256 values are too many to count one by one.
        assert!(recent.is_empty());
    }

    #[test]
    fn garbage_is_a_reason_not_a_panic() {
        let mut counter = Counter::default();
        for bytes in [&b""[..], b"II*\0", b"MM\0*\0\0\0\x08\0", b"not a tiff at all", &[0xff; 64]] {
            let problem = counter.count_reader(std::io::Cursor::new(bytes)).unwrap_err();
            assert!(!problem.0.is_empty());
        }
    }

    #[test]
    fn only_integral_nodata_can_match() {
        assert_eq!(integral(255.0), Some(255));
        assert_eq!(integral(-9999.0), Some(-9999));
        assert_eq!(integral(0.5), None);
        assert_eq!(integral(f64::NAN), None);
    }
}
