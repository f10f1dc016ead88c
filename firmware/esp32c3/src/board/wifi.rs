//! Wi-Fi station mode: the runtime's [`Wifi`] trait over esp-radio's `WifiController`.
//!
//! The runtime decides *what* to join (`Wifi.SetConfig`, remembered in the `wifi` config file
//! and applied again at boot); this module joins it and keeps it joined: it connects, notices a
//! lost association (polled once a second) and reconnects with a back-off of 1 s doubling to
//! 30 s, forever, until the configuration changes or Wi-Fi is disabled. The IP address comes
//! from DHCP in the network stack (`crate::net`), or is the static one of `Wifi.SetConfig`
//! (`sta.ipv4mode: "static"`, handed over in [`LinkState::ipv4_request`]); the stack reads and
//! writes the shared [`LinkState`].
//!
//! esp-radio's connect, disconnect and scan are `async`; the firmware has no executor, so each
//! runs as one boxed future polled with a no-op waker from [`ChipWifi::poll`] (the main loop calls
//! that every round, which is all the waking such a future needs). The controller sits in a
//! `RefCell` that the running operation borrows; dropping the operation releases it.
//!
//! Must never: block, or panic on a configuration from a script or an RPC client (bad SSIDs
//! and passwords are refused as [`BoardError::InvalidArgument`]).

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use esp_radio::wifi::scan::ScanConfig;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{AuthenticationMethodConfig, Config, Password, Ssid, WifiController};
use ferrite_runtime::board::{BoardError, BoardResult, StaticIpv4, Wifi, WifiStatus};

/// What the Wi-Fi link and the network stack know, shared between them (and the boot report).
#[derive(Clone, Debug, Default)]
pub struct LinkState {
    /// Associated with the access point (the radio's view).
    pub associated: bool,
    /// The network joined or being joined.
    pub ssid: Option<String>,
    /// The address DHCP gave, or the static one (set by the network stack; a DHCP address is
    /// cleared when the link drops).
    pub ip: Option<[u8; 4]>,
    /// A new IPv4 configuration for the network stack to take (`Some(None)`: DHCP), set by
    /// `Wifi::set_ipv4` and taken by the main loop.
    pub ipv4_request: Option<Option<StaticIpv4>>,
    /// Signal strength of the joined network, dBm (0 when not associated).
    pub rssi: i32,
    /// Why the last attempt failed, for the status and the log.
    pub last_error: Option<String>,
}

/// Shared handle on [`LinkState`].
pub type SharedLink = Rc<RefCell<LinkState>>;

/// How often a joined link is checked (association, RSSI).
const CHECK_INTERVAL_MS: u64 = 1_000;
/// The first retry after a failed or lost connection; it doubles up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: u64 = 1_000;
const MAX_BACKOFF_MS: u64 = 30_000;
/// Networks reported by a scan.
const SCAN_MAX: usize = 20;

/// Which operation is in flight, with its result type.
enum Done {
    Connected(Result<(), String>),
    Disconnected,
    Scanned(Result<Vec<String>, String>),
}

type Operation = Pin<Box<dyn Future<Output = Done>>>;

/// Which operation runs (each has a time limit: an event the driver never sends must not stop
/// the station for good).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connect,
    Disconnect,
    Scan,
}

impl Kind {
    fn limit_ms(self) -> u64 {
        match self {
            Kind::Connect => 30_000,
            Kind::Disconnect => 5_000,
            Kind::Scan => 15_000,
        }
    }
}

/// The station: the controller, the wanted network and the reconnect schedule.
pub struct ChipWifi {
    controller: Rc<RefCell<WifiController<'static>>>,
    link: SharedLink,
    /// The operation in flight, what it is, and when it is given up.
    operation: Option<(Operation, Kind, u64)>,
    /// The network to be on (`None`: Wi-Fi disabled).
    wanted: Option<(String, String)>,
    /// A connect for `wanted` is due at this time.
    connect_at: Option<u64>,
    backoff_ms: u64,
    next_check: u64,
    scan_wanted: bool,
    scan_results: Vec<String>,
    /// The time of the last poll (the `Wifi` trait's calls carry none).
    now_ms: u64,
}

impl ChipWifi {
    pub fn new(controller: WifiController<'static>, link: SharedLink) -> Self {
        ChipWifi {
            controller: Rc::new(RefCell::new(controller)),
            link,
            operation: None,
            wanted: None,
            connect_at: None,
            backoff_ms: FIRST_BACKOFF_MS,
            next_check: 0,
            scan_wanted: false,
            scan_results: Vec::new(),
            now_ms: 0,
        }
    }

