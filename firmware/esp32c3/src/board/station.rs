//! The Wi-Fi station's decisions, apart from the radio: the runtime's [`Wifi`] trait over any
//! [`Radio`] (on the chip esp-radio's, `super::wifi`; in `host-tests` a scripted one).
//!
//! The runtime decides *what* to join (`Wifi.SetConfig`, remembered in the `wifi` config file
//! and applied again at boot); the station joins it and keeps it joined: it connects, notices a
//! lost link (the driver's disconnect event, waited for while joined; and a check once a
//! second) and reconnects with a back-off of 1 s doubling to 30 s, forever, until the
//! configuration changes or Wi-Fi is disabled; the back-off starts again at 1 s only once a
//! link has lasted [`STABLE_LINK_MS`] (an access point that takes the join and drops it at once
//! is not asked again every second). Why a join failed or a link was lost is kept in words for
//! `Wifi.GetStatus` and the device log. A scan ([`Wifi::start_scan`]) runs when no join is
//! under way, before the next one, and ends in one `BoardEvent::WifiScanDone`
//! ([`Station::take_event`]), which the runtime hands to everyone who asked. The IP address
//! comes from the network stack, which reads and writes the shared [`LinkState`].
//!
//! The radio's operations are futures; the firmware has no executor, so the one running is
//! polled with a no-op waker from [`Station::poll`] (the main loop calls that every round,
//! which is all the waking such a future needs). Every operation has a time limit: an event
//! the driver never sends must not stop the station for good.
//!
//! Must never: run two radio operations at once, or one beside the disconnect watch (the
//! radio's controller is borrowed by each: the watch is dropped before any operation starts);
//! leave a scan without its one `WifiScanDone`; block; or panic on a configuration from a
//! script or an RPC client (bad SSIDs and passwords are refused as
//! [`BoardError::InvalidArgument`]).

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use ferrite_runtime::board::{
    BoardError, BoardEvent, BoardResult, StaticIpv4, Wifi, WifiNetwork, WifiStatus,
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

/// A radio operation: polled until it ends (or is dropped, which cancels it).
pub type Op<T> = Pin<Box<dyn Future<Output = T>>>;

/// Why the radio could not be configured for a network.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigureError {
    /// Something holds the radio now: try again at the next round.
    Busy,
    /// The radio refused it, in words.
    Refused(String),
}

/// What the station needs of the radio. Each operation future holds the radio from its first
/// poll until it is dropped; the station runs at most one at a time, and none beside the
/// watch.
pub trait Radio {
    /// Set the network the next connect joins.
    fn configure(&self, ssid: &str, pass: &str) -> Result<(), ConfigureError>;
    /// Join the configured network: why not, in words (the driver's reason), if it fails.
    fn connect(&self) -> Op<Result<(), String>>;
    /// Leave the network, or stop joining it (not joined is as good as left).
    fn disconnect(&self) -> Op<()>;
    /// The access points in range, strongest first, or why the scan failed.
    fn scan(&self) -> Op<Result<Vec<WifiNetwork>, String>>;
    /// Wait for the link to drop: why, in words; `None` at once when not joined.
    fn watch_disconnect(&self) -> Op<Option<String>>;
    /// Whether the station is joined; `None` while an operation holds the radio.
    fn is_connected(&self) -> Option<bool>;
    /// The joined network's signal, dBm (0 when unknown).
    fn rssi(&self) -> i32;
}

/// How often a joined link is checked (association, RSSI).
pub const CHECK_INTERVAL_MS: u64 = 1_000;
/// The first retry after a failed or lost connection; it doubles up to [`MAX_BACKOFF_MS`].
pub const FIRST_BACKOFF_MS: u64 = 1_000;
pub const MAX_BACKOFF_MS: u64 = 30_000;
/// How long a link must last before the back-off starts again at [`FIRST_BACKOFF_MS`].
pub const STABLE_LINK_MS: u64 = 30_000;
/// After a disconnect or a scan that timed out, the driver's late event could be taken for the
/// next operation's (esp-radio's scan takes any scan's end, its disconnect any disconnect): the
/// next connect or scan waits this long.
pub const AFTER_TIMEOUT_MS: u64 = 1_000;

/// Which operation ended, with its result.
enum Done {
    Connected(Result<(), String>),
    Disconnected,
    Scanned(Result<Vec<WifiNetwork>, String>),
}

/// Which operation runs (each has a time limit: an event the driver never sends must not stop
/// the station for good).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Connect,
    Disconnect,
    Scan,
}

impl Kind {
    pub fn limit_ms(self) -> u64 {
        match self {
            Kind::Connect => 30_000,
            Kind::Disconnect => 5_000,
            Kind::Scan => 15_000,
        }
    }
}

/// The station: the radio, the wanted network and the reconnect schedule.
pub struct Station<R: Radio> {
    radio: R,
    link: SharedLink,
    /// The operation in flight, what it is, and when it is given up.
    operation: Option<(Op<Done>, Kind, u64)>,
    /// While joined and no operation runs: the wait for the driver's disconnect event (it
    /// holds the radio; every operation drops it before it starts).
    watch: Option<Op<Option<String>>>,
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
    /// The end of the last scan, for the runtime ([`Station::take_event`]).
    scan_done: Option<Result<Vec<WifiNetwork>, String>>,
    /// The time of the last poll (the `Wifi` trait's calls carry none).
    now_ms: u64,
}

