//! `mqtt`: the broker the device connects to, and the connection status.

use alloc::string::String;

use crate::device::Device;
use crate::json::{json, Json};

#[derive(Clone, Debug, Default)]
pub struct MqttConfig {
    pub enable: bool,
    /// `host:port`.
    pub server: Option<String>,
    pub client_id: Option<String>,
    pub user: Option<String>,
    pub pass: Option<String>,
    /// Prefix of the device's own topics (`<prefix>/events/rpc`, `<prefix>/status/<key>`);
    /// defaults to the device id.
    pub topic_prefix: Option<String>,
    pub rpc_ntf: bool,
    pub status_ntf: bool,
}

impl MqttConfig {
    pub fn to_json(&self) -> Json {
        json!({
            "enable": self.enable, "server": self.server, "client_id": self.client_id,
            "user": self.user, "topic_prefix": self.topic_prefix,
            "rpc_ntf": self.rpc_ntf, "status_ntf": self.status_ntf, "ssl_ca": null,
        })
    }

    pub fn set(&mut self, cfg: &Json) -> Result<(), String> {
        let Some(m) = cfg.as_object() else {
            return Err("config must be an object".into());
        };
        for (k, v) in m {
            let s = || v.as_str().map(String::from);
            match k.as_str() {
                "enable" => self.enable = v.as_bool().ok_or("enable must be a boolean")?,
                "server" => self.server = s(),
                "client_id" => self.client_id = s(),
                "user" => self.user = s(),
                "pass" => self.pass = s(),
                "topic_prefix" => self.topic_prefix = s(),
                "rpc_ntf" => self.rpc_ntf = v.as_bool().ok_or("rpc_ntf must be a boolean")?,
                "status_ntf" => {
                    self.status_ntf = v.as_bool().ok_or("status_ntf must be a boolean")?
                }
                "ssl_ca" | "use_client_cert" | "enable_control" | "enable_rpc" => {}
                other => return Err(alloc::format!("unknown config field {other}")),
            }
        }
        Ok(())
    }
}

pub fn status(dev: &mut Device) -> Json {
    let connected = dev
        .board
        .mqtt()
        .map(|m| m.status().connected)
        .unwrap_or(false);
    json!({"connected": connected})
}
