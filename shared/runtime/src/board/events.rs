use alloc::string::String;
use alloc::vec::Vec;

use super::{HttpResponse, SocketId};

/// Something that happened on the board, delivered by [`super::Board::poll_event`].
#[derive(Clone, Debug, PartialEq)]
pub enum BoardEvent {
    /// A pin with an interrupt enabled changed; `level` is the level after the edge.
    GpioEdge {
        pin: u32,
        level: bool,
    },
    /// An HTTP request started by [`super::HttpClient::start`] finished.
    HttpDone {
        id: u32,
        result: Result<HttpResponse, String>,
    },
    MqttConnected,
    MqttDisconnected,
    MqttMessage {
        topic: String,
        payload: Vec<u8>,
    },
    SocketConnected {
        socket: SocketId,
    },
    /// A listening socket accepted a connection, which is now `socket`.
    SocketAccepted {
        listener: SocketId,
        socket: SocketId,
        peer: String,
    },
    SocketData {
        socket: SocketId,
        data: Vec<u8>,
        from: Option<(String, u16)>,
    },
    /// The socket can take more data.
    SocketWritable {
        socket: SocketId,
    },
    SocketClosed {
        socket: SocketId,
        error: Option<String>,
    },
    UartData {
        port: u32,
    },
    /// The output of UART `port`, filled by writes, has drained: it can take a whole output
    /// buffer again. A board raises it once after writes when its queue has emptied (not for a
    /// port nobody wrote to), so TC53 `Serial` can call `onWritable` again.
    UartWritable {
        port: u32,
    },
    /// A BLE advertisement seen by the scanner (the simulator injects these).
    BleAdvertisement {
        addr: String,
        addr_type: u8,
        rssi: i32,
        adv_data: Vec<u8>,
        scan_rsp: Vec<u8>,
    },
    /// The Wi-Fi scan asked for with [`super::Wifi::start_scan`] ended: the networks it saw,
    /// or why it failed.
    WifiScanDone {
        result: Result<Vec<super::WifiNetwork>, String>,
    },
    /// The Wi-Fi station's state changed: the runtime looks at it now (a board that cannot
    /// tell is looked at every 250 ms anyway).
    WifiChanged,
    /// The physical button of `input:0` (or any input) changed level.
    InputLevel {
        id: u32,
        level: bool,
    },
    /// Mains measurement for the relay of `switch:<id>` (watts, volts).
    PowerSample {
        id: u32,
        watts: f64,
        volts: f64,
    },
}
