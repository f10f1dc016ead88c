//! Reset sequences as data: which modem lines to set and how long to wait (esptool's `reset.py`
//! strategies). The [`Flasher`](crate::Flasher) plays them out itself: each step becomes an
//! [`Output::SetLines`](crate::Output::SetLines) for the driver to carry out at once, and the
//! flasher waits `wait_ms` by its own deadline before the next step — a driver never sleeps.
//! On the usual dev-board wiring DTR drives GPIO0/BOOT (inverted) and RTS drives EN/RESET
//! (inverted).
//!
//! The order of line changes is in the data: a step that sets both lines is one whose
//! intermediate state does not matter (a driver may set DTR first, RTS first, or both at once).
//! Where esptool sets RTS before DTR on purpose (the USB-Serial-JTAG reset goes through
//! DTR=1,RTS=1, never DTR=0,RTS=0, which would drop the boot-pin request), the change is split
//! into two steps, so that no driver's ordering can reintroduce the bad state.
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

/// [`CLASSIC`] with esptool's extra-long reset delay (550 ms, `DEFAULT_RESET_DELAY + 0.5`), for
/// boards whose EN line has a large capacitor.
pub const CLASSIC_LONG: &[Step] = &[
    step(Some(false), Some(true), 100),
    step(Some(true), Some(false), 550),
    step(Some(false), None, 0),
];

/// Into the download mode through the chip's own USB-Serial-JTAG peripheral (C3, S3, C6, H2),
/// whose DTR/RTS are decoded by the chip itself (esptool's `USBJTAGSerialReset`). esptool sets
/// RTS before DTR in the reset step ("calls inverted to go through (1,1) instead of (0,0)"):
/// here that is two steps, RTS=1 and then DTR=0.
pub const USB_SERIAL_JTAG: &[Step] = &[
    // Idle (esptool: RTS=0, then DTR=0).
    step(None, Some(false), 0),
    step(Some(false), None, 100),
    // Set IO0.
    step(Some(true), Some(false), 100),
    // Reset: RTS=1 first (through DTR=1,RTS=1), then DTR=0 with RTS held.
    step(None, Some(true), 0),
    step(Some(false), Some(true), 100),
    // Chip out of reset.
    step(Some(false), Some(false), 0),
];

/// Out of the bootloader into the firmware through a USB-UART bridge: pulse EN for 100 ms
/// (esptool's `HardReset`).
pub const HARD_RESET: &[Step] = &[step(None, Some(true), 100), step(None, Some(false), 0)];

/// [`HARD_RESET`] for the chip's own USB port (esptool's `HardReset(uses_usb=True)`): EN held for
/// 200 ms, then 200 ms for the chip to come out of reset before anything else touches the lines.
pub const HARD_RESET_USB: &[Step] = &[step(None, Some(true), 200), step(None, Some(false), 200)];

/// The USB vendor and product id of Espressif's USB-Serial-JTAG peripheral (the C3, S3, C6, H2
/// plugged in by their own USB port).
pub const USB_SERIAL_JTAG_ID: (u16, u16) = (0x303A, 0x1001);

/// The ways into the download mode in the order to try them (the flasher takes them in turn,
/// one per round of SYNCs, and starts over after the last), as esptool: on Espressif's
/// USB-Serial-JTAG (`usb_id`, the port's USB vendor and product id when known) its own
/// sequence first, then the classic one; otherwise the classic wiring with esptool's short
/// (50 ms) and long (550 ms) reset delay, then the USB-Serial-JTAG sequence.
pub fn download_sequences(usb_id: Option<(u16, u16)>) -> &'static [&'static [Step]] {
    if usb_id == Some(USB_SERIAL_JTAG_ID) {
        &[USB_SERIAL_JTAG, CLASSIC]
    } else {
        &[CLASSIC, CLASSIC_LONG, USB_SERIAL_JTAG]
    }
}

/// The sequence that resets the chip into its firmware: [`HARD_RESET_USB`] on Espressif's
/// USB-Serial-JTAG, [`HARD_RESET`] otherwise.
pub fn hard_reset(usb_id: Option<(u16, u16)>) -> &'static [Step] {
    if usb_id == Some(USB_SERIAL_JTAG_ID) {
        HARD_RESET_USB
    } else {
        HARD_RESET
    }
}

/// What to do after writing: reset the chip into the new firmware, or leave it in the loader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum After {
    /// Pulse EN ([`hard_reset`]) so the chip runs the new firmware.
    #[default]
    HardReset,
    /// Leave the chip in the loader.
    NoReset,
}

