//! The scene's load settings written into the JMX the backend runs, as PTS overrides a
//! script's own thread-group settings with the scene's.
//!
//! | scene | JMX |
//! |---|---|
//! | `Concurrency` (default 1) | `ThreadGroup.num_threads`, shared among the enabled thread groups in proportion to their own thread counts (evenly if those are not numbers); each gets at least one |
//! | `RampUp` (default 0) | `ThreadGroup.ramp_time` of each thread group |
//! | `Duration` | `ThreadGroup.scheduler` on, `ThreadGroup.duration`, `ThreadGroup.delay` 0; the loop count set to forever, so the run lasts its duration |
//! | `Mode` `tps_mode`, `MaxRps` | a Constant Throughput Timer at the test plan's top, shared by all threads, at `MaxRps`×60 per minute; threads: `Concurrency`, else `MaxRps` (at most 500) |
//! | debug run | one thread per thread group, one loop, no ramp-up |
//!
//! setUp and tearDown thread groups keep their threads and loops; they also get the
//! scheduler and the duration, so that nothing in the script outlives the run. Not mapped:
//! `StartConcurrency`, `StartRps`, `Steps` (JMeter's stock thread group ramps linearly from
//! zero), `AgentCount` (one local JMeter), the timer scopes, DNS settings, regions and VPC.

use super::script::{Resolver, disabled, prop};

/// What the run's thread groups are set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Load {
    /// Threads of all thread groups together.
    pub threads: i64,
    pub ramp_up_s: i64,
    pub duration_s: i64,
    /// One loop per thread (debug runs), instead of looping until the duration.
    pub once: bool,
    /// Requests per second for the whole test (TPS mode).
    pub max_rps: Option<i64>,
}

/// One change to the script's text: replace `range` with `text`.
struct Edit {
    range: std::ops::Range<usize>,
    text: String,
}

/// The thread group elements JMeter knows.
const MAIN_GROUP: &str = "ThreadGroup";
const SIDE_GROUPS: [&str; 2] = ["SetupThreadGroup", "PostThreadGroup"];

/// `source` with `load` written into its thread groups.
pub(crate) fn apply(
    source: &str,
    document: &roxmltree::Document<'_>,
    resolver: &Resolver<'_>,
    load: &Load,
) -> Result<String, String> {
    let groups: Vec<roxmltree::Node<'_, '_>> = document
        .descendants()
        .filter(|node| node.has_tag_name(MAIN_GROUP) && !disabled(*node))
        .collect();
    if groups.is_empty() {
        return Err(
            "the script has no enabled Thread Group (ThreadGroup element): nothing would run"
                .into(),
        );
    }
    let weights: Vec<i64> = groups
        .iter()
        .map(|group| {
            prop(*group, "ThreadGroup.num_threads")
                .and_then(|raw| resolver.resolve(raw).trim().parse::<i64>().ok())
                .filter(|threads| *threads > 0)
                .unwrap_or(0)
        })
        .collect();
    let shares = if load.once {
        vec![1; groups.len()]
    } else {
        share(load.threads, &weights)
    };
    let mut edits = Vec::new();
    for (group, threads) in groups.iter().zip(shares) {
        let ramp = if load.once { 0 } else { load.ramp_up_s };
        let mut added = set_props(
            *group,
            &[
                ("stringProp", "ThreadGroup.num_threads", threads.to_string()),
                ("stringProp", "ThreadGroup.ramp_time", ramp.to_string()),
            ],
            &mut edits,
        );
        added.push_str(&schedule(*group, load.duration_s, &mut edits));
        let loops = if load.once { "1" } else { "-1" };
        let controller = group.children().find(|child| {
            child.has_tag_name("elementProp")
                && child.attribute("name") == Some("ThreadGroup.main_controller")
        });
        let loop_props = [
            ("stringProp", "LoopController.loops", loops.to_owned()),
            (
                "boolProp",
                "LoopController.continue_forever",
                "false".to_owned(),
            ),
        ];
        match controller {
            Some(controller) => {
                let inner = set_props(controller, &loop_props, &mut edits);
                append(source, controller, &inner, &mut edits)?;
            }
            None => added.push_str(&format!(
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\" guiclass=\"LoopControlPanel\" testclass=\"LoopController\">{}</elementProp>",
                set_props(*group, &loop_props, &mut Vec::new())
            )),
        }
        append(source, *group, &added, &mut edits)?;
    }
    for side in document
        .descendants()
        .filter(|node| SIDE_GROUPS.iter().any(|tag| node.has_tag_name(*tag)))
    {
        let added = schedule(side, load.duration_s, &mut edits);
        append(source, side, &added, &mut edits)?;
    }
    if let Some(rps) = load.max_rps.filter(|_| !load.once) {
        edits.push(throughput_timer(source, document, rps)?);
    }
    Ok(splice(source, edits))
}

