//! Live devices in the controller: the device signals (link state, info, scripts, log, live
//! status, telemetry, upload progress, …) and the connection itself — connect, disconnect, and
//! folding the session's events into the signals. The actions on a connected device are in
//! `actions` (scripts, Eval, KVS, files, configuration, the REPL) and `deploy` ("Run on
//! device", the compare dialog). Callbacks come from the device client on a fresh task and use
//! `try_` accessors: a disposed signal never panics the tab.

mod actions;
mod deploy;

use ferrite_ide_core::device::deploy::{Deploy, DeployProgress};
use ferrite_ide_core::device::diff::Diff;
pub use ferrite_ide_core::device::ipv4_form::Ipv4Form;
use ferrite_ide_core::device::session::{ConsoleMode, LinkState, SessionEvent, Wire};
use ferrite_ide_core::device::telemetry::TelemetryStore;
pub use ferrite_ide_core::device::wifi_networks::NetworkChoice;
use leptos::prelude::*;
use serde_json::Value;

use super::{Ctx, Dialog};
use crate::device::client::DeviceClient;
use crate::state::device_view::{
    apply_script_status, log_line, resolve_url, text_line_kind, ConnectSettings, ConnectionKind,
    DeviceLog, DeviceScript, LiveStatus,
};
use crate::state::sim_view::LineKind;
use crate::util::dom;

/// Telemetry series and points per series the charts keep.
pub const TELEMETRY_SERIES: usize = 16;
pub const TELEMETRY_POINTS: usize = 600;
const SETTINGS_KEY: &str = "ferrite.device";

/// Which panel the right side shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunTab {
    #[default]
    Simulator,
    Device,
    Flash,
}

/// Which console the bottom shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConsoleTab {
    #[default]
    Simulator,
    Device,
}

/// The device asked for a password.
#[derive(Clone, Debug, PartialEq)]
pub struct PasswordPrompt {
    pub realm: String,
    /// The last one entered was refused.
    pub wrong: bool,
}

/// The compare dialog's content: the editor's file against the device's script.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub script: String,
    pub diff: Diff,
}

/// A device file shown in the Files section.
#[derive(Clone, Debug, PartialEq)]
pub struct FileView {
    pub name: String,
    pub text: String,
    /// The file is longer than what is shown.
    pub truncated: bool,
}

/// What the controller keeps of the device that is not shown.
#[derive(Default)]
struct DeviceServices {
    client: Option<DeviceClient>,
    /// Connections made so far (the session's `src` differs per connection).
    connections: u64,
    deploy: Option<Deploy>,
    /// The script name of the deploy running (for its result message).
    deploy_name: String,
    /// A timer that refreshes the link label while it counts down.
    label_timer: Option<leptos::prelude::IntervalHandle>,
    /// A timer that follows the console's unfinished line in raw mode.
    prompt_timer: Option<leptos::prelude::IntervalHandle>,
    pending_lines: Vec<(LineKind, String)>,
    /// Telemetry points (name, ts, value) not yet in `telemetry`: ingested once per frame,
    /// like the log lines, so that the charts redraw at most once per frame.
    pending_telemetry: Vec<(String, f64, f64)>,
    frame_scheduled: bool,
}

