//! How wire objects are declared: every field optional and lenient on input, unknown keys
//! kept, one canonical form on output.
//!
//! PTS and its SDKs are loose about JSON. Numbers sometimes arrive as text (`"10"`), `Code`
//! arrives as `"200"` or `200`, booleans as `"True"`, and unset lists as `[]`, `null` or not at
//! all (the Python SDK writes `[]` for every unset list of objects). The wire model must read all
//! of these, must not lose fields it does not know (the service adds fields over time, and the
//! emulator stores what clients send), and must write one stable form so that diffs and
//! fingerprints do not flicker.
//!
//! [`wire_object!`] declares such a struct. Every field gets the same serde attributes, routed
//! through the [`Field`] trait, which is implemented once per field shape:
//!
//! | field type | reads | writes |
//! |---|---|---|
//! | `Option<String>` | text, number or boolean (as text); `null` = unset | text, omitted when unset |
//! | `Option<i64>` | integer, integral float, or their text; `null`/`""` = unset | integer |
//! | `Option<f64>` | number or numeric text; `null`/`""` = unset | integer when integral, else float |
//! | `Option<bool>` | boolean or `true`/`false` text in any case | boolean |
//! | `Vec<T>` | array; `null` = empty | omitted when empty (PTS treats absent and `[]` alike) |
//! | `Option<T>` (objects, enums, free-form JSON) | the type's own form; `null` = unset | omitted when unset |
//!
//! plus `extra`, a flattened map holding every key the struct does not name, written back
//! verbatim. The only changes a round trip makes are therefore the normalisations in the table:
//! `[]` and `null` disappear, numeric text becomes a number, and `1.0` becomes `1`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use serde::de::{self, DeserializeOwned, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A free-form JSON object, as some PTS fields (`HostTable`, `SamplerMap`…) are typed.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// A value of the wire model that has its own JSON form: wire objects, wire enums, free-form
/// JSON. Knows which of its keys the model does not name, so callers can warn about API drift
/// (a client seeing new response fields, the emulator seeing a misspelt `SceneNmae`).
pub trait WireValue: Serialize + DeserializeOwned {
    /// Appends the path of every unknown key under `path` to `out`.
    fn collect_unknown(&self, _path: &str, _out: &mut Vec<String>) {}

    /// Paths of the keys the model does not name, e.g. `RelationList[0].ApiList[1].Foo`.
    fn unknown_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_unknown("", &mut out);
        out
    }
}

impl WireValue for JsonObject {}
impl WireValue for IndexMap<String, String> {}

/// One field shape of a wire object: how it reads, writes, and when it is left out. Used by the
/// serde attributes [`wire_object!`] puts on every field.
pub(crate) trait Field: Sized {
    /// Whether the field is left out of the JSON.
    fn is_unset(&self) -> bool;
    /// Reads the field leniently (see the module table).
    fn deserialize_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
    /// Writes the field in canonical form.
    fn serialize_field<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Forwards [`WireValue::collect_unknown`] into nested values.
    fn collect_unknown(&self, _path: &str, _out: &mut Vec<String>) {}
}

impl<T: WireValue> Field for Option<T> {
    fn is_unset(&self) -> bool {
        self.is_none()
    }
    fn deserialize_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer)
    }
    fn serialize_field<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        if let Some(value) = self {
            value.collect_unknown(path, out);
        }
    }
}

impl<T: WireValue> Field for Vec<T> {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
    fn deserialize_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
    }
    fn serialize_field<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        for (index, value) in self.iter().enumerate() {
            value.collect_unknown(&format!("{path}[{index}]"), out);
        }
    }
}

/// Lists of text (`Ips`, `DnsServers`, `RelatedScenes`…): elements read like `Option<String>`,
/// `null` elements dropped.
impl Field for Vec<String> {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
    fn deserialize_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Option::<Vec<Lenient<String>>>::deserialize(deserializer)?;
        Ok(items
            .into_iter()
            .flatten()
            .filter_map(|item| item.0)
            .collect())
    }
    fn serialize_field<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }
}

/// A JSON scalar as it arrived, before conversion to the field's type.
enum Raw<'a> {
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(Cow<'a, str>),
}

impl Raw<'_> {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Raw::Bool(b) => Unexpected::Bool(*b),
            Raw::Int(i) => match i64::try_from(*i) {
                Ok(i) => Unexpected::Signed(i),
                // Only u64 values above i64::MAX get here.
                Err(_) => Unexpected::Other("a large integer"),
            },
            Raw::Float(f) => Unexpected::Float(*f),
            Raw::Text(t) => Unexpected::Str(t),
        }
    }
}

/// A scalar field type and the leniency it allows.
trait Scalar: Sized + Serialize {
    /// For error messages: "expected …".
    const EXPECTING: &'static str;
    /// Whether blank text means "unset" (true for numbers and booleans, false for text).
    const BLANK_IS_UNSET: bool = true;
    /// Converts, or `None` when the raw value cannot be this type.
    fn from_raw(raw: &Raw<'_>) -> Option<Self>;
    /// Writes the canonical form.
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }
}

