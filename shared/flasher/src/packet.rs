//! The loader's packets: a command is `00 op len:u16 checksum:u32 data`; a response is
//! `01 op len:u16 value:u32 data`, where `data` ends with the status bytes (status, error; the
//! ROMs of all chips but the ESP8266 add two reserved bytes, the stub does not). Numbers are
//! little-endian.

use alloc::vec::Vec;

/// Command opcodes (esptool's `ESP_CMDS`).
pub mod op {
    pub const FLASH_BEGIN: u8 = 0x02;
    pub const FLASH_DATA: u8 = 0x03;
    pub const FLASH_END: u8 = 0x04;
    pub const MEM_BEGIN: u8 = 0x05;
    pub const MEM_END: u8 = 0x06;
    pub const MEM_DATA: u8 = 0x07;
    pub const SYNC: u8 = 0x08;
    pub const WRITE_REG: u8 = 0x09;
    pub const READ_REG: u8 = 0x0A;
    pub const SPI_SET_PARAMS: u8 = 0x0B;
    pub const SPI_ATTACH: u8 = 0x0D;
    pub const READ_FLASH_SLOW: u8 = 0x0E;
    pub const CHANGE_BAUDRATE: u8 = 0x0F;
    pub const FLASH_DEFL_BEGIN: u8 = 0x10;
    pub const FLASH_DEFL_DATA: u8 = 0x11;
    pub const FLASH_DEFL_END: u8 = 0x12;
    pub const SPI_FLASH_MD5: u8 = 0x13;
    pub const GET_SECURITY_INFO: u8 = 0x14;
    pub const ERASE_FLASH: u8 = 0xD0;
    pub const ERASE_REGION: u8 = 0xD1;
    pub const READ_FLASH: u8 = 0xD2;
    pub const RUN_USER_CODE: u8 = 0xD3;

    /// A name for messages.
    pub fn name(op: u8) -> &'static str {
        match op {
            FLASH_BEGIN => "FLASH_BEGIN",
            FLASH_DATA => "FLASH_DATA",
            FLASH_END => "FLASH_END",
            MEM_BEGIN => "MEM_BEGIN",
            MEM_END => "MEM_END",
            MEM_DATA => "MEM_DATA",
            SYNC => "SYNC",
            WRITE_REG => "WRITE_REG",
            READ_REG => "READ_REG",
            SPI_SET_PARAMS => "SPI_SET_PARAMS",
            SPI_ATTACH => "SPI_ATTACH",
            READ_FLASH_SLOW => "READ_FLASH_SLOW",
            CHANGE_BAUDRATE => "CHANGE_BAUDRATE",
            FLASH_DEFL_BEGIN => "FLASH_DEFL_BEGIN",
            FLASH_DEFL_DATA => "FLASH_DEFL_DATA",
            FLASH_DEFL_END => "FLASH_DEFL_END",
            SPI_FLASH_MD5 => "SPI_FLASH_MD5",
            GET_SECURITY_INFO => "GET_SECURITY_INFO",
            ERASE_FLASH => "ERASE_FLASH",
            ERASE_REGION => "ERASE_REGION",
            READ_FLASH => "READ_FLASH",
            RUN_USER_CODE => "RUN_USER_CODE",
            _ => "command",
        }
    }
}

/// The seed of the data checksum (`ESP_CHECKSUM_MAGIC`).
pub const CHECKSUM_SEED: u8 = 0xEF;

/// The checksum of a data command's payload: XOR of its bytes with the seed.
pub fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(CHECKSUM_SEED, |acc, b| acc ^ b)
}

/// The SYNC payload: `07 07 12 20` and 32 bytes of `0x55`.
pub fn sync_payload() -> Vec<u8> {
    let mut d = alloc::vec![0x07, 0x07, 0x12, 0x20];
    d.extend_from_slice(&[0x55; 32]);
    d
}

/// A command packet (not yet SLIP-framed).
pub fn command(op: u8, data: &[u8], checksum: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + data.len());
    p.push(0x00);
    p.push(op);
    p.extend_from_slice(&(data.len() as u16).to_le_bytes());
    p.extend_from_slice(&checksum.to_le_bytes());
    p.extend_from_slice(data);
    p
}

