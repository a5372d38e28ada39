//! What every PTS answer looks like: the envelope fields, a typed response around an action's
//! own fields, and the error body.
//!
//! PTS reports business failures in two ways (reference §3, §7): an HTTP 4xx/5xx with an error
//! body, or HTTP 200 with `"Success": false`. [`Response::into_result`] folds the second into
//! the first, so callers see one [`ErrorBody`] either way.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::WireValue;
use super::object::wire_object;

wire_object! {
    /// The fields every answer carries next to the action's own (the reference's *env*).
    pub struct Envelope closed {
        /// The service's id for this request; quoted in support tickets and evidence.
        request_id: Option<String> = "RequestId",
        /// `false` on a business error, which may arrive with HTTP 200.
        success: Option<bool> = "Success",
        /// Error code; `"200"` on success in the examples. Read from text or a number.
        code: Option<String> = "Code",
        /// Error message; empty or a placeholder on success.
        message: Option<String> = "Message",
        /// The HTTP status the service meant, repeated in the body.
        http_status_code: Option<i64> = "HttpStatusCode",
    }
}

impl Envelope {
    /// The envelope of a successful answer as the documented examples show it
    /// (`"Code":"200","HttpStatusCode":200,"Message":""`), for the emulator.
    pub fn success(request_id: impl Into<String>) -> Self {
        Self {
            request_id: Some(request_id.into()),
            success: Some(true),
            code: Some("200".to_owned()),
            message: Some(String::new()),
            http_status_code: Some(200),
        }
    }

    /// Whether the answer reports success: `Success` is not `false` and `HttpStatusCode`, when
    /// present, is 2xx. (Some actions, such as `ListVpcConfigs`, send neither.)
    pub fn is_success(&self) -> bool {
        self.success != Some(false)
            && self
                .http_status_code
                .is_none_or(|status| (200..300).contains(&status))
    }
}

/// A whole answer: the [`Envelope`] and the action's own fields `T`, side by side in one JSON
/// object. `T` is an action's `Output` (see [`Action`](super::Action)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response<T> {
    /// `RequestId`, `Success`, `Code`, `Message`, `HttpStatusCode`.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The action's fields, including the unknown ones.
    #[serde(flatten)]
    pub body: T,
}

impl<T> Response<T> {
    /// The body when the envelope reports success, else the envelope as an error (boxed: an
    /// error body is large next to most bodies).
    pub fn into_result(self) -> Result<T, Box<ErrorBody>> {
        if self.envelope.is_success() {
            Ok(self.body)
        } else {
            Err(Box::new(self.envelope.into()))
        }
    }
}

impl<T: WireValue> WireValue for Response<T> {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.body.collect_unknown(path, out);
    }
}

wire_object! {
    /// The body of an error answer: the union of the gateway shape (`HostId`, `Recommend`; for
    /// signature, auth and throttling errors) and the PTS business shape (`Success`,
    /// `HttpStatusCode`). The emulator sends all of it, as the reference recommends.
    pub struct ErrorBody {
        /// The service's id for this request.
        request_id: Option<String> = "RequestId",
        /// Gateway host that answered, e.g. `pts.aliyuncs.com`.
        host_id: Option<String> = "HostId",
        /// Error code, e.g. `SignatureDoesNotMatch`, `MissingParameter`, `StartPtsSceneFail`.
        code: Option<String> = "Code",
        /// Human-readable message.
        message: Option<String> = "Message",
        /// Gateway troubleshooting link.
        recommend: Option<String> = "Recommend",
        /// Always `false` when present.
        success: Option<bool> = "Success",
        /// The HTTP status, repeated in the body.
        http_status_code: Option<i64> = "HttpStatusCode",
    }
}

impl ErrorBody {
    /// An error answer with its code, message and HTTP status.
    pub fn new(code: impl Into<String>, message: impl Into<String>, http_status: u16) -> Self {
        Self {
            code: Some(code.into()),
            message: Some(message.into()),
            success: Some(false),
            http_status_code: Some(http_status.into()),
            ..Self::default()
        }
    }

