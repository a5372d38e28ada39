//! Redaction of secret values in anything ptsplan prints or writes.
//!
//! Lowering resolves `${secret.*}` into the scenes sent to PTS; every value resolved that way
//! (and every access key secret or token) is registered here, and every renderer, log line,
//! journal and evidence file passes its text through [`Redactor::redact`].

use std::fmt;

/// What a secret is replaced with.
pub const MASK: &str = "(sensitive)";

/// Known secret values.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is masked whole.
    values: Vec<String>,
}

impl Redactor {
    /// Registers a secret value (empty and very short values are ignored: masking every
    /// `1` in a report would hide everything and protect nothing).
    pub fn add(&mut self, value: &str) {
        if value.chars().count() < 4 || self.values.iter().any(|v| v == value) {
            return;
        }
        self.values.push(value.to_owned());
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Registers every value of another redactor.
    pub fn merge(&mut self, other: &Redactor) {
        for v in &other.values {
            self.add(v);
        }
    }

    /// `text` with every registered secret replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        self.values.iter().fold(text.to_owned(), |acc, secret| {
            acc.replace(secret.as_str(), MASK)
        })
    }

    /// Whether `text` holds a registered secret.
    pub fn leaks(&self, text: &str) -> bool {
        self.values
            .iter()
            .any(|secret| text.contains(secret.as_str()))
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_longest_first_and_debug_shows_none() {
        let mut r = Redactor::default();
        r.add("s3cret");
        r.add("s3cret-and-more");
        r.add("1");
        let text = "a=s3cret-and-more b=s3cret c=1";
        assert_eq!(r.redact(text), "a=(sensitive) b=(sensitive) c=1");
        assert!(r.leaks(text));
        assert!(!r.leaks(&r.redact(text)));
        assert_eq!(format!("{r:?}"), "Redactor(2 secrets)");
    }
}
