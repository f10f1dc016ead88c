//! Error objects, stack traces, and turning thrown values into [`JsError`]s.

use alloc::format;
use alloc::string::String;

use super::Vm;
use crate::engine::JsError;
use crate::object::{Key, ObjectKind, METHOD_FLAGS};
use crate::value::Value;

/// The native error types, in the order of `Intrinsics::error_prototypes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Error,
    Type,
    Range,
    Syntax,
    Reference,
    Eval,
    Uri,
    /// Limits that abort a script (reported as `InternalError`, created as a RangeError object).
    Internal,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Error => "Error",
            ErrorKind::Type => "TypeError",
            ErrorKind::Range => "RangeError",
            ErrorKind::Syntax => "SyntaxError",
            ErrorKind::Reference => "ReferenceError",
            ErrorKind::Eval => "EvalError",
            ErrorKind::Uri => "URIError",
            ErrorKind::Internal => "InternalError",
        }
    }
    pub fn index(self) -> usize {
        match self {
            ErrorKind::Error => 0,
            ErrorKind::Type => 1,
            ErrorKind::Range | ErrorKind::Internal => 2,
            ErrorKind::Syntax => 3,
            ErrorKind::Reference => 4,
            ErrorKind::Eval => 5,
            ErrorKind::Uri => 6,
        }
    }
}

impl Vm {
    /// Create an error object of `kind` with `message` (and a `stack`).
    pub fn make_error(&mut self, kind: ErrorKind, message: &str) -> Value {
        let proto = self.intr.error_prototypes[kind.index()];
        let Ok(e) = self.alloc_object(proto, ObjectKind::Error) else {
            if !self.heap.reserve_active {
                // The heap is full: build the error in the reserve beyond the budget, as the
                // out-of-memory error is built.
                self.heap.reserve_active = true;
                let e = self.make_error(kind, message);
                self.heap.reserve_active = false;
                return e;
            }
            // Out of memory while reporting: return the preallocated message as the thrown value.
            return self.intern(message);
        };
        let h = e.as_object().unwrap();
        let msg = self.intern(message);
        let mk = Key::atom(self.names.message);
        self.define_value(h, mk, msg, METHOD_FLAGS);
        if kind == ErrorKind::Internal {
            let nk = Key::atom(self.names.name);
            let n = self.intern("InternalError");
            self.define_value(h, nk, n, METHOD_FLAGS);
        }
        self.attach_stack(h, kind.name(), message);
        e
    }

    pub fn type_error(&mut self, message: &str) -> Value {
        self.make_error(ErrorKind::Type, message)
    }
    pub fn range_error(&mut self, message: &str) -> Value {
        self.make_error(ErrorKind::Range, message)
    }
    pub fn reference_error(&mut self, message: &str) -> Value {
        self.make_error(ErrorKind::Reference, message)
    }
    pub fn syntax_error(&mut self, message: &str) -> Value {
        self.make_error(ErrorKind::Syntax, message)
    }

    /// The JS stack as text: one `    at name (script:line:col)` line per frame.
    pub fn stack_trace(&self) -> String {
        let mut out = String::new();
        for f in self.frames.iter().rev().take(32) {
            let (line, col) = f.code.position(f.pc.saturating_sub(1));
            let name = String::from_utf8_lossy(self.atoms.bytes(f.code.name)).into_owned();
            let name = if name.is_empty() {
                String::from("<anonymous>")
            } else {
                name
            };
            out.push_str(&format!(
                "    at {} ({}:{}:{})\n",
                name, f.code.script, line, col
            ));
        }
        out.pop();
        out
    }

    /// Define `stack` on a new error object: `Name: message` and the trace.
    pub fn attach_stack(&mut self, h: crate::heap::Handle, name: &str, message: &str) {
        let trace = self.stack_trace();
        let text = if message.is_empty() {
            format!("{name}\n{trace}")
        } else {
            format!("{name}: {message}\n{trace}")
        };
        if let Ok(s) = self.new_string(text.trim_end().as_bytes()) {
            let sk = Key::atom(self.names.stack);
            self.define_value(h, sk, s, METHOD_FLAGS);
        }
    }

    /// Where the innermost frame is (script, line, col).
    pub(crate) fn current_position(&self) -> (String, u32, u32) {
        match self.frames.last() {
            Some(f) => {
                let (l, c) = f.code.position(f.pc.saturating_sub(1));
                (String::from(&*f.code.script), l, c)
            }
            None => (String::new(), 0, 0),
        }
    }

    /// Turn a thrown value into a host-facing error.
    pub fn error_from_thrown(&mut self, thrown: Value) -> JsError {
        let (script, line, col) = self.throw_site.take().unwrap_or_default();
        let mut name = String::from("Error");
        let mut message = String::new();
        let mut stack = String::new();
        if thrown.is_object() {
            let saved = self.terminating;
            self.terminating = false;
            let nk = Key::atom(self.names.name);
            if let Ok(n) = self.get(thrown, nk) {
                if n.is_string() {
                    name = String::from_utf8_lossy(self.string_bytes(n)).into_owned();
                }
            }
            let mk = Key::atom(self.names.message);
            if let Ok(m) = self.get(thrown, mk) {
                if !m.is_undefined() {
                    message = self.to_string_lossy(m).unwrap_or_default();
                }
            }
            let sk = Key::atom(self.names.stack);
            if let Ok(s) = self.get(thrown, sk) {
                if s.is_string() {
                    let full = String::from_utf8_lossy(self.string_bytes(s)).into_owned();
                    // Keep only the "at" lines.
                    stack = full
                        .lines()
                        .filter(|l| l.trim_start().starts_with("at "))
                        .collect::<alloc::vec::Vec<_>>()
                        .join("\n");
                }
            }
            self.terminating = saved;
        } else if thrown.is_string() {
            message = String::from_utf8_lossy(self.string_bytes(thrown)).into_owned();
        } else {
            message = self.display_string(thrown);
        }
        JsError {
            name,
            message,
            script,
            line,
            col,
            stack,
        }
    }
}
