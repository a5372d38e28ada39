//! OSS request signing, V1 (`Authorization: OSS AccessKeyId:Signature`), as pure functions:
//! the client signs with them and the local backend verifies with them.
//!
//! ```text
//! Signature = base64(HMAC-SHA1(AccessKeySecret,
//!     VERB + "\n" + Content-MD5 + "\n" + Content-Type + "\n" + Date + "\n"
//!     + CanonicalizedOSSHeaders + CanonicalizedResource))
//! ```
//!
//! `CanonicalizedOSSHeaders` are the `x-oss-*` headers, names lower-cased, sorted, each as
//! `name:value\n` (an STS token travels as `x-oss-security-token` and is signed this way).
//! `CanonicalizedResource` is `/bucket/key` (ptsplan uses no sub-resources).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The scheme word of the `Authorization` header.
pub const SCHEME: &str = "OSS";

/// What is signed of one request.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// `PUT`, `GET`, `HEAD`…
    pub method: &'a str,
    /// The `Content-MD5` header, or empty.
    pub content_md5: &'a str,
    /// The `Content-Type` header, or empty.
    pub content_type: &'a str,
    /// The `Date` header (RFC 1123, GMT).
    pub date: &'a str,
    /// Every header of the request (any case); only `x-oss-*` ones are signed.
    pub headers: &'a [(&'a str, &'a str)],
    /// `/bucket/key`.
    pub resource: &'a str,
}

/// The string to sign of `request`.
pub fn string_to_sign(request: &Signed<'_>) -> String {
    let mut oss: Vec<(String, &str)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
        .filter(|(name, _)| name.starts_with("x-oss-"))
        .collect();
    oss.sort();
    let mut text = format!(
        "{}\n{}\n{}\n{}\n",
        request.method, request.content_md5, request.content_type, request.date
    );
    for (name, value) in oss {
        text.push_str(&name);
        text.push(':');
        text.push_str(value);
        text.push('\n');
    }
    text.push_str(request.resource);
    text
}

/// The signature (Base64 of HMAC-SHA1) of `string_to_sign` under `secret`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key");
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The `Authorization` header value.
pub fn authorization(access_key_id: &str, signature: &str) -> String {
    format!("{SCHEME} {access_key_id}:{signature}")
}

/// The access key id and signature of an `Authorization: OSS id:signature` header.
pub fn parse_authorization(header: &str) -> Option<(&str, &str)> {
    let rest = header.trim().strip_prefix(SCHEME)?.strip_prefix(' ')?;
    let (id, signature) = rest.trim_start().split_once(':')?;
    (!id.is_empty() && !signature.is_empty()).then_some((id, signature))
}

/// `/bucket/key`, the resource of an object.
pub fn resource(bucket: &str, key: &str) -> String {
    format!("/{bucket}/{key}")
}

/// The `Date` header form of `time`: `Thu, 17 Nov 2005 18:49:58 GMT`.
pub fn http_date(time: jiff::Timestamp) -> String {
    time.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Reads a `Date` header.
pub fn parse_http_date(text: &str) -> Option<jiff::Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the OSS API reference ("Add a signature to the Authorization
    /// header"): access key 44CF9590006BF252F707 / OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV.
    #[test]
    fn the_reference_example_signs_as_documented() {
        let headers = [
            ("Content-Type", "text/html"),
            ("X-OSS-Meta-Author", "foo@bar.com"),
            ("X-OSS-Magic", "abracadabra"),
            ("Host", "oss-example.oss-cn-hangzhou.aliyuncs.com"),
        ];
        let request = Signed {
            method: "PUT",
            content_md5: "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
            content_type: "text/html",
            date: "Thu, 17 Nov 2005 18:49:58 GMT",
            headers: &headers,
            resource: &resource("oss-example", "nelson"),
        };
        let text = string_to_sign(&request);
        assert_eq!(
            text,
            "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\n\
             Thu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\n\
             x-oss-meta-author:foo@bar.com\n/oss-example/nelson"
        );
        let signed = signature("OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", &text);
        assert_eq!(signed, "26NBxoKdsyly4EDv6inkoDft/yA=");
        let header = authorization("44CF9590006BF252F707", &signed);
        assert_eq!(
            parse_authorization(&header),
            Some(("44CF9590006BF252F707", "26NBxoKdsyly4EDv6inkoDft/yA="))
        );
    }

    #[test]
    fn malformed_authorization_is_refused() {
        for header in [
            "",
            "OSS",
            "OSS id",
            "OSS :sig",
            "OSS id:",
            "ACS3 id:sig",
            "OSSid:sig",
        ] {
            assert_eq!(parse_authorization(header), None, "{header}");
        }
    }

    #[test]
    fn dates_round_trip() {
        let time: jiff::Timestamp = "2005-11-17T18:49:58Z".parse().expect("time");
        let text = http_date(time);
        assert_eq!(text, "Thu, 17 Nov 2005 18:49:58 GMT");
        assert_eq!(parse_http_date(&text), Some(time));
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
