//! `RegExp`, backed by `ferrite-regex`.
//!
//! Strings are byte strings: the subject's bytes are matched as UTF-8, so match positions,
//! `index` and `lastIndex` are byte offsets like every other string index. A byte that is not
//! part of valid UTF-8 is one character, U+FFFD, to a pattern. A match runs under the VM's fuel
//! (one unit per step of the matcher) and a backtracking stack bounded by the heap budget left,
//! so a catastrophic pattern ends the script like any other runaway loop instead of hanging.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::engine::NativeFn;
use crate::heap::Handle;
use crate::object::{Key, ObjectKind, CONFIGURABLE, WRITABLE};
use crate::regexp::RegExpData;
use crate::value::Value;
use crate::vm::Vm;

use super::string::{get_substitution, substring_value, with_roots};

type R = Result<Value, Value>;

/// A match: `caps[0]` is the whole match, `caps[i]` capture i (byte ranges of the subject).
pub(crate) struct RawMatch {
    pub caps: Vec<Option<(usize, usize)>>,
    /// Named groups in pattern order (empty when the pattern has none).
    pub names: Vec<(String, Option<(usize, usize)>)>,
}

impl RawMatch {
    fn start(&self) -> usize {
        self.caps[0].map_or(0, |r| r.0)
    }
    fn end(&self) -> usize {
        self.caps[0].map_or(0, |r| r.1)
    }
}

#[derive(Default, Clone, Copy)]
struct FlagSet {
    d: bool,
    g: bool,
    i: bool,
    m: bool,
    s: bool,
    u: bool,
    y: bool,
}

fn parse_flags(b: &[u8]) -> Option<FlagSet> {
    let mut f = FlagSet::default();
    for &c in b {
        let slot = match c {
            b'd' => &mut f.d,
            b'g' => &mut f.g,
            b'i' => &mut f.i,
            b'm' => &mut f.m,
            b's' => &mut f.s,
            b'u' => &mut f.u,
            b'y' => &mut f.y,
            _ => return None,
        };
        if *slot {
            return None;
        }
        *slot = true;
    }
    Some(f)
}

fn regexp_handle(vm: &Vm, v: Value) -> Option<Handle> {
    let h = v.as_object()?;
    matches!(vm.heap.obj(h).kind, ObjectKind::RegExp(_)).then_some(h)
}

fn data(vm: &Vm, h: Handle) -> Option<&RegExpData> {
    match &vm.heap.obj(h).kind {
        ObjectKind::RegExp(d) => Some(d),
        _ => None,
    }
}

/// Is `f` the native function `native`?
fn is_native(vm: &Vm, f: Value, native: NativeFn) -> bool {
    let Some(h) = f.as_object() else { return false };
    match &vm.heap.obj(h).kind {
        ObjectKind::Native(n) => n.f as usize == native as usize,
        _ => false,
    }
}

/// IsRegExp(v).
pub(crate) fn is_regexp(vm: &mut Vm, v: Value) -> Result<bool, Value> {
    if !v.is_object() {
        return Ok(false);
    }
    let m = vm.get(v, Key::symbol(vm.sym.match_))?;
    if !m.is_undefined() {
        return Ok(vm.to_boolean(m));
    }
    Ok(regexp_handle(vm, v).is_some())
}

// ----- matching -----

/// Run the compiled pattern of `rh` on the string `s` from byte `start`, under the VM's fuel:
/// each step of the matcher costs one unit, and a match that would take more than the fuel
/// left plus the nested overdraft ends the script as running out of fuel does (never a hang).
fn run_match(
    vm: &mut Vm,
    rh: Handle,
    s: Value,
    start: usize,
    sticky: bool,
) -> Result<Option<RawMatch>, Value> {
    if crate::stack::room(vm.stack_floor) < crate::stack::MATCH_ROOM {
        return Err(vm.range_error("Maximum call stack size exceeded"));
    }
    vm.flatten(s);
    let steps =
        (vm.fuel.max(0) as u64).saturating_add(vm.config.nested_fuel_overdraft.max(0) as u64);
    let limits = ferrite_regex::Limits {
        steps,
        // The backtracking stack may use what the script's heap budget has left (a few KiB at
        // least, for simple patterns on a full heap): on the chip the radio allocates from the
        // same heap, so a match must not take memory the budget does not cover.
        stack_bytes: vm
            .heap
            .budget()
            .saturating_sub(vm.heap.used())
            .max(4 * 1024),
    };
    let bytes = vm.flat_bytes(s);
    let ObjectKind::RegExp(rd) = &vm.heap.obj(rh).kind else {
        return Ok(None);
    };
    let mut used = 0;
    let result = rd.regex.find_at(bytes, start, sticky, limits, &mut used);
    let m = match result {
        Ok(m) => m,
        Err(ferrite_regex::MatchError::StepLimit) => {
            vm.charge_fuel(used);
            vm.terminating = true;
            return Err(vm.make_error(
                crate::vm::ErrorKind::Internal,
                "out of fuel in a regular expression",
            ));
        }
        Err(e @ ferrite_regex::MatchError::StackLimit) => {
            vm.charge_fuel(used);
            return Err(vm.range_error(&alloc::format!("{e}")));
        }
    };
    let Some(m) = m else {
        vm.charge_fuel(used);
        return Ok(None);
    };
    let names = rd
        .regex
        .group_names()
        .iter()
        .map(|(name, g)| (name.clone(), m.captures.get(*g).copied().flatten()))
        .collect();
    vm.charge_fuel(used);
    Ok(Some(RawMatch {
        caps: m.captures,
        names,
    }))
}

