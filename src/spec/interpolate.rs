//! `${…}` references inside plan strings.
//!
//! Three namespaces are resolved by ptsplan before anything reaches PTS: `${var.NAME}`
//! (plan variables), `${env.NAME}` (environment) and `${secret.NAME}` (environment, marked
//! for redaction). A bare `${name}` is a PTS parameter — a global, a CSV column, a token, or
//! an export of an earlier step — and is passed through for PTS to fill at run time, as are
//! PTS/JMeter functions such as `${__Random(1,100)}`.

use std::fmt;

/// One `${…}` reference and where it sits in its string (byte range of the whole `${…}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    pub kind: RefKind<'a>,
    pub start: usize,
    pub end: usize,
}

/// What a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind<'a> {
    Var(&'a str),
    Env(&'a str),
    Secret(&'a str),
    /// A PTS parameter filled at run time.
    Param(&'a str),
    /// A PTS/JMeter function call (`${__Name(…)}`), never checked.
    Function(&'a str),
}

impl fmt::Display for RefKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefKind::Var(n) => write!(f, "${{var.{n}}}"),
            RefKind::Env(n) => write!(f, "${{env.{n}}}"),
            RefKind::Secret(n) => write!(f, "${{secret.{n}}}"),
            RefKind::Param(n) => write!(f, "${{{n}}}"),
            RefKind::Function(n) => write!(f, "${{{n}}}"),
        }
    }
}

/// A malformed reference: unterminated, empty, or with an unknown namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

/// Every reference in `text`, or the malformed ones. `$${` escapes a literal `${`.
pub fn references(text: &str) -> (Vec<Reference<'_>>, Vec<RefError>) {
    let mut refs = Vec::new();
    let mut errors = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find("${") {
        let start = pos + found;
        if start > 0 && text.as_bytes()[start - 1] == b'$' {
            pos = start + 2;
            continue;
        }
        let Some(close) = text[start + 2..].find('}') else {
            errors.push(RefError {
                message: "`${` is never closed with `}`".to_owned(),
                start,
                end: text.len(),
            });
            break;
        };
        let end = start + 2 + close + 1;
        let inner = &text[start + 2..end - 1];
        match classify(inner) {
            Ok(kind) => refs.push(Reference { kind, start, end }),
            Err(message) => errors.push(RefError {
                message,
                start,
                end,
            }),
        }
        pos = end;
    }
    (refs, errors)
}

fn classify(inner: &str) -> Result<RefKind<'_>, String> {
    if inner.starts_with("__") {
        return Ok(RefKind::Function(inner));
    }
    let (namespace, name) = match inner.split_once('.') {
        Some((ns, name)) if matches!(ns, "var" | "env" | "secret") => (Some(ns), name),
        _ => (None, inner),
    };
    if name.is_empty() {
        return Err(format!("`${{{inner}}}` names nothing"));
    }
    let valid = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    match namespace {
        Some("var") | Some("secret") | Some("env") if !name.chars().all(valid) => Err(format!(
            "`${{{inner}}}`: a name holds letters, digits, `_` and `-` only"
        )),
        Some("var") => Ok(RefKind::Var(name)),
        Some("env") => Ok(RefKind::Env(name)),
        Some("secret") => Ok(RefKind::Secret(name)),
        _ if name.chars().all(|c| valid(c) || c == '.') => Ok(RefKind::Param(name)),
        _ => Err(format!(
            "`${{{inner}}}` is not a reference; expected `${{var.NAME}}`, `${{env.NAME}}`, `${{secret.NAME}}` or a parameter `${{NAME}}`"
        )),
    }
}

/// Replaces every reference with what `value` returns for it (the original text when it
/// returns `None`).
pub fn substitute(text: &str, mut value: impl FnMut(&RefKind<'_>) -> Option<String>) -> String {
    let (refs, _) = references(text);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for r in refs {
        out.push_str(&text[pos..r.start]);
        match value(&r.kind) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&text[r.start..r.end]),
        }
        pos = r.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<RefKind<'_>> {
        references(text).0.into_iter().map(|r| r.kind).collect()
    }

    #[test]
    fn namespaces_and_bare_parameters_are_told_apart() {
        assert_eq!(
            kinds("${var.base}/orders/${order_id}?t=${env.T}&k=${secret.K}&r=${__Random(1,9)}"),
            vec![
                RefKind::Var("base"),
                RefKind::Param("order_id"),
                RefKind::Env("T"),
                RefKind::Secret("K"),
                RefKind::Function("__Random(1,9)"),
            ]
        );
    }

    #[test]
    fn malformed_references_are_errors_with_their_place() {
        let (_, errors) = references("a ${var.} b ${x y} c ${open");
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0].start, 2);
    }

    #[test]
    fn dollar_dollar_escapes() {
        assert!(kinds("$${literal}").is_empty());
    }

    #[test]
    fn substitution_keeps_unresolved_references() {
        let out = substitute("${var.a}-${b}", |k| match k {
            RefKind::Var(_) => Some("A".into()),
            _ => None,
        });
        assert_eq!(out, "A-${b}");
    }
}