    /// Advance the link: finish or start an operation, notice a lost association, retry.
    pub fn poll(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        if let Some((op, kind, deadline)) = self.operation.as_mut() {
            let mut cx = Context::from_waker(Waker::noop());
            match op.as_mut().poll(&mut cx) {
                Poll::Ready(done) => {
                    self.operation = None;
                    self.finish(done, now_ms);
                }
                Poll::Pending if now_ms >= *deadline => {
                    let kind = *kind;
                    // Dropping the operation releases the controller.
                    self.operation = None;
                    match kind {
                        // A connect whose event was lost (esp-radio drops events a busy
                        // loop has not read) while the station did join: keep the link.
                        Kind::Connect
                            if self.controller.try_borrow().is_ok_and(|c| c.is_connected()) =>
                        {
                            self.finish(Done::Connected(Ok(())), now_ms)
                        }
                        Kind::Connect => {
                            // The driver may still be trying: abort that, then retry after
                            // the back-off.
                            self.link.borrow_mut().last_error =
                                Some("connecting: no answer from the access point".into());
                            self.retry_later(now_ms);
                            self.start_disconnect(now_ms);
                        }
                        Kind::Disconnect => self.finish(Done::Disconnected, now_ms),
                        Kind::Scan => {
                            self.finish(Done::Scanned(Err("scanning: no answer".into())), now_ms)
                        }
                    }
                    return;
                }
                Poll::Pending => return,
            }
        }
        let associated = self.link.borrow().associated;
        if associated {
            if now_ms >= self.next_check {
                self.next_check = now_ms + CHECK_INTERVAL_MS;
                self.check_link(now_ms);
            }
            if self.scan_wanted {
                self.start_scan(now_ms);
            }
            return;
        }
        // Between connection attempts too: a scan shows what can be joined.
        if self.scan_wanted && self.connect_at.is_none_or(|at| at > now_ms) {
            self.start_scan(now_ms);
            return;
        }
        if let Some(at) = self.connect_at {
            if now_ms >= at {
                self.connect_at = None;
                self.start_connect(now_ms);
            }
        }
    }

    fn finish(&mut self, done: Done, now_ms: u64) {
        match done {
            Done::Connected(Ok(())) => {
                let mut link = self.link.borrow_mut();
                link.associated = true;
                link.last_error = None;
                self.backoff_ms = FIRST_BACKOFF_MS;
                self.next_check = now_ms;
            }
            Done::Connected(Err(e)) => {
                self.link.borrow_mut().last_error = Some(e);
                self.retry_later(now_ms);
            }
            Done::Disconnected => {
                self.link_lost();
                // Join `wanted` now, unless a retry is already scheduled.
                if self.wanted.is_some() && self.connect_at.is_none() {
                    self.connect_at = Some(now_ms);
                }
            }
            Done::Scanned(result) => match result {
                Ok(names) => self.scan_results = names,
                Err(e) => self.link.borrow_mut().last_error = Some(e),
            },
        }
    }

    fn check_link(&mut self, now_ms: u64) {
        let Ok(controller) = self.controller.try_borrow() else {
            return;
        };
        if controller.is_connected() {
            let rssi = controller.rssi().unwrap_or(0);
            self.link.borrow_mut().rssi = rssi;
        } else {
            drop(controller);
            self.link_lost();
            self.link.borrow_mut().last_error = Some("the access point dropped the link".into());
            self.retry_later(now_ms);
        }
    }

    fn link_lost(&mut self) {
        let mut link = self.link.borrow_mut();
        link.associated = false;
        link.ip = None;
        link.rssi = 0;
    }

    fn retry_later(&mut self, now_ms: u64) {
        if self.wanted.is_some() {
            self.connect_at = Some(now_ms + self.backoff_ms);
            self.backoff_ms = (self.backoff_ms * 2).min(MAX_BACKOFF_MS);
        }
    }

