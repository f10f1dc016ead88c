//! Wi-Fi station mode on the chip: [`EspRadio`], the [`Radio`] the station's decisions
//! (`super::station`) run over, on esp-radio's `WifiController`: its connect, disconnect,
//! scan and disconnect wait as futures, and the driver's reasons and access points in the
//! runtime's words and types.
//!
//! The controller sits in a `RefCell` that the running operation borrows from its first poll
//! until it is dropped (the station runs one at a time, and drops the disconnect watch, which
//! borrows it shared, before any); the quick looks (`is_connected`, `rssi`) borrow it only if
//! it is free.
//!
//! Must never: hold the controller outside an operation's or the watch's future (and
//! `configure`'s own call), or panic on a configuration the driver refuses.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use esp_radio::wifi::ap::AccessPointInfo;
use esp_radio::wifi::scan::ScanConfig;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{
    AuthenticationMethod, AuthenticationMethodConfig, Config, ConnectionError, DisconnectReason,
    Password, Ssid, WifiController,
};
use ferrite_runtime::board::{WifiNetwork, WifiSecurity};

use super::station::{ConfigureError, Op, Radio, SharedLink, Station};

/// Networks reported by a scan: the strongest of the first [`SCAN_FETCH`] the driver lists.
const SCAN_MAX: usize = 20;
const SCAN_FETCH: usize = 64;

/// The chip's station.
pub type ChipWifi = Station<EspRadio>;

/// A station over the chip's radio, idle until the runtime asks it to join a network.
pub fn chip_wifi(controller: WifiController<'static>, link: SharedLink) -> ChipWifi {
    Station::new(
        EspRadio {
            controller: Rc::new(RefCell::new(controller)),
        },
        link,
    )
}

/// esp-radio's controller as the station's [`Radio`].
pub struct EspRadio {
    controller: Rc<RefCell<WifiController<'static>>>,
}

// Each operation holds the controller while it runs (dropping it releases the borrow).
#[allow(clippy::await_holding_refcell_ref)]
impl Radio for EspRadio {
    fn configure(&self, ssid: &str, pass: &str) -> Result<(), ConfigureError> {
        let config = station_config(ssid, pass).map_err(ConfigureError::Refused)?;
        let mut controller = self
            .controller
            .try_borrow_mut()
            .map_err(|_| ConfigureError::Busy)?;
        controller
            .set_config(&Config::Station(config))
            .map_err(|e| ConfigureError::Refused(format!("{e:?}")))
    }

    fn connect(&self) -> Op<Result<(), String>> {
        let controller = self.controller.clone();
        Box::pin(async move {
            let mut c = controller.borrow_mut();
            match c.connect_async().await {
                Ok(_) => Ok(()),
                Err(e) => Err(connection_error(&e)),
            }
        })
    }

    fn disconnect(&self) -> Op<()> {
        let controller = self.controller.clone();
        Box::pin(async move {
            let mut c = controller.borrow_mut();
            // Not connected (nothing to leave) is as good as disconnected.
            let _ = c.disconnect_async().await;
        })
    }

    fn scan(&self) -> Op<Result<Vec<WifiNetwork>, String>> {
        let controller = self.controller.clone();
        Box::pin(async move {
            let mut c = controller.borrow_mut();
            let config = ScanConfig::default().with_max(SCAN_FETCH);
            match c.scan_async(&config).await {
                Ok(mut found) => {
                    found.sort_by_key(|ap| core::cmp::Reverse(ap.signal_strength));
                    Ok(found.iter().take(SCAN_MAX).map(network).collect())
                }
                Err(e) => Err(format!("the radio could not scan: {e:?}")),
            }
        })
    }

    fn watch_disconnect(&self) -> Op<Option<String>> {
        let controller = self.controller.clone();
        Box::pin(async move {
            let c = controller.borrow();
            c.wait_for_disconnect_async()
                .await
                .ok()
                .map(|info| lost_link(info.reason))
        })
    }

    fn is_connected(&self) -> Option<bool> {
        let c = self.controller.try_borrow().ok()?;
        Some(c.is_connected())
    }

    fn rssi(&self) -> i32 {
        self.controller
            .try_borrow()
            .ok()
            .and_then(|c| c.rssi().ok())
            .unwrap_or(0)
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
fn station_config(ssid: &str, pass: &str) -> Result<StationConfig, String> {
    let ssid_value = Ssid::try_from(ssid)
        .map_err(|_| format!("an SSID has 1 to 32 bytes, this one {}", ssid.len()))?;
    let auth = if pass.is_empty() {
        AuthenticationMethodConfig::Open
    } else {
        let password = Password::try_from(pass).map_err(|_| {
            format!(
                "a Wi-Fi password has 8 to 63 characters (or 64 hex digits), this one {}",
                pass.len()
            )
        })?;
        // The driver takes this as the weakest security it accepts: WPA2 (which WPA2/WPA3
        // access points offer too), not WPA's broken TKIP.
        AuthenticationMethodConfig::Wpa2Personal(password)
    };
    Ok(StationConfig::default()
        .with_ssid(ssid_value)
        .with_authentication(auth))
}