/// Little-endian words, concatenated.
pub fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A data command (FLASH_DATA, FLASH_DEFL_DATA, MEM_DATA): `len seq 0 0 data`, checksummed.
pub fn data_command(op: u8, seq: u32, data: &[u8]) -> Vec<u8> {
    let mut d = words(&[data.len() as u32, seq, 0, 0]);
    d.extend_from_slice(data);
    command(op, &d, u32::from(checksum(data)))
}

/// A response packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub op: u8,
    pub value: u32,
    pub data: Vec<u8>,
}

/// Parse a frame as a response; `None` if it is not one (direction byte not 1, too short, or
/// a length field larger than the frame).
pub fn parse_response(frame: &[u8]) -> Option<Response> {
    if frame.len() < 8 || frame[0] != 0x01 {
        return None;
    }
    let len = usize::from(u16::from_le_bytes([frame[2], frame[3]]));
    let data = frame.get(8..8 + len)?;
    Some(Response {
        op: frame[1],
        value: u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]),
        data: data.to_vec(),
    })
}

/// The status of a response whose data starts with `payload_len` result bytes, as esptool's
/// `check_command` reads it: `Ok(())` or `Err((status, error))`. A response too short for its
/// payload is judged by its first two bytes (a failing command sends no payload).
pub fn status(resp: &Response, payload_len: usize) -> Result<(), (u8, u8)> {
    let d = &resp.data;
    let at = if d.len() >= payload_len + 2 {
        payload_len
    } else {
        0
    };
    match (d.get(at), d.get(at + 1)) {
        (Some(0), _) if d.len() >= payload_len + 2 => Ok(()),
        (Some(&s), e) if s != 0 => Err((s, e.copied().unwrap_or(0))),
        _ => Err((0, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn checksum_is_xor_with_seed() {
        assert_eq!(checksum(&[]), 0xEF);
        assert_eq!(checksum(&[0xEF]), 0);
        assert_eq!(checksum(&[1, 2, 4]), 0xEF ^ 7);
    }

    #[test]
    fn command_layout() {
        let p = data_command(op::FLASH_DATA, 3, &[0xAA, 0xBB]);
        assert_eq!(
            p,
            vec![
                0,
                0x03,
                18,
                0,
                0xEF ^ 0xAA ^ 0xBB,
                0,
                0,
                0, // header
                2,
                0,
                0,
                0,
                3,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0, // len seq 0 0
                0xAA,
                0xBB
            ]
        );
        let s = command(op::SYNC, &sync_payload(), 0);
        assert_eq!(s.len(), 8 + 36);
        assert_eq!(&s[8..12], &[7, 7, 0x12, 0x20]);
    }

    #[test]
    fn responses_and_status() {
        let ok = parse_response(&[1, 0x0A, 4, 0, 0x83, 0x1D, 0xF0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(ok.value, 0x00F0_1D83);
        assert_eq!(status(&ok, 0), Ok(()));
        let stub_ok = parse_response(&[1, 0x0A, 2, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(status(&stub_ok, 0), Ok(()));
        let bad = parse_response(&[1, 0x03, 4, 0, 0, 0, 0, 0, 1, 0x07, 0, 0]).unwrap();
        assert_eq!(status(&bad, 0), Err((1, 7)));
        // MD5 from the stub: 16 bytes then status; a short failing answer.
        let mut md5 = vec![1, 0x13, 18, 0, 0, 0, 0, 0];
        md5.extend([9u8; 16]);
        md5.extend([0, 0]);
        assert_eq!(status(&parse_response(&md5).unwrap(), 16), Ok(()));
        let short = parse_response(&[1, 0x13, 2, 0, 0, 0, 0, 0, 1, 0xC1]).unwrap();
        assert_eq!(status(&short, 16), Err((1, 0xC1)));
        let too_short = parse_response(&[1, 0x13, 2, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(status(&too_short, 16).is_err());
        assert!(parse_response(&[0, 1, 2]).is_none());
        assert!(parse_response(&[1, 0x0A, 9, 0, 0, 0, 0, 0, 0]).is_none());
    }
}
