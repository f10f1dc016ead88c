//! The state machine against a scripted device: a small ROM/stub emulation that answers the
//! commands from its own flash array, so writes, skips, verification and reads are checked
//! end to end, and against hand-written responses for the failure paths.

use super::*;
use crate::slip::{Decoded, Decoder};
use alloc::vec;

const ROM_SYNC: u32 = 0x2012_0707;

/// What goes wrong with a data command (MEM_DATA, FLASH_DATA, FLASH_DEFL_DATA) of
/// [`Device::fault_op`] and a given sequence number.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Lost on the wire: never processed, never answered.
    Lost,
    /// Answered with a failure status (bad checksum), not processed.
    Refused,
    /// Processed (written, inflated, appended), but the answer is lost on the way back.
    AnswerLost,
}

/// A pretend chip: answers like an ESP32-C3 ROM (4 status bytes) or its stub (2).
struct Device {
    chip_id: Option<u32>,
    magic: u32,
    stub: bool,
    flash: Vec<u8>,
    dec: Decoder,
    /// The compressed write in progress: where it goes, the deflate stream so far.
    defl: Option<(usize, Vec<u8>)>,
    plain_at: usize,
    /// READ_REGs of the SPI command register so far.
    polls: u32,
    /// Registers written with WRITE_REG.
    regs: Vec<(u32, u32)>,
    /// Flip a byte of what FLASH_DATA/FLASH_DEFL_DATA write (a broken flash).
    corrupt_writes: bool,
    commands: Vec<u8>,
    /// Faults for data commands with op `fault_op`: each (sequence number, fault) applies to
    /// one command with that number, in order.
    fault_op: u8,
    faults: Vec<(u32, Fault)>,
    /// Sequence numbers of the data commands received (and not lost), in order.
    data_seqs: Vec<(u8, u32)>,
    /// Times EN was pulled low (RTS set), which resets the chip.
    resets: u32,
}

impl Device {
    fn new(chip_id: Option<u32>, magic: u32) -> Device {
        Device {
            chip_id,
            magic,
            stub: false,
            flash: vec![0xFF; 64 * 1024],
            dec: Decoder::new(1 << 16),
            defl: None,
            plain_at: 0,
            corrupt_writes: false,
            regs: Vec::new(),
            polls: 0,
            commands: Vec::new(),
            fault_op: 0,
            faults: Vec::new(),
            data_seqs: Vec::new(),
            resets: 0,
        }
    }

    /// The modem lines changed: RTS set holds EN low, which resets the chip (the stub is gone).
    fn lines(&mut self, _dtr: Option<bool>, rts: Option<bool>) {
        if rts == Some(true) {
            self.resets += 1;
            self.stub = false;
            self.dec.reset();
        }
    }

    fn reply(&self, op: u8, value: u32, payload: &[u8], status: u8, err: u8) -> Vec<u8> {
        let mut data = payload.to_vec();
        data.extend([status, err]);
        if !self.stub {
            data.extend([0, 0]);
        }
        let mut p = vec![1, op];
        p.extend((data.len() as u16).to_le_bytes());
        p.extend(value.to_le_bytes());
        p.extend(data);
        slip::encode(&p)
    }

