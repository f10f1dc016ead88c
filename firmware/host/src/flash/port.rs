//! The serial port for flashing: `serial_port::SerialPort` (a tty or a PTY, non-blocking), made raw —
//! also a PTY, which the bridge leaves as its creator set it up, because the loader protocol is
//! binary and a PTY's line discipline would echo it and translate CR/LF — plus blocking
//! helpers: write everything, wait for input until a deadline, drain before a baud change;
//! and the port's USB vendor/product id from sysfs ([`usb_id`]), which picks the reset
//! sequences (Espressif's USB-Serial-JTAG has its own).
//!
//! Must never: take over a terminal in use (`SerialPort::open` refuses a session's
//! controlling terminal, and that check runs before anything is changed).

use std::io;
use std::path::Path;
use std::time::Duration;

pub use crate::serial_port::SerialPort;
pub use ferrite_flasher::ROM_BAUD;

/// The USB vendor and product id of the serial port `path` (a `/dev/ttyACM*` or `/dev/ttyUSB*`,
/// or a link to one such as `/dev/serial/by-id/…`), read from sysfs: `idVendor` and
/// `idProduct` of the first USB device up the tty's device path. `None` for anything else (a
/// PTY, a built-in UART) or when sysfs does not say.
pub fn usb_id(path: &str) -> Option<(u16, u16)> {
    usb_id_in(Path::new("/sys/class/tty"), path)
}

/// [`usb_id`] with the sysfs tty class directory given (tests use a made-up tree).
pub fn usb_id_in(tty_class: &Path, path: &str) -> Option<(u16, u16)> {
    let real = std::fs::canonicalize(path).ok()?;
    let name = real.file_name()?.to_str()?;
    if !(name.starts_with("ttyACM") || name.starts_with("ttyUSB")) {
        return None;
    }
    let mut dir = std::fs::canonicalize(tty_class.join(name).join("device")).ok()?;
    loop {
        let read = |f: &str| {
            let text = std::fs::read_to_string(dir.join(f)).ok()?;
            u16::from_str_radix(text.trim(), 16).ok()
        };
        if let (Some(v), Some(p)) = (read("idVendor"), read("idProduct")) {
            return Some((v, p));
        }
        if !dir.pop() || dir.as_os_str().len() <= 1 {
            return None;
        }
    }
}

pub struct Port {
    inner: SerialPort,
    /// DTR/RTS can be driven (a real tty; a PTY has no modem lines).
    pub has_lines: bool,
}

impl Port {
    pub fn open(path: &str) -> io::Result<Port> {
        let mut inner = SerialPort::open(path, ROM_BAUD)?;
        inner.make_raw()?;
        // SAFETY: drops what the line held before we took it, on a valid fd.
        unsafe { libc::tcflush(inner.raw_fd(), libc::TCIOFLUSH) };
        let has_lines = inner.set_dtr(false).is_ok() && inner.set_rts(false).is_ok();
        Ok(Port { inner, has_lines })
    }

    pub fn set_baud(&mut self, baud: u32) -> Result<(), String> {
        // SAFETY: waits until what was written went out, on a valid fd.
        unsafe { libc::tcdrain(self.inner.raw_fd()) };
        self.inner.set_baud(baud)
    }

    pub fn set_dtr(&mut self, on: bool) -> Result<(), String> {
        self.inner.set_dtr(on)
    }

    pub fn set_rts(&mut self, on: bool) -> Result<(), String> {
        self.inner.set_rts(on)
    }

    /// Write all of `data`, waiting while the port is full (at most `timeout` in all).
    pub fn write_all(&mut self, mut data: &[u8], timeout: Duration) -> io::Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        while !data.is_empty() {
            let n = self.inner.write(data)?;
            data = &data[n..];
            if n == 0 {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the port takes no more data",
                    ));
                }
                self.wait(libc::POLLOUT, left)?;
            }
        }
        Ok(())
    }

    /// Wait up to `timeout` for input; read what is there (empty: none in time).
    pub fn read_some(&mut self, timeout: Duration, buf: &mut [u8]) -> io::Result<usize> {
        if self.wait(libc::POLLIN, timeout)? {
            self.inner.read(buf)
        } else {
            Ok(0)
        }
    }

    fn wait(&mut self, events: libc::c_short, timeout: Duration) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.inner.raw_fd(),
            events,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(e);
        }
        Ok(r > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// A made-up sysfs: a USB device with its ids, an interface under it, and the tty class
    /// entry linking to the interface (as Linux lays out ttyACM and ttyUSB).
    #[test]
    fn the_usb_id_is_read_up_the_device_path_and_only_for_usb_ttys() {
        let root = std::env::temp_dir().join(format!("ferrite-usb-id-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let usb_dev = root.join("devices/pci0/usb1/1-2");
        let iface = usb_dev.join("1-2:1.0");
        fs::create_dir_all(iface.join("tty")).unwrap();
        fs::write(usb_dev.join("idVendor"), "303a\n").unwrap();
        fs::write(usb_dev.join("idProduct"), "1001\n").unwrap();
        let class = root.join("class/tty");
        fs::create_dir_all(class.join("ttyACM7")).unwrap();
        symlink(&iface, class.join("ttyACM7/device")).unwrap();
        // The "device nodes": plain files named like them, and a by-id link.
        let dev = root.join("dev");
        fs::create_dir_all(&dev).unwrap();
        fs::write(dev.join("ttyACM7"), "").unwrap();
        symlink(dev.join("ttyACM7"), dev.join("usb-Espressif_JTAG")).unwrap();
        fs::write(dev.join("ttyS0"), "").unwrap();
        fs::write(dev.join("ttyUSB3"), "").unwrap();
        let at = |name: &str| dev.join(name).to_string_lossy().into_owned();

        assert_eq!(usb_id_in(&class, &at("ttyACM7")), Some((0x303A, 0x1001)));
        assert_eq!(
            usb_id_in(&class, &at("usb-Espressif_JTAG")),
            Some((0x303A, 0x1001))
        );
        // Not a USB tty name, no class entry, no such file: no id.
        assert_eq!(usb_id_in(&class, &at("ttyS0")), None);
        assert_eq!(usb_id_in(&class, &at("ttyUSB3")), None);
        assert_eq!(usb_id_in(&class, &at("missing")), None);
        // A PTY on this machine.
        assert_eq!(usb_id("/dev/ptmx"), None);
        fs::remove_dir_all(&root).unwrap();
    }
}
