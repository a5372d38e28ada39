//! YAML → a tree of nodes that each know their byte span.
//!
//! The tree is built from the events of serde-saphyr's parser (granit), so every key and
//! value keeps its place in the file. Scalars are resolved with the YAML 1.2 core schema.
//! Anchors, aliases and `<<` merge keys work; alias expansion is budgeted so that a
//! "billion laughs" file gets a diagnostic instead of exhausting memory.

use std::collections::HashMap;
use std::fmt;

use serde_saphyr::granit_parser::{
    Event, Options, Parser, ScalarStyle, Span as YamlSpan, StructureStyle,
};

use crate::diag::{Diagnostic, Diagnostics, SourceId, Span};

/// Most nodes a document may expand to (aliases included).
const NODE_BUDGET: usize = 1_000_000;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 128;
const TOO_DEEP_HELP: &str =
    "a plan nests about ten levels deep: look for unbalanced `[` / `{` or runaway indentation";

/// A YAML node and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// The content of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping; keys are text.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// One step of a path into the tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A field path such as `scenes.checkout.chains[0].steps[1].url`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<Seg>);

impl Path {
    /// The root.
    pub fn root() -> Self {
        Path(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, key: impl Into<String>) -> Path {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.into()));
        Path(segs)
    }

    /// This path extended by an index.
    pub fn index(&self, index: usize) -> Path {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        Path(segs)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

impl Node {
    /// What kind of value this is, for messages ("a list", "text"…).
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry for `key`, if this is a mapping holding it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }

    /// The node at `path`.
    pub fn at(&self, path: &Path) -> Option<&Node> {
        path.0
            .iter()
            .try_fold(self, |node, seg| match (seg, &node.value) {
                (Seg::Key(k), Value::Map(_)) => node.get(k),
                (Seg::Index(i), Value::Seq(items)) => items.get(*i),
                _ => None,
            })
    }

    /// The best place to point at for `path`: the value if it exists, else the deepest
    /// existing ancestor's first line.
    pub fn span_of(&self, path: &Path) -> Span {
        let mut node = self;
        for seg in &path.0 {
            let next = match (seg, &node.value) {
                (Seg::Key(k), Value::Map(_)) => node.get(k),
                (Seg::Index(i), Value::Seq(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return node.head_span(),
            }
        }
        node.span
    }

    /// The span of the key naming `path`'s last segment (falls back to the value).
    pub fn key_span_of(&self, path: &Path) -> Span {
        if let Some((Seg::Key(k), parent)) = path.0.split_last() {
            if let Some(entry) = self.at(&Path(parent.to_vec())).and_then(|p| p.entry(k)) {
                return entry.key_span;
            }
        }
        self.span_of(path)
    }

    /// A short span for the start of this node: a mapping's first key, else the node.
    pub fn head_span(&self) -> Span {
        match &self.value {
            Value::Map(entries) => entries.first().map_or(self.span, |e| e.key_span),
            _ => self.span,
        }
    }

    /// The tree as JSON, for typed decoding once the structure is known to be right.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Calls `visit` with the path of every node under `node` (itself included), `base` being
/// the path of `node`.
pub fn walk_paths(node: &Node, base: &Path, visit: &mut dyn FnMut(&Path)) {
    visit(base);
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_paths(item, &base.index(i), visit);
            }
        }
        Value::Map(entries) => {
            for e in entries {
                walk_paths(&e.value, &base.key(&e.key), visit);
            }
        }
        _ => {}
    }
}

