//! The flasher state machine: connect (reset into the download mode, sync, detect the chip,
//! read the MAC, run the stub, attach the flash, change the baud rate), then write, read or
//! erase flash, or reset the chip into its firmware — one [`Task`] at a time.
//!
//! The driver loop: [`Flasher::start`] a task; write every [`Output::Send`] to the port, carry
//! out [`Output::SetBaud`] and [`Output::SetLines`] at once (never sleeping: the waits of a
//! reset sequence are the flasher's own deadlines), show [`Output::Progress`]/[`Output::Note`];
//! [`Flasher::feed`] what the port returns; call [`Flasher::poll`] again after input or when
//! [`Flasher::deadline`] passes; a task ends with [`Output::Done`] or [`Output::Failed`].
//!
//! Flash data packets (FLASH_DATA, FLASH_DEFL_DATA) whose response is a failure status or does
//! not come in time are sent again, up to [`WRITE_BLOCK_ATTEMPTS`] in all (as esptool's
//! `WRITE_BLOCK_ATTEMPTS`), each retry a note. The chip does not de-duplicate by sequence
//! number: the ROM writes at a running pointer and the stub inflates one stream, so a packet
//! that was processed but whose answer was lost is processed twice. That is why the outcome
//! rests on the MD5 verify, not on the resend: when the verify of a written range fails, its
//! blocks are compared again (MD5 per 4 KiB block) and those that differ are written once more
//! (a fresh FLASH_BEGIN/FLASH_DEFL_BEGIN) and verified; a second mismatch fails the write.
//! Only the range is rechecked: a doubled plain packet that reached into a following skipped
//! block is refused by the stub (too much data) and fails the write. MEM_DATA (the stub upload)
//! is not sent again, as esptool: a failure there fails the connect.
//!
//! Writes always compare first (MD5 of the whole region, then of each 4 KiB block when it
//! differs), write only the blocks that differ and verify every written range by MD5. A
//! write that was cut off leaves nothing that a second run cannot fix: it compares again.
//!
//! Must never: wait or read a clock (time comes in `now`, milliseconds from any origin), or
//! buffer device input without a bound (frames are limited by the SLIP decoder).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use md5::{Digest, Md5};

use crate::chip::{Chip, MAGIC_REG};
use crate::error::Error;
use crate::packet::{self, op, Response};
use crate::reset::{self, Step};
use crate::slip::{self, Decoded, Decoder};
use crate::stub;

mod connect;
mod read;
mod write;

/// The flash sector: the unit of erasing, comparing and skipping.
pub const SECTOR: u32 = 0x1000;
/// Largest frame accepted from the device (read-flash packets are one sector).
const MAX_FRAME: usize = 2 * SECTOR as usize + 64;
/// MEM_DATA block size (`ESP_RAM_BLOCK`).
const RAM_BLOCK: usize = 0x1800;
/// FLASH_DATA / FLASH_DEFL_DATA packet size of the ROM loader and of the stub.
const ROM_WRITE_SIZE: usize = 0x400;
const STUB_WRITE_SIZE: usize = 0x4000;
/// Timeouts, from esptool's `loader.py`, in milliseconds (per-MB ones in ms per MB).
const DEFAULT_TIMEOUT: u64 = 3_000;
const SYNC_TIMEOUT: u64 = 100;
const MEM_END_ROM_TIMEOUT: u64 = 200;
const CHIP_ERASE_TIMEOUT: u64 = 120_000;
const MD5_TIMEOUT_PER_MB: u64 = 8_000;
const ERASE_REGION_TIMEOUT_PER_MB: u64 = 40_000;
const ERASE_WRITE_TIMEOUT_PER_MB: u64 = 40_000;
/// Quiet time after a baud change before talking again.
const BAUD_SETTLE: u64 = 50;
/// How long the stub may take to say `OHAI`.
const OHAI_TIMEOUT: u64 = 3_000;
/// The flash size assumed when it is neither given nor detected.
const DEFAULT_FLASH_SIZE: u32 = 4 << 20;
/// SPI flash RDID (read JEDEC id) command, and how often to poll for its completion.
const SPIFLASH_RDID: u32 = 0x9F;
const SPI_POLLS: u8 = 10;
/// SYNC attempts per reset.
const SYNCS_PER_RESET: u32 = 5;
/// How often a flash data packet is sent before its task fails (esptool's
/// `WRITE_BLOCK_ATTEMPTS`).
pub const WRITE_BLOCK_ATTEMPTS: u32 = 3;
/// The rate every ROM loader starts at, and the one Espressif's second-stage bootloader and
/// most firmware talk at (the port goes back to it after [`Task::HardReset`]).
pub const ROM_BAUD: u32 = 115_200;
/// The baud rates a port may be opened at or changed to: below 9600 nothing of Espressif's
/// talks, above 5 Mbaud no USB-UART bridge or ESP UART goes (and 0 would make the stub divide
/// by zero in CHANGE_BAUDRATE).
pub const BAUD_RANGE: core::ops::RangeInclusive<u32> = 9_600..=5_000_000;

