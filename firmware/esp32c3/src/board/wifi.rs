//! Wi-Fi station mode: the runtime's [`Wifi`] trait over esp-radio's `WifiController`.
//!
//! The runtime decides *what* to join (`Wifi.SetConfig`, remembered in the `wifi` config file
//! and applied again at boot); this module joins it and keeps it joined: it connects, notices a
//! lost association (polled once a second, after the driver's own beacon timeout of about 6 s)
//! and reconnects with a back-off of 1 s doubling to 30 s, forever, until the configuration
//! changes or Wi-Fi is disabled; the back-off starts again at 1 s only once a link has lasted
//! [`STABLE_LINK_MS`] (an access point that takes the join and drops it at once is not asked
//! again every second). Why a join failed is kept in words (a wrong password, no such network)
//! for `Wifi.GetStatus` and the device log. A scan ([`Wifi::start_scan`]) runs when no join is
//! under way and ends in one `BoardEvent::WifiScanDone` ([`ChipWifi::take_event`]), which the
//! runtime hands to everyone who asked. The IP address comes
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

use esp_radio::wifi::ap::AccessPointInfo;
use esp_radio::wifi::scan::ScanConfig;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{
    AuthenticationMethod, AuthenticationMethodConfig, Config, ConnectionError, DisconnectReason,
    Password, Ssid, WifiController,
};
use ferrite_runtime::board::{
    BoardError, BoardEvent, BoardResult, StaticIpv4, Wifi, WifiNetwork, WifiSecurity, WifiStatus,
};

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
    /// Why the last attempt failed, in words, for the status and the log.
    pub last_error: Option<String>,
}

/// Shared handle on [`LinkState`].
pub type SharedLink = Rc<RefCell<LinkState>>;

/// How often a joined link is checked (association, RSSI).
const CHECK_INTERVAL_MS: u64 = 1_000;
/// The first retry after a failed or lost connection; it doubles up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: u64 = 1_000;
const MAX_BACKOFF_MS: u64 = 30_000;
/// How long a link must last before the back-off starts again at [`FIRST_BACKOFF_MS`].
const STABLE_LINK_MS: u64 = 30_000;
/// After a disconnect or a scan that timed out, the driver's late event could be taken for the
/// next operation's (esp-radio's scan takes any scan's end, its disconnect any disconnect): the
/// next connect or scan waits this long.
const AFTER_TIMEOUT_MS: u64 = 1_000;
/// Networks reported by a scan: the strongest of the first [`SCAN_FETCH`] the driver lists.
const SCAN_MAX: usize = 20;
const SCAN_FETCH: usize = 64;

/// Which operation is in flight, with its result type.
enum Done {
    Connected(Result<(), String>),
    Disconnected,
    Scanned(Result<Vec<WifiNetwork>, String>),
}

type Operation = Pin<Box<dyn Future<Output = Done>>>;

/// Waits for the driver's disconnect event while joined: its reason is why the link was lost.
type Watch = Pin<Box<dyn Future<Output = Option<DisconnectReason>>>>;

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
    /// While joined and no operation runs: the wait for the driver's disconnect event (it
    /// borrows the controller shared; every operation drops it before it starts).
    watch: Option<Watch>,
    /// The network to be on (`None`: Wi-Fi disabled).
    wanted: Option<(String, String)>,
    /// A connect for `wanted` is due at this time.
    connect_at: Option<u64>,
    /// No connect or scan starts before this time ([`AFTER_TIMEOUT_MS`] after a disconnect or
    /// a scan that timed out, whatever is asked meanwhile).
    radio_idle_at: u64,
    backoff_ms: u64,
    /// When the station last joined.
    associated_since: u64,
    /// A configuration change waits for the scan in flight (abandoned, the driver would go on
    /// scanning and refuse the connect that follows).
    change_after_scan: bool,
    next_check: u64,
    /// A scan was asked for ([`Wifi::start_scan`]) and has not started.
    scan_wanted: bool,
    /// The end of the last scan, for the runtime ([`ChipWifi::take_event`]).
    scan_done: Option<Result<Vec<WifiNetwork>, String>>,
    /// The time of the last poll (the `Wifi` trait's calls carry none).
    now_ms: u64,
}

