//! What the user does on a connected device, each a call through the device client whose
//! answer lands in a signal: the scripts (list, create, start, stop, delete, enable at boot,
//! open in the editor), Eval, the device console (REPL in IDE or raw mode, completion,
//! Ctrl-C), KVS, files, configuration. Failures are shown, never swallowed.

use ferrite_ide_core::device::auth;
use ferrite_ide_core::device::session::{CallError, ConsoleMode, Wire};
use ferrite_ide_core::device::wifi_networks;
use leptos::prelude::*;
use serde_json::{json, Value};

use super::{DeviceConfig, FileView, Ipv4Form, NetworkChoice};
use crate::controller::Ctx;
use crate::state::device_view::{
    apply_completion, completion_code, completion_names, completion_request, eval_result_text,
    parse_script_list, DeviceScript,
};
use crate::state::sim_view::LineKind;

/// Most bytes of a device file the Files section reads.
const FILE_VIEW_MAX: u64 = 64 * 1024;
/// Bytes per `FS.Get`.
const FILE_CHUNK: u64 = 8192;
/// How long `Wifi.Scan` is waited for: a device joining a network scans after the join, and
/// gives a scan up after 60 s itself.
const WIFI_SCAN_TIMEOUT_MS: f64 = 65_000.0;

impl Ctx {
    /// Call `method` on the device; `ok` gets the result; an error becomes the device status
    /// text ("<what> failed: <message>").
    pub fn device_call(
        &self,
        what: &'static str,
        method: &str,
        params: Value,
        ok: impl FnOnce(Ctx, Value) + 'static,
    ) {
        let Some(client) = self.dev.client() else {
            self.dev
                .notice
                .try_set(Some(format!("{what} failed: not connected")));
            return;
        };
        let ctx = *self;
        client.call(method, params, move |result| match result {
            Ok(v) => ok(ctx, v),
            Err(e) => ctx.device_failed(what, &e),
        });
    }

    fn device_failed(&self, what: &str, e: &CallError) {
        self.dev
            .notice
            .try_set(Some(format!("{what} failed: {}", e.message)));
    }

    pub fn device_refresh_scripts(&self) {
        self.device_call("Listing the scripts", "Script.List", json!({}), |ctx, v| {
            ctx.dev.scripts.try_set(parse_script_list(&v));
        });
    }

    pub fn device_create_script(&self, name: &str) {
        let name = name.trim();
        if name.is_empty() {
            self.dev
                .notice
                .try_set(Some("Enter a name for the new script.".into()));
            return;
        }
        self.device_call(
            "Creating the script",
            "Script.Create",
            json!({"name": name}),
            |ctx, _| ctx.device_refresh_scripts(),
        );
    }

    /// Start, Stop or Delete script `id`.
    pub fn device_script_action(&self, method: &'static str, id: u32) {
        let what = match method {
            "Script.Start" => "Starting the script",
            "Script.Stop" => "Stopping the script",
            _ => "Deleting the script",
        };
        self.device_call(what, method, json!({"id": id}), |ctx, _| {
            ctx.device_refresh_scripts()
        });
    }

    pub fn device_set_enable(&self, id: u32, enable: bool) {
        self.device_call(
            "Changing \"enable at boot\"",
            "Script.SetConfig",
            json!({"id": id, "config": {"enable": enable}}),
            |ctx, _| ctx.device_refresh_scripts(),
        );
    }

    /// The code of script `id` (all of it, read in chunks), then `done` with it.
    pub fn device_script_code(
        &self,
        script: DeviceScript,
        done: impl FnOnce(Ctx, String) + 'static,
    ) {
        self.device_code_from(script.id, 0, String::new(), Box::new(done));
    }

    fn device_code_from(
        &self,
        id: u32,
        offset: u64,
        mut text: String,
        done: Box<dyn FnOnce(Ctx, String)>,
    ) {
        self.device_call(
            "Reading the script",
            "Script.GetCode",
            json!({"id": id, "offset": offset}),
            move |ctx, v| {
                let data = v.get("data").and_then(Value::as_str).unwrap_or_default();
                text.push_str(data);
                let left = v.get("left").and_then(Value::as_u64).unwrap_or(0);
                if left > 0 && !data.is_empty() {
                    ctx.device_code_from(id, offset + data.len() as u64, text, done);
                } else {
                    done(ctx, text);
                }
            },
        );
    }

