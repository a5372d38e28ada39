//! Drawing diagnostics: rustc-style text through miette, or JSON for machines.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde_json::json;

use super::{Diagnostic, Diagnostics, Severity, Sources, Span};

/// Renders diagnostics as text with source snippets and carets.
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    /// A renderer; `color` picks the theme, `width` the wrap width.
    pub fn new(color: bool, width: usize) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Renderer {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(width)
                // Plan text is full of `create-order` and `2026-11-23`: never split at hyphens.
                .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
                .with_links(false),
        }
    }

    /// The text of one diagnostic.
    pub fn render(&self, diagnostic: &Diagnostic, sources: &Sources) -> String {
        let view = View::new(diagnostic, sources);
        let mut out = String::new();
        if self.handler.render_report(&mut out, &view).is_err() {
            // A formatting failure cannot lose the finding: fall back to one line.
            out = format!(
                "{}: {}\n",
                severity_word(diagnostic.severity),
                diagnostic.message
            );
        }
        out
    }

    /// The text of every diagnostic, in source order.
    pub fn render_all(&self, diagnostics: &Diagnostics, sources: &Sources) -> String {
        diagnostics
            .sorted()
            .into_iter()
            .map(|d| self.render(d, sources))
            .collect()
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A diagnostic bound to its source, in the shape miette draws.
struct View {
    severity: miette::Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<View>,
}

impl View {
    fn new(d: &Diagnostic, sources: &Sources) -> View {
        let severity = match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut view = View::placed(
            severity,
            d.code,
            &d.message,
            d.span,
            d.label.clone(),
            sources,
        );
        view.help = d.help.clone();
        for (span, label) in &d.related {
            if d.span.is_some_and(|primary| primary.source == span.source) {
                view.labels.push(labeled(*span, Some(label.clone())));
            } else {
                // A place in another file explains the finding: drawn as advice, not as a
                // second warning.
                view.related.push(View::placed(
                    miette::Severity::Advice,
                    d.code,
                    label,
                    Some(*span),
                    None,
                    sources,
                ));
            }
        }
        view
    }

    fn placed(
        severity: miette::Severity,
        code: &'static str,
        message: &str,
        span: Option<Span>,
        label: Option<String>,
        sources: &Sources,
    ) -> View {
        let source = span.and_then(|s| sources.get(s.source)).map(|src| {
            NamedSource::new(src.path.display().to_string(), src.text.clone()).with_language("yaml")
        });
        View {
            severity,
            code,
            message: message.to_owned(),
            help: None,
            labels: span.map(|s| labeled(s, label)).into_iter().collect(),
            source,
            related: Vec::new(),
        }
    }
}

fn labeled(span: Span, label: Option<String>) -> LabeledSpan {
    LabeledSpan::new_with_span(label, SourceSpan::from(span.start..span.end))
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View {}

impl miette::Diagnostic for View {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// The JSON form of diagnostics (part of `validate --format json`, format version 1).
pub fn json_report(diagnostics: &Diagnostics, sources: &Sources) -> Vec<serde_json::Value> {
    diagnostics
        .sorted()
        .into_iter()
        .map(|d| {
            let place = d.span.and_then(|span| {
                let src = sources.get(span.source)?;
                let (line, column) = src.line_col(span.start);
                let (end_line, end_column) = src.line_col(span.end);
                Some(json!({
                    "file": src.path.display().to_string(),
                    "line": line,
                    "column": column,
                    "end_line": end_line,
                    "end_column": end_column,
                }))
            });
            json!({
                "severity": severity_word(d.severity),
                "code": d.code,
                "message": d.message,
                "path": d.path,
                "location": place,
                "label": d.label,
                "help": d.help,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_related_place_in_another_file_is_advice_not_a_warning() {
        let mut sources = Sources::default();
        let a = sources.add("a.yaml", "scenes:\n  checkout: {}\n");
        let b = sources.add("b.yaml", "scenes:\n  checkout: {}\n");
        let d = Diagnostic::error("plan::duplicate-across-files", "defined twice")
            .at(Span::new(b, 10, 18))
            .with_related(Span::new(a, 10, 18), "first defined here");
        let text = Renderer::new(false, 80).render(&d, &sources);
        assert!(
            text.contains("Advice: plan::duplicate-across-files"),
            "{text}"
        );
        assert!(!text.contains("Warning"), "{text}");
        assert!(text.contains("a.yaml:2:3"), "{text}");
    }
}
