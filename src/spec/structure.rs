//! Structural check: the YAML tree against the plan JSON Schema, reporting every problem.
//!
//! serde stops at the first unknown key or wrong type; users want them all, each with its
//! place and a fix. So before typed decoding the tree is walked against the schema generated
//! from the model (the subset of JSON Schema schemars emits: `$ref`, `type`, `properties`,
//! `required`, `additionalProperties`, `items`, `anyOf`/`oneOf`, `const`, `pattern`,
//! `format`, length and range bounds). A tree that passes decodes without error.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;
use serde_json::Value as Json;

use super::units::{DURATION_PATTERN, Duration, Timestamp};
use super::yaml::{Node, Path, Value};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};

/// Walks trees against one root schema.
pub struct Checker<'s> {
    root: &'s Json,
    patterns: RefCell<HashMap<String, Option<Regex>>>,
}

impl<'s> Checker<'s> {
    /// A checker for `root` (a schema with `$defs`).
    pub fn new(root: &'s Json) -> Self {
        Checker {
            root,
            patterns: RefCell::new(HashMap::new()),
        }
    }

    /// Checks `node` (the whole plan) and records every problem.
    pub fn check_root(&self, node: &Node, diags: &mut Diagnostics) {
        self.check(self.root, node, &Path::root(), diags);
    }

    /// Checks `node` at `path` against the definition named `def` (e.g. `Scene`).
    pub fn check_def(&self, def: &str, node: &Node, path: &Path, diags: &mut Diagnostics) {
        if let Some(schema) = self.root.get("$defs").and_then(|d| d.get(def)) {
            self.check(schema, node, path, diags);
        }
    }

