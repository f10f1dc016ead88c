//! One simulated device: the device runtime on a `SimBoard` with virtual time, 1 MiB of
//! memory storage, the standard I2C parts, the in-tab MQTT broker (enabled through the device's
//! own `Mqtt.SetConfig`), the HTTP mock and a Wi-Fi station joined to a simulated network, with the Shelly limits of the real device. It knows
//! which project file each script came from. It never advances time by itself.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{Origin, RpcReply};
use ferrite_runtime::sim::mqtt_loopback::{LoopbackHandle, LoopbackMqtt};
use ferrite_runtime::sim::wifi::{SimWifi, SimWifiHandle, HOME_SSID};
use ferrite_runtime::sim::{MemStorage, SimBoard, SimHandle, SimSystem, VirtualClock};
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};

use super::http_mock::{MockHttp, MockState};
use crate::project::ProjectFile;
use crate::protocol::HttpMock;

/// Slices per poll: one, so that the simulator checks the wall clock after every slice and a
/// busy script never makes a step overrun its budget by more than one slice.
pub const SLICES_PER_POLL: u32 = 1;

/// Wall-clock epoch when the page does not send one (2023-11-14).
pub const DEFAULT_EPOCH_MS: f64 = 1_700_000_000_000.0;

pub struct SimDevice {
    pub rt: Runtime,
    pub clock: VirtualClock,
    pub sim: SimHandle,
    pub mqtt: LoopbackHandle,
    pub http: Rc<RefCell<MockState>>,
    /// The simulated Wi-Fi station and its access points.
    pub wifi: SimWifiHandle,
    /// Project file of each script id (index `id - 1`).
    pub files: Vec<String>,
}

impl SimDevice {
    /// A freshly booted device without scripts.
    pub fn boot(mocks: Vec<HttpMock>, epoch_ms: f64) -> SimDevice {
        let epoch = if epoch_ms.is_finite() && epoch_ms > 0.0 {
            epoch_ms
        } else {
            DEFAULT_EPOCH_MS
        };
        let clock = VirtualClock::new(Some(epoch));
        let http = Rc::new(RefCell::new(MockState::new(mocks)));
        let station = SimWifi::new().with_inner(Box::new(MockHttp::new(
            http.clone(),
            Box::new(clock.clone()),
        )));
        let wifi = station.handle();
        let loopback = LoopbackMqtt::new().with_inner(Box::new(station));
        let mqtt = loopback.handle();
        let board = SimBoard::new(
            Box::new(clock.clone()),
            Box::new(MemStorage::new(1 << 20)),
            Box::new(SimSystem::new(42, [0xAA, 0xBB, 0xCC, 0x00, 0x11, 0x22])),
        )
        .with_standard_parts()
        .with_net(Box::new(loopback));
        let sim = board.handle();
        let mut rt = Runtime::new(
            Box::new(board),
            RuntimeConfig {
                limits: Limits::SHELLY,
                slices_per_poll: SLICES_PER_POLL,
                ..Default::default()
            },
        );
        rt.boot();
        let mut dev = SimDevice {
            rt,
            clock,
            sim,
            mqtt,
            http,
            wifi,
            files: Vec::new(),
        };
        if let Err(e) = dev.call(
            "Mqtt.SetConfig",
            json!({"config": {"enable": true, "server": "in-tab-broker"}}),
        ) {
            dev.log_error(0, format!("the in-tab MQTT broker is not available: {e}"));
        }
        // Configured as the station joined it, so that `Wifi.GetConfig` shows the network.
        let sta = json!({"config": {"sta": {"ssid": HOME_SSID, "enable": true}}});
        if let Err(e) = dev.call("Wifi.SetConfig", sta) {
            dev.log_error(0, format!("the simulated Wi-Fi is not available: {e}"));
        }
        dev
    }

    /// An RPC call that must answer at once.
    pub fn call(&mut self, method: &str, params: Json) -> Result<Json, String> {
        match self.rt.rpc(method, params, Origin::Transport) {
            RpcReply::Done(r) => r.map_err(|e| format!("{e}")),
            RpcReply::Pending(_) => Err(format!("{method} did not answer at once")),
        }
    }

    pub fn log_error(&mut self, script: u32, text: String) {
        self.rt
            .device()
            .borrow_mut()
            .log(Level::Error, script, text);
    }

    /// Create every file as a script (ids from 1 in file order) and start the one of `start`.
    /// Problems (too many scripts, a file too large) go to the device log; `Err` says why the
    /// start file is not running.
    pub fn load_project(&mut self, files: &[ProjectFile], start: &str) -> Result<(), String> {
        let mut not_loaded = Vec::new();
        for f in files {
            let id = match self.call("Script.Create", json!({"name": f.name})) {
                Ok(r) => r["id"].as_u64().unwrap_or(0) as u32,
                Err(e) => {
                    self.log_error(0, format!("{}: not loaded: {e}", f.name));
                    not_loaded.push(f.name.clone());
                    continue;
                }
            };
            if id == 0 {
                self.log_error(0, format!("{}: the device gave no script id", f.name));
                not_loaded.push(f.name.clone());
                continue;
            }
            while self.files.len() < id as usize {
                self.files.push(String::new());
            }
            if let Some(slot) = self.files.get_mut(id as usize - 1) {
                *slot = f.name.clone();
            }
            if let Err(e) = self.call("Script.PutCode", json!({"id": id, "code": f.code})) {
                self.log_error(id, format!("{}: {e}", f.name));
                not_loaded.push(f.name.clone());
            }
        }
        let why = if not_loaded.iter().any(|n| n == start) {
            format!("{start} could not be loaded onto the device")
        } else {
            match self.script_of(start) {
                Some(id) => match self.call("Script.Start", json!({"id": id})) {
                    // A syntax error is reported as the script's error.
                    Ok(_) => return Ok(()),
                    Err(e) => format!("{start} did not start: {e}"),
                },
                None => format!("{start} is not a file of the project"),
            }
        };
        self.log_error(self.script_of(start).unwrap_or(0), why.clone());
        Err(why)
    }

    pub fn script_of(&self, file: &str) -> Option<u32> {
        self.files
            .iter()
            .position(|f| f == file)
            .map(|i| i as u32 + 1)
    }

    pub fn file_of(&self, id: u32) -> Option<&str> {
        id.checked_sub(1)
            .and_then(|i| self.files.get(i as usize))
            .map(String::as_str)
            .filter(|f| !f.is_empty())
    }

    pub fn now_ms(&self) -> u64 {
        self.rt.device().borrow().now_ms()
    }

    /// Does any script run (as `Script.GetStatus` says)?
    pub fn any_running(&self) -> bool {
        self.rt.device().borrow().scripts.iter().any(|r| r.running)
    }

    /// Stop every running script.
    pub fn stop_all(&mut self) -> usize {
        let ids: Vec<u32> = self
            .rt
            .device()
            .borrow()
            .scripts
            .iter()
            .filter(|r| r.running)
            .map(|r| r.id)
            .collect();
        for id in &ids {
            if let Err(e) = self.call("Script.Stop", json!({"id": id})) {
                self.log_error(*id, format!("Script.Stop: {e}"));
            }
        }
        ids.len()
    }
}