fn last_index_key(vm: &Vm) -> Key {
    Key::atom(vm.names.last_index)
}

fn set_last_index(vm: &mut Vm, rx: Value, n: f64) -> Result<(), Value> {
    let k = last_index_key(vm);
    vm.set(rx, k, Value::number(n), true)
}

fn get_last_index(vm: &mut Vm, rx: Value) -> Result<f64, Value> {
    let k = last_index_key(vm);
    let v = vm.get(rx, k)?;
    vm.to_length(v)
}

/// RegExpBuiltinExec up to the match (the caller builds the result). `s` must be rooted.
fn builtin_exec_raw(vm: &mut Vm, rx: Value, s: Value) -> Result<Option<RawMatch>, Value> {
    let li = get_last_index(vm, rx)?;
    let Some(rh) = regexp_handle(vm, rx) else {
        return Err(vm.type_error("RegExp exec method called on an incompatible receiver"));
    };
    let (global, sticky) = {
        let d = data(vm, rh).unwrap();
        (d.global, d.sticky)
    };
    let li = if !global && !sticky { 0.0 } else { li };
    let len = vm.string_len(s);
    if li > len as f64 {
        if global || sticky {
            set_last_index(vm, rx, 0.0)?;
        }
        return Ok(None);
    }
    match run_match(vm, rh, s, li as usize, sticky)? {
        None => {
            if global || sticky {
                set_last_index(vm, rx, 0.0)?;
            }
            Ok(None)
        }
        Some(m) => {
            if global || sticky {
                set_last_index(vm, rx, m.end() as f64)?;
            }
            Ok(Some(m))
        }
    }
}

fn null_proto_object(vm: &mut Vm) -> R {
    vm.alloc_object(None, ObjectKind::Ordinary)
}

fn range_pair(vm: &mut Vm, r: Option<(usize, usize)>) -> R {
    match r {
        None => Ok(Value::UNDEFINED),
        Some((a, b)) => vm.new_array(alloc::vec![
            Value::number(a as f64),
            Value::number(b as f64)
        ]),
    }
}

/// The exec result array for a match (no JavaScript runs here).
fn match_to_array(vm: &mut Vm, rh: Handle, s: Value, m: &RawMatch) -> R {
    let has_indices = data(vm, rh).is_some_and(|d| d.has_indices);
    let mut elems = Vec::with_capacity(m.caps.len());
    for c in &m.caps {
        elems.push(match c {
            Some((a, b)) => substring_value(vm, s, *a, *b)?,
            None => Value::UNDEFINED,
        });
    }
    let arr = vm.new_array(elems)?;
    let ah = arr.as_object().unwrap();
    let ik = Key::atom(vm.names.index);
    vm.create_data_property(ah, ik, Value::number(m.start() as f64))?;
    let ink = Key::atom(vm.names.input);
    vm.create_data_property(ah, ink, s)?;
    let groups = if m.names.is_empty() {
        Value::UNDEFINED
    } else {
        let g = null_proto_object(vm)?;
        let gh = g.as_object().unwrap();
        for (name, r) in &m.names {
            let v = match r {
                Some((a, b)) => substring_value(vm, s, *a, *b)?,
                None => Value::UNDEFINED,
            };
            let k = vm.key(name);
            vm.create_data_property(gh, k, v)?;
        }
        g
    };
    let gk = Key::atom(vm.names.groups);
    vm.create_data_property(ah, gk, groups)?;
    if has_indices {
        let mut pairs = Vec::with_capacity(m.caps.len());
        for c in &m.caps {
            pairs.push(range_pair(vm, *c)?);
        }
        let ind = vm.new_array(pairs)?;
        let indh = ind.as_object().unwrap();
        let igroups = if m.names.is_empty() {
            Value::UNDEFINED
        } else {
            let g = null_proto_object(vm)?;
            let gh = g.as_object().unwrap();
            for (name, r) in &m.names {
                let v = range_pair(vm, *r)?;
                let k = vm.key(name);
                vm.create_data_property(gh, k, v)?;
            }
            g
        };
        vm.create_data_property(indh, gk, igroups)?;
        let k = vm.key("indices");
        vm.create_data_property(ah, k, ind)?;
    }
    Ok(arr)
}

enum ExecOut {
    Null,
    /// A match of the built-in exec (the result array was not built).
    Raw(RawMatch),
    /// The result object of a user `exec`.
    Obj(Value),
}

/// RegExpExec(R, S). `rx` and `s` must be rooted.
fn regexp_exec_any(vm: &mut Vm, rx: Value, s: Value) -> Result<ExecOut, Value> {
    let ek = vm.key("exec");
    let exec = vm.get(rx, ek)?;
    if vm.is_callable(exec)
        && !(is_native(vm, exec, exec_native) && regexp_handle(vm, rx).is_some())
    {
        let r = vm.call(exec, rx, &[s])?;
        if r.is_null() {
            return Ok(ExecOut::Null);
        }
        if !r.is_object() {
            return Err(
                vm.type_error("RegExp exec method returned something other than an Object or null")
            );
        }
        return Ok(ExecOut::Obj(r));
    }
    if regexp_handle(vm, rx).is_none() {
        return Err(vm.type_error("RegExp exec method called on an incompatible receiver"));
    }
    Ok(match builtin_exec_raw(vm, rx, s)? {
        Some(m) => ExecOut::Raw(m),
        None => ExecOut::Null,
    })
}