/// Scheduler on, `duration_s`, no delay; returns the properties to add.
fn schedule(group: roxmltree::Node<'_, '_>, duration_s: i64, edits: &mut Vec<Edit>) -> String {
    set_props(
        group,
        &[
            ("boolProp", "ThreadGroup.scheduler", "true".into()),
            ("stringProp", "ThreadGroup.duration", duration_s.to_string()),
            ("stringProp", "ThreadGroup.delay", "0".into()),
        ],
        edits,
    )
}

/// `total` threads shared in proportion to `weights` (evenly when any is 0), at least one
/// each.
fn share(total: i64, weights: &[i64]) -> Vec<i64> {
    let n = i64::try_from(weights.len()).unwrap_or(i64::MAX).max(1);
    let even = weights.iter().any(|w| *w <= 0);
    let weights: Vec<i64> = if even {
        vec![1; weights.len()]
    } else {
        weights.to_vec()
    };
    let sum: i64 = weights.iter().sum::<i64>().max(1);
    let total = total.max(n);
    let mut shares: Vec<i64> = weights.iter().map(|w| (total * w / sum).max(1)).collect();
    // Flooring leaves fewer threads over than there are groups.
    let left = usize::try_from(total - shares.iter().sum::<i64>()).unwrap_or(0);
    for share in shares.iter_mut().take(left) {
        *share += 1;
    }
    shares
}

/// Sets each `(kind, name, value)` child property of `element`: an existing one is
/// replaced (whatever its kind); the missing ones are returned, to be added with [`append`].
fn set_props(
    element: roxmltree::Node<'_, '_>,
    props: &[(&str, &str, String)],
    edits: &mut Vec<Edit>,
) -> String {
    let mut added = String::new();
    for (kind, name, value) in props {
        let text = format!("<{kind} name=\"{name}\">{value}</{kind}>");
        match element
            .children()
            .find(|child| child.is_element() && child.attribute("name") == Some(*name))
        {
            Some(existing) => edits.push(Edit {
                range: existing.range(),
                text,
            }),
            None => added.push_str(&text),
        }
    }
    added
}

/// Adds `children` at the end of `element` (a self-closing element is opened up). One call
/// per element, so that additions never overlap.
fn append(
    source: &str,
    element: roxmltree::Node<'_, '_>,
    children: &str,
    edits: &mut Vec<Edit>,
) -> Result<(), String> {
    if children.is_empty() {
        return Ok(());
    }
    let range = element.range();
    let text = source.get(range.clone()).unwrap_or_default();
    let tag = element.tag_name().name();
    if let Some(open) = text.strip_suffix("/>") {
        edits.push(Edit {
            range: range.start + open.len()..range.end,
            text: format!(">{children}</{tag}>"),
        });
        return Ok(());
    }
    let close = format!("</{tag}>");
    let at = text
        .rfind(&close)
        .ok_or_else(|| format!("the script's <{tag}> element has no closing tag"))?;
    edits.push(Edit {
        range: range.start + at..range.start + at,
        text: children.to_owned(),
    });
    Ok(())
}

/// The Constant Throughput Timer for `rps`, as the first element under the test plan.
fn throughput_timer(
    source: &str,
    document: &roxmltree::Document<'_>,
    rps: i64,
) -> Result<Edit, String> {
    let plan = document
        .descendants()
        .find(|node| node.has_tag_name("TestPlan"))
        .ok_or("the script has no TestPlan element")?;
    let tree = plan
        .next_sibling_element()
        .filter(|node| node.has_tag_name("hashTree"))
        .ok_or("the script's TestPlan is not followed by its hashTree")?;
    let per_minute = rps.max(1) * 60;
    // calcMode 3: "all active threads (shared)".
    let timer = format!(
        "<ConstantThroughputTimer guiclass=\"TestBeanGUI\" testclass=\"ConstantThroughputTimer\" testname=\"ptsplan: MaxRps {rps}\" enabled=\"true\"><intProp name=\"calcMode\">3</intProp><doubleProp><name>throughput</name><value>{per_minute}.0</value><savedValue>0.0</savedValue></doubleProp></ConstantThroughputTimer><hashTree/>"
    );
    let range = tree.range();
    let text = source.get(range.clone()).unwrap_or_default();
    if text.ends_with("/>") {
        return Ok(Edit {
            range,
            text: format!("<hashTree>{timer}</hashTree>"),
        });
    }
    let open_end = text
        .find('>')
        .map(|at| range.start + at + 1)
        .ok_or("the script's hashTree is malformed")?;
    Ok(Edit {
        range: open_end..open_end,
        text: timer,
    })
}

