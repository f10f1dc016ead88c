//! Smart.js `File`: `File.open(path, mode)` objects with `read`, `readAll`, `write`, `close`,
//! and `File.rename/remove/list`. Files live in board storage under `files/` (a flat store;
//! `/` in names is a convention, as on SPIFFS). An open file is held in memory and every
//! `write` stores the whole file, so what was written survives a crash.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedSet;

use ferrite_engine::{Value, Vm};

use super::{entry, this_id, with_state, TAG_FILE};
use crate::api::description::ApiEntry;
use crate::host::{ctx, on_board, string_arg};

/// Where files live in board storage.
pub const PREFIX: &str = "files/";
/// Largest file, in bytes.
pub const MAX_FILE: usize = 64 * 1024;
/// Files one script may have open.
pub const MAX_OPEN: usize = 8;
/// What `read()` returns at most without a count.
const READ_CHUNK: usize = 1024;

const ENOENT: f64 = 2.0;
const EIO: f64 = 5.0;
const EINVAL: f64 = 22.0;

/// One open file.
#[derive(Clone, Debug)]
pub struct OpenFile {
    /// Storage name (`files/…`).
    pub name: String,
    pub data: Vec<u8>,
    pub pos: usize,
    pub read: bool,
    pub write: bool,
    pub append: bool,
}

/// The storage name of a script's path (`None`: not a valid file name).
fn storage_name(path: &str) -> Option<String> {
    let p = path.trim_start_matches('/');
    let ok = !p.is_empty()
        && p.len() <= 64
        && !p.ends_with('/')
        && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
        && p.bytes().all(|b| b >= 0x20 && b != 0x7F);
    ok.then(|| format!("{PREFIX}{p}"))
}

/// `File.open(path, mode = "rb")` → file object, or null.
fn open(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let path: String = string_arg(vm, args, 0, "File.open: path")?;
    let mode = match Vm::arg(args, 1) {
        v if v.is_undefined() => String::from("rb"),
        _ => string_arg(vm, args, 1, "File.open: mode")?,
    };
    let m: String = mode.chars().filter(|c| *c != 'b' && *c != 't').collect();
    let (read, write, append, create, truncate) = match m.as_str() {
        "r" => (true, false, false, false, false),
        "r+" => (true, true, false, false, false),
        "w" => (false, true, false, true, true),
        "w+" => (true, true, false, true, true),
        "a" => (false, true, true, true, false),
        "a+" => (true, true, true, true, false),
        _ => {
            return Err(vm.type_error(&format!(
                "File.open: mode {mode:?} is not one of r, r+, w, w+, a, a+ (with optional b)"
            )))
        }
    };
    let Some(name) = storage_name(&path) else {
        return Ok(Value::NULL);
    };
    if with_state(vm, |s| s.files.len())? >= MAX_OPEN {
        return Err(vm.range_error(&format!(
            "File.open: a script may have at most {MAX_OPEN} files open"
        )));
    }
    let data = on_board(vm, |board| {
        let st = board.storage();
        match st.read(&name) {
            Ok(Some(_)) if truncate => st.write(&name, &[]).ok().map(|()| Vec::new()),
            Ok(Some(data)) => Some(data),
            Ok(None) if create => st.write(&name, &[]).ok().map(|()| Vec::new()),
            _ => None,
        }
    })?;
    let Some(data) = data else {
        return Ok(Value::NULL);
    };
    let pos = if append { data.len() } else { 0 };
    let (id, proto) = with_state(vm, |s| {
        let id = s.new_id();
        s.files.insert(
            id,
            OpenFile {
                name,
                data,
                pos,
                read,
                write,
                append,
            },
        );
        (id, s.file_proto)
    })?;
    let proto = proto.and_then(|p| vm.pinned(p).as_object());
    vm.new_host_object(proto, TAG_FILE, id)
}

fn file_id(vm: &mut Vm, this: Value, what: &str) -> Result<u32, Value> {
    this_id(vm, this, TAG_FILE, what)
}

