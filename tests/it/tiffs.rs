//! A small GeoTIFF mask writer for the tests, written from the TIFF 6.0
//! specification: strips or tiles, either byte order, 8- or 16-bit signed or
//! unsigned samples, no compression, deflate, LZW or PackBits, with or
//! without the horizontal predictor, and an optional `GDAL_NODATA` tag. The
//! `tiff` crate's encoder writes strips only and is the reader's own
//! sibling; this writer is independent of both.

use std::path::Path;

/// How samples are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    U8,
    I8,
    U16,
    I16,
}

impl Sample {
    fn bytes(self) -> usize {
        match self {
            Sample::U8 | Sample::I8 => 1,
            Sample::U16 | Sample::I16 => 2,
        }
    }

    fn signed(self) -> bool {
        matches!(self, Sample::I8 | Sample::I16)
    }
}

/// The compression of every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Deflate,
    Lzw,
    PackBits,
}

impl Compression {
    fn code(self) -> u16 {
        match self {
            Compression::None => 1,
            Compression::Lzw => 5,
            Compression::Deflate => 8,
            Compression::PackBits => 32773,
        }
    }
}

/// Strips of `rows` rows, or tiles (sides multiples of 16, as TIFF requires).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Strips { rows: u32 },
    Tiles { width: u32, height: u32 },
}

/// A mask to write: `values` row by row, `width` × `height`.
#[derive(Debug, Clone)]
pub struct Mask {
    pub width: u32,
    pub height: u32,
    pub values: Vec<i64>,
    pub sample: Sample,
}

/// How the file is laid out.
#[derive(Debug, Clone)]
pub struct Options {
    pub layout: Layout,
    pub compression: Compression,
    pub predictor: bool,
    pub big_endian: bool,
    /// The `GDAL_NODATA` tag's text.
    pub gdal_nodata: Option<String>,
    /// The value written into the padding of edge tiles: it must never be
    /// counted.
    pub padding: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            layout: Layout::Strips { rows: 16 },
            compression: Compression::None,
            predictor: false,
            big_endian: false,
            gdal_nodata: None,
            padding: 99,
        }
    }
}

impl Mask {
    /// A mask whose pixel (x, y) is `f(x, y)`.
    pub fn from_fn(width: u32, height: u32, sample: Sample, f: impl Fn(u32, u32) -> i64) -> Self {
        let values = (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).map(|(x, y)| f(x, y)).collect();
        Mask { width, height, values, sample }
    }

    /// (value, pixels), ascending.
    pub fn counts(&self) -> Vec<(i64, u64)> {
        let mut counts = std::collections::BTreeMap::new();
        for &v in &self.values {
            *counts.entry(v).or_insert(0u64) += 1;
        }
        counts.into_iter().collect()
    }
}

/// Writes `mask` as a TIFF file at `path`.
pub fn write(path: &Path, mask: &Mask, options: &Options) {
    std::fs::write(path, encode(mask, options)).unwrap();
}