    fn word(d: &[u8], i: usize) -> u32 {
        u32::from_le_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]])
    }

    fn write_at(&mut self, at: usize, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            if let Some(slot) = self.flash.get_mut(at + i) {
                *slot = if self.corrupt_writes { !*b } else { *b };
            }
        }
    }

    /// Take what the flasher sent; return what the device answers.
    fn take(&mut self, wire: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in wire {
            let Some(Decoded::Frame(f)) = self.dec.push(b) else {
                continue;
            };
            if f.len() < 8 || f[0] != 0 {
                continue; // READ_FLASH acks
            }
            let op = f[1];
            let d = &f[8..];
            self.commands.push(op);
            let resp = match op {
                op::SYNC => {
                    let v = if self.stub { 0 } else { ROM_SYNC };
                    let one = self.reply(op, v, &[], 0, 0);
                    one.repeat(8)
                }
                op::GET_SECURITY_INFO => match self.chip_id {
                    Some(id) => {
                        let mut p = vec![0u8; 12];
                        p.extend(id.to_le_bytes());
                        p.extend([0u8; 4]);
                        self.reply(op, 0, &p, 0, 0)
                    }
                    None => self.reply(op, 0, &[], 1, 5),
                },
                op::READ_REG => {
                    let addr = Self::word(d, 0);
                    let written = self.regs.iter().rev().find(|r| r.0 == addr).map(|r| r.1);
                    let v = match addr {
                        MAGIC_REG => self.magic,
                        0x6000_8844 => 0xc41f_677d,
                        0x6000_8848 => 0x240a,
                        // The C3's SPI W0 after RDID: a 4 MiB flash (after a first busy poll).
                        0x6000_2058 => 0x0016_4020,
                        0x6000_2000 => {
                            self.polls += 1;
                            if self.polls == 1 {
                                1 << 18
                            } else {
                                0
                            }
                        }
                        _ if written.is_some() => written.unwrap_or(0),
                        _ => 0,
                    };
                    self.reply(op, v, &[], 0, 0)
                }
                op::MEM_END => {
                    self.stub = true;
                    let mut r = self.reply(op, 0, &[], 0, 0);
                    r.extend(slip::encode(b"OHAI"));
                    r
                }
                op::SPI_FLASH_MD5 => {
                    let (a, n) = (Self::word(d, 0) as usize, Self::word(d, 1) as usize);
                    let digest = md5(&self.flash[a..a + n]);
                    if self.stub {
                        self.reply(op, 0, &digest, 0, 0)
                    } else {
                        let hex: Vec<u8> = digest
                            .iter()
                            .flat_map(|b| {
                                let h = b"0123456789abcdef";
                                [h[usize::from(b >> 4)], h[usize::from(b & 15)]]
                            })
                            .collect();
                        self.reply(op, 0, &hex, 0, 0)
                    }
                }
                op::FLASH_DEFL_BEGIN => {
                    let at = Self::word(d, 3) as usize;
                    self.defl = Some((at, Vec::new()));
                    self.reply(op, 0, &[], 0, 0)
                }
                op::FLASH_DEFL_DATA | op::FLASH_DATA | op::MEM_DATA => {
                    let seq = Self::word(d, 1);
                    let fault = self.faults.iter().position(|x| x.0 == seq);
                    let mut answer_lost = false;
                    if let Some(i) = fault.filter(|_| op == self.fault_op) {
                        match self.faults.remove(i).1 {
                            Fault::Lost => continue,
                            Fault::Refused => {
                                out.extend(self.reply(op, 0, &[], 1, 0xC1));
                                continue;
                            }
                            Fault::AnswerLost => answer_lost = true,
                        }
                    }
                    self.data_seqs.push((op, seq));
                    let n = Self::word(d, 0) as usize;
                    let payload = &d[16..16 + n];
                    if u32::from(packet::checksum(payload)) != Self::word(&f[4..8], 0) {
                        let r = self.reply(op, 0, &[], 1, 0xC1);
                        out.extend(r);
                        continue;
                    }
                    if op == op::FLASH_DEFL_DATA {
                        let Some((at, mut buf)) = self.defl.take() else {
                            out.extend(self.reply(op, 0, &[], 1, 0xC6));
                            continue;
                        };
                        buf.extend_from_slice(payload);
                        // Inflate everything so far (the test images are small).
                        if let Ok(plain) = miniz_oxide::inflate::decompress_to_vec_zlib(&buf) {
                            self.write_at(at, &plain);
                        }
                        self.defl = Some((at, buf));
                    } else if op == op::FLASH_DATA {
                        let at = self.plain_at;
                        let payload = payload.to_vec();
                        self.write_at(at, &payload);
                        self.plain_at += payload.len();
                    }
                    if answer_lost {
                        continue;
                    }
                    self.reply(op, 0, &[], 0, 0)
                }
                op::FLASH_BEGIN => {
                    self.plain_at = Self::word(d, 3) as usize;
                    self.reply(op, 0, &[], 0, 0)
                }
                op::READ_FLASH => {
                    let (a, n) = (Self::word(d, 0) as usize, Self::word(d, 1) as usize);
                    let mut r = self.reply(op, 0, &[], 0, 0);
                    for chunk in self.flash[a..a + n].chunks(0x1000) {
                        r.extend(slip::encode(chunk));
                    }
                    r.extend(slip::encode(&md5(&self.flash[a..a + n])));
                    r
                }
                op::WRITE_REG => {
                    let (a, v, m) = (Self::word(d, 0), Self::word(d, 1), Self::word(d, 2));
                    self.regs.push((a, v & m));
                    self.reply(op, 0, &[], 0, 0)
                }
                op::READ_FLASH_SLOW => {
                    let a = Self::word(d, 0) as usize;
                    let block = self.flash[a..a + 64].to_vec();
                    self.reply(op, 0, &block, 0, 0)
                }
                op::ERASE_FLASH => {
                    self.flash.fill(0xFF);
                    self.reply(op, 0, &[], 0, 0)
                }
                _ => self.reply(op, 0, &[], 0, 0),
            };
            out.extend(resp);
        }
        out
    }
}

