//! Field-level difference of two views.

use serde_json::Value;

/// One changed field: its path in the view and the values on each side (`None` where the
/// field does not exist on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub path: Vec<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The change cannot be made in place: the scene is replaced (set by the planner from
    /// [`view::forces_replacement`](super::view::forces_replacement)).
    pub forces_replacement: bool,
}

impl FieldChange {
    /// The path as `chains.buyer.steps.order.url`.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// Every field that differs between `before` and `after`, in `after`'s order (fields only
/// `before` has come last). Objects are compared key by key (an object on one side only is
/// listed field by field); lists of equal length element by element; anything else as a
/// whole.
pub fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), Some(before), Some(after), &mut out);
    out
}

fn walk(
    path: &mut Vec<String>,
    before: Option<&Value>,
    after: Option<&Value>,
    out: &mut Vec<FieldChange>,
) {
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            for (key, value) in a {
                path.push(key.clone());
                walk(path, b.get(key), Some(value), out);
                path.pop();
            }
            for (key, value) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                path.push(key.clone());
                walk(path, Some(value), None, out);
                path.pop();
            }
        }
        // A mapping on one side only (a new or removed chain, step…): list its fields.
        (None, Some(Value::Object(a))) if !a.is_empty() => {
            for (key, value) in a {
                path.push(key.clone());
                walk(path, None, Some(value), out);
                path.pop();
            }
        }
        (Some(Value::Object(b)), None) if !b.is_empty() => {
            for (key, value) in b {
                path.push(key.clone());
                walk(path, Some(value), None, out);
                path.pop();
            }
        }
        (Some(Value::Array(b)), Some(Value::Array(a))) if a.len() == b.len() => {
            for (i, (bi, ai)) in b.iter().zip(a).enumerate() {
                path.push(format!("[{i}]"));
                walk(path, Some(bi), Some(ai), out);
                path.pop();
            }
        }
        // An empty list or mapping on one side only says nothing a reviewer needs.
        (None, Some(Value::Object(m))) | (Some(Value::Object(m)), None) if m.is_empty() => {}
        (None, Some(Value::Array(l))) | (Some(Value::Array(l)), None) if l.is_empty() => {}
        (b, a) if b != a => out.push(FieldChange {
            path: path.clone(),
            before: b.cloned(),
            after: a.cloned(),
            forces_replacement: false,
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_are_field_level_and_keyed_by_name() {
        let before =
            json!({"chains": {"buyer": {"steps": {"order": {"url": "a", "headers": {"X": "1"}}}}}});
        let after = json!({"chains": {"buyer": {"steps": {"order": {"url": "b", "headers": {"X": "1", "Y": "2"}}}}}});
        let changes = diff(&before, &after);
        let paths: Vec<String> = changes.iter().map(FieldChange::dotted).collect();
        assert_eq!(
            paths,
            [
                "chains.buyer.steps.order.url",
                "chains.buyer.steps.order.headers.Y"
            ]
        );
        assert_eq!(changes[1].before, None);
    }

    #[test]
    fn equal_views_have_no_changes_whatever_the_key_order() {
        let a = json!({"x": 1, "y": {"p": [1, 2]}});
        let b = json!({"y": {"p": [1, 2]}, "x": 1});
        assert!(diff(&a, &b).is_empty());
    }

    #[test]
    fn removed_fields_come_last_and_lists_of_new_length_change_whole() {
        let changes = diff(&json!({"gone": 1, "l": [1]}), &json!({"l": [1, 2]}));
        assert_eq!(changes[0].dotted(), "l");
        assert_eq!(changes[1].dotted(), "gone");
        assert_eq!(changes[1].after, None);
    }
}
