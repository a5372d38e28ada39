//! Exports (output parameters): values taken from a response for later calls of the same
//! virtual user. Compiled once per plan; applied per response against a [`Reply`] view that
//! parses a JSON body at most once.

use bytes::Bytes;
use hyper::HeaderMap;
use hyper::header::{HeaderName, SET_COOKIE};
use regex::bytes::Regex;
use serde_json::Value;

/// A response as exports and checkpoints see it.
pub(crate) struct Reply<'a> {
    /// Final status code (after redirects).
    pub status: u16,
    /// Final headers.
    pub headers: &'a HeaderMap,
    /// Body, when the step needs it.
    pub body: &'a [u8],
    json: Option<Option<Value>>,
}

impl<'a> Reply<'a> {
    /// A view of one response.
    pub(crate) fn new(status: u16, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        Reply {
            status,
            headers,
            body,
            json: None,
        }
    }

    /// The body as JSON, parsed on first use; `None` when it is not JSON.
    pub(crate) fn json(&mut self) -> Option<&Value> {
        let body = self.body;
        self.json
            .get_or_insert_with(|| serde_json::from_slice(body).ok())
            .as_ref()
    }

    /// A header's value as bytes.
    pub(crate) fn header(&self, name: &HeaderName) -> Option<&[u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }
}

/// One step of a JSON path: `data.items[0].id` is `Key(data) Key(items) Index(0) Key(id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathStep {
    Key(String),
    Index(usize),
}

/// Which `BODY_TEXT` match is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    Index(usize),
    Random,
}

/// Where an export reads from.
#[derive(Debug)]
pub(crate) enum Source {
    BodyJson(Vec<PathStep>),
    BodyText(Regex, Pick),
    Header(HeaderName),
    Cookie(String),
    Status,
}

/// A compiled export.
#[derive(Debug)]
pub(crate) struct Export {
    /// Parameter name, for samples and `EXPORTED_PARAM` checkpoints.
    pub name: String,
    /// The relation slot it fills.
    pub slot: usize,
    /// Where the value comes from.
    pub source: Source,
}

impl Source {
    /// Compiles an export expression of the wire type `kind` (`BODY_JSON`, `BODY_TEXT`,
    /// `HEADER`, `COOKIE`, `STATUS_CODE`).
    pub(crate) fn compile(
        kind: &str,
        expression: &str,
        count: Option<&str>,
    ) -> Result<Source, String> {
        Ok(match kind {
            "BODY_JSON" => Source::BodyJson(parse_json_path(expression)?),
            "BODY_TEXT" => {
                let regex = Regex::new(expression).map_err(|e| format!("bad regex: {e}"))?;
                let pick = match count.map(str::trim).unwrap_or("0") {
                    "" => Pick::Index(0),
                    c if c.eq_ignore_ascii_case("random") => Pick::Random,
                    c => Pick::Index(
                        c.parse()
                            .map_err(|_| format!("Count `{c}` is neither a number nor Random"))?,
                    ),
                };
                Source::BodyText(regex, pick)
            }
            "HEADER" => Source::Header(header_name(expression)?),
            "COOKIE" => Source::Cookie(expression.trim().to_owned()),
            "STATUS_CODE" => Source::Status,
            other => return Err(format!("unknown ExportType `{other}`")),
        })
    }

    /// Whether the body must be kept for this export.
    pub(crate) fn needs_body(&self) -> bool {
        matches!(self, Source::BodyJson(_) | Source::BodyText(..))
    }

    /// Whether the headers must be kept for this export.
    pub(crate) fn needs_headers(&self) -> bool {
        matches!(self, Source::Header(_) | Source::Cookie(_))
    }