/// The TIFF file's bytes.
pub fn encode(mask: &Mask, options: &Options) -> Vec<u8> {
    let be = options.big_endian;
    let sample = mask.sample;
    let (chunk_w, chunk_h, across, down) = match options.layout {
        Layout::Strips { rows } => (mask.width, rows, 1, mask.height.div_ceil(rows)),
        Layout::Tiles { width, height } => {
            assert!(width % 16 == 0 && height % 16 == 0, "tile sides are multiples of 16");
            (width, height, mask.width.div_ceil(width), mask.height.div_ceil(height))
        }
    };
    let tiled = matches!(options.layout, Layout::Tiles { .. });
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for cy in 0..down {
        for cx in 0..across {
            // Strips stop at the last image row; tiles are always whole, padded.
            let rows = if tiled { chunk_h } else { chunk_h.min(mask.height - cy * chunk_h) };
            let mut samples: Vec<i64> = Vec::with_capacity((chunk_w * rows) as usize);
            for r in 0..rows {
                let mut row: Vec<i64> = (0..chunk_w)
                    .map(|c| {
                        let (x, y) = (cx * chunk_w + c, cy * chunk_h + r);
                        if x < mask.width && y < mask.height {
                            mask.values[(y * mask.width + x) as usize]
                        } else {
                            options.padding
                        }
                    })
                    .collect();
                if options.predictor {
                    // Horizontal differencing, modulo the sample width.
                    for i in (1..row.len()).rev() {
                        row[i] -= row[i - 1];
                    }
                }
                samples.extend(row);
            }
            let mut raw = Vec::with_capacity(samples.len() * sample.bytes());
            for v in samples {
                match sample.bytes() {
                    1 => raw.push(v as u8),
                    _ => raw.extend(if be { (v as u16).to_be_bytes() } else { (v as u16).to_le_bytes() }),
                }
            }
            let row_bytes = chunk_w as usize * sample.bytes();
            chunks.push(compress(&raw, row_bytes, options.compression));
        }
    }

    let mut out = Vec::new();
    out.extend_from_slice(if be { b"MM" } else { b"II" });
    put16(&mut out, 42, be);
    put32(&mut out, 0, be); // IFD offset, patched below
    let mut offsets = Vec::new();
    for chunk in &chunks {
        offsets.push(out.len() as u32);
        out.extend_from_slice(chunk);
        if out.len() % 2 == 1 {
            out.push(0);
        }
    }
    let counts: Vec<u32> = chunks.iter().map(|c| c.len() as u32).collect();

    // (tag, type, values): SHORT 3, LONG 4, ASCII 2.
    enum V {
        Short(Vec<u16>),
        Long(Vec<u32>),
        Ascii(Vec<u8>),
    }
    let mut entries: Vec<(u16, V)> = vec![
        (256, V::Long(vec![mask.width])),
        (257, V::Long(vec![mask.height])),
        (258, V::Short(vec![8 * sample.bytes() as u16])),
        (259, V::Short(vec![options.compression.code()])),
        (262, V::Short(vec![1])),
        (277, V::Short(vec![1])),
        (284, V::Short(vec![1])),
        (339, V::Short(vec![if sample.signed() { 2 } else { 1 }])),
    ];
    if tiled {
        entries.push((322, V::Long(vec![chunk_w])));
        entries.push((323, V::Long(vec![chunk_h])));
        entries.push((324, V::Long(offsets)));
        entries.push((325, V::Long(counts)));
    } else {
        entries.push((273, V::Long(offsets)));
        entries.push((278, V::Long(vec![chunk_h])));
        entries.push((279, V::Long(counts)));
    }
    if options.predictor {
        entries.push((317, V::Short(vec![2])));
    }
    if let Some(text) = &options.gdal_nodata {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        entries.push((42113, V::Ascii(bytes)));
    }
    entries.sort_by_key(|(tag, _)| *tag);

    let ifd = out.len() as u32;
    let patch = if be { ifd.to_be_bytes() } else { ifd.to_le_bytes() };
    out[4..8].copy_from_slice(&patch);
    let after_ifd = ifd as usize + 2 + entries.len() * 12 + 4;
    let mut extra: Vec<u8> = Vec::new();
    put16(&mut out, entries.len() as u16, be);
    for (tag, value) in &entries {
        let (kind, count, bytes) = match value {
            V::Short(v) => (3u16, v.len(), v.iter().flat_map(|s| bytes16(*s, be)).collect::<Vec<u8>>()),
            V::Long(v) => (4, v.len(), v.iter().flat_map(|s| bytes32(*s, be)).collect()),
            V::Ascii(v) => (2, v.len(), v.clone()),
        };
        put16(&mut out, *tag, be);
        put16(&mut out, kind, be);
        put32(&mut out, count as u32, be);
        if bytes.len() <= 4 {
            let mut inline = bytes.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            put32(&mut out, (after_ifd + extra.len()) as u32, be);
            extra.extend_from_slice(&bytes);
            if extra.len() % 2 == 1 {
                extra.push(0);
            }
        }
    }
    put32(&mut out, 0, be); // no next IFD
    out.extend_from_slice(&extra);
    out
}

fn compress(raw: &[u8], row_bytes: usize, compression: Compression) -> Vec<u8> {
    use std::io::Write;
    match compression {
        Compression::None => raw.to_vec(),
        Compression::Deflate => {
            let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(raw).unwrap();
            encoder.finish().unwrap()
        }
        Compression::Lzw => weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8).encode(raw).unwrap(),
        // Each row packed on its own, as the specification asks.
        Compression::PackBits => raw.chunks(row_bytes).flat_map(packbits).collect(),
    }
}

/// PackBits: runs of 2 to 128 equal bytes as (257 - n, byte), the rest as
/// literals of up to 128 bytes, (n - 1, bytes...).
fn packbits(row: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < row.len() {
        let mut run = 1;
        while i + run < row.len() && run < 128 && row[i + run] == row[i] {
            run += 1;
        }
        if run >= 2 {
            out.push((257 - run) as u8);
            out.push(row[i]);
            i += run;
            continue;
        }
        let start = i;
        while i < row.len() && i - start < 128 && !(i + 1 < row.len() && row[i + 1] == row[i]) {
            i += 1;
        }
        if i == start {
            i += 1;
        }
        out.push((i - start - 1) as u8);
        out.extend_from_slice(&row[start..i]);
    }
    out
}

fn bytes16(v: u16, be: bool) -> [u8; 2] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

fn bytes32(v: u32, be: bool) -> [u8; 4] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend_from_slice(&bytes16(v, be));
}

fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend_from_slice(&bytes32(v, be));
}

#[test]
fn packbits_round_trips() {
    fn unpack(mut data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while let [n, rest @ ..] = data {
            let n = *n as i8;
            if n >= 0 {
                let len = n as usize + 1;
                out.extend_from_slice(&rest[..len]);
                data = &rest[len..];
            } else if n != -128 {
                out.extend(std::iter::repeat_n(rest[0], (1 - n as i32) as usize));
                data = &rest[1..];
            } else {
                data = rest;
            }
        }
        out
    }
    for row in [vec![], vec![1], vec![1, 1], vec![1, 2, 3, 3, 3, 4], vec![7; 300], (0..=255).chain(0..=255).collect()] {
        assert_eq!(unpack(&packbits(&row)), row);
    }
}
