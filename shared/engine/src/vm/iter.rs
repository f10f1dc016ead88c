//! The iteration protocol (with a fast path for built-in array iterators) and for-in keys.

use alloc::vec::Vec;

use super::Vm;
use crate::object::{IterKind, Key, ObjectKind};
use crate::value::Value;

impl Vm {
    /// GetIterator(obj, sync): (iterator, next method).
    pub fn get_iterator(&mut self, obj: Value) -> Result<(Value, Value), Value> {
        let method = self.get(obj, Key::symbol(self.sym.iterator))?;
        if !self.is_callable(method) {
            let d = self.describe_value(obj);
            return Err(self.type_error(&alloc::format!("{d} is not iterable")));
        }
        let iter = self.call(method, obj, &[])?;
        if !iter.is_object() {
            return Err(self.type_error("Result of the Symbol.iterator method is not an object"));
        }
        let next = self.get(iter, Key::atom(self.names.next))?;
        Ok((iter, next))
    }

    /// IteratorStep + IteratorValue: `None` when done.
    pub fn iterator_step(&mut self, iter: Value, next: Value) -> Result<Option<Value>, Value> {
        if next == self.intr.array_iterator_next {
            if let Some(r) = self.array_iterator_fast_step(iter) {
                return r;
            }
        }
        let r = self.call(next, iter, &[])?;
        if !r.is_object() {
            return Err(self.type_error("Iterator result is not an object"));
        }
        let done = self.get(r, Key::atom(self.names.done))?;
        if self.to_boolean(done) {
            return Ok(None);
        }
        Ok(Some(self.get(r, Key::atom(self.names.value))?))
    }

    /// Step a built-in array iterator without allocating a result object.
    fn array_iterator_fast_step(&mut self, iter: Value) -> Option<Result<Option<Value>, Value>> {
        let h = iter.as_object()?;
        let ObjectKind::ArrayIterator {
            target,
            index,
            kind: IterKind::Values,
            done,
        } = &self.heap.obj(h).kind
        else {
            return None;
        };
        if *done {
            return Some(Ok(None));
        }
        let (target, index) = (*target, *index);
        let len = match target.as_object().map(|t| &self.heap.obj(t).kind) {
            Some(ObjectKind::Array(a)) => a.len,
            Some(ObjectKind::TypedArray { .. }) => {
                self.typed_length(target.as_object().unwrap()).unwrap_or(0)
            }
            _ => {
                let lk = Key::atom(self.names.length);
                let l = match self.get(target, lk) {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e)),
                };
                match self.to_length(l) {
                    Ok(n) => n as u32,
                    Err(e) => return Some(Err(e)),
                }
            }
        };
        if index >= len {
            if let ObjectKind::ArrayIterator { done, .. } = &mut self.heap.obj_mut(h).kind {
                *done = true;
            }
            return Some(Ok(None));
        }
        if let ObjectKind::ArrayIterator { index, .. } = &mut self.heap.obj_mut(h).kind {
            *index += 1;
        }
        Some(self.get_index(target, index).map(Some))
    }

    /// IteratorClose (normal completion): call `return` if present.
    pub fn iterator_close(&mut self, iter: Value) -> Result<(), Value> {
        if let Some(h) = iter.as_object() {
            if let ObjectKind::ArrayIterator { .. } = self.heap.obj(h).kind {
                if self.heap.obj(h).props.is_empty()
                    && self.heap.obj(h).proto() == self.intr.array_iterator_prototype
                {
                    return Ok(());
                }
            }
        }
        let ret = self.get(iter, Key::atom(self.names.return_))?;
        if ret.is_nullish() {
            return Ok(());
        }
        let r = self.call(ret, iter, &[])?;
        if !r.is_object() {
            return Err(self.type_error("Iterator result is not an object"));
        }
        Ok(())
    }

    /// Collect an iterable into a Vec. The values are kept rooted in an array while iterating;
    /// the caller must root them itself if it calls back into JavaScript afterwards.
    pub fn iterate_to_vec(&mut self, iterable: Value) -> Result<Vec<Value>, Value> {
        // Fast path: a plain array with the built-in iterator.
        if let Some(h) = iterable.as_object() {
            if let ObjectKind::Array(a) = &self.heap.obj(h).kind {
                if !a.sparse && self.array_iteration_is_plain(h) {
                    let a = match &self.heap.obj(h).kind {
                        ObjectKind::Array(a) => a,
                        _ => unreachable!(),
                    };
                    let mut out: Vec<Value> = a
                        .elems
                        .iter()
                        .map(|v| if v.is_empty() { Value::UNDEFINED } else { *v })
                        .collect();
                    out.resize(a.len as usize, Value::UNDEFINED);
                    return Ok(out);
                }
            }
        }
        let (iter, next) = self.get_iterator(iterable)?;
        let holder = self.new_array(Vec::new())?;
        let mark = self.push_root(holder);
        self.push_root(iter);
        self.push_root(next);
        let hh = holder.as_object().unwrap();
        let r = loop {
            match self.iterator_step(iter, next) {
                Ok(Some(v)) => {
                    let len = match &self.heap.obj(hh).kind {
                        ObjectKind::Array(a) => a.elems.len() as u32,
                        _ => 0,
                    };
                    if let Err(e) = self.array_put(hh, len, v) {
                        break Err(e);
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.truncate_roots(mark);
        r?;
        match &self.heap.obj(hh).kind {
            ObjectKind::Array(a) => Ok(a.elems.clone()),
            _ => Ok(Vec::new()),
        }
    }

    /// Does iterating this array use the unmodified built-in iterator?
    pub(crate) fn array_iteration_is_plain(&self, h: crate::heap::Handle) -> bool {
        let o = self.heap.obj(h);
        if o.proto() != self.intr.array_prototype
            || o.props.find(Key::symbol(self.sym.iterator)).is_some()
        {
            return false;
        }
        let Some(ap) = self.intr.array_prototype else {
            return false;
        };
        let ok_values =
            self.get_own_data(ap, Key::symbol(self.sym.iterator)) == Some(self.intr.array_values);
        let ok_next = self
            .intr
            .array_iterator_prototype
            .and_then(|p| self.get_own_data(p, Key::atom(self.names.next)))
            == Some(self.intr.array_iterator_next);
        ok_values && ok_next
    }

    /// A new array iterator over `target`.
    pub fn new_array_iterator(&mut self, target: Value, kind: IterKind) -> Result<Value, Value> {
        self.alloc_object(
            self.intr.array_iterator_prototype,
            ObjectKind::ArrayIterator {
                target,
                index: 0,
                kind,
                done: false,
            },
        )
    }

    /// The keys a for-in loop visits: enumerable string keys of the object and its prototypes.
    pub(crate) fn for_in_keys(&mut self, obj: Value) -> Result<Vec<Value>, Value> {
        let mut out = Vec::new();
        if obj.is_nullish() {
            return Ok(out);
        }
        let o = self.to_object(obj)?;
        let mut cur = o.as_object();
        let mut seen: Vec<Key> = Vec::new();
        while let Some(h) = cur {
            let keys = self.own_keys(h)?;
            for k in keys {
                if k.as_symbol().is_some() || seen.contains(&k) {
                    continue;
                }
                seen.push(k);
                if self.own_enumerable(h, k)? == Some(true) {
                    out.push(k.to_value());
                }
            }
            cur = self.get_prototype_of(h)?;
        }
        Ok(out)
    }
}
