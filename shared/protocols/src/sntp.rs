//! SNTP (RFC 4330): a client that keeps the offset between the device's boot clock and the
//! wall clock, sans-IO.
//!
//! The target drives it: [`SntpClient::poll`] says when to send a request (to which server, and
//! the 48 bytes), the target looks the name up and sends them to UDP port 123, feeds the reply
//! to [`SntpClient::on_reply`] and reports a failed lookup or send with [`SntpClient::failed`].
//! Without a reply within [`REPLY_TIMEOUT_MS`] it tries again after a pause that doubles from
//! [`RETRY_MIN_MS`] to [`RETRY_MAX_MS`]; once synchronised it asks again every
//! [`RESYNC_MS`]. The request's transmit timestamp is a random cookie, not the device's time
//! (which it does not know): a reply counts only if it echoes the cookie, so a stray or forged
//! packet cannot set the clock.
//!
//! The offset is the classic NTP one, θ = ((T2 − T1) + (T3 − T4)) / 2, with T1 and T4 the boot
//! clock when the request left and the reply came, T2 and T3 the server's receive and transmit
//! times: the wall clock is then the boot clock plus θ.
//!
//! Must never: trust a reply that is not the answer to the request in flight, from a server that
//! says it is unsynchronised, or that carries no time; send more than one request per pause.

use alloc::string::String;
use core::fmt;

/// The NTP port.
pub const PORT: u16 = 123;
/// An NTP packet without extensions.
pub const PACKET_LEN: usize = 48;
/// How long a request waits for its reply.
pub const REPLY_TIMEOUT_MS: u64 = 5_000;
/// The first pause after a failed request…
pub const RETRY_MIN_MS: u64 = 4_000;
/// …doubling up to this.
pub const RETRY_MAX_MS: u64 = 300_000;
/// How often a synchronised client asks again.
pub const RESYNC_MS: u64 = 3_600_000;
/// The server when none is configured (Shelly's default `sys.sntp.server`).
pub const DEFAULT_SERVER: &str = "time.google.com";

/// Seconds from 1900-01-01 (NTP's era 0) to 1970-01-01.
const NTP_TO_UNIX_S: i64 = 2_208_988_800;

/// A request to send: `packet` to UDP port [`PORT`] of `server`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SntpRequest {
    pub server: String,
    pub packet: [u8; PACKET_LEN],
}

/// Why a reply was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SntpError {
    /// No request is waiting for a reply.
    NotWaiting,
    /// Shorter than an NTP packet (its length).
    Short(usize),
    /// Not a server's reply (the mode it has).
    NotAServerReply(u8),
    /// It does not echo the request's cookie: a stray, late or forged packet.
    NotOurRequest,
    /// The server says its clock is not synchronised (leap indicator 3).
    Unsynchronised,
    /// A kiss-o'-death (stratum 0) with its code, such as `RATE` or `DENY`.
    KissOfDeath([u8; 4]),
    /// The reply carries no transmit time.
    NoTime,
}

impl fmt::Display for SntpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SntpError::NotWaiting => f.write_str("an SNTP reply when no request was waiting"),
            SntpError::Short(n) => write!(f, "an SNTP reply of {n} bytes (at least 48)"),
            SntpError::NotAServerReply(mode) => {
                write!(f, "an NTP packet of mode {mode}, not a server's reply (4)")
            }
            SntpError::NotOurRequest => {
                f.write_str("an SNTP reply that does not answer the request in flight")
            }
            SntpError::Unsynchronised => f.write_str("the SNTP server's clock is not synchronised"),
            SntpError::KissOfDeath(code) => write!(
                f,
                "the SNTP server refused (kiss-o'-death {})",
                String::from_utf8_lossy(code)
            ),
            SntpError::NoTime => f.write_str("an SNTP reply without a transmit time"),
        }
    }
}

/// Where the client is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing in flight; the next request at `at` (boot ms).
    Idle { at: u64 },
    /// A request left at `sent` with this cookie.
    Waiting { sent: u64, cookie: [u8; 8] },
}

