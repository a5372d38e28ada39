//! Threshold assertions: `p99 < 300ms`, `success_rate >= 99.9%`, `rps >= 1000`.
//!
//! Parsed at validation time so a typo fails before any load is spent; the same parsed form
//! is what the run report judges.

use std::fmt;

use super::units::Duration;

/// A parsed assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    pub metric: Metric,
    pub op: Comparison,
    /// The bound in the metric's unit: milliseconds for latencies, a fraction (0..1) for
    /// rates, requests per second, or a count.
    pub bound: f64,
}

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A latency percentile, in thousandths (p99.9 → 999).
    Percentile(u16),
    AvgLatency,
    MinLatency,
    MaxLatency,
    /// Requests that passed (status and checks), as a fraction.
    SuccessRate,
    /// Requests that failed, as a fraction.
    ErrorRate,
    /// Average requests per second.
    Rps,
    /// Total requests.
    Requests,
    /// Failed requests (any cause).
    Errors,
    /// Requests whose checks failed.
    CheckFailures,
}

impl Metric {
    /// The unit the bound is written in.
    fn unit(self) -> Unit {
        match self {
            Metric::Percentile(_)
            | Metric::AvgLatency
            | Metric::MinLatency
            | Metric::MaxLatency => Unit::Latency,
            Metric::SuccessRate | Metric::ErrorRate => Unit::Percent,
            Metric::Rps | Metric::Requests | Metric::Errors | Metric::CheckFailures => Unit::Number,
        }
    }

    /// A value of this metric as thresholds write it: `300ms`, `99.9%`, `1000`.
    pub fn show(self, value: f64) -> String {
        match self.unit() {
            Unit::Latency => format!("{}ms", trim(value)),
            Unit::Percent => format!("{}%", trim(value * 100.0)),
            Unit::Number => trim(value),
        }
    }

    /// All metric names, for messages and suggestions.
    pub const NAMES: [&'static str; 15] = [
        "p50",
        "p75",
        "p90",
        "p95",
        "p99",
        "p99.9",
        "avg",
        "min",
        "max",
        "success_rate",
        "error_rate",
        "rps",
        "requests",
        "errors",
        "check_failures",
    ];

    fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "p50" => Metric::Percentile(500),
            "p75" => Metric::Percentile(750),
            "p90" => Metric::Percentile(900),
            "p95" => Metric::Percentile(950),
            "p99" => Metric::Percentile(990),
            "p99.9" | "p999" => Metric::Percentile(999),
            "avg" => Metric::AvgLatency,
            "min" => Metric::MinLatency,
            "max" => Metric::MaxLatency,
            "success_rate" => Metric::SuccessRate,
            "error_rate" => Metric::ErrorRate,
            "rps" => Metric::Rps,
            "requests" => Metric::Requests,
            "errors" => Metric::Errors,
            "check_failures" => Metric::CheckFailures,
            _ => return None,
        })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Percentile(999) => f.write_str("p99.9"),
            Metric::Percentile(p) => write!(f, "p{}", p / 10),
            Metric::AvgLatency => f.write_str("avg"),
            Metric::MinLatency => f.write_str("min"),
            Metric::MaxLatency => f.write_str("max"),
            Metric::SuccessRate => f.write_str("success_rate"),
            Metric::ErrorRate => f.write_str("error_rate"),
            Metric::Rps => f.write_str("rps"),
            Metric::Requests => f.write_str("requests"),
            Metric::Errors => f.write_str("errors"),
            Metric::CheckFailures => f.write_str("check_failures"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Latency,
    Percent,
    Number,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl Comparison {
    /// Whether `value op bound` holds.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Comparison::Lt => value < bound,
            Comparison::Le => value <= bound,
            Comparison::Gt => value > bound,
            Comparison::Ge => value >= bound,
            Comparison::Eq => value == bound,
        }
    }

    /// How the operator is written: `<`, `<=`, `>`, `>=`, `==`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Eq => "==",
        }
    }
}

/// A number with at most two decimals and no trailing zeros (`99.9`, `300`, `12.35`).
fn trim(value: f64) -> String {
    let text = format!("{:.2}", (value * 100.0).round() / 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = self.metric.show(self.bound);
        write!(f, "{} {} {bound}", self.metric, self.op.symbol())
    }
}

/// Parses `METRIC OP VALUE`; the error says what was expected.
pub fn parse(text: &str) -> Result<Assertion, String> {
    let text = text.trim();
    let op_at = text.find(['<', '>', '=']).ok_or_else(|| {
        format!("`{text}` has no comparison; expected `METRIC OP VALUE`, like `p99 < 300ms`")
    })?;
    let name = text[..op_at].trim();
    let rest = &text[op_at..];
    let (op, value) = [
        ("<=", Comparison::Le),
        (">=", Comparison::Ge),
        ("==", Comparison::Eq),
        ("<", Comparison::Lt),
        (">", Comparison::Gt),
    ]
    .into_iter()
    .find_map(|(sym, op)| rest.strip_prefix(sym).map(|v| (op, v.trim())))
    .ok_or_else(|| format!("`{rest}` is not a comparison; use <, <=, >, >= or =="))?;
    let metric = Metric::parse(name).ok_or_else(|| {
        let known = Metric::NAMES.join(", ");
        match crate::diag::did_you_mean(name, Metric::NAMES) {
            Some(guess) => {
                format!("unknown metric `{name}`; did you mean `{guess}`? (known: {known})")
            }
            None => format!("unknown metric `{name}`; known: {known}"),
        }
    })?;
    let bound = match metric.unit() {
        Unit::Latency => Duration::parse(value)
            .map(|d| d.as_millis() as f64)
            .map_err(|_| {
                format!("{metric} is a latency: write the bound with a unit, like `300ms` or `1s`")
            })?,
        Unit::Percent => {
            let number = value
                .strip_suffix('%')
                .and_then(|n| n.trim().parse::<f64>().ok())
                .filter(|n| (0.0..=100.0).contains(n))
                .ok_or_else(|| {
                    format!("{metric} is a percentage: write it like `99.9%` (0% to 100%)")
                })?;
            number / 100.0
        }
        Unit::Number => value
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| format!("{metric} is a count: write a plain number, like `1000`"))?,
    };
    Ok(Assertion { metric, op, bound })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms_parse() {
        let a = parse("p99 < 300ms").unwrap();
        assert_eq!(
            (a.metric, a.op, a.bound),
            (Metric::Percentile(990), Comparison::Lt, 300.0)
        );
        let a = parse("success_rate >= 99.9%").unwrap();
        assert!((a.bound - 0.999).abs() < 1e-9);
        let a = parse("rps>=1000").unwrap();
        assert_eq!(a.bound, 1000.0);
        assert_eq!(parse("p99.9 <= 1s").unwrap().to_string(), "p99.9 <= 1000ms");
    }

    #[test]
    fn mistakes_explain_the_expected_form() {
        assert!(parse("p99 300ms").unwrap_err().contains("no comparison"));
        assert!(parse("p98 < 1s").unwrap_err().contains("did you mean"));
        assert!(parse("p99 < 300").unwrap_err().contains("unit"));
        assert!(parse("success_rate > 0.99").unwrap_err().contains("%"));
        assert!(parse("rps > lots").unwrap_err().contains("plain number"));
    }
}
