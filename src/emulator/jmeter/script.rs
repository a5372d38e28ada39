//! Reading a JMX the way JMeter will, as far as the backend needs: the value of a
//! property-driven setting (`${__P(name,default)}`, `${__property(name,,default)}`, and
//! user-defined variables whose values are such references) before JMeter runs.
//!
//! Anything else (`${__javaScript(…)}`, variables set by extractors or CSV files) cannot be
//! known before the run; [`Resolver::resolve`] leaves it as written, and callers that need a
//! value treat a leftover `${` as unknown.

use std::collections::HashMap;

use regex::Regex;

/// Resolves `${…}` references against the run's JMeter properties and the script's
/// user-defined variables.
pub(crate) struct Resolver<'a> {
    properties: &'a HashMap<String, String>,
    variables: HashMap<String, String>,
    reference: Regex,
}

/// How many rounds of substitution to do (a variable may name a property).
const ROUNDS: usize = 5;

impl<'a> Resolver<'a> {
    /// A resolver for `document` run with `properties`: the variables are the script's
    /// `Arguments` (the test plan's and every "User Defined Variables" element's).
    pub fn new(
        document: &roxmltree::Document<'_>,
        properties: &'a HashMap<String, String>,
    ) -> Resolver<'a> {
        let mut variables = HashMap::new();
        for argument in document
            .descendants()
            .filter(|node| node.has_tag_name("elementProp"))
            .filter(|node| node.attribute("elementType") == Some("Argument"))
        {
            let name = prop(argument, "Argument.name");
            let value = prop(argument, "Argument.value");
            if let (Some(name), Some(value)) = (name, value) {
                variables.entry(name.to_owned()).or_insert(value.to_owned());
            }
        }
        Resolver {
            properties,
            variables,
            // A reference without nested braces: `${name}` or `${__fn(args)}`.
            reference: Regex::new(r"\$\{([^${}]*)\}").expect("constant regex"),
        }
    }

    /// `text` with every reference it can know replaced.
    pub fn resolve(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for _ in 0..ROUNDS {
            let next = self
                .reference
                .replace_all(&text, |captures: &regex::Captures<'_>| {
                    let inner = &captures[1];
                    self.lookup(inner).unwrap_or_else(|| captures[0].to_owned())
                })
                .into_owned();
            if next == text {
                break;
            }
            text = next;
        }
        text
    }

    fn lookup(&self, inner: &str) -> Option<String> {
        let call = inner
            .strip_prefix("__P(")
            .or_else(|| inner.strip_prefix("__property("))
            .and_then(|rest| rest.strip_suffix(')'));
        match call {
            Some(args) => {
                let parts: Vec<&str> = args.split(',').collect();
                let name = parts.first()?.trim();
                // __P(name,default); __property(name,variable,default).
                let default = if inner.starts_with("__P(") {
                    parts.get(1)
                } else {
                    parts.get(2)
                };
                self.properties
                    .get(name)
                    .cloned()
                    .or_else(|| default.map(|d| (*d).to_owned()))
                    .or_else(|| inner.starts_with("__P(").then(|| "1".to_owned()))
            }
            None if !inner.starts_with("__") => self.variables.get(inner).cloned(),
            None => None,
        }
    }
}

/// The text of `element`'s child property named `name` (`stringProp`, `intProp`, …).
pub(crate) fn prop<'a>(element: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    element
        .children()
        .find(|child| child.is_element() && child.attribute("name") == Some(name))
        .map(|child| child.text().unwrap_or(""))
}

/// Whether `element` is switched off in the script.
pub(crate) fn disabled(element: roxmltree::Node<'_, '_>) -> bool {
    element.attribute("enabled") == Some("false")
}

#[cfg(test)]
mod tests {
    use super::*;

    const JMX: &str = r#"<jmeterTestPlan><hashTree><TestPlan>
      <elementProp name="TestPlan.user_defined_variables" elementType="Arguments">
        <collectionProp name="Arguments.arguments">
          <elementProp name="host" elementType="Argument">
            <stringProp name="Argument.name">host</stringProp>
            <stringProp name="Argument.value">${__P(host,127.0.0.1)}</stringProp>
          </elementProp>
        </collectionProp>
      </elementProp>
    </TestPlan></hashTree></jmeterTestPlan>"#;

    #[test]
    fn properties_defaults_and_variables_resolve_and_the_rest_stays() {
        let document = roxmltree::Document::parse(JMX).expect("xml");
        let none = HashMap::new();
        let resolver = Resolver::new(&document, &none);
        assert_eq!(
            resolver.resolve("${host}:${__P(port,8090)}"),
            "127.0.0.1:8090"
        );
        assert_eq!(resolver.resolve("${__property(x,,9)}"), "9");
        assert_eq!(resolver.resolve("${__P(threads)}"), "1");
        assert_eq!(
            resolver.resolve("${user}/${__time()}"),
            "${user}/${__time()}"
        );
        let set: HashMap<String, String> = [("host".to_owned(), "10.0.0.1".to_owned())].into();
        let resolver = Resolver::new(&document, &set);
        assert_eq!(resolver.resolve("${host}"), "10.0.0.1");
    }
}