/// `baud` if it is in [`BAUD_RANGE`], else a sentence saying why not (`what`: which rate).
pub fn check_baud(what: &str, baud: u32) -> Result<u32, String> {
    if BAUD_RANGE.contains(&baud) {
        Ok(baud)
    } else {
        Err(format!(
            "{what} {baud} is not a baud rate to use: give one from {} to {}",
            BAUD_RANGE.start(),
            BAUD_RANGE.end()
        ))
    }
}

/// esptool's `timeout_per_mb`: scaled by size, never below the default.
fn timeout_per_mb(per_mb: u64, size: u64) -> u64 {
    (per_mb * size / 1_000_000).max(DEFAULT_TIMEOUT)
}

fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// How to talk to the chip.
#[derive(Clone, Debug)]
pub struct Config {
    /// The baud rate the driver opened the port with.
    pub baud: u32,
    /// Switch to this rate after connecting (falls back to `baud` if the chip does not follow).
    pub target_baud: Option<u32>,
    /// Upload and run the flasher stub (when one exists for the chip).
    pub use_stub: bool,
    /// Send writes deflated (FLASH_DEFL_*).
    pub compress: bool,
    /// Size of the flash; writes past its end are refused. `None`: detect it from the flash
    /// chip's JEDEC id (4 MiB when that fails).
    pub flash_size: Option<u32>,
    /// Fail unless the chip that answers is this one.
    pub expect_chip: Option<Chip>,
    /// How many SYNCs to try before giving up.
    pub sync_attempts: u32,
    /// Reset the chip into the download mode (DTR/RTS as [`Output::SetLines`]) before every
    /// round of SYNCs. `false`: no [`Output::SetLines`] while connecting (a port without modem
    /// lines; the chip is put into the download mode by hand).
    pub resets: bool,
    /// The USB vendor and product id of the port, when known. Espressif's USB-Serial-JTAG
    /// ([`reset::USB_SERIAL_JTAG_ID`]) gets its own reset sequence first and the longer hard
    /// reset ([`reset::HARD_RESET_USB`]); anything else the classic sequences first
    /// ([`reset::download_sequences`]).
    pub usb_id: Option<(u16, u16)>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            baud: ROM_BAUD,
            target_baud: None,
            use_stub: true,
            compress: true,
            flash_size: None,
            expect_chip: None,
            sync_attempts: 35,
            resets: true,
            usb_id: None,
        }
    }
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Task {
    Connect,
    /// Write `data` at `offset` (a multiple of [`SECTOR`]).
    Write {
        offset: u32,
        data: Vec<u8>,
    },
    Read {
        offset: u32,
        len: u32,
    },
    EraseAll,
    /// Erase `len` bytes at `offset` (both multiples of [`SECTOR`]).
    EraseRegion {
        offset: u32,
        len: u32,
    },
    /// Read a 32-bit register (or memory word).
    ReadReg {
        addr: u32,
    },
    /// Set the bits of `mask` in a register to those of `value`.
    WriteReg {
        addr: u32,
        value: u32,
        mask: u32,
    },
    /// Pulse EN ([`reset::hard_reset`]) so the chip leaves the loader and runs its firmware;
    /// ends with [`Done::Reset`]. Allowed connected or not, and regardless of
    /// [`Config::resets`] (a driver without modem lines ignores the [`Output::SetLines`]).
    HardReset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Sync,
    Stub,
    Compare,
    Write,
    Verify,
    Read,
    Erase,
}

