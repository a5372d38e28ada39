//! Reading a plan from disk: one file, or every `*.yaml` of a directory merged into one.
//!
//! Stages, each recording diagnostics rather than stopping: parse every file to a tree;
//! merge the trees (duplicate scene, token-source and variable names across files are
//! errors); check the merged tree against the schema; merge `defaults` into every scene; and
//! decode the typed [`Plan`]. Semantic rules live in [`crate::spec::validate`].

use std::fs;
use std::path::{Path as FsPath, PathBuf};

use super::model::Plan;
use super::schema::plan_schema;
use super::structure::Checker;
use super::yaml::{self, Entry, Node, Path, Value};
use crate::diag::{Diagnostic, Diagnostics, Sources};

/// A plan as read: its sources, merged tree, typed model (when the structure is sound) and
/// every diagnostic found so far.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: Sources,
    /// The merged tree with `defaults` applied; spans point into the original files.
    pub tree: Option<Node>,
    pub plan: Option<Plan>,
    pub diagnostics: Diagnostics,
    /// The plan files read, in merge order.
    pub files: Vec<PathBuf>,
    /// Fields removed from scenes with structural errors so the rest of the scene could
    /// still be checked (see [`repair_scene`]); semantic findings about them or their
    /// parent would repeat the structural error and are left out.
    pub removed: Vec<Path>,
}

/// Top-level sections whose entries may come from different files.
const MERGED_SECTIONS: [&str; 5] = [
    "variables",
    "token_sources",
    "scenes",
    "environments",
    "jmeter_scenes",
];

/// Reads the plan at `path` (a file, or a directory of `*.yaml` / `*.yml` files).
pub fn load(path: &FsPath) -> Loaded {
    let mut loaded = Loaded::default();
    let files = match plan_files(path) {
        Ok(files) => files,
        Err(d) => {
            loaded.diagnostics.push(*d);
            return loaded;
        }
    };
    let mut trees = Vec::new();
    for file in &files {
        let text = match fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    loaded.diagnostics.push(
                        Diagnostic::error(
                            "plan::not-utf8",
                            format!("{}: not UTF-8 text", file.display()),
                        )
                        .with_help("save the plan file as UTF-8"),
                    );
                    continue;
                }
            },
            Err(e) => {
                loaded.diagnostics.push(Diagnostic::error(
                    "plan::unreadable",
                    format!("cannot read {}: {e}", file.display()),
                ));
                continue;
            }
        };
        let id = loaded.sources.add(file.clone(), text);
        let text = loaded
            .sources
            .get(id)
            .map(|s| s.text.clone())
            .unwrap_or_default();
        match yaml::parse(id, &text, &mut loaded.diagnostics) {
            Some(tree) => trees.push(tree),
            None if !loaded.diagnostics.has_errors() => loaded.diagnostics.push(
                Diagnostic::error("plan::empty", format!("{} is empty", file.display()))
                    .with_help("a plan file needs at least `version: 1` and `workspace: NAME`"),
            ),
            None => {}
        }
    }
    loaded.files = files;
    if loaded.diagnostics.has_errors() {
        return loaded;
    }
    let Some(tree) = merge_files(trees, &mut loaded.diagnostics) else {
        return loaded;
    };
    let schema = plan_schema();
    let checker = Checker::new(&schema);
    checker.check_root(&tree, &mut loaded.diagnostics);
    let tree = if loaded.diagnostics.has_errors() {
        match without_broken_scenes(&checker, &tree, &mut loaded.removed) {
            Some(pruned) => pruned,
            None => {
                loaded.tree = Some(tree);
                return loaded;
            }
        }
    } else {
        tree
    };
    let tree = apply_defaults(tree);
    match serde_json::from_value::<Plan>(tree.to_json()) {
        Ok(plan) => loaded.plan = Some(plan),
        Err(e) => loaded.diagnostics.push(
            Diagnostic::error("plan::decode", format!("the plan could not be read: {e}"))
                .at(tree.head_span())
                .with_help("this is a ptsplan bug: the structural check accepted what the model rejects; please report it with the plan file"),
        ),
    }
    loaded.tree = Some(tree);
    loaded
}