impl ChipWifi {
    pub fn new(controller: WifiController<'static>, link: SharedLink) -> Self {
        ChipWifi {
            controller: Rc::new(RefCell::new(controller)),
            link,
            operation: None,
            watch: None,
            wanted: None,
            connect_at: None,
            radio_idle_at: 0,
            backoff_ms: FIRST_BACKOFF_MS,
            associated_since: 0,
            change_after_scan: false,
            next_check: 0,
            scan_wanted: false,
            scan_done: None,
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
                    if core::mem::take(&mut self.change_after_scan) {
                        self.change_network(now_ms);
                    }
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
                            self.note_error(format!(
                                "cannot join {}: no answer from the access point in 30 s",
                                self.wanted_ssid()
                            ));
                            self.retry_later(now_ms);
                            self.start_disconnect(now_ms);
                        }
                        Kind::Disconnect => {
                            self.radio_idle_at = now_ms + AFTER_TIMEOUT_MS;
                            self.finish(Done::Disconnected, now_ms);
                        }
                        Kind::Scan => {
                            self.radio_idle_at = now_ms + AFTER_TIMEOUT_MS;
                            self.finish(
                                Done::Scanned(Err(format!(
                                    "the radio did not finish the scan in {} s",
                                    Kind::Scan.limit_ms() / 1000
                                ))),
                                now_ms,
                            );
                            if core::mem::take(&mut self.change_after_scan) {
                                self.change_network(now_ms);
                            }
                        }
                    }
                    return;
                }
                Poll::Pending => return,
            }
        }
        let associated = self.link.borrow().associated;
        if associated {
            if let Some(reason) = self.poll_watch(now_ms) {
                self.link_lost();
                self.note_error(format!(
                    "lost {}: {}",
                    self.wanted_ssid(),
                    lost_link(reason)
                ));
                self.retry_later(now_ms);
                return;
            }
            if now_ms >= self.next_check {
                self.next_check = now_ms + CHECK_INTERVAL_MS;
                self.check_link(now_ms);
            }
            if self.scan_wanted && now_ms >= self.radio_idle_at {
                self.begin_scan(now_ms);
            }
            return;
        }
        // Between connection attempts too, before the next one (a scan takes at most 15 s, a
        // join 30 s and the disconnect after a failed one 5 s more: someone waits for it).
        if self.scan_wanted {
            if now_ms >= self.radio_idle_at {
                self.begin_scan(now_ms);
            }
            return;
        }
        if let Some(at) = self.connect_at {
            if now_ms >= at.max(self.radio_idle_at) {
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
                self.associated_since = now_ms;
                self.next_check = now_ms;
            }
            Done::Connected(Err(e)) => {
                self.note_error(e);
                self.retry_later(now_ms);
            }
            Done::Disconnected => {
                self.link_lost();
                // Join `wanted` now, unless a retry is already scheduled.
                if self.wanted.is_some() && self.connect_at.is_none() {
                    self.connect_at = Some(now_ms);
                }
            }
            // A failed scan is not why the station is not joined: the join's reason stays.
            Done::Scanned(result) => self.scan_done = Some(result),
        }
    }

    /// Wait for the driver's disconnect event (while joined and no operation runs): its
    /// reason once it comes. A wait that ends without one (the station was no longer joined)
    /// has the link checked at once.
    // The wait holds the controller (shared) while it runs; every operation drops it first.
    #[allow(clippy::await_holding_refcell_ref)]
    fn poll_watch(&mut self, now_ms: u64) -> Option<DisconnectReason> {
        if self.operation.is_some() {
            return None;
        }
        let watch = self.watch.get_or_insert_with(|| {
            let controller = self.controller.clone();
            Box::pin(async move {
                let c = controller.borrow();
                c.wait_for_disconnect_async()
                    .await
                    .ok()
                    .map(|info| info.reason)
            })
        });
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(reason) = watch.as_mut().poll(&mut cx) else {
            return None;
        };
        self.watch = None;
        if reason.is_none() {
            self.next_check = now_ms;
        }
        reason
    }

    fn check_link(&mut self, now_ms: u64) {
        let Ok(controller) = self.controller.try_borrow() else {
            return;
        };
        if controller.is_connected() {
            let rssi = controller.rssi().unwrap_or(0);
            self.link.borrow_mut().rssi = rssi;
            if now_ms.saturating_sub(self.associated_since) >= STABLE_LINK_MS {
                self.backoff_ms = FIRST_BACKOFF_MS;
            }
        } else {
            drop(controller);
            self.link_lost();
            self.note_error(format!(
                "lost {}: the access point dropped the link",
                self.wanted_ssid()
            ));
            self.retry_later(now_ms);
        }
    }

    /// Why the station is not joined, for the status and the device log.
    fn note_error(&mut self, e: String) {
        self.link.borrow_mut().last_error = Some(e);
    }

    /// The network being joined, quoted, for messages.
    fn wanted_ssid(&self) -> String {
        self.wanted
            .as_ref()
            .map_or_else(|| "the network".into(), |(ssid, _)| format!("\"{ssid}\""))
    }

    fn link_lost(&mut self) {
        self.watch = None;
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
        self.watch = None;
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
            self.note_error(format!("configuring the station: {e:?}"));
            self.retry_later(now_ms);
            return;
        }
        drop(controller);
        self.link.borrow_mut().ssid = Some(ssid.clone());
        let controller = self.controller.clone();
        let op: Operation = Box::pin(async move {
            let mut c = controller.borrow_mut();
            Done::Connected(match c.connect_async().await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("cannot join \"{ssid}\": {}", connection_error(&e))),
            })
        });
        self.operation = Some((op, Kind::Connect, now_ms + Kind::Connect.limit_ms()));
    }

    // The operation holds the controller while it runs (dropping it releases the borrow);
    // everything else reaches the controller with `try_borrow` and waits its turn.
    #[allow(clippy::await_holding_refcell_ref)]
    fn start_disconnect(&mut self, now_ms: u64) {
        self.watch = None;
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
    fn begin_scan(&mut self, now_ms: u64) {
        if self.operation.is_some() {
            return;
        }
        self.watch = None;
        self.scan_wanted = false;
        let controller = self.controller.clone();
        let op: Operation = Box::pin(async move {
            let mut c = controller.borrow_mut();
            let config = ScanConfig::default().with_max(SCAN_FETCH);
            Done::Scanned(match c.scan_async(&config).await {
                Ok(mut found) => {
                    found.sort_by_key(|ap| core::cmp::Reverse(ap.signal_strength));
                    Ok(found.iter().take(SCAN_MAX).map(network).collect())
                }
                Err(e) => Err(format!("the radio could not scan: {e:?}")),
            })
        });
        self.operation = Some((op, Kind::Scan, now_ms + Kind::Scan.limit_ms()));
    }

    /// The end of a scan, once, for the board's events.
    pub fn take_event(&mut self) -> Option<BoardEvent> {
        self.scan_done
            .take()
            .map(|result| BoardEvent::WifiScanDone { result })
    }

    /// Leave the current network (if any) and, when `wanted` is set, join that one next.
    fn change_network(&mut self, now_ms: u64) {
        self.connect_at = None;
        self.backoff_ms = FIRST_BACKOFF_MS;
        // A scan runs to its end first (at most its time limit): dropped, the driver would go
        // on scanning and refuse the connect.
        if matches!(self.operation, Some((_, Kind::Scan, _))) {
            self.change_after_scan = true;
            return;
        }
        // A disconnect already running finishes (and then joins `wanted`): starting another
        // while the driver is still disconnecting would return at once and let a connect race
        // the old disconnect's event.
        if matches!(self.operation, Some((_, Kind::Disconnect, _))) {
            return;
        }
        // A connect to the old network is abandoned; the disconnect that follows also aborts
        // the connection attempt the driver is still making.
        self.operation = None;
        self.start_disconnect(now_ms);
    }
}