impl Stage {
    /// The stage's name for people and for the IDE's protocol: `connect`, `stub`, `compare`,
    /// `write`, `verify`, `read`, `erase`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Sync => "connect",
            Stage::Stub => "stub",
            Stage::Compare => "compare",
            Stage::Write => "write",
            Stage::Verify => "verify",
            Stage::Read => "read",
            Stage::Erase => "erase",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// The connected chip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipInfo {
    pub chip: Chip,
    pub mac: Option<[u8; 6]>,
    /// The flasher stub runs (uploaded now, or found running).
    pub stub: bool,
    pub baud: u32,
    /// The flash chip's JEDEC id (manufacturer, type, capacity), if it was read.
    pub flash_id: Option<u32>,
    /// The flash size in use (detected, given, or the 4 MiB default).
    pub flash_size: u32,
}

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteReport {
    pub offset: u32,
    pub len: u32,
    /// Blocks of [`SECTOR`] bytes the image covers.
    pub blocks_total: u32,
    /// Blocks that differed and were written (the others already held the image).
    pub blocks_written: u32,
    /// Bytes put on the wire for this task (SLIP-framed commands).
    pub bytes_sent: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    Connected(ChipInfo),
    Written(WriteReport),
    Read(Vec<u8>),
    Erased,
    Register(u32),
    RegisterWritten,
    /// The chip was reset into its firmware ([`Task::HardReset`]). The firmware talks at its
    /// own rate (115200 baud for Espressif's bootloader and most firmware): the driver sets its
    /// port back to that — the flasher emits no [`Output::SetBaud`] for it. The flasher is not
    /// connected any more ([`Task::Connect`] again; [`Flasher::baud`] is [`Config::baud`] again).
    Reset,
}

/// What the driver must do or show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the port.
    Send(Vec<u8>),
    /// Switch the port to this baud rate now (after everything sent before went out).
    SetBaud(u32),
    /// Set these modem lines now (`None`: leave that line as it is), in either order or at once:
    /// where the order matters the sequences set one line per step ([`reset`]). The flasher
    /// waits between the steps of a reset sequence by its own deadline: the driver carries this
    /// out at once and never sleeps. A port without modem lines ignores it.
    SetLines {
        dtr: Option<bool>,
        rts: Option<bool>,
    },
    Progress(Progress),
    /// A line for a person (what is happening, a fallback taken).
    Note(String),
    Done(Done),
    Failed(Error),
}

/// The command waiting for its response.
#[derive(Debug)]
struct Pending {
    op: u8,
    deadline: u64,
}

#[derive(Debug)]
enum Input {
    Start,
    Response(Response),
    /// The pending command got no response in time.
    Timeout,
    /// A frame that is not the pending command's response.
    Frame(Vec<u8>),
    /// The job's own deadline ([`Flasher::wake_at`]) passed.
    Wake,
}

#[derive(Debug)]
enum ConnectPhase {
    /// Playing out a reset sequence before SYNC `attempt`; `step` is the next step.
    Reset {
        attempt: u32,
        seq: &'static [Step],
        step: usize,
    },
    Sync {
        attempt: u32,
    },
    Security,
    Magic,
    Mac {
        words: Vec<u32>,
    },
    MemBegin {
        seg: usize,
    },
    MemData {
        seg: usize,
        seq: usize,
    },
    MemEnd,
    Ohai,
    Attach,
    FlashId {
        step: u8,
        saved: [u32; 2],
        polls: u8,
    },
    SetParams,
    Baud {
        to: u32,
    },
    BaudSettle {
        to: u32,
        from: u32,
        fallback: bool,
    },
    BaudProbe {
        to: u32,
        from: u32,
        fallback: bool,
    },
}

#[derive(Debug)]
enum WritePhase {
    WholeMd5,
    BlockMd5 {
        block: u32,
    },
    Begin,
    /// Packet `seq` sent; `attempt`: sends of it so far, less one.
    Data {
        seq: usize,
        attempt: u32,
    },
    Verify,
    /// The verify of the current range failed: comparing its block `block` again (the range's
    /// blocks run to `last`, exclusive).
    Recheck {
        block: u32,
        last: u32,
    },
}

