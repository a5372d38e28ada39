//! Property tests of the plan front end: whatever the bytes, `spec::check` returns (no
//! panic, no stack overflow, no runaway), every finding is placed inside its source on
//! character boundaries and can be drawn, and an input that is not a valid plan always gets
//! at least one error.
//!
//! Inputs: arbitrary bytes and text, YAML-ish token soup, and mutations of the example plans
//! (lines deleted or duplicated, characters swapped, YAML tokens and non-ASCII text inserted,
//! indentation changed). Case counts stay moderate so that the suite is fast in debug builds;
//! raise them with `PROPTEST_CASES=5000 cargo test fuzz` when changing the parser.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use ptsplan::diag::{Renderer, json_report};
use ptsplan::spec::{self, Env, Loaded};

use crate::util::repo;

/// Cases per property: 256, or `PROPTEST_CASES`.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

/// Found failures are turned into named tests below, not kept as opaque seeds.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases())
    }
}

/// Checks `bytes` written as a plan file.
fn check_bytes(bytes: &[u8]) -> Loaded {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("plan.yaml");
    fs::write(&path, bytes).expect("write the plan");
    check_path(&path)
}

fn check_path(path: &Path) -> Loaded {
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("a timestamp"),
        var: &|name| (name == "WX_APP_SECRET").then(|| "fake".to_owned()),
        require_env: false,
    };
    spec::check(path, &env)
}

/// What must hold for any input: a plan, or an error saying why not; no "ptsplan bug" decode
/// failure; every span inside its source and on character boundaries; drawing (text and
/// JSON) works.
fn assert_sound(loaded: &Loaded) -> Result<(), TestCaseError> {
    prop_assert!(
        loaded.plan.is_some() || loaded.diagnostics.has_errors(),
        "no plan and no error: {:?}",
        loaded.diagnostics
    );
    for d in loaded.diagnostics.sorted() {
        let spans = d.span.iter().chain(d.related.iter().map(|(s, _)| s));
        for span in spans {
            let source = loaded.sources.get(span.source);
            prop_assert!(source.is_some(), "{}: span names no source", d.code);
            let text = &source.unwrap().text;
            prop_assert!(
                span.start <= span.end && span.end <= text.len(),
                "{}: span {}..{} outside a source of {} bytes",
                d.code,
                span.start,
                span.end,
                text.len()
            );
            prop_assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{}: span {}..{} splits a character",
                d.code,
                span.start,
                span.end
            );
        }
        prop_assert!(!d.message.is_empty(), "{}: empty message", d.code);
        // The structural check promises that what it accepts decodes.
        prop_assert!(d.code != "plan::decode", "{}", d.message);
    }
    let text = Renderer::new(false, 80).render_all(&loaded.diagnostics, &loaded.sources);
    prop_assert!(loaded.diagnostics.is_empty() || !text.is_empty());
    json_report(&loaded.diagnostics, &loaded.sources);
    Ok(())
}

