//! A run's folder, `<state>/jmeter-work/<ReportId>/`, made before JMeter starts:
//!
//! ```text
//! test.jmx             the scene's script with the scene's load written in (see `load`)
//! <data files>         the scene's and its environment's other files (CSV…), beside the
//!                      script, where relative paths in it find them
//! lib/*.jar            their JAR files, put on JMeter's class path
//! ptsplan.properties   the JMeter properties: the environment's, then the scene's, then the
//!                      backend's result settings (mode 0600; passed with `-q`, not on the
//!                      command line, so values stay out of the process list)
//! PtsplanJMeter.java   the launcher (see `install`)
//! result.jtl           written by JMeter: one CSV row per sample
//! jmeter.log           JMeter's log
//! jmeter.out           JMeter's standard output and error
//! ```
//!
//! Files are read from the backend's own OSS store only; a file stored elsewhere is refused
//! (the backend fetches nothing). The script's targets are checked before anything runs
//! (see `targets`).

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::install::{LAUNCHER_FILE, LAUNCHER_SOURCE};
use super::load::{self, Load};
use super::script::Resolver;
use super::targets;
use crate::wire::{Env, OpenJMeterScene, OssFile, TestMode};

/// The folder of the state directory holding run folders.
pub(crate) const WORK_DIR: &str = "jmeter-work";

/// The script JMeter runs, in the run's folder.
pub(crate) const SCRIPT: &str = "test.jmx";
/// JMeter's results.
pub(crate) const RESULTS: &str = "result.jtl";
/// JMeter's log.
pub(crate) const LOG: &str = "jmeter.log";
/// JMeter's standard output and error.
pub(crate) const OUTPUT: &str = "jmeter.out";
/// The properties file.
pub(crate) const PROPERTIES: &str = "ptsplan.properties";

/// Threads per load generator (`AgentCount`), as on PTS.
pub(crate) const MAX_THREADS_PER_AGENT: i64 = 500;

/// Threads one local JMeter runs at most, whatever `AgentCount` says (each is a Java
/// thread with its own stack).
pub(crate) const MAX_LOCAL_THREADS: i64 = 2000;

/// The backend's result settings, after the scene's properties so that they win: CSV with a
/// header, written as samples complete, sample start times, failure messages.
const RESULT_SETTINGS: [(&str, &str); 9] = [
    ("jmeter.save.saveservice.output_format", "csv"),
    ("jmeter.save.saveservice.print_field_names", "true"),
    ("jmeter.save.saveservice.autoflush", "true"),
    ("jmeter.save.saveservice.timestamp_format", "ms"),
    ("jmeter.save.saveservice.default_delimiter", ","),
    (
        "jmeter.save.saveservice.assertion_results_failure_message",
        "true",
    ),
    ("jmeter.save.saveservice.thread_counts", "true"),
    ("jmeter.save.saveservice.latency", "true"),
    ("sampleresult.timestamp.start", "true"),
];

/// What a start needs to know.
pub(crate) struct Request<'a> {
    pub scene: &'a OpenJMeterScene,
    pub env: Option<&'a Env>,
    pub state_dir: &'a Path,
    pub report_id: &'a str,
    pub allow_hosts: &'a [String],
    pub debug: bool,
}

/// A prepared run folder.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub dir: PathBuf,
    /// JAR files to add to the class path.
    pub jars: Vec<PathBuf>,
    pub load: Load,
}

