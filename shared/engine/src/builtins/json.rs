//! `JSON.parse` and `JSON.stringify` (Shelly rules: JSON text is UTF-8).
//!
//! - `parse` rejects input that is not valid UTF-8 and `\u` escapes that form lone surrogates;
//!   `\u` escapes and surrogate pairs become UTF-8. The parser is iterative (no recursion).
//! - `stringify` escapes control characters per RFC 8259, writes lone surrogates (WTF-8 in our
//!   byte strings) as `\uXXXX` escapes and throws a TypeError on other invalid UTF-8, so the
//!   result is always valid UTF-8.
//! - Nesting deeper than [`MAX_DEPTH`] is a RangeError for both (and for the reviver walk).

use alloc::vec::Vec;

use crate::heap::Handle;
use crate::object::{Key, ObjectKind, ACCESSOR, CONFIGURABLE, DEFAULT_FLAGS, ENUMERABLE};
use crate::value::{Kind, Value};
use crate::vm::Vm;

use super::string::{decode_wtf8, with_roots};

type R = Result<Value, Value>;

/// Deepest nesting of arrays/objects accepted by parse and stringify.
pub const MAX_DEPTH: usize = 1000;

// ----- parse -----

enum Frame {
    Array(Vec<Value>),
    /// An object under construction and the key of the value being parsed.
    Object(Handle, Key),
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }
}

fn parse_error(vm: &mut Vm, p: &Parser) -> Value {
    let msg = match p.b.get(p.pos) {
        None => alloc::string::String::from("Unexpected end of JSON input"),
        Some(&c) if (0x21..0x7F).contains(&c) => {
            alloc::format!(
                "Unexpected token '{}' in JSON at position {}",
                c as char,
                p.pos
            )
        }
        Some(&c) => alloc::format!("Unexpected byte 0x{:02x} in JSON at position {}", c, p.pos),
    };
    vm.syntax_error(&msg)
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 4 {
        return None;
    }
    let mut v = 0u32;
    for &c in &b[..4] {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Parse a string starting after the opening quote into `out`. Returns false on a syntax error
/// (with `p.pos` at the offending byte).
fn parse_string(p: &mut Parser, out: &mut Vec<u8>) -> bool {
    out.clear();
    loop {
        let start = p.pos;
        while let Some(&c) = p.b.get(p.pos) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            p.pos += 1;
        }
        out.extend_from_slice(&p.b[start..p.pos]);
        match p.peek() {
            Some(b'"') => {
                p.pos += 1;
                return true;
            }
            Some(b'\\') => {
                p.pos += 1;
                let Some(e) = p.peek() else { return false };
                p.pos += 1;
                match e {
                    b'"' => out.push(b'"'),
                    b'\\' => out.push(b'\\'),
                    b'/' => out.push(b'/'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let Some(u) = hex4(&p.b[p.pos..]) else {
                            return false;
                        };
                        p.pos += 4;
                        let cp = if (0xD800..0xDC00).contains(&u) {
                            let rest = &p.b[p.pos..];
                            let lo = if rest.len() >= 6 && rest[0] == b'\\' && rest[1] == b'u' {
                                hex4(&rest[2..])
                            } else {
                                None
                            };
                            match lo {
                                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                    p.pos += 6;
                                    0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                                }
                                _ => {
                                    p.pos -= 6;
                                    return false;
                                }
                            }
                        } else if (0xDC00..0xE000).contains(&u) {
                            p.pos -= 6;
                            return false;
                        } else {
                            u
                        };
                        crate::lexer::push_code_point(out, cp);
                    }
                    _ => {
                        p.pos -= 1;
                        return false;
                    }
                }
            }
            _ => return false,
        }
    }
}

