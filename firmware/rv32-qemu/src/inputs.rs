//! What the runner (scripts/rv32.sh, tools/rv32/run.py) hands over, with QEMU's generic loader
//! device before the CPU starts: the mode word, and the script's name (what its error locations
//! show), a newline and its source, NUL-terminated (RAM starts zeroed and a script has no NUL
//! byte).
//!
//! `-device loader,addr=0x86f00000,data=<mode>,data-len=4`
//! `-device loader,file=<name, newline, source>,addr=0x87000000,force-raw=on`

/// How to run the script.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As `shared/engine/tests/golden.rs` does: 8 MiB budget, 500 frames, slices of 10 M
    /// instructions of fuel, at most 5 (then "!! out of fuel"), and the engine checked usable.
    Golden,
    /// As `ferrite run` does the benchmark workloads: one `eval` to its end, 64 MiB budget.
    Workload,
}

const MODE_ADDR: usize = 0x86f0_0000;
const SCRIPT_ADDR: usize = 0x8700_0000;
/// The script's room: 14 MiB, below the device tree QEMU puts in the last 2 MiB of the machine's
/// 128 MiB of RAM (`-m 128M`).
const SCRIPT_ROOM: usize = 0x00E0_0000;

pub fn mode() -> Option<Mode> {
    // SAFETY: this word is outside everything the link script places (heap ends below it).
    match unsafe { (MODE_ADDR as *const u32).read_volatile() } {
        1 => Some(Mode::Golden),
        2 => Some(Mode::Workload),
        _ => None,
    }
}

/// A script to run.
pub struct Script {
    pub name: &'static str,
    pub source: &'static [u8],
}

/// The script, or `None` if it fills its room without its NUL or has no UTF-8 name line.
pub fn script() -> Option<Script> {
    // SAFETY: the room is RAM of the machine (`-m 128M`), outside the heap, everything the link
    // script places and QEMU's device tree; only the loader writes it, before the CPU starts.
    let room = unsafe { core::slice::from_raw_parts(SCRIPT_ADDR as *const u8, SCRIPT_ROOM) };
    let len = room.iter().position(|&b| b == 0)?;
    let input = &room[..len];
    let name_len = input.iter().position(|&b| b == b'\n')?;
    Some(Script {
        name: core::str::from_utf8(&input[..name_len]).ok()?,
        source: &input[name_len + 1..],
    })
}