/// The bytes `start..end` a read of up to `n` bytes (all for `None`) at `pos` takes from a file
/// of `len` bytes (no overflow whatever `pos` and `n` are, on 32-bit targets too).
fn read_range(pos: usize, n: Option<usize>, len: usize) -> (usize, usize) {
    let end = n.map_or(len, |n| pos.saturating_add(n).min(len));
    (pos.min(end), end)
}

/// Read up to `n` bytes (all the rest for `None`) at the position.
fn read_n(vm: &mut Vm, this: Value, n: Option<usize>, what: &str) -> Result<Value, Value> {
    let id = file_id(vm, this, what)?;
    let bytes = with_state(vm, |s| {
        let f = s.files.get_mut(&id)?;
        if !f.read {
            return Some(Vec::new());
        }
        let (start, end) = read_range(f.pos, n, f.data.len());
        f.pos = end;
        Some(f.data[start..end].to_vec())
    })?;
    match bytes {
        Some(b) => vm.new_string_vec(b),
        None => Err(vm.type_error(&format!("{what}: the file is closed"))),
    }
}

/// `file.read([n])` → up to n (default 1024) bytes; "" at the end or on error.
fn read(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let n = match Vm::arg(args, 0) {
        v if v.is_undefined() => READ_CHUNK,
        // A count beyond the largest file reads the same as the largest file.
        v => match crate::host::whole_in(v, 0.0, f64::MAX) {
            Some(n) => (n.min(MAX_FILE as f64)) as usize,
            None => {
                return Err(vm.type_error("File.prototype.read: n must be a non-negative integer"))
            }
        },
    };
    read_n(vm, this, Some(n), "File.prototype.read")
}

/// `file.readAll()` → everything from the position to the end.
fn read_all(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    read_n(vm, this, None, "File.prototype.readAll")
}

/// `file.write(str)` → bytes written (0 if the file is not open for writing, full, or the
/// storage failed).
fn write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let id = file_id(vm, this, "File.prototype.write")?;
    let v = Vm::arg(args, 0);
    if !v.is_string() {
        return Err(vm.type_error("File.prototype.write: data must be a string"));
    }
    let bytes = vm.string_bytes(v).to_vec();
    let Some(mut f) = with_state(vm, |s| s.files.get(&id).cloned())? else {
        return Ok(Value::number(0.0));
    };
    if !f.write {
        return Ok(Value::number(0.0));
    }
    if f.append {
        f.pos = f.data.len();
    }
    let end = f.pos.saturating_add(bytes.len());
    if end > MAX_FILE {
        return Ok(Value::number(0.0));
    }
    if f.data.len() < end {
        f.data.resize(end, 0);
    }
    f.data[f.pos..end].copy_from_slice(&bytes);
    f.pos = end;
    let stored = on_board(vm, |board| board.storage().write(&f.name, &f.data))?;
    if stored.is_err() {
        return Ok(Value::number(0.0));
    }
    with_state(vm, |s| s.files.insert(id, f))?;
    Ok(Value::number(bytes.len() as f64))
}

/// `file.close()`.
fn close(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let id = file_id(vm, this, "File.prototype.close")?;
    with_state(vm, |s| s.files.remove(&id))?;
    Ok(Value::UNDEFINED)
}

/// `File.rename(old, new)` → 0 or an errno.
fn rename(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let a: String = string_arg(vm, args, 0, "File.rename: old_name")?;
    let b: String = string_arg(vm, args, 1, "File.rename: new_name")?;
    let (Some(from), Some(to)) = (storage_name(&a), storage_name(&b)) else {
        return Ok(Value::number(EINVAL));
    };
    let code = on_board(vm, |board| {
        let st = board.storage();
        match st.read(&from) {
            Ok(Some(data)) => match st.write(&to, &data) {
                Ok(()) if from == to => 0.0,
                Ok(()) => st.remove(&from).map_or(EIO, |_| 0.0),
                Err(_) => EIO,
            },
            Ok(None) => ENOENT,
            Err(_) => EIO,
        }
    })?;
    Ok(Value::number(code))
}