impl<R: Radio> Station<R> {
    pub fn new(radio: R, link: SharedLink) -> Self {
        Station {
            radio,
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

    /// The operation running, if any.
    pub fn running(&self) -> Option<Kind> {
        self.operation.as_ref().map(|(_, kind, _)| *kind)
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
                        // The old link is being left: nothing more to check this round.
                        self.change_network(now_ms);
                        return;
                    }
                }
                Poll::Pending if now_ms >= *deadline => {
                    let kind = *kind;
                    // Dropping the operation releases the radio.
                    self.operation = None;
                    self.timed_out(kind, now_ms);
                    return;
                }
                Poll::Pending => return,
            }
        }
        let associated = self.link.borrow().associated;
        if associated {
            if let Some(why) = self.poll_watch(now_ms) {
                self.link_lost();
                self.note_error(format!("lost {}: {why}", self.wanted_ssid()));
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

    /// An operation outlived its time limit (and was dropped).
    fn timed_out(&mut self, kind: Kind, now_ms: u64) {
        match kind {
            // A connect whose event was lost (esp-radio drops events a busy loop has not
            // read) while the station did join: keep the link.
            Kind::Connect if self.radio.is_connected() == Some(true) => {
                self.finish(Done::Connected(Ok(())), now_ms)
            }
            Kind::Connect => {
                // The driver may still be trying: abort that, then retry after the back-off.
                self.note_error(format!(
                    "cannot join {}: no answer from the access point in {} s",
                    self.wanted_ssid(),
                    Kind::Connect.limit_ms() / 1000
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
            Done::Connected(Err(why)) => {
                self.note_error(format!("cannot join {}: {why}", self.wanted_ssid()));
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
    fn poll_watch(&mut self, now_ms: u64) -> Option<String> {
        if self.operation.is_some() {
            return None;
        }
        let radio = &self.radio;
        let watch = self.watch.get_or_insert_with(|| radio.watch_disconnect());
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(why) = watch.as_mut().poll(&mut cx) else {
            return None;
        };
        self.watch = None;
        if why.is_none() {
            self.next_check = now_ms;
        }
        why
    }

    fn check_link(&mut self, now_ms: u64) {
        match self.radio.is_connected() {
            // An operation holds the radio: the next check will see.
            None => {}
            Some(true) => {
                self.link.borrow_mut().rssi = self.radio.rssi();
                if now_ms.saturating_sub(self.associated_since) >= STABLE_LINK_MS {
                    self.backoff_ms = FIRST_BACKOFF_MS;
                }
            }
            Some(false) => {
                self.link_lost();
                self.note_error(format!(
                    "lost {}: the access point dropped the link",
                    self.wanted_ssid()
                ));
                self.retry_later(now_ms);
            }
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

    fn start_connect(&mut self, now_ms: u64) {
        self.watch = None;
        let Some((ssid, pass)) = self.wanted.clone() else {
            return;
        };
        match self.radio.configure(&ssid, &pass) {
            Ok(()) => {}
            Err(ConfigureError::Busy) => {
                self.connect_at = Some(now_ms);
                return;
            }
            Err(ConfigureError::Refused(why)) => {
                self.note_error(format!("configuring the station for \"{ssid}\": {why}"));
                self.retry_later(now_ms);
                return;
            }
        }
        self.link.borrow_mut().ssid = Some(ssid);
        let join = self.radio.connect();
        let op: Op<Done> = Box::pin(async move { Done::Connected(join.await) });
        self.operation = Some((op, Kind::Connect, now_ms + Kind::Connect.limit_ms()));
    }

    fn start_disconnect(&mut self, now_ms: u64) {
        self.watch = None;
        let leave = self.radio.disconnect();
        let op: Op<Done> = Box::pin(async move {
            leave.await;
            Done::Disconnected
        });
        self.operation = Some((op, Kind::Disconnect, now_ms + Kind::Disconnect.limit_ms()));
    }

    fn begin_scan(&mut self, now_ms: u64) {
        if self.operation.is_some() {
            return;
        }
        self.watch = None;
        self.scan_wanted = false;
        let scan = self.radio.scan();
        let op: Op<Done> = Box::pin(async move { Done::Scanned(scan.await) });
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
        if self.running() == Some(Kind::Scan) {
            self.change_after_scan = true;
            return;
        }
        // A disconnect already running finishes (and then joins `wanted`): starting another
        // while the driver is still disconnecting would return at once and let a connect race
        // the old disconnect's event.
        if self.running() == Some(Kind::Disconnect) {
            return;
        }
        // A connect to the old network is abandoned; the disconnect that follows also aborts
        // the connection attempt the driver is still making. The abandoned attempt's late
        // event could end the disconnect, whose own event the next connect would then take for
        // its failure: that connect waits a moment.
        if self.running() == Some(Kind::Connect) {
            self.radio_idle_at = now_ms + AFTER_TIMEOUT_MS;
        }
        self.operation = None;
        self.start_disconnect(now_ms);
    }
}

/// Whether a network name and password can be joined at all (WPA2-Personal or open).
pub fn check_credentials(ssid: &str, pass: &str) -> BoardResult<()> {
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

impl<R: Radio> Wifi for Station<R> {
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
        let joining = matches!(self.running(), Some(Kind::Connect | Kind::Disconnect));
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
        if self.running() != Some(Kind::Scan) {
            self.scan_wanted = true;
        }
        Ok(())
    }

    fn set_ipv4(&mut self, config: Option<StaticIpv4>) {
        self.link.borrow_mut().ipv4_request = Some(config);
    }
}
