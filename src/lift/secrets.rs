//! Credentials found while lifting: values that look like secrets become `${secret.NAME}`
//! references, so an imported plan never holds them; the user sets `NAME` in the
//! environment (the value is never printed).

use indexmap::IndexMap;

/// One secret reference made by lifting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretUse {
    /// The environment variable to set (`${secret.NAME}`).
    pub name: String,
    /// Where the value was found, e.g. `scene order, step pay, header Authorization`.
    pub place: String,
}

/// The secrets of one import: the same value found twice gets the same name.
#[derive(Debug, Default)]
pub struct Secrets {
    by_value: IndexMap<String, String>,
    /// Every reference made, first use of each name only.
    pub uses: Vec<SecretUse>,
}

impl Secrets {
    /// `value` as it should appear in the plan: a `${secret.NAME}` reference when `field`
    /// names a credential and `value` is a literal (a value built from `${param}`
    /// references, such as `Bearer ${access_token}`, is not a secret itself).
    pub fn value(&mut self, field: &str, value: &str, name_hint: &str, place: &str) -> String {
        if !is_credential_name(field) || value.is_empty() || value.contains("${") {
            return value.to_owned();
        }
        let name = match self.by_value.get(value) {
            Some(name) => name.clone(),
            None => {
                let name = self.unique(&env_name(name_hint));
                self.by_value.insert(value.to_owned(), name.clone());
                self.uses.push(SecretUse {
                    name: name.clone(),
                    place: place.to_owned(),
                });
                name
            }
        };
        format!("${{secret.{name}}}")
    }

    /// Walks a JSON document, replacing credential-named string members.
    pub fn json(
        &mut self,
        value: &serde_json::Value,
        hint: &str,
        place: &str,
    ) -> serde_json::Value {
        use serde_json::Value as J;
        match value {
            J::Object(map) => J::Object(
                map.iter()
                    .map(|(k, v)| {
                        let replaced = match v {
                            J::String(s) => J::String(self.value(
                                k,
                                s,
                                &format!("{hint}_{k}"),
                                &format!("{place}, field {k}"),
                            )),
                            other => self.json(other, hint, place),
                        };
                        (k.clone(), replaced)
                    })
                    .collect(),
            ),
            J::Array(items) => J::Array(items.iter().map(|v| self.json(v, hint, place)).collect()),
            other => other.clone(),
        }
    }

    fn unique(&self, base: &str) -> String {
        let taken = |n: &str| self.by_value.values().any(|v| v == n);
        if !taken(base) {
            return base.to_owned();
        }
        (2..)
            .map(|i| format!("{base}_{i}"))
            .find(|n| !taken(n))
            .unwrap_or_else(|| base.to_owned())
    }
}

/// Whether a header, parameter or field name says its value is a credential:
/// `Authorization`, or a name holding secret, password, token, credential or ending in key.
pub fn is_credential_name(name: &str) -> bool {
    if crate::api::client::is_secret_name(name) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    lower == "key"
        || lower.ends_with("_key")
        || lower.ends_with("-key")
        || lower.ends_with("apikey")
        || lower.ends_with("accesskey")
        || lower.contains("api_key")
        || lower.contains("api-key")
        || lower.contains("access_key")
}

/// An environment variable name: upper-case letters, digits and `_`.
fn env_name(hint: &str) -> String {
    let mut out = String::new();
    for c in hint.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    match out.chars().next() {
        None => "SECRET".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("S_{out}"),
        Some(_) => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_become_references_and_parameter_built_values_stay() {
        let mut s = Secrets::default();
        assert_eq!(
            s.value("Authorization", "Bearer abc123", "order auth", "here"),
            "${secret.ORDER_AUTH}"
        );
        assert_eq!(
            s.value("Authorization", "Bearer ${access_token}", "x", "here"),
            "Bearer ${access_token}"
        );
        assert_eq!(s.value("X-Trace", "abc", "x", "here"), "abc");
        // The same value elsewhere reuses the name.
        assert_eq!(
            s.value("api_key", "Bearer abc123", "other", "there"),
            "${secret.ORDER_AUTH}"
        );
        assert_eq!(
            s.value("app_key", "k2", "order auth", "x"),
            "${secret.ORDER_AUTH_2}"
        );
        assert_eq!(s.uses.len(), 2);
        let body = serde_json::json!({"appid": "wx1", "secret": "s3cr3t", "n": {"password": "p"}});
        let replaced = s.json(&body, "tok", "token request");
        assert_eq!(
            replaced,
            serde_json::json!({"appid": "wx1", "secret": "${secret.TOK_SECRET}",
                "n": {"password": "${secret.TOK_PASSWORD}"}})
        );
        assert!(!is_credential_name("monkey") && is_credential_name("x-api-key"));
    }
}