/// Run the flasher against the device until the task ends; returns the outputs.
fn run(f: &mut Flasher, dev: &mut Device, task: Task, now: &mut u64) -> Vec<Output> {
    f.start(task, *now).expect("start");
    let mut seen = Vec::new();
    for _ in 0..100_000 {
        let mut progressed = false;
        while let Some(o) = f.poll(*now) {
            progressed = true;
            match &o {
                Output::Send(bytes) => {
                    let answer = dev.take(bytes);
                    f.feed(&answer, *now);
                }
                Output::SetLines { dtr, rts } => dev.lines(*dtr, *rts),
                _ => {}
            }
            let end = matches!(o, Output::Done(_) | Output::Failed(_));
            seen.push(o);
            if end {
                return seen;
            }
        }
        if !progressed {
            *now = f.deadline().expect("a deadline while waiting");
        }
    }
    panic!("the task did not end");
}

fn done(outs: &[Output]) -> &Done {
    match outs.last() {
        Some(Output::Done(d)) => d,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn cfg(stub: bool, compress: bool) -> Config {
    Config {
        use_stub: stub,
        compress,
        resets: false,
        flash_size: Some(64 * 1024),
        ..Config::default()
    }
}

fn image(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn connect_detects_c3_by_chip_id_and_reads_the_mac() {
    let mut dev = Device::new(Some(5), 0x1b31_506f);
    let mut f = Flasher::new(cfg(true, true));
    let mut now = 0;
    let outs = run(&mut f, &mut dev, Task::Connect, &mut now);
    let Done::Connected(info) = done(&outs) else {
        panic!()
    };
    assert_eq!(info.chip, Chip::Esp32c3);
    assert_eq!(info.mac, Some([0x24, 0x0a, 0xc4, 0x1f, 0x67, 0x7d]));
    assert!(info.stub);
    assert!(dev.commands.contains(&op::MEM_END));
}

#[test]
fn connect_detects_the_flash_size_from_the_jedec_id() {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(Config {
        flash_size: None,
        ..cfg(false, true)
    });
    let mut now = 0;
    let outs = run(&mut f, &mut dev, Task::Connect, &mut now);
    let Done::Connected(info) = done(&outs) else {
        panic!()
    };
    assert_eq!(
        (info.flash_id, info.flash_size),
        (Some(0x0016_4020), 4 << 20)
    );
    assert_eq!(dev.polls, 2, "the busy SPI command was polled again");
    // USR and USR2 were restored, last.
    let n = dev.regs.len();
    assert_eq!(dev.regs[n - 2].0, 0x6000_2018);
    assert_eq!(dev.regs[n - 1].0, 0x6000_2020);
}

#[test]
fn connect_detects_esp32_by_magic_when_security_info_fails() {
    let mut dev = Device::new(None, 0x00F0_1D83);
    let mut f = Flasher::new(cfg(false, true));
    let mut now = 0;
    let outs = run(&mut f, &mut dev, Task::Connect, &mut now);
    let Done::Connected(info) = done(&outs) else {
        panic!()
    };
    assert_eq!(info.chip, Chip::Esp32);
    assert!(!info.stub);
}

#[test]
fn wrong_chip_and_unknown_magic_are_errors() {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(Config {
        expect_chip: Some(Chip::Esp32s3),
        ..cfg(false, true)
    });
    let mut now = 0;
    let outs = run(&mut f, &mut dev, Task::Connect, &mut now);
    assert!(matches!(
        outs.last(),
        Some(Output::Failed(Error::WrongChip { .. }))
    ));
    let mut dev = Device::new(None, 0x1234_5678);
    let mut f = Flasher::new(cfg(false, true));
    let outs = run(&mut f, &mut dev, Task::Connect, &mut now);
    assert!(matches!(
        outs.last(),
        Some(Output::Failed(Error::UnknownChip { .. }))
    ));
}

#[test]
fn silence_is_no_answer_after_the_sync_attempts() {
    let mut f = Flasher::new(Config {
        sync_attempts: 3,
        resets: true,
        ..Config::default()
    });
    let mut now = 0;
    f.start(Task::Connect, now).unwrap();
    let mut lines = 0;
    let mut syncs = 0;
    loop {
        match f.poll(now) {
            Some(Output::Send(_)) => syncs += 1,
            Some(Output::SetLines { .. }) => lines += 1,
            Some(Output::Failed(e)) => {
                assert_eq!(e, Error::NoAnswer { attempts: 3 });
                break;
            }
            Some(_) => {}
            None => now = f.deadline().unwrap(),
        }
    }
    assert_eq!((syncs, lines), (3, reset::CLASSIC.len()));
    assert_eq!(
        now, 450,
        "the classic reset (100 + 50 ms), then three 100 ms SYNC timeouts"
    );
}

fn write_and_check(stub: bool, compress: bool) {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(cfg(stub, compress));
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    let img = image(10_000, 1);
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0x2000,
            data: img.clone(),
        },
        &mut now,
    );
    let Done::Written(rep) = done(&outs) else {
        panic!()
    };
    assert_eq!((rep.blocks_total, rep.blocks_written), (3, 3));
    assert_eq!(&dev.flash[0x2000..0x2000 + img.len()], img.as_slice());
    let used = if compress {
        op::FLASH_DEFL_DATA
    } else {
        op::FLASH_DATA
    };
    assert!(dev.commands.contains(&used));

    // The same image again: one MD5, nothing written.
    dev.commands.clear();
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0x2000,
            data: img.clone(),
        },
        &mut now,
    );
    let Done::Written(rep) = done(&outs) else {
        panic!()
    };
    assert_eq!(rep.blocks_written, 0);
    assert_eq!(dev.commands, vec![op::SPI_FLASH_MD5]);
    assert!(rep.bytes_sent < 64);

    // One block changed: only it is written.
    let mut img2 = img.clone();
    img2[5000] ^= 0xFF;
    dev.commands.clear();
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0x2000,
            data: img2.clone(),
        },
        &mut now,
    );
    let Done::Written(rep) = done(&outs) else {
        panic!()
    };
    assert_eq!(rep.blocks_written, 1);
    assert_eq!(&dev.flash[0x2000..0x2000 + img2.len()], img2.as_slice());

    // Read back.
    let outs = run(
        &mut f,
        &mut dev,
        Task::Read {
            offset: 0x2000,
            len: 10_000,
        },
        &mut now,
    );
    let Done::Read(data) = done(&outs) else {
        panic!()
    };
    assert_eq!(data, &img2);
}