/// Why a join failed, in words: the driver's reason for the ones people can act on (the
/// reason codes vary by access point: a wrong password shows as a handshake timeout, an
/// authentication or MIC failure), its name otherwise.
fn connection_error(e: &ConnectionError) -> String {
    use DisconnectReason as R;
    let ConnectionError::Failed(info) = e else {
        return format!("{e:?}");
    };
    let reason = info.reason;
    let words = match reason {
        R::FourWayHandshakeTimeout
        | R::HandshakeTimeout
        | R::AuthenticationFailed
        | R::AuthenticationExpired
        | R::MicFailure => "wrong password?",
        R::NoAccessPointFound => "no such network in range",
        R::NoAccessPointFoundWithCompatibleSecurity | R::NoAccessPointFoundInAuthmodeThreshold => {
            "the network's security does not match (an open network given a password, or WPA, \
             WEP or Enterprise)"
        }
        R::AssociationFailed | R::ConnectionFailed | R::AssociationTooMany => {
            "the access point refused the station"
        }
        R::BeaconTimeout => "the access point went silent",
        _ => return format!("{reason:?}"),
    };
    format!("{words} ({reason:?})")
}

/// An access point the driver saw, as the runtime lists it.
fn network(ap: &AccessPointInfo) -> WifiNetwork {
    use AuthenticationMethod as A;
    let security = match ap.auth_method {
        Some(A::None) => WifiSecurity::Open,
        Some(A::Wep) => WifiSecurity::Wep,
        Some(A::Wpa) => WifiSecurity::Wpa,
        Some(A::Wpa2Personal) => WifiSecurity::Wpa2,
        Some(A::WpaWpa2Personal) => WifiSecurity::WpaWpa2,
        Some(A::Wpa2Enterprise) => WifiSecurity::Wpa2Enterprise,
        // The Ext-PSK modes are WPA3-Personal (esp-radio's documentation).
        Some(A::Wpa3Personal | A::Wpa3ExtPsk | A::Wpa3ExtPskMixed) => WifiSecurity::Wpa3,
        Some(A::Wpa2Wpa3Personal) => WifiSecurity::Wpa2Wpa3,
        Some(A::WapiPersonal) => WifiSecurity::Wapi,
        Some(A::Owe) => WifiSecurity::Owe,
        Some(A::Wpa3EntSuiteB192Bit) => WifiSecurity::Wpa3Enterprise192,
        Some(A::Dpp) => WifiSecurity::Dpp,
        Some(A::Wpa3Enterprise) => WifiSecurity::Wpa3Enterprise,
        Some(A::Wpa2Wpa3Enterprise) => WifiSecurity::Wpa2Wpa3Enterprise,
        Some(A::WpaEnterprise) => WifiSecurity::WpaEnterprise,
        _ => WifiSecurity::Unknown,
    };
    WifiNetwork {
        ssid: ap.ssid.as_str().to_string(),
        bssid: ap.bssid,
        channel: ap.channel,
        rssi: i32::from(ap.signal_strength),
        security,
    }
}

