//! CSV file parameters: rows mapped to per-virtual-user slots, one row per iteration, each
//! row handed to one virtual user (a shared cursor), either once (`CycleOnce`: the relation
//! stops when the rows run out) or in a loop.
//!
//! A file's `FileParamName` lists its column names separated by commas, in column order.
//! With several files, the benchmark file (`BaseFile`, or the `CycleOnce` one) decides the
//! row count; shorter files wrap, as PTS does.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use super::template::Vars;

/// One parsed CSV file bound to slots.
#[derive(Debug)]
pub(crate) struct CsvFile {
    /// Rows of cells (all rows have at least `slots.len()` cells or are padded empty).
    pub rows: Vec<Vec<Bytes>>,
    /// The slot of each column.
    pub slots: Vec<usize>,
}

/// The CSV data of one relation.
#[derive(Debug)]
pub(crate) struct DataSource {
    pub files: Vec<CsvFile>,
    /// Row count of the benchmark file.
    pub rows: u64,
    /// Stop when the rows run out instead of wrapping.
    pub once: bool,
    pub cursor: AtomicU64,
}

impl DataSource {
    /// Takes the next row for one iteration; `None` when a cycle-once source is exhausted.
    pub(crate) fn next_row(&self) -> Option<u64> {
        let row = self.cursor.fetch_add(1, Ordering::Relaxed);
        match (self.once, self.rows) {
            (_, 0) => None,
            (true, rows) if row >= rows => None,
            (_, rows) => Some(row % rows),
        }
    }

    /// Whether a cycle-once source has handed out every row.
    pub(crate) fn exhausted(&self) -> bool {
        self.once && self.cursor.load(Ordering::Relaxed) >= self.rows
    }

    /// Writes row `row` into the slots.
    pub(crate) fn assign(&self, row: u64, vars: &mut Vars) {
        for file in &self.files {
            let Some(cells) = usize::try_from(row)
                .ok()
                .and_then(|r| file.rows.get(r % file.rows.len().max(1)))
            else {
                continue;
            };
            for (cell, slot) in cells.iter().zip(&file.slots) {
                vars.set(*slot, cell.clone());
            }
        }
    }
}

/// Where the first record of CSV text ends (just after its line break; the text's length
/// when it has one record or none), read as [`parse_csv`] reads: blank lines before it are
/// skipped and line breaks inside quotes belong to the cell.
pub(crate) fn first_record_end(text: &[u8]) -> usize {
    let mut quoted = false;
    let mut started = false;
    for (i, &b) in text.iter().enumerate() {
        match (quoted, b) {
            (true, b'"') => quoted = false,
            (true, _) => {}
            (false, b'"') => (quoted, started) = (true, true),
            (false, b'\n') if started => return i + 1,
            (false, b'\n' | b'\r') => {}
            (false, _) => started = true,
        }
    }
    text.len()
}

/// Parses CSV text (RFC 4180: quoted cells with `""` escapes, CRLF or LF); blank lines are
/// skipped.
pub(crate) fn parse_csv(text: &[u8]) -> Vec<Vec<Bytes>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        match (quoted, b) {
            (true, b'"') if text.get(i + 1) == Some(&b'"') => {
                cell.push(b'"');
                i += 1;
            }
            (true, b'"') => quoted = false,
            (true, _) => cell.push(b),
            (false, b'"') if cell.is_empty() => quoted = true,
            (false, b',') => row.push(Bytes::from(std::mem::take(&mut cell))),
            (false, b'\n') => end_row(&mut rows, &mut row, &mut cell),
            (false, b'\r') => {}
            (false, _) => cell.push(b),
        }
        i += 1;
    }
    end_row(&mut rows, &mut row, &mut cell);
    rows
}

fn end_row(rows: &mut Vec<Vec<Bytes>>, row: &mut Vec<Bytes>, cell: &mut Vec<u8>) {
    if row.is_empty() && cell.is_empty() {
        return;
    }
    row.push(Bytes::from(std::mem::take(cell)));
    rows.push(std::mem::take(row));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_line_ends() {
        let rows = parse_csv(b"a,\"b,1\",\"say \"\"hi\"\"\"\r\n\nc,d,\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ["a", "b,1", "say \"hi\""]);
        assert_eq!(rows[1], ["c", "d", ""]);
    }

    #[test]
    fn the_first_record_ends_after_its_line_break_outside_quotes() {
        let text = b"\r\n\nname,\"note\nwith \"\"break\"\"\"\r\nu1,a\nu2,b\n";
        let end = first_record_end(text);
        assert_eq!(&text[end..], b"u1,a\nu2,b\n");
        assert_eq!(parse_csv(&text[..end]).len(), 1);
        assert_eq!(first_record_end(b"only,a,header"), 13);
        assert_eq!(first_record_end(b""), 0);
    }

    #[test]
    fn cycle_once_stops_and_loop_wraps() {
        let source = |once| DataSource {
            files: vec![],
            rows: 2,
            once,
            cursor: AtomicU64::new(0),
        };
        let once = source(true);
        assert_eq!(
            (once.next_row(), once.next_row(), once.next_row()),
            (Some(0), Some(1), None)
        );
        assert!(once.exhausted());
        let looping = source(false);
        let rows: Vec<_> = (0..3).map(|_| looping.next_row()).collect();
        assert_eq!(rows, [Some(0), Some(1), Some(0)]);
    }
}