impl Scalar for String {
    const EXPECTING: &'static str = "text (or a number or boolean)";
    const BLANK_IS_UNSET: bool = false;
    fn from_raw(raw: &Raw<'_>) -> Option<Self> {
        Some(match raw {
            Raw::Bool(b) => b.to_string(),
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
            Raw::Text(t) => t.to_string(),
        })
    }
}

impl Scalar for i64 {
    const EXPECTING: &'static str = "an integer";
    fn from_raw(raw: &Raw<'_>) -> Option<Self> {
        match raw {
            Raw::Int(i) => i64::try_from(*i).ok(),
            Raw::Float(f) => integral(*f),
            Raw::Text(t) => {
                let t = t.trim();
                t.parse().ok().or_else(|| t.parse().ok().and_then(integral))
            }
            Raw::Bool(_) => None,
        }
    }
}

/// `f` as an integer when it has no fractional part and fits.
fn integral(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; every integral f64 strictly inside ±2^63 fits in i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && f > -LIMIT && f < LIMIT).then_some(f as i64)
}

impl Scalar for f64 {
    const EXPECTING: &'static str = "a number";
    fn from_raw(raw: &Raw<'_>) -> Option<Self> {
        match raw {
            Raw::Int(i) => Some(*i as f64),
            Raw::Float(f) => Some(*f),
            Raw::Text(t) => t.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            Raw::Bool(_) => None,
        }
    }
    /// Integral values are written as integers: the examples carry `"SuccessRateReq": 1`, and
    /// JSON has one number type, so `1` and `1.0` must not differ after a round trip.
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Beyond 2^53 an f64 no longer holds every integer; keep the float form there.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        match integral(*self) {
            Some(i) if self.abs() <= EXACT => serializer.serialize_i64(i),
            _ => serializer.serialize_f64(*self),
        }
    }
}

impl Scalar for bool {
    const EXPECTING: &'static str = "a boolean";
    fn from_raw(raw: &Raw<'_>) -> Option<Self> {
        match raw {
            Raw::Bool(b) => Some(*b),
            Raw::Text(t) if t.trim().eq_ignore_ascii_case("true") => Some(true),
            Raw::Text(t) if t.trim().eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

/// A scalar read leniently; `None` when unset.
struct Lenient<T>(Option<T>);

impl<'de, T: Scalar> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<T: Scalar> LenientVisitor<T> {
    fn convert<E: de::Error>(raw: Raw<'_>) -> Result<Lenient<T>, E> {
        if let Raw::Text(t) = &raw
            && T::BLANK_IS_UNSET
            && t.trim().is_empty()
        {
            return Ok(Lenient(None));
        }
        match T::from_raw(&raw) {
            Some(value) => Ok(Lenient(Some(value))),
            None => Err(E::invalid_value(raw.unexpected(), &T::EXPECTING)),
        }
    }
}

impl<'de, T: Scalar> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::convert(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::convert(Raw::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::convert(Raw::Int(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::convert(Raw::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::convert(Raw::Text(Cow::Borrowed(v)))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Self::convert(Raw::Text(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// `Option<scalar>` fields, for each [`Scalar`].
macro_rules! scalar_fields {
    ($($ty:ty),*) => {$(
        impl Field for Option<$ty> {
            fn is_unset(&self) -> bool {
                self.is_none()
            }
            fn deserialize_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Lenient::<$ty>::deserialize(deserializer)?.0)
            }
            fn serialize_field<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    Some(value) => value.write(serializer),
                    None => serializer.serialize_none(),
                }
            }
        }
    )*};
}
scalar_fields!(String, i64, f64, bool);

/// `path.key`, or `key` at the root.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Declares a wire object (see the module docs). Each field is written
/// `rust_name: Type = "WireName"`; the wire name is spelt out so that the wire shape can be
/// grepped. `extra` (unknown keys) is added, and [`WireValue`] implemented.
///
/// The `closed` form has no `extra` and no [`WireValue`]: it is only for the response
/// [`Envelope`](super::Envelope), which is flattened next to an action's own body, where the
/// body's `extra` must be the only catch-all (two would both take every unknown key).
macro_rules! wire_object {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $crate::wire::object::wire_object!(@struct [$(#[$meta])*] $name { $($fields)* } {
            /// Keys this version of ptsplan does not name, kept verbatim so that a round trip
            /// loses nothing.
            #[serde(flatten)]
            pub extra: $crate::wire::JsonObject,
        });
        $crate::wire::object::wire_object!(@unknown $name { $($fields)* });
    };
    ($(#[$meta:meta])* pub struct $name:ident closed { $($fields:tt)* }) => {
        $crate::wire::object::wire_object!(@struct [$(#[$meta])*] $name { $($fields)* } {});
    };
    (@struct [$($meta:tt)*] $name:ident {
        $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $wire:literal ),* $(,)?
    } { $($extra:tt)* }) => {
        $($meta)*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(
                    rename = $wire,
                    default,
                    skip_serializing_if = "crate::wire::object::Field::is_unset",
                    serialize_with = "crate::wire::object::Field::serialize_field",
                    deserialize_with = "crate::wire::object::Field::deserialize_field"
                )]
                pub $field: $ty,
            )*
            $($extra)*
        }
    };
    (@unknown $name:ident {
        $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $wire:literal ),* $(,)?
    }) => {
        impl $crate::wire::WireValue for $name {
            fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
                $(
                    $crate::wire::object::Field::collect_unknown(
                        &self.$field,
                        &$crate::wire::object::join(path, $wire),
                        out,
                    );
                )*
                out.extend(self.extra.keys().map(|key| $crate::wire::object::join(path, key)));
            }
        }
    };
}
pub(crate) use wire_object;