/// The client: its server, its schedule and the offset it found.
#[derive(Clone, Debug)]
pub struct SntpClient {
    server: String,
    state: State,
    /// The pause after the next failure.
    retry_ms: u64,
    /// Wall clock minus boot clock (ms), once a reply was taken.
    offset_ms: Option<i64>,
    /// xorshift state for the cookies.
    random: u64,
}

impl SntpClient {
    /// A client of `server` (empty: [`DEFAULT_SERVER`]) that asks at once; `seed` makes the
    /// cookies (any value; a random one from the target).
    pub fn new(server: &str, seed: u64) -> SntpClient {
        SntpClient {
            server: server_or_default(server),
            state: State::Idle { at: 0 },
            retry_ms: RETRY_MIN_MS,
            offset_ms: None,
            random: seed | 1,
        }
    }

    /// The server asked.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Ask `server` (empty: the default) from now on; a change asks at once. The offset found
    /// so far stays until the new server answers.
    pub fn set_server(&mut self, server: &str, now_ms: u64) {
        let server = server_or_default(server);
        if server != self.server {
            self.server = server;
            self.state = State::Idle { at: now_ms };
            self.retry_ms = RETRY_MIN_MS;
        }
    }

    /// The request to send now, if it is time for one. A request whose reply did not come in
    /// [`REPLY_TIMEOUT_MS`] counts as failed here.
    pub fn poll(&mut self, now_ms: u64) -> Option<SntpRequest> {
        match self.state {
            State::Waiting { sent, .. } => {
                if now_ms.saturating_sub(sent) >= REPLY_TIMEOUT_MS {
                    self.failed(now_ms);
                }
                None
            }
            State::Idle { at } if now_ms >= at => {
                let cookie = self.next_cookie();
                let mut packet = [0u8; PACKET_LEN];
                // Leap indicator 0, version 4, mode 3 (client).
                packet[0] = 0b00_100_011;
                packet[40..48].copy_from_slice(&cookie);
                self.state = State::Waiting {
                    sent: now_ms,
                    cookie,
                };
                Some(SntpRequest {
                    server: self.server.clone(),
                    packet,
                })
            }
            State::Idle { .. } => None,
        }
    }

    /// The request in flight really left at `now_ms`: a target that looked the server's name up
    /// after [`SntpClient::poll`] says when it sent the packet, so that the lookup does not
    /// count as part of the round trip and the reply's time limit starts then.
    pub fn sent_at(&mut self, now_ms: u64) {
        if let State::Waiting { sent, .. } = &mut self.state {
            *sent = now_ms;
        }
    }

    /// The request in flight failed (its name did not resolve, it could not be sent, or it
    /// timed out): try again after the pause, which doubles for the next failure.
    pub fn failed(&mut self, now_ms: u64) {
        self.state = State::Idle {
            at: now_ms.saturating_add(self.retry_ms),
        };
        self.retry_ms = (self.retry_ms * 2).min(RETRY_MAX_MS);
    }

