//! Finding Apache JMeter and Java: where the backend looks, what it needs there, and the
//! error a start gets when they are missing.
//!
//! JMeter is optional. The home is `PTSPLAN_JMETER_HOME` (default `/usr/share/jmeter`, where
//! Debian's `jmeter` package puts it); Java is `PTSPLAN_JAVA`, else `$JAVA_HOME/bin/java`,
//! else `java` on `PATH`. Both are looked up at each start, so installing JMeter does not
//! need a backend restart.

use std::path::{Path, PathBuf};

/// The launcher's source, written into each run's folder (see the file's comment).
pub(crate) const LAUNCHER_SOURCE: &str = include_str!("PtsplanJMeter.java");

/// The launcher's file name; Java's single-file launch needs it to match the class.
pub(crate) const LAUNCHER_FILE: &str = "PtsplanJMeter.java";

/// Debian's default JMeter home.
const DEFAULT_HOME: &str = "/usr/share/jmeter";

/// Where Debian keeps the XStream JMeter 2.13 links against (JMeter's own builds ship it in
/// `lib/`).
const DEBIAN_XSTREAM: &str = "/usr/share/java/xstream.jar";

/// Where to look for JMeter and Java: a server option, from the environment by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JMeterSetup {
    /// The JMeter home (holding `bin/ApacheJMeter.jar`).
    pub home: PathBuf,
    /// The `java` to run, or `None` for `$JAVA_HOME/bin/java` or `java` on `PATH`.
    pub java: Option<PathBuf>,
}

impl Default for JMeterSetup {
    fn default() -> JMeterSetup {
        JMeterSetup::from_env()
    }
}

impl JMeterSetup {
    /// `PTSPLAN_JMETER_HOME` and `PTSPLAN_JAVA`, with their defaults.
    pub fn from_env() -> JMeterSetup {
        JMeterSetup {
            home: std::env::var_os("PTSPLAN_JMETER_HOME")
                .filter(|home| !home.is_empty())
                .map_or_else(|| PathBuf::from(DEFAULT_HOME), PathBuf::from),
            java: std::env::var_os("PTSPLAN_JAVA")
                .filter(|java| !java.is_empty())
                .map(PathBuf::from),
        }
    }

    /// The installation, or why there is none (the text a start answers).
    pub(crate) fn locate(&self) -> Result<Installation, String> {
        let launcher = self.home.join("bin/ApacheJMeter.jar");
        if !launcher.is_file() {
            return Err(missing(&format!(
                "no Apache JMeter at {} ({} is missing)",
                self.home.display(),
                launcher.display()
            )));
        }
        let java = self.java().ok_or_else(|| {
            missing("no Java runtime (java is not on PATH; set JAVA_HOME or PTSPLAN_JAVA)")
        })?;
        let mut classpath = vec![launcher];
        for dir in ["lib", "lib/ext"] {
            classpath.extend(jars(&self.home.join(dir)));
        }
        let bundled_xstream = classpath.iter().any(|jar| {
            jar.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("xstream"))
        });
        if !bundled_xstream && Path::new(DEBIAN_XSTREAM).is_file() {
            classpath.push(PathBuf::from(DEBIAN_XSTREAM));
        }
        Ok(Installation {
            java,
            home: self.home.clone(),
            classpath,
        })
    }

    fn java(&self) -> Option<PathBuf> {
        if let Some(java) = &self.java {
            return java.is_file().then(|| java.clone());
        }
        let from_home = std::env::var_os("JAVA_HOME")
            .map(|home| PathBuf::from(home).join("bin/java"))
            .filter(|java| java.is_file());
        from_home.or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|dir| dir.join("java"))
                .find(|java| java.is_file())
        })
    }
}

/// A JMeter that can run: the `java` binary, the home and the class path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Installation {
    pub java: PathBuf,
    pub home: PathBuf,
    pub classpath: Vec<PathBuf>,
}

/// The `.jar` files directly in `dir`, sorted (so the class path is the same every run).
fn jars(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jar") && path.is_file())
        .collect();
    found.sort();
    found
}

/// The message of a start when JMeter cannot run here: what is missing and how to fix it.
fn missing(what: &str) -> String {
    format!(
        "The local backend runs JMeter scenes with Apache JMeter, which is optional and not \
         available here: {what}. Install it (Debian/Ubuntu: `apt-get install jmeter \
         jmeter-http default-jre-headless`) or point PTSPLAN_JMETER_HOME at a JMeter home, \
         then start the scene again; or run the scene on Alibaba Cloud PTS."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_jmeter_says_what_is_missing_and_how_to_install_it() {
        let dir = tempfile::tempdir().expect("dir");
        let setup = JMeterSetup {
            home: dir.path().join("no-jmeter"),
            java: None,
        };
        let error = setup.locate().expect_err("no JMeter there");
        assert!(error.contains("no Apache JMeter at"), "{error}");
        assert!(error.contains("bin/ApacheJMeter.jar is missing"), "{error}");
        assert!(error.contains("apt-get install jmeter"), "{error}");
        assert!(error.contains("PTSPLAN_JMETER_HOME"), "{error}");
    }

    #[test]
    fn a_missing_java_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir_all(dir.path().join("bin")).expect("bin");
        std::fs::write(dir.path().join("bin/ApacheJMeter.jar"), b"").expect("jar");
        std::fs::create_dir_all(dir.path().join("lib/ext")).expect("lib");
        std::fs::write(dir.path().join("lib/ext/b.jar"), b"").expect("jar");
        std::fs::write(dir.path().join("lib/a.jar"), b"").expect("jar");
        let setup = JMeterSetup {
            home: dir.path().to_owned(),
            java: Some(dir.path().join("no-java")),
        };
        let error = setup.locate().expect_err("no Java");
        assert!(error.contains("no Java runtime"), "{error}");
        let found = JMeterSetup {
            java: Some(dir.path().join("bin/ApacheJMeter.jar")),
            ..setup
        }
        .locate()
        .expect("found");
        let names: Vec<_> = found
            .classpath
            .iter()
            .take(3)
            .map(|jar| jar.strip_prefix(dir.path()).expect("inside").to_owned())
            .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("bin/ApacheJMeter.jar"),
                PathBuf::from("lib/a.jar"),
                PathBuf::from("lib/ext/b.jar")
            ]
        );
    }
}
