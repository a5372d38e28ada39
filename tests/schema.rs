//! The committed JSON Schema equals the generated one, and `ptsplan schema` prints it.

use crate::util::{repo, run, stdout};

#[test]
fn committed_schema_is_up_to_date() {
    let generated = ptsplan::spec::schema::plan_schema_text();
    let path = repo().join(ptsplan::spec::schema::SCHEMA_FILE);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        if std::env::var_os("PTSPLAN_BLESS").is_some() {
            std::fs::write(&path, &generated).expect("write schema");
            return;
        }
        panic!(
            "{} is stale: run `PTSPLAN_BLESS=1 cargo test committed_schema` (or `ptsplan schema > {}`) and commit it",
            path.display(),
            ptsplan::spec::schema::SCHEMA_FILE
        );
    }
}

#[test]
fn schema_command_prints_the_schema() {
    let out = run(&["schema"]);
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("schema is JSON");
    assert_eq!(printed, ptsplan::spec::schema::plan_schema());
    assert_eq!(printed["title"], "ptsplan plan file (format v1)");
}
