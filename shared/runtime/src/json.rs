//! JSON values on the Rust side (RPC parameters and results, component configs) and their
//! conversion to and from JavaScript values of a realm.
//!
//! Text is parsed with [`parse`], never with `serde_json::from_*` directly: serde_json recurses
//! once per level of nesting, and its own limit (128 levels) would take 37 KiB of the
//! ESP32-C3's 55 KiB stack, from an RPC request anyone on the network may send.

use alloc::vec::Vec;

use ferrite_engine::{Value, Vm};

pub use serde_json::{json, Map, Value as Json};

/// Deepest nesting of arrays and objects [`parse`] takes: about 300 bytes of a chip's stack a
/// level, 9 KiB at most. RPC parameters, configs and KVS values nest a few levels.
pub const MAX_DEPTH: usize = 32;

/// Why [`parse`] refused a text.
#[derive(Debug)]
pub enum ParseError {
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    TooDeep,
    Invalid(serde_json::Error),
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ParseError::TooDeep => {
                write!(f, "arrays and objects nest deeper than {MAX_DEPTH} levels")
            }
            ParseError::Invalid(e) => write!(f, "{e}"),
        }
    }
}

/// Parse JSON text (RPC frames, scripts' values), refusing nesting deeper than [`MAX_DEPTH`]
/// before serde_json recurses into it.
pub fn parse(text: &[u8]) -> Result<Json, ParseError> {
    parse_within(text, MAX_DEPTH)
}

/// Levels a stored file adds around a value it keeps (a KVS entry's `{key, value, …}`, a
/// virtual component's `{type, id, config: {…}}`), with room to spare.
const STORED_WRAPPING: usize = 4;

/// [`parse`] for a file the runtime stored: its values took [`MAX_DEPTH`] levels at most, and
/// the file wraps them in a few more.
pub fn parse_stored(text: &[u8]) -> Result<Json, ParseError> {
    parse_within(text, MAX_DEPTH + STORED_WRAPPING)
}

fn parse_within(text: &[u8], depth: usize) -> Result<Json, ParseError> {
    if !depth_within(text, depth) {
        return Err(ParseError::TooDeep);
    }
    serde_json::from_slice(text).map_err(ParseError::Invalid)
}

/// Whether the brackets of `text` (outside strings) nest at most `max` deep. Invalid text may
/// pass: serde_json then says what is wrong with it.
fn depth_within(text: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// A JSON value as a JavaScript value (built by the engine's own `JSON.parse`).
pub fn to_js(vm: &mut Vm, j: &Json) -> Result<Value, Value> {
    let text = serde_json::to_vec(j).unwrap_or_else(|_| b"null".to_vec());
    vm.json_parse(&text)
}

/// A JavaScript value as JSON (as `JSON.stringify` sees it; `undefined` becomes `null`).
pub fn from_js(vm: &mut Vm, v: Value) -> Result<Json, Value> {
    match vm.json_stringify(v)? {
        None => Ok(Json::Null),
        Some(bytes) => parse(&bytes).map_err(|e| match e {
            ParseError::TooDeep => vm.range_error(&alloc::format!(
                "the value's arrays and objects nest deeper than {MAX_DEPTH} levels"
            )),
            ParseError::Invalid(e) => {
                vm.type_error(&alloc::format!("value is not valid JSON: {e}"))
            }
        }),
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

#[cfg(test)]
mod tests {
    use super::{parse, ParseError, MAX_DEPTH};
    use alloc::format;
    use alloc::string::String;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn parse_refuses_nesting_beyond_its_depth_before_recursing() {
        assert!(parse(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert!(matches!(
            parse(nested(MAX_DEPTH + 1).as_bytes()),
            Err(ParseError::TooDeep)
        ));
        // Far beyond serde_json's own limit: refused by the scan, not by a deep recursion.
        let e = parse(nested(100_000).as_bytes()).unwrap_err();
        assert_eq!(
            format!("{e}"),
            format!("arrays and objects nest deeper than {MAX_DEPTH} levels")
        );
        // Brackets inside strings do not count, escaped quotes do not end a string.
        let text = format!(r#"{{"a": "{}\"]]", "b": [[1]]}}"#, "[".repeat(100));
        assert!(parse(text.as_bytes()).is_ok(), "{text}");
        let mixed = format!("{}1{}", r#"{"k":["#.repeat(17), "]}".repeat(17));
        assert!(matches!(parse(mixed.as_bytes()), Err(ParseError::TooDeep)));
        // A stored file wraps a value of the deepest kind in a few more levels.
        let file = format!(r#"{{"key":"k","value":{}}}"#, nested(MAX_DEPTH));
        assert!(matches!(parse(file.as_bytes()), Err(ParseError::TooDeep)));
        assert!(super::parse_stored(file.as_bytes()).is_ok());
        // Invalid text is serde_json's to describe.
        assert!(matches!(parse(b"{\"a\":"), Err(ParseError::Invalid(_))));
    }
}