/// Bytes `start..end` of a write job's data to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Range {
    start: usize,
    end: usize,
    /// Written again after a failed verify: a second mismatch fails the write.
    rewrite: bool,
}

#[derive(Debug)]
struct WriteJob {
    offset: u32,
    data: Vec<u8>,
    differs: Vec<bool>,
    /// Byte ranges (within `data`) to write.
    ranges: Vec<Range>,
    range: usize,
    /// Blocks of the range being rechecked that still differ.
    again: Vec<u32>,
    packets: Vec<Vec<u8>>,
    compressed: bool,
    written: u64,
    to_write: u64,
    phase: WritePhase,
    sent_at_start: u64,
}

#[derive(Debug)]
enum ReadPhase {
    Begin,
    Stream,
    Digest,
    Slow,
    SlowMd5,
}

#[derive(Debug)]
struct ReadJob {
    offset: u32,
    len: u32,
    data: Vec<u8>,
    phase: ReadPhase,
}

#[derive(Debug)]
enum Job {
    Idle,
    Connect(ConnectPhase),
    Write(WriteJob),
    Read(ReadJob),
    Erase,
    Register {
        write: bool,
    },
    /// Playing out [`reset::hard_reset`]; `step` is the next step.
    HardReset {
        step: usize,
    },
}

/// The protocol state machine. See the module docs for the driver loop.
#[derive(Debug)]
pub struct Flasher {
    cfg: Config,
    decoder: Decoder,
    out: VecDeque<Output>,
    pending: Option<Pending>,
    wake_at: Option<u64>,
    job: Job,
    chip: Option<Chip>,
    mac: Option<[u8; 6]>,
    stub: bool,
    connected: bool,
    baud: u32,
    bytes_sent: u64,
    flash_id: Option<u32>,
    flash_size: u32,
}

impl Flasher {
    pub fn new(cfg: Config) -> Flasher {
        let cfg_flash_size = cfg.flash_size.unwrap_or(DEFAULT_FLASH_SIZE);
        Flasher {
            baud: cfg.baud,
            cfg,
            decoder: Decoder::new(MAX_FRAME),
            out: VecDeque::new(),
            pending: None,
            wake_at: None,
            job: Job::Idle,
            chip: None,
            mac: None,
            stub: false,
            connected: false,
            bytes_sent: 0,
            flash_id: None,
            flash_size: cfg_flash_size,
        }
    }

    pub fn chip(&self) -> Option<Chip> {
        self.chip
    }

    pub fn stub_running(&self) -> bool {
        self.stub
    }

    pub fn baud(&self) -> u32 {
        self.baud
    }

    /// Bytes put on the wire so far.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Whether a task is running.
    pub fn busy(&self) -> bool {
        !matches!(self.job, Job::Idle)
    }

