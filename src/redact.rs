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
    /// Secrets that came from `${secret.NAME}`: value → name, so a saved plan can hold the
    /// reference instead of the value.
    names: Vec<(String, String)>,
}

impl Redactor {
    /// Registers a secret value (empty and very short values are ignored: masking every
    /// `1` in a report would hide everything and protect nothing).
    pub fn add(&mut self, value: &str) {
        if value.chars().count() < 4 || self.values.iter().any(|v| v == value) {
            return;
        }
        self.values.push(value.to_owned());
        // Inside a JSON body the secret appears escaped (`"` as `\"`): mask that form too.
        let quoted = serde_json::Value::from(value).to_string();
        let escaped = &quoted[1..quoted.len() - 1];
        if escaped != value && !self.values.iter().any(|v| v == escaped) {
            self.values.push(escaped.to_owned());
        }
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Whether every named secret can be stored as a `${secret.NAME}` reference: a secret
    /// that JSON escapes (quotes, backslashes, control characters) appears in more than one
    /// form and cannot; returns the name of the first such secret.
    pub fn unreferenceable(&self) -> Option<&str> {
        self.names.iter().find_map(|(value, name)| {
            let quoted = serde_json::Value::from(value.as_str()).to_string();
            (quoted[1..quoted.len() - 1] != *value).then_some(name.as_str())
        })
    }

    /// Registers a secret that came from `${secret.NAME}`.
    pub fn add_named(&mut self, name: &str, value: &str) {
        self.add(value);
        if self.values.iter().any(|v| v == value) && !self.names.iter().any(|(v, _)| v == value) {
            self.names.push((value.to_owned(), name.to_owned()));
            self.names.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        }
    }

    /// `text` with every named secret put back as its `${secret.NAME}` reference (and any
    /// other secret masked): what may be stored in a saved plan and resolved again later.
    pub fn to_references(&self, text: &str) -> String {
        self.redact(&self.references_only(text))
    }

    /// `text` with every named secret put back as its `${secret.NAME}` reference and
    /// nothing masked: for data that must be restored exactly (before-images), where a mask
    /// would destroy a value; the caller checks [`leaks`](Redactor::leaks) on the result.
    pub fn references_only(&self, text: &str) -> String {
        self.names
            .iter()
            .fold(text.to_owned(), |acc, (value, name)| {
                acc.replace(value.as_str(), &format!("${{secret.{name}}}"))
            })
    }

    /// Registers every value of another redactor.
    pub fn merge(&mut self, other: &Redactor) {
        for v in &other.values {
            self.add(v);
        }
        for (value, name) in &other.names {
            self.add_named(name, value);
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
        r.add("with \"quotes\"");
        assert!(r.leaks(r#"{"k":"with \"quotes\""}"#));
        assert!(!r.leaks(&r.redact(r#"{"k":"with \"quotes\""}"#)));
    }

    #[test]
    fn named_secrets_turn_back_into_references() {
        let mut r = Redactor::default();
        r.add_named("WX_APP_SECRET", "wx-1234567");
        r.add("unnamed-token");
        let text = r#"{"secret":"wx-1234567","t":"unnamed-token"}"#;
        assert_eq!(
            r.to_references(text),
            r#"{"secret":"${secret.WX_APP_SECRET}","t":"(sensitive)"}"#
        );
    }
}