fn parse_number(p: &mut Parser) -> Option<f64> {
    let start = p.pos;
    let b = p.b;
    let mut i = p.pos;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
        }
        _ => {
            p.pos = i;
            return None;
        }
    }
    let mut int_only = true;
    if b.get(i) == Some(&b'.') {
        int_only = false;
        i += 1;
        if !b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            p.pos = i;
            return None;
        }
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        int_only = false;
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        if !b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            p.pos = i;
            return None;
        }
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
    }
    p.pos = i;
    let text = &b[start..i];
    if int_only && text.len() <= 15 {
        let (neg, digits) = match text.first() {
            Some(b'-') => (true, &text[1..]),
            _ => (false, text),
        };
        let mut v: i64 = 0;
        for &c in digits {
            v = v * 10 + (c - b'0') as i64;
        }
        let f = v as f64;
        return Some(if neg { -f } else { f });
    }
    core::str::from_utf8(text).ok()?.parse::<f64>().ok()
}

fn json_parse_text(vm: &mut Vm, text: &[u8]) -> R {
    if core::str::from_utf8(text).is_err() {
        return Err(vm.syntax_error("JSON.parse: input is not valid UTF-8"));
    }
    let mut p = Parser { b: text, pos: 0 };
    let mut stack: Vec<Frame> = Vec::new();
    let mut sbuf: Vec<u8> = Vec::new();
    let obj_proto = vm.intr.object_prototype;
    loop {
        // Parse a value (or open a container).
        p.ws();
        let mut value = match p.peek() {
            Some(b'{') => {
                p.pos += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(vm.range_error("JSON.parse: nesting too deep"));
                }
                let o = vm.alloc_object(obj_proto, ObjectKind::Ordinary)?;
                let h = o.as_object().unwrap();
                p.ws();
                if p.peek() == Some(b'}') {
                    p.pos += 1;
                    o
                } else {
                    if p.peek() != Some(b'"') {
                        return Err(parse_error(vm, &p));
                    }
                    p.pos += 1;
                    if !parse_string(&mut p, &mut sbuf) {
                        return Err(parse_error(vm, &p));
                    }
                    let k = Key::atom(vm.intern_bytes(&sbuf).as_atom().unwrap());
                    p.ws();
                    if p.peek() != Some(b':') {
                        return Err(parse_error(vm, &p));
                    }
                    p.pos += 1;
                    stack.push(Frame::Object(h, k));
                    continue;
                }
            }
            Some(b'[') => {
                p.pos += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(vm.range_error("JSON.parse: nesting too deep"));
                }
                p.ws();
                if p.peek() == Some(b']') {
                    p.pos += 1;
                    vm.new_array(Vec::new())?
                } else {
                    stack.push(Frame::Array(Vec::new()));
                    continue;
                }
            }
            Some(b'"') => {
                p.pos += 1;
                if !parse_string(&mut p, &mut sbuf) {
                    return Err(parse_error(vm, &p));
                }
                if sbuf.len() <= 1 {
                    vm.intern_bytes(&sbuf)
                } else {
                    vm.new_string(&sbuf)?
                }
            }
            Some(b't') if p.b[p.pos..].starts_with(b"true") => {
                p.pos += 4;
                Value::TRUE
            }
            Some(b'f') if p.b[p.pos..].starts_with(b"false") => {
                p.pos += 5;
                Value::FALSE
            }
            Some(b'n') if p.b[p.pos..].starts_with(b"null") => {
                p.pos += 4;
                Value::NULL
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => match parse_number(&mut p) {
                Some(n) => Value::number(n),
                None => return Err(parse_error(vm, &p)),
            },
            _ => return Err(parse_error(vm, &p)),
        };
        // Attach the value to the enclosing containers, closing those that end here.
        loop {
            let Some(top) = stack.last_mut() else {
                p.ws();
                if p.pos != p.b.len() {
                    return Err(parse_error(vm, &p));
                }
                return Ok(value);
            };
            match top {
                Frame::Array(items) => {
                    items.push(value);
                    p.ws();
                    match p.peek() {
                        Some(b',') => {
                            p.pos += 1;
                            break;
                        }
                        Some(b']') => {
                            p.pos += 1;
                            let Some(Frame::Array(items)) = stack.pop() else {
                                unreachable!()
                            };
                            value = vm.new_array(items)?;
                        }
                        _ => return Err(parse_error(vm, &p)),
                    }
                }
                Frame::Object(h, k) => {
                    let (h, k) = (*h, *k);
                    vm.define_value(h, k, value, DEFAULT_FLAGS);
                    p.ws();
                    match p.peek() {
                        Some(b',') => {
                            p.pos += 1;
                            p.ws();
                            if p.peek() != Some(b'"') {
                                return Err(parse_error(vm, &p));
                            }
                            p.pos += 1;
                            if !parse_string(&mut p, &mut sbuf) {
                                return Err(parse_error(vm, &p));
                            }
                            let nk = Key::atom(vm.intern_bytes(&sbuf).as_atom().unwrap());
                            p.ws();
                            if p.peek() != Some(b':') {
                                return Err(parse_error(vm, &p));
                            }
                            p.pos += 1;
                            if let Some(Frame::Object(_, k)) = stack.last_mut() {
                                *k = nk;
                            }
                            break;
                        }
                        Some(b'}') => {
                            p.pos += 1;
                            stack.pop();
                            value = Value::object(h);
                        }
                        _ => return Err(parse_error(vm, &p)),
                    }
                }
            }
        }
    }
}

