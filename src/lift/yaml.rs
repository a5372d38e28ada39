//! A small YAML writer for plans made by import and reproduce: block style with keys in
//! model order (docs/plan-files.md order), short all-scalar maps and lists on one line as
//! plans are written by hand, and comments placed at a path.
//!
//! Hand-written rather than a serializer because comments are the point: where a value
//! came from, what the plan cannot say, which secrets to set. Output is plain YAML 1.2:
//! strings that could read as anything else (numbers, booleans, `${…}`, `:`…) are
//! double-quoted with JSON escapes, which YAML reads identically.

use std::collections::HashMap;

use serde_json::Value;

/// Widest line a one-line (flow) map or list may make.
const FLOW_WIDTH: usize = 96;

/// A document being written: header comment lines and end-of-line comments by path.
#[derive(Debug, Default)]
pub struct Document {
    /// Lines written as `# …` at the top.
    pub header: Vec<String>,
    /// Comments by the path of the key or list item they follow (list items by index).
    pub comments: HashMap<Vec<String>, Vec<String>>,
}

impl Document {
    /// Adds a comment at `path` (several at one path join with `; `).
    pub fn comment(&mut self, path: Vec<String>, text: impl Into<String>) {
        self.comments.entry(path).or_default().push(text.into());
    }

    /// `value` (a mapping) as YAML text.
    pub fn write(&self, value: &Value) -> String {
        let mut out = String::new();
        for line in &self.header {
            if line.is_empty() {
                out.push_str("#\n");
            } else {
                out.push_str(&format!("# {line}\n"));
            }
        }
        let mut lines = Vec::new();
        let mut path = Vec::new();
        if let Value::Object(map) = value {
            for (key, v) in map {
                path.push(key.clone());
                self.entry(&key_text(key), v, &mut path, 0, &mut lines);
                path.pop();
            }
        }
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
        // Comments on keys the document does not hold (a note about a list left empty)
        // close the file, naming the key.
        let mut missing: Vec<(&Vec<String>, &Vec<String>)> = self
            .comments
            .iter()
            .filter(|(p, _)| !holds(value, p))
            .collect();
        missing.sort();
        for (path, texts) in missing {
            for text in texts {
                out.push_str(&format!("# {}: {text}\n", path.join(".")));
            }
        }
        out
    }

    fn suffix(&self, path: &[String]) -> String {
        match self.comments.get(path) {
            Some(texts) => format!("  # {}", texts.join("; ").replace('\n', " ")),
            None => String::new(),
        }
    }

    /// Whether a comment sits at `path` or below it (which forces block style).
    fn commented_below(&self, path: &[String]) -> bool {
        self.comments
            .keys()
            .any(|p| p.len() > path.len() && p.starts_with(path))
    }

    /// `key: value` at `indent`.
    fn entry(
        &self,
        key: &str,
        value: &Value,
        path: &mut Vec<String>,
        indent: usize,
        out: &mut Vec<String>,
    ) {
        let pad = " ".repeat(indent);
        let prefix = format!("{pad}{key}:");
        match self.inline(value, path, prefix.len() + 1) {
            Some(text) => out.push(format!("{prefix} {text}{}", self.suffix(path))),
            None => {
                out.push(format!("{prefix}{}", self.suffix(path)));
                self.block(value, path, indent + 2, out);
            }
        }
    }

    /// The value on one line, if it is a scalar or a short all-scalar collection with no
    /// comment inside.
    fn inline(&self, value: &Value, path: &[String], used: usize) -> Option<String> {
        let text = match value {
            Value::Object(map) if map.is_empty() => "{}".to_owned(),
            Value::Array(items) if items.is_empty() => "[]".to_owned(),
            Value::Object(map) => {
                if self.commented_below(path) || map.values().any(is_collection) {
                    return None;
                }
                let parts: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{}: {}", key_text(k), scalar(v)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            Value::Array(items) => {
                if self.commented_below(path) || items.iter().any(is_collection) {
                    return None;
                }
                let parts: Vec<String> = items.iter().map(scalar).collect();
                format!("[{}]", parts.join(", "))
            }
            other => return Some(scalar(other)),
        };
        (used + text.chars().count() <= FLOW_WIDTH).then_some(text)
    }

