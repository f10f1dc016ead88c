//! Connecting: SYNC (each round of them after a reset sequence into the download mode, played
//! out as [`Output::SetLines`] with the flasher's own waits; a SYNC's timeout counts from when
//! it is sent, after the sequence), chip detection by security-info chip id or magic value, the
//! MAC, uploading and starting the stub (MEM_DATA blocks are not sent again), SPI attach, the flash id and
//! size, SPI parameters, the baud-rate change with its fallback.
//!
//! Must never: report a connection before the chip answered every step.

use super::*;

impl Flasher {
    /// SYNC attempt `attempt`, after a reset sequence when a new round begins.
    pub(super) fn send_sync(&mut self, attempt: u32, now: u64) -> Job {
        if self.cfg.resets && attempt.is_multiple_of(SYNCS_PER_RESET) {
            // Take the ways into the download mode in turn, as esptool does.
            let seqs = reset::download_sequences(self.cfg.usb_id);
            let round = (attempt / SYNCS_PER_RESET) as usize;
            return self.reset_step(attempt, seqs[round % seqs.len()], 0, now);
        }
        self.sync_now(attempt, now)
    }

    /// Go on with the reset sequence `seq` at `step`; SYNC once it is over.
    fn reset_step(&mut self, attempt: u32, seq: &'static [Step], step: usize, now: u64) -> Job {
        match self.set_lines(seq, step, now) {
            Some(next) => Job::Connect(ConnectPhase::Reset {
                attempt,
                seq,
                step: next,
            }),
            None => {
                // What the chip printed while it booted is not an answer.
                self.decoder.reset();
                self.sync_now(attempt, now)
            }
        }
    }

    fn sync_now(&mut self, attempt: u32, now: u64) -> Job {
        self.request(op::SYNC, &packet::sync_payload(), 0, SYNC_TIMEOUT, now);
        Job::Connect(ConnectPhase::Sync { attempt })
    }

    pub(super) fn read_reg(&mut self, addr: u32, now: u64) {
        self.request(op::READ_REG, &addr.to_le_bytes(), 0, DEFAULT_TIMEOUT, now);
    }

