//! The shape of a JMX script: its thread groups and, in each, the samplers it runs.
//!
//! JMeter scenes name thread groups and samplers the way PTS scenes name chains and steps:
//! a scoped threshold `{ assert: "p99 < 300ms", chain: buyers, step: list orders }` is
//! about the sampler `list orders` of the thread group `buyers`. Validation checks those
//! names against the script, and the run report places each sampler of a JMeter report in
//! its thread group (JMeter reports are per sampler, named by the sampler's `testname`).
//!
//! A JMX file is a `hashTree` of elements, each followed by a `hashTree` of its children.
//! Thread groups are elements whose `testclass` (else tag) ends in `ThreadGroup`; samplers
//! are those ending in `Sampler` or `SamplerProxy`, and transaction controllers, which
//! report a sample of their own. Disabled elements (`enabled="false"`) are left out.

use roxmltree::Node;

/// A thread group and the labels of the samplers it runs, in script order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadGroup {
    pub name: String,
    pub samplers: Vec<String>,
}

/// The thread groups of the JMX `text`, in script order; `None` when it is not XML.
pub fn layout(text: &str) -> Option<Vec<ThreadGroup>> {
    let document = roxmltree::Document::parse(text).ok()?;
    let mut groups = Vec::new();
    walk(document.root_element(), &mut |element, children| {
        if kind(element) == Some(Element::ThreadGroup) {
            let mut samplers = Vec::new();
            if let Some(children) = children {
                collect_samplers(children, &mut samplers);
            }
            groups.push(ThreadGroup {
                name: name(element),
                samplers,
            });
            false
        } else {
            true
        }
    });
    Some(groups)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    ThreadGroup,
    Sampler,
}

fn kind(element: Node<'_, '_>) -> Option<Element> {
    let class = element
        .attribute("testclass")
        .unwrap_or_else(|| element.tag_name().name());
    let class = class.rsplit('.').next().unwrap_or(class);
    if class.ends_with("ThreadGroup") {
        Some(Element::ThreadGroup)
    } else if class.ends_with("Sampler")
        || class.ends_with("SamplerProxy")
        || class == "TransactionController"
    {
        Some(Element::Sampler)
    } else {
        None
    }
}

fn name(element: Node<'_, '_>) -> String {
    element.attribute("testname").unwrap_or_default().to_owned()
}

/// Calls `visit(element, its hashTree)` for every enabled element under `node`, in order;
/// descends into an element's children only when `visit` says so.
fn walk<'a, 'i>(
    node: Node<'a, 'i>,
    visit: &mut dyn FnMut(Node<'a, 'i>, Option<Node<'a, 'i>>) -> bool,
) {
    let elements: Vec<Node<'a, 'i>> = node.children().filter(Node::is_element).collect();
    let mut i = 0;
    while i < elements.len() {
        let element = elements[i];
        if element.tag_name().name() == "hashTree" {
            walk(element, visit);
            i += 1;
            continue;
        }
        let children = elements
            .get(i + 1)
            .copied()
            .filter(|n| n.tag_name().name() == "hashTree");
        i += if children.is_some() { 2 } else { 1 };
        if element.attribute("enabled") == Some("false") {
            continue;
        }
        if visit(element, children)
            && let Some(children) = children
        {
            walk(children, visit);
        }
    }
}

fn collect_samplers(tree: Node<'_, '_>, out: &mut Vec<String>) {
    walk(tree, &mut |element, _| {
        if kind(element) == Some(Element::Sampler) {
            let label = name(element);
            if !out.contains(&label) {
                out.push(label);
            }
        }
        // Samplers inside controllers (and transaction controllers' own samplers) count.
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_groups_hold_their_enabled_samplers_in_order() {
        let text = r#"<?xml version="1.0"?>
<jmeterTestPlan version="1.2">
  <hashTree>
    <TestPlan testclass="TestPlan" testname="plan"/>
    <hashTree>
      <ThreadGroup testclass="ThreadGroup" testname="buyers"/>
      <hashTree>
        <CSVDataSet testclass="CSVDataSet" testname="users"/>
        <hashTree/>
        <HTTPSamplerProxy testclass="HTTPSamplerProxy" testname="list orders"/>
        <hashTree/>
        <TransactionController testclass="TransactionController" testname="checkout">
        </TransactionController>
        <hashTree>
          <HTTPSamplerProxy testclass="HTTPSamplerProxy" testname="pay"/>
          <hashTree/>
          <HTTPSamplerProxy testclass="HTTPSamplerProxy" testname="off" enabled="false"/>
          <hashTree/>
        </hashTree>
      </hashTree>
      <SetupThreadGroup testclass="SetupThreadGroup" testname="setup"/>
      <hashTree>
        <JSR223Sampler testclass="JSR223Sampler" testname="seed"/>
        <hashTree/>
      </hashTree>
      <ThreadGroup testclass="ThreadGroup" testname="idle" enabled="false"/>
      <hashTree/>
    </hashTree>
  </hashTree>
</jmeterTestPlan>"#;
        let groups = layout(text).expect("xml");
        assert_eq!(
            groups,
            [
                ThreadGroup {
                    name: "buyers".into(),
                    samplers: vec!["list orders".into(), "checkout".into(), "pay".into()],
                },
                ThreadGroup {
                    name: "setup".into(),
                    samplers: vec!["seed".into()],
                },
            ]
        );
        assert_eq!(layout("not xml <"), None);
    }
}