/// The device signals (cheap to copy).
#[derive(Clone, Copy)]
pub struct DeviceCtx {
    pub settings: RwSignal<ConnectSettings>,
    pub link: RwSignal<LinkState>,
    /// `LinkState::label` now (refreshed while it counts down).
    pub link_label: RwSignal<String>,
    pub info: RwSignal<Option<Value>>,
    pub scripts: RwSignal<Vec<DeviceScript>>,
    pub log: RwSignal<DeviceLog>,
    pub live: RwSignal<LiveStatus>,
    pub telemetry: RwSignal<TelemetryStore>,
    pub upload: RwSignal<Option<DeployProgress>>,
    /// The last outcome to show in the device status area ("Upload failed at …").
    pub notice: RwSignal<Option<String>>,
    pub password: RwSignal<Option<PasswordPrompt>>,
    /// Some calls were refused for want of a password (the panel shows "locked").
    pub locked: RwSignal<bool>,
    pub raw_repl: RwSignal<bool>,
    /// The console's unfinished line in raw mode (its prompt and what is being typed).
    pub raw_prompt: RwSignal<String>,
    /// The connection is a serial line (Interrupt, the raw REPL, DTR/RTS apply).
    pub console_wire: RwSignal<bool>,
    /// The DTR and RTS lines as last set by the user.
    pub signals: RwSignal<(bool, bool)>,
    pub run_tab: RwSignal<RunTab>,
    pub console_tab: RwSignal<ConsoleTab>,
    pub comparison: RwSignal<Option<Comparison>>,
    pub eval_result: RwSignal<Option<(bool, String)>>,
    pub kvs: RwSignal<Vec<(String, String)>>,
    pub files: RwSignal<Vec<(String, u64)>>,
    pub file_view: RwSignal<Option<FileView>>,
    /// The device's configuration as read (device name, Wi-Fi SSID, MQTT server).
    pub config: RwSignal<DeviceConfig>,
    svc: StoredValue<DeviceServices, LocalStorage>,
}

/// The configuration fields the panel shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceConfig {
    pub name: String,
    pub ssid: String,
    pub mqtt_server: String,
    /// The station's IPv4 settings (`Wifi.SetConfig`'s `sta`).
    pub ipv4: Ipv4Form,
}

impl DeviceCtx {
    pub fn new() -> DeviceCtx {
        DeviceCtx {
            settings: RwSignal::new(load_settings()),
            link: RwSignal::new(LinkState::Disconnected),
            link_label: RwSignal::new(LinkState::Disconnected.label(0.0)),
            info: RwSignal::new(None),
            scripts: RwSignal::new(Vec::new()),
            log: RwSignal::new(DeviceLog::default()),
            live: RwSignal::new(LiveStatus::default()),
            telemetry: RwSignal::new(TelemetryStore::new(TELEMETRY_SERIES, TELEMETRY_POINTS)),
            upload: RwSignal::new(None),
            notice: RwSignal::new(None),
            password: RwSignal::new(None),
            locked: RwSignal::new(false),
            raw_repl: RwSignal::new(false),
            raw_prompt: RwSignal::new(String::new()),
            console_wire: RwSignal::new(false),
            signals: RwSignal::new((true, false)),
            run_tab: RwSignal::new(RunTab::default()),
            console_tab: RwSignal::new(ConsoleTab::default()),
            comparison: RwSignal::new(None),
            eval_result: RwSignal::new(None),
            kvs: RwSignal::new(Vec::new()),
            files: RwSignal::new(Vec::new()),
            file_view: RwSignal::new(None),
            config: RwSignal::new(DeviceConfig::default()),
            svc: StoredValue::new_local(DeviceServices::default()),
        }
    }

    /// The device panel's sections are shown: a device answered on this connection and it is
    /// not closed (while reconnecting they stay, their actions fail until it is back).
    pub fn has_device(&self) -> bool {
        self.info.with(|i| i.is_some()) && self.active()
    }

    /// The device answered and is usable.
    pub fn connected(&self) -> bool {
        self.link.with(|l| *l == LinkState::Connected)
    }

    /// A connection is open or being opened (Disconnect applies).
    pub fn active(&self) -> bool {
        self.link
            .with(|l| !matches!(l, LinkState::Disconnected | LinkState::Lost { .. }))
    }

