//! The plan-file language: YAML with spans, the model, structural and semantic checks, and
//! the JSON Schema.

pub mod model;
pub mod units;
pub mod yaml;