/// Declares a wire enum: the documented values as variants, written `Variant = "wire"`, plus
/// `Other(String)` so that values PTS adds later are kept and written back unchanged.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of ptsplan does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::from(text.as_str()))
            }
        }

        impl $crate::wire::WireValue for $name {}
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    wire_object! {
        /// Every field shape once.
        pub struct Sample {
            text: Option<String> = "Text",
            int: Option<i64> = "Int",
            num: Option<f64> = "Num",
            flag: Option<bool> = "Flag",
            texts: Vec<String> = "Texts",
            children: Vec<Sample> = "Children",
            child: Option<Box<Sample>> = "Child",
        }
    }
    impl WireValue for Box<Sample> {
        fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
            self.as_ref().collect_unknown(path, out);
        }
    }

    fn read(value: serde_json::Value) -> Sample {
        serde_json::from_value(value).expect("sample reads")
    }

    #[test]
    fn scalars_are_read_leniently_and_written_canonically() {
        let sample = read(json!({
            "Text": 200, "Int": "10", "Num": "0.5", "Flag": "True", "Texts": ["a", 1, null]
        }));
        assert_eq!(sample.text.as_deref(), Some("200"));
        assert_eq!(sample.int, Some(10));
        assert_eq!(sample.num, Some(0.5));
        assert_eq!(sample.flag, Some(true));
        assert_eq!(sample.texts, ["a", "1"]);
        assert_eq!(
            serde_json::to_value(&sample).expect("writes"),
            json!({"Text": "200", "Int": 10, "Num": 0.5, "Flag": true, "Texts": ["a", "1"]})
        );
    }

    #[test]
    fn integral_floats_are_written_as_integers() {
        let sample = read(json!({"Int": 7.0, "Num": 1.0}));
        assert_eq!(
            serde_json::to_value(&sample).expect("writes"),
            json!({"Int": 7, "Num": 1})
        );
        let big = read(json!({"Num": 1e300}));
        assert_eq!(
            serde_json::to_value(&big).expect("writes"),
            json!({"Num": 1e300})
        );
    }

    #[test]
    fn null_blank_and_empty_lists_mean_unset() {
        let sample = read(json!({
            "Text": null, "Int": "", "Num": " ", "Flag": null, "Texts": null, "Children": [],
            "Child": null
        }));
        assert_eq!(sample, Sample::default());
        assert_eq!(serde_json::to_value(&sample).expect("writes"), json!({}));
        // Blank text stays text.
        assert_eq!(read(json!({"Text": ""})).text.as_deref(), Some(""));
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        for bad in [
            json!({"Int": "ten"}),
            json!({"Int": 1.5}),
            json!({"Int": 18446744073709551615u64}),
            json!({"Num": true}),
            json!({"Num": "NaN"}),
            json!({"Flag": "yes"}),
            json!({"Flag": 1}),
            json!({"Text": {"a": 1}}),
            json!({"Texts": "a"}),
            json!({"Children": {}}),
        ] {
            let error = serde_json::from_value::<Sample>(bad.clone()).expect_err("rejected");
            assert!(!error.to_string().is_empty(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_are_kept_and_reported_with_their_path() {
        let input = json!({
            "Text": "t",
            "New": {"x": [1, 2]},
            "Children": [{"Int": 1}, {"Later": null}],
            "Child": {"Deep": true}
        });
        let sample = read(input.clone());
        assert_eq!(serde_json::to_value(&sample).expect("writes"), input);
        assert_eq!(
            sample.unknown_fields(),
            ["Children[1].Later", "Child.Deep", "New"]
        );
    }

    wire_enum! {
        /// Two values.
        pub enum Colour {
            /// Red.
            Red = "RED",
            /// Blue.
            Blue = "blue",
        }
    }

    #[test]
    fn enums_keep_unknown_values() {
        let values: Vec<Colour> =
            serde_json::from_value(json!(["RED", "blue", "Red", ""])).expect("reads");
        assert_eq!(
            values,
            [
                Colour::Red,
                Colour::Blue,
                Colour::Other("Red".into()),
                Colour::Other(String::new())
            ]
        );
        assert_eq!(
            serde_json::to_value(&values).expect("writes"),
            json!(["RED", "blue", "Red", ""])
        );
        assert_eq!(Colour::Blue.to_string(), "blue");
        assert!(serde_json::from_value::<Colour>(json!(1)).is_err());
    }
}