/// Why a joined link was lost, in words, from the driver's reason (its name otherwise).
fn lost_link(reason: DisconnectReason) -> String {
    use DisconnectReason as R;
    let words = match reason {
        R::BeaconTimeout => "the access point went silent",
        R::AuthenticationLeave | R::AssociationLeave | R::AccessPointInitiatedDisassociation => {
            "the access point ended the link"
        }
        R::DisassociatedDueToInactivity | R::AuthenticationExpired => {
            "the access point dropped the station as inactive"
        }
        R::FourWayHandshakeTimeout | R::GroupKeyUpdateTimeout | R::MicFailure => {
            "the key exchange failed (was the password changed?)"
        }
        R::AssociationTooMany => "the access point has too many stations",
        _ => return format!("{reason:?}"),
    };
    format!("{words} ({reason:?})")
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
            // "Connected" is what scripts mean by usable: an address.
            connected: link.associated && link.ip.is_some(),
            // The network and the address while joined (a static address is kept for the
            // next join meanwhile, not shown).
            ssid: link.associated.then(|| link.ssid.clone()).flatten(),
            ip: link
                .ip
                .filter(|_| link.associated)
                .map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")),
            rssi: link.rssi,
            associated: link.associated,
            // Shelly's "connecting": a network is wanted and not joined (trying, or waiting to
            // try again).
            joining: self.wanted.is_some() && !link.associated,
            error: link.last_error.clone(),
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
        {
            // Nothing is wanted: no reason to show why it was not joined.
            let mut link = self.link.borrow_mut();
            link.ssid = None;
            link.last_error = None;
        }
        self.change_network(self.now_ms);
    }

    fn start_scan(&mut self) -> BoardResult<()> {
        // A scan in flight answers this start too.
        if !matches!(self.operation, Some((_, Kind::Scan, _))) {
            self.scan_wanted = true;
        }
        Ok(())
    }

    fn set_ipv4(&mut self, config: Option<StaticIpv4>) {
        self.link.borrow_mut().ipv4_request = Some(config);
    }
}
