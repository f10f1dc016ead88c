//! `ferrite flash`, `chip-info`, `read-flash`, `erase`: Espressif chips over their serial ROM
//! loader, with the protocol in `ferrite-flasher` and the port (tty or PTY) here.
//!
//! Output: progress and notes on stderr; the result (chip facts, the write summary with its
//! block counts) on stdout. Exit status 0 ok, 1 the device or the port failed, 2 bad usage.
//! Must never: write an image that does not fit, or report success for a write whose MD5 the
//! chip did not confirm (the flasher verifies every written range).

mod options;
mod port;
mod session;

use ferrite_flasher::flasher::{Config, Done, Task};

use options::{Action, Options};

/// The commands this module handles.
pub const COMMANDS: &[&str] = &["flash", "chip-info", "read-flash", "erase"];

const EXIT_OK: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_USAGE: i32 = 2;

/// Run `ferrite <command> …` (`args[0]` is the command).
pub fn main(args: &[String]) -> i32 {
    let cmd = args.first().cloned().unwrap_or_default();
    let opts = match options::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ferrite {cmd}: {e}\nTry `ferrite --help`.");
            return EXIT_USAGE;
        }
    };
    match run(&opts) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("ferrite {cmd}: {e}");
            EXIT_FAILED
        }
    }
}

fn hex_mac(mac: Option<[u8; 6]>) -> String {
    match mac {
        Some(m) => m
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        None => "unknown".into(),
    }
}

fn run(opts: &Options) -> Result<(), String> {
    // Read the image first: a missing file should not cost a connection.
    let image = match &opts.action {
        Action::Flash { image, .. } => {
            Some(std::fs::read(image).map_err(|e| format!("cannot read {image}: {e}"))?)
        }
        _ => None,
    };
    let port = port::Port::open(&opts.port).map_err(|e| e.to_string())?;
    let resets = port.has_lines;
    let cfg = Config {
        baud: port::ROM_BAUD,
        target_baud: opts.baud,
        use_stub: !opts.no_stub,
        compress: !opts.no_compress,
        flash_size: opts.flash_size,
        expect_chip: opts.chip,
        resets,
        ..Config::default()
    };
    let mut s = session::Session::new(port, cfg);
    eprintln!("connecting to {}", opts.port);
    let info = match s.run(Task::Connect)? {
        Done::Connected(info) => info,
        other => return Err(format!("unexpected result {other:?}")),
    };
    eprintln!(
        "connected: {}, MAC {}, {}, {} baud",
        info.chip.name(),
        hex_mac(info.mac),
        if info.stub {
            "flasher stub"
        } else {
            "ROM loader"
        },
        info.baud
    );
    match &opts.action {
        Action::ChipInfo => {
            println!("chip: {}", info.chip.name());
            println!("mac: {}", hex_mac(info.mac));
            println!("loader: {}", if info.stub { "stub" } else { "rom" });
            match info.flash_id {
                Some(id) => println!("flash: {} KiB (JEDEC id {id:#08x})", info.flash_size >> 10),
                None => println!("flash: {} KiB (not detected)", info.flash_size >> 10),
            }
        }
        Action::Flash {
            image: path,
            offset,
        } => {
            let data = image.unwrap_or_default();
            let started = std::time::Instant::now();
            let rep = match s.run(Task::Write {
                offset: *offset,
                data,
            })? {
                Done::Written(r) => r,
                other => return Err(format!("unexpected result {other:?}")),
            };
            println!(
                "flashed {path} at {:#x}: {} bytes, {} blocks, {} written, {} unchanged; \
                 verified (MD5); {} bytes sent in {:.2}s",
                rep.offset,
                rep.len,
                rep.blocks_total,
                rep.blocks_written,
                rep.blocks_total - rep.blocks_written,
                rep.bytes_sent,
                started.elapsed().as_secs_f64()
            );
            s.hard_reset();
        }
        Action::ReadFlash { offset, len, out } => {
            let data = match s.run(Task::Read {
                offset: *offset,
                len: *len,
            })? {
                Done::Read(d) => d,
                other => return Err(format!("unexpected result {other:?}")),
            };
            std::fs::write(out, &data).map_err(|e| format!("cannot write {out}: {e}"))?;
            println!("read {len} bytes at {offset:#x} to {out} (MD5 verified)");
        }
        Action::Erase { region } => {
            let task = match region {
                None => Task::EraseAll,
                Some((offset, len)) => Task::EraseRegion {
                    offset: *offset,
                    len: *len,
                },
            };
            s.run(task)?;
            match region {
                None => println!("erased the whole flash"),
                Some((o, l)) => println!("erased {l} bytes at {o:#x}"),
            }
        }
    }
    eprintln!("{} bytes sent in all", s.flasher().bytes_sent());
    Ok(())
}
