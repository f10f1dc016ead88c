//! `FS.List` and `FS.Get`: read-only access to the device's storage (the [`Storage`] board
//! trait, so every target has them), for tools that show what the device keeps.
//!
//! Must never write or remove anything, and never reach outside the storage: names are
//! relative to the storage root, and `..`, `.`, empty components, backslashes and absolute
//! names are refused with -103 before the board sees them.
//!
//! [`Storage`]: crate::board::Storage

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::board::BoardError;
use crate::json::{field, json, Json};
use crate::rpc::{code, RpcError};
use crate::runtime::Runtime;

/// Bytes `FS.Get` returns when `len` is not given.
pub const GET_DEFAULT_LEN: usize = 4096;
/// The most bytes one `FS.Get` returns.
pub const GET_MAX_LEN: usize = 8192;
/// The most entries one `FS.List` answer holds (ask again with `offset` for more).
pub const LIST_MAX_ENTRIES: usize = 128;

type Res = Result<Json, RpcError>;

/// Answer `FS.List` / `FS.Get` (`lower`: the method name in lower case).
pub(crate) fn rpc_method(rt: &mut Runtime, lower: &str, method: &str, params: &Json) -> Res {
    match lower {
        "fs.list" => list(rt, params),
        "fs.get" => get(rt, params),
        _ => Err(RpcError::no_handler(method)),
    }
}

/// A storage name a client may ask for: relative, no `.`/`..`/empty components.
fn check_name(name: &str, what: &str) -> Result<(), RpcError> {
    let bad = |why: &str| RpcError::invalid(format!("{what} {name:?}: {why}"));
    if name.starts_with('/') {
        return Err(bad("absolute names are not allowed"));
    }
    if name.contains('\\') || name.contains('\0') {
        return Err(bad("backslashes and NUL are not allowed"));
    }
    for part in name.split('/') {
        match part {
            "." | ".." => return Err(bad("`.` and `..` are not allowed")),
            _ => {}
        }
    }
    Ok(())
}

fn storage_error(e: BoardError) -> RpcError {
    match e {
        BoardError::InvalidArgument(m) => RpcError::invalid(m),
        e => RpcError::new(code::INTERNAL, format!("{e}")),
    }
}

fn usize_field(params: &Json, key: &str, default: usize) -> Result<usize, RpcError> {
    match field(params, key) {
        None | Some(Json::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .ok_or_else(|| RpcError::invalid(format!("{key} must be a non-negative integer"))),
    }
}

fn str_param<'a>(params: &'a Json, key: &str) -> Result<Option<&'a str>, RpcError> {
    match field(params, key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_str()
            .map(Some)
            .ok_or_else(|| RpcError::invalid(format!("{key} must be a string"))),
    }
}

/// `FS.List {prefix?, offset?}` → `{files: [{name, size}], total, offset}`.
fn list(rt: &mut Runtime, params: &Json) -> Res {
    let prefix = str_param(params, "prefix")?.unwrap_or("");
    if !prefix.is_empty() {
        check_name(prefix, "prefix")?;
    }
    let offset = usize_field(params, "offset", 0)?;
    let dev = rt.device_ref().clone();
    let mut d = dev.borrow_mut();
    let storage = d.board.storage();
    let names = storage.list(prefix).map_err(storage_error)?;
    let total = names.len();
    let mut files: Vec<Json> = Vec::new();
    for name in names.iter().skip(offset).take(LIST_MAX_ENTRIES) {
        // A file removed between the listing and now is left out.
        if let Some(size) = storage.size(name).map_err(storage_error)? {
            files.push(json!({"name": name, "size": size}));
        }
    }
    Ok(json!({"files": files, "total": total, "offset": offset.min(total)}))
}

/// `FS.Get {name, offset?, len?}` → `{data, offset, left, size}`: a chunk of the file as UTF-8
/// text (lossy), cut on a character boundary.
fn get(rt: &mut Runtime, params: &Json) -> Res {
    let name = str_param(params, "name")?.ok_or_else(|| RpcError::invalid("name is required"))?;
    if name.is_empty() {
        return Err(RpcError::invalid("name must not be empty"));
    }
    check_name(name, "name")?;
    let offset = usize_field(params, "offset", 0)?;
    let len = usize_field(params, "len", GET_DEFAULT_LEN)?.min(GET_MAX_LEN);
    let dev = rt.device_ref().clone();
    let data = dev
        .borrow_mut()
        .board
        .storage()
        .read(name)
        .map_err(storage_error)?
        .ok_or_else(|| RpcError::not_found(format!("no file {name}")))?;
    let start = offset.min(data.len());
    let mut end = start.saturating_add(len).min(data.len());
    // Do not split a UTF-8 sequence (unless one character is longer than the chunk).
    let mut cut = end;
    while cut > start && cut < data.len() && (data[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    if cut > start {
        end = cut;
    }
    let chunk = String::from_utf8_lossy(&data[start..end]).into_owned();
    Ok(json!({"data": chunk, "offset": start, "left": data.len() - end, "size": data.len()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_storage_are_refused() {
        for bad in ["/etc/passwd", "../x", "a/../../b", "./a", "a\\b", "a/./b"] {
            let e = check_name(bad, "name").unwrap_err();
            assert_eq!(e.code, code::INVALID_ARGUMENT, "{bad}");
        }
        for good in ["scripts/1.js", "kvs/k", "a", "scripts/"] {
            assert!(check_name(good, "name").is_ok(), "{good}");
        }
    }
}
