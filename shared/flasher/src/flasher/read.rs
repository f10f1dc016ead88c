//! Reading flash: the stub's streamed READ_FLASH (acknowledged per packet, checked against the
//! stub's MD5) or the ROM's 64-byte READ_FLASH_SLOW (checked by SPI_FLASH_MD5).
//!
//! Must never: return data that the device's digest did not confirm.

use super::*;

impl Flasher {
    pub(super) fn read_step(&mut self, mut r: ReadJob, input: Input, now: u64) -> Job {
        const SLOW_BLOCK: u32 = 64;
        match (&r.phase, input) {
            (ReadPhase::Begin, Input::Start) => {
                if self.stub {
                    self.request(
                        op::READ_FLASH,
                        &packet::words(&[r.offset, r.len, SECTOR, 64]),
                        0,
                        DEFAULT_TIMEOUT,
                        now,
                    );
                } else {
                    r.phase = ReadPhase::Slow;
                    self.read_slow(&r, now);
                }
                Job::Read(r)
            }
            (ReadPhase::Begin, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, 0) {
                    return self.fail(e);
                }
                r.phase = ReadPhase::Stream;
                self.wake_at = Some(now + DEFAULT_TIMEOUT);
                Job::Read(r)
            }
            (ReadPhase::Stream, Input::Frame(f)) => {
                let want = r.len as usize;
                if r.data.len() + f.len() > want {
                    return self.fail(Error::BadResponse {
                        command: "READ_FLASH",
                        detail: "more data than asked for".into(),
                    });
                }
                r.data.extend_from_slice(&f);
                if r.data.len() < want && f.len() < SECTOR as usize {
                    return self.fail(Error::BadResponse {
                        command: "READ_FLASH",
                        detail: format!("a short packet of {} bytes", f.len()),
                    });
                }
                self.send_raw(&(r.data.len() as u32).to_le_bytes());
                self.progress(Stage::Read, r.data.len() as u64, want as u64);
                if r.data.len() == want {
                    r.phase = ReadPhase::Digest;
                }
                self.wake_at = Some(now + DEFAULT_TIMEOUT);
                Job::Read(r)
            }
            (ReadPhase::Digest, Input::Frame(f)) => {
                self.wake_at = None;
                if f.len() != 16 {
                    return self.fail(Error::BadResponse {
                        command: "READ_FLASH",
                        detail: format!("expected a 16-byte digest, got {} bytes", f.len()),
                    });
                }
                if f.as_slice() != md5(&r.data).as_slice() {
                    return self.fail(Error::VerifyFailed {
                        offset: r.offset,
                        len: r.len,
                    });
                }
                let data = core::mem::take(&mut r.data);
                self.finish(Done::Read(data))
            }
            (ReadPhase::Slow, Input::Response(resp)) => {
                if let Err(e) = Self::check(&resp, SLOW_BLOCK as usize) {
                    return self.fail(e);
                }
                let remaining = r.len as usize - r.data.len();
                let take = remaining.min(SLOW_BLOCK as usize);
                r.data.extend_from_slice(&resp.data[..take]);
                self.progress(Stage::Read, r.data.len() as u64, u64::from(r.len));
                if r.data.len() < r.len as usize {
                    self.read_slow(&r, now);
                } else {
                    r.phase = ReadPhase::SlowMd5;
                    self.md5_request(r.offset, r.len, now);
                }
                Job::Read(r)
            }
            (ReadPhase::SlowMd5, Input::Response(resp)) => {
                let theirs = match self.md5_result(&resp) {
                    Ok(d) => d,
                    Err(e) => return self.fail(e),
                };
                if theirs != md5(&r.data) {
                    return self.fail(Error::VerifyFailed {
                        offset: r.offset,
                        len: r.len,
                    });
                }
                let data = core::mem::take(&mut r.data);
                self.finish(Done::Read(data))
            }
            (_, Input::Timeout) | (_, Input::Wake) => self.fail(Error::Timeout {
                command: "reading flash",
            }),
            (_, _) => Job::Read(r),
        }
    }

    pub(super) fn read_slow(&mut self, r: &ReadJob, now: u64) {
        let at = r.offset + r.data.len() as u32;
        self.request(
            op::READ_FLASH_SLOW,
            &packet::words(&[at, 64]),
            0,
            DEFAULT_TIMEOUT,
            now,
        );
    }
}