/// On erased flash the whole-region MD5 says it all: no per-block compare, and the image's
/// all-0xFF blocks are not sent.
fn write_to_erased_flash(stub: bool, compress: bool) {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(cfg(stub, compress));
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    let mut img = image(16_384, 3);
    img[4096..8192].fill(0xFF);
    dev.commands.clear();
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0x2000,
            data: img.clone(),
        },
        &mut now,
    );
    let Done::Written(rep) = done(&outs) else {
        panic!()
    };
    assert_eq!((rep.blocks_total, rep.blocks_written), (4, 3));
    assert_eq!(&dev.flash[0x2000..0x2000 + img.len()], img.as_slice());
    let md5s = dev
        .commands
        .iter()
        .filter(|c| **c == op::SPI_FLASH_MD5)
        .count();
    assert_eq!(
        md5s, 3,
        "one compare, one verify per written run: {:?}",
        dev.commands
    );
}

#[test]
fn writes_to_erased_flash_without_per_block_compare() {
    write_to_erased_flash(true, true);
    write_to_erased_flash(true, false);
    write_to_erased_flash(false, true);
}

#[test]
fn writes_skip_unchanged_blocks_stub_compressed() {
    write_and_check(true, true);
}

#[test]
fn writes_skip_unchanged_blocks_stub_plain() {
    write_and_check(true, false);
}

#[test]
fn writes_skip_unchanged_blocks_rom_compressed() {
    write_and_check(false, true);
}

#[test]
fn writes_skip_unchanged_blocks_rom_plain() {
    write_and_check(false, false);
}

#[test]
fn a_bad_write_fails_verification() {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(cfg(true, true));
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    dev.corrupt_writes = true;
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0,
            data: image(5000, 3),
        },
        &mut now,
    );
    assert_eq!(
        outs.last(),
        Some(&Output::Failed(Error::VerifyFailed {
            offset: 0,
            len: 5000
        }))
    );
    // The range is written, fails its verify, is compared and written once more, and fails
    // for good: a broken flash does not loop.
    let begins = dev
        .commands
        .iter()
        .filter(|o| **o == op::FLASH_DEFL_BEGIN)
        .count();
    assert_eq!(begins, 2, "written, then rewritten once");
}

#[test]
fn arguments_are_checked() {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(cfg(false, true));
    let mut now = 0;
    assert_eq!(
        f.start(Task::Read { offset: 0, len: 4 }, 0),
        Err(Error::NotConnected)
    );
    run(&mut f, &mut dev, Task::Connect, &mut now);
    assert!(matches!(
        f.start(
            Task::Write {
                offset: 0x10,
                data: vec![1]
            },
            now
        ),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        f.start(
            Task::Write {
                offset: 0xF000,
                data: vec![1; 0x2000]
            },
            now
        ),
        Err(Error::TooLarge { .. })
    ));
    assert_eq!(
        f.start(Task::EraseAll, now),
        Err(Error::NeedsStub {
            command: "ERASE_FLASH"
        })
    );
}

