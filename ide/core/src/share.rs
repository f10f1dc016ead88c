//! A project in a link's fragment: `v1.` + base64url (no padding) of the raw-deflated JSON of
//! the project's name, files and HTTP mocks (not its store id or change time). Decoding treats
//! the fragment as hostile: its length, the decompressed size and the project are bounded, and
//! every failure is an error value saying what is wrong — never a panic.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::project::{Project, ProjectFile};
use crate::protocol::HttpMock;

/// The version prefix of the payload.
pub const PREFIX: &str = "v1.";
/// Longest fragment accepted.
pub const MAX_FRAGMENT_BYTES: usize = 4 << 20;
/// Largest decompressed JSON accepted.
pub const MAX_JSON_BYTES: usize = 2 << 20;

/// What a link carries.
#[derive(Serialize, Deserialize)]
struct Shared {
    name: String,
    files: Vec<ProjectFile>,
    #[serde(default)]
    http_mocks: Vec<HttpMock>,
}

/// The fragment payload for `project` (without `#`).
pub fn encode(project: &Project) -> String {
    let shared = Shared {
        name: project.name.clone(),
        files: project.files.clone(),
        http_mocks: project.http_mocks.clone(),
    };
    let json = serde_json::to_vec(&shared).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 10);
    let mut out = String::with_capacity(PREFIX.len() + packed.len() * 4 / 3 + 4);
    out.push_str(PREFIX);
    base64url_encode(&packed, &mut out);
    out
}

/// The project a fragment payload carries, or why it cannot be opened.
pub fn decode(fragment: &str) -> Result<Project, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    if fragment.len() > MAX_FRAGMENT_BYTES {
        return Err(alloc::format!(
            "the link is too long ({} bytes, at most {MAX_FRAGMENT_BYTES})",
            fragment.len()
        ));
    }
    let Some(body) = fragment.strip_prefix(PREFIX) else {
        return Err(match fragment.split_once('.') {
            Some((v, _)) if v.starts_with('v') && v.len() <= 8 => alloc::format!(
                "this link was made by another version of Ferrite (format {v}, expected v1)"
            ),
            _ => "this is not a Ferrite project link".to_string(),
        });
    };
    let packed = base64url_decode(body)?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                alloc::format!("the project in the link is larger than {MAX_JSON_BYTES} bytes")
            }
            _ => "the link is damaged (its data does not decompress)".to_string(),
        })?;
    let shared: Shared = serde_json::from_slice(&json)
        .map_err(|e| alloc::format!("the link does not hold a project: {e}"))?;
    let project = Project {
        id: String::new(),
        name: shared.name,
        files: shared.files,
        http_mocks: shared.http_mocks,
        modified_ms: 0.0,
    };
    project
        .validate()
        .map_err(|e| alloc::format!("the project in the link is invalid: {e}"))?;
    Ok(project)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_encode(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
}

fn sextet(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

fn base64url_decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return Err("the link is damaged (its length is not valid base64url)".into());
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = sextet(c).ok_or_else(|| {
                alloc::format!(
                    "the link is damaged (character {:?} is not base64url)",
                    c as char
                )
            })?;
            n |= v << (18 - 6 * i);
        }
        let take = chunk.len() - 1;
        for i in 0..take {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut s = String::new();
            base64url_encode(&data, &mut s);
            assert!(!s.contains('='));
            assert_eq!(base64url_decode(&s).unwrap(), data, "len {len}");
        }
    }
}
