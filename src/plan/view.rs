//! The normalized view of a scene: what a diff compares and a reviewer reads.
//!
//! A wire scene read back from PTS differs from the one ptsplan sent in ways that are not
//! changes: ids, times and status are computed; `TestMode` is spelt `CONCURRENCY` instead of
//! `concurrency_mode`; unset lists come back empty or absent; server defaults appear; the
//! load lists point at relations and APIs by id. The view removes all of that and keys every
//! list of named things by name (chains, steps, headers, parameters, files), so a diff says
//! `chains.buyer.steps.order.headers.Authorization`, never `RelationList[0]…`. Checkpoints
//! have no name and stay a list. Keys use plan-file words; values stay wire values.
//!
//! Fields the wire model does not know (kept for round trips) are not part of the view:
//! they are server-side additions a plan cannot set.

use serde_json::{Map, Value, json};

use crate::wire::{self, MARKER_PARAM, Marker};

/// The normalized, name-keyed view of `scene`. The marker parameter is left out (it is
/// ptsplan's bookkeeping, compared separately).
pub fn view(scene: &wire::Scene) -> Value {
    let mut out = Map::new();
    put(&mut out, "name", scene.scene_name.clone().map(Value::from));
    let chains: Map<String, Value> = scene
        .relation_list
        .iter()
        .enumerate()
        .map(|(i, r)| (name_or_index(r.relation_name.as_deref(), i), chain(r)))
        .collect();
    out.insert("chains".into(), Value::Object(chains));
    if let Some(load) = &scene.load_config {
        out.insert("load".into(), load_view(load, scene));
    }
    if let Some(advanced) = &scene.advance_setting {
        out.insert("advanced".into(), advanced_view(advanced));
    }
    let globals: Map<String, Value> = scene
        .global_parameter_list
        .iter()
        .filter(|p| p.param_name.as_deref() != Some(MARKER_PARAM))
        .map(|p| {
            (
                p.param_name.clone().unwrap_or_default(),
                Value::from(p.param_value.clone().unwrap_or_default()),
            )
        })
        .collect();
    out.insert("globals".into(), Value::Object(globals));
    let files: Map<String, Value> = scene
        .file_parameter_list
        .iter()
        .map(|f| {
            (
                f.file_name.clone().unwrap_or_default(),
                Value::from(f.file_oss_address.clone().unwrap_or_default()),
            )
        })
        .collect();
    out.insert("files".into(), Value::Object(files));
    let headers: Map<String, Value> = scene
        .headers
        .iter()
        .map(|h| {
            (
                h.name.clone().unwrap_or_default(),
                Value::from(h.value.clone().unwrap_or_default()),
            )
        })
        .collect();
    if !headers.is_empty() {
        out.insert("headers".into(), Value::Object(headers));
    }
    if let Some(marker) = Marker::of(scene) {
        // What the marker says about running the scene is part of the scene; who owns it
        // and its fingerprint are bookkeeping.
        put(
            &mut out,
            "exact_duration_ms",
            marker.duration_ms.map(Value::from),
        );
        put(
            &mut out,
            "exact_ramp_every_ms",
            marker.keep_time_ms.map(Value::from),
        );
        if !marker.tokens.is_empty() {
            out.insert(
                "tokens".into(),
                serde_json::to_value(&marker.tokens).unwrap_or_default(),
            );
        }
    }
    Value::Object(out)
}

/// Whether a change at `path` (a view path) cannot be made by `SavePtsScene` on the existing
/// scene, so the scene must be replaced (deleted, then created).
///
/// The one such field is the scene-wide `headers`: `GetPtsScene` returns them, but
/// `SavePtsScene` cannot set them (PTS reference §6.2), and whether a save keeps or clears
/// headers made in the console is not documented. A plan cannot declare them, so a live scene
/// carrying them only matches its plan again once it is created anew. Every other field is
/// saved in place (an update is a full replacement of what `SavePtsScene` takes).
pub fn forces_replacement(path: &[String]) -> bool {
    path.first().is_some_and(|first| first == "headers")
}