#[test]
fn a_failing_status_is_reported_with_its_code() {
    let mut f = Flasher::new(cfg(false, true));
    let mut now = 0;
    f.start(Task::Connect, now).unwrap();
    // SYNC goes out; answer it, then answer the security query, then fail READ_REG.
    let mut dev = Device::new(None, 0);
    let mut step = 0;
    let outs = loop {
        match f.poll(now) {
            Some(Output::Send(b)) => {
                step += 1;
                if step < 3 {
                    let a = dev.take(&b);
                    f.feed(&a, now);
                } else {
                    let p = [1, op::READ_REG, 4, 0, 0, 0, 0, 0, 1, 0x05, 0, 0];
                    f.feed(&slip::encode(&p), now);
                }
            }
            Some(Output::Failed(e)) => break e,
            Some(_) => {}
            None => now = f.deadline().unwrap(),
        }
    };
    assert_eq!(
        outs,
        Error::Failed {
            command: "READ_REG",
            status: 1,
            code: 5
        }
    );
    assert!(alloc::format!("{outs}").contains("invalid"));
}

#[test]
fn baud_change_falls_back_when_the_chip_stays_silent() {
    let mut f = Flasher::new(Config {
        target_baud: Some(921_600),
        ..cfg(false, true)
    });
    let mut dev = Device::new(Some(5), 0);
    let mut now = 0;
    f.start(Task::Connect, now).unwrap();
    let mut baud_now = 115_200;
    let mut sets = Vec::new();
    let info = loop {
        match f.poll(now) {
            Some(Output::Send(b)) => {
                // A device that never switches: only what is sent at 115200 arrives.
                let a = dev.take(&b);
                if baud_now == 115_200 {
                    f.feed(&a, now);
                }
            }
            Some(Output::SetBaud(b)) => {
                baud_now = b;
                sets.push(b);
            }
            Some(Output::Done(Done::Connected(i))) => break i,
            Some(Output::Failed(e)) => panic!("{e}"),
            Some(_) => {}
            None => now = f.deadline().unwrap(),
        }
    };
    assert_eq!(sets, vec![921_600, 115_200]);
    assert_eq!(info.baud, 115_200);
}

#[test]
fn registers_are_read_and_written() {
    let mut dev = Device::new(Some(5), 0x1b31_506f);
    let mut f = Flasher::new(cfg(false, true));
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    let outs = run(
        &mut f,
        &mut dev,
        Task::ReadReg { addr: MAGIC_REG },
        &mut now,
    );
    assert_eq!(done(&outs), &Done::Register(0x1b31_506f));
    let outs = run(
        &mut f,
        &mut dev,
        Task::WriteReg {
            addr: 0x6000_0000,
            value: 0xABCD,
            mask: 0xFF,
        },
        &mut now,
    );
    assert_eq!(done(&outs), &Done::RegisterWritten);
    let outs = run(
        &mut f,
        &mut dev,
        Task::ReadReg { addr: 0x6000_0000 },
        &mut now,
    );
    assert_eq!(done(&outs), &Done::Register(0xCD));
}

#[test]
fn an_image_for_another_chip_is_refused() {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(cfg(true, true));
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    // An app image header for the ESP32-S3 (chip id 9).
    let mut img = vec![0u8; 4096];
    img[0] = 0xE9;
    img[12] = 9;
    assert_eq!(
        f.start(
            Task::Write {
                offset: 0x1000,
                data: img.clone()
            },
            now
        ),
        Err(Error::WrongChip {
            expected: "ESP32-S3",
            found: "ESP32-C3"
        })
    );
    // The same header for the C3 (id 5) is written.
    img[12] = 5;
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0x1000,
            data: img,
        },
        &mut now,
    );
    assert!(matches!(done(&outs), Done::Written(_)));
}

/// What a silent port sees while connecting: each output with the time it came out.
fn silent_connect(cfg: Config) -> Vec<(u64, Output)> {
    let mut f = Flasher::new(cfg);
    let mut now = 1_000;
    f.start(Task::Connect, now).unwrap();
    let mut seen = Vec::new();
    loop {
        match f.poll(now) {
            Some(o @ Output::Failed(_)) => {
                seen.push((now, o));
                return seen;
            }
            Some(o) => seen.push((now, o)),
            None => {
                let d = f.deadline().expect("a deadline while waiting");
                assert!(d > now, "the deadline {d} is not after now {now}");
                now = d;
            }
        }
    }
}

fn lines_of(steps: &[reset::Step]) -> Vec<Output> {
    steps
        .iter()
        .map(|s| Output::SetLines {
            dtr: s.dtr,
            rts: s.rts,
        })
        .collect()
}

/// The SetLines of each reset round (a round ends at the SYNC after it).
fn reset_rounds(seen: &[(u64, Output)]) -> Vec<Vec<Output>> {
    let mut rounds = Vec::new();
    let mut cur = Vec::new();
    for (_, o) in seen {
        match o {
            Output::SetLines { .. } => cur.push(o.clone()),
            Output::Send(_) if !cur.is_empty() => rounds.push(core::mem::take(&mut cur)),
            _ => {}
        }
    }
    rounds
}

