//! Requests as PTS receives them: a flat list of `name=value` text parameters, and the
//! [`Action`] trait that turns each request type into that list and back.
//!
//! Encoding rules (reference §1): integers as decimal text, booleans `true`/`false` (parsed in
//! any case, since the Python SDK writes `True`), objects and arrays as ONE parameter holding
//! compact JSON text. Parameters travel in the query string except for the two actions whose
//! parameters the SDK puts in an `application/x-www-form-urlencoded` body (`ModifyPtsScene`,
//! `ListPtsReports`); [`Location`] records that for the client. Parsing ignores the location,
//! because other SDKs move parameters and the emulator merges query and body first.
//!
//! Parsing never panics: a missing required parameter is [`ParamError::Missing`], a value that
//! does not parse is [`ParamError::Invalid`], both naming the parameter, as the gateway's
//! `MissingParameter`/`InvalidParameter` do.

use super::envelope::ErrorBody;
use super::object::WireValue;

/// A PTS action: its wire name, its answer, and its parameters both ways.
pub trait Action: Sized {
    /// The wire name (`Action` parameter / `x-acs-action` header), e.g. `ListPtsScene`.
    const ACTION: &'static str;
    /// The action's own answer fields; the whole answer is
    /// [`Response<Self::Output>`](super::Response).
    type Output: WireValue + Default;
    /// The parameters to send, with where the official SDK places each.
    fn to_params(&self) -> Params;
    /// Reads the request back from received parameters (query and body merged).
    fn from_params(params: &Params) -> Result<Self, ParamError>;
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// The URL query string.
    Query,
    /// The `application/x-www-form-urlencoded` request body.
    Body,
}

/// One request parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Wire name, e.g. `PageSize`.
    pub name: String,
    /// Text value (already JSON for JSON-encoded parameters), not URL-encoded.
    pub value: String,
    /// Where it travels.
    pub location: Location,
}

/// The flat parameter list of one request, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<Param>);

impl Params {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a parameter (the emulator adds the decoded query, then the decoded body).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>, location: Location) {
        self.0.push(Param {
            name: name.into(),
            value: value.into(),
            location,
        });
    }

    /// The value of the first parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|param| param.name == name)
            .map(|param| param.value.as_str())
    }

    /// All parameters.
    pub fn iter(&self) -> std::slice::Iter<'_, Param> {
        self.0.iter()
    }

    /// `(name, value)` of the parameters that travel in `location`.
    pub fn pairs(&self, location: Location) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .filter(move |param| param.location == location)
            .map(|param| (param.name.as_str(), param.value.as_str()))
    }

    /// The set fields of a request, all in `location`.
    pub(crate) fn from_fields<const N: usize>(
        location: Location,
        fields: [(&str, Option<String>); N],
    ) -> Self {
        let mut params = Self::new();
        for (name, value) in fields {
            if let Some(value) = value {
                params.push(name, value, location);
            }
        }
        params
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = &'a Param;
    type IntoIter = std::slice::Iter<'a, Param>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A request parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A required parameter is absent (gateway code `MissingParameter`).
    #[error(
        "The input parameter \"{0}\" that is mandatory for processing this request is not supplied."
    )]
    Missing(&'static str),
    /// A parameter's value does not parse (gateway code `InvalidParameter`).
    #[error("The specified parameter \"{name}\" is not valid: {reason}")]
    Invalid {
        /// Wire name of the parameter.
        name: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
}

impl ParamError {
    /// The gateway error code: `MissingParameter` or `InvalidParameter`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) => "MissingParameter",
            Self::Invalid { .. } => "InvalidParameter",
        }
    }

    /// Wire name of the parameter at fault.
    pub fn parameter(&self) -> &'static str {
        match self {
            Self::Missing(name) | Self::Invalid { name, .. } => name,
        }
    }
}

/// The answer the gateway gives: HTTP 400 with the code and message.
impl From<ParamError> for ErrorBody {
    fn from(error: ParamError) -> Self {
        ErrorBody::new(error.code(), error.to_string(), 400)
    }
}

/// How one request field is written as a parameter value and read back. Required fields use
/// the type itself, optional ones `Option<T>`, so requiredness follows from the field type.
pub(crate) trait ParamValue: Sized {
    /// The text to send, or `None` to leave the parameter out.
    fn encode(&self) -> Option<String>;
    /// Reads the parameter `name`, whose received text is `raw` (`None` when absent).
    fn decode(name: &'static str, raw: Option<&str>) -> Result<Self, ParamError>;
}

/// Reads a required value.
fn required<T>(
    name: &'static str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ParamError> {
    let raw = raw.ok_or(ParamError::Missing(name))?;
    parse(raw).map_err(|reason| ParamError::Invalid { name, reason })
}

impl ParamValue for String {
    fn encode(&self) -> Option<String> {
        Some(self.clone())
    }
    fn decode(name: &'static str, raw: Option<&str>) -> Result<Self, ParamError> {
        required(name, raw, |text| Ok(text.to_owned()))
    }
}

impl ParamValue for i64 {
    fn encode(&self) -> Option<String> {
        Some(self.to_string())
    }
    fn decode(name: &'static str, raw: Option<&str>) -> Result<Self, ParamError> {
        required(name, raw, |text| {
            text.trim()
                .parse()
                .map_err(|_| format!("expected an integer, got {text:?}"))
        })
    }
}

impl ParamValue for bool {
    fn encode(&self) -> Option<String> {
        Some(self.to_string())
    }
    fn decode(name: &'static str, raw: Option<&str>) -> Result<Self, ParamError> {
        required(name, raw, |text| match text.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(true),
            t if t.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(format!("expected true or false, got {text:?}")),
        })
    }
}

