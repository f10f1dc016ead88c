//! The board abstraction: what a target (the ESP32-C3, the host's virtual device, the in-tab
//! simulator) provides to the runtime. Each capability is its own trait; [`Board`] hands out the
//! ones a target has (`None`: not on this board, and the script API says so with a clear error).
//!
//! Everything here is non-blocking: operations that take time (HTTP, TCP connect, MQTT) start
//! and report completion later as a [`BoardEvent`] from [`Board::poll_event`].

mod bus;
mod clock;
mod events;
mod gpio;
pub mod mqtt_session;
mod net;
mod storage;
mod system;

pub use bus::{I2c, Spi, Uart};
pub use clock::Clock;
pub use events::BoardEvent;
pub use gpio::{Adc, Edge, Gpio, PinMode, Pull, Pwm};
pub use mqtt_session::{MqttAction, MqttLimits, MqttReport, MqttSession};
pub use net::{
    HttpClient, HttpRequest, HttpResponse, Mqtt, MqttStatus, SocketId, Sockets, StaticIpv4, Wifi,
    WifiNetwork, WifiSecurity, WifiStatus,
};
pub use storage::Storage;
pub use system::System;

use alloc::string::String;

/// Why a board operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoardError {
    /// This board has no such capability.
    Unsupported(&'static str),
    /// A pin, bus, address or parameter the board does not have or accept.
    InvalidArgument(String),
    /// The peripheral did not answer (I2C NACK, connection refused, …).
    NoResponse(String),
    /// Anything else, with context.
    Failed(String),
}

impl core::fmt::Display for BoardError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BoardError::Unsupported(what) => write!(f, "{what} is not available on this board"),
            BoardError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            BoardError::NoResponse(m) => write!(f, "no response: {m}"),
            BoardError::Failed(m) => f.write_str(m),
        }
    }
}

pub type BoardResult<T> = Result<T, BoardError>;

/// A target: the capabilities it has. Only the clock, storage and system are mandatory.
pub trait Board {
    fn clock(&self) -> &dyn Clock;
    fn storage(&mut self) -> &mut dyn Storage;
    fn system(&mut self) -> &mut dyn System;
    fn gpio(&mut self) -> Option<&mut dyn Gpio> {
        None
    }
    fn adc(&mut self) -> Option<&mut dyn Adc> {
        None
    }
    fn pwm(&mut self) -> Option<&mut dyn Pwm> {
        None
    }
    fn i2c(&mut self) -> Option<&mut dyn I2c> {
        None
    }
    fn spi(&mut self) -> Option<&mut dyn Spi> {
        None
    }
    fn uart(&mut self) -> Option<&mut dyn Uart> {
        None
    }
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        None
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        None
    }
    fn mqtt(&mut self) -> Option<&mut dyn Mqtt> {
        None
    }
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        None
    }
    /// The next thing that happened (an edge, a received packet, a finished request), if any.
    fn poll_event(&mut self) -> Option<BoardEvent>;
    /// Are events already waiting for [`Board::poll_event`]? (A simulated board whose events
    /// appear while the runtime runs says so, so that the loop does not wait for a deadline
    /// before taking them; real boards may keep the default.)
    fn has_pending_events(&self) -> bool {
        false
    }
}