    /// A packet that came from the server's port at boot time `now_ms`. Taken, it sets the
    /// offset; refused, the request stays in flight (a stray packet does not end it) unless the
    /// server answered it with an error (unsynchronised, kiss-o'-death), which counts as a
    /// failure (a kiss-o'-death pauses for the longest time, as RFC 4330 asks).
    pub fn on_reply(&mut self, data: &[u8], now_ms: u64) -> Result<(), SntpError> {
        let State::Waiting { sent, cookie } = self.state else {
            return Err(SntpError::NotWaiting);
        };
        if data.len() < PACKET_LEN {
            return Err(SntpError::Short(data.len()));
        }
        let mode = data[0] & 0b111;
        if mode != 4 {
            return Err(SntpError::NotAServerReply(mode));
        }
        if data[24..32] != cookie {
            return Err(SntpError::NotOurRequest);
        }
        let refused = if data[0] >> 6 == 3 {
            Some(SntpError::Unsynchronised)
        } else if data[1] == 0 {
            let mut code = [0u8; 4];
            code.copy_from_slice(&data[12..16]);
            Some(SntpError::KissOfDeath(code))
        } else if data[40..48] == [0; 8] {
            Some(SntpError::NoTime)
        } else {
            None
        };
        if let Some(e) = refused {
            if matches!(e, SntpError::KissOfDeath(_)) {
                self.retry_ms = RETRY_MAX_MS;
            }
            self.failed(now_ms);
            return Err(e);
        }
        // Saturating: no boot clock reaches i64::MAX ms, but no input may make this panic.
        let t1 = i64::try_from(sent).unwrap_or(i64::MAX);
        let t4 = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let t2 = ntp_to_unix_ms(&data[32..40]);
        let t3 = ntp_to_unix_ms(&data[40..48]);
        self.offset_ms = Some(t2.saturating_sub(t1).saturating_add(t3.saturating_sub(t4)) / 2);
        self.state = State::Idle {
            at: now_ms.saturating_add(RESYNC_MS),
        };
        self.retry_ms = RETRY_MIN_MS;
        Ok(())
    }

    /// Wall clock minus boot clock (ms), once a server answered.
    pub fn offset_ms(&self) -> Option<i64> {
        self.offset_ms
    }

    /// The wall clock (ms since the Unix epoch) at boot time `now_ms`, once a server answered.
    pub fn unix_time_ms(&self, now_ms: u64) -> Option<f64> {
        self.offset_ms
            .map(|o| i64::try_from(now_ms).unwrap_or(i64::MAX).saturating_add(o) as f64)
    }

    fn next_cookie(&mut self) -> [u8; 8] {
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random = x;
        x.to_be_bytes()
    }
}

fn server_or_default(server: &str) -> String {
    let server = server.trim();
    String::from(if server.is_empty() {
        DEFAULT_SERVER
    } else {
        server
    })
}