impl<T: ParamValue> ParamValue for Option<T> {
    fn encode(&self) -> Option<String> {
        self.as_ref().and_then(T::encode)
    }
    fn decode(name: &'static str, raw: Option<&str>) -> Result<Self, ParamError> {
        raw.map(|raw| T::decode(name, Some(raw))).transpose()
    }
}

/// Writes `value` as compact JSON text, the form of PTS's JSON-encoded parameters.
pub(crate) fn json_text<T: serde::Serialize>(value: &T) -> String {
    // Wire types serialize infallibly: string keys only, and no Serialize impl that errors.
    serde_json::to_string(value).expect("wire types serialize to JSON")
}

/// Reads a JSON-encoded parameter.
pub(crate) fn from_json_text<T: serde::de::DeserializeOwned>(
    name: &'static str,
    raw: Option<&str>,
) -> Result<T, ParamError> {
    required(name, raw, |text| {
        serde_json::from_str(text).map_err(|error| format!("expected JSON text: {error}"))
    })
}

/// Makes types travel as one JSON-encoded parameter.
macro_rules! json_param {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::wire::params::ParamValue for $ty {
            fn encode(&self) -> Option<String> {
                Some($crate::wire::params::json_text(self))
            }
            fn decode(
                name: &'static str,
                raw: Option<&str>,
            ) -> Result<Self, $crate::wire::params::ParamError> {
                $crate::wire::params::from_json_text(name, raw)
            }
        }
    )*};
}
pub(crate) use json_param;

json_param!(Vec<String>, serde_json::Value);

/// Declares a request type and its [`Action`] impl. The struct is named after the action;
/// each field is written `rust_name: Type = "WireName"` (`Option<T>` = optional); `in Query` or
/// `in Body` says where the SDK sends the parameters; `-> Output` names the answer's fields.
macro_rules! wire_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $location:ident -> $output:ty {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::wire::Action for $name {
            const ACTION: &'static str = stringify!($name);
            type Output = $output;

            fn to_params(&self) -> $crate::wire::Params {
                $crate::wire::Params::from_fields(
                    $crate::wire::Location::$location,
                    [$( ($wire, $crate::wire::params::ParamValue::encode(&self.$field)) ),*],
                )
            }

            #[allow(unused_variables, reason = "requests without parameters")]
            fn from_params(
                params: &$crate::wire::Params,
            ) -> Result<Self, $crate::wire::ParamError> {
                Ok(Self {
                    $( $field: $crate::wire::params::ParamValue::decode($wire, params.get($wire))?, )*
                })
            }
        }
    };
}
pub(crate) use wire_request;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Empty;

    wire_request! {
        /// Every parameter shape once.
        pub struct Probe in Query -> Empty {
            /// Required text.
            id: String = "Id",
            /// Optional integer.
            page: Option<i64> = "Page",
            /// Optional boolean.
            flag: Option<bool> = "Flag",
            /// Required JSON list.
            ids: Vec<String> = "Ids",
        }
    }

    fn received(pairs: &[(&str, &str)]) -> Params {
        let mut params = Params::new();
        for (name, value) in pairs {
            params.push(*name, *value, Location::Query);
        }
        params
    }

    #[test]
    fn writes_set_fields_only_with_json_for_lists() {
        let probe = Probe {
            id: "S 1".into(),
            flag: Some(true),
            ids: vec!["A1".into(), "B 2".into()],
            ..Probe::default()
        };
        let params = probe.to_params();
        let pairs: Vec<_> = params.pairs(Location::Query).collect();
        assert_eq!(
            pairs,
            [("Id", "S 1"), ("Flag", "true"), ("Ids", r#"["A1","B 2"]"#)]
        );
        assert_eq!(params.pairs(Location::Body).count(), 0);
        assert_eq!(Probe::from_params(&params), Ok(probe));
        assert_eq!(Probe::ACTION, "Probe");
    }

    #[test]
    fn reads_python_sdk_spellings_and_ignores_common_parameters() {
        let params = received(&[
            ("Action", "Probe"),
            ("Signature", "x"),
            ("Id", "S1"),
            ("Page", "2"),
            ("Flag", "False"),
            ("Ids", "[]"),
        ]);
        let probe = Probe::from_params(&params).expect("reads");
        assert_eq!(probe.page, Some(2));
        assert_eq!(probe.flag, Some(false));
        assert!(probe.ids.is_empty());
    }

    #[test]
    fn errors_name_the_parameter() {
        let missing = Probe::from_params(&received(&[("Ids", "[]")])).expect_err("missing");
        assert_eq!(missing, ParamError::Missing("Id"));
        assert_eq!(missing.code(), "MissingParameter");
        assert_eq!(
            missing.to_string(),
            "The input parameter \"Id\" that is mandatory for processing this request is not supplied."
        );

        for (name, bad) in [
            ("Page", "ten"),
            ("Flag", "yes"),
            ("Ids", "[1,"),
            ("Ids", "{}"),
        ] {
            let mut params = received(&[("Id", "S1"), ("Ids", "[]")]);
            // The first occurrence wins, so put the bad value in front.
            params.0.insert(
                0,
                Param {
                    name: name.into(),
                    value: bad.into(),
                    location: Location::Body,
                },
            );
            let error = Probe::from_params(&params).expect_err("invalid");
            assert_eq!(error.parameter(), name);
            assert_eq!(error.code(), "InvalidParameter", "{error}");
        }
    }

    #[test]
    fn errors_become_gateway_error_bodies() {
        let body = ErrorBody::from(ParamError::Missing("SceneId"));
        assert_eq!(body.code(), Some("MissingParameter"));
        assert_eq!(body.http_status_code, Some(400));
        assert_eq!(body.success, Some(false));
    }
}
