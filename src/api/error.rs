//! What can go wrong with a call, typed so that callers can act on it: an API error carries
//! PTS's code; a mutation whose fate is unknown says so, so that apply resolves it by reading
//! instead of sending it again.

use std::time::Duration;

use crate::diag::Diagnostic;

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The service answered with an error (HTTP 4xx/5xx, or 200 with `"Success": false`).
    #[error("{action} failed: {code}{} (HTTP {http_status}{})", message_suffix(message), request_id_suffix(request_id.as_deref()))]
    Api {
        /// The action called.
        action: &'static str,
        /// PTS's error code, e.g. `SignatureDoesNotMatch`.
        code: String,
        /// PTS's message.
        message: String,
        /// The service's request id, for support tickets.
        request_id: Option<String>,
        /// The HTTP status (the one in the body when PTS repeats it there).
        http_status: u16,
        /// `x-acs-retry-after`: how long the service asks the caller to wait.
        retry_after: Option<Duration>,
    },
    /// A mutation was sent (or may have been) but no answer came back: it may or may not
    /// have taken effect. Never retried blindly; read the live state to find out.
    #[error("{action}: outcome unknown, the request may have been applied ({cause})")]
    OutcomeUnknown {
        /// The mutating action.
        action: &'static str,
        /// Timeout, dropped connection…
        cause: String,
    },
    /// A read-only call was sent but no complete answer came back (timeout, dropped
    /// connection). Harmless to repeat.
    #[error("{action}: no answer ({cause})")]
    Interrupted {
        /// The read-only action.
        action: &'static str,
        /// Timeout, dropped connection…
        cause: String,
    },
    /// The request could not be sent at all (connection refused, DNS, TLS handshake): nothing
    /// reached the service, so any action may be retried.
    #[error("{action}: cannot reach {endpoint}: {cause}")]
    Transport {
        /// The action.
        action: &'static str,
        /// Where it was going.
        endpoint: String,
        /// Why it failed.
        cause: String,
    },
    /// An answer arrived but is not a PTS answer (HTML error page, empty or garbled body).
    #[error("{action}: unreadable answer (HTTP {http_status}): {reason}")]
    Decode {
        /// The action.
        action: &'static str,
        /// The HTTP status.
        http_status: u16,
        /// What is wrong, with the start of the body.
        reason: String,
    },
}

fn message_suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn request_id_suffix(request_id: Option<&str>) -> String {
    request_id.map_or_else(String::new, |id| format!(", request id {id}"))
}

impl ApiError {
    /// The PTS error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status of the answer, if one arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Api { http_status, .. } | Self::Decode { http_status, .. } => Some(*http_status),
            _ => None,
        }
    }

    /// Whether the service asks to slow down (`Throttling`, `Throttling.User`, …).
    pub fn is_throttling(&self) -> bool {
        self.code()
            .is_some_and(|code| code.starts_with("Throttling"))
    }

    /// The error as a diagnostic, with a hint per common code. `credential_source` names
    /// where the key came from (for `InvalidAccessKeyId.*`).
    pub fn to_diagnostic(&self, credential_source: Option<&str>) -> Diagnostic {
        let (code, help) = match self {
            Self::Api { code, .. } => ("api::error", api_hint(code, credential_source)),
            Self::OutcomeUnknown { .. } => (
                "api::outcome-unknown",
                Some(
                    "the change may or may not have been made: read the live state (e.g. \
                     `ptsplan scenes list`) before retrying"
                        .to_owned(),
                ),
            ),
            Self::Interrupted { .. } => (
                "api::interrupted",
                Some("the service did not answer in time; retry later".to_owned()),
            ),
            Self::Transport { .. } => (
                "api::transport",
                Some(
                    "check the endpoint (--endpoint, PTSPLAN_ENDPOINT, [backend] endpoint) and \
                     the network"
                        .to_owned(),
                ),
            ),
            Self::Decode { .. } => (
                "api::decode",
                Some(
                    "the endpoint did not answer like PTS; check that it points to a PTS \
                     OpenAPI server"
                        .to_owned(),
                ),
            ),
        };
        let diagnostic = Diagnostic::error(code, self.to_string());
        match help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    }
}

