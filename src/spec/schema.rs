//! The JSON Schema of plan files, generated from [`crate::spec::model`].
//!
//! The same schema drives the structural checker ([`crate::spec::structure`]), so what an
//! editor flags and what `ptsplan validate` reports cannot drift apart. The committed copy in
//! `schemas/plan.schema.json` is tested to equal this output.

use schemars::generate::SchemaSettings;

use super::model::Plan;

/// Where the schema is published, for `$id` and the yaml-language-server comment.
pub const SCHEMA_FILE: &str = "schemas/plan.schema.json";

/// The JSON Schema (draft 2020-12) of a plan file.
pub fn plan_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    generator.into_root_schema_for::<Plan>().to_value()
}

/// The schema as committed: pretty JSON with a trailing newline.
pub fn plan_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&plan_schema()).unwrap_or_default();
    text.push('\n');
    text
}