impl After {
    pub const ALL: [After; 2] = [After::HardReset, After::NoReset];

    /// esptool's name: `hard-reset`, `no-reset`.
    pub fn name(self) -> &'static str {
        match self {
            After::HardReset => "hard-reset",
            After::NoReset => "no-reset",
        }
    }

    pub fn from_name(s: &str) -> Option<After> {
        After::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// What to tell a person when no reset line works (a PTY, a board without auto-reset).
pub const MANUAL: &str =
    "put the chip into download mode by hand: hold BOOT (GPIO0/GPIO9), press and release RESET \
     (EN), then release BOOT";

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// The (DTR, RTS) states a driver passes through playing `steps` from `start`, one line at a
    /// time: DTR first, then RTS when `dtr_first`, else the other way round. Each entry is
    /// (index of the step, state after the edge).
    fn edges(steps: &[Step], start: (bool, bool), dtr_first: bool) -> Vec<(usize, (bool, bool))> {
        let mut state = start;
        let mut out = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let order: [(bool, Option<bool>); 2] = if dtr_first {
                [(true, s.dtr), (false, s.rts)]
            } else {
                [(false, s.rts), (true, s.dtr)]
            };
            for (is_dtr, value) in order {
                if let Some(v) = value {
                    if is_dtr {
                        state.0 = v;
                    } else {
                        state.1 = v;
                    }
                    out.push((i, state));
                }
            }
        }
        out
    }

    #[test]
    fn the_usb_serial_jtag_reset_never_passes_through_both_lines_low_once_io0_is_set() {
        let last = USB_SERIAL_JTAG.len() - 1;
        for start in [(false, false), (true, true), (true, false), (false, true)] {
            for dtr_first in [true, false] {
                let e = edges(USB_SERIAL_JTAG, start, dtr_first);
                // From the edge that sets IO0 (DTR=1, RTS=0) to the last step, which takes the
                // chip out of reset, (0,0) must never occur: it would drop the boot request.
                let io0_step = USB_SERIAL_JTAG
                    .iter()
                    .position(|s| s.dtr == Some(true))
                    .expect("a step sets IO0");
                let io0 = e
                    .iter()
                    .position(|(i, s)| *i >= io0_step && *s == (true, false))
                    .expect("IO0 is set");
                let inside: Vec<_> = e[io0..].iter().filter(|(i, _)| *i < last).collect();
                assert!(
                    inside.iter().all(|(_, s)| *s != (false, false)),
                    "start {start:?}, dtr_first {dtr_first}: {e:?}"
                );
                // The reset itself happens (RTS=1 with DTR=0), and the sequence ends idle.
                assert!(inside.iter().any(|(_, s)| *s == (false, true)), "{e:?}");
                assert_eq!(e.last().map(|x| x.1), Some((false, false)));
            }
        }
    }

    #[test]
    fn the_old_combined_step_would_have_failed_the_check() {
        // The check above can fail: DTR=0,RTS=1 set DTR first from (1,0) passes through (0,0).
        let bad = [
            step(Some(true), Some(false), 100),
            step(Some(false), Some(true), 0),
        ];
        let e = edges(&bad, (false, false), true);
        assert!(e[1..].iter().any(|(_, s)| *s == (false, false)), "{e:?}");
    }

    #[test]
    fn the_rotation_and_the_hard_reset_depend_on_the_usb_id() {
        let jtag = Some(USB_SERIAL_JTAG_ID);
        assert_eq!(download_sequences(jtag), &[USB_SERIAL_JTAG, CLASSIC]);
        for other in [None, Some((0x10C4, 0xEA60)), Some((0x303A, 0x0002))] {
            assert_eq!(
                download_sequences(other),
                &[CLASSIC, CLASSIC_LONG, USB_SERIAL_JTAG]
            );
            assert_eq!(hard_reset(other), HARD_RESET);
        }
        assert_eq!(hard_reset(jtag), HARD_RESET_USB);
        let waits = |s: &[Step]| s.iter().map(|s| s.wait_ms).collect::<Vec<_>>();
        assert_eq!(waits(HARD_RESET_USB), [200, 200]);
        assert_eq!(waits(HARD_RESET), [100, 0]);
        assert_eq!(CLASSIC_LONG[1].wait_ms, 550);
        assert_eq!(CLASSIC[1].wait_ms, 50);
    }

    #[test]
    fn after_names_round_trip() {
        for a in After::ALL {
            assert_eq!(After::from_name(a.name()), Some(a));
        }
        assert_eq!(After::from_name("soft-reset"), None);
    }
}
