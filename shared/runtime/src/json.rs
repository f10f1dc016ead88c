//! JSON values on the Rust side (RPC parameters and results, component configs) and their
//! conversion to and from JavaScript values of a realm.

use alloc::vec::Vec;

use ferrite_engine::{Value, Vm};

pub use serde_json::{json, Map, Value as Json};

/// A JSON value as a JavaScript value (built by the engine's own `JSON.parse`).
pub fn to_js(vm: &mut Vm, j: &Json) -> Result<Value, Value> {
    let text = serde_json::to_vec(j).unwrap_or_else(|_| b"null".to_vec());
    vm.json_parse(&text)
}

/// A JavaScript value as JSON (as `JSON.stringify` sees it; `undefined` becomes `null`).
pub fn from_js(vm: &mut Vm, v: Value) -> Result<Json, Value> {
    match vm.json_stringify(v)? {
        None => Ok(Json::Null),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| vm.type_error(&alloc::format!("value is not valid JSON: {e}"))),
    }
}

/// Field `key` of an RPC params object (`None` if params is not an object or the field is
/// absent or `null`).
pub fn field<'a>(params: &'a Json, key: &str) -> Option<&'a Json> {
    match params.get(key) {
        Some(Json::Null) | None => None,
        Some(v) => Some(v),
    }
}

/// Serialize to bytes (never fails for `Json`).
pub fn to_vec(j: &Json) -> Vec<u8> {
    serde_json::to_vec(j).unwrap_or_default()
}
