//! Transparent gzip decompression for every input format.
//!
//! pprof files are gzipped by definition, and people gzip big folded or
//! speedscope files too, so the reader unpacks any input that starts with the
//! gzip magic `1f 8b` before sniffing its format. Decompression is bounded:
//! a small hostile file can expand a thousandfold, so output beyond
//! [`MAX_GUNZIP_BYTES`] is refused rather than allocated. Concatenated gzip
//! members (what `cat a.gz b.gz` or `pigz` produce) are read as one stream,
//! like `gunzip` does.

use std::borrow::Cow;
use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

use crate::error::ParseError;

/// The most a gzipped input may expand to (1 GiB). No real profile comes
/// near it; a "zip bomb" stops here instead of exhausting memory.
pub const MAX_GUNZIP_BYTES: u64 = 1 << 30;

/// True when `bytes` starts with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Returns `bytes` unchanged unless they are gzip-compressed, in which case
/// the decompressed content (at most [`MAX_GUNZIP_BYTES`]).
pub fn maybe_gunzip(bytes: &[u8]) -> Result<Cow<'_, [u8]>, ParseError> {
    maybe_gunzip_with_limit(bytes, MAX_GUNZIP_BYTES)
}

/// [`maybe_gunzip`] with a caller-chosen output limit (tests use a small one).
fn maybe_gunzip_with_limit(bytes: &[u8], limit: u64) -> Result<Cow<'_, [u8]>, ParseError> {
    if !is_gzip(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut counter = CountingReader {
        inner: bytes,
        consumed: 0,
    };
    let mut out = Vec::with_capacity(initial_capacity(bytes.len(), limit));
    // Reading one byte past the limit tells "exactly at the limit" apart
    // from "larger than the limit".
    let result = MultiGzDecoder::new(&mut counter)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out);
    if let Err(error) = result {
        // flate2 reports no position; the compressed bytes consumed so far
        // are the best hint of where the damage is (it reads ahead in blocks).
        return Err(ParseError::at_byte(
            counter.consumed,
            format!(
                "gzip data is damaged or truncated (compressed input read up to here): {}",
                describe(&error)
            ),
        ));
    }
    if out.len() as u64 > limit {
        return Err(ParseError::at_byte(
            counter.consumed,
            format!(
                "gzip data expands to more than {}; refusing to decompress further",
                human_size(limit)
            ),
        ));
    }
    Ok(Cow::Owned(out))
}

/// Profiles compress 5–20×; start near that to avoid most reallocation
/// without trusting the (forgeable) size trailer.
fn initial_capacity(compressed: usize, limit: u64) -> usize {
    let guess = compressed.saturating_mul(8) as u64;
    guess.min(limit).min(256 << 20) as usize
}

fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::UnexpectedEof => "unexpected end of data".to_string(),
        _ => error.to_string(),
    }
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Counts how many compressed bytes the decoder pulled, for error positions.
struct CountingReader<'a> {
    inner: &'a [u8],
    consumed: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn plain_input_is_borrowed() {
        let out = maybe_gunzip(b"a;b 1\n").unwrap();
        assert!(matches!(out, Cow::Borrowed(_)));
    }

    #[test]
    fn gzip_is_unpacked_and_members_concatenate() {
        let mut data = gz(b"a;b 1\n");
        data.extend(gz(b"a;c 2\n"));
        assert_eq!(&*maybe_gunzip(&data).unwrap(), b"a;b 1\na;c 2\n");
    }

    #[test]
    fn expansion_beyond_the_limit_is_refused() {
        let data = gz(&vec![b'x'; 10_000]);
        assert!(maybe_gunzip_with_limit(&data, 10_000).is_ok());
        let error = maybe_gunzip_with_limit(&data, 9_999).unwrap_err();
        assert!(error.message.contains("more than 9999 bytes"), "{error}");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let data = gz(b"some text that is long enough to matter\n");
        let error = maybe_gunzip(&data[..data.len() - 6]).unwrap_err();
        assert!(error.message.contains("damaged or truncated"), "{error}");
    }
}