/// Applies `edits` (non-overlapping) to `source`.
fn splice(source: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|edit| std::cmp::Reverse((edit.range.start, edit.range.end)));
    let mut text = source.to_owned();
    for edit in edits {
        text.replace_range(edit.range, &edit.text);
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const JMX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2"><hashTree>
<TestPlan testname="t"/>
<hashTree>
  <ThreadGroup testname="buyers">
    <intProp name="ThreadGroup.num_threads">${__P(threads,3)}</intProp>
    <boolProp name="ThreadGroup.scheduler">false</boolProp>
  </ThreadGroup>
  <hashTree/>
  <ThreadGroup testname="sellers">
    <stringProp name="ThreadGroup.num_threads">1</stringProp>
    <elementProp name="ThreadGroup.main_controller" elementType="LoopController">
      <intProp name="LoopController.loops">5</intProp>
    </elementProp>
  </ThreadGroup>
  <hashTree/>
  <ThreadGroup testname="off" enabled="false"/>
  <SetupThreadGroup testname="login"><stringProp name="ThreadGroup.num_threads">2</stringProp></SetupThreadGroup>
</hashTree></hashTree></jmeterTestPlan>"#;

    fn load() -> Load {
        Load {
            threads: 8,
            ramp_up_s: 2,
            duration_s: 30,
            once: false,
            max_rps: None,
        }
    }

    fn rewritten(load: &Load) -> String {
        let document = roxmltree::Document::parse(JMX).expect("xml");
        let properties = HashMap::new();
        let resolver = Resolver::new(&document, &properties);
        apply(JMX, &document, &resolver, load).expect("rewritten")
    }

    fn group_prop(text: &str, group: &str, name: &str) -> Option<String> {
        let document = roxmltree::Document::parse(text).expect("still xml");
        let node = document
            .descendants()
            .find(|n| n.attribute("testname") == Some(group))?;
        let found = node
            .descendants()
            .find(|n| n.attribute("name") == Some(name))?;
        Some(found.text().unwrap_or("").to_owned())
    }

    #[test]
    fn thread_groups_get_the_scenes_threads_ramp_and_duration() {
        let text = rewritten(&load());
        assert_eq!(
            group_prop(&text, "buyers", "ThreadGroup.num_threads").as_deref(),
            Some("6")
        );
        assert_eq!(
            group_prop(&text, "sellers", "ThreadGroup.num_threads").as_deref(),
            Some("2")
        );
        for group in ["buyers", "sellers"] {
            assert_eq!(
                group_prop(&text, group, "ThreadGroup.ramp_time").as_deref(),
                Some("2")
            );
            assert_eq!(
                group_prop(&text, group, "ThreadGroup.scheduler").as_deref(),
                Some("true")
            );
            assert_eq!(
                group_prop(&text, group, "ThreadGroup.duration").as_deref(),
                Some("30")
            );
            assert_eq!(
                group_prop(&text, group, "LoopController.loops").as_deref(),
                Some("-1")
            );
        }
        // The disabled group is left alone; setUp keeps its threads but gets the bound.
        assert_eq!(group_prop(&text, "off", "ThreadGroup.duration"), None);
        assert_eq!(
            group_prop(&text, "login", "ThreadGroup.num_threads").as_deref(),
            Some("2")
        );
        assert_eq!(
            group_prop(&text, "login", "ThreadGroup.duration").as_deref(),
            Some("30")
        );
    }

    #[test]
    fn debug_runs_loop_once_with_one_thread_and_tps_mode_adds_a_shared_timer() {
        let text = rewritten(&Load {
            once: true,
            ..load()
        });
        assert_eq!(
            group_prop(&text, "buyers", "ThreadGroup.num_threads").as_deref(),
            Some("1")
        );
        assert_eq!(
            group_prop(&text, "sellers", "LoopController.loops").as_deref(),
            Some("1")
        );
        let text = rewritten(&Load {
            max_rps: Some(50),
            ..load()
        });
        assert!(text.contains("<value>3000.0</value>"), "{text}");
        let document = roxmltree::Document::parse(&text).expect("xml");
        let timer = document
            .descendants()
            .find(|n| n.has_tag_name("ConstantThroughputTimer"))
            .expect("timer");
        assert!(timer.parent().is_some_and(|p| p.has_tag_name("hashTree")));
    }

    #[test]
    fn threads_are_shared_with_at_least_one_each() {
        assert_eq!(share(10, &[1, 1]), [5, 5]);
        assert_eq!(share(10, &[3, 1]), [8, 2]);
        assert_eq!(share(1, &[5, 5, 5]), [1, 1, 1]);
        assert_eq!(share(7, &[0, 4]), [4, 3]);
    }
}