/// Removes the mapping entry at `path` (relative to `node`); a path ending in a list index
/// removes the entry holding the list. Returns whether something was removed.
pub fn remove_entry(node: &mut Node, path: &Path) -> bool {
    let mut segs = path.0.clone();
    while matches!(segs.last(), Some(Seg::Index(_))) {
        segs.pop();
    }
    let Some((Seg::Key(key), parent)) = segs.split_last() else {
        return false;
    };
    let mut current = node;
    for seg in parent {
        let next = match (seg, &mut current.value) {
            (Seg::Key(k), Value::Map(entries)) => entries
                .iter_mut()
                .find(|e| &e.key == k)
                .map(|e| &mut e.value),
            (Seg::Index(i), Value::Seq(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => current = n,
            None => return false,
        }
    }
    match &mut current.value {
        Value::Map(entries) => {
            let before = entries.len();
            entries.retain(|e| &e.key != key);
            entries.len() != before
        }
        _ => false,
    }
}

/// Parses one YAML document. Problems (syntax errors, duplicate keys, several documents)
/// are recorded in `diags`; the tree is returned whenever one could be built.
pub fn parse(source: SourceId, text: &str, diags: &mut Diagnostics) -> Option<Node> {
    let mut builder = Builder {
        source,
        text,
        offsets: CharOffsets::new(text),
        diags,
        anchors: HashMap::new(),
        budget: NODE_BUDGET,
        open_flows: Vec::new(),
    };
    // An alias without its anchor arrives as an event, so it gets its own diagnostic.
    let mut options = Options::default();
    options.emit_unresolved_aliases = true;
    builder.document(Parser::new_from_str_with_options(text, options))
}

/// Converts character indices (what the parser counts) to byte offsets (what miette wants).
struct CharOffsets {
    /// Byte offset of every char boundary, only built when the text is not ASCII.
    table: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(table) => table.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

struct Builder<'d> {
    source: SourceId,
    text: &'d str,
    offsets: CharOffsets,
    diags: &'d mut Diagnostics,
    anchors: HashMap<usize, Node>,
    budget: usize,
    /// Where the flow collections (`[`, `{`) being read were opened, innermost last: a syntax
    /// error after an unclosed one is best explained by pointing at the opener.
    open_flows: Vec<Span>,
}

type Events<'i> = Parser<'i, serde_saphyr::granit_parser::StrInput<'i>>;

impl Builder<'_> {
    fn span(&self, span: &YamlSpan) -> Span {
        Span::new(
            self.source,
            self.offsets.byte(span.start.index()),
            self.offsets.byte(span.end.index()),
        )
    }

    fn syntax_error(&mut self, err: &serde_saphyr::granit_parser::ScanError) {
        let at = self.offsets.byte(err.marker().index());
        let info = err.info();
        // The scanner reports a tab where the token before it started; point at the tab.
        if info.contains("tab") {
            if let Some(tab) = indenting_tab(self.text, at) {
                self.diags.push(
                    Diagnostic::error("yaml::syntax", "invalid YAML: a tab indents this line")
                        .at(Span::new(self.source, tab, tab + 1))
                        .with_label("tab")
                        .with_help("YAML indents with spaces only: replace the tab with spaces"),
                );
                return;
            }
        }
        if info.contains("recursion limit") {
            self.diags.push(
                Diagnostic::error(
                    "yaml::too-deep",
                    "invalid YAML: nesting is deeper than the parser allows",
                )
                .at(Span::new(self.source, at, at))
                .with_label("here")
                .with_help(TOO_DEEP_HELP),
            );
            return;
        }
        let help = if info.contains("block collection")
            || info.contains("block mapping")
            || info.contains("indentation")
        {
            "check the indentation of this line: the keys of one mapping start in the same column, and list items start with `- `"
        } else {
            "check indentation and quoting around this place"
        };
        let mut d = Diagnostic::error("yaml::syntax", format!("invalid YAML: {info}"))
            .at(Span::new(self.source, at, at))
            .with_label("here")
            .with_help(help);
        // An error on a later line than an unclosed `[` or `{` is most likely caused by it.
        if let Some(open) = self.open_flows.last().copied() {
            let later_line = self
                .text
                .get(open.start..at)
                .is_some_and(|between| between.contains('\n'));
            if later_line {
                let bracket = self.text.get(open.start..open.start + 1).unwrap_or("[");
                let close = if bracket == "{" { "}" } else { "]" };
                d = d
                    .with_related(
                        open,
                        format!("`{bracket}` opened here, still open at the error"),
                    )
                    .with_help(format!(
                        "if this `{bracket}` should end on its own line, close it with `{close}`"
                    ));
            }
        }
        self.diags.push(d);
    }

    fn next<'i>(&mut self, events: &mut Events<'i>) -> Option<(Event<'i>, YamlSpan)> {
        match events.next_event()? {
            Ok(ev) => Some(ev),
            Err(err) => {
                self.syntax_error(&err);
                None
            }
        }
    }

    fn document(&mut self, mut events: Events<'_>) -> Option<Node> {
        let mut root = None;
        let mut documents = 0;
        while let Some((event, span)) = self.next(&mut events) {
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Anchor(..) => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents > 1 {
                        self.diags.push(
                            Diagnostic::error(
                                "yaml::several-documents",
                                "a plan file holds one YAML document, this is a second one",
                            )
                            .at(self.span(&span))
                            .with_help(
                                "split the documents into separate files of the plan directory",
                            ),
                        );
                        return root;
                    }
                    self.anchors.clear();
                    root = Some(self.node(&mut events, 0)?);
                }
                _ => {}
            }
        }
        root
    }

    /// Reads one node; `None` means a syntax error was recorded.
    fn node(&mut self, events: &mut Events<'_>, depth: usize) -> Option<Node> {
        loop {
            let (event, span) = self.next(events)?;
            let span_here = self.span(&span);
            if self.budget == 0 {
                return None;
            }
            self.budget -= 1;
            if depth > MAX_DEPTH {
                self.diags.push(
                    Diagnostic::error("yaml::too-deep", "nesting is deeper than 128 levels")
                        .at(span_here)
                        .with_help(TOO_DEEP_HELP),
                );
                return None;
            }
            let (node, anchor) = match event {
                Event::Scalar(text, style, anchor, tag) => {
                    let tag = tag.map(|t| t.to_string());
                    let value = resolve_scalar(&text, style, tag.as_deref());
                    (
                        Node {
                            value,
                            span: span_here,
                        },
                        anchor,
                    )
                }
                Event::SequenceStart(style, anchor, _) => {
                    self.open_flow(style, span_here);
                    let mut items = Vec::new();
                    let end = loop {
                        if let Some(end) = self.peek_end(events, true)? {
                            break end;
                        }
                        items.push(self.node(events, depth + 1)?);
                    };
                    self.close_flow(style);
                    let last = items.last().map(|n| n.span.end);
                    (
                        Node {
                            value: Value::Seq(items),
                            span: collection_span(style, span_here, end, last),
                        },
                        anchor,
                    )
                }
                Event::MappingStart(style, anchor, _) => {
                    self.open_flow(style, span_here);
                    let (entries, end) = self.mapping(events, depth)?;
                    self.close_flow(style);
                    let last = entries.last().map(|e| e.value.span.end);
                    (
                        Node {
                            value: Value::Map(entries),
                            span: collection_span(style, span_here, end, last),
                        },
                        anchor,
                    )
                }
                Event::Alias(id) => {
                    let Some(target) = self.anchors.get(&id).cloned() else {
                        self.diags.push(
                            Diagnostic::error("yaml::unknown-alias", "alias to an unknown anchor")
                                .at(span_here),
                        );
                        return None;
                    };
                    // Aliases of aliases could nest the tree past any limit (and every
                    // recursive walk over it past the stack): the expansion counts too.
                    if depth + height(&target) > MAX_DEPTH {
                        self.diags.push(
                            Diagnostic::error(
                                "yaml::too-deep",
                                "this alias nests the document deeper than 128 levels",
                            )
                            .at(span_here)
                            .with_help(TOO_DEEP_HELP),
                        );
                        return None;
                    }
                    let cost = count_nodes(&target);
                    if cost > self.budget {
                        self.budget = 0;
                        self.diags.push(
                            Diagnostic::error(
                                "yaml::too-large",
                                "aliases expand this document beyond 1,000,000 nodes",
                            )
                            .at(span_here)
                            .with_help("a plan this large is almost certainly an alias bomb; write the values out"),
                        );
                        return None;
                    }
                    self.budget -= cost;
                    return Some(target);
                }
                Event::Anchor(..) => continue,
                Event::UnresolvedAlias(name) => {
                    self.diags.push(
                        Diagnostic::error(
                            "yaml::unknown-alias",
                            format!("alias `*{name}` has no anchor `&{name}` before it"),
                        )
                        .at(span_here)
                        .with_label("unknown anchor")
                        .with_help(format!(
                            "mark the value to reuse with `&{name}` earlier in the file, or write the value out"
                        )),
                    );
                    return None;
                }
                _ => {
                    // Comments and other presentation events carry no data.
                    continue;
                }
            };
            if anchor != 0 {
                self.anchors.insert(anchor, node.clone());
            }
            return Some(node);
        }
    }

    fn open_flow(&mut self, style: StructureStyle, span: Span) {
        if style == StructureStyle::Flow {
            self.open_flows.push(span);
        }
    }

    fn close_flow(&mut self, style: StructureStyle) {
        if style == StructureStyle::Flow {
            self.open_flows.pop();
        }
    }

    /// If the next event ends the current collection, consumes it and returns its span.
    fn peek_end(&mut self, events: &mut Events<'_>, sequence: bool) -> Option<Option<Span>> {
        loop {
            let peeked = match events.peek() {
                None => return None,
                Some(Err(err)) => {
                    let err = err.clone();
                    self.syntax_error(&err);
                    return None;
                }
                Some(Ok((event, span))) => (event.clone(), *span),
            };
            match peeked.0 {
                Event::SequenceEnd if sequence => {
                    events.next_event();
                    return Some(Some(self.span(&peeked.1)));
                }
                Event::MappingEnd if !sequence => {
                    events.next_event();
                    return Some(Some(self.span(&peeked.1)));
                }
                Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(..)
                | Event::UnresolvedAlias(..)
                | Event::SequenceEnd
                | Event::MappingEnd => return Some(None),
                _ => {
                    events.next_event();
                }
            }
        }
    }

    fn mapping(&mut self, events: &mut Events<'_>, depth: usize) -> Option<(Vec<Entry>, Span)> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut merged: Vec<Entry> = Vec::new();
        let end = loop {
            if let Some(end) = self.peek_end(events, false)? {
                break end;
            }
            let key_node = self.node(events, depth + 1)?;
            let value = self.node(events, depth + 1)?;
            let key = match &key_node.value {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Null => String::new(),
                Value::Seq(_) | Value::Map(_) => {
                    self.diags.push(
                        Diagnostic::error("yaml::complex-key", "mapping keys must be plain text")
                            .at(key_node.span),
                    );
                    continue;
                }
            };
            if key == "<<" && matches!(key_node.value, Value::Str(_)) {
                self.merge_source(&value, &mut merged);
                continue;
            }
            if let Some(first) = entries.iter().find(|e| e.key == key) {
                let first_span = first.key_span;
                self.diags.push(
                    Diagnostic::error("yaml::duplicate-key", format!("duplicate key `{key}`"))
                        .at(key_node.span)
                        .with_label("defined again here")
                        .with_related(first_span, "first defined here")
                        .with_help("remove one of the two; YAML keeps only one value per key"),
                );
                continue;
            }
            entries.push(Entry {
                key,
                key_span: key_node.span,
                value,
            });
        };
        // `<<` supplies keys the mapping does not set itself.
        for entry in merged {
            if !entries.iter().any(|e| e.key == entry.key) {
                entries.push(entry);
            }
        }
        Some((entries, end))
    }

    fn merge_source(&mut self, value: &Node, merged: &mut Vec<Entry>) {
        let sources: Vec<&Node> = match &value.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![value],
        };
        for source in sources {
            match source.entries() {
                Some(entries) => {
                    for e in entries {
                        if !merged.iter().any(|m| m.key == e.key) {
                            merged.push(e.clone());
                        }
                    }
                }
                None => self.diags.push(
                    Diagnostic::error(
                        "yaml::bad-merge",
                        format!("`<<` merges mappings, found {}", source.kind_name()),
                    )
                    .at(source.span),
                ),
            }
        }
    }
}