    /// Open the device's copy of a script in the editor (a new file `<name>.js`, or the file of
    /// that name replaced after a confirmation).
    pub fn device_open_in_editor(&self, script: DeviceScript) {
        let file = format!("{}.js", script.name);
        self.device_script_code(script, move |ctx, code| ctx.put_file(&file, &code));
    }

    // ---------- Eval and the REPL ----------

    /// Eval `code` in script `id` (0: the console realm) for the Eval section.
    pub fn device_eval(&self, id: u32, code: &str) {
        let Some(client) = self.dev.client() else {
            self.dev
                .eval_result
                .try_set(Some((false, "not connected".into())));
            return;
        };
        self.dev.eval_result.try_set(None);
        let ctx = *self;
        client.call(
            "Script.Eval",
            json!({"id": id, "code": code}),
            move |result| {
                let shown = match result {
                    Ok(v) => (true, eval_result_text(&v)),
                    Err(e) => (false, format!("Error {}: {}", e.code, e.message)),
                };
                ctx.dev.eval_result.try_set(Some(shown));
            },
        );
    }

    /// A line typed into the device REPL: raw mode sends it as typed; IDE mode evaluates it in
    /// the console realm and shows the answer.
    pub fn device_repl(&self, line: &str) {
        let Some(client) = self.dev.client() else {
            self.device_line(LineKind::Warn, "Not connected to a device.".into());
            return;
        };
        if self.dev.raw_repl.get_untracked() {
            client.with_session(|s, _| s.send_console_text(&format!("{line}\r")));
            return;
        }
        self.device_line(LineKind::Input, format!("> {line}"));
        let ctx = *self;
        client.call(
            "Script.Eval",
            json!({"id": 0, "code": line}),
            move |result| match result {
                Ok(v) => ctx.device_line(LineKind::Output, eval_result_text(&v)),
                Err(e) => ctx.device_line(LineKind::Error, e.message.clone()),
            },
        );
    }

    /// Tab in the device REPL: ask the device for the names that fit; `apply` gets the new
    /// input (the candidates are listed in the log when several fit).
    pub fn device_complete(&self, input: &str, apply: impl FnOnce(String) + 'static) {
        let Some(req) = completion_request(input) else {
            return;
        };
        let Some(client) = self.dev.client() else {
            return;
        };
        let ctx = *self;
        let input = input.to_string();
        client.call(
            "Script.Eval",
            json!({"id": 0, "code": completion_code(&req)}),
            move |result| {
                let Ok(v) = result else { return };
                let (text, shown) = apply_completion(&input, &req, &completion_names(&v));
                if !shown.is_empty() {
                    ctx.device_line(LineKind::Info, shown.join("  "));
                }
                apply(text);
            },
        );
    }

    /// Ctrl-C to the device (console wires; an RPC connection has nothing to interrupt).
    pub fn device_interrupt(&self) {
        if let Some(c) = self.dev.client() {
            if c.session(|s| s.wire()) == Wire::Console {
                c.with_session(|s, _| s.interrupt());
            } else {
                self.device_line(
                    LineKind::Info,
                    "Interrupt needs a serial connection (WebSerial, WebUSB, bridge).".into(),
                );
            }
        }
    }

    /// The raw REPL: the device's console in human mode, its text shown as it comes.
    pub fn device_toggle_raw(&self) {
        let Some(client) = self.dev.client() else {
            return;
        };
        if client.session(|s| s.wire()) != Wire::Console {
            self.device_line(
                LineKind::Info,
                "The raw REPL needs a serial connection (WebSerial, WebUSB, bridge).".into(),
            );
            return;
        }
        let raw = !self.dev.raw_repl.get_untracked();
        let mode = if raw {
            ConsoleMode::Human
        } else {
            ConsoleMode::Rpc
        };
        client.with_session(|s, now| s.set_console_mode(mode, now));
        self.device_set_raw(raw);
    }

    /// DTR/RTS of the serial line.
    pub fn device_set_signals(&self, dtr: bool, rts: bool) {
        self.dev.signals.try_set((dtr, rts));
        if let Some(c) = self.dev.client() {
            c.set_signals(dtr, rts);
        }
    }

