//! The Wi-Fi station as a smoltcp device: esp-radio's receive/transmit tokens behind smoltcp's
//! `phy::Device`. Frames are Ethernet frames of at most [`MTU`] bytes.
//!
//! Must never: hold a frame (the tokens copy in and out at once).

use esp_radio::wifi::{Interface, WifiRxToken, WifiTxToken};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// esp-radio's `ESP_RADIO_CONFIG_WIFI_MTU` (its default, pinned in `.cargo/config.toml`).
pub const MTU: usize = 1492;
/// esp-radio's default `ESP_RADIO_CONFIG_WIFI_MAX_BURST_SIZE`.
const MAX_BURST: usize = 3;

/// The station interface, as smoltcp sees it.
pub struct WifiPhy {
    station: Interface,
}

impl WifiPhy {
    pub fn new(station: Interface) -> Self {
        WifiPhy { station }
    }

    pub fn mac_address(&self) -> [u8; 6] {
        self.station.mac_address()
    }
}

pub struct RxToken(WifiRxToken);
pub struct TxToken(WifiTxToken);

impl Device for WifiPhy {
    type RxToken<'a>
        = RxToken
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken
    where
        Self: 'a;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken, TxToken)> {
        self.station
            .receive()
            .map(|(rx, tx)| (RxToken(rx), TxToken(tx)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken> {
        self.station.transmit().map(TxToken)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(MAX_BURST);
        caps
    }
}

impl phy::RxToken for RxToken {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        self.0.consume_token(|frame| f(frame))
    }
}

impl phy::TxToken for TxToken {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        self.0.consume_token(len, f)
    }
}