/// RegExpExec returning the result object (or null).
fn regexp_exec(vm: &mut Vm, rx: Value, s: Value) -> R {
    match regexp_exec_any(vm, rx, s)? {
        ExecOut::Null => Ok(Value::NULL),
        ExecOut::Obj(o) => Ok(o),
        ExecOut::Raw(m) => {
            let rh = regexp_handle(vm, rx).unwrap();
            match_to_array(vm, rh, s, &m)
        }
    }
}

fn advance_index(vm: &mut Vm, s: Value, index: f64, unicode: bool) -> f64 {
    let len = vm.string_len(s);
    if !unicode || index + 1.0 >= len as f64 {
        return index + 1.0;
    }
    let b = &vm.string_bytes(s)[index as usize..];
    super::iterator::utf8_step(b).max(1) as f64 + index
}

// ----- creation -----

/// RegExpInitialize(obj, pattern, flags).
fn initialize(vm: &mut Vm, obj: Value, pattern: Value, flags: Value) -> Result<(), Value> {
    let p = if pattern.is_undefined() {
        Value::atom(vm.names.empty)
    } else {
        vm.to_string(pattern)?
    };
    let mark = vm.push_root(p);
    let f = if flags.is_undefined() {
        Ok(Value::atom(vm.names.empty))
    } else {
        vm.to_string(flags)
    };
    vm.truncate_roots(mark);
    let f = f?;
    let Some(fs) = parse_flags(vm.string_bytes(f)) else {
        let fl = String::from_utf8_lossy(vm.string_bytes(f)).into_owned();
        return Err(vm.syntax_error(&alloc::format!("Invalid regular expression flags '{fl}'")));
    };
    let rflags = ferrite_regex::Flags {
        ignore_case: fs.i,
        multiline: fs.m,
        dot_all: fs.s,
        unicode: fs.u,
    };
    let nesting = crate::stack::pattern_nesting(vm.config.max_nesting, vm.stack_floor);
    let regex = match ferrite_regex::Regex::with_nesting(vm.string_bytes(p), rflags, nesting) {
        Ok(r) => r,
        Err(e) => {
            let src = String::from_utf8_lossy(vm.string_bytes(p)).into_owned();
            let fl = String::from_utf8_lossy(vm.string_bytes(f)).into_owned();
            return Err(vm.syntax_error(&alloc::format!(
                "Invalid regular expression: /{src}/{fl}: {e}"
            )));
        }
    };
    let Some(h) = obj.as_object() else {
        return Err(vm.type_error("not an object"));
    };
    // The compiled pattern lives as long as the object: it counts against the heap budget.
    vm.charge(core::mem::size_of::<RegExpData>() + regex.heap_bytes())?;
    vm.heap.obj_mut(h).kind = ObjectKind::RegExp(Box::new(RegExpData {
        source: p,
        flags: f,
        regex,
        global: fs.g,
        ignore_case: fs.i,
        multiline: fs.m,
        dot_all: fs.s,
        unicode: fs.u,
        sticky: fs.y,
        has_indices: fs.d,
    }));
    set_last_index(vm, obj, 0.0)
}

/// RegExpAlloc: an object with the `lastIndex` property, not yet initialised.
fn alloc_regexp(vm: &mut Vm, proto: Option<Handle>) -> R {
    let o = vm.alloc_object(proto, ObjectKind::Ordinary)?;
    let k = last_index_key(vm);
    vm.define_value(o.as_object().unwrap(), k, Value::number(0.0), WRITABLE);
    Ok(o)
}

/// RegExpCreate(P, F) with %RegExp.prototype%.
pub(crate) fn regexp_create_dyn(vm: &mut Vm, pattern: Value, flags: Value) -> R {
    let proto = vm.intr.regexp_prototype;
    let o = alloc_regexp(vm, proto)?;
    with_roots(vm, |vm| {
        vm.push_root(o);
        initialize(vm, o, pattern, flags)?;
        Ok(o)
    })
}

/// `new RegExp(pattern, flags)` for literals.
pub fn regexp_create(vm: &mut Vm, pattern: Value, flags: Value) -> Result<Value, Value> {
    regexp_create_dyn(vm, pattern, flags)
}