#[test]
fn the_reset_is_waited_out_by_deadlines_and_the_sync_timeout_starts_after_it() {
    let seen = silent_connect(Config {
        sync_attempts: 1,
        ..Config::default()
    });
    // CLASSIC: lines at 1000, wait 100, lines at 1100, wait 50, lines and SYNC at 1150; the SYNC
    // times out 100 ms after it went out, not after the reset began.
    let times: Vec<(u64, &str)> = seen
        .iter()
        .map(|(t, o)| {
            let what = match o {
                Output::SetLines { .. } => "lines",
                Output::Send(_) => "send",
                Output::Failed(_) => "failed",
                _ => "other",
            };
            (*t, what)
        })
        .collect();
    assert_eq!(
        times,
        vec![
            (1000, "lines"),
            (1100, "lines"),
            (1150, "lines"),
            (1150, "send"),
            (1250, "failed")
        ]
    );
    assert_eq!(reset_rounds(&seen), vec![lines_of(reset::CLASSIC)]);
    let Output::Send(sync) = &seen[3].1 else {
        panic!()
    };
    let mut dec = Decoder::new(256);
    let frame = sync.iter().find_map(|b| match dec.push(*b) {
        Some(Decoded::Frame(f)) => Some(f),
        _ => None,
    });
    assert_eq!(frame.map(|f| f[1]), Some(op::SYNC));
}

#[test]
fn no_lines_are_set_without_resets() {
    let seen = silent_connect(Config {
        sync_attempts: 6,
        resets: false,
        ..Config::default()
    });
    assert!(seen
        .iter()
        .all(|(_, o)| !matches!(o, Output::SetLines { .. })));
    assert_eq!(seen.last().map(|s| s.0), Some(1_600), "six SYNCs, no waits");
}

#[test]
fn usb_serial_jtag_gets_its_reset_first_and_the_sequences_take_turns() {
    let rounds = |usb_id| {
        reset_rounds(&silent_connect(Config {
            sync_attempts: 3 * SYNCS_PER_RESET,
            usb_id,
            ..Config::default()
        }))
    };
    let jtag = lines_of(reset::USB_SERIAL_JTAG);
    let classic = lines_of(reset::CLASSIC);
    let long = lines_of(reset::CLASSIC_LONG);
    assert_eq!(
        rounds(Some((0x303A, 0x1001))),
        vec![jtag.clone(), classic.clone(), jtag.clone()]
    );
    let classic_first = vec![classic.clone(), long, jtag];
    assert_eq!(rounds(None), classic_first);
    // A USB-UART bridge (CP2102): the classic wiring first.
    assert_eq!(rounds(Some((0x10C4, 0xEA60))), classic_first);
}

#[test]
fn a_reset_answered_during_its_waits_still_syncs_after_it() {
    // Boot noise and a stray frame while the lines are being set change nothing; the chip in
    // download mode answers the SYNC that follows.
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(Config {
        resets: true,
        ..cfg(false, true)
    });
    let mut now = 0;
    f.start(Task::Connect, now).unwrap();
    assert!(matches!(f.poll(now), Some(Output::SetLines { .. })));
    assert_eq!(f.poll(now), None);
    f.feed(b"ESP-ROM:esp32c3-api1-20210207\r\n", now);
    f.feed(&slip::encode(&[1, op::SYNC, 0, 0, 0, 0, 0, 0]), now);
    assert_eq!(
        f.poll(now),
        None,
        "nothing is sent before the reset is over"
    );
    let outs = run_started(&mut f, &mut dev, &mut now);
    assert!(matches!(done(&outs), Done::Connected(_)));
    assert!(now >= 150);
}

/// [`run`] for a task already started.
fn run_started(f: &mut Flasher, dev: &mut Device, now: &mut u64) -> Vec<Output> {
    let mut seen = Vec::new();
    for _ in 0..100_000 {
        let mut progressed = false;
        while let Some(o) = f.poll(*now) {
            progressed = true;
            match &o {
                Output::Send(bytes) => {
                    let answer = dev.take(bytes);
                    f.feed(&answer, *now);
                }
                Output::SetLines { dtr, rts } => dev.lines(*dtr, *rts),
                _ => {}
            }
            let end = matches!(o, Output::Done(_) | Output::Failed(_));
            seen.push(o);
            if end {
                return seen;
            }
        }
        if !progressed {
            *now = f.deadline().expect("a deadline while waiting");
        }
    }
    panic!("the task did not end");
}

