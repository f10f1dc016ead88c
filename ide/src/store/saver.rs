//! Autosave: coalesces writes to IndexedDB so that at most one transaction is in flight and
//! the latest version of each project wins (a burst of keystrokes costs one write after the
//! one in flight). It never blocks the page; results go to one callback (the status bar).
//! A failed write is not dropped: what no newer edit replaced is queued again and retried with
//! a back-off until a write succeeds.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use ferrite_ide_core::project::Project;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::idb::{Batch, Db, Meta};

/// The first retry's delay after a failed write (doubled per failure, up to the maximum).
const RETRY_FIRST_MS: i32 = 1000;
const RETRY_MAX_MS: i32 = 30_000;

#[derive(Debug, PartialEq)]
enum Op {
    Put(String),
    Delete,
}

struct Inner {
    db: Option<Db>,
    in_flight: bool,
    ops: BTreeMap<String, Op>,
    meta: Option<Meta>,
    /// Called after each write with its result and whether it covered a requested flush.
    on_done: Rc<dyn Fn(Result<(), String>, bool)>,
    /// A Ctrl+S is waiting for the next write to finish.
    flush_requested: bool,
    /// Writes in a row that failed (0: the last one succeeded).
    failures: u32,
    /// A retry is scheduled (writes wait for it).
    retry_scheduled: bool,
}

/// A handle on the autosaver (cheap to clone).
#[derive(Clone)]
pub struct Saver(Rc<RefCell<Inner>>);

impl Saver {
    pub fn new(on_done: impl Fn(Result<(), String>, bool) + 'static) -> Saver {
        Saver(Rc::new(RefCell::new(Inner {
            db: None,
            in_flight: false,
            ops: BTreeMap::new(),
            meta: None,
            on_done: Rc::new(on_done),
            flush_requested: false,
            failures: 0,
            retry_scheduled: false,
        })))
    }

    /// The database is open: start writing what was queued meanwhile.
    pub fn attach(&self, db: Db) {
        self.0.borrow_mut().db = Some(db);
        self.kick();
    }

    pub fn put(&self, project: &Project) {
        match serde_json::to_string(project) {
            Ok(json) => {
                self.0
                    .borrow_mut()
                    .ops
                    .insert(project.id.clone(), Op::Put(json));
                self.kick();
            }
            Err(e) => {
                let on_done = self.0.borrow().on_done.clone();
                on_done(Err(format!("saving {}: {e}", project.name)), false);
            }
        }
    }

    pub fn delete(&self, id: &str) {
        self.0.borrow_mut().ops.insert(id.to_string(), Op::Delete);
        self.kick();
    }

    pub fn meta(&self, meta: Meta) {
        self.0.borrow_mut().meta = Some(meta);
        self.kick();
    }

    /// Ctrl+S: report (`on_done(.., true)`) once everything queued so far is written.
    pub fn flush(&self) {
        let idle = {
            let mut inner = self.0.borrow_mut();
            inner.flush_requested = true;
            !inner.in_flight && inner.ops.is_empty() && inner.meta.is_none() && inner.db.is_some()
        };
        if idle {
            let on_done = {
                let mut inner = self.0.borrow_mut();
                inner.flush_requested = false;
                inner.on_done.clone()
            };
            on_done(Ok(()), true);
        } else {
            self.kick();
        }
    }

    fn kick(&self) {
        let (db, batch, flush) = {
            let mut inner = self.0.borrow_mut();
            if inner.in_flight || inner.retry_scheduled {
                return;
            }
            let Some(db) = inner.db.clone() else { return };
            let mut batch = Batch {
                meta: inner.meta.take(),
                ..Batch::default()
            };
            for (id, op) in std::mem::take(&mut inner.ops) {
                match op {
                    Op::Put(json) => batch.puts.push((id, json)),
                    Op::Delete => batch.deletes.push(id),
                }
            }
            if batch.is_empty() {
                // A Ctrl+S that came while the last write was in flight: that write covered it.
                if inner.flush_requested && inner.failures == 0 {
                    inner.flush_requested = false;
                    let on_done = inner.on_done.clone();
                    drop(inner);
                    on_done(Ok(()), true);
                }
                return;
            }
            inner.in_flight = true;
            let flush = std::mem::take(&mut inner.flush_requested);
            (db, batch, flush)
        };
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let retry = Batch {
                puts: batch.puts.clone(),
                deletes: batch.deletes.clone(),
                meta: batch.meta.clone(),
            };
            let result = db.write(batch).await;
            let (on_done, retry_in) = {
                let mut inner = this.0.borrow_mut();
                inner.in_flight = false;
                let retry_in = if result.is_err() {
                    let Inner { ops, meta, .. } = &mut *inner;
                    requeue(ops, meta, retry);
                    // The flush is answered by the write that succeeds.
                    inner.flush_requested |= flush;
                    inner.failures += 1;
                    Some(retry_delay_ms(inner.failures))
                } else {
                    inner.failures = 0;
                    None
                };
                (inner.on_done.clone(), retry_in)
            };
            let flushed = flush && result.is_ok();
            on_done(result, flushed);
            match retry_in {
                Some(ms) => this.retry_after(ms),
                None => this.kick(),
            }
        });
    }

    fn retry_after(&self, ms: i32) {
        self.0.borrow_mut().retry_scheduled = true;
        let this = self.clone();
        let cb = Closure::once_into_js(move || {
            this.0.borrow_mut().retry_scheduled = false;
            this.kick();
        });
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
        }
    }
}

/// Put a failed batch back: each project's op and the meta only where nothing newer was queued
/// since the write started (a newer edit already holds the whole project).
fn requeue(ops: &mut BTreeMap<String, Op>, meta: &mut Option<Meta>, failed: Batch) {
    for (id, json) in failed.puts {
        ops.entry(id).or_insert(Op::Put(json));
    }
    for id in failed.deletes {
        ops.entry(id).or_insert(Op::Delete);
    }
    if meta.is_none() {
        *meta = failed.meta;
    }
}

/// The back-off after `failures` failed writes in a row.
fn retry_delay_ms(failures: u32) -> i32 {
    RETRY_FIRST_MS
        .saturating_mul(1 << failures.saturating_sub(1).min(5))
        .min(RETRY_MAX_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_is_queued_again_unless_a_newer_op_replaced_it() {
        let mut ops = BTreeMap::new();
        ops.insert("b".to_string(), Op::Put("b newer".into()));
        let mut meta = None;
        let failed = Batch {
            puts: vec![("a".into(), "a old".into()), ("b".into(), "b old".into())],
            deletes: vec!["c".into()],
            meta: Some(Meta {
                project: "a".into(),
                file: "main.js".into(),
            }),
        };
        requeue(&mut ops, &mut meta, failed);
        assert_eq!(ops.get("a"), Some(&Op::Put("a old".into())));
        assert_eq!(ops.get("b"), Some(&Op::Put("b newer".into())));
        assert_eq!(ops.get("c"), Some(&Op::Delete));
        assert_eq!(meta.map(|m| m.project), Some("a".to_string()));
    }

    #[test]
    fn retries_back_off_up_to_a_maximum() {
        assert_eq!(retry_delay_ms(1), 1000);
        assert_eq!(retry_delay_ms(2), 2000);
        assert_eq!(retry_delay_ms(3), 4000);
        assert_eq!(retry_delay_ms(30), RETRY_MAX_MS);
    }
}