fn regexp_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let pattern = Vm::arg(args, 0);
    let flags = Vm::arg(args, 1);
    let nt = vm.new_target();
    with_roots(vm, |vm| {
        let pattern_is_regexp = is_regexp(vm, pattern)?;
        if nt.is_undefined() && pattern_is_regexp && flags.is_undefined() {
            let ck = Key::atom(vm.names.constructor);
            let pc = vm.get(pattern, ck)?;
            if is_native(vm, pc, regexp_ctor) {
                return Ok(pattern);
            }
        }
        let (p, f) = if let Some(h) = regexp_handle(vm, pattern) {
            let d = data(vm, h).unwrap();
            (d.source, if flags.is_undefined() { d.flags } else { flags })
        } else if pattern_is_regexp {
            let sk = vm.key("source");
            let p = vm.get(pattern, sk)?;
            vm.push_root(p);
            let f = if flags.is_undefined() {
                let fk = vm.key("flags");
                vm.get(pattern, fk)?
            } else {
                flags
            };
            (p, f)
        } else {
            (pattern, flags)
        };
        vm.push_root(p);
        vm.push_root(f);
        let fallback = vm.intr.regexp_prototype;
        let proto = if nt.is_undefined() {
            fallback
        } else {
            vm.proto_from_new_target(nt, fallback)?
        };
        let o = alloc_regexp(vm, proto)?;
        vm.push_root(o);
        initialize(vm, o, p, f)?;
        Ok(o)
    })
}

fn species_getter(_vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    Ok(this)
}

// ----- prototype -----

fn this_regexp(vm: &mut Vm, this: Value, method: &str) -> Result<Handle, Value> {
    match regexp_handle(vm, this) {
        Some(h) => Ok(h),
        None => Err(vm.type_error(&alloc::format!(
            "RegExp.prototype.{method} requires that 'this' be a RegExp object"
        ))),
    }
}

fn this_object(vm: &mut Vm, this: Value, method: &str) -> Result<(), Value> {
    if this.is_object() {
        Ok(())
    } else {
        Err(vm.type_error(&alloc::format!(
            "RegExp.prototype.{method} called on a non-object"
        )))
    }
}

fn exec_native(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let rh = this_regexp(vm, this, "exec")?;
    let s = vm.to_string(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        match builtin_exec_raw(vm, this, s)? {
            None => Ok(Value::NULL),
            Some(m) => match_to_array(vm, rh, s, &m),
        }
    })
}

fn test(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    this_object(vm, this, "test")?;
    let s = vm.to_string(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        Ok(Value::bool(!matches!(
            regexp_exec_any(vm, this, s)?,
            ExecOut::Null
        )))
    })
}

fn compile(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let _ = this_regexp(vm, this, "compile")?;
    let pattern = Vm::arg(args, 0);
    let flags = Vm::arg(args, 1);
    let (p, f) = if let Some(h) = regexp_handle(vm, pattern) {
        if !flags.is_undefined() {
            return Err(
                vm.type_error("Cannot supply flags when constructing one RegExp from another")
            );
        }
        let d = data(vm, h).unwrap();
        (d.source, d.flags)
    } else {
        (pattern, flags)
    };
    initialize(vm, this, p, f)?;
    Ok(this)
}

fn to_string(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    this_object(vm, this, "toString")?;
    with_roots(vm, |vm| {
        let sk = vm.key("source");
        let src = vm.get(this, sk)?;
        let src = vm.to_string(src)?;
        vm.push_root(src);
        let fk = vm.key("flags");
        let fl = vm.get(this, fk)?;
        let fl = vm.to_string(fl)?;
        let mut out = Vec::new();
        out.push(b'/');
        out.extend_from_slice(vm.string_bytes(src));
        out.push(b'/');
        out.extend_from_slice(vm.string_bytes(fl));
        vm.new_string_vec(out)
    })
}

