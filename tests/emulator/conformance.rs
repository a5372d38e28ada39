//! The official Python SDK (`alibabacloud-pts20201020`, unmodified) against the real binary,
//! with its default V3 signature and with v1 (`signature_algorithm='v2'`).
//!
//! The SDK is installed once into `<target dir>/sdk-venv` (needs PyPI). Set
//! `PTSPLAN_SKIP_SDK=1` to skip this test where Python or PyPI is unavailable.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::client::{KEY_ID, SECRET, Spawned, workspace};
use crate::util::repo;

/// `<target dir>/sdk-venv`, next to the binary under test's profile directory.
fn venv_dir() -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_ptsplan"));
    let target = binary
        .parent()
        .and_then(Path::parent)
        .map(Path::to_owned)
        .unwrap_or_else(|| repo().join("target"));
    target.join("sdk-venv")
}

/// The venv's Python with the SDK installed (installing it when missing).
fn sdk_python() -> PathBuf {
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    let has_sdk = |python: &Path| {
        Command::new(python)
            .args(["-c", "import alibabacloud_pts20201020.client"])
            .status()
            .is_ok_and(|status| status.success())
    };
    if python.exists() && has_sdk(&python) {
        return python;
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 runs (set PTSPLAN_SKIP_SDK=1 to skip the SDK conformance test)");
    assert!(
        created.success(),
        "python3 -m venv {} failed",
        venv.display()
    );
    let installed = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "alibabacloud-pts20201020"])
        .status()
        .expect("pip runs");
    assert!(
        installed.success(),
        "pip install alibabacloud-pts20201020 failed (needs PyPI; PTSPLAN_SKIP_SDK=1 skips)"
    );
    assert!(has_sdk(&python), "the SDK does not import after install");
    python
}

#[test]
fn official_python_sdk_passes_with_v3_and_v1_signatures() {
    if std::env::var_os("PTSPLAN_SKIP_SDK").is_some_and(|v| v == "1") {
        eprintln!("skipped: PTSPLAN_SKIP_SDK=1 (the official SDK conformance suite did not run)");
        return;
    }
    let python = sdk_python();
    let (_dir, keys, state) = workspace();
    let server = Spawned::start(&state, &keys, &[]);
    for signature in ["v3", "v2"] {
        let out = Command::new(&python)
            .arg(repo().join("tests/sdk/conformance.py"))
            .env("PTS_ENDPOINT", server.addr.to_string())
            .env("PTS_KEY_ID", KEY_ID)
            .env("PTS_KEY_SECRET", SECRET)
            .env("PTS_SIGNATURE", signature)
            .output()
            .expect("conformance.py runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprintln!("{stdout}");
        assert!(
            out.status.success(),
            "conformance ({signature}) failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(&format!("conformance {signature}: all checks passed")));
    }
}