/// Enumerable own string keys (EnumerableOwnProperties(O, key)).
fn enumerable_string_keys(vm: &mut Vm, h: Handle) -> Result<Vec<Key>, Value> {
    let keys = vm.own_keys(h)?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        if k.as_atom().is_none() {
            continue;
        }
        if vm.own_enumerable(h, k)? == Some(true) {
            out.push(k);
        }
    }
    Ok(out)
}

fn internalize(vm: &mut Vm, holder: Value, name: Key, reviver: Value, depth: usize) -> R {
    if depth > MAX_DEPTH || !crate::stack::has_room(vm.stack_floor) {
        return Err(vm.range_error("JSON.parse: nesting too deep"));
    }
    let val = vm.get(holder, name)?;
    with_roots(vm, |vm| {
        vm.push_root(val);
        if let Some(h) = val.as_object() {
            if vm.is_array(val) {
                let lk = Key::atom(vm.names.length);
                let lv = vm.get(val, lk)?;
                let len = vm.to_length(lv)?;
                let mut i = 0f64;
                while i < len {
                    let k = vm.index_key(i as u32);
                    let ne = internalize(vm, val, k, reviver, depth + 1)?;
                    if ne.is_undefined() {
                        vm.delete_property(h, k)?;
                    } else {
                        vm.create_data_property(h, k, ne)?;
                    }
                    i += 1.0;
                }
            } else {
                let keys = enumerable_string_keys(vm, h)?;
                for k in keys {
                    let ne = internalize(vm, val, k, reviver, depth + 1)?;
                    if ne.is_undefined() {
                        vm.delete_property(h, k)?;
                    } else {
                        vm.create_data_property(h, k, ne)?;
                    }
                }
            }
        }
        let nv = name.to_value();
        vm.call(reviver, holder, &[nv, val])
    })
}

fn json_parse(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let s = vm.to_string(Vm::arg(args, 0))?;
    vm.flatten(s);
    // Parsing never runs JavaScript, so the source bytes stay put; copy for the borrow.
    let text = vm.flat_bytes(s).to_vec();
    let v = json_parse_text(vm, &text)?;
    let reviver = Vm::arg(args, 1);
    if !vm.is_callable(reviver) {
        return Ok(v);
    }
    with_roots(vm, |vm| {
        vm.push_root(v);
        let root = vm.new_object()?;
        vm.push_root(root);
        let ek = Key::atom(vm.names.empty);
        vm.create_data_property(root.as_object().unwrap(), ek, v)?;
        internalize(vm, root, ek, reviver, 0)
    })
}

// ----- stringify -----

struct Ser {
    out: Vec<u8>,
    replacer: Value,
    /// The replacer array's keys.
    props: Option<Vec<Key>>,
    gap: Vec<u8>,
    /// Objects being serialized (cycle detection).
    stack: Vec<Value>,
    limit: usize,
}

fn push_hex_escape(out: &mut Vec<u8>, u: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((u >> shift) & 15) as usize]);
    }
}

