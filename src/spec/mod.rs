//! The plan-file language: YAML with spans, the model, structural and semantic checks, and
//! the JSON Schema.
//!
//! [`check`] is the whole front end: [`load`] reads and structurally checks the files, and
//! [`validate`] applies the semantic rules to the decoded [`model::Plan`].

pub mod interpolate;
pub mod load;
pub mod model;
pub mod schema;
pub mod structure;
pub mod threshold;
pub mod units;
pub mod validate;
pub mod yaml;

pub use load::Loaded;
pub use validate::Env;

/// Reads and checks the plan at `path`; every finding is in the result's diagnostics, and
/// the typed plan is present whenever its structure was sound.
pub fn check(path: &std::path::Path, env: &Env<'_>) -> Loaded {
    let mut loaded = load::load(path);
    // Structural errors leave broken scenes out of the typed plan; "unused" would then blame
    // variables and token sources that only those scenes use.
    let pruned = loaded.diagnostics.has_errors();
    if let (Some(plan), Some(tree)) = (&loaded.plan, &loaded.tree) {
        let found = validate::validate(plan, tree, &loaded.sources, env);
        loaded.diagnostics.extend(
            found
                .into_iter()
                .filter(|d| !(pruned && d.code == "plan::unused")),
        );
    }
    loaded
}
