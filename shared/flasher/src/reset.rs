//! Reset sequences as data: which modem lines to set and how long to wait (esptool's `reset.py`
//! strategies). The [`Flasher`](crate::Flasher) plays them out itself: each step becomes an
//! [`Output::SetLines`](crate::Output::SetLines) for the driver to carry out at once, and the
//! flasher waits `wait_ms` by its own deadline before the next step — a driver never sleeps.
//! On the usual dev-board wiring DTR drives GPIO0/BOOT (inverted) and RTS drives EN/RESET
//! (inverted).
//!
//! Must never: hold anything but data (no timing, no I/O).

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

/// The USB vendor and product id of Espressif's USB-Serial-JTAG peripheral (the C3, S3, C6, H2
/// plugged in by their own USB port).
pub const USB_SERIAL_JTAG_ID: (u16, u16) = (0x303A, 0x1001);

/// The two ways into the download mode in the order to try them (the flasher alternates them
/// between SYNC rounds): USB-Serial-JTAG first when the port is that peripheral (`usb_id`, the
/// port's USB vendor and product id when known), the classic USB-UART wiring first otherwise.
pub fn download_sequences(usb_id: Option<(u16, u16)>) -> [&'static [Step]; 2] {
    if usb_id == Some(USB_SERIAL_JTAG_ID) {
        [USB_SERIAL_JTAG, CLASSIC]
    } else {
        [CLASSIC, USB_SERIAL_JTAG]
    }
}

/// What to tell a person when no reset line works (a PTY, a board without auto-reset).
pub const MANUAL: &str =
    "put the chip into download mode by hand: hold BOOT (GPIO0/GPIO9), press and release RESET \
     (EN), then release BOOT";
