//! Reading a request the way the PTS gateway does: query and form body merged into one
//! parameter list, headers kept for the V3 signature, the raw body kept for its hash.
//!
//! Which style a request is in decides where the action comes from: V3 requests
//! (`Authorization: ACS3-HMAC-SHA256 …`) name it in `x-acs-action` / `x-acs-version`, v1
//! requests in the `Action` / `Version` parameters.

use bytes::Bytes;

use crate::api::sign::v3;
use crate::wire::{Location, Params};

/// The largest body accepted; scenes are a few kilobytes, so this only stops abuse.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;

/// How a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `Authorization: ACS3-HMAC-SHA256 …` (the official SDK's default).
    V3,
    /// `Signature` among the parameters (RPC v1, HMAC-SHA1).
    V1,
    /// Neither.
    Unsigned,
}

/// A received request, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    /// `GET`, `POST`…
    pub method: String,
    /// The decoded query string (`+` as space), in order.
    pub query: Vec<(String, String)>,
    /// The decoded form body, when the body is `application/x-www-form-urlencoded`.
    pub form: Vec<(String, String)>,
    /// Header names lower-cased; values as text (invalid UTF-8 replaced).
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
}

impl Incoming {
    /// Builds the request from hyper's parts and the collected body.
    pub fn new(parts: &hyper::http::request::Parts, body: Bytes) -> Incoming {
        let query = parts
            .uri
            .query()
            .map(|query| decode_form(query.as_bytes()))
            .unwrap_or_default();
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let is_form = headers.iter().any(|(name, value)| {
            name == "content-type"
                && value
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
        });
        let form = if is_form {
            decode_form(&body)
        } else {
            Vec::new()
        };
        Incoming {
            method: parts.method.as_str().to_owned(),
            query,
            form,
            headers,
            body,
        }
    }

    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    /// All headers as borrowed pairs, for the signature check.
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    /// The query as borrowed pairs, for the V3 signature.
    pub fn query_pairs(&self) -> Vec<(&str, &str)> {
        self.query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    /// Query then body parameters: what the handlers read (first occurrence wins).
    pub fn params(&self) -> Params {
        let mut params = Params::new();
        for (name, value) in &self.query {
            params.push(name.as_str(), value.as_str(), Location::Query);
        }
        for (name, value) in &self.form {
            params.push(name.as_str(), value.as_str(), Location::Body);
        }
        params
    }

    /// How the request is signed.
    pub fn style(&self) -> Style {
        let is_v3 = self
            .header("authorization")
            .is_some_and(|value| value.trim_start().starts_with(v3::ALGORITHM));
        if is_v3 {
            Style::V3
        } else if self.param("Signature").is_some() {
            Style::V1
        } else {
            Style::Unsigned
        }
    }

    /// The action named by the request, per its style.
    pub fn action(&self) -> Option<&str> {
        match self.style() {
            Style::V3 => self.header("x-acs-action"),
            _ => self.param("Action").or_else(|| self.header("x-acs-action")),
        }
    }

    /// The API version named by the request, per its style.
    pub fn version(&self) -> Option<&str> {
        match self.style() {
            Style::V3 => self.header("x-acs-version"),
            _ => self
                .param("Version")
                .or_else(|| self.header("x-acs-version")),
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(&self.form)
            .find(|(param, _)| param == name)
            .map(|(_, value)| value.as_str())
    }
}

fn decode_form(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, &str)], body: &str) -> Incoming {
        let mut builder = hyper::http::Request::builder().method("POST").uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let (parts, ()) = builder.body(()).expect("request").into_parts();
        Incoming::new(&parts, Bytes::from(body.to_owned()))
    }

    #[test]
    fn query_and_form_body_are_merged_and_decoded() {
        let incoming = request(
            "/?Action=ListPtsReports&Signature=x&SceneIds=%5B%22B+2%22%5D",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            "PageNumber=1&PageSize=10",
        );
        assert_eq!(incoming.style(), Style::V1);
        assert_eq!(incoming.action(), Some("ListPtsReports"));
        let params = incoming.params();
        assert_eq!(params.get("SceneIds"), Some("[\"B 2\"]"));
        assert_eq!(params.get("PageSize"), Some("10"));
    }

    #[test]
    fn v3_takes_the_action_from_headers() {
        let incoming = request(
            "/?PageNumber=1",
            &[
                ("authorization", "ACS3-HMAC-SHA256 Credential=a"),
                ("x-acs-action", "ListPtsScene"),
                ("x-acs-version", "2020-10-20"),
            ],
            "",
        );
        assert_eq!(incoming.style(), Style::V3);
        assert_eq!(incoming.action(), Some("ListPtsScene"));
        assert_eq!(incoming.version(), Some("2020-10-20"));
        assert!(incoming.form.is_empty());
        assert_eq!(request("/", &[], "").style(), Style::Unsigned);
    }
}
