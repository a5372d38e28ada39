//! Where a JMX would send load, checked before JMeter starts: loopback only, unless the
//! backend's allow-list names the host (the rule the local engine applies to PTS scenes).
//!
//! Checked: the server of every HTTP sampler and of "HTTP Request Defaults"
//! (`HTTPSampler.domain`), a sampler path that is a whole URL (`http://host/…`), and the
//! TCP sampler's `TCPSampler.server`, after resolving `${__P(name,default)}` and user-defined
//! variables with the run's properties ([`Resolver`]). A host that still holds `${…}` (set
//! by a CSV file, an extractor or a function) cannot be known before the run and is refused.
//! Disabled elements are checked too.
//!
//! Not checked, so not protected: what scripting elements (JSR223, BeanShell) and samplers
//! of other protocols (JDBC, JMS, LDAP, FTP, mail…) connect to, and redirects followed by
//! JMeter at run time. Such scripts should only be run locally when their author knows where
//! they point.

use super::script::{Resolver, prop};

/// The properties naming a server.
const SERVER_PROPS: [&str; 2] = ["HTTPSampler.domain", "TCPSampler.server"];

/// Refuses the first target of `document` that is neither loopback nor allow-listed; the
/// text says which element and why.
pub(crate) fn check(
    document: &roxmltree::Document<'_>,
    resolver: &Resolver<'_>,
    allow_hosts: &[String],
) -> Result<(), String> {
    for element in document.descendants().filter(|node| node.is_element()) {
        let name = element.attribute("testname").unwrap_or("?");
        for key in SERVER_PROPS {
            if let Some(raw) = prop(element, key) {
                check_host(name, key, raw, resolver.resolve(raw).trim(), allow_hosts)?;
            }
        }
        if let Some(raw) = prop(element, "HTTPSampler.path") {
            let path = resolver.resolve(raw);
            let lower = path.trim().to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                let host = url::Url::parse(path.trim())
                    .ok()
                    .and_then(|url| url.host_str().map(str::to_owned))
                    .unwrap_or_else(|| path.clone());
                check_host(name, "HTTPSampler.path", raw, &host, allow_hosts)?;
            }
        }
    }
    Ok(())
}

fn check_host(
    element: &str,
    key: &str,
    raw: &str,
    host: &str,
    allow_hosts: &[String],
) -> Result<(), String> {
    if host.is_empty() {
        return Ok(());
    }
    if host.contains("${") {
        return Err(format!(
            "`{element}`: {key} `{raw}` cannot be resolved before the run, so the local \
             backend cannot tell where it sends load. Use a literal host or \
             ${{__P(name,default)}} with the property set on the scene or its environment."
        ));
    }
    crate::engine::check_target(host, 80, &[], allow_hosts)
        .map(|_| ())
        .map_err(|error| format!("`{element}`: {key}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn checked(jmx: &str, properties: &[(&str, &str)], allow: &[&str]) -> Result<(), String> {
        let document = roxmltree::Document::parse(jmx).expect("xml");
        let properties: HashMap<String, String> = properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let allow: Vec<String> = allow.iter().map(|h| (*h).to_owned()).collect();
        check(&document, &Resolver::new(&document, &properties), &allow)
    }

    fn sampler(domain: &str, path: &str) -> String {
        format!(
            r#"<hashTree><HTTPSamplerProxy testname="list">
            <stringProp name="HTTPSampler.domain">{domain}</stringProp>
            <stringProp name="HTTPSampler.path">{path}</stringProp>
            </HTTPSamplerProxy></hashTree>"#
        )
    }

    #[test]
    fn loopback_passes_and_other_hosts_need_the_allow_list() {
        assert!(checked(&sampler("127.0.0.1", "/a"), &[], &[]).is_ok());
        assert!(checked(&sampler("${__P(host,localhost)}", "/a"), &[], &[]).is_ok());
        let far = checked(
            &sampler("${__P(host,127.0.0.1)}", "/a"),
            &[("host", "10.9.8.7")],
            &[],
        )
        .expect_err("not loopback");
        assert!(far.contains("`list`: HTTPSampler.domain"), "{far}");
        assert!(far.contains("not loopback"), "{far}");
        assert!(checked(&sampler("10.9.8.7", "/a"), &[], &["10.9.8.7"]).is_ok());
        let url = checked(&sampler("", "http://10.9.8.7:81/x"), &[], &[]).expect_err("url");
        assert!(url.contains("HTTPSampler.path"), "{url}");
        assert!(checked(&sampler("", "/relative"), &[], &[]).is_ok());
    }

    #[test]
    fn a_host_known_only_at_run_time_is_refused() {
        let error = checked(&sampler("${target_host}", "/a"), &[], &[]).expect_err("unknown");
        assert!(
            error.contains("cannot be resolved before the run"),
            "{error}"
        );
    }
}