    /// A mapping or list in block style at `indent`.
    fn block(&self, value: &Value, path: &mut Vec<String>, indent: usize, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    path.push(key.clone());
                    self.entry(&key_text(key), v, path, indent, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                let pad = " ".repeat(indent);
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    match self.inline(item, path, indent + 2) {
                        Some(text) => out.push(format!("{pad}- {text}{}", self.suffix(path))),
                        None => {
                            // The item's first line goes after the dash.
                            let mut lines = Vec::new();
                            self.block(item, path, indent + 2, &mut lines);
                            for (n, line) in lines.into_iter().enumerate() {
                                if n == 0 {
                                    out.push(format!("{pad}- {}", &line[indent + 2..]));
                                } else {
                                    out.push(line);
                                }
                            }
                        }
                    }
                    path.pop();
                }
            }
            other => out.push(format!("{}{}", " ".repeat(indent), scalar(other))),
        }
    }
}

/// Whether `value` has something at `path` (list items by index).
fn holds(value: &Value, path: &[String]) -> bool {
    let mut at = value;
    for key in path {
        at = match at {
            Value::Object(map) => match map.get(key) {
                Some(v) => v,
                None => return false,
            },
            Value::Array(items) => match key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    true
}

fn is_collection(value: &Value) -> bool {
    matches!(value, Value::Object(m) if !m.is_empty())
        || matches!(value, Value::Array(a) if !a.is_empty())
}

fn key_text(key: &str) -> String {
    if plain(key) {
        key.to_owned()
    } else {
        Value::from(key).to_string()
    }
}

/// A scalar as YAML: numbers and booleans as they are, text plain when it cannot read as
/// anything else, otherwise double-quoted.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) if plain(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Object(m) if m.is_empty() => "{}".to_owned(),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        other => other.to_string(),
    }
}

/// Whether text can be written unquoted (in block and flow context alike) and reads back
/// as the same text.
fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let safe = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' ' | '+');
    // YAML 1.2 core schema words (plan files are read as YAML 1.2: `on`, `yes` are text).
    let special = ["true", "false", "null", "~"];
    (first.is_alphanumeric() || first == '_' || first == '/')
        && s.chars().all(safe)
        && !s.ends_with(' ')
        && !s.contains("  ")
        && !special.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err()
        && !(s.starts_with("0x") || s.starts_with("0o"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_block_and_flow_styles_with_comments_and_reads_back() {
        let value = json!({
            "version": 1,
            "scenes": {"order": {
                "type": "single-api",
                "chains": [{"name": "buyer", "steps": [{
                    "name": "create", "url": "${var.b}/orders",
                    "headers": {"Authorization": "${secret.A}"},
                    "checks": [{"on": "status_code", "op": "eq", "value": 201}],
                    "body": {"raw": "line1\nline2 \"q\"", "content_type": "text/csv"}}]}],
                "globals": {"n": "10", "t": "true", "s": "plain text", "e": ""},
                "load": {"mode": "concurrency", "start": 1, "max": 2, "duration": "1m"},
            }}
        });
        let mut doc = Document {
            header: vec!["made by a test".into(), String::new()],
            ..Document::default()
        };
        doc.comment(
            ["scenes", "order", "load", "duration"]
                .map(String::from)
                .to_vec(),
            "exact",
        );
        let text = doc.write(&value);
        insta::assert_snapshot!(text);
        let back: Value = serde_saphyr::from_str(&text).expect("reads back");
        assert_eq!(back, value);
    }

    #[test]
    fn ambiguous_text_is_quoted() {
        for s in [
            "10", "1.5", "true", "Null", "", "a: b", "${x}", "#c", "-x", " x", "[1]", "0x1", "inf",
        ] {
            assert!(!plain(s), "{s}");
        }
        for s in ["5s", "buyer", "token-1", "data/users.csv", "场景", "GET"] {
            assert!(plain(s), "{s}");
        }
    }
}