/// Text that looks a little like YAML: the tokens a plan is made of, and some that break it.
fn yaml_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("version: 1\n".to_owned()),
        Just("workspace: w\n".to_owned()),
        Just("scenes:\n".to_owned()),
        Just("  s:\n".to_owned()),
        Just("    type: single-api\n".to_owned()),
        Just("    chains:\n".to_owned()),
        Just("      - name: c\n".to_owned()),
        Just("        steps: [{ name: a, url: 'http://127.0.0.1:1/' }]\n".to_owned()),
        Just("    load: { mode: rps, max: 5, duration: 1m }\n".to_owned()),
        Just(": ".to_owned()),
        Just("- ".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(", ".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: *a\n".to_owned()),
        Just("\t".to_owned()),
        Just("${".to_owned()),
        Just("${var.x}".to_owned()),
        Just("下单".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("#".to_owned()),
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("? ".to_owned()),
        Just("|\n".to_owned()),
        Just("---\n".to_owned()),
        Just("!!str ".to_owned()),
        Just("%YAML 1.2\n".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\r\n".to_owned()),
        "[a-z_]{1,8}".prop_map(|s: String| s),
        "[0-9]{1,12}".prop_map(|s: String| s),
    ];
    prop::collection::vec(token, 0..48).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        assert_sound(&check_bytes(&bytes))?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        assert_sound(&check_bytes(text.as_bytes()))?;
    }

    #[test]
    fn yaml_token_soup_never_panics(text in yaml_soup()) {
        assert_sound(&check_bytes(text.as_bytes()))?;
    }
}

// ---- mutations of the example plans ------------------------------------------------------

/// The plans mutated: the single-API example, and the corpus plans that exercise token
/// sources, RPS levels and Chinese text (each valid but for one mistake).
fn bases() -> Vec<String> {
    let mut bases = vec![
        fs::read_to_string(repo().join("plans/mall/single-api.yaml"))
            .expect("plans/mall/single-api.yaml"),
    ];
    for name in [
        "51-rps-increases.yaml",
        "64-csv-token-expires-mid-test.yaml",
        "40-scene-name-too-long-chinese.yaml",
    ] {
        let path = repo().join("tests/fixtures/errors").join(name);
        bases.push(fs::read_to_string(path).expect("a corpus plan"));
    }
    bases
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapChars(Index),
    Insert(Index, &'static str),
    Indent(Index, i8),
    DeleteChar(Index),
    /// The value after the first `: ` of a line replaced (types and ranges).
    ReplaceValue(Index, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop::sample::select(vec![
        ": ",
        "- ",
        "{",
        "}",
        "[",
        "]",
        "&a ",
        "*a",
        "<<: *a",
        "<<: ",
        "\t",
        "${",
        "}",
        "${var.",
        "下单",
        "场景",
        "\"",
        "'",
        "#",
        "\n",
        "  ",
        "~",
        "!!str ",
        "? ",
        "|",
        ">-\n",
        "---\n",
        "&a [1, 2]",
        "0x1F",
        "1e400",
        "-",
        ".inf",
        "null",
        "true",
        "ä",
        "\u{200b}",
        "\r",
    ]);
    prop_oneof![
        any::<Index>().prop_map(Mutation::DeleteLine),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        any::<Index>().prop_map(Mutation::SwapChars),
        (any::<Index>(), token).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<Index>(), -4i8..=4).prop_map(|(i, d)| Mutation::Indent(i, d)),
        any::<Index>().prop_map(Mutation::DeleteChar),
        (any::<Index>(), value()).prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
    ]
}

/// Values of every type, and numbers at and beyond the edges of the ranges.
fn value() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "0",
        "1",
        "-1",
        "20.0",
        "1e3",
        "1.5",
        "4294967295",
        "4294967296",
        "65536",
        "99999999999999999999",
        "-9223372036854775809",
        ".nan",
        ".inf",
        "-.inf",
        "0x10",
        "0o17",
        "+5",
        "1_000",
        "~",
        "null",
        "true",
        "''",
        "[]",
        "{}",
        "[1, x]",
        "{ a: 1 }",
        "90s",
        "0s",
        "25h",
        "1d",
        "5m30s",
        "1.5h",
        "2026-11-23T01:00:00Z",
        "2026-13-01",
        "下单",
        "${x}",
        "${var.backend}",
        "${env.HOME}",
        "${",
        "http://",
        "ftp://127.0.0.1/",
        "p99 < 1ms",
        "rps >= 0",
        "regex",
        "exists",
        "before_expiry",
        "once",
        "interval",
        "csv",
        "api",
        "rps",
        "concurrency",
        "tuning",
        "soak",
        "mixed",
        "*a",
        "&a x",
        "|\n  x",
    ])
}