/// EscapeRegExpPattern: `/` outside classes and line terminators are escaped.
fn escape_source(b: &[u8]) -> Vec<u8> {
    if b.is_empty() {
        return b"(?:)".to_vec();
    }
    let mut out = Vec::with_capacity(b.len() + 4);
    let mut in_class = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' => {
                out.push(c);
                if let Some(&n) = b.get(i + 1) {
                    match n {
                        b'\n' => out.push(b'n'),
                        b'\r' => out.push(b'r'),
                        _ => out.push(n),
                    }
                    i += 1;
                }
            }
            b'/' if !in_class => out.extend_from_slice(b"\\/"),
            b'[' => {
                in_class = true;
                out.push(c);
            }
            b']' => {
                in_class = false;
                out.push(c);
            }
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0xE2 if b.get(i + 1) == Some(&0x80)
                && matches!(b.get(i + 2), Some(0xA8) | Some(0xA9)) =>
            {
                out.extend_from_slice(if b[i + 2] == 0xA8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 2;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn source_getter(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    this_object(vm, this, "source")?;
    match regexp_handle(vm, this) {
        Some(h) => {
            let src = data(vm, h).unwrap().source;
            let b = escape_source(vm.string_bytes(src));
            vm.new_string_vec(b)
        }
        None if this.as_object() == vm.intr.regexp_prototype => vm.new_str("(?:)"),
        None => Err(vm.type_error("RegExp.prototype.source getter called on non-RegExp object")),
    }
}

fn flags_getter(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    this_object(vm, this, "flags")?;
    let mut out = Vec::new();
    for (name, c) in [
        ("hasIndices", b'd'),
        ("global", b'g'),
        ("ignoreCase", b'i'),
        ("multiline", b'm'),
        ("dotAll", b's'),
        ("unicode", b'u'),
        ("sticky", b'y'),
    ] {
        let k = vm.key(name);
        let v = vm.get(this, k)?;
        if vm.to_boolean(v) {
            out.push(c);
        }
    }
    vm.new_string_vec(out)
}

fn flag_getter(vm: &mut Vm, this: Value, which: u8, name: &str) -> R {
    this_object(vm, this, name)?;
    match regexp_handle(vm, this) {
        Some(h) => {
            let d = data(vm, h).unwrap();
            Ok(Value::bool(match which {
                b'd' => d.has_indices,
                b'g' => d.global,
                b'i' => d.ignore_case,
                b'm' => d.multiline,
                b's' => d.dot_all,
                b'u' => d.unicode,
                _ => d.sticky,
            }))
        }
        None if this.as_object() == vm.intr.regexp_prototype => Ok(Value::UNDEFINED),
        None => Err(vm.type_error(&alloc::format!(
            "RegExp.prototype.{name} getter called on non-RegExp object"
        ))),
    }
}

fn get_has_indices(vm: &mut Vm, this: Value, _a: &[Value]) -> R {
    flag_getter(vm, this, b'd', "hasIndices")
}
fn get_global(vm: &mut Vm, this: Value, _a: &[Value]) -> R {
    flag_getter(vm, this, b'g', "global")
}
fn get_ignore_case(vm: &mut Vm, this: Value, _a: &[Value]) -> R {
    flag_getter(vm, this, b'i', "ignoreCase")
}
fn get_multiline(vm: &mut Vm, this: Value, _a: &[Value]) -> R {
    flag_getter(vm, this, b'm', "multiline")
}
fn get_dot_all(vm: &mut Vm, this: Value, _a: &[Value]) -> R {
    flag_getter(vm, this, b's', "dotAll")
}
fn get_unicode(vm: &mut Vm, this: Value, _a: &[Value]) -> R {
    flag_getter(vm, this, b'u', "unicode")
}
fn get_sticky(vm: &mut Vm, this: Value, _a: &[Value]) -> R {
    flag_getter(vm, this, b'y', "sticky")
}

/// ToString(Get(rx, "flags")) as bytes.
fn flags_of(vm: &mut Vm, rx: Value) -> Result<Vec<u8>, Value> {
    let fk = vm.key("flags");
    let f = vm.get(rx, fk)?;
    vm.to_byte_vec(f)
}

/// The "0" element of a result as a string (for the generic paths).
fn result_match_string(vm: &mut Vm, r: Value) -> R {
    let m = vm.get_index(r, 0)?;
    vm.to_string(m)
}

fn symbol_match(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    this_object(vm, this, "[Symbol.match]")?;
    let s = vm.to_string(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let flags = flags_of(vm, this)?;
        if !flags.contains(&b'g') {
            return regexp_exec(vm, this, s);
        }
        let unicode = flags.contains(&b'u');
        set_last_index(vm, this, 0.0)?;
        let mut out = Vec::new();
        loop {
            let (ms, empty) = match regexp_exec_any(vm, this, s)? {
                ExecOut::Null => break,
                ExecOut::Raw(m) => {
                    let (a, b) = m.caps[0].unwrap_or((0, 0));
                    (substring_value(vm, s, a, b)?, a == b)
                }
                ExecOut::Obj(r) => {
                    vm.push_root(r);
                    let ms = result_match_string(vm, r)?;
                    (ms, vm.string_len(ms) == 0)
                }
            };
            vm.push_root(ms);
            out.push(ms);
            if empty {
                let li = get_last_index(vm, this)?;
                let next = advance_index(vm, s, li, unicode);
                set_last_index(vm, this, next)?;
            }
        }
        if out.is_empty() {
            return Ok(Value::NULL);
        }
        vm.new_array(out)
    })
}

fn symbol_search(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    this_object(vm, this, "[Symbol.search]")?;
    let s = vm.to_string(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let k = last_index_key(vm);
        let prev = vm.get(this, k)?;
        vm.push_root(prev);
        if !vm.same_value(prev, Value::number(0.0)) {
            vm.set(this, k, Value::number(0.0), true)?;
        }
        let r = regexp_exec_any(vm, this, s)?;
        let cur = vm.get(this, k)?;
        if !vm.same_value(cur, prev) {
            vm.set(this, k, prev, true)?;
        }
        match r {
            ExecOut::Null => Ok(Value::number(-1.0)),
            ExecOut::Raw(m) => Ok(Value::number(m.start() as f64)),
            ExecOut::Obj(o) => {
                let ik = Key::atom(vm.names.index);
                vm.get(o, ik)
            }
        }
    })
}

/// One match for @@replace, with captures as bytes.
struct ReplMatch {
    position: usize,
    matched: Vec<u8>,
    captures: Vec<Option<Vec<u8>>>,
    /// Capture values for a replacer function (strings or undefined), rooted.
    groups: Value,
    raw: Option<RawMatch>,
}

