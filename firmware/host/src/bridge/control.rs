//! The bridge's text messages: control requests from the client (`{"baud": N}`,
//! `{"dtr": bool, "rts": bool}`) and the events it sends (`open`, `lost`, `set`).
//! Binary messages are the serial bytes themselves and are not handled here.

use serde_json::{json, Value as Json};

/// A control request: any of the three, at least one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Control {
    pub baud: Option<u32>,
    pub dtr: Option<bool>,
    pub rts: Option<bool>,
}

/// Read a control request from a text message.
pub fn parse(text: &str) -> Result<Control, String> {
    let j: Json = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let obj = j
        .as_object()
        .ok_or("a control message is a JSON object such as {\"baud\": 115200}")?;
    let mut c = Control::default();
    for (k, v) in obj {
        match k.as_str() {
            "baud" => {
                let n = v
                    .as_u64()
                    .filter(|n| *n > 0 && *n <= u32::MAX as u64)
                    .ok_or("baud must be a positive integer")?;
                c.baud = Some(n as u32);
            }
            "dtr" => c.dtr = Some(v.as_bool().ok_or("dtr must be true or false")?),
            "rts" => c.rts = Some(v.as_bool().ok_or("rts must be true or false")?),
            other => return Err(format!("unknown key `{other}` (baud, dtr, rts)")),
        }
    }
    if c == Control::default() {
        return Err("nothing to set: give baud, dtr or rts".into());
    }
    Ok(c)
}

/// `{"event": "open", "port", "baud"}`.
pub fn open_event(port: &str, baud: u32) -> String {
    json!({"event": "open", "port": port, "baud": baud}).to_string()
}

/// `{"event": "lost", "reason"}`.
pub fn lost_event(reason: &str) -> String {
    json!({"event": "lost", "reason": reason}).to_string()
}

/// `{"event": "set", "ok": true}` or `{"event": "set", "ok": false, "error"}`.
pub fn set_event(result: &Result<(), String>) -> String {
    match result {
        Ok(()) => json!({"event": "set", "ok": true}).to_string(),
        Err(e) => json!({"event": "set", "ok": false, "error": e}).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages() {
        assert_eq!(
            parse(r#"{"baud": 9600}"#),
            Ok(Control {
                baud: Some(9600),
                ..Control::default()
            })
        );
        assert_eq!(
            parse(r#"{"dtr": true, "rts": false}"#),
            Ok(Control {
                baud: None,
                dtr: Some(true),
                rts: Some(false)
            })
        );
        assert!(parse("{}").is_err());
        assert!(parse("[1]").is_err());
        assert!(parse("nope").is_err());
        assert!(parse(r#"{"baud": -1}"#).is_err());
        assert!(parse(r#"{"dtr": 1}"#).is_err());
        assert!(parse(r#"{"parity": "even"}"#).is_err());
    }

    #[test]
    fn events() {
        let e: Json = serde_json::from_str(&open_event("/dev/pts/3", 115200)).unwrap();
        assert_eq!(
            e,
            json!({"event": "open", "port": "/dev/pts/3", "baud": 115200})
        );
        let e: Json = serde_json::from_str(&set_event(&Err("no".into()))).unwrap();
        assert_eq!(e, json!({"event": "set", "ok": false, "error": "no"}));
    }
}