    // ---------- KVS ----------

    pub fn device_refresh_kvs(&self) {
        self.device_call(
            "Reading the KVS",
            "KVS.GetMany",
            json!({"match": "*"}),
            |ctx, v| {
                let items = v
                    .get("items")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| {
                                let key = i.get("key")?.as_str()?.to_string();
                                let value = match i.get("value") {
                                    Some(Value::String(s)) => s.clone(),
                                    Some(v) => v.to_string(),
                                    None => String::new(),
                                };
                                Some((key, value))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ctx.dev.kvs.try_set(items);
            },
        );
    }

    /// Set a key: a value that reads as JSON (number, true, {…}) is stored as that, else as a
    /// string.
    pub fn device_kvs_set(&self, key: &str, value: &str) {
        let key = key.trim();
        if key.is_empty() {
            self.dev.notice.try_set(Some("Enter a key.".into()));
            return;
        }
        let value: Value =
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        self.device_call(
            "Setting the key",
            "KVS.Set",
            json!({"key": key, "value": value}),
            |ctx, _| ctx.device_refresh_kvs(),
        );
    }

    pub fn device_kvs_delete(&self, key: &str) {
        self.device_call(
            "Deleting the key",
            "KVS.Delete",
            json!({"key": key.trim()}),
            |ctx, _| ctx.device_refresh_kvs(),
        );
    }

    // ---------- files ----------

    pub fn device_refresh_files(&self) {
        self.device_call("Listing the files", "FS.List", json!({}), |ctx, v| {
            let files = v
                .get("files")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|f| {
                            Some((
                                f.get("name")?.as_str()?.to_string(),
                                f.get("size").and_then(Value::as_u64).unwrap_or(0),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            ctx.dev.files.try_set(files);
        });
    }

    /// Show file `name` (its first [`FILE_VIEW_MAX`] bytes).
    pub fn device_open_file(&self, name: &str) {
        self.dev.file_view.try_set(None);
        self.device_file_from(name.to_string(), 0, String::new());
    }

    fn device_file_from(&self, name: String, offset: u64, mut text: String) {
        self.device_call(
            "Reading the file",
            "FS.Get",
            json!({"name": name, "offset": offset, "len": FILE_CHUNK}),
            move |ctx, v| {
                let data = v.get("data").and_then(Value::as_str).unwrap_or_default();
                text.push_str(data);
                let left = v.get("left").and_then(Value::as_u64).unwrap_or(0);
                // The device may answer with less than FILE_CHUNK bytes (it does not split a
                // UTF-8 character), and `data` may be decoded lossily: the next offset is where
                // its answer ends (`size - left`), not `offset + FILE_CHUNK` or `data.len()`.
                let next = v
                    .get("size")
                    .and_then(Value::as_u64)
                    .map(|size| size.saturating_sub(left))
                    .unwrap_or(offset + FILE_CHUNK);
                if left > 0 && next > offset && next < FILE_VIEW_MAX {
                    ctx.device_file_from(name, next, text);
                } else {
                    ctx.dev.file_view.try_set(Some(FileView {
                        name,
                        text,
                        truncated: left > 0,
                    }));
                }
            },
        );
    }

    // ---------- configuration ----------

    /// Read the fields the Configuration section shows.
    pub fn device_read_config(&self) {
        self.device_call(
            "Reading the configuration",
            "Sys.GetConfig",
            json!({}),
            |ctx, v| {
                let name = v
                    .pointer("/device/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                ctx.dev.config.try_update(|c| c.name = name);
            },
        );
        self.device_call(
            "Reading the Wi-Fi configuration",
            "Wifi.GetConfig",
            json!({}),
            |ctx, v| {
                let ssid = v
                    .pointer("/sta/ssid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let ipv4 = Ipv4Form::from_wifi_config(&v);
                ctx.dev.config.try_update(|c| {
                    c.ssid = ssid;
                    c.ipv4 = ipv4;
                });
            },
        );
        // The station's status, for the form's status line; `wifi` changes merge into it.
        self.device_call(
            "Reading the Wi-Fi status",
            "Wifi.GetStatus",
            json!({}),
            |ctx, v| {
                ctx.dev
                    .live
                    .try_update(|l| l.apply_status(&json!({ "wifi": v })));
            },
        );
        self.device_call(
            "Reading the MQTT configuration",
            "Mqtt.GetConfig",
            json!({}),
            |ctx, v| {
                let server = v
                    .get("server")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                ctx.dev.config.try_update(|c| c.mqtt_server = server);
            },
        );
    }

    /// `Wifi.Scan` for the Configuration form's SSID field: `done` gets the networks in range,
    /// or why there are none to offer.
    pub fn device_scan_wifi(
        &self,
        done: impl FnOnce(Result<Vec<NetworkChoice>, String>) + 'static,
    ) {
        let Some(client) = self.dev.client() else {
            done(Err("not connected".into()));
            return;
        };
        client.call_with_timeout("Wifi.Scan", json!({}), WIFI_SCAN_TIMEOUT_MS, move |r| {
            done(
                r.map(|v| wifi_networks::from_scan(&v))
                    .map_err(|e| e.message),
            )
        });
    }

    /// Save what changed: the device name, Wi-Fi (network and IPv4 address), the MQTT server,
    /// a new password (empty fields of the secrets are left alone).
    pub fn device_save_config(&self, new: DeviceConfig, wifi_pass: String, password: String) {
        let old = self.dev.config.get_untracked();
        let mut saved = 0;
        if new.name != old.name {
            saved += 1;
            let name = new.name.clone();
            self.device_call(
                "Saving the device name",
                "Sys.SetConfig",
                json!({"config": {"device": {"name": name}}}),
                |ctx, _| ctx.device_saved("Device name saved"),
            );
        }
        let network_changed = new.ssid != old.ssid || !wifi_pass.is_empty();
        if network_changed || new.ipv4 != old.ipv4 {
            saved += 1;
            let mut sta = json!({});
            if network_changed {
                sta["ssid"] = Value::String(new.ssid.clone());
                sta["enable"] = Value::Bool(!new.ssid.is_empty());
            }
            if !wifi_pass.is_empty() {
                sta["pass"] = Value::String(wifi_pass);
            }
            if new.ipv4 != old.ipv4 {
                for (name, value) in new.ipv4.to_sta_fields() {
                    sta[name] = value;
                }
            }
            self.device_call(
                "Saving Wi-Fi",
                "Wifi.SetConfig",
                json!({"config": {"sta": sta}}),
                |ctx, _| ctx.device_saved("Wi-Fi saved"),
            );
        }
        if new.mqtt_server != old.mqtt_server {
            saved += 1;
            let server = new.mqtt_server.clone();
            self.device_call(
                "Saving MQTT",
                "Mqtt.SetConfig",
                json!({"config": {"server": server, "enable": !server.is_empty()}}),
                |ctx, _| ctx.device_saved("MQTT saved"),
            );
        }
        if !password.is_empty() {
            saved += 1;
            self.device_set_auth(password);
        }
        self.dev.config.try_set(new);
        if saved == 0 {
            self.dev.notice.try_set(Some("Nothing to save.".into()));
        }
    }

    fn device_saved(&self, what: &str) {
        self.dev.notice.try_set(Some(what.to_string()));
    }

    /// `Shelly.SetAuth` with the device id as realm; the session uses the new password from
    /// then on.
    fn device_set_auth(&self, password: String) {
        let realm = self
            .dev
            .info
            .with_untracked(|i| {
                i.as_ref()
                    .and_then(|i| i.get("id"))
                    .and_then(Value::as_str)
                    .map(String::from)
            })
            .unwrap_or_default();
        if realm.is_empty() {
            self.dev.notice.try_set(Some(
                "Setting the password failed: the device id is unknown".into(),
            ));
            return;
        }
        let ha1 = auth::ha1(&realm, &password);
        self.device_call(
            "Setting the password",
            "Shelly.SetAuth",
            json!({"user": auth::USER, "realm": realm, "ha1": ha1}),
            move |ctx, _| {
                if let Some(c) = ctx.dev.client() {
                    c.with_session(|s, now| s.set_password(Some(password), now));
                }
                ctx.device_saved("Password set");
            },
        );
    }
}