/// QuoteJSONString. Errors (as a message) on invalid UTF-8.
fn quote(out: &mut Vec<u8>, b: &[u8]) -> Result<(), &'static str> {
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() {
            let c = b[i];
            if c < 0x20 || c == b'"' || c == b'\\' || c >= 0x80 {
                break;
            }
            i += 1;
        }
        out.extend_from_slice(&b[start..i]);
        if i >= b.len() {
            break;
        }
        let c = b[i];
        if c >= 0x80 {
            match decode_wtf8(&b[i..]) {
                Some((cp, n)) => {
                    if (0xD800..0xE000).contains(&cp) {
                        push_hex_escape(out, cp);
                    } else {
                        out.extend_from_slice(&b[i..i + n]);
                    }
                    i += n;
                }
                None => return Err("JSON.stringify: string is not valid UTF-8"),
            }
            continue;
        }
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => push_hex_escape(out, c as u32),
        }
        i += 1;
    }
    out.push(b'"');
    Ok(())
}

fn quote_value(vm: &mut Vm, out: &mut Vec<u8>, s: Value) -> Result<(), Value> {
    vm.flatten(s);
    let r = quote(out, vm.flat_bytes(s));
    r.map_err(|m| vm.type_error(m))
}

fn push_number(out: &mut Vec<u8>, n: f64) {
    if !n.is_finite() {
        out.extend_from_slice(b"null");
    } else if libm::trunc(n) == n && n.abs() < 1e15 {
        let mut buf = [0u8; 24];
        out.extend_from_slice(crate::vm::format_int(n as i64, &mut buf));
    } else {
        out.extend_from_slice(crate::lexer::number_to_string(n).as_bytes());
    }
}

/// Where a value came from: the key argument of toJSON / the replacer.
#[derive(Clone, Copy)]
enum PropName {
    Key(Key),
    Index(u32),
}

fn prop_name_value(vm: &mut Vm, k: PropName) -> Value {
    match k {
        PropName::Key(k) => k.to_value(),
        PropName::Index(i) => vm.index_key(i).to_value(),
    }
}

fn newline_indent(st: &mut Ser) {
    st.out.push(b'\n');
    for _ in 0..st.stack.len() {
        st.out.extend_from_slice(&st.gap);
    }
}

/// SerializeJSONProperty for `value` (already read from `holder`). Returns false when the
/// value is not serializable (undefined, functions, symbols): nothing was written.
fn ser_value(
    vm: &mut Vm,
    st: &mut Ser,
    holder: Value,
    name: PropName,
    mut value: Value,
) -> Result<bool, Value> {
    let mark = vm.roots_len();
    let r = ser_value_inner(vm, st, holder, name, &mut value);
    vm.truncate_roots(mark);
    r
}

fn ser_value_inner(
    vm: &mut Vm,
    st: &mut Ser,
    holder: Value,
    name: PropName,
    value: &mut Value,
) -> Result<bool, Value> {
    if value.is_object() {
        let tk = Key::atom(vm.names.to_json);
        let to_json = vm.get(*value, tk)?;
        if vm.is_callable(to_json) {
            let k = prop_name_value(vm, name);
            *value = vm.call(to_json, *value, &[k])?;
            vm.push_root(*value);
        }
    }
    if !st.replacer.is_undefined() {
        let k = prop_name_value(vm, name);
        *value = vm.call(st.replacer, holder, &[k, *value])?;
        vm.push_root(*value);
    }
    if let Some(h) = value.as_object() {
        match vm.heap.obj(h).kind {
            ObjectKind::Number(_) => *value = Value::number(vm.to_number(*value)?),
            ObjectKind::String(_) => {
                *value = vm.to_string(*value)?;
                vm.push_root(*value);
            }
            ObjectKind::Boolean(b) => *value = Value::bool(b),
            _ => {}
        }
    }
    let v = *value;
    match v.kind() {
        Kind::Null => st.out.extend_from_slice(b"null"),
        Kind::Bool(true) => st.out.extend_from_slice(b"true"),
        Kind::Bool(false) => st.out.extend_from_slice(b"false"),
        Kind::Number(n) => push_number(&mut st.out, n),
        Kind::Atom(_) | Kind::String(_) => quote_value(vm, &mut st.out, v)?,
        Kind::Object(h) => {
            if vm.is_callable(v) {
                return Ok(false);
            }
            if st.stack.contains(&v) {
                return Err(vm.type_error("Converting circular structure to JSON"));
            }
            if st.stack.len() >= MAX_DEPTH || !crate::stack::has_room(vm.stack_floor) {
                return Err(vm.range_error("JSON.stringify: nesting too deep"));
            }
            if st.out.len() > st.limit {
                return Err(vm.range_error("Invalid string length"));
            }
            st.stack.push(v);
            vm.push_root(v);
            let r = if vm.is_array(v) {
                ser_array(vm, st, v, h)
            } else {
                ser_object(vm, st, v, h)
            };
            st.stack.pop();
            r?;
        }
        _ => return Ok(false),
    }
    if st.out.len() > st.limit {
        return Err(vm.range_error("Invalid string length"));
    }
    Ok(true)
}