    /// The exported value, if the response has one.
    pub(crate) fn extract(&self, reply: &mut Reply<'_>) -> Option<Bytes> {
        match self {
            Source::Status => Some(Bytes::from(reply.status.to_string())),
            Source::Header(name) => reply.header(name).map(Bytes::copy_from_slice),
            Source::Cookie(name) => reply.headers.get_all(SET_COOKIE).iter().find_map(|v| {
                let pair = v.as_bytes().split(|b| *b == b';').next()?;
                let eq = pair.iter().position(|b| *b == b'=')?;
                (pair[..eq].trim_ascii() == name.as_bytes())
                    .then(|| Bytes::copy_from_slice(pair[eq + 1..].trim_ascii()))
            }),
            Source::BodyText(regex, pick) => {
                let body = reply.body;
                let mut matches = regex
                    .captures_iter(body)
                    .filter_map(|c| c.get(1).or_else(|| c.get(0)));
                let found = match pick {
                    Pick::Index(n) => matches.nth(*n),
                    Pick::Random => {
                        let all: Vec<_> = matches.collect();
                        (!all.is_empty()).then(|| all[rand::random_range(0..all.len())])
                    }
                }?;
                Some(Bytes::copy_from_slice(found.as_bytes()))
            }
            Source::BodyJson(path) => {
                let mut value = reply.json()?;
                for step in path {
                    value = match step {
                        PathStep::Key(key) => value.get(key.as_str())?,
                        PathStep::Index(index) => value.get(*index)?,
                    };
                }
                Some(match value {
                    Value::String(text) => Bytes::from(text.clone()),
                    Value::Null => return None,
                    other => Bytes::from(other.to_string()),
                })
            }
        }
    }
}

/// Parses `data.items[0].id`, also with a leading `$.` or `$`.
pub(crate) fn parse_json_path(path: &str) -> Result<Vec<PathStep>, String> {
    let trimmed = path.trim();
    let trimmed = trimmed
        .strip_prefix("$.")
        .or_else(|| trimmed.strip_prefix('$'))
        .unwrap_or(trimmed);
    let mut steps = Vec::new();
    for segment in trimmed.split('.').filter(|s| !s.is_empty()) {
        let (key, mut rest) = match segment.find('[') {
            Some(open) => segment.split_at(open),
            None => (segment, ""),
        };
        if !key.is_empty() {
            steps.push(PathStep::Key(key.to_owned()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in JSON path `{path}`"))?;
            let index = inner[..close]
                .trim()
                .parse()
                .map_err(|_| format!("`{}` is not an array index in `{path}`", &inner[..close]))?;
            steps.push(PathStep::Index(index));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected `{rest}` in JSON path `{path}`"));
        }
    }
    if steps.is_empty() {
        return Err(format!("empty JSON path `{path}`"));
    }
    Ok(steps)
}

/// A header name from scene text.
pub(crate) fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn run(kind: &str, expr: &str, count: Option<&str>, body: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert("x-id", HeaderValue::from_static("h1"));
        headers.append(SET_COOKIE, HeaderValue::from_static("a=1; Path=/"));
        headers.append(SET_COOKIE, HeaderValue::from_static("sid=s2; HttpOnly"));
        let source = Source::compile(kind, expr, count).expect("compiles");
        let mut reply = Reply::new(201, &headers, body.as_bytes());
        source
            .extract(&mut reply)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn every_export_kind() {
        let body = r#"{"data":{"items":[{"id":7},{"id":"x"}]},"n":null}"#;
        assert_eq!(
            run("BODY_JSON", "data.items[0].id", None, body).as_deref(),
            Some("7")
        );
        assert_eq!(
            run("BODY_JSON", "$.data.items[1].id", None, body).as_deref(),
            Some("x")
        );
        assert_eq!(run("BODY_JSON", "n", None, body), None);
        assert_eq!(run("BODY_JSON", "data.items[5]", None, body), None);
        assert_eq!(
            run("BODY_TEXT", r#""id":(\d+)"#, Some("0"), body).as_deref(),
            Some("7")
        );
        assert_eq!(
            run("BODY_TEXT", r#""id":"?(\w+)"#, Some("1"), body).as_deref(),
            Some("x")
        );
        assert!(run("BODY_TEXT", r#""id":"?(\w+)"#, Some("Random"), body).is_some());
        assert_eq!(run("HEADER", "X-Id", None, body).as_deref(), Some("h1"));
        assert_eq!(run("COOKIE", "sid", None, body).as_deref(), Some("s2"));
        assert_eq!(run("STATUS_CODE", "", None, body).as_deref(), Some("201"));
    }

    #[test]
    fn bad_expressions_are_errors_not_panics() {
        assert!(Source::compile("BODY_JSON", "a[", None).is_err());
        assert!(Source::compile("BODY_JSON", "a[x]", None).is_err());
        assert!(Source::compile("BODY_JSON", "", None).is_err());
        assert!(Source::compile("BODY_TEXT", "(", None).is_err());
        assert!(Source::compile("BODY_TEXT", "a", Some("first")).is_err());
        assert!(Source::compile("HEADER", "bad header", None).is_err());
        assert!(Source::compile("XML", "a", None).is_err());
    }
}
