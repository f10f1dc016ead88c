//! A small IndexedDB wrapper (web_sys `Idb*` + futures): database `ferrite` with an object
//! store `projects` (key: project id, value: the project's JSON) and a store `meta` (key
//! `last`: the last open project and file). It only moves strings; what they mean is the
//! caller's. Errors are values saying what failed; it never panics on what the store holds.

use ferrite_ide_core::project::Project;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

const DB_NAME: &str = "ferrite";
const DB_VERSION: u32 = 1;
const PROJECTS: &str = "projects";
const META: &str = "meta";
const META_KEY: &str = "last";

#[wasm_bindgen(inline_js = r#"
export function idbRequestDone(req) {
  return new Promise(function (resolve, reject) {
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(String(req.error && req.error.message || "request failed")); };
    req.onblocked = function () { reject("the database is blocked by another tab"); };
  });
}
export function idbTransactionDone(tx) {
  return new Promise(function (resolve, reject) {
    tx.oncomplete = function () { resolve(); };
    tx.onerror = function () { reject(String(tx.error && tx.error.message || "transaction failed")); };
    tx.onabort = function () { reject(String(tx.error && tx.error.message || "transaction aborted")); };
  });
}
export function idbOnUpgrade(req, stores) {
  req.onupgradeneeded = function () {
    const db = req.result;
    for (const name of stores) {
      if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
    }
  };
}
"#)]
extern "C" {
    fn idbRequestDone(req: &IdbRequest) -> js_sys::Promise;
    fn idbTransactionDone(tx: &IdbTransaction) -> js_sys::Promise;
    fn idbOnUpgrade(req: &IdbOpenDbRequest, stores: &js_sys::Array);
}

/// What the IDE remembers between visits besides the projects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub project: String,
    pub file: String,
}

/// Everything one transaction writes.
#[derive(Debug, Default)]
pub struct Batch {
    /// (id, project JSON).
    pub puts: Vec<(String, String)>,
    pub deletes: Vec<String>,
    pub meta: Option<Meta>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty() && self.meta.is_none()
    }
}

fn js_err(context: &str, e: JsValue) -> String {
    let text = e
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"));
    format!("{context}: {text}")
}

async fn done(req: &IdbRequest, context: &str) -> Result<JsValue, String> {
    JsFuture::from(idbRequestDone(req))
        .await
        .map_err(|e| js_err(context, e))
}

/// An open database.
#[derive(Clone)]
pub struct Db(IdbDatabase);

impl Db {
    pub async fn open() -> Result<Db, String> {
        let factory = web_sys::window()
            .ok_or("no window")?
            .indexed_db()
            .map_err(|e| js_err("IndexedDB", e))?
            .ok_or("this browser has no IndexedDB")?;
        let req = factory
            .open_with_u32(DB_NAME, DB_VERSION)
            .map_err(|e| js_err("opening the database", e))?;
        let stores = js_sys::Array::of2(&PROJECTS.into(), &META.into());
        idbOnUpgrade(&req, &stores);
        let db = done(&req, "opening the database").await?;
        db.dyn_into::<IdbDatabase>()
            .map(Db)
            .map_err(|_| "opening the database: not a database".to_string())
    }

    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, String> {
        let names = js_sys::Array::of2(&PROJECTS.into(), &META.into());
        self.0
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(|e| js_err("starting a transaction", e))
    }

    /// Every stored project. Records that do not parse are skipped (and reported in the
    /// browser console): one damaged record must not hide the others.
    pub async fn load_projects(&self) -> Result<Vec<Project>, String> {
        let tx = self.transaction(IdbTransactionMode::Readonly)?;
        let store = tx
            .object_store(PROJECTS)
            .map_err(|e| js_err("reading projects", e))?;
        let req = store.get_all().map_err(|e| js_err("reading projects", e))?;
        let all = done(&req, "reading projects").await?;
        let mut out = Vec::new();
        for v in js_sys::Array::from(&all).iter() {
            let Some(text) = v.as_string() else { continue };
            match serde_json::from_str::<Project>(&text) {
                Ok(p) if !p.id.is_empty() => out.push(p),
                Ok(_) => web_sys::console::warn_1(&"ferrite: skipped a project without id".into()),
                Err(e) => web_sys::console::warn_1(
                    &format!("ferrite: skipped a damaged project record: {e}").into(),
                ),
            }
        }
        Ok(out)
    }

    pub async fn load_meta(&self) -> Result<Option<Meta>, String> {
        let tx = self.transaction(IdbTransactionMode::Readonly)?;
        let store = tx
            .object_store(META)
            .map_err(|e| js_err("reading settings", e))?;
        let req = store
            .get(&META_KEY.into())
            .map_err(|e| js_err("reading settings", e))?;
        let v = done(&req, "reading settings").await?;
        Ok(v.as_string()
            .and_then(|text| serde_json::from_str::<Meta>(&text).ok()))
    }

    /// Write a batch in one transaction; resolves when it is durable (committed).
    pub async fn write(&self, batch: Batch) -> Result<(), String> {
        let tx = self.transaction(IdbTransactionMode::Readwrite)?;
        let projects = tx.object_store(PROJECTS).map_err(|e| js_err("saving", e))?;
        for (id, json) in &batch.puts {
            projects
                .put_with_key(&JsValue::from_str(json), &JsValue::from_str(id))
                .map_err(|e| js_err("saving a project", e))?;
        }
        for id in &batch.deletes {
            projects
                .delete(&JsValue::from_str(id))
                .map_err(|e| js_err("deleting a project", e))?;
        }
        if let Some(meta) = &batch.meta {
            let json = serde_json::to_string(meta).map_err(|e| format!("saving settings: {e}"))?;
            tx.object_store(META)
                .and_then(|s| s.put_with_key(&JsValue::from_str(&json), &META_KEY.into()))
                .map_err(|e| js_err("saving settings", e))?;
        }
        JsFuture::from(idbTransactionDone(&tx))
            .await
            .map(|_| ())
            .map_err(|e| js_err("saving", e))
    }
}