/// Byte offsets of every character, and the end.
fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect()
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    match m {
        Mutation::DeleteLine(i) => {
            lines.remove(i.index(lines.len()));
        }
        Mutation::DuplicateLine(i) => {
            let at = i.index(lines.len());
            lines.insert(at, lines[at].clone());
        }
        Mutation::Indent(i, delta) => {
            let at = i.index(lines.len());
            let line = &mut lines[at];
            if *delta >= 0 {
                line.insert_str(0, &" ".repeat(*delta as usize));
            } else {
                let strip = line.len() - line.trim_start_matches(' ').len();
                line.drain(..strip.min(delta.unsigned_abs() as usize));
            }
        }
        Mutation::SwapChars(i) => {
            let chars: Vec<char> = text.chars().collect();
            if chars.len() < 2 {
                return text.to_owned();
            }
            let mut chars = chars;
            let at = i.index(chars.len() - 1);
            chars.swap(at, at + 1);
            return chars.into_iter().collect();
        }
        Mutation::Insert(i, token) => {
            let bounds = boundaries(text);
            let at = bounds[i.index(bounds.len())];
            return format!("{}{token}{}", &text[..at], &text[at..]);
        }
        Mutation::ReplaceValue(i, value) => {
            let with_value: Vec<usize> = (0..lines.len())
                .filter(|&k| lines[k].contains(": "))
                .collect();
            if with_value.is_empty() {
                return text.to_owned();
            }
            let k = with_value[i.index(with_value.len())];
            let at = lines[k].find(": ").unwrap_or(0) + 2;
            lines[k].truncate(at);
            lines[k].push_str(value);
        }
        Mutation::DeleteChar(i) => {
            let bounds = boundaries(text);
            if bounds.len() < 2 {
                return text.to_owned();
            }
            let k = i.index(bounds.len() - 1);
            return format!("{}{}", &text[..bounds[k]], &text[bounds[k + 1]..]);
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_plans_never_panic(
        base in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let bases = bases();
        let mut text = bases[base.index(bases.len())].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        assert_sound(&check_bytes(text.as_bytes()))?;
    }
}

#[test]
fn the_bases_are_plans() {
    for base in bases() {
        let loaded = check_bytes(base.as_bytes());
        assert!(loaded.plan.is_some(), "{:?}", loaded.diagnostics);
    }
}

// ---- inputs the properties once failed on ---------------------------------------------------

fn assert_input_sound(text: &str) {
    if let Err(e) = assert_sound(&check_bytes(text.as_bytes())) {
        panic!("{e}");
    }
}

#[test]
fn found_a_float_where_a_whole_number_is_decoded() {
    assert_input_sound(
        "version: 1\nworkspace: w\nscenes:\n  s:\n    type: single-api\n    chains: [{ name: c, steps: [{ name: a, url: 'http://127.0.0.1:1/' }] }]\n    load: { mode: rps, start: 20.0, max: 1e3, duration: 1m }\n",
    );
}

#[test]
fn found_scenes_that_are_not_a_mapping() {
    assert_input_sound("version: 1\nworkspace: w\nscenes:\n");
    assert_input_sound(
        "version: 1\nworkspace: w\nscenes:\n >-\n 0x1Fcheckout:\n    type: single-api\n",
    );
}

// ---- resource exhaustion ---------------------------------------------------------------------

/// Checks `text` and requires a diagnostic with `code`, quickly.
fn assert_refused(text: &str, code: &str) {
    let started = Instant::now();
    let loaded = check_bytes(text.as_bytes());
    let elapsed = started.elapsed();
    let codes: Vec<&str> = loaded.diagnostics.sorted().iter().map(|d| d.code).collect();
    assert!(codes.contains(&code), "expected {code}, found {codes:?}");
    // Generous: a debug build on a busy machine; the point is "not minutes, not a hang".
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    if let Err(e) = assert_sound(&loaded) {
        panic!("{e}");
    }
}

#[test]
fn deep_flow_nesting_is_refused() {
    assert_refused(&"[".repeat(10_000), "yaml::too-deep");
    assert_refused(
        &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        "yaml::too-deep",
    );
    assert_refused(&"{a: ".repeat(10_000), "yaml::too-deep");
}

#[test]
fn deep_block_nesting_is_refused() {
    let lists: String = (0..2_000)
        .map(|i| format!("{}- \n", " ".repeat(i)))
        .collect();
    assert_refused(&lists, "yaml::too-deep");
    let maps: String = (0..2_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    assert_refused(&maps, "yaml::too-deep");
}

#[test]
fn alias_bombs_are_refused() {
    // Billion laughs: ten levels of ten aliases each.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    assert_refused(&text, "yaml::too-large");
    // Aliases nested in aliases: each small, together far deeper than any plan (this once
    // overflowed the stack).
    let mut text = format!("a0: &a0 {}x{}\n", "[".repeat(100), "]".repeat(100));
    for k in 1..150 {
        let (open, close) = ("[".repeat(100), "]".repeat(100));
        text.push_str(&format!("a{k}: &a{k} {open}*a{}{close}\n", k - 1));
    }
    assert_refused(&text, "yaml::too-deep");
}

#[test]
fn merge_keys_and_aliases_inside_a_plan_are_sound() {
    let base = bases().remove(0);
    let text = base.replacen(
        "scenes:\n",
        "x-common: &common { timeout: 3s }\nscenes:\n",
        1,
    );
    let loaded = check_bytes(text.as_bytes());
    // `x-common` is not a plan key: reported, placed, drawn.
    let codes: Vec<&str> = loaded.diagnostics.sorted().iter().map(|d| d.code).collect();
    assert!(codes.contains(&"plan::unknown-key"), "{codes:?}");
    if let Err(e) = assert_sound(&loaded) {
        panic!("{e}");
    }
}
