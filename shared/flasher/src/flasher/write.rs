//! Writing: compare by MD5 (whole region, then per 4 KiB block — unless the whole region's MD5
//! is that of erased flash, where the blocks that differ are known without asking: those not all
//! 0xFF), write the runs of blocks that differ (deflated or plain; a data packet that fails or
//! gets no answer is sent again, up to [`WRITE_BLOCK_ATTEMPTS`] in all), verify each written run
//! by MD5. A run whose verify fails is compared again block by block and the blocks that differ
//! are written once more and verified; a second mismatch fails the write (see the module docs
//! of `flasher` for why: a resent packet may have been processed twice).
//!
//! Must never: write a packet that reaches past its range into a block that was skipped, or
//! report a write the chip's MD5 did not confirm.

use super::*;

impl Flasher {
    pub(super) fn write_job(&self, offset: u32, mut data: Vec<u8>) -> Result<WriteJob, Error> {
        let chip = self.chip.ok_or(Error::NotConnected)?;
        if data.is_empty() {
            return Err(Error::Invalid("the image is empty".into()));
        }
        if !offset.is_multiple_of(SECTOR) {
            return Err(Error::Invalid(format!(
                "the offset {offset:#x} is not a multiple of the {SECTOR:#x}-byte sector"
            )));
        }
        if let Some(id) = crate::chip::image_chip_id(&data) {
            if chip != Chip::Esp8266 && chip.chip_id() != Some(id) {
                let expected = Chip::ALL
                    .into_iter()
                    .find(|c| *c != Chip::Esp8266 && c.chip_id() == Some(id))
                    .map_or("a chip with an unknown id", Chip::name);
                return Err(Error::WrongChip {
                    expected,
                    found: chip.name(),
                });
            }
        }
        if !self.stub && !chip.rom_has_deflate() {
            return Err(Error::NeedsStub {
                command: "verified writing (the ESP8266 ROM has no SPI_FLASH_MD5)",
            });
        }
        // esptool pads images to 4 bytes with 0xFF.
        while !data.len().is_multiple_of(4) {
            data.push(0xFF);
        }
        let len = u32::try_from(data.len()).map_err(|_| Error::TooLarge {
            offset,
            len: u32::MAX,
            flash_size: self.flash_size,
        })?;
        if u64::from(offset) + u64::from(len) > u64::from(self.flash_size) {
            return Err(Error::TooLarge {
                offset,
                len,
                flash_size: self.flash_size,
            });
        }
        let blocks = len.div_ceil(SECTOR) as usize;
        Ok(WriteJob {
            offset,
            data,
            differs: alloc::vec![false; blocks],
            ranges: Vec::new(),
            range: 0,
            again: Vec::new(),
            packets: Vec::new(),
            compressed: false,
            written: 0,
            to_write: 0,
            phase: WritePhase::WholeMd5,
            sent_at_start: self.bytes_sent,
        })
    }

    pub(super) fn md5_request(&mut self, addr: u32, len: u32, now: u64) {
        self.request(
            op::SPI_FLASH_MD5,
            &packet::words(&[addr, len, 0, 0]),
            0,
            timeout_per_mb(MD5_TIMEOUT_PER_MB, u64::from(len)),
            now,
        );
    }