fn ser_array(vm: &mut Vm, st: &mut Ser, v: Value, h: Handle) -> Result<(), Value> {
    let len = vm.array_len(h);
    if len == 0 {
        st.out.extend_from_slice(b"[]");
        return Ok(());
    }
    st.out.push(b'[');
    for i in 0..len {
        if i > 0 {
            st.out.push(b',');
        }
        if !st.gap.is_empty() {
            newline_indent(st);
        }
        let fast = match &vm.heap.obj(h).kind {
            ObjectKind::Array(a) if !a.sparse => {
                a.elems.get(i as usize).copied().filter(|e| !e.is_empty())
            }
            _ => None,
        };
        let e = match fast {
            Some(e) => e,
            None => vm.get_index(v, i)?,
        };
        if !ser_value(vm, st, v, PropName::Index(i), e)? {
            st.out.extend_from_slice(b"null");
        }
    }
    if !st.gap.is_empty() {
        st.stack.pop();
        newline_indent(st);
        st.stack.push(v);
    }
    st.out.push(b']');
    Ok(())
}

/// Own enumerable string keys of an ordinary object without index keys, read straight from
/// the property table (None if the generic path is needed).
fn plain_keys(vm: &Vm, h: Handle) -> Option<Vec<Key>> {
    let o = vm.heap.obj(h);
    if !matches!(o.kind, ObjectKind::Ordinary) {
        return None;
    }
    let mut keys = Vec::with_capacity(o.props.len());
    for p in o.props.list() {
        let a = p.key.as_atom()?;
        if vm.atoms.array_index(a).is_some() {
            return None;
        }
        if p.flags & ENUMERABLE != 0 {
            keys.push(p.key);
        }
    }
    Some(keys)
}

fn ser_object(vm: &mut Vm, st: &mut Ser, v: Value, h: Handle) -> Result<(), Value> {
    let keys = match &st.props {
        Some(k) => k.clone(),
        None => match plain_keys(vm, h) {
            Some(k) => k,
            None => enumerable_string_keys(vm, h)?,
        },
    };
    st.out.push(b'{');
    let mut any = false;
    for k in keys {
        let before = st.out.len();
        if any {
            st.out.push(b',');
        }
        if !st.gap.is_empty() {
            newline_indent(st);
        }
        let kv = k.to_value();
        quote_value(vm, &mut st.out, kv)?;
        st.out.push(b':');
        if !st.gap.is_empty() {
            st.out.push(b' ');
        }
        // Own data properties are read directly; anything else through [[Get]].
        let direct = {
            let o = vm.heap.obj(h);
            if matches!(o.kind, ObjectKind::Ordinary) {
                o.props
                    .find(k)
                    .and_then(|i| o.props.get(i))
                    .filter(|p| p.flags & ACCESSOR == 0 && p.stored.as_lazy_native().is_none())
                    .map(|p| p.stored)
            } else {
                None
            }
        };
        let e = match direct {
            Some(e) => e,
            None => vm.get(v, k)?,
        };
        if ser_value(vm, st, v, PropName::Key(k), e)? {
            any = true;
        } else {
            st.out.truncate(before);
        }
    }
    if any && !st.gap.is_empty() {
        st.stack.pop();
        newline_indent(st);
        st.stack.push(v);
    }
    st.out.push(b'}');
    Ok(())
}

