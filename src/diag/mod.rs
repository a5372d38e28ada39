//! Sources, spans and diagnostics shared by every stage.
//!
//! Diagnostics hold no source text: a [`Span`] names a source by id and a byte range, and the
//! [`Sources`] table is attached once, when diagnostics are rendered (text via miette, or
//! JSON with line and column). Validation collects every problem into a [`Diagnostics`] list
//! rather than stopping at the first, so a user fixes a file in one pass.

mod render;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use render::{Renderer, json_report};

/// Index of a source in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub u32);

/// A byte range in one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub source: SourceId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (bytes) in `source`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Self {
        Span {
            source,
            start,
            end: end.max(start),
        }
    }
}

/// A file as read, with its display name (the path the user gave).
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl Source {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset);
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every source read during one command.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    sources: Vec<Source>,
}

impl Sources {
    /// Adds a source and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> SourceId {
        let id = SourceId(u32::try_from(self.sources.len()).unwrap_or(u32::MAX));
        self.sources.push(Source {
            path: path.into(),
            text: text.into(),
        });
        id
    }

    /// The source with this id.
    pub fn get(&self, id: SourceId) -> Option<&Source> {
        self.sources.get(id.0 as usize)
    }

    /// The path of a source ("<unknown>" for an id from elsewhere).
    pub fn path(&self, id: SourceId) -> &Path {
        self.get(id)
            .map_or(Path::new("<unknown>"), |s| s.path.as_path())
    }

    /// All sources, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter()
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding: what is wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `plan::unknown-key`.
    pub code: &'static str,
    /// What is wrong, naming the field.
    pub message: String,
    /// Where (absent for problems with no place, such as an unreadable directory).
    pub span: Option<Span>,
    /// Short text under the caret.
    pub label: Option<String>,
    /// The field path in the plan, e.g. `scenes.checkout.chains[0].steps[1].url`.
    pub path: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places that explain this one (e.g. the first definition of a duplicate).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// An error with a message and no place yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            label: None,
            path: None,
            help: None,
            related: Vec::new(),
        }
    }

    /// A warning with a message and no place yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Places the diagnostic.
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Places the diagnostic if a span is known.
    pub fn at_opt(mut self, span: Option<Span>) -> Self {
        self.span = span.or(self.span);
        self
    }

    /// Sets the caret label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the field path.
    pub fn with_path(mut self, path: impl fmt::Display) -> Self {
        self.path = Some(path.to_string());
        self
    }

    /// Sets the fix suggestion.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        let help = help.into();
        if !help.is_empty() {
            self.help = Some(help);
        }
        self
    }

    /// Adds a related place.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// An ordered, de-duplicated collection of diagnostics.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a diagnostic (an identical one already recorded is dropped: a value inherited
    /// from `defaults` by several scenes is reported once).
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if !self.items.contains(&diagnostic) {
            self.items.push(diagnostic);
        }
    }

    /// Records several.
    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        for d in diagnostics {
            self.push(d);
        }
    }

    /// Whether any error (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Diagnostics in source order (file, then position), unplaced ones last.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by_key(|d| (d.span.is_none(), d.span, d.severity));
        items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Suggests the candidate closest to `word`, if one is close enough to be a likely typo, or
/// else the only candidate that has `word` as one of its `_`/`-` separated parts (`json` →
/// `body_json`).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let closest = candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&word, &c.to_lowercase()), *c))
        .filter(|(score, _)| *score >= 0.82)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c);
    if closest.is_some() || word.is_empty() {
        return closest;
    }
    let mut containing = candidates
        .iter()
        .filter(|c| c.to_lowercase().split(['_', '-']).any(|part| part == word));
    match (containing.next(), containing.next()) {
        (Some(only), None) => Some(*only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let mut sources = Sources::default();
        let id = sources.add("a.yaml", "name: 下单场景\nurl: x\n");
        let src = sources.get(id).unwrap();
        let offset = src.text.find("url").unwrap();
        assert_eq!(src.line_col(offset), (2, 1));
        let offset = src.text.find('场').unwrap();
        assert_eq!(src.line_col(offset), (1, 9));
    }

    #[test]
    fn suggestions_catch_typos_but_not_unrelated_words() {
        let keys = ["timeout", "redirects", "headers"];
        assert_eq!(did_you_mean("timout", keys), Some("timeout"));
        assert_eq!(did_you_mean("header", keys), Some("headers"));
        assert_eq!(did_you_mean("zebra", keys), None);
    }

    #[test]
    fn a_word_that_is_part_of_one_candidate_suggests_it() {
        let sources = ["body_json", "body_text", "header", "cookie", "status_code"];
        assert_eq!(did_you_mean("json", sources), Some("body_json"));
        assert_eq!(did_you_mean("status", sources), Some("status_code"));
        // `id` is part of two: no guess.
        assert_eq!(did_you_mean("id", ["page_id", "user_id"]), None);
    }

    #[test]
    fn identical_diagnostics_are_recorded_once() {
        let mut all = Diagnostics::default();
        let d = Diagnostic::error("x", "same");
        all.push(d.clone());
        all.push(d);
        assert_eq!(all.error_count(), 1);
    }
}
