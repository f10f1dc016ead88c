//! A project in a link's fragment: `v1.` + base64url (no padding) of the raw-deflated JSON of
//! the project's name, files and HTTP mocks (not its store id or change time). Decoding treats
//! the fragment as hostile: its length, the decompressed size and the project are bounded, and
//! every failure is an error value saying what is wrong — never a panic.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ferrite_protocols::base64;
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
    let mut out = String::from(PREFIX);
    out.push_str(&base64::encode_url(&packed));
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
    let packed = base64::decode_url(body.as_bytes())
        .map_err(|e| alloc::format!("the link is damaged ({e})"))?;
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