    fn resolve(&self, schema: &'s Json) -> &'s Json {
        let mut schema = schema;
        // A reference chain longer than a few links would be a generator bug; stop anyway.
        for _ in 0..8 {
            let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
                break;
            };
            let Some(name) = reference.strip_prefix("#/$defs/") else {
                break;
            };
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    fn check(&self, schema: &'s Json, node: &Node, path: &Path, diags: &mut Diagnostics) {
        let schema = self.resolve(schema);
        if let Some(alternatives) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Json::as_array)
        {
            self.check_alternatives(schema, alternatives, node, path, diags);
            return;
        }
        if !self.check_type(schema, node, path, diags) {
            return;
        }
        if let Some(expected) = schema.get("const") {
            self.check_enum(schema, std::slice::from_ref(expected), node, path, diags);
        }
        if let Some(values) = schema.get("enum").and_then(Json::as_array) {
            self.check_enum(schema, values, node, path, diags);
        }
        match &node.value {
            Value::Str(text) => self.check_string(schema, text, node, path, diags),
            Value::Int(_) | Value::Float(_) => self.check_number(schema, node, path, diags),
            Value::Seq(items) => self.check_array(schema, items, node, path, diags),
            Value::Map(_) => self.check_object(schema, node, path, diags),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn check_alternatives(
        &self,
        schema: &'s Json,
        alternatives: &'s [Json],
        node: &Node,
        path: &Path,
        diags: &mut Diagnostics,
    ) {
        let resolved: Vec<&'s Json> = alternatives.iter().map(|a| self.resolve(a)).collect();
        // A closed list of words (a Rust enum with documented variants).
        let words: Option<Vec<Json>> = resolved.iter().map(|a| a.get("const").cloned()).collect();
        if let Some(words) = words {
            if matches!(node.value, Value::Str(_)) || words.iter().any(|w| !w.is_string()) {
                self.check_enum(schema, &words, node, path, diags);
            } else {
                diags.push(
                    type_error(path, node, "one of the words listed below")
                        .with_help(format!("expected one of {}", list_words(&words))),
                );
            }
            return;
        }
        // An internally tagged enum: dispatch on the tag.
        if let Some(tag) = discriminator(&resolved) {
            self.check_tagged(&resolved, &tag, node, path, diags);
            return;
        }
        let fitting: Vec<&'s Json> = resolved
            .iter()
            .copied()
            .filter(|a| admits(a, node))
            .collect();
        let non_null: Vec<&'s Json> = resolved
            .iter()
            .copied()
            .filter(|a| type_names(a) != ["null"])
            .collect();
        match fitting.as_slice() {
            [] if non_null.len() == 1 => self.check(non_null[0], node, path, diags),
            [] => {
                let expected: Vec<&str> = resolved.iter().flat_map(|a| expected_kinds(a)).collect();
                diags.push(type_error(path, node, &join_or(&expected)).with_help(describe(schema)));
            }
            [only] => self.check(only, node, path, diags),
            several => {
                let mut best: Option<Diagnostics> = None;
                for alternative in several {
                    let mut trial = Diagnostics::default();
                    self.check(alternative, node, path, &mut trial);
                    if !trial.has_errors() {
                        return;
                    }
                    if best
                        .as_ref()
                        .is_none_or(|b| trial.error_count() < b.error_count())
                    {
                        best = Some(trial);
                    }
                }
                diags.extend(best.unwrap_or_default());
            }
        }
    }

    fn check_tagged(
        &self,
        alternatives: &[&'s Json],
        tag: &str,
        node: &Node,
        path: &Path,
        diags: &mut Diagnostics,
    ) {
        let tags: Vec<&str> = alternatives
            .iter()
            .filter_map(|a| a.pointer(&format!("/properties/{tag}/const"))?.as_str())
            .collect();
        if !matches!(node.value, Value::Map(_)) {
            diags.push(type_error(path, node, "a mapping"));
            return;
        }
        let Some(entry) = node.entry(tag) else {
            diags.push(
                Diagnostic::error(
                    "plan::missing-key",
                    format!("{path}: missing required key `{tag}`"),
                )
                .at(node.head_span())
                .with_label(format!("needs `{tag}`"))
                .with_path(path)
                .with_help(format!(
                    "add `{tag}: {}` (one of: {})",
                    tags[0],
                    tags.join(", ")
                )),
            );
            return;
        };
        let chosen = entry.value.as_str().and_then(|value| {
            alternatives.iter().find(|a| {
                a.pointer(&format!("/properties/{tag}/const"))
                    .and_then(Json::as_str)
                    == Some(value)
            })
        });
        match chosen {
            Some(alternative) => self.check(alternative, node, path, diags),
            None => {
                let found = entry.value.as_str().unwrap_or("");
                let mut d = Diagnostic::error(
                    "plan::invalid-value",
                    format!("{}: unknown {tag} `{found}`", path.key(tag)),
                )
                .at(entry.value.span)
                .with_label(format!("expected one of: {}", tags.join(", ")))
                .with_path(path.key(tag));
                if let Some(guess) = did_you_mean(found, tags.iter().copied()) {
                    d = d.with_help(format!("did you mean `{guess}`?"));
                }
                diags.push(d);
            }
        }
    }

    /// Checks the JSON type; returns whether deeper checks make sense.
    fn check_type(&self, schema: &Json, node: &Node, path: &Path, diags: &mut Diagnostics) -> bool {
        if schema.get("type").is_none() || admits(schema, node) {
            if let Value::Float(f) = node.value {
                if !f.is_finite() {
                    diags.push(
                        Diagnostic::error(
                            "plan::invalid-value",
                            format!("{path}: not a finite number"),
                        )
                        .at(node.span)
                        .with_path(path),
                    );
                    return false;
                }
            }
            return true;
        }
        let expected = join_or(&expected_kinds(schema));
        let mut d = type_error(path, node, &expected);
        let whole = match node.value {
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(f as i64),
            _ => None,
        };
        if let (Some(n), true) = (whole, type_names(schema).contains(&"integer")) {
            d = d.with_help(format!(
                "write it without a decimal point or exponent: `{n}`"
            ));
        } else if is_duration(schema) {
            if let Value::Int(n) = node.value {
                d = d.with_help(format!(
                    "durations need a unit: write `{n}s`, `{n}m` or `{n}h`"
                ));
            } else {
                d = d.with_help("write a duration with a unit, like `90s`, `30m` or `1h30m`");
            }
        } else if let Some(help) = describe_opt(schema) {
            d = d.with_help(help);
        }
        diags.push(d);
        false
    }

    fn check_enum(
        &self,
        schema: &Json,
        values: &[Json],
        node: &Node,
        path: &Path,
        diags: &mut Diagnostics,
    ) {
        let found = node.to_json();
        if values.contains(&found) {
            return;
        }
        let shown = match &node.value {
            Value::Str(s) => s.clone(),
            _ => found.to_string(),
        };
        let mut d = Diagnostic::error(
            "plan::invalid-value",
            format!("{path}: `{shown}` is not allowed here"),
        )
        .at(node.span)
        .with_label(format!("expected one of: {}", list_words(values)))
        .with_path(path);
        let words: Vec<&str> = values.iter().filter_map(Json::as_str).collect();
        if let Some(guess) = did_you_mean(&shown, words.iter().copied()) {
            d = d.with_help(format!("did you mean `{guess}`?"));
        } else if let Some(help) = describe_opt(schema) {
            d = d.with_help(help);
        }
        diags.push(d);
    }

    fn check_string(
        &self,
        schema: &Json,
        text: &str,
        node: &Node,
        path: &Path,
        diags: &mut Diagnostics,
    ) {
        let chars = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Json::as_u64) {
            if chars < min {
                diags.push(
                    Diagnostic::error("plan::invalid-value", format!("{path}: must not be empty"))
                        .at(node.span)
                        .with_path(path)
                        .with_help(describe(schema)),
                );
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Json::as_u64) {
            if chars > max {
                diags.push(
                    Diagnostic::error(
                        "plan::too-long",
                        format!("{path}: {chars} characters, at most {max} allowed"),
                    )
                    .at(node.span)
                    .with_path(path),
                );
            }
        }
        if is_duration(schema) {
            if let Err(message) = Duration::parse(text) {
                diags.push(
                    Diagnostic::error("plan::invalid-duration", format!("{path}: {message}"))
                        .at(node.span)
                        .with_label("not a duration")
                        .with_path(path),
                );
            }
            return;
        }
        if schema.get("format").and_then(Json::as_str) == Some("date-time") {
            if let Err(message) = Timestamp::parse(text) {
                diags.push(
                    Diagnostic::error("plan::invalid-timestamp", format!("{path}: {message}"))
                        .at(node.span)
                        .with_label("not a timestamp")
                        .with_path(path),
                );
            }
        }
        if let Some(pattern) = schema.get("pattern").and_then(Json::as_str) {
            if !self.matches(pattern, text) {
                diags.push(
                    Diagnostic::error(
                        "plan::invalid-value",
                        format!("{path}: `{text}` does not have the expected form"),
                    )
                    .at(node.span)
                    .with_label(format!("must match {pattern}"))
                    .with_path(path)
                    .with_help(describe(schema)),
                );
            }
        }
    }

    fn matches(&self, pattern: &str, text: &str) -> bool {
        let mut cache = self.patterns.borrow_mut();
        let regex = cache
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok());
        regex.as_ref().is_none_or(|r| r.is_match(text))
    }

    fn check_number(&self, schema: &Json, node: &Node, path: &Path, diags: &mut Diagnostics) {
        let value = match node.value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => return,
        };
        let mut max = schema.get("maximum").and_then(Json::as_f64);
        if schema.get("format").and_then(Json::as_str) == Some("uint32") {
            max = Some(max.map_or(u32::MAX as f64, |m| m.min(u32::MAX as f64)));
        }
        if let Some(min) = schema.get("minimum").and_then(Json::as_f64) {
            if value < min {
                diags.push(
                    Diagnostic::error(
                        "plan::out-of-range",
                        format!("{path}: {value} is below the minimum {min}"),
                    )
                    .at(node.span)
                    .with_label(format!("must be at least {min}"))
                    .with_path(path),
                );
            }
        }
        if let Some(max) = max {
            if value > max {
                diags.push(
                    Diagnostic::error(
                        "plan::out-of-range",
                        format!("{path}: {value} is above the maximum {max}"),
                    )
                    .at(node.span)
                    .with_label(format!("must be at most {max}"))
                    .with_path(path),
                );
            }
        }
    }

    fn check_array(
        &self,
        schema: &'s Json,
        items: &[Node],
        node: &Node,
        path: &Path,
        diags: &mut Diagnostics,
    ) {
        if let Some(min) = schema.get("minItems").and_then(Json::as_u64) {
            if (items.len() as u64) < min {
                diags.push(
                    Diagnostic::error(
                        "plan::too-few",
                        format!("{path}: needs at least {min} item{}", plural(min)),
                    )
                    .at(node.span)
                    .with_path(path)
                    .with_help(describe(schema)),
                );
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &path.index(i), diags);
            }
        }
    }

    fn check_object(&self, schema: &'s Json, node: &Node, path: &Path, diags: &mut Diagnostics) {
        let entries = node.entries().unwrap_or_default();
        let properties = schema.get("properties").and_then(Json::as_object);
        let additional = schema.get("additionalProperties");
        if let Some(min) = schema.get("minProperties").and_then(Json::as_u64) {
            if (entries.len() as u64) < min {
                diags.push(
                    Diagnostic::error(
                        "plan::too-few",
                        format!(
                            "{path}: needs at least {min} entr{}",
                            if min == 1 { "y" } else { "ies" }
                        ),
                    )
                    .at(node.span)
                    .with_path(path)
                    .with_help(describe(schema)),
                );
            }
        }
        for entry in entries {
            let child = path.key(&entry.key);
            if let Some(property) = properties.and_then(|p| p.get(&entry.key)) {
                self.check(property, &entry.value, &child, diags);
                continue;
            }
            match additional {
                Some(Json::Bool(false)) => {
                    let known: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let help = match did_you_mean(&entry.key, known.iter().copied()) {
                        Some(guess) => format!("did you mean `{guess}`?"),
                        None => format!("expected one of: {}", known.join(", ")),
                    };
                    let where_ = if path.0.is_empty() {
                        "at the top level".to_owned()
                    } else {
                        format!("in {path}")
                    };
                    diags.push(
                        Diagnostic::error(
                            "plan::unknown-key",
                            format!("unknown key `{}` {where_}", entry.key),
                        )
                        .at(entry.key_span)
                        .with_label("unknown key")
                        .with_path(&child)
                        .with_help(help),
                    );
                }
                Some(value_schema @ Json::Object(_)) => {
                    self.check(value_schema, &entry.value, &child, diags)
                }
                _ => {}
            }
        }
        for required in schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            if node.entry(required).is_some() {
                continue;
            }
            let what = properties
                .and_then(|p| p.get(required))
                .and_then(describe_opt)
                .map(|d| format!("`{required}`: {d}"));
            let mut d = Diagnostic::error(
                "plan::missing-key",
                if path.0.is_empty() {
                    format!("missing required key `{required}` at the top level")
                } else {
                    format!("{path}: missing required key `{required}`")
                },
            )
            .at(node.head_span())
            .with_label(format!("needs `{required}`"))
            .with_path(path.key(required));
            if let Some(what) = what {
                d = d.with_help(what);
            }
            diags.push(d);
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn type_error(path: &Path, node: &Node, expected: &str) -> Diagnostic {
    let message = if path.0.is_empty() {
        format!("a plan file must be {expected}, found {}", node.kind_name())
    } else {
        format!("{path}: expected {expected}, found {}", node.kind_name())
    };
    Diagnostic::error("plan::wrong-type", message)
        .at(node.span)
        .with_label(format!("expected {expected}"))
        .with_path(path)
}

/// The property every alternative fixes with a `const`, if there is one (a serde tag).
fn discriminator(alternatives: &[&Json]) -> Option<String> {
    let first = alternatives.first()?.get("properties")?.as_object()?;
    first
        .iter()
        .filter(|(_, p)| p.get("const").is_some())
        .map(|(name, _)| name.clone())
        .find(|name| {
            alternatives
                .iter()
                .all(|a| a.pointer(&format!("/properties/{name}/const")).is_some())
        })
}

fn type_names(schema: &Json) -> Vec<&str> {
    match schema.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

fn admits(schema: &Json, node: &Node) -> bool {
    let names = type_names(schema);
    if names.is_empty() {
        return true;
    }
    names.iter().any(|t| match (*t, &node.value) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("integer", Value::Int(_))
        | ("number", Value::Int(_) | Value::Float(_))
        | ("string", Value::Str(_))
        | ("array", Value::Seq(_))
        | ("object", Value::Map(_)) => true,
        // `20.0` is not accepted as a whole number: the typed model would not decode it.
        _ => false,
    })
}

fn expected_kinds(schema: &Json) -> Vec<&'static str> {
    if is_duration(schema) {
        return vec!["a duration like `90s`"];
    }
    type_names(schema)
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "boolean" => "true or false",
            "integer" => "a whole number",
            "number" => "a number",
            "string" => "text",
            "array" => "a list",
            "object" => "a mapping",
            _ => "a value",
        })
        .collect()
}