    /// Begin a task. Refused while another runs, and (except `Connect` and `HardReset`) before
    /// connecting.
    pub fn start(&mut self, task: Task, now: u64) -> Result<(), Error> {
        if self.busy() {
            return Err(Error::Busy);
        }
        let job = match task {
            Task::Connect => {
                self.connected = false;
                self.stub = false;
                Job::Connect(ConnectPhase::Sync { attempt: 0 })
            }
            Task::HardReset => {
                self.connected = false;
                self.stub = false;
                Job::HardReset { step: 0 }
            }
            _ if !self.connected => return Err(Error::NotConnected),
            Task::Write { offset, data } => Job::Write(self.write_job(offset, data)?),
            Task::Read { offset, len } => {
                if len == 0 {
                    return Err(Error::Invalid("nothing to read (length 0)".into()));
                }
                if u64::from(offset) + u64::from(len) > u64::from(self.flash_size) {
                    return Err(Error::TooLarge {
                        offset,
                        len,
                        flash_size: self.flash_size,
                    });
                }
                Job::Read(ReadJob {
                    offset,
                    len,
                    data: Vec::new(),
                    phase: ReadPhase::Begin,
                })
            }
            Task::ReadReg { addr } => {
                self.read_reg(addr, now);
                self.job = Job::Register { write: false };
                return Ok(());
            }
            Task::WriteReg { addr, value, mask } => {
                self.request(
                    op::WRITE_REG,
                    &packet::words(&[addr, value, mask, 0]),
                    0,
                    DEFAULT_TIMEOUT,
                    now,
                );
                self.job = Job::Register { write: true };
                return Ok(());
            }
            Task::EraseAll => {
                self.need_stub("ERASE_FLASH")?;
                Job::Erase
            }
            Task::EraseRegion { offset, len } => {
                self.need_stub("ERASE_REGION")?;
                if offset % SECTOR != 0 || len % SECTOR != 0 || len == 0 {
                    return Err(Error::Invalid(format!(
                        "erase offset {offset:#x} and length {len:#x} must be non-zero \
                         multiples of {SECTOR:#x}"
                    )));
                }
                let end = u64::from(offset) + u64::from(len);
                if end > u64::from(self.flash_size) {
                    return Err(Error::TooLarge {
                        offset,
                        len,
                        flash_size: self.flash_size,
                    });
                }
                self.request(
                    op::ERASE_REGION,
                    &packet::words(&[offset, len]),
                    0,
                    timeout_per_mb(ERASE_REGION_TIMEOUT_PER_MB, u64::from(len)),
                    now,
                );
                self.job = Job::Erase;
                return Ok(());
            }
        };
        self.job = job;
        if matches!(self.job, Job::Erase) {
            self.request(op::ERASE_FLASH, &[], 0, CHIP_ERASE_TIMEOUT, now);
            return Ok(());
        }
        self.dispatch(Input::Start, now);
        Ok(())
    }

    fn need_stub(&self, command: &'static str) -> Result<(), Error> {
        if self.stub {
            Ok(())
        } else {
            Err(Error::NeedsStub { command })
        }
    }

    /// Take bytes read from the port.
    pub fn feed(&mut self, bytes: &[u8], now: u64) {
        for &b in bytes {
            match self.decoder.push(b) {
                None => {}
                Some(Decoded::Frame(f)) => self.on_frame(f, now),
                Some(Decoded::Oversized) | Some(Decoded::BadEscape) => {
                    // Line noise (a baud change, boot messages): the command's timeout or
                    // its checksum handling deals with a lost response.
                }
            }
        }
    }

    /// The next thing to do, if any; also fires timeouts that passed by `now`.
    pub fn poll(&mut self, now: u64) -> Option<Output> {
        if let Some(o) = self.out.pop_front() {
            return Some(o);
        }
        if self.pending.as_ref().is_some_and(|p| now >= p.deadline) {
            self.pending = None;
            self.dispatch(Input::Timeout, now);
        } else if self.pending.is_none() && self.wake_at.is_some_and(|t| now >= t) {
            self.wake_at = None;
            self.dispatch(Input::Wake, now);
        }
        self.out.pop_front()
    }

    /// When [`Flasher::poll`] must be called even if nothing arrives.
    pub fn deadline(&self) -> Option<u64> {
        match &self.pending {
            Some(p) => Some(p.deadline),
            None => self.wake_at,
        }
    }

    fn on_frame(&mut self, frame: Vec<u8>, now: u64) {
        if let Job::Read(r) = &self.job {
            if matches!(r.phase, ReadPhase::Stream | ReadPhase::Digest) && self.pending.is_none() {
                self.dispatch(Input::Frame(frame), now);
                return;
            }
        }
        if let (Some(p), Some(resp)) = (&self.pending, packet::parse_response(&frame)) {
            if resp.op == p.op {
                self.pending = None;
                self.dispatch(Input::Response(resp), now);
                return;
            }
        }
        self.dispatch(Input::Frame(frame), now);
    }

    fn send_raw(&mut self, payload: &[u8]) {
        let wire = slip::encode(payload);
        self.bytes_sent += wire.len() as u64;
        self.out.push_back(Output::Send(wire));
    }

    fn request(&mut self, op: u8, data: &[u8], checksum: u32, timeout: u64, now: u64) {
        let pkt = packet::command(op, data, checksum);
        self.send_packet(op, pkt, timeout, now);
    }