#[test]
fn hard_reset_pulses_en_and_leaves_the_flasher_unconnected() {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(Config {
        target_baud: Some(921_600),
        ..cfg(true, true)
    });
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    assert_eq!((f.baud(), f.stub_running()), (921_600, true));

    let start = now;
    f.start(Task::HardReset, now).unwrap();
    assert_eq!(
        f.start(Task::Read { offset: 0, len: 4 }, now),
        Err(Error::Busy)
    );
    let outs = run_started(&mut f, &mut dev, &mut now);
    let mut expected = lines_of(reset::HARD_RESET);
    expected.push(Output::Done(Done::Reset));
    assert_eq!(outs, expected);
    assert_eq!(now - start, 100, "EN held low for 100 ms");
    assert_eq!(dev.resets, 1);
    assert!(!f.busy());
    assert_eq!((f.baud(), f.stub_running()), (115_200, false));
    assert_eq!(
        f.start(Task::Read { offset: 0, len: 4 }, now),
        Err(Error::NotConnected)
    );

    // Connecting again works (the stub is uploaded again: the reset ended it).
    dev.commands.clear();
    let outs = run(&mut f, &mut dev, Task::Connect, &mut now);
    assert!(matches!(done(&outs), Done::Connected(i) if i.stub));
    assert!(dev.commands.contains(&op::MEM_END));
}

#[test]
fn hard_reset_needs_no_connection_and_ignores_the_resets_setting() {
    let mut f = Flasher::new(Config {
        resets: false,
        ..Config::default()
    });
    let mut now = 0;
    f.start(Task::HardReset, now).unwrap();
    let mut outs = Vec::new();
    while outs.last() != Some(&Output::Done(Done::Reset)) {
        match f.poll(now) {
            Some(o) => outs.push(o),
            None => now = f.deadline().expect("a deadline"),
        }
        assert!(now <= 100);
    }
    assert_eq!(outs.len(), reset::HARD_RESET.len() + 1);
    assert_eq!((f.poll(now), f.deadline()), (None, None));
}

fn notes(outs: &[Output]) -> Vec<&str> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Note(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

/// A C3 with the stub, connected, writing an image of several FLASH_DEFL_DATA packets of
/// which those in `faults` (sequence number, fault) go wrong.
fn faulty_write(faults: &[(u32, Fault)]) -> (Device, Vec<Output>, Vec<u8>) {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(cfg(true, true));
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    dev.fault_op = op::FLASH_DEFL_DATA;
    dev.faults = faults.to_vec();
    // Pseudo-random bytes so that the deflated image takes several 16 KiB packets.
    let mut x = 0x1234_5678u32;
    let img: Vec<u8> = (0..40_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0x1000,
            data: img.clone(),
        },
        &mut now,
    );
    (dev, outs, img)
}

fn defl_seqs(dev: &Device) -> Vec<u32> {
    dev.data_seqs
        .iter()
        .filter(|d| d.0 == op::FLASH_DEFL_DATA)
        .map(|d| d.1)
        .collect()
}

#[test]
fn a_lost_data_packet_is_sent_again_and_the_write_verifies() {
    // Packet 1 is lost on the wire twice; each timeout brings the same packet again.
    let (dev, outs, img) = faulty_write(&[(1, Fault::Lost), (1, Fault::Lost)]);
    let Done::Written(rep) = done(&outs) else {
        panic!("{outs:?}")
    };
    assert_eq!(rep.blocks_written, rep.blocks_total);
    assert_eq!(&dev.flash[0x1000..0x1000 + img.len()], img.as_slice());
    let seqs = defl_seqs(&dev);
    assert!(seqs.len() >= 3, "several packets: {seqs:?}");
    assert_eq!(
        seqs,
        (0..seqs.len() as u32).collect::<Vec<_>>(),
        "each packet arrived once, in order, with its own sequence number"
    );
    let n = notes(&outs);
    assert_eq!(
        n.iter().filter(|s| s.contains("sending it again")).count(),
        2
    );
    assert!(
        n.iter()
            .any(|s| s.contains("FLASH_DEFL_DATA block 1 failed")
                && s.contains("no response in time")
                && s.contains("attempt 3 of 3")),
        "{n:?}"
    );
}

#[test]
fn a_refused_data_packet_is_sent_again_and_the_write_verifies() {
    let (dev, outs, img) = faulty_write(&[(2, Fault::Refused)]);
    assert!(matches!(done(&outs), Done::Written(_)), "{outs:?}");
    assert_eq!(&dev.flash[0x1000..0x1000 + img.len()], img.as_slice());
    assert_eq!(&defl_seqs(&dev)[..3], &[0, 1, 2]);
    assert!(
        notes(&outs)
            .iter()
            .any(|s| s.contains("FLASH_DEFL_DATA block 2 failed")
                && s.contains("bad data checksum")
                && s.contains("attempt 2 of 3")),
        "{outs:?}"
    );
}

