//! The rows of a compact JSON document, serialised on every core.
//!
//! On a 100k-row diff, turning rows into JSON is a quarter of the run. Rows
//! are independent, so batches of them are serialised in pieces on every
//! core, each piece into one buffer, and the buffers are written in order.
//! The rest of the document (summary, causes, verdict) is small: it is
//! serialised whole with a placeholder where the rows go, and the rows are
//! put in its place. An indented document cannot take rows serialised
//! apart (they would lose their indentation); it is streamed row by row.

use std::io::{self, Write};

use serde::{Serialize, Serializer};

/// Stands for the rows in the document; serialises as a string no row,
/// key or name can produce in that position (see [`write_compact`]).
pub(super) struct RowsPlaceholder;

const PLACEHOLDER: &str = "\u{0}profdiff rows\u{0}";

impl Serialize for RowsPlaceholder {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(PLACEHOLDER)
    }
}

/// Rows serialised per batch: enough to split among threads, little
/// enough to hold (a few MB).
const BATCH: usize = 16 * 1024;

/// Writes `document` compact, with `make(item)` for every item as the
/// array in its `functions` field (which must hold [`RowsPlaceholder`]),
/// and a newline.
pub(super) fn write_compact<D, T, W>(
    out: &mut dyn Write,
    document: &D,
    items: &[T],
    make: impl Fn(&T) -> W + Sync,
) -> io::Result<()>
where
    D: Serialize,
    T: Sync,
    W: Serialize,
{
    let frame = serde_json::to_vec(document)?;
    // `"functions":` followed by the placeholder appears once: a key is
    // followed by `:`, and a quote inside any string is escaped.
    let needle = format!(
        "\"functions\":{}",
        serde_json::to_string(PLACEHOLDER).map_err(io::Error::from)?
    );
    let at = find(&frame, needle.as_bytes())
        .ok_or_else(|| io::Error::other("the document has no rows placeholder"))?;
    let (head, tail) = (&frame[..at], &frame[at + needle.len()..]);
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    out.write_all(head)?;
    out.write_all(b"\"functions\":[")?;
    let mut chunk: Vec<&T> = Vec::with_capacity(BATCH.min(items.len()));
    for (batch, rows) in items.chunks(BATCH).enumerate() {
        chunk.clear();
        chunk.extend(rows);
        let first_batch = batch == 0;
        let pieces = crate::parallel::in_pieces(
            &mut chunk,
            |_| 1,
            |piece| -> io::Result<Vec<u8>> {
                let mut buffer = Vec::with_capacity(piece.len() * 512);
                for item in piece.iter() {
                    buffer.push(b',');
                    serde_json::to_writer(&mut buffer, &make(item))?;
                }
                Ok(buffer)
            },
        );
        for (index, piece) in pieces.into_iter().enumerate() {
            let piece = piece?;
            // Every row is written with a comma before it, but the first.
            let skip = usize::from(first_batch && index == 0 && !piece.is_empty());
            out.write_all(&piece[skip..])?;
        }
    }
    out.write_all(b"]")?;
    out.write_all(tail)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
