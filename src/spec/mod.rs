//! The plan-file language: YAML with spans, the model, structural and semantic checks, and
//! the JSON Schema.
//!
//! [`check`] is the whole front end: [`load`] reads and structurally checks the files, and
//! [`validate`] applies the semantic rules to the decoded [`model::Plan`].

pub mod interpolate;
pub mod jmeter;
pub mod jmx;
pub mod load;
pub mod model;
pub mod schema;
pub mod structure;
pub mod threshold;
pub mod units;
pub mod validate;
pub mod yaml;

use crate::diag;

pub use load::Loaded;
pub use validate::Env;

/// Reads and checks the plan at `path`; every finding is in the result's diagnostics, and
/// the typed plan is present whenever its structure was sound.
pub fn check(path: &std::path::Path, env: &Env<'_>) -> Loaded {
    let mut loaded = load::load(path);
    // Structural errors leave broken scenes out of the typed plan; "unused" would then blame
    // variables and token sources that only those scenes use.
    let pruned = loaded.diagnostics.has_errors();
    // A field removed for its structural error must not be blamed again by a semantic rule
    // (an invalid `load.max` removed would also read as "no load level" on `load`).
    let repeats: Vec<String> = loaded
        .removed
        .iter()
        .flat_map(|p| {
            let parent = yaml::Path(p.0[..p.0.len().saturating_sub(1)].to_vec());
            [p.to_string(), parent.to_string()]
        })
        .collect();
    let repeated = |d: &diag::Diagnostic| {
        d.path.as_ref().is_some_and(|path| {
            repeats.iter().any(|r| {
                path == r
                    || path.starts_with(&format!("{r}."))
                    || path.starts_with(&format!("{r}["))
            })
        })
    };
    if let (Some(plan), Some(tree)) = (&loaded.plan, &loaded.tree) {
        let found = validate::validate(plan, tree, &loaded.sources, env);
        loaded.diagnostics.extend(
            found
                .into_iter()
                .filter(|d| !(pruned && d.code == "plan::unused"))
                .filter(|d| !repeated(d)),
        );
    }
    loaded
}
