//! Ergonomic conversions between JavaScript values and Rust types for natives and hosts:
//! `vm.arg_as::<f64>(args, 0)?`, `vm.to_js("text")?`.

use alloc::string::String;
use alloc::vec::Vec;

use super::Vm;
use crate::value::Value;

/// A Rust type a JavaScript value converts to (with the usual JS coercions).
pub trait FromJs: Sized {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value>;
}

/// A Rust type that converts to a JavaScript value.
pub trait ToJs {
    fn to_js(self, vm: &mut Vm) -> Result<Value, Value>;
}

impl FromJs for Value {
    fn from_js(_vm: &mut Vm, v: Value) -> Result<Self, Value> {
        Ok(v)
    }
}
impl FromJs for f64 {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value> {
        vm.to_number(v)
    }
}
impl FromJs for i32 {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value> {
        vm.to_int32(v)
    }
}
impl FromJs for u32 {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value> {
        vm.to_uint32(v)
    }
}
impl FromJs for bool {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value> {
        Ok(vm.to_boolean(v))
    }
}
/// The string's bytes (any bytes: strings are byte arrays).
impl FromJs for Vec<u8> {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value> {
        vm.to_byte_vec(v)
    }
}
/// The string as UTF-8 (invalid bytes are replaced).
impl FromJs for String {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value> {
        vm.to_string_lossy(v)
    }
}
/// `None` for `undefined` and `null`.
impl<T: FromJs> FromJs for Option<T> {
    fn from_js(vm: &mut Vm, v: Value) -> Result<Self, Value> {
        if v.is_nullish() {
            Ok(None)
        } else {
            T::from_js(vm, v).map(Some)
        }
    }
}

impl ToJs for Value {
    fn to_js(self, _vm: &mut Vm) -> Result<Value, Value> {
        Ok(self)
    }
}
impl ToJs for () {
    fn to_js(self, _vm: &mut Vm) -> Result<Value, Value> {
        Ok(Value::UNDEFINED)
    }
}
impl ToJs for f64 {
    fn to_js(self, _vm: &mut Vm) -> Result<Value, Value> {
        Ok(Value::number(self))
    }
}
impl ToJs for i32 {
    fn to_js(self, _vm: &mut Vm) -> Result<Value, Value> {
        Ok(Value::number(self as f64))
    }
}
impl ToJs for u32 {
    fn to_js(self, _vm: &mut Vm) -> Result<Value, Value> {
        Ok(Value::number(self as f64))
    }
}
impl ToJs for bool {
    fn to_js(self, _vm: &mut Vm) -> Result<Value, Value> {
        Ok(Value::bool(self))
    }
}
impl ToJs for &str {
    fn to_js(self, vm: &mut Vm) -> Result<Value, Value> {
        vm.new_str(self)
    }
}
impl ToJs for &[u8] {
    fn to_js(self, vm: &mut Vm) -> Result<Value, Value> {
        vm.new_string(self)
    }
}
impl ToJs for String {
    fn to_js(self, vm: &mut Vm) -> Result<Value, Value> {
        vm.new_string_vec(self.into_bytes())
    }
}
impl ToJs for Vec<u8> {
    fn to_js(self, vm: &mut Vm) -> Result<Value, Value> {
        vm.new_string_vec(self)
    }
}
impl<T: ToJs> ToJs for Option<T> {
    fn to_js(self, vm: &mut Vm) -> Result<Value, Value> {
        match self {
            Some(t) => t.to_js(vm),
            None => Ok(Value::NULL),
        }
    }
}

impl Vm {
    /// Argument `i` converted to `T` (missing arguments are `undefined`).
    pub fn arg_as<T: FromJs>(&mut self, args: &[Value], i: usize) -> Result<T, Value> {
        T::from_js(self, Vm::arg(args, i))
    }

    /// Convert a Rust value to a JavaScript value.
    pub fn to_js<T: ToJs>(&mut self, t: T) -> Result<Value, Value> {
        t.to_js(self)
    }
}

/// Binary data for hosts: `ArrayBuffer`s in, bytes out (the TC53 IO classes read and write these).
impl Vm {
    /// A new `ArrayBuffer` holding `data`.
    pub fn new_array_buffer(&mut self, data: Vec<u8>) -> Result<Value, Value> {
        // The allocation charges the bytes to the heap budget.
        self.alloc_object(
            self.intr.array_buffer_prototype,
            crate::object::ObjectKind::ArrayBuffer {
                data,
                detached: false,
            },
        )
    }

    /// The buffer, byte offset and byte length an `ArrayBuffer`, typed array or `DataView`
    /// covers; `None` for any other value.
    fn buffer_range(&self, v: Value) -> Option<(crate::heap::Handle, usize, usize)> {
        use crate::object::ObjectKind;
        let h = v.as_object()?;
        match &self.heap.obj(h).kind {
            ObjectKind::ArrayBuffer { data, .. } => Some((h, 0, data.len())),
            ObjectKind::TypedArray {
                kind,
                buffer,
                offset,
                length,
            } => Some((*buffer, *offset as usize, *length as usize * kind.size())),
            ObjectKind::DataView {
                buffer,
                offset,
                length,
            } => Some((*buffer, *offset as usize, *length as usize)),
            _ => None,
        }
    }

    /// The bytes an `ArrayBuffer`, typed array or `DataView` covers (empty if detached or out
    /// of bounds); `None` for any other value.
    pub fn buffer_bytes(&self, v: Value) -> Option<Vec<u8>> {
        let (buffer, offset, len) = self.buffer_range(v)?;
        match &self.heap.obj(buffer).kind {
            crate::object::ObjectKind::ArrayBuffer { data, .. } => {
                Some(data.get(offset..offset + len).unwrap_or(&[]).to_vec())
            }
            _ => Some(Vec::new()),
        }
    }

    /// Copy `data` into the bytes an `ArrayBuffer`, typed array or `DataView` covers (at most
    /// as many as fit); returns how many were copied, `None` if `v` is not binary data.
    pub fn set_buffer_bytes(&mut self, v: Value, data: &[u8]) -> Option<usize> {
        let (buffer, offset, len) = self.buffer_range(v)?;
        match &mut self.heap.obj_mut(buffer).kind {
            crate::object::ObjectKind::ArrayBuffer { data: bytes, .. } => {
                let Some(dst) = bytes.get_mut(offset..offset + len) else {
                    return Some(0);
                };
                let n = dst.len().min(data.len());
                dst[..n].copy_from_slice(&data[..n]);
                Some(n)
            }
            _ => Some(0),
        }
    }
}