/// A short, order-independent fingerprint of a view (hex of SHA-256, 16 characters).
pub fn fingerprint(view: &Value) -> String {
    use sha2::{Digest, Sha256};
    let mut canonical = Vec::new();
    write_canonical(view, &mut canonical);
    let digest = Sha256::digest(&canonical);
    hex::encode(&digest[..8])
}

/// JSON text with object keys sorted, so equal views hash equal whatever their order.
/// Written straight into `out` (no text per key or scalar): a large plan fingerprints
/// thousands of views while their reads are in flight.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by_key(|(key, _)| *key);
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => write_json(other, out),
    }
}

/// Compact JSON of `value` appended to `out` (writing to a `Vec` cannot fail).
fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, value);
}

fn put(out: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        out.insert(key.to_owned(), v);
    }
}

fn name_or_index(name: Option<&str>, index: usize) -> String {
    match name {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => format!("#{index}"),
    }
}

fn chain(relation: &wire::Relation) -> Value {
    let steps: Map<String, Value> = relation
        .api_list
        .iter()
        .enumerate()
        .map(|(i, api)| (name_or_index(api.api_name.as_deref(), i), step(api)))
        .collect();
    let order: Vec<Value> = relation
        .api_list
        .iter()
        .enumerate()
        .map(|(i, a)| Value::from(name_or_index(a.api_name.as_deref(), i)))
        .collect();
    let data: Map<String, Value> = relation
        .file_parameter_explain_list
        .iter()
        .map(|f| {
            (
                f.file_name.clone().unwrap_or_default(),
                json!({
                    "columns": f.file_param_name.clone().unwrap_or_default(),
                    "base": f.base_file.unwrap_or(false),
                    "cycle_once": f.cycle_once.unwrap_or(false),
                }),
            )
        })
        .collect();
    json!({ "steps": steps, "order": order, "data": data })
}