#[test]
fn a_data_packet_failing_three_times_fails_the_write() {
    let (dev, outs, _) = faulty_write(&[(0, Fault::Refused); 3]);
    assert_eq!(
        outs.last(),
        Some(&Output::Failed(Error::Failed {
            command: "FLASH_DEFL_DATA",
            status: 1,
            code: 0xC1
        }))
    );
    assert_eq!(
        notes(&outs)
            .iter()
            .filter(|s| s.contains("sending it again"))
            .count(),
        2
    );
    assert!(defl_seqs(&dev).is_empty());

    let (_, outs, _) = faulty_write(&[(1, Fault::Lost); 3]);
    assert_eq!(
        outs.last(),
        Some(&Output::Failed(Error::Timeout {
            command: "FLASH_DEFL_DATA"
        }))
    );
}

#[test]
fn plain_writes_and_the_stub_upload_retry_their_blocks_too() {
    // FLASH_DATA through the ROM.
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(cfg(false, false));
    let mut now = 0;
    run(&mut f, &mut dev, Task::Connect, &mut now);
    dev.fault_op = op::FLASH_DATA;
    dev.faults = vec![(3, Fault::Refused), (4, Fault::Lost)];
    let img = image(8_000, 9);
    let outs = run(
        &mut f,
        &mut dev,
        Task::Write {
            offset: 0x3000,
            data: img.clone(),
        },
        &mut now,
    );
    assert!(matches!(done(&outs), Done::Written(_)), "{outs:?}");
    assert_eq!(&dev.flash[0x3000..0x3000 + img.len()], img.as_slice());
    assert_eq!(notes(&outs).len(), 2, "{outs:?}");
}

#[test]
fn the_stub_upload_does_not_resend_its_blocks() {
    // MEM_DATA appends to RAM: as esptool, a lost or refused block fails the connect at once.
    for fault in [Fault::Lost, Fault::Refused, Fault::AnswerLost] {
        let mut dev = Device::new(Some(5), 0);
        dev.fault_op = op::MEM_DATA;
        dev.faults = vec![(0, fault)];
        let mut f = Flasher::new(cfg(true, true));
        let mut now = 0;
        let outs = run(&mut f, &mut dev, Task::Connect, &mut now);
        assert!(
            matches!(outs.last(), Some(Output::Failed(_))),
            "{fault:?}: {:?}",
            outs.last()
        );
        let mem_data = dev.commands.iter().filter(|o| **o == op::MEM_DATA).count();
        assert_eq!(mem_data, 1, "{fault:?}: block 0 sent once");
        assert!(notes(&outs).iter().all(|n| !n.contains("sending it again")));
    }
}

#[test]
fn a_lost_answer_doubles_a_packet_and_the_range_is_rewritten_after_the_failed_verify() {
    // The chip inflated packet 1 but its answer was lost: the resend feeds it twice, the
    // stream breaks, the verify fails; the range's blocks are compared again and rewritten.
    let (dev, outs, img) = faulty_write(&[(1, Fault::AnswerLost)]);
    let Done::Written(rep) = done(&outs) else {
        panic!("{outs:?}")
    };
    assert_eq!(rep.blocks_written, rep.blocks_total);
    assert_eq!(&dev.flash[0x1000..0x1000 + img.len()], img.as_slice());
    let seqs = defl_seqs(&dev);
    assert_eq!(&seqs[..3], &[0, 1, 1], "packet 1 processed twice: {seqs:?}");
    let n = notes(&outs);
    assert!(n.iter().any(|s| s.contains("sending it again")), "{n:?}");
    assert!(
        n.iter()
            .any(|s| s.contains("does not hold") && s.contains("once more")),
        "{n:?}"
    );
    // A second FLASH_DEFL_BEGIN for the rewrite, and verification after it.
    let begins = dev
        .commands
        .iter()
        .filter(|o| **o == op::FLASH_DEFL_BEGIN)
        .count();
    assert_eq!(begins, 2);
}

#[test]
fn hard_reset_on_usb_serial_jtag_holds_and_waits_200_ms() {
    let mut dev = Device::new(Some(5), 0);
    let mut f = Flasher::new(Config {
        usb_id: Some(reset::USB_SERIAL_JTAG_ID),
        ..cfg(true, true)
    });
    let mut now = 0;
    f.start(Task::HardReset, now).unwrap();
    let outs = run_started(&mut f, &mut dev, &mut now);
    let mut expected = lines_of(reset::HARD_RESET_USB);
    expected.push(Output::Done(Done::Reset));
    assert_eq!(outs, expected);
    assert_eq!(now, 400, "EN held 200 ms, then 200 ms to come out of reset");
}