fn symbol_replace(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    this_object(vm, this, "[Symbol.replace]")?;
    let s = vm.to_string(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let mut rv = Vm::arg(args, 1);
        let functional = vm.is_callable(rv);
        if !functional {
            rv = vm.to_string(rv)?;
            vm.push_root(rv);
        }
        let flags = flags_of(vm, this)?;
        let global = flags.contains(&b'g');
        let unicode = flags.contains(&b'u');
        if global {
            set_last_index(vm, this, 0.0)?;
        }
        let len_s = vm.string_len(s);
        let mut results: Vec<ReplMatch> = Vec::new();
        loop {
            let item = match regexp_exec_any(vm, this, s)? {
                ExecOut::Null => break,
                ExecOut::Raw(m) => {
                    let (a, b) = m.caps[0].unwrap_or((0, 0));
                    vm.flatten(s);
                    let sb = vm.flat_bytes(s);
                    let matched = sb[a..b].to_vec();
                    let captures = m.caps[1..]
                        .iter()
                        .map(|c| c.map(|(x, y)| sb[x..y].to_vec()))
                        .collect();
                    ReplMatch {
                        position: a,
                        matched,
                        captures,
                        groups: Value::UNDEFINED,
                        raw: Some(m),
                    }
                }
                ExecOut::Obj(r) => {
                    vm.push_root(r);
                    let lk = Key::atom(vm.names.length);
                    let lv = vm.get(r, lk)?;
                    let n = vm.to_length(lv)?;
                    let ncap = if n >= 1.0 {
                        (n - 1.0).min(1e6) as usize
                    } else {
                        0
                    };
                    let ms = result_match_string(vm, r)?;
                    vm.push_root(ms);
                    let ik = Key::atom(vm.names.index);
                    let pv = vm.get(r, ik)?;
                    let pos = vm.to_integer_or_infinity(pv)?;
                    let position = pos.clamp(0.0, len_s as f64) as usize;
                    let mut captures = Vec::with_capacity(ncap);
                    for i in 1..=ncap {
                        let c = vm.get_index(r, i as u32)?;
                        captures.push(if c.is_undefined() {
                            None
                        } else {
                            Some(vm.to_byte_vec(c)?)
                        });
                    }
                    let gk = Key::atom(vm.names.groups);
                    let groups = vm.get(r, gk)?;
                    vm.push_root(groups);
                    let matched = vm.string_bytes(ms).to_vec();
                    ReplMatch {
                        position,
                        matched,
                        captures,
                        groups,
                        raw: None,
                    }
                }
            };
            let empty = item.matched.is_empty();
            results.push(item);
            if !global {
                break;
            }
            if empty {
                let li = get_last_index(vm, this)?;
                let next = advance_index(vm, s, li, unicode);
                set_last_index(vm, this, next)?;
            }
        }
        let mut out: Vec<u8> = Vec::new();
        let mut next_pos = 0usize;
        let repl_bytes = if functional {
            Vec::new()
        } else {
            vm.string_bytes(rv).to_vec()
        };
        for item in results {
            let mark = vm.roots_len();
            let mut groups = item.groups;
            if let Some(m) = &item.raw {
                if !m.names.is_empty() && (functional || repl_bytes.contains(&b'$')) {
                    let g = null_proto_object(vm)?;
                    vm.push_root(g);
                    let gh = g.as_object().unwrap();
                    for (name, r) in &m.names {
                        let v = match r {
                            Some((a, b)) => substring_value(vm, s, *a, *b)?,
                            None => Value::UNDEFINED,
                        };
                        let k = vm.key(name);
                        vm.create_data_property(gh, k, v)?;
                    }
                    groups = g;
                }
            }
            let replacement = if functional {
                let mut cargs = Vec::with_capacity(item.captures.len() + 4);
                let mv = vm.new_string(&item.matched)?;
                vm.push_root(mv);
                cargs.push(mv);
                for c in &item.captures {
                    let v = match c {
                        Some(b) => vm.new_string(b)?,
                        None => Value::UNDEFINED,
                    };
                    vm.push_root(v);
                    cargs.push(v);
                }
                cargs.push(Value::number(item.position as f64));
                cargs.push(s);
                if !groups.is_undefined() {
                    cargs.push(groups);
                }
                let r = vm.call(rv, Value::UNDEFINED, &cargs)?;
                vm.to_byte_vec(r)?
            } else {
                if !groups.is_undefined() {
                    groups = vm.to_object(groups)?;
                    vm.push_root(groups);
                }
                let sb = vm.string_bytes(s).to_vec();
                let mut o = Vec::new();
                get_substitution(
                    vm,
                    &item.matched,
                    &sb,
                    item.position,
                    &item.captures,
                    groups,
                    &repl_bytes,
                    &mut o,
                )?;
                o
            };
            vm.truncate_roots(mark);
            if item.position >= next_pos {
                vm.flatten(s);
                let sb = vm.flat_bytes(s);
                let p = item.position.min(sb.len());
                out.extend_from_slice(&sb[next_pos.min(p)..p]);
                out.extend_from_slice(&replacement);
                next_pos = item.position + item.matched.len();
            }
            if out.len() > vm.config.max_string_bytes {
                return Err(vm.range_error("Invalid string length"));
            }
        }
        vm.flatten(s);
        let sb = vm.flat_bytes(s);
        if next_pos < sb.len() {
            out.extend_from_slice(&sb[next_pos..]);
        }
        vm.new_string_vec(out)
    })
}

/// SpeciesConstructor(rx, %RegExp%): None for the built-in RegExp.
fn species_constructor(vm: &mut Vm, rx: Value) -> Result<Option<Value>, Value> {
    let ck = Key::atom(vm.names.constructor);
    let c = vm.get(rx, ck)?;
    if c.is_undefined() {
        return Ok(None);
    }
    if !c.is_object() {
        return Err(vm.type_error("object.constructor is not an object"));
    }
    let sp = vm.get(c, Key::symbol(vm.sym.species))?;
    if sp.is_nullish() || is_native(vm, sp, regexp_ctor) {
        return Ok(None);
    }
    if vm.is_constructor(sp) {
        return Ok(Some(sp));
    }
    Err(vm.type_error("object.constructor[Symbol.species] is not a constructor"))
}

