//! The key-value store (`KVS.Set`, `KVS.Get`, `KVS.GetMany`, `KVS.List`, `KVS.Delete`), with
//! Shelly's limits: keys of at most 42 bytes, values of at most 253 bytes, at most 50 keys.
//! Every change bumps the store's revision `rev`; every entry has an `etag` that changes with
//! its value, for conditional writes. Persisted as one storage file per key
//! (`kvs/k/<hex of key>`, one atomic write each) plus the revision (`kvs/rev`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedMap;

use crate::device::Device;
use crate::json::{field, json, Json};
use crate::log::Level;
use crate::rpc::{code, RpcError};

/// Longest key, in bytes.
pub const KEY_MAX: usize = 42;
/// Longest value, in bytes (a string's bytes; other values as JSON text).
pub const VALUE_MAX: usize = 253;
/// Most keys the store holds.
pub const MAX_KEYS: usize = 50;
/// Items `KVS.GetMany` returns per call (page on with `offset`).
pub const PAGE: usize = 10;

pub const METHODS: &[&str] = &[
    "KVS.Set",
    "KVS.Get",
    "KVS.GetMany",
    "KVS.List",
    "KVS.Delete",
];

/// One stored value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub value: Json,
    pub etag: String,
    /// The store revision that wrote it.
    pub rev: u64,
}

/// The store.
#[derive(Debug, Default)]
pub struct Kvs {
    pub entries: SortedMap<String, Entry>,
    pub rev: u64,
}

const REV_FILE: &str = "kvs/rev";
const ENTRY_PREFIX: &str = "kvs/k/";

fn entry_file(key: &str) -> String {
    format!("{ENTRY_PREFIX}{}", crate::codec::hex_encode(key.as_bytes()))
}

/// Size of a value as the limit counts it.
fn value_len(v: &Json) -> usize {
    match v {
        Json::String(s) => s.len(),
        other => crate::json::to_vec(other).len(),
    }
}

/// An etag: FNV-1a of the revision, key and value (changes whenever the value is written).
fn make_etag(key: &str, value: &Json, rev: u64) -> String {
    let h = crate::codec::fnv1a(&[
        &rev.to_le_bytes(),
        key.as_bytes(),
        &[0],
        &crate::json::to_vec(value),
    ]);
    crate::codec::hex_encode(&h.to_be_bytes())
}

fn key_param(params: &Json) -> Result<&str, RpcError> {
    let key = match field(params, "key") {
        None => return Err(RpcError::invalid("key is required")),
        Some(k) => k
            .as_str()
            .ok_or_else(|| RpcError::invalid("key must be a string"))?,
    };
    if key.is_empty() {
        return Err(RpcError::invalid("key must not be empty"));
    }
    if key.len() > KEY_MAX {
        return Err(RpcError::invalid(format!(
            "key is too long: {} bytes, at most {KEY_MAX}",
            key.len()
        )));
    }
    Ok(key)
}

fn etag_param(params: &Json) -> Result<Option<&str>, RpcError> {
    match field(params, "etag") {
        None => Ok(None),
        Some(e) => e
            .as_str()
            .map(Some)
            .ok_or_else(|| RpcError::invalid("etag must be a string")),
    }
}

fn match_param(params: &Json) -> Result<&str, RpcError> {
    match field(params, "match") {
        None => Ok("*"),
        Some(m) => m
            .as_str()
            .ok_or_else(|| RpcError::invalid("match must be a string")),
    }
}

fn storage_error(e: crate::board::BoardError) -> RpcError {
    RpcError::new(code::INTERNAL, format!("KVS storage: {e}"))
}

/// Write the revision counter.
fn save_rev(d: &mut Device) -> Result<(), RpcError> {
    let rev = format!("{}", d.extras.kvs.rev);
    d.board
        .storage()
        .write(REV_FILE, rev.as_bytes())
        .map_err(storage_error)
}

fn set(d: &mut Device, params: &Json) -> Result<Json, RpcError> {
    let key = key_param(params)?;
    let value = params
        .get("value")
        .ok_or_else(|| RpcError::invalid("value is required"))?;
    let n = value_len(value);
    if n > VALUE_MAX {
        return Err(RpcError::invalid(format!(
            "value is too long: {n} bytes, at most {VALUE_MAX}"
        )));
    }
    let kvs = &d.extras.kvs;
    let old = kvs.entries.get(key);
    if let Some(etag) = etag_param(params)? {
        if old.map(|e| e.etag.as_str()) != Some(etag) {
            return Err(RpcError::precondition(format!(
                "etag mismatch for key {key}"
            )));
        }
    }
    if old.is_none() && kvs.entries.len() >= MAX_KEYS {
        return Err(RpcError::new(
            code::RESOURCE_EXHAUSTED,
            format!("the store holds at most {MAX_KEYS} keys"),
        ));
    }
    let rev = kvs.rev + 1;
    let etag = make_etag(key, value, rev);
    let file = json!({"key": key, "value": value, "etag": etag, "rev": rev});
    d.board
        .storage()
        .write(&entry_file(key), &crate::json::to_vec(&file))
        .map_err(storage_error)?;
    d.extras.kvs.rev = rev;
    d.extras.kvs.entries.insert(
        key.into(),
        Entry {
            value: value.clone(),
            etag: etag.clone(),
            rev,
        },
    );
    save_rev(d)?;
    Ok(json!({"etag": etag, "rev": rev}))
}