    fn send_packet(&mut self, op: u8, pkt: Vec<u8>, timeout: u64, now: u64) {
        self.send_raw(&pkt);
        self.pending = Some(Pending {
            op,
            deadline: now.saturating_add(timeout),
        });
    }

    /// Emit `steps[from..]` as [`Output::SetLines`] up to the first step that must be waited
    /// for, whose wait becomes the wake-up. Returns the step to go on from at the wake-up, or
    /// `None` when the sequence is over.
    fn set_lines(&mut self, steps: &'static [Step], from: usize, now: u64) -> Option<usize> {
        for (i, s) in steps.iter().enumerate().skip(from) {
            self.out.push_back(Output::SetLines {
                dtr: s.dtr,
                rts: s.rts,
            });
            if s.wait_ms > 0 {
                self.wake_at = Some(now.saturating_add(u64::from(s.wait_ms)));
                return Some(i + 1);
            }
        }
        None
    }

    /// Flash data packet `seq` of `command` failed (`why`) on send `attempt + 1`: whether to
    /// send it again (with a note saying so) or give up.
    fn retry_block(&mut self, command: &str, seq: usize, attempt: u32, why: &Error) -> bool {
        if attempt + 1 >= WRITE_BLOCK_ATTEMPTS {
            return false;
        }
        self.note(format!(
            "{command} block {seq} failed ({why}); sending it again (attempt {} of \
             {WRITE_BLOCK_ATTEMPTS})",
            attempt + 2
        ));
        true
    }

    fn note(&mut self, s: String) {
        self.out.push_back(Output::Note(s));
    }

    fn progress(&mut self, stage: Stage, done: u64, total: u64) {
        self.out
            .push_back(Output::Progress(Progress { stage, done, total }));
    }

    fn fail(&mut self, e: Error) -> Job {
        self.pending = None;
        self.wake_at = None;
        self.out.push_back(Output::Failed(e));
        Job::Idle
    }

    fn finish(&mut self, d: Done) -> Job {
        self.out.push_back(Output::Done(d));
        Job::Idle
    }

    /// The response's status as an error.
    fn check(resp: &Response, payload_len: usize) -> Result<(), Error> {
        packet::status(resp, payload_len).map_err(|(status, code)| {
            if status == 0 {
                Error::BadResponse {
                    command: op::name(resp.op),
                    detail: format!("{} bytes of data", resp.data.len()),
                }
            } else {
                Error::Failed {
                    command: op::name(resp.op),
                    status,
                    code,
                }
            }
        })
    }

    fn dispatch(&mut self, input: Input, now: u64) {
        let job = core::mem::replace(&mut self.job, Job::Idle);
        self.job = match job {
            Job::Idle => Job::Idle,
            Job::Connect(p) => self.connect_step(p, input, now),
            Job::Write(w) => self.write_step(w, input, now),
            Job::Read(r) => self.read_step(r, input, now),
            Job::Erase => match input {
                Input::Response(resp) => match Self::check(&resp, 0) {
                    Ok(()) => self.finish(Done::Erased),
                    Err(e) => self.fail(e),
                },
                Input::Timeout => self.fail(Error::Timeout { command: "erase" }),
                _ => Job::Erase,
            },
            Job::Register { write } => match input {
                Input::Response(resp) => match Self::check(&resp, 0) {
                    Ok(()) if write => self.finish(Done::RegisterWritten),
                    Ok(()) => self.finish(Done::Register(resp.value)),
                    Err(e) => self.fail(e),
                },
                Input::Timeout => self.fail(Error::Timeout {
                    command: if write { "WRITE_REG" } else { "READ_REG" },
                }),
                _ => Job::Register { write },
            },
            Job::HardReset { step } => match input {
                Input::Start | Input::Wake => {
                    match self.set_lines(reset::hard_reset(self.cfg.usb_id), step, now) {
                        Some(next) => Job::HardReset { step: next },
                        None => {
                            self.decoder.reset();
                            self.baud = self.cfg.baud;
                            self.finish(Done::Reset)
                        }
                    }
                }
                _ => Job::HardReset { step },
            },
        };
    }
}

#[cfg(test)]
mod tests;