/// `File.remove(name)` → 0 or an errno.
fn remove(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let a: String = string_arg(vm, args, 0, "File.remove: file_name")?;
    let Some(name) = storage_name(&a) else {
        return Ok(Value::number(EINVAL));
    };
    let r = on_board(vm, |board| board.storage().remove(&name))?;
    Ok(Value::number(match r {
        Ok(true) => 0.0,
        Ok(false) => ENOENT,
        Err(_) => EIO,
    }))
}

/// `File.list(dir)` → names in the directory (files and subdirectories), or undefined.
fn list(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let dir = match Vm::arg(args, 0) {
        v if v.is_undefined() => String::new(),
        _ => string_arg(vm, args, 0, "File.list: dir_name")?,
    };
    let dir = dir.trim_matches('/');
    let prefix = match dir {
        "" | "." => String::from(PREFIX),
        d => format!("{PREFIX}{d}/"),
    };
    let host = ctx(vm)?;
    let r = host.device.borrow_mut().board.storage().list(&prefix);
    let Ok(names) = r else {
        return Ok(Value::UNDEFINED);
    };
    let entries: SortedSet<String> = names
        .iter()
        .filter_map(|n| n.strip_prefix(prefix.as_str()))
        .filter_map(|rest| rest.split('/').next())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mark = vm.roots_len();
    let mut vals = Vec::new();
    for e in entries {
        let s = vm.new_str(&e)?;
        vm.push_root(s);
        vals.push(s);
    }
    let arr = vm.new_array(vals);
    vm.truncate_roots(mark);
    arr
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("File.open", 2, open);
    vm.define_native_path("File.rename", 2, rename);
    vm.define_native_path("File.remove", 1, remove);
    vm.define_native_path("File.list", 1, list);
    let Ok(proto) = vm.new_object() else { return };
    let Some(ph) = proto.as_object() else { return };
    vm.define_method(ph, "read", 1, read);
    vm.define_method(ph, "readAll", 0, read_all);
    vm.define_method(ph, "write", 1, write);
    vm.define_method(ph, "close", 0, close);
    let pin = vm.pin(proto);
    if with_state(vm, |s| s.file_proto = Some(pin)).is_err() {
        vm.unpin(pin);
    }
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("File.open", "(path: string, mode?: string) => SmartFile | null", "Open a file (modes r, r+, w, w+, a, a+, optionally with b; default rb); null if it cannot be opened."),
    entry("File.rename", "(oldName: string, newName: string) => number", "Rename a file; 0 or an errno (2: no such file)."),
    entry("File.remove", "(name: string) => number", "Delete a file; 0 or an errno (2: no such file)."),
    entry("File.list", "(dir?: string) => string[] | undefined", "Names in a directory."),
    entry("SmartFile.prototype.read", "(n?: number) => string", "Read up to n bytes (default 1024); empty at the end."),
    entry("SmartFile.prototype.readAll", "() => string", "Read the rest of the file."),
    entry("SmartFile.prototype.write", "(data: string) => number", "Write at the position (at the end in append mode); the bytes written."),
    entry("SmartFile.prototype.close", "() => void", "Close the file."),
];

#[cfg(test)]
mod tests {
    use super::read_range;

    /// Review: a read far past the end (a huge count, or a position near `usize::MAX`) must not
    /// overflow `pos + n` (it did on 32-bit targets).
    #[test]
    fn review_read_range_saturates() {
        assert_eq!(read_range(3, Some(usize::MAX), 10), (3, 10));
        assert_eq!(read_range(usize::MAX, Some(2), 10), (10, 10));
        assert_eq!(read_range(2, Some(3), 10), (2, 5));
        assert_eq!(read_range(12, Some(3), 10), (10, 10));
        assert_eq!(read_range(4, None, 10), (4, 10));
    }
}