    // The operation holds the controller while it runs (dropping it releases the borrow);
    // everything else reaches the controller with `try_borrow` and waits its turn.
    #[allow(clippy::await_holding_refcell_ref)]
    fn start_connect(&mut self, now_ms: u64) {
        let Some((ssid, pass)) = self.wanted.clone() else {
            return;
        };
        let config = match station_config(&ssid, &pass) {
            Ok(c) => c,
            Err(e) => {
                // Checked in `connect`; only reachable if the driver's rules are stricter.
                self.link.borrow_mut().last_error = Some(format!("{e}"));
                self.wanted = None;
                return;
            }
        };
        let Ok(mut controller) = self.controller.try_borrow_mut() else {
            self.connect_at = Some(now_ms);
            return;
        };
        if let Err(e) = controller.set_config(&Config::Station(config)) {
            drop(controller);
            self.link.borrow_mut().last_error = Some(format!("configuring the station: {e:?}"));
            self.retry_later(now_ms);
            return;
        }
        drop(controller);
        self.link.borrow_mut().ssid = Some(ssid);
        let controller = self.controller.clone();
        let op: Operation = Box::pin(async move {
            let mut c = controller.borrow_mut();
            Done::Connected(match c.connect_async().await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("connecting: {e:?}")),
            })
        });
        self.operation = Some((op, Kind::Connect, now_ms + Kind::Connect.limit_ms()));
    }

    // The operation holds the controller while it runs (dropping it releases the borrow);
    // everything else reaches the controller with `try_borrow` and waits its turn.
    #[allow(clippy::await_holding_refcell_ref)]
    fn start_disconnect(&mut self, now_ms: u64) {
        let controller = self.controller.clone();
        let op: Operation = Box::pin(async move {
            let mut c = controller.borrow_mut();
            // Not connected (nothing to leave) is as good as disconnected.
            let _ = c.disconnect_async().await;
            Done::Disconnected
        });
        self.operation = Some((op, Kind::Disconnect, now_ms + Kind::Disconnect.limit_ms()));
    }

    // The operation holds the controller while it runs (dropping it releases the borrow);
    // everything else reaches the controller with `try_borrow` and waits its turn.
    #[allow(clippy::await_holding_refcell_ref)]
    fn start_scan(&mut self, now_ms: u64) {
        if self.operation.is_some() {
            return;
        }
        self.scan_wanted = false;
        let controller = self.controller.clone();
        let op: Operation = Box::pin(async move {
            let mut c = controller.borrow_mut();
            let config = ScanConfig::default().with_max(SCAN_MAX);
            Done::Scanned(match c.scan_async(&config).await {
                Ok(found) => Ok(found
                    .iter()
                    .map(|ap| ap.ssid.as_str().to_string())
                    .collect()),
                Err(e) => Err(format!("scanning: {e:?}")),
            })
        });
        self.operation = Some((op, Kind::Scan, now_ms + Kind::Scan.limit_ms()));
    }

    /// Leave the current network (if any) and, when `wanted` is set, join that one next.
    fn change_network(&mut self, now_ms: u64) {
        self.connect_at = None;
        self.backoff_ms = FIRST_BACKOFF_MS;
        // A disconnect already running finishes (and then joins `wanted`): starting another
        // while the driver is still disconnecting would return at once and let a connect race
        // the old disconnect's event.
        if matches!(self.operation, Some((_, Kind::Disconnect, _))) {
            return;
        }
        // A connect to the old network or a scan is abandoned; the disconnect that follows
        // also aborts a connection attempt the driver is still making.
        self.operation = None;
        self.start_disconnect(now_ms);
    }
}

/// The station configuration for a network, or why it cannot be joined.
fn station_config(ssid: &str, pass: &str) -> Result<StationConfig, BoardError> {
    let ssid_value = Ssid::try_from(ssid).map_err(|_| {
        BoardError::InvalidArgument(format!(
            "an SSID has 1 to 32 bytes, this one {}",
            ssid.len()
        ))
    })?;
    let auth = if pass.is_empty() {
        AuthenticationMethodConfig::Open
    } else {
        let password = Password::try_from(pass).map_err(|_| {
            BoardError::InvalidArgument(format!(
                "a Wi-Fi password has 8 to 63 characters (or 64 hex digits), this one {}",
                pass.len()
            ))
        })?;
        // The driver takes this as the weakest security it accepts: WPA2 (which WPA2/WPA3
        // access points offer too), not WPA's broken TKIP.
        AuthenticationMethodConfig::Wpa2Personal(password)
    };
    Ok(StationConfig::default()
        .with_ssid(ssid_value)
        .with_authentication(auth))
}

/// Whether a network name and password can be joined at all (WPA2-Personal or open).
fn check_credentials(ssid: &str, pass: &str) -> BoardResult<()> {
    if ssid.is_empty() || ssid.len() > 32 {
        return Err(BoardError::InvalidArgument(format!(
            "an SSID has 1 to 32 bytes, this one {}",
            ssid.len()
        )));
    }
    let hex_key = pass.len() == 64 && pass.bytes().all(|b| b.is_ascii_hexdigit());
    if !pass.is_empty() && !(8..=63).contains(&pass.len()) && !hex_key {
        return Err(BoardError::InvalidArgument(format!(
            "a Wi-Fi password is empty (open network), 8 to 63 characters or 64 hex digits; \
             this one has {}",
            pass.len()
        )));
    }
    Ok(())
}

impl Wifi for ChipWifi {
    fn status(&self) -> WifiStatus {
        let link = self.link.borrow();
        WifiStatus {
            // "Connected" is what scripts and `Wifi.GetStatus` mean by usable: an address.
            connected: link.associated && link.ip.is_some(),
            ssid: link.ssid.clone(),
            ip: link.ip.map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")),
            rssi: link.rssi,
        }
    }

    fn connect(&mut self, ssid: &str, password: &str) -> BoardResult<()> {
        check_credentials(ssid, password)?;
        let wanted = Some((String::from(ssid), String::from(password)));
        let joining = matches!(
            self.operation,
            Some((_, Kind::Connect | Kind::Disconnect, _))
        );
        if self.wanted == wanted && (self.link.borrow().associated || joining) {
            return Ok(());
        }
        self.wanted = wanted;
        self.link.borrow_mut().last_error = None;
        self.change_network(self.now_ms);
        Ok(())
    }

    fn disconnect(&mut self) {
        self.wanted = None;
        self.link.borrow_mut().ssid = None;
        self.change_network(self.now_ms);
    }

    fn scan(&mut self) -> Vec<String> {
        self.scan_wanted = true;
        self.scan_results.clone()
    }

    fn set_ipv4(&mut self, config: Option<StaticIpv4>) {
        self.link.borrow_mut().ipv4_request = Some(config);
    }
}