/// The hint for a PTS error code, if the code is a common one.
fn api_hint(code: &str, credential_source: Option<&str>) -> Option<String> {
    let from = credential_source.map_or_else(String::new, |source| format!(" (from {source})"));
    let hint = match code {
        "SignatureDoesNotMatch" | "IncompleteSignature" => format!(
            "the signature was refused: check the access key secret{from}, and that this \
             machine's clock is right (signatures carry the time)"
        ),
        code if code.starts_with("InvalidAccessKeyId") => format!(
            "the access key id{from} is unknown to the service or disabled; check which \
             credentials source is in effect (see docs/configuration.md#credentials)"
        ),
        "InvalidTimeStamp.Expired" => "the request time is more than 15 minutes off the \
             service's: synchronise this machine's clock (e.g. with NTP)"
            .to_owned(),
        "SignatureNonceUsed" => "the service saw this request's nonce before (a replay or a \
             proxy resending it); retry the command"
            .to_owned(),
        code if code.starts_with("Throttling") => "the service is throttling this account: \
             lower [backend] parallelism or rate_limit in ptsplan.toml, or retry later"
            .to_owned(),
        "MissingParameter" | "InvalidParameter" => "the request was refused as malformed; \
             this is likely a ptsplan bug or an API change — please report it with the \
             request id"
            .to_owned(),
        "JMeterNotSupported" => "the local backend runs JMeter scenes only with Apache \
             JMeter installed (docs/jmeter.md); install it, or set PTS credentials \
             (docs/backends.md) and run the scene on PTS"
            .to_owned(),
        "Forbidden.RAM" => {
            format!("the RAM user{from} lacks permission for this action; grant it a PTS policy")
        }
        _ => return None,
    };
    Some(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> ApiError {
        ApiError::Api {
            action: "ListPtsScene",
            code: code.into(),
            message: "m".into(),
            request_id: Some("R1".into()),
            http_status: 400,
            retry_after: None,
        }
    }

    #[test]
    fn messages_carry_code_status_and_request_id() {
        assert_eq!(
            api("SignatureDoesNotMatch").to_string(),
            "ListPtsScene failed: SignatureDoesNotMatch: m (HTTP 400, request id R1)"
        );
    }

    #[test]
    fn hints_per_code() {
        let source = Some("environment ALICLOUD_ACCESS_KEY_ID");
        let hint = |code: &str| api(code).to_diagnostic(source).help.unwrap_or_default();
        assert!(hint("SignatureDoesNotMatch").contains("clock"));
        assert!(hint("SignatureDoesNotMatch").contains("secret"));
        assert!(hint("InvalidAccessKeyId.NotFound").contains("environment ALICLOUD_ACCESS_KEY_ID"));
        assert!(hint("InvalidTimeStamp.Expired").contains("15 minutes"));
        assert!(hint("Throttling.User").contains("parallelism"));
        assert!(hint("SignatureNonceUsed").contains("nonce"));
        assert!(hint("MissingParameter").contains("request id"));
        assert_eq!(api("ListPtsSceneFail").to_diagnostic(source).help, None);
        let unknown = ApiError::OutcomeUnknown {
            action: "SavePtsScene",
            cause: "timeout".into(),
        };
        let diagnostic = unknown.to_diagnostic(None);
        assert_eq!(diagnostic.code, "api::outcome-unknown");
        assert!(
            diagnostic
                .help
                .unwrap_or_default()
                .contains("read the live state")
        );
    }

    #[test]
    fn throttling_codes() {
        assert!(api("Throttling").is_throttling());
        assert!(api("Throttling.User").is_throttling());
        assert!(!api("InvalidParameter").is_throttling());
    }
}