/// An NTP timestamp (seconds since 1900 and a 32-bit fraction, big-endian) as ms since the Unix
/// epoch. Seconds with the top bit clear are read as era 1 (from 2036-02-07), so the client
/// keeps working after NTP's first era ends; the earliest time it reads is 1968.
fn ntp_to_unix_ms(ts: &[u8]) -> i64 {
    let secs = u32::from_be_bytes([ts[0], ts[1], ts[2], ts[3]]);
    let frac = u32::from_be_bytes([ts[4], ts[5], ts[6], ts[7]]);
    let era = if secs & 0x8000_0000 == 0 {
        1i64 << 32
    } else {
        0
    };
    let unix_s = i64::from(secs) + era - NTP_TO_UNIX_S;
    // The fraction to the nearest millisecond.
    unix_s * 1000 + ((u64::from(frac) * 1000 + (1 << 31)) >> 32) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server's reply to `request`: receive time `t2`, transmit time `t3` (Unix ms).
    fn reply(request: &[u8; PACKET_LEN], t2: i64, t3: i64) -> [u8; PACKET_LEN] {
        let mut p = [0u8; PACKET_LEN];
        p[0] = 0b00_100_100;
        p[1] = 2;
        p[24..32].copy_from_slice(&request[40..48]);
        p[32..40].copy_from_slice(&unix_ms_to_ntp(t2));
        p[40..48].copy_from_slice(&unix_ms_to_ntp(t3));
        p
    }

    fn unix_ms_to_ntp(ms: i64) -> [u8; 8] {
        let secs = (ms.div_euclid(1000) + NTP_TO_UNIX_S) as u64 as u32;
        let frac = ((ms.rem_euclid(1000) as u64) << 32) / 1000;
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&secs.to_be_bytes());
        out[4..].copy_from_slice(&(frac as u32).to_be_bytes());
        out
    }

    const NOV_2026: i64 = 1_795_550_092_000;

    #[test]
    fn a_request_is_a_version_4_client_packet_with_a_cookie() {
        let mut c = SntpClient::new("", 42);
        assert_eq!(c.server(), DEFAULT_SERVER);
        let r = c.poll(0).unwrap();
        assert_eq!(r.server, "time.google.com");
        assert_eq!(r.packet[0], 0x23);
        assert!(r.packet[1..40].iter().all(|b| *b == 0));
        assert_ne!(r.packet[40..48], [0; 8]);
        // One request in flight at a time.
        assert_eq!(c.poll(10), None);
    }

    #[test]
    fn the_offset_splits_the_round_trip() {
        let mut c = SntpClient::new("pool.ntp.org", 7);
        let r = c.poll(1_000).unwrap();
        // 100 ms there and back; the server takes 2 ms.
        let p = reply(&r.packet, NOV_2026 + 50, NOV_2026 + 52);
        c.on_reply(&p, 1_102).unwrap();
        assert_eq!(c.offset_ms(), Some(NOV_2026 - 1_000));
        assert_eq!(c.unix_time_ms(1_102), Some((NOV_2026 + 102) as f64));
        // Next request an hour later.
        assert_eq!(c.poll(1_102 + RESYNC_MS - 1), None);
        assert!(c.poll(1_102 + RESYNC_MS).is_some());
    }

    #[test]
    fn timestamps_of_ntp_era_1_read_as_after_2036() {
        let mut ts = [0u8; 8];
        ts[..4].copy_from_slice(&16u32.to_be_bytes());
        // 2036-02-07T06:28:16Z + 16 s.
        assert_eq!(ntp_to_unix_ms(&ts), (2_085_978_496 + 16) * 1000);
        ts[4..].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        assert_eq!(ntp_to_unix_ms(&ts), (2_085_978_496 + 16) * 1000 + 500);
        assert_eq!(ntp_to_unix_ms(&unix_ms_to_ntp(NOV_2026)), NOV_2026);
    }

    #[test]
    fn replies_that_do_not_answer_the_request_are_refused_and_it_stays_in_flight() {
        let mut c = SntpClient::new("ntp", 9);
        assert_eq!(c.on_reply(&[0; 48], 0), Err(SntpError::NotWaiting));
        let r = c.poll(0).unwrap();
        let good = reply(&r.packet, NOV_2026, NOV_2026);
        assert_eq!(c.on_reply(&good[..47], 5), Err(SntpError::Short(47)));
        let mut client_mode = good;
        client_mode[0] = 0x23;
        assert_eq!(
            c.on_reply(&client_mode, 5),
            Err(SntpError::NotAServerReply(3))
        );
        let mut forged = good;
        forged[24] ^= 1;
        assert_eq!(c.on_reply(&forged, 5), Err(SntpError::NotOurRequest));
        assert_eq!(c.offset_ms(), None);
        // The real answer still counts.
        c.on_reply(&good, 10).unwrap();
        assert_eq!(c.offset_ms(), Some(NOV_2026 - 5));
        // A second copy of it does not.
        assert_eq!(c.on_reply(&good, 11), Err(SntpError::NotWaiting));
    }

    #[test]
    fn a_server_that_is_unsynchronised_refuses_or_sends_no_time_is_a_failure() {
        let mut c = SntpClient::new("ntp", 3);
        let r = c.poll(0).unwrap();
        let mut p = reply(&r.packet, NOV_2026, NOV_2026);
        p[0] |= 0b11 << 6;
        assert_eq!(c.on_reply(&p, 1), Err(SntpError::Unsynchronised));
        assert_eq!(c.poll(1 + RETRY_MIN_MS - 1), None);
        let r = c.poll(1 + RETRY_MIN_MS).unwrap();
        let mut p = reply(&r.packet, NOV_2026, NOV_2026);
        p[40..48].fill(0);
        assert_eq!(c.on_reply(&p, 5_000), Err(SntpError::NoTime));
        let r = c.poll(5_000 + 2 * RETRY_MIN_MS).unwrap();
        let mut p = reply(&r.packet, NOV_2026, NOV_2026);
        p[1] = 0;
        p[12..16].copy_from_slice(b"RATE");
        let e = c.on_reply(&p, 20_000).unwrap_err();
        assert_eq!(e, SntpError::KissOfDeath(*b"RATE"));
        assert!(alloc::format!("{e}").contains("kiss-o'-death RATE"));
        // A kiss-o'-death pauses for the longest time.
        assert_eq!(c.poll(20_000 + RETRY_MAX_MS - 1), None);
        assert!(c.poll(20_000 + RETRY_MAX_MS).is_some());
        assert_eq!(c.offset_ms(), None);
    }

    #[test]
    fn without_a_reply_it_retries_after_doubling_pauses_up_to_the_longest() {
        let mut c = SntpClient::new("ntp", 5);
        let mut now = 0;
        let mut pauses = alloc::vec::Vec::new();
        for _ in 0..10 {
            assert!(c.poll(now).is_some());
            now += REPLY_TIMEOUT_MS;
            assert_eq!(c.poll(now), None, "the timeout only ends the request");
            let at = (now..now + 2 * RETRY_MAX_MS)
                .step_by(1000)
                .find(|t| c.clone().poll(*t).is_some())
                .unwrap();
            pauses.push(at - now);
            now = at;
        }
        assert_eq!(pauses[..4], [4_000, 8_000, 16_000, 32_000]);
        assert_eq!(*pauses.last().unwrap(), RETRY_MAX_MS);
        // A lookup that fails counts the same; a success resets the pause.
        let r = c.poll(now).unwrap();
        c.on_reply(&reply(&r.packet, NOV_2026, NOV_2026), now + 1)
            .unwrap();
        let at = now + 1 + RESYNC_MS;
        assert!(c.poll(at).is_some());
        c.failed(at);
        assert!(c.poll(at + RETRY_MIN_MS).is_some());
    }

    #[test]
    fn a_new_server_is_asked_at_once_and_the_old_offset_stays_until_it_answers() {
        let mut c = SntpClient::new("a.example", 11);
        let r = c.poll(0).unwrap();
        c.on_reply(&reply(&r.packet, NOV_2026, NOV_2026), 0)
            .unwrap();
        assert_eq!(c.poll(10), None);
        c.set_server("a.example", 10);
        assert_eq!(c.poll(10), None, "the same server changes nothing");
        c.set_server(" b.example ", 20);
        let r = c.poll(20).unwrap();
        assert_eq!(r.server, "b.example");
        assert_eq!(c.offset_ms(), Some(NOV_2026));
        c.set_server("", 30);
        assert_eq!(c.poll(30).unwrap().server, DEFAULT_SERVER);
    }

    #[test]
    fn the_round_trip_starts_when_the_request_really_left() {
        let mut c = SntpClient::new("ntp.example", 13);
        let r = c.poll(1_000).unwrap();
        // The name took 400 ms to look up; the packet left at 1400 and the reply came at 1500.
        c.sent_at(1_400);
        c.on_reply(&reply(&r.packet, NOV_2026, NOV_2026), 1_500)
            .unwrap();
        assert_eq!(c.offset_ms(), Some(NOV_2026 - 1_450));
        // The reply's time limit counts from the send too: 3 s of lookup and almost the whole
        // limit later, the reply is still taken.
        let t = 1_500 + RESYNC_MS;
        let r = c.poll(t).unwrap();
        c.sent_at(t + 3_000);
        let late = t + 3_000 + REPLY_TIMEOUT_MS - 1;
        assert_eq!(c.poll(late), None);
        c.on_reply(&reply(&r.packet, NOV_2026, NOV_2026), late)
            .unwrap();
    }

    #[test]
    fn cookies_differ_from_request_to_request() {
        let mut c = SntpClient::new("ntp", 0);
        let a = c.poll(0).unwrap().packet;
        c.failed(0);
        let b = c.poll(RETRY_MIN_MS).unwrap().packet;
        assert_ne!(a[40..48], b[40..48]);
    }
}