fn symbol_split(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    this_object(vm, this, "[Symbol.split]")?;
    let s = vm.to_string(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let c = species_constructor(vm, this)?;
        if let Some(c) = c {
            vm.push_root(c);
        }
        let flags = flags_of(vm, this)?;
        let unicode = flags.contains(&b'u');
        let mut new_flags = flags.clone();
        if !new_flags.contains(&b'y') {
            new_flags.push(b'y');
        }
        let nf = vm.new_string_vec(new_flags)?;
        vm.push_root(nf);
        let splitter = match c {
            Some(c) => vm.construct(c, &[this, nf], c)?,
            None => {
                let proto = vm.intr.regexp_prototype;
                let o = alloc_regexp(vm, proto)?;
                vm.push_root(o);
                let (p, _) = match regexp_handle(vm, this) {
                    Some(h) => {
                        let d = data(vm, h).unwrap();
                        (d.source, d.flags)
                    }
                    None => {
                        let sk = vm.key("source");
                        let p = vm.get(this, sk)?;
                        (p, Value::UNDEFINED)
                    }
                };
                vm.push_root(p);
                initialize(vm, o, p, nf)?;
                o
            }
        };
        vm.push_root(splitter);
        let limv = Vm::arg(args, 1);
        let lim = if limv.is_undefined() {
            u32::MAX
        } else {
            vm.to_uint32(limv)?
        };
        let mut out: Vec<Value> = Vec::new();
        if lim == 0 {
            return vm.new_array(out);
        }
        let size = vm.string_len(s);
        if size == 0 {
            return match regexp_exec_any(vm, splitter, s)? {
                ExecOut::Null => vm.new_array(alloc::vec![s]),
                _ => vm.new_array(out),
            };
        }
        // Fast path: the built-in exec on a built-in splitter — search forward instead of
        // trying a sticky match at every position.
        let ek = vm.key("exec");
        let exec = vm.get(splitter, ek)?;
        if let (true, Some(sh)) = (
            is_native(vm, exec, exec_native),
            regexp_handle(vm, splitter),
        ) {
            let mut p = 0usize;
            let mut q = 0usize;
            while q < size {
                let Some(m) = run_match(vm, sh, s, q, false)? else {
                    break;
                };
                let (ms, e) = m.caps[0].unwrap_or((size, size));
                if ms >= size {
                    break;
                }
                let e = e.min(size);
                if e == p {
                    q = advance_index(vm, s, ms as f64, unicode) as usize;
                    continue;
                }
                out.push(substring_value(vm, s, p, ms)?);
                if out.len() as u32 == lim {
                    return vm.new_array(out);
                }
                p = e;
                for c in &m.caps[1..] {
                    out.push(match c {
                        Some((a, b)) => substring_value(vm, s, *a, *b)?,
                        None => Value::UNDEFINED,
                    });
                    if out.len() as u32 == lim {
                        return vm.new_array(out);
                    }
                }
                q = p;
            }
            // Keep lastIndex observable as the generic algorithm would leave it.
            let _ = set_last_index(vm, splitter, 0.0);
            out.push(substring_value(vm, s, p, size)?);
            return vm.new_array(out);
        }
        let mut p = 0usize;
        let mut q = 0usize;
        while q < size {
            set_last_index(vm, splitter, q as f64)?;
            let z = regexp_exec(vm, splitter, s)?;
            if z.is_null() {
                q = advance_index(vm, s, q as f64, unicode) as usize;
                continue;
            }
            vm.push_root(z);
            let e = get_last_index(vm, splitter)?;
            let e = (e as usize).min(size);
            if e == p {
                q = advance_index(vm, s, q as f64, unicode) as usize;
                continue;
            }
            let t = substring_value(vm, s, p, q)?;
            vm.push_root(t);
            out.push(t);
            if out.len() as u32 == lim {
                return vm.new_array(out);
            }
            p = e;
            let lk = Key::atom(vm.names.length);
            let lv = vm.get(z, lk)?;
            let n = vm.to_length(lv)?;
            let ncap = if n >= 1.0 {
                (n - 1.0).min(1e6) as u32
            } else {
                0
            };
            for i in 1..=ncap {
                let v = vm.get_index(z, i)?;
                vm.push_root(v);
                out.push(v);
                if out.len() as u32 == lim {
                    return vm.new_array(out);
                }
            }
            q = p;
        }
        let t = substring_value(vm, s, p, size)?;
        out.push(t);
        vm.new_array(out)
    })
}

