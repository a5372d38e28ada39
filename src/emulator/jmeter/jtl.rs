//! Reading JMeter's CSV results (JTL) while JMeter is still writing them.
//!
//! The backend asks JMeter for CSV with a header line and one row per sample
//! (`jmeter.save.saveservice.output_format=csv`, `print_field_names=true`). Fields holding a
//! comma, a quote or a line break are quoted, with quotes doubled; so a row ends at a line
//! break outside quotes, and a response message may span lines. [`JtlReader::feed`] takes
//! the bytes appended since the last call and returns the rows completed by them; a partial
//! last row waits for the next call. Rows that do not parse (a timestamp that is not a
//! number) are counted in [`JtlReader::skipped`], never fatal.

/// One sample, as JMeter wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sample {
    /// Start of the sample, epoch milliseconds (the backend sets
    /// `sampleresult.timestamp.start=true`).
    pub timestamp: i64,
    /// Milliseconds from request to the end of the response.
    pub elapsed: i64,
    /// The sampler's name.
    pub label: String,
    /// HTTP status, or JMeter's `Non HTTP response code: …`.
    pub response_code: String,
    pub response_message: String,
    pub thread_name: String,
    pub success: bool,
    /// Response bytes.
    pub bytes: i64,
    /// Threads running in the whole test when the sample ended.
    pub all_threads: i64,
    /// Milliseconds to the first response byte.
    pub latency: i64,
    pub failure_message: String,
}

/// The columns JMeter 2.13 writes by default, for a file without a header line.
const DEFAULT_COLUMNS: [&str; 12] = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "bytes",
    "grpThreads",
    "allThreads",
    "Latency",
];

/// An incremental JTL reader (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct JtlReader {
    /// Bytes of the row being read.
    pending: Vec<u8>,
    /// How far `pending` has been scanned, and whether that point is inside quotes.
    scanned: usize,
    in_quotes: bool,
    /// Column names, from the header (or the defaults once a data row comes first).
    columns: Option<Vec<String>>,
    /// Rows that were not samples.
    pub skipped: u64,
}

impl JtlReader {
    /// Takes appended bytes; returns the samples of the rows they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Sample> {
        self.pending.extend_from_slice(bytes);
        let mut samples = Vec::new();
        let mut start = 0;
        let mut at = self.scanned;
        while at < self.pending.len() {
            match self.pending[at] {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => {
                    let row = &self.pending[start..at];
                    let row = row.strip_suffix(b"\r").unwrap_or(row);
                    let fields = split(&String::from_utf8_lossy(row));
                    if let Some(sample) = self.row(fields) {
                        samples.push(sample);
                    }
                    start = at + 1;
                }
                _ => {}
            }
            at += 1;
        }
        self.pending.drain(..start);
        self.scanned = self.pending.len();
        samples
    }

    /// The samples of a row, learning the columns from the header.
    fn row(&mut self, fields: Vec<String>) -> Option<Sample> {
        if fields.iter().all(|field| field.is_empty()) {
            return None;
        }
        if self.columns.is_none() {
            if fields.first().is_some_and(|first| first == "timeStamp") {
                self.columns = Some(fields);
                return None;
            }
            self.columns = Some(DEFAULT_COLUMNS.iter().map(|c| (*c).to_owned()).collect());
        }
        let columns = self.columns.as_deref().unwrap_or_default();
        let field = |name: &str| -> &str {
            columns
                .iter()
                .position(|column| column == name)
                .and_then(|index| fields.get(index))
                .map_or("", String::as_str)
        };
        let number = |name: &str| field(name).trim().parse::<i64>().ok();
        let Some(timestamp) = number("timeStamp") else {
            self.skipped += 1;
            return None;
        };
        Some(Sample {
            timestamp,
            elapsed: number("elapsed").unwrap_or(0).max(0),
            label: field("label").to_owned(),
            response_code: field("responseCode").to_owned(),
            response_message: field("responseMessage").to_owned(),
            thread_name: field("threadName").to_owned(),
            success: field("success").eq_ignore_ascii_case("true"),
            bytes: number("bytes").unwrap_or(0).max(0),
            all_threads: number("allThreads").unwrap_or(0).max(0),
            latency: number("Latency").unwrap_or(0).max(0),
            failure_message: field("failureMessage").to_owned(),
        })
    }
}

/// Splits one CSV row (comma-separated, `"` quoting with `""` for a quote).
fn split(row: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,grpThreads,allThreads,Latency\n";

    #[test]
    fn rows_come_out_as_they_complete_and_a_partial_row_waits() {
        let mut reader = JtlReader::default();
        let first = "1700000000000,12,list orders,200,OK,buyers 1-1,text,true,,520,2,2,11\n";
        let second = "1700000000010,3,pay,500,Server Error,buyers 1-2,text,false,,10,2,2,3\n";
        assert!(reader.feed(HEADER.as_bytes()).is_empty());
        let (head, tail) = second.split_at(20);
        let got = reader.feed(format!("{first}{head}").as_bytes());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].label, "list orders");
        assert_eq!(got[0].elapsed, 12);
        assert!(got[0].success);
        assert_eq!(got[0].all_threads, 2);
        let got = reader.feed(tail.as_bytes());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].response_code, "500");
        assert!(!got[0].success);
        assert!(reader.feed(b"").is_empty());
    }

    #[test]
    fn quoted_fields_keep_their_commas_quotes_and_line_breaks() {
        let mut reader = JtlReader::default();
        reader.feed(HEADER.as_bytes());
        let row = "1700000000000,0,\"a, b\",Non HTTP response code: java.net.URISyntaxException,\"Illegal character, \"\"here\"\"\nat index 3\",t 1-1,text,false,\"Expected \"\"ok\"\"\",0,1,1,0\n";
        // Fed a byte at a time: a quote or a line break may end one chunk.
        let mut got = Vec::new();
        for byte in row.as_bytes() {
            got.extend(reader.feed(std::slice::from_ref(byte)));
        }
        assert_eq!(got.len(), 1, "{got:?}");
        let sample = &got[0];
        assert_eq!(sample.label, "a, b");
        assert_eq!(
            sample.response_message,
            "Illegal character, \"here\"\nat index 3"
        );
        assert_eq!(sample.thread_name, "t 1-1");
        assert_eq!(sample.failure_message, "Expected \"ok\"");
        assert!(!sample.success);
    }

    #[test]
    fn without_a_header_the_default_columns_apply_and_junk_is_skipped() {
        let mut reader = JtlReader::default();
        let got = reader.feed(
            b"1795455163776,93,list orders,404,File not found,buyers 1-1,text,false,520,1,1,93\r\nnot,a,sample\n\n",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].response_code, "404");
        assert_eq!(got[0].bytes, 520);
        assert_eq!(got[0].latency, 93);
        assert_eq!(reader.skipped, 1);
    }
}
