//! `ferrite device`: the virtual device. The same runtime as the ESP32-C3 firmware and the
//! in-tab simulator, on a [`SimBoard`] with real time, a data directory for storage, real
//! sockets for HTTP/WebSocket RPC, MQTT and the scripts' network, and a serial console on
//! stdin/stdout or a PTY.
//!
//! The main loop polls the runtime and every transport; transports get the runtime's RPC
//! answers and notifications each round ([`Transport::deliver`]). When nothing is to be done it
//! waits in `poll(2)` on the transports' file descriptors until the next deadline (a timer, a
//! component, the network), so an idle device uses no CPU and input is served at once.
//! `Shelly.Reboot` restarts the runtime (a fresh boot from storage); transports stay open.

mod console;
mod http_client;
mod http_server;
mod mqtt_client;
mod net;
mod options;
mod sockets;
mod storage;
mod system;
#[cfg(test)]
mod test_util;
mod worker;

use std::cell::Cell;
use std::rc::Rc;

use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::RpcError;
use ferrite_runtime::sim::SimBoard;
use ferrite_runtime::{Runtime, RuntimeConfig};

pub use options::{parse, DeviceOptions};

/// A way in and out of the device: the serial console, the HTTP/WebSocket server.
pub trait Transport {
    /// Read input, run requests against the runtime, write what is ready. Returns whether it
    /// did anything (the loop waits only when nobody did).
    fn poll(&mut self, rt: &mut Runtime) -> bool;
    /// The runtime's answers to pending RPC calls (each transport takes its own tokens) and
    /// notifications for persistent channels, produced this round.
    fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notifications: &[Notification],
    );
    /// The transport asks the device to exit (end of input on the console).
    fn wants_exit(&self) -> bool {
        false
    }
    /// The runtime (re)booted: calls in flight are gone (their tokens may be reused), the log
    /// starts again at sequence 0.
    fn on_boot(&mut self, _rt: &mut Runtime) {}
    /// Add the file descriptors whose readiness means work for this transport. Returns `false`
    /// if the transport cannot be waited for that way (then the loop wakes every few
    /// milliseconds to poll it).
    fn wait_fds(&self, _fds: &mut Vec<libc::pollfd>) -> bool {
        false
    }
}

/// The longest the loop waits without a reason (a safety net for sources it cannot see).
const MAX_WAIT_MS: u64 = 1000;
/// The wait while network events wait for the runtime.
const NET_WAIT_MS: u64 = 5;
/// The wait while a transport cannot be waited for through file descriptors.
const BLIND_WAIT_MS: u64 = 5;

/// A booted runtime and what the loop watches of it.
struct Booted {
    rt: Runtime,
    reboot: Rc<Cell<bool>>,
    net: net::NetWatch,
}

fn boot(opts: &DeviceOptions) -> Result<Booted, String> {
    let storage = storage::DirStorage::with_capacity(&opts.data_dir, opts.fs_size)?;
    let system = system::HostSystem::open(&opts.data_dir)?;
    let reboot = system.reboot_flag();
    let clock = system::HostClock::new();
    let host_net = net::HostNet::new(clock.epoch())?;
    let watch = host_net.watch();
    let board = SimBoard::new(Box::new(clock), Box::new(storage), Box::new(system))
        .with_standard_parts()
        .with_net(Box::new(host_net));
    let mut rt = Runtime::new(
        Box::new(board),
        RuntimeConfig {
            model: "FerriteVirtual".into(),
            limits: opts.limits.clone(),
            ..Default::default()
        },
    );
    rt.boot();
    Ok(Booted {
        rt,
        reboot,
        net: watch,
    })
}

/// Run the virtual device until the console closes or the process is killed. Returns the exit
/// status.
pub fn run(opts: DeviceOptions) -> i32 {
    let mut transports: Vec<Box<dyn Transport>> = Vec::new();
    match console::Console::open(&opts) {
        Ok(c) => transports.push(Box::new(c)),
        Err(e) => {
            eprintln!("ferrite device: console: {e}");
            return 2;
        }
    }
    if let Some(addr) = &opts.http {
        let server =
            system::random_key().and_then(|key| http_server::HttpServer::bind(addr, &opts, key));
        match server {
            Ok(s) => transports.push(Box::new(s)),
            Err(e) => {
                eprintln!("ferrite device: http: {e}");
                return 2;
            }
        }
    }
    loop {
        let mut b = match boot(&opts) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("ferrite device: {e}");
                return 2;
            }
        };
        for t in transports.iter_mut() {
            t.on_boot(&mut b.rt);
        }
        if let Some(status) = run_booted(&mut b, &mut transports) {
            return status;
        }
        // `Shelly.Reboot`: the runtime (and the board with it) is dropped and booted again.
    }
}

/// The loop of one boot. `Some(status)`: exit; `None`: reboot requested.
fn run_booted(b: &mut Booted, transports: &mut [Box<dyn Transport>]) -> Option<i32> {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    loop {
        let rt = &mut b.rt;
        let p = rt.poll();
        let mut active = p.busy;
        for t in transports.iter_mut() {
            active |= t.poll(rt);
        }
        let done = rt.take_rpc_done();
        let notes = rt.take_notifications();
        if !done.is_empty() || !notes.is_empty() {
            active = true;
        }
        for t in transports.iter_mut() {
            t.deliver(rt, &done, &notes);
        }
        if transports.iter().any(|t| t.wants_exit()) {
            return Some(0);
        }
        if b.reboot.get() {
            // The answer to `Shelly.Reboot` went out in `deliver` above.
            return None;
        }
        if active {
            continue;
        }
        // Nothing to do now: wait for input or the next deadline.
        let now = rt.device().borrow().now_ms();
        let deadline = match (p.next_deadline_ms, b.net.deadline_ms.get()) {
            (Some(a), Some(n)) => Some(a.min(n)),
            (a, n) => a.or(n),
        };
        let mut wait = deadline.map_or(MAX_WAIT_MS, |d| d.saturating_sub(now).min(MAX_WAIT_MS));
        if b.net.busy.get() {
            wait = wait.min(NET_WAIT_MS);
        }
        fds.clear();
        fds.extend_from_slice(&b.net.fds.borrow());
        for t in transports.iter() {
            if !t.wait_fds(&mut fds) {
                wait = wait.min(BLIND_WAIT_MS);
            }
        }
        if wait == 0 {
            continue;
        }
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait as i32) };
        if n < 0 {
            // EINTR (a signal): just go round again.
            continue;
        }
    }
}