    pub(super) fn connect_step(&mut self, phase: ConnectPhase, input: Input, now: u64) -> Job {
        use ConnectPhase as P;
        // Frames that are not the pending response: only the stub's greeting matters.
        if let Input::Frame(f) = &input {
            if f.as_slice() == b"OHAI" && matches!(phase, P::MemEnd | P::Ohai) {
                self.pending = None;
                self.wake_at = None;
                self.stub = true;
                self.note("flasher stub running".into());
                return self.after_stub(now);
            }
            return Job::Connect(phase);
        }
        match (phase, input) {
            (P::Sync { .. }, Input::Start) => self.send_sync(0, now),
            (P::Reset { attempt, seq, step }, Input::Wake) => {
                self.reset_step(attempt, seq, step, now)
            }
            (P::Sync { attempt }, Input::Timeout) => {
                let next = attempt + 1;
                if next >= self.cfg.sync_attempts {
                    return self.fail(Error::NoAnswer { attempts: next });
                }
                self.send_sync(next, now)
            }
            (P::Sync { attempt }, Input::Response(resp)) => {
                if Self::check(&resp, 0).is_err() {
                    return self.send_sync(attempt + 1, now);
                }
                // The ROM answers SYNC with 0x20120707, a running stub with 0.
                self.stub = resp.value == 0;
                self.progress(Stage::Sync, 1, 1);
                self.request(op::GET_SECURITY_INFO, &[], 0, DEFAULT_TIMEOUT, now);
                Job::Connect(P::Security)
            }
            (P::Security, Input::Response(resp)) if Self::check(&resp, 20).is_ok() => {
                let id = u32::from_le_bytes([
                    resp.data[12],
                    resp.data[13],
                    resp.data[14],
                    resp.data[15],
                ]);
                match Chip::from_chip_id(id) {
                    Some(chip) => self.detected(chip, now),
                    None => {
                        // ESP32 (id 0) and S2 answer too on some ROM versions; their magic
                        // value decides.
                        self.read_reg(MAGIC_REG, now);
                        Job::Connect(P::Magic)
                    }
                }
            }
            (P::Security, Input::Response(_) | Input::Timeout) => {
                self.read_reg(MAGIC_REG, now);
                Job::Connect(P::Magic)
            }
            (P::Magic, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                match Chip::from_magic(resp.value) {
                    Some(chip) => self.detected(chip, now),
                    None => self.fail(Error::UnknownChip {
                        detail: format!("magic value {:#010x} at {MAGIC_REG:#x}", resp.value),
                    }),
                }
            }
            (P::Magic, Input::Timeout) => self.fail(Error::Timeout {
                command: "READ_REG (chip detection)",
            }),
            (P::Mac { mut words }, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                words.push(resp.value);
                let Some(chip) = self.chip else {
                    return self.fail(Error::NotConnected);
                };
                let regs = chip.mac_registers();
                if words.len() < regs.len() {
                    self.read_reg(regs[words.len()], now);
                    return Job::Connect(P::Mac { words });
                }
                self.mac = chip.decode_mac(&words);
                self.after_mac(now)
            }
            (P::Mac { .. }, Input::Timeout) => self.fail(Error::Timeout {
                command: "READ_REG (MAC address)",
            }),
            (P::MemBegin { seg }, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                self.mem_data(seg, 0, now)
            }
            // MEM_DATA is not sent again (as esptool's `mem_block`): the loader appends each
            // block to RAM, so a block that arrived but whose answer was lost would be doubled.
            (P::MemData { seg, seq }, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                self.mem_data(seg, seq + 1, now)
            }
            (P::MemData { .. }, Input::Timeout) => self.fail(Error::Timeout {
                command: "uploading the flasher stub (MEM_DATA)",
            }),
            (P::MemEnd, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                self.wake_at = Some(now + OHAI_TIMEOUT);
                Job::Connect(P::Ohai)
            }
            (P::MemEnd, Input::Timeout) => {
                // The ROM may not answer MEM_END before jumping (esptool ignores this).
                self.wake_at = Some(now + OHAI_TIMEOUT);
                Job::Connect(P::Ohai)
            }
            (P::Ohai, Input::Wake) => self.fail(Error::Timeout {
                command: "starting the flasher stub (no OHAI)",
            }),
            (P::Attach, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                if self.cfg.flash_size.is_some() {
                    return self.set_params(now);
                }
                self.flash_id_step(0, [0; 2], 0, now)
            }
            (
                P::FlashId {
                    step,
                    mut saved,
                    polls,
                },
                Input::Response(resp),
            ) => {
                if let Err(e) = Self::check(&resp, 0) {
                    self.note(format!(
                        "could not read the flash id ({e}); assuming {} MiB",
                        self.flash_size >> 20
                    ));
                    return self.set_params(now);
                }
                match step {
                    0 | 1 => saved[usize::from(step)] = resp.value,
                    7 if resp.value & (1 << 18) != 0 => {
                        if polls + 1 >= SPI_POLLS {
                            self.note(format!(
                                "the SPI flash did not finish RDID; assuming {} MiB",
                                self.flash_size >> 20
                            ));
                            return self.set_params(now);
                        }
                        return self.flash_id_step(7, saved, polls + 1, now);
                    }
                    8 => {
                        let id = resp.value & 0x00FF_FFFF;
                        self.flash_id = Some(id);
                        match crate::chip::flash_size_from_id(id) {
                            Some(size) => self.flash_size = size,
                            None => self.note(format!(
                                "unknown flash size in JEDEC id {id:#08x}; assuming {} MiB",
                                self.flash_size >> 20
                            )),
                        }
                    }
                    10 => return self.set_params(now),
                    _ => {}
                }
                self.flash_id_step(step + 1, saved, 0, now)
            }
            (P::FlashId { .. }, Input::Timeout) => self.fail(Error::Timeout {
                command: "reading the flash id",
            }),
            (P::SetParams, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                self.after_attach(now)
            }
            (P::Baud { to }, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    self.note(format!("{e}; staying at {} baud", self.baud));
                    return self.connected_done();
                }
                let from = self.baud;
                self.out.push_back(Output::SetBaud(to));
                self.decoder.reset();
                self.wake_at = Some(now + BAUD_SETTLE);
                Job::Connect(P::BaudSettle {
                    to,
                    from,
                    fallback: false,
                })
            }
            (P::Baud { .. }, Input::Timeout) => {
                self.note(format!(
                    "CHANGE_BAUDRATE got no answer; staying at {} baud",
                    self.baud
                ));
                self.connected_done()
            }
            (P::BaudSettle { to, from, fallback }, Input::Wake) => {
                self.decoder.reset();
                self.read_reg(MAGIC_REG, now);
                Job::Connect(P::BaudProbe { to, from, fallback })
            }
            (P::BaudProbe { to, from, fallback }, Input::Response(_)) => {
                if fallback {
                    self.note(format!(
                        "the chip did not follow the change to {to} baud; staying at {from}"
                    ));
                } else {
                    self.baud = to;
                    self.note(format!("changed to {to} baud"));
                }
                self.connected_done()
            }
            (P::BaudProbe { to, from, fallback }, Input::Timeout) => {
                if fallback {
                    return self.fail(Error::Timeout {
                        command: "CHANGE_BAUDRATE (no answer at the new or the old rate)",
                    });
                }
                self.out.push_back(Output::SetBaud(from));
                self.decoder.reset();
                self.wake_at = Some(now + BAUD_SETTLE);
                Job::Connect(P::BaudSettle {
                    to,
                    from,
                    fallback: true,
                })
            }
            (P::Security, _) | (P::Attach, Input::Timeout) | (P::SetParams, Input::Timeout) => self
                .fail(Error::Timeout {
                    command: "attaching the SPI flash",
                }),
            (P::MemBegin { .. }, Input::Timeout) => self.fail(Error::Timeout {
                command: "uploading the flasher stub",
            }),
            (phase, _) => Job::Connect(phase),
        }
    }

    pub(super) fn detected(&mut self, chip: Chip, now: u64) -> Job {
        if let Some(want) = self.cfg.expect_chip {
            if want != chip {
                return self.fail(Error::WrongChip {
                    expected: want.name(),
                    found: chip.name(),
                });
            }
        }
        self.chip = Some(chip);
        self.note(format!("chip: {}", chip.name()));
        self.read_reg(chip.mac_registers()[0], now);
        Job::Connect(ConnectPhase::Mac { words: Vec::new() })
    }

    pub(super) fn stub_segments(chip: Chip) -> Option<[(u32, &'static [u8]); 2]> {
        stub::for_chip(chip).map(|s| [(s.text_start, s.text), (s.data_start, s.data)])
    }

    pub(super) fn after_mac(&mut self, now: u64) -> Job {
        let Some(chip) = self.chip else {
            return self.fail(Error::NotConnected);
        };
        if self.stub {
            self.note("flasher stub already running".into());
            return self.after_stub(now);
        }
        if self.cfg.use_stub {
            if Self::stub_segments(chip).is_some() {
                self.note("uploading the flasher stub".into());
                return self.mem_begin(0, now);
            }
            self.note(format!(
                "no flasher stub for the {}: using the ROM loader",
                chip.name()
            ));
        }
        self.after_stub(now)
    }

    pub(super) fn mem_begin(&mut self, seg: usize, now: u64) -> Job {
        let Some(segs) = self.chip.and_then(Self::stub_segments) else {
            return self.fail(Error::NotConnected);
        };
        let Some(&(addr, bytes)) = segs.get(seg) else {
            // All segments loaded: run it.
            let entry = self.chip.and_then(stub::for_chip).map_or(0, |s| s.entry);
            self.request(
                op::MEM_END,
                &packet::words(&[0, entry]),
                0,
                MEM_END_ROM_TIMEOUT,
                now,
            );
            return Job::Connect(ConnectPhase::MemEnd);
        };
        let blocks = bytes.len().div_ceil(RAM_BLOCK) as u32;
        self.request(
            op::MEM_BEGIN,
            &packet::words(&[bytes.len() as u32, blocks, RAM_BLOCK as u32, addr]),
            0,
            DEFAULT_TIMEOUT,
            now,
        );
        Job::Connect(ConnectPhase::MemBegin { seg })
    }

    /// Send block `seq` of stub segment `seg`; after the last block the next segment begins.
    pub(super) fn mem_data(&mut self, seg: usize, seq: usize, now: u64) -> Job {
        let Some(segs) = self.chip.and_then(Self::stub_segments) else {
            return self.fail(Error::NotConnected);
        };
        let bytes = segs[seg.min(1)].1;
        let start = seq * RAM_BLOCK;
        if start >= bytes.len() {
            return self.mem_begin(seg + 1, now);
        }
        let end = (start + RAM_BLOCK).min(bytes.len());
        let pkt = packet::data_command(op::MEM_DATA, seq as u32, &bytes[start..end]);
        self.send_packet(op::MEM_DATA, pkt, DEFAULT_TIMEOUT, now);
        let total: usize = segs.iter().map(|s| s.1.len()).sum();
        let done = segs[..seg.min(2)].iter().map(|s| s.1.len()).sum::<usize>() + end;
        self.progress(Stage::Stub, done as u64, total as u64);
        Job::Connect(ConnectPhase::MemData { seg, seq })
    }

    pub(super) fn after_stub(&mut self, now: u64) -> Job {
        if self.chip == Some(Chip::Esp8266) {
            return self.after_attach(now);
        }
        let mut arg = packet::words(&[0]);
        if !self.stub {
            arg.extend_from_slice(&[0, 0, 0, 0]);
        }
        self.request(op::SPI_ATTACH, &arg, 0, DEFAULT_TIMEOUT, now);
        Job::Connect(ConnectPhase::Attach)
    }

    /// One register access of esptool's `run_spiflash_command(RDID, read_bits=24)`: save USR
    /// and USR2, set the lengths, the command and the flags, start, poll, read W0, restore.
    pub(super) fn flash_id_step(&mut self, step: u8, saved: [u32; 2], polls: u8, now: u64) -> Job {
        let Some(chip) = self.chip else {
            return self.fail(Error::NotConnected);
        };
        let r = chip.spi_registers();
        const USR_COMMAND: u32 = 1 << 31;
        const USR_MISO: u32 = 1 << 28;
        const CMD_USR: u32 = 1 << 18;
        let write = |addr: u32, value: u32| packet::words(&[addr, value, 0xFFFF_FFFF, 0]);
        let (op_, data) = match step {
            0 => (op::READ_REG, packet::words(&[r.usr])),
            1 => (op::READ_REG, packet::words(&[r.usr2])),
            2 => match r.mosi_miso_dlen {
                Some((_, miso)) => (op::WRITE_REG, write(miso, 24 - 1)),
                None => (op::WRITE_REG, write(r.usr1, (24 - 1) << 8)),
            },
            3 => (op::WRITE_REG, write(r.usr, USR_COMMAND | USR_MISO)),
            4 => (op::WRITE_REG, write(r.usr2, (7 << 28) | SPIFLASH_RDID)),
            5 => (op::WRITE_REG, write(r.w0, 0)),
            6 => (op::WRITE_REG, write(r.cmd, CMD_USR)),
            7 => (op::READ_REG, packet::words(&[r.cmd])),
            8 => (op::READ_REG, packet::words(&[r.w0])),
            9 => (op::WRITE_REG, write(r.usr, saved[0])),
            _ => (op::WRITE_REG, write(r.usr2, saved[1])),
        };
        self.request(op_, &data, 0, DEFAULT_TIMEOUT, now);
        Job::Connect(ConnectPhase::FlashId { step, saved, polls })
    }

    pub(super) fn set_params(&mut self, now: u64) -> Job {
        let params = packet::words(&[0, self.flash_size, 64 * 1024, SECTOR, 256, 0xFFFF]);
        self.request(op::SPI_SET_PARAMS, &params, 0, DEFAULT_TIMEOUT, now);
        Job::Connect(ConnectPhase::SetParams)
    }

    pub(super) fn after_attach(&mut self, now: u64) -> Job {
        let can_change = self.stub || self.chip.is_some_and(Chip::rom_has_deflate);
        match self.cfg.target_baud {
            Some(to) if to != self.baud && can_change => {
                let old = if self.stub { self.baud } else { 0 };
                self.request(
                    op::CHANGE_BAUDRATE,
                    &packet::words(&[to, old]),
                    0,
                    DEFAULT_TIMEOUT,
                    now,
                );
                Job::Connect(ConnectPhase::Baud { to })
            }
            Some(to) if to != self.baud => {
                self.note(format!(
                    "the ESP8266 ROM cannot change the baud rate; staying at {}",
                    self.baud
                ));
                self.connected_done()
            }
            _ => self.connected_done(),
        }
    }

    pub(super) fn connected_done(&mut self) -> Job {
        let Some(chip) = self.chip else {
            return self.fail(Error::NotConnected);
        };
        self.connected = true;
        self.finish(Done::Connected(ChipInfo {
            chip,
            mac: self.mac,
            stub: self.stub,
            baud: self.baud,
            flash_id: self.flash_id,
            flash_size: self.flash_size,
        }))
    }
}