/// The span of a collection from its start event to its end: a flow collection ends after its
/// closing bracket, a block collection at the end of its last item (its end event sits at the
/// next token, which may be lines further down).
fn collection_span(
    style: StructureStyle,
    start: Span,
    end: Span,
    last_item: Option<usize>,
) -> Span {
    let end = match (style, last_item) {
        (StructureStyle::Block, Some(last)) => last,
        (StructureStyle::Block, None) => start.end,
        (StructureStyle::Flow, _) => end.end,
    };
    Span::new(start.source, start.start, end)
}

/// The first tab in the indentation of the line holding byte `from` or of the next one (the
/// scanner reports the token before the tab).
fn indenting_tab(text: &str, from: usize) -> Option<usize> {
    let from = text
        .get(..from)
        .map_or(0, |before| before.rfind('\n').map_or(0, |i| i + 1));
    let mut line_start = from;
    for line in text.get(from..)?.split_inclusive('\n').take(2) {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            return Some(line_start + tab);
        }
        line_start += line.len();
    }
    None
}

/// Levels below `node` (0 for a scalar). Nodes stored as anchors respect [`MAX_DEPTH`], so
/// the recursion is bounded.
fn height(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(height).max().unwrap_or(0),
        Value::Map(entries) => 1 + entries.iter().map(|e| height(&e.value)).max().unwrap_or(0),
        _ => 0,
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|e| 1 + count_nodes(&e.value)).sum(),
        _ => 0,
    }
}