/// Makes the run's folder; the error text says what is wrong with the scene.
pub(crate) fn prepare(request: &Request<'_>) -> Result<Prepared, String> {
    let scene = request.scene;
    let dir = request.state_dir.join(WORK_DIR).join(request.report_id);
    fs::create_dir_all(dir.join("lib"))
        .map_err(|e| format!("cannot make the run folder {}: {e}", dir.display()))?;
    let test_file = scene
        .test_file
        .as_deref()
        .filter(|name| !name.is_empty())
        .ok_or("the scene names no TestFile (the JMX to run)")?;
    let files = request
        .env
        .map(|env| env.files.as_slice())
        .unwrap_or_default()
        .iter()
        .chain(&scene.file_list);
    let mut script = None;
    let mut jars = Vec::new();
    for file in files {
        let (name, source) = stored(request.state_dir, file)?;
        if name == test_file {
            script = Some(
                fs::read_to_string(&source)
                    .map_err(|e| format!("the script {name} cannot be read as text: {e}"))?,
            );
            continue;
        }
        let target = if name.to_ascii_lowercase().ends_with(".jar") {
            jars.push(dir.join("lib").join(&name));
            dir.join("lib").join(&name)
        } else {
            dir.join(&name)
        };
        fs::copy(&source, &target).map_err(|e| format!("cannot copy {name}: {e}"))?;
    }
    let script = script.ok_or_else(|| {
        format!("the TestFile {test_file} is not one of the scene's files (FileList)")
    })?;

    let properties = properties(request.env, scene);
    let load = load_of(scene, request.debug)?;
    let document = roxmltree::Document::parse(&script)
        .map_err(|e| format!("the script {test_file} is not valid XML: {e}"))?;
    let resolver = Resolver::new(&document, &properties);
    targets::check(&document, &resolver, request.allow_hosts)?;
    let rewritten = load::apply(&script, &document, &resolver, &load)?;

    let write = |name: &str, text: &str| {
        fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    write(SCRIPT, &rewritten)?;
    write(LAUNCHER_FILE, LAUNCHER_SOURCE)?;
    write_private(&dir.join(PROPERTIES), &properties_text(&properties))
        .map_err(|e| format!("cannot write {PROPERTIES}: {e}"))?;
    Ok(Prepared { dir, jars, load })
}

/// A file's name (a plain file name) and where the backend stores it.
fn stored(state_dir: &Path, file: &OssFile) -> Result<(String, PathBuf), String> {
    let name = file.file_name.clone().unwrap_or_default();
    let plain = Path::new(&name)
        .file_name()
        .is_some_and(|only| only == name.as_str())
        && name != "."
        && name != "..";
    if !plain || name == SCRIPT || name == PROPERTIES || name == "lib" {
        return Err(format!(
            "the file name `{name}` cannot be used in a run folder (a plain file name is needed)"
        ));
    }
    let address = file.file_oss_address.as_deref().unwrap_or_default();
    let path = super::super::oss::local_object(state_dir, address).ok_or_else(|| {
        format!(
            "the file {name} ({address}) is not stored in this backend's OSS; the local backend \
             runs JMeter with files uploaded to it (ptsplan apply uploads them) and fetches \
             nothing"
        )
    })?;
    Ok((name, path))
}

/// The run's JMeter properties: the environment's, then the scene's (a scene property wins).
fn properties(env: Option<&Env>, scene: &OpenJMeterScene) -> HashMap<String, String> {
    env.map(|env| env.properties.as_slice())
        .unwrap_or_default()
        .iter()
        .chain(&scene.j_meter_properties)
        .filter_map(|p| Some((p.name.clone()?, p.value.clone().unwrap_or_default())))
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

/// The scene's load, checked.
fn load_of(scene: &OpenJMeterScene, debug: bool) -> Result<Load, String> {
    let duration_s = scene
        .duration
        .filter(|d| *d > 0)
        .ok_or("the scene has no Duration (seconds)")?;
    let max_duration = i64::try_from(crate::engine::MAX_DURATION.as_secs()).unwrap_or(i64::MAX);
    if duration_s > max_duration {
        return Err(format!(
            "Duration {duration_s} s is longer than a run may last ({max_duration} s)"
        ));
    }
    let tps = matches!(
        scene.mode.as_ref().map(TestMode::to_save_form),
        Some(TestMode::TpsMode)
    );
    let max_rps = if tps {
        Some(
            scene
                .max_rps
                .filter(|r| *r > 0)
                .ok_or("TPS mode needs MaxRps")?,
        )
    } else {
        None
    };
    let threads = match (scene.concurrency.filter(|c| *c > 0), max_rps) {
        (Some(threads), _) => threads,
        (None, Some(rps)) => rps.min(MAX_THREADS_PER_AGENT),
        (None, None) => 1,
    };
    let agents = scene.agent_count.unwrap_or(1).max(1);
    let limit = MAX_THREADS_PER_AGENT.saturating_mul(agents);
    if threads > limit {
        return Err(format!(
            "Concurrency {threads} is more than {agents} load generator(s) run \
             ({MAX_THREADS_PER_AGENT} each)"
        ));
    }
    if threads > MAX_LOCAL_THREADS {
        return Err(format!(
            "Concurrency {threads} is more than one local JMeter runs ({MAX_LOCAL_THREADS} \
             threads); run this scene on PTS"
        ));
    }
    Ok(Load {
        threads,
        ramp_up_s: scene.ramp_up.unwrap_or(0).clamp(0, duration_s),
        duration_s,
        once: debug,
        max_rps,
    })
}

/// `properties` then [`RESULT_SETTINGS`] in Java properties syntax (ISO-8859-1 with
/// `\uXXXX` escapes), sorted so that the file is the same for the same scene.
fn properties_text(properties: &HashMap<String, String>) -> String {
    let mut sorted: Vec<(&String, &String)> = properties.iter().collect();
    sorted.sort();
    let mut text = String::from("# Written by the ptsplan local backend for one JMeter run.\n");
    let settings = RESULT_SETTINGS.iter().map(|(k, v)| (*k, *v));
    for (key, value) in sorted
        .into_iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(settings)
    {
        text.push_str(&escape(key, true));
        text.push('=');
        text.push_str(&escape(value, false));
        text.push('\n');
    }
    text
}

/// Java properties escaping of a key or value.
fn escape(text: &str, key: bool) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' ' if key || i == 0 => out.push_str("\\ "),
            '=' | ':' | '#' | '!' if key => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Writes `text` readable by the owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_escaped_and_the_result_settings_come_last() {
        let properties: HashMap<String, String> = [
            ("a key".to_owned(), " lead=ok".to_owned()),
            ("name".to_owned(), "中\\n".to_owned()),
        ]
        .into();
        let text = properties_text(&properties);
        assert!(text.contains("a\\ key=\\ lead=ok\n"), "{text}");
        assert!(text.contains("name=\\u4e2d\\\\n\n"), "{text}");
        assert!(
            text.trim_end()
                .ends_with("sampleresult.timestamp.start=true"),
            "{text}"
        );
    }

    #[test]
    fn the_load_is_checked_and_defaulted() {
        let scene = OpenJMeterScene {
            duration: Some(30),
            concurrency: Some(4),
            ramp_up: Some(90),
            ..OpenJMeterScene::default()
        };
        let load = load_of(&scene, false).expect("load");
        assert_eq!((load.threads, load.ramp_up_s, load.max_rps), (4, 30, None));
        let tps = OpenJMeterScene {
            mode: Some(TestMode::TpsMode),
            max_rps: Some(900),
            concurrency: None,
            ..scene.clone()
        };
        let load = load_of(&tps, false).expect("tps");
        assert_eq!((load.threads, load.max_rps), (500, Some(900)));
        let crowded = OpenJMeterScene {
            concurrency: Some(501),
            ..scene.clone()
        };
        let error = load_of(&crowded, false).expect_err("too many threads");
        assert!(error.contains("500 each"), "{error}");
        let huge = OpenJMeterScene {
            concurrency: Some(5000),
            agent_count: Some(20),
            ..scene.clone()
        };
        let error = load_of(&huge, false).expect_err("too many for one JMeter");
        assert!(error.contains("2000 threads"), "{error}");
        let endless = OpenJMeterScene {
            duration: None,
            ..scene
        };
        assert!(load_of(&endless, false).is_err());
    }
}
