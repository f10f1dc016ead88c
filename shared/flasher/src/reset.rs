//! Reset sequences as data: which modem lines to set and how long to wait, for the driver to
//! carry out on a serial port (esptool's `reset.py` strategies). On the usual dev-board wiring
//! DTR drives GPIO0/BOOT (inverted) and RTS drives EN/RESET (inverted).

/// One step: set the lines that are `Some`, then wait `wait_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub dtr: Option<bool>,
    pub rts: Option<bool>,
    pub wait_ms: u32,
}

const fn step(dtr: Option<bool>, rts: Option<bool>, wait_ms: u32) -> Step {
    Step { dtr, rts, wait_ms }
}

/// Into the download mode through a USB-UART bridge: EN low with BOOT high, then BOOT low while
/// EN rises, then BOOT released (esptool's `ClassicReset`, 50 ms reset delay).
pub const CLASSIC: &[Step] = &[
    step(Some(false), Some(true), 100),
    step(Some(true), Some(false), 50),
    step(Some(false), None, 0),
];

/// Into the download mode through the chip's own USB-Serial-JTAG peripheral (C3, S3, C6, H2),
/// whose DTR/RTS are decoded by the chip itself (esptool's `USBJTAGSerialReset`).
pub const USB_SERIAL_JTAG: &[Step] = &[
    step(Some(false), Some(false), 100),
    step(Some(true), Some(false), 100),
    step(Some(false), Some(true), 0),
    step(None, Some(true), 100),
    step(Some(false), Some(false), 0),
];

/// Out of the bootloader into the firmware: pulse EN (esptool's `HardReset`).
pub const HARD_RESET: &[Step] = &[step(None, Some(true), 100), step(None, Some(false), 0)];

/// What to tell a person when no reset line works (a PTY, a board without auto-reset).
pub const MANUAL: &str =
    "put the chip into download mode by hand: hold BOOT (GPIO0/GPIO9), press and release RESET \
     (EN), then release BOOT";