    /// `Code`, or `code` as the SDK also accepts.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref().or_else(|| self.extra_text("code"))
    }

    /// `Message`, or `message` as the SDK also accepts.
    pub fn message(&self) -> Option<&str> {
        self.message
            .as_deref()
            .or_else(|| self.extra_text("message"))
    }

    /// `RequestId`, or `requestId` as the SDK also accepts.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id
            .as_deref()
            .or_else(|| self.extra_text("requestId"))
    }

    fn extra_text(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(serde_json::Value::as_str)
    }
}

impl From<Envelope> for ErrorBody {
    fn from(envelope: Envelope) -> Self {
        Self {
            request_id: envelope.request_id,
            code: envelope.code,
            message: envelope.message,
            success: envelope.success,
            http_status_code: envelope.http_status_code,
            ..Self::default()
        }
    }
}

/// `Code: Message (request id …)`, the parts that are present.
impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code().unwrap_or("UnknownError"))?;
        if let Some(message) = self.message().filter(|m| !m.is_empty()) {
            write!(f, ": {message}")?;
        }
        if let Some(request_id) = self.request_id() {
            write!(f, " (request id {request_id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorBody {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Empty;
    use serde_json::json;

    #[test]
    fn code_is_read_from_text_or_number() {
        for code in [json!("200"), json!(200)] {
            let response: Response<Empty> =
                serde_json::from_value(json!({"RequestId": "R", "Code": code})).expect("reads");
            assert_eq!(response.envelope.code.as_deref(), Some("200"));
        }
    }

    #[test]
    fn business_failure_with_http_200_is_an_error() {
        let body = json!({"RequestId": "R", "Success": false, "Code": "4001",
                          "Message": "Scene not exist", "HttpStatusCode": 400});
        let response: Response<Empty> = serde_json::from_value(body).expect("reads");
        let error = response.into_result().expect_err("fails");
        assert_eq!(error.code(), Some("4001"));
        assert_eq!(error.to_string(), "4001: Scene not exist (request id R)");
    }

    #[test]
    fn success_shapes() {
        for body in [
            json!({"RequestId": "R"}),
            json!({"RequestId": "R", "Success": true, "Code": "200", "HttpStatusCode": 200}),
        ] {
            let response: Response<Empty> = serde_json::from_value(body).expect("reads");
            assert!(response.into_result().is_ok());
        }
        let emulated = Response {
            envelope: Envelope::success("R"),
            body: Empty::default(),
        };
        assert_eq!(
            serde_json::to_value(emulated).expect("writes"),
            json!({"RequestId": "R", "Success": true, "Code": "200", "Message": "",
                   "HttpStatusCode": 200})
        );
    }

    #[test]
    fn error_bodies_of_both_shapes_round_trip() {
        let gateway = json!({"RequestId": "R", "HostId": "pts.aliyuncs.com",
            "Code": "SignatureDoesNotMatch",
            "Message": "Specified signature is not matched with our calculation.",
            "Recommend": "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"});
        let business = json!({"RequestId": "R", "Success": false, "Code": "ReportNotExist",
            "Message": "The report does not exist.", "HttpStatusCode": 403});
        for body in [gateway, business] {
            let error: ErrorBody = serde_json::from_value(body.clone()).expect("reads");
            assert!(error.unknown_fields().is_empty(), "{body}");
            assert_eq!(serde_json::to_value(&error).expect("writes"), body);
        }
    }

    #[test]
    fn lower_case_keys_are_understood() {
        let error: ErrorBody =
            serde_json::from_value(json!({"requestId": "R", "code": "Throttling.User",
                                          "message": "flow control"}))
            .expect("reads");
        assert_eq!(
            error.to_string(),
            "Throttling.User: flow control (request id R)"
        );
    }

    #[test]
    fn unknown_response_keys_land_in_the_body_once() {
        let body = json!({"RequestId": "R", "Code": "200", "Brand": "new"});
        let response: Response<Empty> = serde_json::from_value(body.clone()).expect("reads");
        assert_eq!(response.unknown_fields(), ["Brand"]);
        assert_eq!(serde_json::to_value(&response).expect("writes"), body);
    }
}
