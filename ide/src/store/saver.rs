//! Autosave: coalesces writes to IndexedDB so that at most one transaction is in flight and
//! the latest version of each project wins (a burst of keystrokes costs one write after the
//! one in flight). It never blocks the page; results go to one callback (the status bar).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use ferrite_ide_core::project::Project;

use super::idb::{Batch, Db, Meta};

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
            if inner.in_flight {
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
                return;
            }
            inner.in_flight = true;
            let flush = std::mem::take(&mut inner.flush_requested);
            (db, batch, flush)
        };
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = db.write(batch).await;
            let on_done = {
                let mut inner = this.0.borrow_mut();
                inner.in_flight = false;
                inner.on_done.clone()
            };
            on_done(result, flush);
            this.kick();
        });
    }
}