/// The tree with every scene that has structural errors repaired (the offending fields
/// removed) or, when that is not enough (a required key is missing), left out — so the
/// semantic rules still check everything sound in the same run. `None` when errors lie
/// outside scenes. Removed fields are added to `removed`.
fn without_broken_scenes(
    checker: &Checker<'_>,
    tree: &Node,
    removed: &mut Vec<Path>,
) -> Option<Node> {
    let mut pruned = tree.clone();
    let Value::Map(top) = &mut pruned.value else {
        return None;
    };
    let scenes = top.iter().position(|e| e.key == "scenes");
    let mut scene_map = scenes.map(|i| top.remove(i));
    let mut rest = Diagnostics::default();
    checker.check_root(&pruned, &mut rest);
    if rest.has_errors() {
        return None;
    }
    if let Some(entry) = &mut scene_map {
        // `scenes:` that is not a mapping (left empty, or text) is itself the error.
        let Value::Map(scenes) = &mut entry.value.value else {
            return None;
        };
        scenes.retain_mut(|scene| {
            let path = Path::root().key("scenes").key(&scene.key);
            repair_scene(checker, &mut scene.value, &path, removed)
        });
    }
    if let (Value::Map(top), Some(entry)) = (&mut pruned.value, scene_map) {
        top.push(entry);
    }
    Some(pruned)
}

/// Removes the fields of `scene` that the structural check rejects (unknown keys, values of
/// the wrong type or out of range); returns whether the scene is then sound. A scene
/// missing a required key cannot be repaired.
fn repair_scene(
    checker: &Checker<'_>,
    scene: &mut Node,
    path: &Path,
    removed: &mut Vec<Path>,
) -> bool {
    // Each pass removes what the check names; nested mistakes may need a second look.
    for _ in 0..4 {
        let mut found = Diagnostics::default();
        checker.check_def("Scene", scene, path, &mut found);
        if !found.has_errors() {
            return true;
        }
        // (path, whether it is a known field whose value was wrong, not an unknown key)
        let named: Vec<(String, bool)> = found
            .into_iter()
            .filter_map(|d| Some((d.path?, d.code != "plan::unknown-key")))
            .collect();
        let mut paths = Vec::new();
        yaml::walk_paths(scene, path, &mut |p| {
            let shown = p.to_string();
            if let Some((_, known)) = named.iter().find(|(n, _)| *n == shown) {
                paths.push((p.clone(), *known));
            }
        });
        let mut progressed = false;
        for (p, known) in paths {
            let relative = Path(p.0[path.0.len()..].to_vec());
            if yaml::remove_entry(scene, &relative) {
                progressed = true;
                // An unknown key was ignored anyway: nothing semantic can repeat it.
                if known {
                    removed.push(p);
                }
            }
        }
        if !progressed {
            return false;
        }
    }
    false
}