fn get(d: &Device, params: &Json) -> Result<Json, RpcError> {
    let key = key_param(params)?;
    match d.extras.kvs.entries.get(key) {
        Some(e) => Ok(json!({"etag": e.etag, "value": e.value})),
        None => Err(RpcError::not_found(format!("no such key: {key}"))),
    }
}

fn get_many(d: &Device, params: &Json) -> Result<Json, RpcError> {
    let pattern = match_param(params)?;
    let offset = match field(params, "offset") {
        None => 0,
        Some(o) => o
            .as_u64()
            .ok_or_else(|| RpcError::invalid("offset must be a non-negative integer"))?
            as usize,
    };
    let matching: Vec<(&String, &Entry)> = d
        .extras
        .kvs
        .entries
        .iter()
        .filter(|(k, _)| super::glob_match(pattern, k))
        .collect();
    let total = matching.len();
    let items: Vec<Json> = matching
        .into_iter()
        .skip(offset)
        .take(PAGE)
        .map(|(k, e)| json!({"key": k, "etag": e.etag, "value": e.value}))
        .collect();
    Ok(json!({"items": items, "offset": offset, "total": total}))
}

fn list(d: &Device, params: &Json) -> Result<Json, RpcError> {
    let pattern = match_param(params)?;
    let mut keys = json!({});
    for (k, e) in &d.extras.kvs.entries {
        if super::glob_match(pattern, k) {
            keys[k.as_str()] = json!({"etag": e.etag});
        }
    }
    Ok(json!({"keys": keys, "rev": d.extras.kvs.rev}))
}

fn delete(d: &mut Device, params: &Json) -> Result<Json, RpcError> {
    let key = key_param(params)?;
    let Some(old) = d.extras.kvs.entries.get(key) else {
        return Err(RpcError::not_found(format!("no such key: {key}")));
    };
    if let Some(etag) = etag_param(params)? {
        if old.etag != etag {
            return Err(RpcError::precondition(format!(
                "etag mismatch for key {key}"
            )));
        }
    }
    d.board
        .storage()
        .remove(&entry_file(key))
        .map_err(storage_error)?;
    d.extras.kvs.entries.remove(key);
    d.extras.kvs.rev += 1;
    save_rev(d)?;
    Ok(json!({"rev": d.extras.kvs.rev}))
}

/// The `KVS.*` methods.
pub fn rpc(d: &mut Device, lower: &str, method: &str, params: &Json) -> Result<Json, RpcError> {
    match lower {
        "kvs.set" => set(d, params),
        "kvs.get" => get(d, params),
        "kvs.getmany" => get_many(d, params),
        "kvs.list" => list(d, params),
        "kvs.delete" => delete(d, params),
        _ => Err(RpcError::no_handler(method)),
    }
}

/// Load the store at boot (the revision is the larger of the counter and any entry's).
pub fn load(d: &mut Device) {
    let mut kvs = Kvs::default();
    if let Ok(Some(bytes)) = d.board.storage().read(REV_FILE) {
        kvs.rev = core::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
    }
    let names = d.board.storage().list(ENTRY_PREFIX).unwrap_or_default();
    for n in names {
        let Ok(Some(bytes)) = d.board.storage().read(&n) else {
            continue;
        };
        let parsed = crate::json::parse_stored(&bytes).ok().and_then(|j| {
            let key = String::from(j.get("key")?.as_str()?);
            let entry = Entry {
                value: j.get("value")?.clone(),
                etag: String::from(j.get("etag")?.as_str()?),
                rev: j.get("rev")?.as_u64()?,
            };
            Some((key, entry))
        });
        match parsed {
            Some((key, entry)) if entry_file(&key) == n => {
                kvs.rev = kvs.rev.max(entry.rev);
                kvs.entries.insert(key, entry);
            }
            _ => d.log(
                Level::Error,
                0,
                format!("{n}: unreadable KVS entry, ignored"),
            ),
        }
    }
    d.extras.kvs = kvs;
}
