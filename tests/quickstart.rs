//! plans/quickstart.yaml stands alone: valid by itself (only the warnings it means to
//! show), and applied twice against the emulator it converges. (Its `place-order` scene
//! is run by the engine against the sample app in `report_html`.)

use std::process::Output;

use ptsplan::spec::{self, Env};

use crate::util::{Backend, SAMPLE_SECRET, repo, start_backend, stderr, stdout};

#[test]
fn the_quickstart_plan_is_valid_alone() {
    let secret = |name: &str| (name == "SAMPLE_APP_SECRET").then(|| SAMPLE_SECRET.to_owned());
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("timestamp"),
        var: &secret,
        require_env: true,
    };
    let loaded = spec::check(&repo().join("plans/quickstart.yaml"), &env);
    let codes: Vec<&str> = loaded
        .diagnostics
        .sorted()
        .into_iter()
        .map(|d| d.code)
        .collect();
    // Two 20-second scenes: shorter than PTS allows, which validate says.
    assert_eq!(codes, ["plan::local-only", "plan::local-only"]);
    let plan = loaded.plan.expect("the plan decodes");
    assert_eq!(plan.workspace, "quickstart");
    assert_eq!(plan.scenes.len(), 2);
}

fn apply(backend: &Backend, dir: &std::path::Path) -> Output {
    backend.run(dir, &["apply", "quickstart.yaml", "--auto-approve"])
}

#[test]
fn the_quickstart_applies_then_converges() {
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    std::fs::copy(
        repo().join("plans/quickstart.yaml"),
        dir.path().join("quickstart.yaml"),
    )
    .expect("copy the plan");
    let first = apply(&backend, dir.path());
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(stdout(&first).contains("2 created"), "{}", stdout(&first));
    let second = apply(&backend, dir.path());
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let text = format!("{}{}", stdout(&second), stderr(&second));
    assert!(text.contains("No changes"), "{text}");
    for out in [&first, &second] {
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(!all.contains(SAMPLE_SECRET), "the app secret never shows");
    }
}
