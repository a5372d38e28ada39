//! A small OSS client: the three object calls ptsplan needs (`PutObject`, `HeadObject`,
//! `GetObject`), signed with V1 ([`super::sign`]) by the same Alibaba Cloud key as the PTS
//! client.

use reqwest::Method;

use super::data::DataStore;
use super::sign;
use crate::api::Endpoint;
use crate::api::sign::Credential;

/// How long one object call may take; data files are small (PTS caps them at 500 MB total).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Why an object call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OssError {
    /// OSS answered with an error.
    #[error("{method} {url}: HTTP {status} {code}: {message}")]
    Status {
        method: String,
        url: String,
        status: u16,
        /// OSS's error code (`AccessDenied`, `NoSuchBucket`, `SignatureDoesNotMatch`…).
        code: String,
        message: String,
    },
    /// No answer (connection refused, timeout, TLS).
    #[error("{method} {url}: {reason}")]
    Transport {
        method: String,
        url: String,
        reason: String,
    },
}

/// A client for one [`DataStore`].
#[derive(Clone)]
pub struct OssClient {
    http: reqwest::Client,
    store: DataStore,
    backend: Endpoint,
    credential: Credential,
}

impl OssClient {
    /// A client for `store`; `backend` is the PTS backend's endpoint (where objects go when
    /// the store names no endpoint of its own).
    pub fn new(
        store: DataStore,
        backend: Endpoint,
        credential: Credential,
    ) -> Result<OssClient, OssError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("ptsplan/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| OssError::Transport {
                method: "-".into(),
                url: backend.to_string(),
                reason: error.to_string(),
            })?;
        Ok(OssClient {
            http,
            store,
            backend,
            credential,
        })
    }

    /// The store this client writes to.
    pub fn store(&self) -> &DataStore {
        &self.store
    }

    /// The object's size, or `None` when there is no such object.
    pub async fn head_object(&self, key: &str) -> Result<Option<u64>, OssError> {
        let (response, url) = self.send(Method::HEAD, key, None).await?;
        match response.status().as_u16() {
            404 => Ok(None),
            200..=299 => Ok(Some(
                response
                    .headers()
                    .get(reqwest::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            )),
            _ => Err(failure("HEAD", &url, response).await),
        }
    }

    /// Stores `bytes` as `key` (a CSV file).
    pub async fn put_object(&self, key: &str, bytes: Vec<u8>) -> Result<(), OssError> {
        let (response, url) = self.send(Method::PUT, key, Some(bytes)).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(failure("PUT", &url, response).await)
        }
    }

    /// The object's content, or `None` when there is no such object.
    pub async fn get_object(&self, key: &str) -> Result<Option<Vec<u8>>, OssError> {
        let (response, url) = self.send(Method::GET, key, None).await?;
        match response.status().as_u16() {
            404 => Ok(None),
            200..=299 => response
                .bytes()
                .await
                .map(|bytes| Some(bytes.to_vec()))
                .map_err(|error| transport("GET", &url, &error)),
            _ => Err(failure("GET", &url, response).await),
        }
    }

    /// Signs and sends one object request.
    async fn send(
        &self,
        method: Method,
        key: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(reqwest::Response, String), OssError> {
        let target = self.store.object_url(key, &self.backend);
        let date = sign::http_date(jiff::Timestamp::now());
        let content_type = if body.is_some() { CSV } else { "" };
        let token = self.credential.security_token();
        let mut oss_headers: Vec<(&str, &str)> = Vec::new();
        if let Some(token) = token {
            oss_headers.push(("x-oss-security-token", token));
        }
        let text = sign::string_to_sign(&sign::Signed {
            method: method.as_str(),
            content_md5: "",
            content_type,
            date: &date,
            headers: &oss_headers,
            resource: &target.resource,
        });
        let signature = sign::signature(self.credential.access_key_secret(), &text);
        let mut request = self
            .http
            .request(method.clone(), &target.url)
            .header(reqwest::header::DATE, &date)
            .header(
                reqwest::header::AUTHORIZATION,
                sign::authorization(self.credential.access_key_id(), &signature),
            );
        for (name, value) in &oss_headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| transport(method.as_str(), &target.url, &error))?;
        Ok((response, target.url))
    }
}

/// The content type data files are stored with.
const CSV: &str = "text/csv";

fn transport(method: &str, url: &str, error: &reqwest::Error) -> OssError {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    OssError::Transport {
        method: method.to_owned(),
        url: url.to_owned(),
        reason,
    }
}

/// An error answer: OSS's XML `<Error><Code>…</Code><Message>…</Message></Error>`.
async fn failure(method: &str, url: &str, response: reqwest::Response) -> OssError {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    OssError::Status {
        method: method.to_owned(),
        url: url.to_owned(),
        status,
        code: element(&body, "Code").unwrap_or("-").to_owned(),
        message: element(&body, "Message").unwrap_or("").to_owned(),
    }
}

/// The text of the first `<name>…</name>` of `xml`.
pub(crate) fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..start + end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_read() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>\
                   <Message>no</Message></Error>";
        assert_eq!(element(xml, "Code"), Some("AccessDenied"));
        assert_eq!(element(xml, "Message"), Some("no"));
        assert_eq!(element(xml, "RequestId"), None);
    }
}