/// The files that make up the plan at `path`, in name order.
fn plan_files(path: &FsPath) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let meta = fs::metadata(path).map_err(|e| {
        Box::new(
            Diagnostic::error(
                "plan::not-found",
                format!("cannot read {}: {e}", path.display()),
            )
            .with_help("give a plan file or a directory of *.yaml plan files"),
        )
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = fs::read_dir(path).map_err(|e| {
        Box::new(Diagnostic::error(
            "plan::unreadable",
            format!("cannot list {}: {e}", path.display()),
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Box::new(Diagnostic::error(
            "plan::no-files",
            format!("{} holds no *.yaml plan files", path.display()),
        )));
    }
    Ok(files)
}

/// Merges the top-level mappings of several files into one tree.
fn merge_files(trees: Vec<Node>, diags: &mut Diagnostics) -> Option<Node> {
    let mut trees = trees.into_iter();
    let mut root = trees.next()?;
    for tree in trees {
        let (Value::Map(into), Value::Map(from)) = (&mut root.value, tree.value) else {
            // A file that is not a mapping: let the structural check report the first one.
            continue;
        };
        for entry in from {
            merge_top_entry(into, entry, diags);
        }
    }
    Some(root)
}

fn merge_top_entry(into: &mut Vec<Entry>, entry: Entry, diags: &mut Diagnostics) {
    let Some(existing) = into.iter_mut().find(|e| e.key == entry.key) else {
        into.push(entry);
        return;
    };
    if MERGED_SECTIONS.contains(&entry.key.as_str()) {
        if let (Value::Map(target), Value::Map(items)) =
            (&mut existing.value.value, entry.value.value)
        {
            for item in items {
                match target.iter().find(|t| t.key == item.key) {
                    Some(first) => diags.push(
                        Diagnostic::error(
                            "plan::duplicate-across-files",
                            format!("`{}.{}` is defined in two plan files", entry.key, item.key),
                        )
                        .at(item.key_span)
                        .with_label("defined again here")
                        .with_related(first.key_span, "first defined here")
                        .with_help("names are shared by every file of a plan directory: rename or remove one"),
                    ),
                    None => target.push(item),
                }
            }
        }
        return;
    }
    if existing.value.to_json() != entry.value.to_json() || entry.key == "defaults" {
        diags.push(
            Diagnostic::error(
                "plan::duplicate-across-files",
                format!("`{}` is set differently in two plan files", entry.key),
            )
            .at(entry.key_span)
            .with_label("set again here")
            .with_related(existing.key_span, "first set here")
            .with_help(format!(
                "a plan directory has one `{}`: keep it in one file (or make the values equal)",
                entry.key
            )),
        );
    }
}

/// Merges `defaults` into every scene and `defaults.steps` into every step.
fn apply_defaults(mut tree: Node) -> Node {
    let Some(defaults) = tree.get("defaults").cloned() else {
        return tree;
    };
    let step_defaults = defaults.get("steps").cloned();
    let Value::Map(top) = &mut tree.value else {
        return tree;
    };
    let Some(scenes) = top.iter_mut().find(|e| e.key == "scenes") else {
        return tree;
    };
    let Value::Map(scenes) = &mut scenes.value.value else {
        return tree;
    };
    for scene in scenes.iter_mut() {
        for entry in defaults.entries().unwrap_or_default() {
            if entry.key != "steps" {
                merge_into(&mut scene.value, entry);
            }
        }
        if let Some(step_defaults) = &step_defaults {
            for step in steps_mut(&mut scene.value) {
                for entry in step_defaults.entries().unwrap_or_default() {
                    merge_into(step, entry);
                }
            }
        }
    }
    tree
}

/// Sets `entry` in `node` unless present; mappings present on both sides merge recursively.
fn merge_into(node: &mut Node, entry: &Entry) {
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    match entries.iter_mut().find(|e| e.key == entry.key) {
        None => entries.push(entry.clone()),
        Some(own) => {
            if let Value::Map(defaults) = &entry.value.value {
                if matches!(own.value.value, Value::Map(_)) {
                    for d in defaults {
                        merge_into(&mut own.value, d);
                    }
                }
            }
        }
    }
}

fn steps_mut(scene: &mut Node) -> impl Iterator<Item = &mut Node> {
    let chains = match &mut scene.value {
        Value::Map(entries) => entries.iter_mut().find(|e| e.key == "chains"),
        _ => None,
    };
    let chains: &mut [Node] = match chains.map(|e| &mut e.value.value) {
        Some(Value::Seq(chains)) => chains,
        _ => &mut [],
    };
    chains.iter_mut().flat_map(|chain| {
        let steps = match &mut chain.value {
            Value::Map(entries) => entries.iter_mut().find(|e| e.key == "steps"),
            _ => None,
        };
        match steps.map(|e| &mut e.value.value) {
            Some(Value::Seq(steps)) => steps.iter_mut(),
            _ => [].iter_mut(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Loaded {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("plan.yaml");
        fs::write(&path, text).expect("write the plan");
        load(&path)
    }

    #[test]
    fn scenes_that_are_not_a_mapping_are_one_error_not_a_decode_failure() {
        for text in [
            "version: 1\nworkspace: w\nscenes:\n",
            "version: 1\nworkspace: w\nscenes: >-\n  checkout\n",
        ] {
            let loaded = load_text(text);
            let codes: Vec<&str> = loaded.diagnostics.sorted().iter().map(|d| d.code).collect();
            assert_eq!(codes, ["plan::wrong-type"], "{text}");
            assert!(loaded.plan.is_none());
        }
    }
}
