//! Datapoints, in the manner of the SmartServer's IoT Access Protocol: every scalar field of every
//! component status is a datapoint named `<component key>/<field>[/<subfield>]`
//! (`switch:0/output`, `switch:0/aenergy/total`, `number:200/value`), readable and — where the
//! device has a way to change it — writable. The RPC methods `Datapoint.List`, `Datapoint.Get`
//! and `Datapoint.Set` serve the REST interface of the transports; MQTT publishing of changes
//! follows the same names.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::json::{field, json, Json};
use crate::rpc::{Origin, RpcError, RpcReply};
use crate::Runtime;

/// How deep nested status objects are flattened.
const MAX_DEPTH: usize = 3;

/// Flatten a component status into `(path, value)` pairs under `prefix`.
pub fn flatten(prefix: &str, status: &Json, out: &mut Vec<(String, Json)>) {
    flatten_at(prefix, status, 0, out)
}

fn flatten_at(prefix: &str, v: &Json, depth: usize, out: &mut Vec<(String, Json)>) {
    match v {
        Json::Object(m) if depth < MAX_DEPTH => {
            for (k, v) in m {
                if depth == 0 && k == "id" {
                    continue;
                }
                flatten_at(&format!("{prefix}/{k}"), v, depth + 1, out);
            }
        }
        Json::Object(_) | Json::Array(_) => {}
        scalar => out.push((prefix.into(), scalar.clone())),
    }
}

/// Every datapoint of the device, in component order.
pub fn list(rt: &mut Runtime) -> Vec<(String, Json)> {
    let status = crate::rpc::full_status(rt);
    let mut out = Vec::new();
    if let Json::Object(m) = &status {
        for (key, s) in m {
            flatten(key, s, &mut out);
        }
    }
    out
}

/// The value of datapoint `path`.
pub fn read(rt: &mut Runtime, path: &str) -> Result<Json, RpcError> {
    list(rt)
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, v)| v)
        .ok_or_else(|| RpcError::not_found(format!("no datapoint {path}")))
}

/// Write datapoint `path`: mapped onto the RPC method that changes it.
pub fn write(rt: &mut Runtime, path: &str, value: Json, origin: Origin) -> RpcReply {
    let Some((key, fieldname)) = path.split_once('/') else {
        return Err(RpcError::invalid(format!(
            "{path} is not a datapoint path (<component>/<field>)"
        )))
        .into();
    };
    if let Err(e) = read(rt, path) {
        return Err(e).into();
    }
    let (kind, id) = crate::components::parse_key(key);
    let Some(id) = id else {
        return Err(RpcError::invalid(format!("datapoint {path} is read-only"))).into();
    };
    match (kind, fieldname) {
        ("switch", "output") => {
            let Some(on) = value.as_bool() else {
                return Err(RpcError::invalid("switch output must be a boolean")).into();
            };
            rt.rpc("Switch.Set", json!({"id": id, "on": on}), origin)
        }
        ("number" | "text" | "boolean" | "enum", "value") => {
            let mut method = String::from(kind);
            method[..1].make_ascii_uppercase();
            method.push_str(".Set");
            rt.rpc(&method, json!({"id": id, "value": value}), origin)
        }
        _ => Err(RpcError::invalid(format!("datapoint {path} is read-only"))).into(),
    }
}

/// `Datapoint.List {prefix?}`, `Datapoint.Get {path}`, `Datapoint.Set {path, value}`.
pub(crate) fn rpc_method(
    rt: &mut Runtime,
    lower: &str,
    method: &str,
    params: &Json,
    origin: Origin,
) -> RpcReply {
    let path = || -> Result<String, RpcError> {
        field(params, "path")
            .and_then(|p| p.as_str())
            .map(String::from)
            .ok_or_else(|| RpcError::invalid("path is required (a string)"))
    };
    match lower {
        "datapoint.list" => {
            let prefix = field(params, "prefix")
                .and_then(|p| p.as_str())
                .unwrap_or("");
            let mut m = crate::json::Map::new();
            for (p, v) in list(rt) {
                if p.starts_with(prefix) {
                    m.insert(p, v);
                }
            }
            Ok(json!({"datapoints": m})).into()
        }
        "datapoint.get" => match path() {
            Ok(p) => read(rt, &p).map(|v| json!({"path": p, "value": v})).into(),
            Err(e) => Err(e).into(),
        },
        "datapoint.set" => match (path(), field(params, "value")) {
            (Ok(p), Some(v)) => write(rt, &p, v.clone(), origin),
            (Err(e), _) => Err(e).into(),
            (_, None) => Err(RpcError::invalid("value is required")).into(),
        },
        _ => Err(RpcError::no_handler(method)).into(),
    }
}
