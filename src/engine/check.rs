//! Checkpoints (assertions) on responses, with the operators ptsplan uses on the wire:
//! `eq, neq, gt, gte, lt, lte, ctn, nctn, exist, nexist, regex`. PTS confirms `eq` and `ctn`;
//! the others are the console's comparisons under the tokens ptsplan documents.
//!
//! Comparisons are numeric when both sides are numbers (`200` equals `200.0`, `gt` orders
//! numbers), else byte-wise; ordering operators fail on non-numbers rather than guess.

use bytes::Bytes;
use hyper::header::HeaderName;
use regex::bytes::Regex;

use super::extract::{Reply, header_name};
use super::template::Vars;

/// A comparison.
#[derive(Debug)]
pub(crate) enum Operator {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Ctn,
    Nctn,
    Exist,
    Nexist,
    Regex(Regex),
}

/// What is checked.
#[derive(Debug)]
pub(crate) enum Subject {
    Body,
    Header(HeaderName),
    Status,
    /// An export of this relation, by slot.
    Exported(usize),
}

/// A compiled checkpoint.
#[derive(Debug)]
pub(crate) struct Check {
    pub subject: Subject,
    pub operator: Operator,
    pub expect: Bytes,
    /// Wire fields, for sample logs.
    pub wire: (String, String, String),
}

impl Operator {
    /// Compiles a wire operator token against its expected value.
    pub(crate) fn compile(token: &str, expect: &str) -> Result<Operator, String> {
        Ok(match token.trim().to_ascii_lowercase().as_str() {
            "eq" => Operator::Eq,
            "neq" => Operator::Neq,
            "gt" => Operator::Gt,
            "gte" => Operator::Gte,
            "lt" => Operator::Lt,
            "lte" => Operator::Lte,
            "ctn" => Operator::Ctn,
            "nctn" => Operator::Nctn,
            "exist" => Operator::Exist,
            "nexist" => Operator::Nexist,
            "regex" => Operator::Regex(
                Regex::new(expect).map_err(|e| format!("bad checkpoint regex: {e}"))?,
            ),
            other => {
                return Err(format!(
                    "unknown checkpoint operator `{other}` (expected one of eq, neq, gt, gte, lt, \
                     lte, ctn, nctn, exist, nexist, regex)"
                ));
            }
        })
    }

    /// Whether `actual` (absent = the subject does not exist) satisfies the operator.
    pub(crate) fn holds(&self, actual: Option<&[u8]>, expect: &[u8]) -> bool {
        let Some(actual) = actual else {
            return matches!(self, Operator::Nexist | Operator::Neq | Operator::Nctn);
        };
        let numbers = || Some((number(actual)?, number(expect)?));
        match self {
            Operator::Exist => true,
            Operator::Nexist => false,
            // The same text is the same value, number or not (the usual passing check).
            Operator::Eq => actual == expect || numbers().is_some_and(|(a, e)| a == e),
            Operator::Neq => actual != expect && numbers().is_none_or(|(a, e)| a != e),
            Operator::Gt => numbers().is_some_and(|(a, e)| a > e),
            Operator::Gte => numbers().is_some_and(|(a, e)| a >= e),
            Operator::Lt => numbers().is_some_and(|(a, e)| a < e),
            Operator::Lte => numbers().is_some_and(|(a, e)| a <= e),
            Operator::Ctn => contains(actual, expect),
            Operator::Nctn => !contains(actual, expect),
            Operator::Regex(regex) => regex.is_match(actual),
        }
    }
}

impl Subject {
    /// Compiles the wire check type; `slot_of` finds an export's slot by name.
    pub(crate) fn compile(
        kind: &str,
        point: &str,
        slot_of: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Subject, String> {
        Ok(match kind {
            "BODY_TEXT" => Subject::Body,
            "HEADER" => Subject::Header(header_name(point)?),
            "STATUS_CODE" => Subject::Status,
            "EXPORTED_PARAM" => Subject::Exported(
                slot_of(point.trim())
                    .ok_or_else(|| format!("checkpoint on unknown export `{point}`"))?,
            ),
            other => return Err(format!("unknown CheckType `{other}`")),
        })
    }
}

impl Check {
    /// Whether the response passes; with `keep`, also the value that was judged (for
    /// sample logs — copied only then, so the hot path does not allocate).
    pub(crate) fn judge(
        &self,
        reply: &Reply<'_>,
        vars: &Vars,
        keep: bool,
    ) -> (bool, Option<Bytes>) {
        let digits;
        let actual: Option<&[u8]> = match &self.subject {
            Subject::Body => Some(reply.body),
            Subject::Header(name) => reply.header(name),
            Subject::Status => {
                digits = status_digits(reply.status);
                Some(&digits[..])
            }
            Subject::Exported(slot) => vars.get(*slot).map(|b| &b[..]),
        };
        let pass = self.operator.holds(actual, &self.expect);
        (pass, actual.filter(|_| keep).map(Bytes::copy_from_slice))
    }
}

/// A status code as its three digits, without allocating.
fn status_digits(status: u16) -> [u8; 3] {
    let status = status.min(999);
    [
        b'0' + (status / 100) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
    ]
}

fn number(text: &[u8]) -> Option<f64> {
    // Status codes and most expected values are short runs of digits: read those directly
    // (exact below 2^53), since a checkpoint is judged on every answer.
    if !text.is_empty() && text.len() <= 15 && text.iter().all(u8::is_ascii_digit) {
        return Some(
            text.iter()
                .fold(0.0, |sum, digit| sum * 10.0 + f64::from(digit - b'0')),
        );
    }
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(op: &str, actual: Option<&str>, expect: &str) -> bool {
        Operator::compile(op, expect)
            .expect("known")
            .holds(actual.map(str::as_bytes), expect.as_bytes())
    }

    #[test]
    fn numbers_read_fast_equal_numbers_read_in_full() {
        for text in [
            "0",
            "7",
            "200",
            "000123",
            "999999999999999",
            "1e3",
            " 42 ",
            "2.50",
        ] {
            assert_eq!(
                number(text.as_bytes()),
                text.trim().parse::<f64>().ok(),
                "{text}"
            );
        }
        assert_eq!(number(b""), None);
        assert_eq!(number(b"abc"), None);
    }

    #[test]
    fn every_operator() {
        assert!(holds("eq", Some("200"), "200") && holds("EQ", Some("200.0"), "200"));
        assert!(!holds("eq", Some("abc"), "abd") && holds("neq", Some("abc"), "abd"));
        assert!(holds("gt", Some("10"), "9") && !holds("gt", Some("9"), "10"));
        assert!(!holds("gt", Some("b"), "a"), "ordering needs numbers");
        assert!(holds("gte", Some("5"), "5") && holds("lt", Some("4"), "5"));
        assert!(holds("lte", Some("5"), "5") && !holds("lte", Some("6"), "5"));
        assert!(holds("ctn", Some("hello world"), "lo w") && !holds("ctn", Some("x"), "y"));
        assert!(holds("nctn", Some("x"), "y") && holds("nctn", None, "y"));
        assert!(holds("exist", Some(""), "") && !holds("exist", None, ""));
        assert!(holds("nexist", None, "") && !holds("nexist", Some("v"), ""));
        assert!(holds("regex", Some("order-123"), r"^order-\d+$"));
        assert!(!holds("regex", None, "."));
        assert!(Operator::compile("like", "").is_err());
        assert!(Operator::compile("regex", "(").is_err());
        assert_eq!(&status_digits(204), b"204");
    }
}