    fn client(&self) -> Option<DeviceClient> {
        self.svc.try_with_value(|s| s.client.clone()).flatten()
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The connection used last time (outside input: a bad value gives the defaults).
fn load_settings() -> ConnectSettings {
    storage()
        .and_then(|s| s.get_item(SETTINGS_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str::<ConnectSettings>(&t).ok())
        .unwrap_or_default()
}

fn save_settings(settings: &ConnectSettings) {
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(settings)) {
        let _ = s.set_item(SETTINGS_KEY, &json);
    }
}

impl Ctx {
    /// Connect with the form's settings (from the user's click: WebSerial/WebUSB ask for a
    /// port inside it).
    pub fn device_connect(&self) {
        self.device_connect_asking(true);
    }

    /// Connect with the form's settings to the port or device handed over by the flash that
    /// just ended (`FerriteDeviceIo.handOver`): no chooser (this is not a click).
    pub(in crate::controller) fn device_connect_handed_over(&self) {
        self.device_connect_asking(false);
    }

    /// `ask`: find or choose the WebSerial port / WebUSB device first (inside a click).
    fn device_connect_asking(&self, ask: bool) {
        let dev = self.dev;
        let Some(settings) = dev.settings.try_get_untracked() else {
            return;
        };
        let url = match resolve_url(settings.kind, &settings.address) {
            Ok(u) => u,
            Err(e) => {
                dev.notice.try_set(Some(e));
                return;
            }
        };
        save_settings(&settings);
        if !ask
            || !matches!(
                settings.kind,
                ConnectionKind::WebSerial | ConnectionKind::WebUsb
            )
        {
            self.device_connect_with(settings, url);
            return;
        }
        // The port chooser comes first, outside the session: the time the user takes to
        // choose does not count against the session's open timeout, and a cancel ends here.
        let remembered = match settings.remembered {
            Some(ids) => {
                let r = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&r, &"usbVendorId".into(), &ids.vendor.into());
                let _ = js_sys::Reflect::set(&r, &"usbProductId".into(), &ids.product.into());
                r.into()
            }
            None => wasm_bindgen::JsValue::NULL,
        };
        let chosen = wasm_bindgen_futures::JsFuture::from(crate::device::io::pick(
            settings.kind.io_kind(),
            &remembered,
        ));
        let ctx = *self;
        wasm_bindgen_futures::spawn_local(async move {
            match chosen.await {
                Ok(_) => ctx.device_connect_with(settings, url),
                Err(e) => {
                    let why = e
                        .as_string()
                        .unwrap_or_else(|| "no port chosen".to_string());
                    ctx.dev
                        .notice
                        .try_set(Some(format!("Not connected: {why}")));
                }
            }
        });
    }

    /// Connect with `settings` (the port, if one is needed, is chosen).
    fn device_connect_with(&self, settings: ConnectSettings, url: String) {
        let dev = self.dev;
        self.device_drop_client();
        let n = dev
            .svc
            .try_update_value(|s| {
                s.connections += 1;
                s.connections
            })
            .unwrap_or(1);
        let src = format!(
            "ferrite-ide-{:x}{n}",
            (js_sys::Math::random() * f64::from(0xffff)) as u32
        );
        let ctx = *self;
        let client = DeviceClient::new(&settings, &url, &src, move |e| ctx.on_device_event(e));
        dev.svc
            .try_update_value(|s| s.client = Some(client.clone()));
        dev.notice.try_set(None);
        dev.locked.try_set(false);
        dev.info.try_set(None);
        self.device_set_raw(false);
        dev.console_wire
            .try_set(settings.kind.wire() == Wire::Console);
        dev.live.try_update(|l| l.clear());
        client.connect();
        self.device_sync_link(&client);
    }

    /// Close the connection for good.
    pub fn device_disconnect(&self) {
        if let Some(c) = self.dev.client() {
            c.disconnect();
        }
        self.device_drop_client();
        self.dev.link.try_set(LinkState::Disconnected);
        self.device_label_timer(false);
        self.device_set_raw(false);
        self.device_refresh_label();
    }

    fn device_drop_client(&self) {
        let old = self.dev.svc.try_update_value(|s| {
            s.deploy = None;
            s.client.take()
        });
        if let Some(Some(c)) = old {
            c.disconnect();
        }
        self.dev.upload.try_set(None);
    }

    /// Copy the session's state into the signals (after a call that changed it).
    fn device_sync_link(&self, client: &DeviceClient) {
        let state = client.session(|s| s.state().clone());
        self.on_link_state(state);
    }

    fn on_device_event(&self, event: SessionEvent) {
        let dev = self.dev;
        match event {
            SessionEvent::State(state) => self.on_link_state(state),
            SessionEvent::DeviceInfo(info) => {
                dev.info.try_set(Some(info));
            }
            SessionEvent::Reply { call, result } => self.deploy_on_reply(call, result),
            SessionEvent::Log(line) => {
                let (kind, text) = log_line(&line);
                self.device_line(kind, text);
            }
            SessionEvent::Text(text) => {
                let kind = text_line_kind(&text);
                self.device_line(kind, text);
            }
            SessionEvent::Status(params) => {
                dev.scripts
                    .try_update(|list| apply_script_status(list, &params));
                dev.live.try_update(|l| l.apply_status(&params));
            }
            SessionEvent::Event(params) => {
                dev.live.try_update(|l| l.apply_event(&params));
            }
            SessionEvent::Telemetry {
                ts, name, value, ..
            } => {
                self.device_telemetry(name, ts, value);
            }
            SessionEvent::PasswordNeeded { realm, wrong } => {
                dev.locked.try_set(true);
                dev.password.try_set(Some(PasswordPrompt { realm, wrong }));
                self.dialog.try_set(Dialog::DevicePassword);
            }
        }
    }

    fn on_link_state(&self, state: LinkState) {
        let dev = self.dev;
        let was_connected = dev
            .link
            .try_with_untracked(|l| *l == LinkState::Connected)
            .unwrap_or(false);
        let now_connected = state == LinkState::Connected;
        dev.link.try_set(state.clone());
        self.device_refresh_label();
        let counting = matches!(
            state,
            LinkState::Reconnecting { .. } | LinkState::Connecting { .. }
        );
        self.device_label_timer(counting);
        if now_connected && !was_connected {
            // Remember the port the user granted (to find it again without asking).
            if let Some(c) = dev.client() {
                if let Some(ids) = c.port_ids() {
                    dev.settings.try_update(|s| s.remembered = Some(ids));
                    if let Some(s) = dev.settings.try_get_untracked() {
                        save_settings(&s);
                    }
                }
            }
            // The session keeps the console in the mode last asked for across reconnects.
            let raw = dev.client().is_some_and(|c| {
                c.session(|s| s.wire() == Wire::Console && s.console_mode() == ConsoleMode::Human)
            });
            self.device_set_raw(raw);
            self.device_refresh_scripts();
            self.device_read_config();
        }
    }

    fn device_refresh_label(&self) {
        let now = dom::perf_now();
        if let Some(label) = self.dev.link.try_with_untracked(|l| l.label(now)) {
            self.dev.link_label.try_set(label);
        }
    }

    /// While the link counts down (reconnecting), its label is refreshed twice a second.
    fn device_label_timer(&self, on: bool) {
        let running = self
            .dev
            .svc
            .try_with_value(|s| s.label_timer.is_some())
            .unwrap_or(false);
        if on == running {
            return;
        }
        if on {
            let ctx = *self;
            let handle = set_interval_with_handle(
                move || ctx.device_refresh_label(),
                std::time::Duration::from_millis(500),
            )
            .ok();
            self.dev.svc.try_update_value(|s| s.label_timer = handle);
        } else if let Some(Some(h)) = self.dev.svc.try_update_value(|s| s.label_timer.take()) {
            h.clear();
        }
    }

    /// Show the raw REPL (or not); while shown, its prompt line follows the console.
    pub(super) fn device_set_raw(&self, raw: bool) {
        self.dev.raw_repl.try_set(raw);
        if !raw {
            self.dev.raw_prompt.try_set(String::new());
        }
        let running = self
            .dev
            .svc
            .try_with_value(|s| s.prompt_timer.is_some())
            .unwrap_or(false);
        if raw == running {
            return;
        }
        if raw {
            let ctx = *self;
            let handle = set_interval_with_handle(
                move || {
                    if let Some(c) = ctx.dev.client() {
                        let line = c.session(|s| s.console_partial_line());
                        if ctx.dev.raw_prompt.try_get_untracked().as_ref() != Some(&line) {
                            ctx.dev.raw_prompt.try_set(line);
                        }
                    }
                },
                std::time::Duration::from_millis(150),
            )
            .ok();
            self.dev.svc.try_update_value(|s| s.prompt_timer = handle);
        } else if let Some(Some(h)) = self.dev.svc.try_update_value(|s| s.prompt_timer.take()) {
            h.clear();
        }
    }

    /// Add a device console line at the next animation frame (a chatty script sends many).
    pub fn device_line(&self, kind: LineKind, text: String) {
        let schedule = self
            .dev
            .svc
            .try_update_value(|s| {
                s.pending_lines.push((kind, text));
                let max = crate::state::device_view::DEVICE_LOG_MAX_LINES;
                if s.pending_lines.len() > max {
                    let excess = s.pending_lines.len() - max;
                    s.pending_lines.drain(..excess);
                }
                !std::mem::replace(&mut s.frame_scheduled, true)
            })
            .unwrap_or(false);
        if schedule {
            let ctx = *self;
            request_animation_frame(move || ctx.device_flush_lines());
        }
    }

    /// A telemetry point, ingested with the log lines on the next animation frame.
    fn device_telemetry(&self, name: String, ts: f64, value: f64) {
        let schedule = self
            .dev
            .svc
            .try_update_value(|s| {
                s.pending_telemetry.push((name, ts, value));
                // Only the last TELEMETRY_POINTS per series can be shown; bound the backlog.
                let max = TELEMETRY_SERIES * TELEMETRY_POINTS;
                if s.pending_telemetry.len() > max {
                    let excess = s.pending_telemetry.len() - max;
                    s.pending_telemetry.drain(..excess);
                }
                !std::mem::replace(&mut s.frame_scheduled, true)
            })
            .unwrap_or(false);
        if schedule {
            let ctx = *self;
            request_animation_frame(move || ctx.device_flush_lines());
        }
    }

    fn device_flush_lines(&self) {
        let Some((lines, points)) = self.dev.svc.try_update_value(|s| {
            s.frame_scheduled = false;
            (
                std::mem::take(&mut s.pending_lines),
                std::mem::take(&mut s.pending_telemetry),
            )
        }) else {
            return;
        };
        if !points.is_empty() {
            self.dev.telemetry.try_update(|t| {
                for (name, ts, value) in &points {
                    t.ingest(name, *ts, *value);
                }
            });
        }
        if lines.is_empty() {
            return;
        }
        self.dev.log.try_update(|log| {
            for (kind, text) in lines {
                log.push(kind, text);
            }
        });
    }

    pub fn device_clear_log(&self) {
        self.dev.svc.try_update_value(|s| s.pending_lines.clear());
        self.dev.log.try_update(|l| l.clear());
    }

    /// The password from the dialog (or `None`: cancelled).
    pub fn device_set_password(&self, password: Option<String>) {
        self.dialog.try_set(Dialog::None);
        let Some(password) = password else {
            return;
        };
        self.dev.password.try_update(|p| {
            if let Some(p) = p {
                p.wrong = false;
            }
        });
        self.dev.locked.try_set(false);
        if let Some(c) = self.dev.client() {
            c.with_session(|s, now| s.set_password(Some(password), now));
            // What the missing password kept from loading.
            if c.session(|s| *s.state() == LinkState::Connected) {
                self.device_refresh_scripts();
                self.device_read_config();
            }
        }
    }

    /// The Connection select changed: the kind's default address when the address was another
    /// kind's default (or empty).
    pub fn device_set_kind(&self, kind: ConnectionKind) {
        self.dev.settings.update(|s| {
            let was_default = s.address.is_empty()
                || ConnectionKind::ALL
                    .iter()
                    .any(|k| k.default_address() == s.address);
            s.kind = kind;
            if was_default {
                s.address = kind.default_address().to_string();
            }
        });
    }
}