fn json_stringify(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let value = Vm::arg(args, 0);
    let replacer = Vm::arg(args, 1);
    let mut space = Vm::arg(args, 2);
    with_roots(vm, |vm| {
        let mut st = Ser {
            out: Vec::new(),
            replacer: Value::UNDEFINED,
            props: None,
            gap: Vec::new(),
            stack: Vec::new(),
            limit: vm.config.max_string_bytes,
        };
        if vm.is_callable(replacer) {
            st.replacer = replacer;
        } else if vm.is_array(replacer) {
            let rh = replacer.as_object().unwrap();
            let lk = Key::atom(vm.names.length);
            let lv = vm.get(replacer, lk)?;
            let len = vm.to_length(lv)?;
            let mut keys: Vec<Key> = Vec::new();
            let mut i = 0f64;
            while i < len {
                let e = vm.get_index(Value::object(rh), i as u32)?;
                let item = match e.kind() {
                    Kind::Atom(_) | Kind::String(_) => Some(e),
                    Kind::Number(_) => Some(vm.to_string(e)?),
                    Kind::Object(oh) => match vm.heap.obj(oh).kind {
                        ObjectKind::Number(_) | ObjectKind::String(_) => Some(vm.to_string(e)?),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(s) = item {
                    let k = vm.string_key(s);
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                i += 1.0;
            }
            st.props = Some(keys);
        }
        if let Some(h) = space.as_object() {
            match vm.heap.obj(h).kind {
                ObjectKind::Number(_) => space = Value::number(vm.to_number(space)?),
                ObjectKind::String(_) => {
                    space = vm.to_string(space)?;
                    vm.push_root(space);
                }
                _ => {}
            }
        }
        if let Some(n) = space.as_number() {
            let n = if n.is_nan() { 0.0 } else { n.clamp(0.0, 10.0) };
            st.gap = alloc::vec![b' '; n as usize];
        } else if space.is_string() {
            let b = vm.string_bytes(space);
            st.gap = b[..b.len().min(10)].to_vec();
        }
        let wrapper = vm.new_object()?;
        vm.push_root(wrapper);
        let ek = Key::atom(vm.names.empty);
        vm.create_data_property(wrapper.as_object().unwrap(), ek, value)?;
        if !ser_value(vm, &mut st, wrapper, PropName::Key(ek), value)? {
            return Ok(Value::UNDEFINED);
        }
        vm.new_string_vec(st.out)
    })
}

pub fn install(vm: &mut Vm) {
    let j = vm.new_object().expect("out of memory");
    let jh = j.as_object().unwrap();
    vm.define_method(jh, "parse", 2, json_parse);
    vm.define_method(jh, "stringify", 3, json_stringify);
    let tag = vm.intern("JSON");
    let tk = Key::symbol(vm.sym.to_string_tag);
    vm.define_value(jh, tk, tag, CONFIGURABLE);
    let g = vm.global;
    let k = vm.key("JSON");
    vm.define_value(g, k, j, crate::object::METHOD_FLAGS);
}

impl Vm {
    /// `JSON.parse(text)` for embedders (e.g. RPC results handed to a callback).
    pub fn json_parse(&mut self, text: &[u8]) -> R {
        json_parse_text(self, text)
    }

    /// `JSON.stringify(v)` for embedders; `None` where JSON.stringify returns `undefined`.
    pub fn json_stringify(&mut self, v: Value) -> Result<Option<Vec<u8>>, Value> {
        let s = json_stringify(self, Value::UNDEFINED, &[v])?;
        if s.is_undefined() {
            return Ok(None);
        }
        Ok(Some(self.string_bytes(s).to_vec()))
    }
}
