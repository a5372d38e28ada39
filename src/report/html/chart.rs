//! Charts as inline SVG, drawn in Rust: they show with scripts off and fetch nothing.
//!
//! One drawing routine serves every chart: a time axis in seconds, a value axis from zero
//! to a round number, and each series as a line or as bars.

use std::fmt::Write;

use super::escape;

/// Size of a chart's drawing (SVG user units; the page scales it to its column).
const WIDTH: f64 = 440.0;
const HEIGHT: f64 = 210.0;
/// Margins around the plotting area: room for the title, legend and tick labels.
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 30.0;

/// Horizontal grid lines above zero: five for a ceiling of 5 × 10ⁿ (ticks at 1, 2, 3…),
/// four otherwise (ticks at 0.25, 0.5… of 1, 2 or 10 × 10ⁿ), so that labels stay round.
fn y_ticks(ceiling: f64) -> u32 {
    let mantissa = ceiling / 10f64.powf(ceiling.log10().floor());
    if (mantissa - 5.0).abs() < 1e-9 { 5 } else { 4 }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lines,
    Bars,
}

/// One named series of (seconds, value) points; points whose value is not finite (NaN:
/// nothing measured) are left out.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    /// A CSS colour (from this module's callers, never from user input).
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// A chart to draw.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    /// The SVG element's id (ASCII, chosen by the caller).
    pub id: String,
    pub title: &'a str,
    /// Unit of the values, shown after the title (`ms`, `req/s`).
    pub unit: &'a str,
    pub kind: Kind,
    pub series: Vec<Series>,
}

/// A finite value, or zero: figures from a run may be NaN when nothing was measured.
fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `v` (1 for nothing to show).
pub fn nice_ceiling(v: f64) -> f64 {
    let v = finite(v);
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    let scaled = v / magnitude;
    let nice = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|n| scaled <= *n + 1e-9)
        .unwrap_or(10.0);
    nice * magnitude
}

/// A tick label: whole numbers plainly, small values with a decimal or two.
fn label(v: f64) -> String {
    if v >= 10.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

impl Chart<'_> {
    /// The chart as an `<svg>` element, over time (ticks in seconds).
    pub fn render(&self) -> String {
        self.render_over("s")
    }

    /// The chart as an `<svg>` element, the horizontal axis in `x_unit` (a tick suffix:
    /// `s` for time, empty for load levels).
    pub fn render_over(&self, x_unit: &str) -> String {
        let x_max = self
            .series
            .iter()
            .flat_map(|s| &s.points)
            .map(|p| finite(p.0))
            .fold(0.0, f64::max)
            .max(1.0);
        let y_max = nice_ceiling(
            self.series
                .iter()
                .flat_map(|s| &s.points)
                .map(|p| finite(p.1))
                .fold(0.0, f64::max),
        );
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let x = |t: f64| LEFT + finite(t).clamp(0.0, x_max) / x_max * plot_w;
        let y = |v: f64| TOP + plot_h - finite(v).clamp(0.0, y_max) / y_max * plot_h;

        let mut svg = String::new();
        let title = escape(self.title);
        let _ = write!(
            svg,
            r#"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{title} ({unit})</title>"#,
            id = self.id,
            unit = escape(self.unit),
        );
        let _ = write!(
            svg,
            r#"<text class="chart-title" x="{LEFT}" y="16">{title} <tspan class="unit">{}</tspan></text>"#,
            escape(self.unit)
        );
        // Legend, left to right under the title.
        let mut legend_x = LEFT;
        for series in &self.series {
            let _ = write!(
                svg,
                r#"<rect x="{legend_x:.1}" y="24" width="10" height="10" fill="{c}"/><text class="legend" x="{:.1}" y="33">{}</text>"#,
                legend_x + 14.0,
                escape(&series.label),
                c = series.color,
            );
            legend_x += 24.0 + 7.0 * series.label.chars().count() as f64;
        }
        // Value grid and labels.
        let ticks = y_ticks(y_max);
        for i in 0..=ticks {
            let v = y_max * f64::from(i) / f64::from(ticks);
            let py = y(v);
            let _ = write!(
                svg,
                r#"<line class="grid" x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT + plot_w,
                LEFT - 6.0,
                py + 4.0,
                label(v)
            );
        }
        // Time axis: about five ticks at a round number of seconds.
        let step = nice_ceiling(x_max / 5.0).max(1.0);
        let mut t = 0.0;
        while t <= x_max + 1e-9 {
            let _ = write!(
                svg,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}{}</text>"#,
                x(t),
                HEIGHT - BOTTOM + 16.0,
                label(t),
                escape(x_unit)
            );
            t += step;
        }
        let _ = write!(
            svg,
            r#"<line class="axis" x1="{LEFT}" y1="{b:.1}" x2="{:.1}" y2="{b:.1}"/>"#,
            LEFT + plot_w,
            b = TOP + plot_h
        );
        for series in &self.series {
            match self.kind {
                Kind::Lines => draw_line(&mut svg, series, &x, &y),
                Kind::Bars => {
                    let slots = series.points.len().max(1) as f64;
                    let width = (plot_w / slots * 0.7).clamp(1.0, 24.0);
                    for &(t, v) in series.points.iter().filter(|p| p.1.is_finite()) {
                        let top = y(v);
                        let _ = write!(
                            svg,
                            r#"<rect class="bar" x="{:.1}" y="{top:.1}" width="{width:.1}" height="{:.1}" fill="{}"/>"#,
                            x(t) - width / 2.0,
                            TOP + plot_h - top,
                            series.color
                        );
                    }
                }
            }
        }
        svg.push_str("</svg>");
        svg
    }
}