fn step(api: &wire::Api) -> Value {
    let headers: Map<String, Value> = api
        .header_list
        .iter()
        .map(|h| {
            (
                h.header_name.clone().unwrap_or_default(),
                Value::from(h.header_value.clone().unwrap_or_default()),
            )
        })
        .collect();
    let extract: Map<String, Value> = api
        .export_list
        .iter()
        .map(|e| {
            (
                e.export_name.clone().unwrap_or_default(),
                json!({
                    "from": e.export_type.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default(),
                    "expression": e.export_value.clone().unwrap_or_default(),
                    "index": e.count.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| "0".to_owned()),
                }),
            )
        })
        .collect();
    let checks: Vec<Value> = api
        .check_point_list
        .iter()
        .map(|c| {
            json!({
                "on": c.check_type.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default(),
                "point": c.check_point.clone().unwrap_or_default(),
                "op": c.operator.clone().unwrap_or_default(),
                "value": c.expect_value.clone().unwrap_or_default(),
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert(
        "method".into(),
        Value::from(api.method.clone().unwrap_or_default().to_uppercase()),
    );
    out.insert(
        "url".into(),
        Value::from(api.url.clone().unwrap_or_default()),
    );
    out.insert(
        "timeout".into(),
        Value::from(api.timeout_in_second.unwrap_or(5)),
    );
    out.insert(
        "redirects".into(),
        Value::from(api.redirect_count_limit.unwrap_or(0)),
    );
    out.insert("headers".into(), Value::Object(headers));
    if let Some(body) = &api.body {
        out.insert(
            "body".into(),
            json!({
                "content_type": body.content_type.clone().unwrap_or_else(|| "application/x-www-form-urlencoded".to_owned()),
                "value": body.body_value.clone().unwrap_or_default(),
            }),
        );
    }
    out.insert("extract".into(), Value::Object(extract));
    out.insert("checks".into(), Value::Array(checks));
    Value::Object(out)
}

fn load_view(load: &wire::LoadConfig, scene: &wire::Scene) -> Value {
    let mut out = Map::new();
    let mode = load.test_mode.as_ref().map(|m| {
        if m.is_tps() {
            "rps"
        } else if m.is_concurrency() {
            "concurrency"
        } else {
            m.as_str()
        }
        .to_owned()
    });
    put(&mut out, "mode", mode.map(Value::from));
    put(
        &mut out,
        "max_running_minutes",
        load.max_running_time.map(Value::from),
    );
    if let Some(c) = &load.configuration {
        let pairs = [
            ("concurrency_start", c.all_concurrency_begin),
            ("concurrency_max", c.all_concurrency_limit),
            ("rps_start", c.all_rps_begin),
            ("rps_max", c.all_rps_limit),
        ];
        for (key, value) in pairs {
            put(&mut out, key, value.map(Value::from));
        }
    }
    // Load lists point at relations and APIs by id, or by position when ids are not known
    // yet (a scene being created): key them by name either way.
    let chains: Map<String, Value> = load
        .relation_load_config_list
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let relation = scene.relation_index(c.relation_id.as_ref(), i);
            let name = scene
                .relation_list
                .get(relation)
                .and_then(|r| r.relation_name.as_deref());
            (
                name_or_index(name, relation),
                json!({ "start": c.concurrency_begin, "max": c.concurrency_limit }),
            )
        })
        .collect();
    if !chains.is_empty() {
        out.insert("chains".into(), Value::Object(chains));
    }
    let apis: Vec<(&wire::Relation, &wire::Api)> = scene
        .relation_list
        .iter()
        .flat_map(|r| r.api_list.iter().map(move |a| (r, a)))
        .collect();
    let steps: Map<String, Value> = load
        .api_load_config_list
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let at = c
                .api_id
                .as_ref()
                .and_then(|id| apis.iter().position(|(_, a)| a.api_id.as_ref() == Some(id)))
                .unwrap_or(i);
            let name = apis.get(at).map_or_else(
                || format!("#{at}"),
                |(r, a)| {
                    format!(
                        "{}/{}",
                        r.relation_name.as_deref().unwrap_or_default(),
                        a.api_name.as_deref().unwrap_or_default()
                    )
                },
            );
            (name, json!({ "start": c.rps_begin, "max": c.rps_limit }))
        })
        .collect();
    if !steps.is_empty() {
        out.insert("steps".into(), Value::Object(steps));
    }
    let stepped = load.auto_step.unwrap_or(false);
    out.insert("ramp".into(), Value::from(stepped));
    if stepped {
        put(
            &mut out,
            "ramp_step_percent",
            load.increment.map(Value::from),
        );
        put(
            &mut out,
            "ramp_every_minutes",
            load.keep_time.map(Value::from),
        );
    }
    put(&mut out, "agents", load.agent_count.map(Value::from));
    if let Some(vpc) = &load.vpc_load_config {
        out.insert(
            "vpc".into(),
            json!({
                "region": vpc.region_id, "vpc_id": vpc.vpc_id,
                "vswitch_id": vpc.v_switch_id, "security_group_id": vpc.security_group_id,
            }),
        );
    }
    Value::Object(out)
}

fn advanced_view(advanced: &wire::AdvanceSetting) -> Value {
    let mut out = Map::new();
    put(
        &mut out,
        "connect_timeout",
        advanced.connection_timeout_in_second.map(Value::from),
    );
    put(
        &mut out,
        "log_sample_rate",
        advanced.log_rate.map(Value::from),
    );
    if let Some(codes) = &advanced.success_code {
        // Order of the comma-separated codes carries no meaning.
        let mut list: Vec<&str> = codes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        list.sort_unstable();
        list.dedup();
        out.insert("success_codes".into(), Value::from(list.join(",")));
    }
    let bindings: Map<String, Value> = advanced
        .domain_binding_list
        .iter()
        .map(|b| {
            let mut ips = b.ips.clone();
            ips.sort();
            (b.domain.clone().unwrap_or_default(), Value::from(ips))
        })
        .collect();
    if !bindings.is_empty() {
        out.insert("domain_bindings".into(), Value::Object(bindings));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_hashes_compact_json_with_sorted_keys() {
        // Fingerprints are stored in live markers: the canonical text must never change.
        // Expected: SHA-256 of {"a":"x\"yé\n","b":[1,2.5,{"a":true,"z":null}],"c":{}}.
        let view =
            serde_json::json!({"b": [1, 2.5, {"z": null, "a": true}], "a": "x\"yé\n", "c": {}});
        assert_eq!(fingerprint(&view), "2a7535fa4d4f2c15");
    }
}