    /// The digest in an MD5 response: 16 raw bytes from the stub, 32 hex digits from the ROM.
    pub(super) fn md5_result(&self, resp: &Response) -> Result<[u8; 16], Error> {
        let n = if self.stub { 16 } else { 32 };
        Self::check(resp, n)?;
        let raw = &resp.data[..n];
        let mut out = [0u8; 16];
        if self.stub {
            out.copy_from_slice(raw);
            return Ok(out);
        }
        let hex = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        };
        for (i, pair) in raw.chunks(2).enumerate() {
            match (hex(pair[0]), hex(pair[1])) {
                (Some(h), Some(l)) => out[i] = (h << 4) | l,
                _ => {
                    return Err(Error::BadResponse {
                        command: "SPI_FLASH_MD5",
                        detail: "the digest is not hexadecimal".into(),
                    })
                }
            }
        }
        Ok(out)
    }

    pub(super) fn block_span(w: &WriteJob, block: u32) -> (usize, usize) {
        let start = block as usize * SECTOR as usize;
        (start, (start + SECTOR as usize).min(w.data.len()))
    }

    pub(super) fn write_step(&mut self, mut w: WriteJob, input: Input, now: u64) -> Job {
        let len = w.data.len() as u32;
        let blocks = w.differs.len() as u32;
        match (&w.phase, input) {
            (_, Input::Frame(_)) | (_, Input::Wake) => Job::Write(w),
            (&WritePhase::Data { seq, attempt }, Input::Timeout) => {
                let e = Error::Timeout {
                    command: Self::data_op_name(&w),
                };
                if self.retry_block(Self::data_op_name(&w), seq, attempt, &e) {
                    return self.send_data(w, seq, attempt + 1, now);
                }
                self.fail(e)
            }
            (_, Input::Timeout) => {
                let command = match w.phase {
                    WritePhase::WholeMd5 | WritePhase::BlockMd5 { .. } => "SPI_FLASH_MD5 (compare)",
                    WritePhase::Begin => "FLASH_BEGIN",
                    WritePhase::Data { .. } => Self::data_op_name(&w),
                    WritePhase::Verify => "SPI_FLASH_MD5 (verify)",
                    WritePhase::Recheck { .. } => "SPI_FLASH_MD5 (compare after a failed verify)",
                };
                self.fail(Error::Timeout { command })
            }
            (WritePhase::WholeMd5, Input::Start) => {
                self.md5_request(w.offset, len, now);
                Job::Write(w)
            }
            (WritePhase::WholeMd5, Input::Response(resp)) => {
                let theirs = match self.md5_result(&resp) {
                    Ok(d) => d,
                    Err(e) => return self.fail(e),
                };
                if theirs == md5(&w.data) {
                    self.progress(Stage::Compare, u64::from(blocks), u64::from(blocks));
                    return self.write_done(&w);
                }
                if theirs == erased_md5(w.data.len()) {
                    // Erased flash (a new chip, or after `erase`): a block differs unless ours is
                    // all 0xFF too. Asking block by block would cost a round trip per 4 KiB.
                    for b in 0..blocks {
                        let (s, e) = Self::block_span(&w, b);
                        w.differs[b as usize] = w.data[s..e].iter().any(|&x| x != 0xFF);
                    }
                    self.progress(Stage::Compare, u64::from(blocks), u64::from(blocks));
                    return self.write_differing(w, now);
                }
                w.phase = WritePhase::BlockMd5 { block: 0 };
                let (s, e) = Self::block_span(&w, 0);
                self.md5_request(w.offset + s as u32, (e - s) as u32, now);
                Job::Write(w)
            }
            (&WritePhase::BlockMd5 { block }, Input::Response(resp)) => {
                let theirs = match self.md5_result(&resp) {
                    Ok(d) => d,
                    Err(e) => return self.fail(e),
                };
                let (s, e) = Self::block_span(&w, block);
                w.differs[block as usize] = theirs != md5(&w.data[s..e]);
                self.progress(Stage::Compare, u64::from(block + 1), u64::from(blocks));
                if block + 1 < blocks {
                    w.phase = WritePhase::BlockMd5 { block: block + 1 };
                    let (s, e) = Self::block_span(&w, block + 1);
                    self.md5_request(w.offset + s as u32, (e - s) as u32, now);
                    return Job::Write(w);
                }
                self.write_differing(w, now)
            }
            (WritePhase::Begin, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                self.send_data(w, 0, 0, now)
            }
            (&WritePhase::Data { seq, attempt }, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    if self.retry_block(Self::data_op_name(&w), seq, attempt, &e) {
                        return self.send_data(w, seq, attempt + 1, now);
                    }
                    return self.fail(e);
                }
                self.send_data(w, seq + 1, 0, now)
            }
            (WritePhase::Verify, Input::Response(resp)) => {
                let theirs = match self.md5_result(&resp) {
                    Ok(d) => d,
                    Err(e) => return self.fail(e),
                };
                let r = w.ranges[w.range];
                if theirs != md5(&w.data[r.start..r.end]) {
                    if r.rewrite {
                        return self.fail(Error::VerifyFailed {
                            offset: w.offset + r.start as u32,
                            len: (r.end - r.start) as u32,
                        });
                    }
                    self.note(format!(
                        "the flash does not hold the {} bytes just written at {:#x} (MD5); \
                         comparing its blocks and writing those that differ once more",
                        r.end - r.start,
                        w.offset + r.start as u32
                    ));
                    let first = (r.start / SECTOR as usize) as u32;
                    let last = r.end.div_ceil(SECTOR as usize) as u32;
                    w.again.clear();
                    return self.recheck(w, first, last, now);
                }
                self.progress(Stage::Verify, (w.range + 1) as u64, w.ranges.len() as u64);
                w.range += 1;
                if w.range < w.ranges.len() {
                    return self.begin_range(w, now);
                }
                self.write_done(&w)
            }
            (&WritePhase::Recheck { block, last }, Input::Response(resp)) => {
                let theirs = match self.md5_result(&resp) {
                    Ok(d) => d,
                    Err(e) => return self.fail(e),
                };
                let (s, e) = Self::block_span(&w, block);
                if theirs != md5(&w.data[s..e]) {
                    w.again.push(block);
                }
                if block + 1 < last {
                    return self.recheck(w, block + 1, last, now);
                }
                self.rewrite_range(w, now)
            }
            (_, _) => Job::Write(w),
        }
    }

    /// Compare block `block` of the range being rechecked (blocks up to `last`, exclusive).
    fn recheck(&mut self, mut w: WriteJob, block: u32, last: u32, now: u64) -> Job {
        let (s, e) = Self::block_span(&w, block);
        self.md5_request(w.offset + s as u32, (e - s) as u32, now);
        w.phase = WritePhase::Recheck { block, last };
        Job::Write(w)
    }

    /// After a recheck: the blocks that still differ (`w.again`) replace the current range,
    /// marked as rewrites; when none differs (the MD5 answer itself was bad), the range is
    /// verified once more.
    fn rewrite_range(&mut self, mut w: WriteJob, now: u64) -> Job {
        let mut again = Vec::new();
        for &b in &w.again {
            let (s, e) = Self::block_span(&w, b);
            match again.last_mut() {
                Some(Range { end, .. }) if *end == s => *end = e,
                _ => again.push(Range {
                    start: s,
                    end: e,
                    rewrite: true,
                }),
            }
        }
        if again.is_empty() {
            let r = &mut w.ranges[w.range];
            r.rewrite = true;
            let (s, e) = (r.start, r.end);
            w.phase = WritePhase::Verify;
            self.md5_request(w.offset + s as u32, (e - s) as u32, now);
            return Job::Write(w);
        }
        w.to_write += again.iter().map(|r| (r.end - r.start) as u64).sum::<u64>();
        let at = w.range;
        w.ranges.splice(at..=at, again);
        self.begin_range(w, now)
    }

    /// Write the runs of blocks `w.differs` marks (nothing to write: done).
    fn write_differing(&mut self, mut w: WriteJob, now: u64) -> Job {
        let blocks = w.differs.len() as u32;
        // Runs of differing blocks become the ranges to write.
        let mut ranges: Vec<Range> = Vec::new();
        for b in 0..blocks {
            if !w.differs[b as usize] {
                continue;
            }
            let (s, e) = Self::block_span(&w, b);
            match ranges.last_mut() {
                Some(last) if last.end == s => last.end = e,
                _ => ranges.push(Range {
                    start: s,
                    end: e,
                    rewrite: false,
                }),
            }
        }
        w.to_write = ranges.iter().map(|r| (r.end - r.start) as u64).sum();
        w.ranges = ranges;
        w.range = 0;
        if w.ranges.is_empty() {
            // Different as a whole but equal block by block cannot be; trust blocks. (Erased
            // flash and an all-0xFF image were equal as a whole already.)
            return self.write_done(&w);
        }
        self.begin_range(w, now)
    }

    pub(super) fn write_size(&self) -> usize {
        if self.stub {
            STUB_WRITE_SIZE
        } else {
            ROM_WRITE_SIZE
        }
    }

    pub(super) fn begin_range(&mut self, mut w: WriteJob, now: u64) -> Job {
        let Some(chip) = self.chip else {
            return self.fail(Error::NotConnected);
        };
        let Range {
            start: s, end: e, ..
        } = w.ranges[w.range];
        let addr = w.offset + s as u32;
        let size = (e - s) as u32;
        let bytes = &w.data[s..e];
        w.compressed = self.cfg.compress && (self.stub || chip.rom_has_deflate());
        let extended = self.stub || chip.rom_takes_encrypt_flag();
        let (op_begin, mut params, timeout) = if w.compressed {
            let size_pkt = self.write_size();
            let comp = miniz_oxide::deflate::compress_to_vec_zlib(bytes, 9);
            let num = comp.len().div_ceil(size_pkt) as u32;
            w.packets = comp.chunks(size_pkt).map(<[u8]>::to_vec).collect();
            let (write_size, timeout) = if self.stub {
                (size, DEFAULT_TIMEOUT)
            } else {
                let rounded = (size as usize).div_ceil(size_pkt) * size_pkt;
                (
                    rounded as u32,
                    timeout_per_mb(ERASE_REGION_TIMEOUT_PER_MB, rounded as u64),
                )
            };
            (
                op::FLASH_DEFL_BEGIN,
                packet::words(&[write_size, num, size_pkt as u32, addr]),
                timeout,
            )
        } else {
            // Plain packets divide the sector, so padding the last one never reaches a
            // block that was skipped.
            let size_pkt = if self.stub {
                SECTOR as usize
            } else {
                ROM_WRITE_SIZE
            };
            w.packets = bytes
                .chunks(size_pkt)
                .map(|c| {
                    let mut v = c.to_vec();
                    v.resize(size_pkt, 0xFF);
                    v
                })
                .collect();
            let (erase, timeout) = if self.stub {
                (size, DEFAULT_TIMEOUT)
            } else {
                (
                    chip.rom_erase_size(addr, size),
                    timeout_per_mb(ERASE_REGION_TIMEOUT_PER_MB, u64::from(size)),
                )
            };
            (
                op::FLASH_BEGIN,
                packet::words(&[erase, w.packets.len() as u32, size_pkt as u32, addr]),
                timeout,
            )
        };
        if extended {
            params.extend_from_slice(&0u32.to_le_bytes());
        }
        self.request(op_begin, &params, 0, timeout, now);
        w.phase = WritePhase::Begin;
        Job::Write(w)
    }

    fn data_op_name(w: &WriteJob) -> &'static str {
        if w.compressed {
            "FLASH_DEFL_DATA"
        } else {
            "FLASH_DATA"
        }
    }

    /// Send packet `seq` of the current range (send `attempt + 1` of it); after the last one
    /// verify the range.
    pub(super) fn send_data(&mut self, mut w: WriteJob, seq: usize, attempt: u32, now: u64) -> Job {
        let Range {
            start: s, end: e, ..
        } = w.ranges[w.range];
        if seq >= w.packets.len() {
            w.written += (e - s) as u64;
            w.packets.clear();
            w.phase = WritePhase::Verify;
            self.md5_request(w.offset + s as u32, (e - s) as u32, now);
            return Job::Write(w);
        }
        let op_data = if w.compressed {
            op::FLASH_DEFL_DATA
        } else {
            op::FLASH_DATA
        };
        let pkt = packet::data_command(op_data, seq as u32, &w.packets[seq]);
        // The uncompressed share of this packet bounds the flash work it triggers.
        let share = ((e - s) / w.packets.len().max(1)).max(self.write_size()) as u64;
        self.send_packet(
            op_data,
            pkt,
            timeout_per_mb(ERASE_WRITE_TIMEOUT_PER_MB, share),
            now,
        );
        if attempt == 0 {
            let done_in_range = ((e - s) as u64 * (seq as u64 + 1)) / w.packets.len() as u64;
            self.progress(Stage::Write, w.written + done_in_range, w.to_write);
        }
        w.phase = WritePhase::Data { seq, attempt };
        Job::Write(w)
    }

    pub(super) fn write_done(&mut self, w: &WriteJob) -> Job {
        let blocks_written = w.differs.iter().filter(|d| **d).count() as u32;
        self.finish(Done::Written(WriteReport {
            offset: w.offset,
            len: w.data.len() as u32,
            blocks_total: w.differs.len() as u32,
            blocks_written,
            bytes_sent: self.bytes_sent - w.sent_at_start,
        }))
    }
}

/// The MD5 of `len` bytes of erased flash (0xFF).
fn erased_md5(len: usize) -> [u8; 16] {
    let ff = [0xFFu8; 256];
    let mut h = Md5::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(ff.len());
        h.update(&ff[..n]);
        left -= n;
    }
    h.finalize().into()
}