/// YAML 1.2 core schema resolution of a scalar.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    if let Some(tag) = tag {
        if tag.ends_with(":str") || tag == "!" {
            return Value::Str(text.to_owned());
        }
    }
    if style != ScalarStyle::Plain {
        return Value::Str(text.to_owned());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Int(i);
        }
    }
    let looks_numeric = text
        .trim_start_matches(['-', '+'])
        .starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if looks_numeric {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> (Option<Node>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let node = parse(SourceId(0), text, &mut diags);
        (node, diags)
    }

    #[test]
    fn scalars_resolve_by_the_core_schema() {
        let (node, diags) = tree("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: 90s\ng: 0x1F\n");
        assert!(diags.is_empty());
        let node = node.unwrap();
        assert_eq!(node.get("a").unwrap().value, Value::Int(1));
        assert_eq!(node.get("b").unwrap().value, Value::Float(1.5));
        assert_eq!(node.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(node.get("d").unwrap().value, Value::Null);
        assert_eq!(node.get("e").unwrap().value, Value::Str("1".into()));
        assert_eq!(node.get("f").unwrap().value, Value::Str("90s".into()));
        assert_eq!(node.get("g").unwrap().value, Value::Int(31));
    }

    #[test]
    fn spans_are_byte_offsets_even_after_chinese_text() {
        let text = "name: 下单场景\nurl: http://x\n";
        let (node, _) = tree(text);
        let node = node.unwrap();
        let entry = node.entry("url").unwrap();
        assert_eq!(&text[entry.key_span.start..entry.key_span.end], "url");
        let v = &entry.value.span;
        assert_eq!(&text[v.start..v.end], "http://x");
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_places() {
        let (_, diags) = tree("a: 1\nb: 2\na: 3\n");
        let all: Vec<_> = diags.into_iter().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].code, "yaml::duplicate-key");
        assert_eq!(all[0].related.len(), 1);
    }

    #[test]
    fn anchors_aliases_and_merge_keys_work() {
        let (node, diags) = tree("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
        assert!(diags.is_empty(), "{diags:?}");
        let other = node.unwrap().get("other").unwrap().clone();
        assert_eq!(other.get("x").unwrap().value, Value::Int(1));
        assert_eq!(other.get("y").unwrap().value, Value::Int(3));
    }

    #[test]
    fn alias_bombs_are_stopped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (_, diags) = tree(&text);
        assert!(diags.has_errors());
    }

    #[test]
    fn syntax_errors_are_diagnostics() {
        let (_, diags) = tree("a: [1, 2\nb: 3\n");
        assert!(diags.has_errors());
    }

    #[test]
    fn block_collections_end_at_their_last_item_not_at_the_next_key() {
        let text = "a:\n  - x\n  - y\n\n# note\nb:\n  k: v\n  l: w\nc: 1\n";
        let (node, diags) = tree(text);
        assert!(diags.is_empty(), "{diags:?}");
        let node = node.unwrap();
        let a = node.get("a").unwrap().span;
        assert_eq!(&text[a.start..a.end], "- x\n  - y");
        let b = node.get("b").unwrap().span;
        assert_eq!(&text[b.start..b.end], "k: v\n  l: w");
        let (node, _) = tree("f: [1, 2]\n");
        let f = node.unwrap().get("f").unwrap().span;
        assert_eq!(
            (f.start, f.end),
            (3, 9),
            "a flow collection keeps its brackets"
        );
    }

    #[test]
    fn an_error_after_an_unclosed_bracket_points_at_the_bracket() {
        let text = "a:\n  checks: [{ on: x }\nb: 1\n";
        let (_, diags) = tree(text);
        let all: Vec<_> = diags.into_iter().collect();
        assert_eq!(all[0].code, "yaml::syntax");
        let (opener, label) = &all[0].related[0];
        assert_eq!(&text[opener.start..opener.end], "[");
        assert!(label.contains("still open"), "{label}");
    }

    #[test]
    fn a_tab_in_indentation_is_pointed_at() {
        let text = "a:\n  - name: x\n\t  url: y\n";
        let (_, diags) = tree(text);
        let all: Vec<_> = diags.into_iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        let span = all[0].span.unwrap();
        assert_eq!(&text[span.start..span.end], "\t");
        assert!(all[0].help.as_deref().unwrap().contains("spaces"));
    }

    #[test]
    fn an_alias_without_anchor_names_the_anchor() {
        let text = "a: 1\nb: *base\n";
        let (_, diags) = tree(text);
        let all: Vec<_> = diags.into_iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].code, "yaml::unknown-alias");
        assert!(all[0].message.contains("`&base`"), "{}", all[0].message);
        let span = all[0].span.unwrap();
        assert_eq!(&text[span.start..span.end], "*base");
    }

    #[test]
    fn aliases_of_aliases_cannot_nest_past_the_depth_limit() {
        let mut text = format!("a0: &a0 {}x{}\n", "[".repeat(60), "]".repeat(60));
        for k in 1..200 {
            let open = "[".repeat(60);
            let close = "]".repeat(60);
            text.push_str(&format!("a{k}: &a{k} {open}*a{}{close}\n", k - 1));
        }
        let (_, diags) = tree(&text);
        let all: Vec<_> = diags.into_iter().collect();
        assert_eq!(all[0].code, "yaml::too-deep", "{all:?}");
    }

    #[test]
    fn flow_nesting_beyond_the_parser_limit_is_too_deep() {
        let (_, diags) = tree(&"[".repeat(10_000));
        let all: Vec<_> = diags.into_iter().collect();
        assert_eq!(all[0].code, "yaml::too-deep", "{all:?}");
    }

    #[test]
    fn paths_print_like_field_accessors() {
        let p = Path::root()
            .key("scenes")
            .key("check out")
            .key("chains")
            .index(0);
        assert_eq!(p.to_string(), "scenes[\"check out\"].chains[0]");
    }
}