fn join_or(words: &[&str]) -> String {
    let mut words: Vec<&str> = words.to_vec();
    words.dedup();
    match words.as_slice() {
        [] => "a value".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn list_words(values: &[Json]) -> String {
    values
        .iter()
        .map(|v| match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_duration(schema: &Json) -> bool {
    schema.get("pattern").and_then(Json::as_str) == Some(DURATION_PATTERN)
}

fn describe_opt(schema: &Json) -> Option<String> {
    let text = schema.get("description")?.as_str()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn describe(schema: &Json) -> String {
    describe_opt(schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceId;
    use crate::spec::schema::plan_schema;
    use crate::spec::yaml;

    fn check(text: &str) -> Vec<crate::diag::Diagnostic> {
        let mut diags = Diagnostics::default();
        let tree = yaml::parse(SourceId(0), text, &mut diags).expect("a tree");
        let schema = plan_schema();
        Checker::new(&schema).check_root(&tree, &mut diags);
        diags.into_iter().collect()
    }

    #[test]
    fn a_float_is_not_accepted_where_a_whole_number_is_decoded() {
        let all = check("version: 1.0\nworkspace: w\n");
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].code, "plan::wrong-type");
        assert_eq!(
            all[0].help.as_deref(),
            Some("write it without a decimal point or exponent: `1`")
        );
    }

    #[test]
    fn a_float_is_still_a_plain_value() {
        let all = check("version: 1\nworkspace: w\nvariables: { ratio: 20.0 }\n");
        assert!(all.is_empty(), "{all:?}");
    }
}
