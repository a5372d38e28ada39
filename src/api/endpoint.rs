//! Where requests go: scheme and `host[:port]`.
//!
//! The reference (§4.1) is explicit that the official SDK uses one host, `pts.aliyuncs.com`,
//! for every region (endpoint rule `central`, no region map), so ptsplan does too; the region
//! never reaches the wire. An endpoint can be given as `host[:port]` (HTTPS, as the SDK's
//! default protocol) or as a full `http(s)://host[:port]` URL, which keeps its scheme so that a
//! PTS-compatible server on loopback can be reached over plain HTTP.
//!
//! The `host` header that is signed is exactly the authority of the URL that is sent
//! (`host` or `host:port`, a default port dropped), so what is signed is what the server sees.

use std::fmt;

/// The host every region uses (reference §4.1).
pub const DEFAULT_HOST: &str = "pts.aliyuncs.com";

/// The transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP: only sensible for a local PTS-compatible server.
    Http,
    /// HTTPS, the default.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    authority: String,
}

/// An endpoint that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid endpoint `{input}`: {reason}")]
pub struct EndpointError {
    /// What was given.
    pub input: String,
    /// Why it is refused.
    pub reason: String,
}

impl Endpoint {
    /// The endpoint for PTS in any region: `https://pts.aliyuncs.com`.
    pub fn pts() -> Self {
        Self {
            scheme: Scheme::Https,
            authority: DEFAULT_HOST.to_owned(),
        }
    }

    /// Reads `host[:port]` (HTTPS) or `http(s)://host[:port]` (a trailing `/` allowed).
    pub fn parse(input: &str) -> Result<Self, EndpointError> {
        let error = |reason: &str| EndpointError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(error("it is empty"));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else if trimmed.contains('/') {
            return Err(error("expected host[:port] or http(s)://host[:port]"));
        } else {
            format!("https://{trimmed}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| error(&e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(error("the scheme must be http or https")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(error("credentials do not belong in the endpoint"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(error("PTS is served at `/`: remove the path or query"));
        }
        let host = url.host_str().ok_or_else(|| error("no host"))?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Self { scheme, authority })
    }

    /// HTTP or HTTPS.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host` or `host:port`: the signed `host` header.
    pub fn authority(&self) -> &str {
        &self.authority
    }
}

/// `scheme://host[:port]`.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.authority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_accepted() {
        for (input, scheme, authority) in [
            ("pts.aliyuncs.com", Scheme::Https, "pts.aliyuncs.com"),
            ("127.0.0.1:18080", Scheme::Https, "127.0.0.1:18080"),
            ("http://127.0.0.1:18080", Scheme::Http, "127.0.0.1:18080"),
            ("http://localhost:18080/", Scheme::Http, "localhost:18080"),
            (
                "HTTPS://PTS.aliyuncs.com:443",
                Scheme::Https,
                "pts.aliyuncs.com",
            ),
            ("http://[::1]:8080", Scheme::Http, "[::1]:8080"),
            (
                "  pts-vpc.aliyuncs.com ",
                Scheme::Https,
                "pts-vpc.aliyuncs.com",
            ),
        ] {
            let endpoint = Endpoint::parse(input).expect(input);
            assert_eq!(endpoint.scheme(), scheme, "{input}");
            assert_eq!(endpoint.authority(), authority, "{input}");
        }
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:1")
                .expect("parses")
                .to_string(),
            "http://127.0.0.1:1"
        );
        assert_eq!(Endpoint::pts().to_string(), "https://pts.aliyuncs.com");
    }

    #[test]
    fn forms_refused() {
        for input in [
            "",
            "ftp://host",
            "host/path",
            "http://host/path",
            "http://host/?q=1",
            "http://user:pw@host",
            "http://:80",
            "host:notaport",
        ] {
            assert!(
                Endpoint::parse(input).is_err(),
                "{input:?} should be refused"
            );
        }
    }
}
