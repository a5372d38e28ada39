//! Units written as text in plan files: durations (`90s`, `30m`, `1h30m`) and timestamps.
//!
//! Both keep the text the user wrote so that plans round-trip through import and reproduce
//! without reformatting, and both are strings in the JSON Schema with a pattern, so editors
//! flag `90` (no unit) as the user types.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The regular expression durations must match (also published in the JSON Schema).
pub const DURATION_PATTERN: &str = r"^([0-9]+(ms|s|m|h|d))+$";

/// A length of time written with units: `500ms`, `90s`, `30m`, `24h`, `2d`, `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    millis: u64,
}

impl Duration {
    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration { millis }
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration {
            millis: secs.saturating_mul(1000),
        }
    }

    /// A duration of `mins` minutes.
    pub const fn from_mins(mins: u64) -> Self {
        Duration::from_secs(mins.saturating_mul(60))
    }

    /// Whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Seconds, as a float for rate arithmetic.
    pub fn as_secs_f64(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// Whether the duration is a whole number of `unit`s.
    pub const fn is_multiple_of(self, unit: Duration) -> bool {
        unit.millis != 0 && self.millis % unit.millis == 0
    }

    /// Parses `90s`, `1h30m`, …; the error says what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let expected = || {
            format!(
                "`{text}` is not a duration; expected a number and a unit (ms, s, m, h, d), like `90s`, `30m` or `1h30m`"
            )
        };
        if text.is_empty() {
            return Err(expected());
        }
        let mut millis: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                return Err(expected());
            }
            let number: u64 = rest[..digits].parse().map_err(|_| expected())?;
            rest = &rest[digits..];
            let (unit, len) = if rest.starts_with("ms") {
                (1, 2)
            } else if rest.starts_with('s') {
                (1_000, 1)
            } else if rest.starts_with('m') {
                (60_000, 1)
            } else if rest.starts_with('h') {
                (3_600_000, 1)
            } else if rest.starts_with('d') {
                (86_400_000, 1)
            } else {
                return Err(expected());
            };
            rest = &rest[len..];
            millis = number
                .checked_mul(unit)
                .and_then(|m| millis.checked_add(m))
                .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        }
        Ok(Duration { millis })
    }
}

impl std::ops::Add for Duration {
    type Output = Duration;
    fn add(self, other: Duration) -> Duration {
        Duration::from_millis(self.millis.saturating_add(other.millis))
    }
}

impl std::ops::Mul<u64> for Duration {
    type Output = Duration;
    fn mul(self, n: u64) -> Duration {
        Duration::from_millis(self.millis.saturating_mul(n))
    }
}

impl fmt::Display for Duration {
    /// The shortest exact spelling in hours and smaller units, as plans are written:
    /// `90s` → `1m30s`, `7200s` → `2h`, `2d` → `48h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let units = [(3_600_000, "h"), (60_000, "m"), (1_000, "s"), (1, "ms")];
        let mut rest = self.millis;
        for (size, name) in units {
            if rest >= size {
                write!(f, "{}{name}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration with units: ms, s, m, h, d (e.g. `90s`, `30m`, `1h30m`).",
            "examples": ["90s", "30m", "24h"]
        })
    }
}

/// An instant written in RFC 3339 (`2026-12-01T00:00:00Z`, `2026-12-01T08:00:00+08:00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp(pub jiff::Timestamp);

impl Timestamp {
    /// Parses RFC 3339 text; the error says what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.parse::<jiff::Timestamp>().map(Timestamp).map_err(|_| {
            format!("`{text}` is not a timestamp; expected RFC 3339 with a zone, like `2026-12-01T00:00:00Z` or `2026-12-01T08:00:00+08:00`")
        })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An RFC 3339 timestamp with a zone, e.g. `2026-12-01T00:00:00Z`."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print_in_shortest_form() {
        for (text, millis, shown) in [
            ("90s", 90_000, "1m30s"),
            ("30m", 1_800_000, "30m"),
            ("24h", 86_400_000, "24h"),
            ("2d", 172_800_000, "48h"),
            ("1h30m", 5_400_000, "1h30m"),
            ("250ms", 250, "250ms"),
            ("0s", 0, "0s"),
        ] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.as_millis(), millis, "{text}");
            assert_eq!(d.to_string(), shown, "{text}");
        }
    }

    #[test]
    fn malformed_durations_are_rejected_with_the_expected_form() {
        for text in [
            "",
            "90",
            "s",
            "1.5h",
            "10 m",
            "5x",
            "-1s",
            "99999999999999999999d",
        ] {
            let err = Duration::parse(text).unwrap_err();
            assert!(err.contains(text), "{err}");
        }
    }

    #[test]
    fn pattern_agrees_with_parser() {
        let re = regex::Regex::new(DURATION_PATTERN).unwrap();
        for text in ["90s", "1h30m", "250ms", "2d", "90", "1.5h", "m5"] {
            assert_eq!(re.is_match(text), Duration::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn timestamps_need_a_zone() {
        assert!(Timestamp::parse("2026-12-01T00:00:00Z").is_ok());
        assert!(Timestamp::parse("2026-12-01T08:00:00+08:00").is_ok());
        assert!(Timestamp::parse("2026-12-01").is_err());
    }
}
