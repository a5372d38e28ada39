//! Rules for `environments` and `jmeter_scenes`: files exist, a JMX script is well-formed
//! XML with a JMeter test plan at its root, environments referenced exist, properties stay
//! out of ptsplan's reserved names, and the load is inside PTS's ranges.

use super::{MAX_RUN, MAX_SCENE_NAME, RESERVED_PREFIX, Scopes, Validator, suggest};
use crate::spec::model::{JMeterScene, LoadMode, Scalar};
use crate::spec::units::Duration;
use crate::spec::yaml::Path;

/// Threads one PTS JMeter load generator runs at most.
pub const THREADS_PER_AGENT: u32 = 500;
/// Shortest JMeter run PTS accepts (`Duration` 60..86400 s).
pub const MIN_JMETER_RUN: Duration = Duration::from_mins(1);

impl Validator<'_> {
    /// Checks every environment and JMeter scene.
    pub(super) fn jmeter(&mut self) {
        for (key, env) in &self.plan.environments {
            let path = Path::root().key("environments").key(key);
            self.properties(&path.key("properties"), &env.properties);
            for (i, file) in env.files.iter().enumerate() {
                self.local_file(&path.key("files").index(i), file);
            }
        }
        for (key, scene) in &self.plan.jmeter_scenes {
            self.jmeter_scene(key, scene);
        }
    }

    fn jmeter_scene(&mut self, key: &str, scene: &JMeterScene) {
        let path = Path::root().key("jmeter_scenes").key(key);
        let text = self.jmx(&path.key("jmx"), &scene.jmx);
        let groups = text.as_deref().and_then(crate::spec::jmx::layout);
        let layout: Option<Vec<(&str, Vec<&str>)>> = groups.as_ref().map(|groups| {
            groups
                .iter()
                .map(|g| {
                    (
                        g.name.as_str(),
                        g.samplers.iter().map(String::as_str).collect(),
                    )
                })
                .collect()
        });
        let scopes = Scopes {
            layout: layout.as_deref(),
            chain: "thread group",
            step: "sampler",
            place: format!("`{}`", scene.jmx),
        };
        self.threshold_list(&path, scene.thresholds.as_deref(), &scopes);
        for (i, file) in scene.files.iter().enumerate() {
            self.local_file(&path.key("files").index(i), file);
        }
        self.properties(&path.key("properties"), &scene.properties);
        if let Some(env) = &scene.environment {
            if !self.plan.environments.contains_key(env) {
                let d = self
                    .err(
                        "plan::undefined-environment",
                        &path.key("environment"),
                        format!("environment `{env}` is not defined"),
                    )
                    .with_label("no such key under `environments`");
                let d = suggest(d, env, self.plan.environments.keys().map(String::as_str));
                let d = if d.help.is_none() {
                    d.with_help(format!(
                        "add `environments: {{ {env}: {{…}} }}` to the plan"
                    ))
                } else {
                    d
                };
                self.diags.push(d);
            }
        }
        let name = scene.name.clone().unwrap_or_else(|| key.to_owned());
        let chars = name.chars().count();
        if chars > MAX_SCENE_NAME {
            let at = if scene.name.is_some() {
                self.err("plan::scene-name", &path.key("name"), format!("scene name `{name}` has {chars} characters; PTS accepts at most {MAX_SCENE_NAME}"))
            } else {
                self.key_err("plan::scene-name", &path, format!("scene name `{name}` has {chars} characters; PTS accepts at most {MAX_SCENE_NAME}"))
            };
            self.diags.push(at.with_help("set a shorter `name:`"));
        }
        let load = &scene.load;
        let lp = path.key("load");
        if load.max == 0 {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    &lp.key("max"),
                    "the load must be at least 1",
                )
                .with_help("set `max` to the threads (or RPS) to reach"),
            );
        }
        if let Some(start) = load.start.filter(|s| *s > load.max) {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    &lp.key("start"),
                    format!("start {start} is above max {}", load.max),
                )
                .with_help("start at or below `max`"),
            );
        }
        if load.duration < MIN_JMETER_RUN || load.duration > MAX_RUN {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    &lp.key("duration"),
                    format!(
                        "{} is outside PTS's range for JMeter runs ({MIN_JMETER_RUN}..{MAX_RUN})",
                        load.duration
                    ),
                )
                .with_help("PTS runs a JMeter scene for 1 minute to 24 hours"),
            );
        }
        if let Some(ramp) = load.ramp_up.filter(|r| *r > load.duration) {
            self.diags.push(self.err(
                "plan::out-of-range",
                &lp.key("ramp_up"),
                format!(
                    "a ramp-up of {ramp} is longer than the run ({})",
                    load.duration
                ),
            ));
        }
        let agents = load.agents.unwrap_or(1);
        if agents == 0 {
            self.diags.push(self.err(
                "plan::out-of-range",
                &lp.key("agents"),
                "at least one load generator is needed",
            ));
        } else if load.mode != Some(LoadMode::Rps)
            && u64::from(load.max) > u64::from(agents) * u64::from(THREADS_PER_AGENT)
        {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    &lp.key("max"),
                    format!(
                        "{} threads need more than {agents} load generator(s) ({THREADS_PER_AGENT} threads each)",
                        load.max
                    ),
                )
                .with_help(format!(
                    "set `agents: {}` or lower `max`",
                    load.max.div_ceil(THREADS_PER_AGENT)
                )),
            );
        }
        for (region, amount) in &scene.regions {
            if *amount == 0 {
                self.diags.push(self.err(
                    "plan::out-of-range",
                    &path.key("regions").key(region),
                    "a region needs at least one load generator",
                ));
            }
        }
    }

    /// Property names must not be ptsplan's marker.
    fn properties(&mut self, path: &Path, properties: &indexmap::IndexMap<String, Scalar>) {
        for name in properties.keys() {
            if name.starts_with(RESERVED_PREFIX) {
                self.diags.push(
                    self.key_err(
                        "plan::reserved-name",
                        &path.key(name),
                        format!(
                            "`{RESERVED_PREFIX}` names are reserved for ptsplan's ownership marker"
                        ),
                    )
                    .with_help("rename the property"),
                );
            }
        }
    }

    /// The JMX script must exist and be a well-formed JMeter test plan; its text when it is
    /// (a script named by URL is not read).
    fn jmx(&mut self, path: &Path, file: &str) -> Option<String> {
        let bytes = self.local_file(path, file)?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                self.diags.push(
                    self.err("plan::jmx", path, format!("`{file}` is not UTF-8 text"))
                        .with_help("save the JMX file as UTF-8"),
                );
                return None;
            }
        };
        match roxmltree::Document::parse(&text) {
            Err(error) => {
                self.diags.push(
                self.err(
                    "plan::jmx",
                    path,
                    format!("`{file}` is not well-formed XML: {error} (line:column in {file})"),
                )
                .with_label("malformed JMX")
                .with_help(format!(
                    "fix the XML at the line and column given (in {file}), e.g. by opening and saving it in JMeter"
                )),
            );
                return None;
            }
            Ok(document) => {
                let root = document.root_element().tag_name().name();
                if root != "jmeterTestPlan" {
                    self.diags.push(
                        self.err(
                            "plan::jmx",
                            path,
                            format!(
                                "`{file}` holds <{root}>, not a JMeter test plan (<jmeterTestPlan>)"
                            ),
                        )
                        .with_help("name the .jmx file JMeter saved"),
                    );
                    return None;
                }
            }
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::Diagnostic;
    use crate::spec::Env;

    /// The diagnostics of `plan` written beside `orders.jmx` holding `jmx` (none: no file),
    /// with the plan's text.
    fn check(plan: &str, jmx: Option<&str>) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.yaml");
        std::fs::write(&path, plan).expect("plan");
        if let Some(jmx) = jmx {
            std::fs::write(dir.path().join("orders.jmx"), jmx).expect("jmx");
        }
        let env = Env {
            now: "2026-11-23T00:00:00Z".parse().expect("timestamp"),
            var: &|_| None,
            require_env: false,
        };
        let loaded = crate::spec::check(&path, &env);
        loaded.diagnostics.sorted().into_iter().cloned().collect()
    }

    fn spanned<'a>(plan: &'a str, d: &Diagnostic) -> &'a str {
        let span = d.span.expect("a place");
        &plan[span.start..span.end]
    }

    const PLAN: &str = "version: 1
