//! `ferrite flash`, `chip-info`, `read-flash`, `erase`: Espressif chips over their serial ROM
//! loader, with the protocol in `ferrite-flasher` and the port (tty or PTY) here; and
//! `ferrite image` (image_cmd.rs), which builds images without a chip.
//!
//! `ferrite flash PORT FILE` takes an ELF, an app image, a merged image or a raw binary: once
//! the chip answered, `ferrite-esp-image` plans what goes where (ELF: bootloader, partition
//! table — espflash's default or `--partition-table FILE` — and app; header flash parameters
//! patched as asked), each part is written (only the
//! blocks that differ, MD5-verified), then the chip is reset into its firmware (`--after`).
//!
//! Output: progress and notes on stderr; the result (chip facts, the write summary with its
//! block counts) on stdout. Exit status 0 ok, 1 the device or the port failed, 2 bad usage.
//! Must never: write an image that does not fit, or is built for another chip, or report
//! success for a write whose MD5 the chip did not confirm (the flasher verifies every written
//! range).

mod image_cmd;
mod options;
mod port;
mod session;

use ferrite_esp_image::{identify, FileKind, FlashParams};
use ferrite_flasher::flasher::{Config, Done, Task};

use options::{Action, After, Options};

/// The commands this module handles.
pub const COMMANDS: &[&str] = &["flash", "chip-info", "read-flash", "erase", "image"];

const EXIT_OK: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_USAGE: i32 = 2;

/// Run `ferrite <command> …` (`args[0]` is the command).
pub fn main(args: &[String]) -> i32 {
    let cmd = args.first().cloned().unwrap_or_default();
    if cmd == "image" {
        return image_cmd::main(args);
    }
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
    let (image, table) = match &opts.action {
        Action::Flash {
            image,
            offset,
            partition_table,
            ..
        } => {
            let bytes = std::fs::read(image).map_err(|e| format!("cannot read {image}: {e}"))?;
            let kind = identify(&bytes);
            if kind == FileKind::Raw && offset.is_none() {
                return Err(format!("{image}: {}", ferrite_esp_image::RAW_NEEDS_OFFSET));
            }
            let table = match partition_table {
                Some(path) if kind != FileKind::Elf => {
                    return Err(format!(
                        "--partition-table {path} is for ELF files; {image} is {} and is \
                         written as it is",
                        kind.label()
                    ))
                }
                Some(path) => Some(options::read_partition_table(path)?),
                None => None,
            };
            (Some((bytes, kind)), table)
        }
        _ => (None, None),
    };
    let port = port::Port::open(&opts.port).map_err(|e| e.to_string())?;
    let resets = port.has_lines;
    let usb_id = port::usb_id(&opts.port);
    if let Some((v, p)) = usb_id {
        eprintln!("USB id {v:04x}:{p:04x}");
    }
    let cfg = Config {
        baud: port::ROM_BAUD,
        target_baud: opts.baud,
        use_stub: !opts.no_stub,
        compress: !opts.no_compress,
        flash_size: opts.flash_size.bound(),
        expect_chip: opts.chip,
        resets,
        usb_id,
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
            mode,
            freq,
            after,
            ..
        } => {
            let (file, kind) = image.unwrap_or_else(|| (Vec::new(), FileKind::Raw));
            let params = FlashParams {
                mode: *mode,
                freq: *freq,
                size: opts.flash_size.header(info.flash_size),
            };
            let segments = ferrite_esp_image::plan_with_table(
                &file,
                info.chip,
                info.flash_size,
                &params,
                *offset,
                table.as_ref(),
            )
            .map_err(|e| e.to_string())?;
            eprintln!(
                "{path}: {} for the {}, {} part{} to write",
                kind.label(),
                info.chip.name(),
                segments.len(),
                if segments.len() == 1 { "" } else { "s" }
            );
            let (mut blocks, mut written) = (0, 0);
            for seg in segments {
                let (what, len) = (seg.what, seg.data.len());
                eprintln!("writing the {what} at {:#x} ({len} bytes)", seg.offset);
                let started = std::time::Instant::now();
                let rep = match s.run(Task::Write {
                    offset: seg.offset,
                    data: seg.data,
                })? {
                    Done::Written(r) => r,
                    other => return Err(format!("unexpected result {other:?}")),
                };
                blocks += rep.blocks_total;
                written += rep.blocks_written;
                println!(
                    "flashed {path} ({what}) at {:#x}: {} bytes, {} blocks, {} written, {} \
                     unchanged; verified (MD5); {} bytes sent in {:.2}s",
                    rep.offset,
                    rep.len,
                    rep.blocks_total,
                    rep.blocks_written,
                    rep.blocks_total - rep.blocks_written,
                    rep.bytes_sent,
                    started.elapsed().as_secs_f64()
                );
            }
            println!(
                "total: {blocks} blocks, {written} written, {} unchanged",
                blocks - written
            );
            match after {
                After::HardReset => {
                    s.run(Task::HardReset)?;
                    if resets {
                        eprintln!("reset the chip: it runs its firmware now");
                    } else {
                        eprintln!(
                            "this port has no DTR/RTS lines: press RESET (EN) on the board to \
                             run the new firmware"
                        );
                    }
                }
                After::NoReset => eprintln!("left the chip in its loader (--after no-reset)"),
            }
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