fn symbol_match_all(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    this_object(vm, this, "[Symbol.matchAll]")?;
    let s = vm.to_string(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let c = species_constructor(vm, this)?;
        if let Some(c) = c {
            vm.push_root(c);
        }
        let flags = flags_of(vm, this)?;
        let fv = vm.new_string(&flags)?;
        vm.push_root(fv);
        let matcher = match c {
            Some(c) => vm.construct(c, &[this, fv], c)?,
            None => {
                let proto = vm.intr.regexp_prototype;
                let o = alloc_regexp(vm, proto)?;
                vm.push_root(o);
                let p = match regexp_handle(vm, this) {
                    Some(h) => data(vm, h).unwrap().source,
                    None => {
                        let sk = vm.key("source");
                        vm.get(this, sk)?
                    }
                };
                vm.push_root(p);
                initialize(vm, o, p, fv)?;
                o
            }
        };
        vm.push_root(matcher);
        let li = get_last_index(vm, this)?;
        set_last_index(vm, matcher, li)?;
        let global = flags.contains(&b'g');
        let unicode = flags.contains(&b'u');
        // The iterator state lives in a `ForIn`-kind object (never otherwise visible to
        // scripts): object = the matcher, keys = [S], index = flag bits.
        let bits = (global as u32) | ((unicode as u32) << 1);
        let proto = string_iter_proto(vm);
        vm.alloc_object(
            proto,
            ObjectKind::ForIn {
                object: matcher,
                keys: alloc::vec![s],
                index: bits,
            },
        )
    })
}

const ITER_DONE: u32 = 4;

/// %RegExpStringIteratorPrototype%: a `ForIn`-kind object with no keys and index `u32::MAX`
/// (a marker no iterator has), registered in `realm_values` at install time.
fn string_iter_proto(vm: &mut Vm) -> Option<Handle> {
    vm.realm_values.iter().copied().find_map(|v| {
        let h = v.as_object()?;
        match &vm.heap.obj(h).kind {
            ObjectKind::ForIn { keys, index, .. } if keys.is_empty() && *index == u32::MAX => {
                Some(h)
            }
            _ => None,
        }
    })
}

fn regexp_string_iterator_next(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    let state = this.as_object().and_then(|h| match &vm.heap.obj(h).kind {
        ObjectKind::ForIn {
            object,
            keys,
            index,
        } if keys.len() == 1 => Some((h, *object, keys[0], *index)),
        _ => None,
    });
    let Some((h, rx, s, bits)) = state else {
        return Err(vm.type_error("%RegExpStringIterator%.next called on an incompatible receiver"));
    };
    if bits & ITER_DONE != 0 {
        return super::iterator::iter_result(vm, Value::UNDEFINED, true);
    }
    let set_done = |vm: &mut Vm| {
        if let ObjectKind::ForIn { index, .. } = &mut vm.heap.obj_mut(h).kind {
            *index |= ITER_DONE;
        }
    };
    with_roots(vm, |vm| {
        let m = regexp_exec(vm, rx, s)?;
        if m.is_null() {
            set_done(vm);
            return super::iterator::iter_result(vm, Value::UNDEFINED, true);
        }
        vm.push_root(m);
        if bits & 1 != 0 {
            let ms = result_match_string(vm, m)?;
            if vm.string_len(ms) == 0 {
                let li = get_last_index(vm, rx)?;
                let next = advance_index(vm, s, li, bits & 2 != 0);
                set_last_index(vm, rx, next)?;
            }
        } else {
            set_done(vm);
        }
        super::iterator::iter_result(vm, m, false)
    })
}

pub fn install(vm: &mut Vm) {
    let rp = vm.intr.regexp_prototype.expect("RegExp.prototype");
    let (ctor, _) = vm.define_class("RegExp", 2, regexp_ctor, Some(rp), None);
    let sk = Key::symbol(vm.sym.species);
    vm.define_accessor(ctor, sk, "[Symbol.species]", Some(species_getter), None);

    vm.define_method(rp, "exec", 1, exec_native);
    vm.define_method(rp, "test", 1, test);
    vm.define_method(rp, "toString", 0, to_string);
    vm.define_method(rp, "compile", 2, compile);
    let getters: &[(&str, NativeFn)] = &[
        ("dotAll", get_dot_all),
        ("flags", flags_getter),
        ("global", get_global),
        ("hasIndices", get_has_indices),
        ("ignoreCase", get_ignore_case),
        ("multiline", get_multiline),
        ("source", source_getter),
        ("sticky", get_sticky),
        ("unicode", get_unicode),
    ];
    for &(name, g) in getters {
        let k = vm.key(name);
        vm.define_accessor(rp, k, name, Some(g), None);
    }
    let s = vm.sym;
    vm.define_symbol_method(rp, s.match_, "[Symbol.match]", 1, symbol_match);
    vm.define_symbol_method(rp, s.replace, "[Symbol.replace]", 2, symbol_replace);
    vm.define_symbol_method(rp, s.search, "[Symbol.search]", 1, symbol_search);
    vm.define_symbol_method(rp, s.split, "[Symbol.split]", 2, symbol_split);

    // %RegExpStringIteratorPrototype%.
    let ip = vm.intr.iterator_prototype;
    let rsip_v = vm
        .alloc_object(
            ip,
            ObjectKind::ForIn {
                object: Value::UNDEFINED,
                keys: Vec::new(),
                index: u32::MAX,
            },
        )
        .expect("out of memory");
    vm.realm_values.push(rsip_v);
    let rsip = rsip_v.as_object().unwrap();
    vm.define_method(rsip, "next", 0, regexp_string_iterator_next);
    let tag = vm.intern("RegExp String Iterator");
    vm.define_value(rsip, Key::symbol(s.to_string_tag), tag, CONFIGURABLE);
    vm.define_symbol_method(rp, s.match_all, "[Symbol.matchAll]", 1, symbol_match_all);
}