/// Draws a series as lines, broken where a value is missing (a second with nothing
/// measured), and a dot for a point standing alone.
fn draw_line(svg: &mut String, series: &Series, x: &impl Fn(f64) -> f64, y: &impl Fn(f64) -> f64) {
    for segment in series.points.split(|p| !p.1.is_finite()) {
        match segment {
            [] => {}
            [(t, v)] => {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                    x(*t),
                    y(*v),
                    series.color
                );
            }
            points => {
                let points: Vec<String> = points
                    .iter()
                    .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
                    .collect();
                let _ = write!(
                    svg,
                    r#"<polyline class="line" fill="none" stroke="{}" points="{}"/>"#,
                    series.color,
                    points.join(" ")
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_are_round() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(372.9), 500.0);
        assert_eq!(nice_ceiling(0.013), 0.02);
        assert_eq!((y_ticks(50.0), y_ticks(0.5), y_ticks(200.0)), (5, 5, 4));
    }

    #[test]
    fn a_chart_draws_its_series_and_escapes_labels() {
        let chart = Chart {
            id: "c1".into(),
            title: "Latency <p99>",
            unit: "ms",
            kind: Kind::Lines,
            series: vec![
                Series {
                    label: "p99 & more".into(),
                    color: "#e03131",
                    points: vec![(0.0, 5.0), (1.0, 6.0), (2.0, f64::NAN), (3.0, 7.5)],
                },
                Series {
                    label: "one".into(),
                    color: "#1c7ed6",
                    points: vec![(1.0, 2.0)],
                },
            ],
        };
        let svg = chart.render();
        assert!(svg.starts_with(r#"<svg id="c1""#) && svg.ends_with("</svg>"));
        assert!(svg.contains("Latency &lt;p99&gt;") && svg.contains("p99 &amp; more"));
        // 0–1 is a line; 3 stands alone after the gap, like the one-point series.
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn bars_are_rectangles() {
        let chart = Chart {
            id: "e".into(),
            title: "Errors",
            unit: "per second",
            kind: Kind::Bars,
            series: vec![Series {
                label: "errors".into(),
                color: "#e03131",
                points: vec![(0.0, 0.0), (1.0, 3.0)],
            }],
        };
        assert_eq!(chart.render().matches(r#"class="bar""#).count(), 2);
    }
}