workspace: w
environments:
  shared: {}
jmeter_scenes:
  orders:
    jmx: orders.jmx
    load: { max: 5, duration: 2m }
    environment: sharde
";

    #[test]
    fn an_unknown_environment_is_named_with_a_suggestion() {
        let diags = check(PLAN, Some("<jmeterTestPlan/>"));
        assert_eq!(diags.len(), 1, "{diags:#?}");
        let d = &diags[0];
        assert_eq!(d.code, "plan::undefined-environment");
        assert_eq!(d.path.as_deref(), Some("jmeter_scenes.orders.environment"));
        assert_eq!(spanned(PLAN, d), "sharde");
        assert_eq!(d.help.as_deref(), Some("did you mean `shared`?"));
    }

    #[test]
    fn a_missing_or_malformed_script_points_at_jmx() {
        let plan = PLAN.replace("sharde", "shared");
        let diags = check(&plan, None);
        let d = &diags[0];
        assert_eq!(
            (d.code, spanned(&plan, d)),
            ("plan::missing-file", "orders.jmx")
        );

        let diags = check(
            &plan,
            Some("<jmeterTestPlan>\n  <hashTree>\n</jmeterTestPlan>\n"),
        );
        let d = &diags[0];
        assert_eq!((d.code, spanned(&plan, d)), ("plan::jmx", "orders.jmx"));
        assert!(d.message.contains("not well-formed XML"), "{}", d.message);
        assert!(
            d.message.contains("at 3:1"),
            "the script's line and column: {}",
            d.message
        );

        let diags = check(&plan, Some("<html/>"));
        assert!(
            diags[0].message.contains("not a JMeter test plan"),
            "{diags:#?}"
        );
    }

    #[test]
    fn thresholds_parse_and_their_scopes_name_thread_groups_and_samplers_of_the_script() {
        let jmx = r#"<jmeterTestPlan><hashTree><TestPlan testname="p"/><hashTree>
<ThreadGroup testclass="ThreadGroup" testname="buyers"/><hashTree>
<HTTPSamplerProxy testclass="HTTPSamplerProxy" testname="list orders"/><hashTree/>
</hashTree></hashTree></hashTree></jmeterTestPlan>"#;
        let plan = PLAN.replace("sharde", "shared").replace(
            "    environment: shared\n",
            "    environment: shared
    thresholds:
      - p99 < 300ms
      - p99 < fast
      - { assert: errors == 0, chain: buyers, step: list orders }
      - { assert: errors == 0, chain: buyer }
      - { assert: errors == 0, chain: buyers, step: list order }
",
        );
        let diags = check(&plan, Some(jmx));
        let found: Vec<(&str, &str, &str)> = diags
            .iter()
            .map(|d| {
                (
                    d.code,
                    d.path.as_deref().unwrap_or_default(),
                    spanned(&plan, d),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "plan::invalid-threshold",
                    "jmeter_scenes.orders.thresholds[1]",
                    "p99 < fast"
                ),
                (
                    "plan::undefined-chain",
                    "jmeter_scenes.orders.thresholds[3].chain",
                    "buyer"
                ),
                (
                    "plan::undefined-step",
                    "jmeter_scenes.orders.thresholds[4].step",
                    "list order"
                ),
            ],
            "{diags:#?}"
        );
        assert!(
            diags[1]
                .message
                .contains("no thread group `buyer` in `orders.jmx`")
        );
        assert_eq!(diags[1].help.as_deref(), Some("did you mean `buyers`?"));
        assert!(
            diags[2]
                .message
                .contains("thread group `buyers` has no sampler `list order`"),
            "{}",
            diags[2].message
        );
    }

    #[test]
    fn load_and_reserved_properties_are_checked() {
        let plan = PLAN.replace("sharde", "shared").replace(
            "load: { max: 5, duration: 2m }",
            "load: { max: 600, start: 700, duration: 30s }\n    properties: { ptsplan_meta: x }",
        );
        let diags = check(&plan, Some("<jmeterTestPlan/>"));
        let codes: Vec<(&str, &str)> = diags
            .iter()
            .map(|d| (d.code, d.path.as_deref().unwrap_or_default()))
            .collect();
        assert!(
            codes.contains(&("plan::out-of-range", "jmeter_scenes.orders.load.start")),
            "{codes:?}"
        );
        assert!(
            codes.contains(&("plan::out-of-range", "jmeter_scenes.orders.load.duration")),
            "{codes:?}"
        );
        assert!(
            codes.contains(&("plan::out-of-range", "jmeter_scenes.orders.load.max")),
            "{codes:?}"
        );
        assert!(
            codes.contains(&(
                "plan::reserved-name",
                "jmeter_scenes.orders.properties.ptsplan_meta"
            )),
            "{codes:?}"
        );
    }
}
