//! What `import` and `reproduce` share: writing lifted scenes as plan files (one per
//! scene), checking what was written, and reading a run (a report id or a bundle).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::backend::{Connection, connect_with_runtime, report};
use super::{Exit, GlobalArgs, stderr_renderer};
use crate::diag::{Diagnostic, Sources};
use crate::lift::document::{FileParts, plan_file};
use crate::lift::secrets::SecretUse;
use crate::lift::source::{self, Report, SourceError};
use crate::lift::{Lifted, key_from_name};
use crate::spec::model::TokenSource;

/// A lifted scene with its header comment and the secrets its values were replaced by.
pub(super) struct Prepared {
    pub lifted: Lifted,
    pub header: Vec<String>,
    pub secrets: Vec<SecretUse>,
}

/// Writes one plan file per scene into `out`, then checks the directory as a plan and
/// prints what to do next. Refuses to overwrite files unless `force`.
pub(super) fn write(
    global: &GlobalArgs,
    out: &Path,
    workspace: &str,
    mut scenes: Vec<Prepared>,
    force: bool,
) -> Result<Vec<PathBuf>, Exit> {
    let mut keys: Vec<String> = Vec::new();
    for p in &mut scenes {
        let base = p.lifted.key.clone();
        let mut key = base.clone();
        let mut n = 2;
        while keys.contains(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        p.lifted.key = key.clone();
        keys.push(key);
    }
    let files: Vec<PathBuf> = scenes
        .iter()
        .map(|p| out.join(format!("{}.yaml", file_stem(&p.lifted.key))))
        .collect();
    let existing: Vec<String> = files
        .iter()
        .filter(|f| f.exists())
        .map(|f| f.display().to_string())
        .collect();
    if !force && !existing.is_empty() {
        let diagnostic = Diagnostic::error(
            "lift::exists",
            format!("would overwrite {}", existing.join(", ")),
        )
        .with_help("pass --force to overwrite them, or choose another --out directory");
        return Err(report(global, &diagnostic, &Sources::default()));
    }
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {error}", out.display());
        return Err(Exit::Error);
    }
    let mut defined: IndexMap<String, TokenSource> = IndexMap::new();
    for (p, file) in scenes.iter().zip(&files) {
        let mut mine = IndexMap::new();
        for (name, source) in &p.lifted.token_sources {
            match defined.get(name) {
                Some(existing) if existing != source => eprintln!(
                    "warning: token source `{name}` differs between scenes; {} uses the first definition",
                    p.lifted.key
                ),
                Some(_) => {}
                None => {
                    defined.insert(name.clone(), source.clone());
                    mine.insert(name.clone(), source.clone());
                }
            }
        }
        let text = plan_file(FileParts {
            workspace,
            lifted: &p.lifted,
            token_sources: mine,
            header: p.header.clone(),
            secrets: &p.secrets,
        });
        if let Err(error) = std::fs::write(file, text) {
            eprintln!("error: cannot write {}: {error}", file.display());
            return Err(Exit::Error);
        }
    }
    check_written(global, out);
    let secrets: Vec<&SecretUse> = scenes.iter().flat_map(|p| &p.secrets).collect();
    if !secrets.is_empty() {
        eprintln!(
            "Secrets were replaced by ${{secret.NAME}} references (values not shown); set before `plan`:"
        );
        for s in secrets {
            eprintln!("  {}  ({})", s.name, s.place);
        }
    }
    Ok(files)
}

/// Checks the written directory as a plan (environment not required) and prints the
/// findings: a written plan that does not validate says why.
pub(super) fn check_written(global: &GlobalArgs, out: &Path) {
    let lookup = |name: &str| std::env::var(name).ok();
    let env = crate::spec::Env {
        now: jiff::Timestamp::now(),
        var: &lookup,
        require_env: false,
    };
    let loaded = crate::spec::check(out, &env);
    if loaded.diagnostics.has_errors() {
        eprint!(
            "{}",
            stderr_renderer(global).render_all(&loaded.diagnostics, &loaded.sources)
        );
        eprintln!(
            "warning: {} does not validate as written (see above); edit it before `plan`",
            out.display()
        );
    }
}

/// A file name for a key (keys may hold characters file systems dislike).
fn file_stem(key: &str) -> String {
    let stem = key_from_name(key, None);
    if stem.is_empty() {
        "scene".into()
    } else {
        stem
    }
}

/// A run named on the command line: a bundle path, `REPORT_ID` or `SCENE_ID:REPORT_ID`.
pub(super) fn read_run(
    global: &GlobalArgs,
    name: &str,
    connection: &mut Option<(Connection, tokio::runtime::Runtime)>,
) -> Result<Report, Exit> {
    let path = Path::new(name);
    if path.exists() {
        let mut reports = source::bundle_reports(path).map_err(|e| fail(global, &e))?;
        return match reports.len() {
            1 => Ok(reports.remove(0)),
            0 => Err(fail(
                global,
                &SourceError::Bundle(format!(
                    "{name} holds no report (reports/*/details.json); runs write one when they finish"
                )),
            )),
            _ => Err(fail(
                global,
                &SourceError::Bundle(format!(
                    "{name} holds {} reports; name one of them: {}",
                    reports.len(),
                    reports
                        .iter()
                        .map(|r| r.origin.trim_end_matches("/details.json").to_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            )),
        };
    }
    let (scene_id, report_id) = match name.split_once(':') {
        Some((scene, report)) => (Some(scene), report),
        None => (None, name),
    };
    if connection.is_none() {
        *connection = Some(connect_with_runtime(global)?);
    }
    let Some((conn, runtime)) = connection.as_ref() else {
        return Err(Exit::Error);
    };
    runtime
        .block_on(source::fetch_report(&conn.client, report_id, scene_id))
        .map_err(|error| match error {
            SourceError::Api(api) => conn.report(global, &api),
            other => fail(global, &other),
        })
}

fn fail(global: &GlobalArgs, error: &SourceError) -> Exit {
    report(
        global,
        &Diagnostic::error("lift::source", error.to_string()),
        &Sources::default(),
    )
}
