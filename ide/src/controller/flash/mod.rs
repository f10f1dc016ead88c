//! The Flash page in the controller: its signals (settings, the bundled firmware, the chosen
//! file, what the flash under way shows, the notes) and what prepares a flash — opening the
//! tab (which starts the flash worker and reads the bundled firmware's manifest), choosing a
//! file (identified by the worker). Running a flash is `run`. Callbacks from JS use `try_`
//! accessors: a disposed signal never panics the tab.

mod run;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::Ctx;
use crate::device::raw_port::RawPort;
use crate::flash_client::FlashClient;
use crate::state::flash_view::{
    identify_json, parse_manifest, Bundled, ChosenFile, FlashPage, FlashRequest, FlashSettings,
    FlashView, Lines, Notes, Source, MANIFEST_URL,
};

const SETTINGS_KEY: &str = "ferrite.flash";

/// What the controller keeps of flashing that is not shown.
#[derive(Default)]
struct FlashServices {
    client: Option<FlashClient>,
    /// The port of the flash under way.
    port: Option<RawPort>,
    /// The chosen file's bytes (in JS memory; each message to the worker gets a copy).
    file_bytes: Option<js_sys::Uint8Array>,
    /// The flash under way: its number (events of older ones are dropped) and its request.
    run: u64,
    request: Option<(FlashRequest, js_sys::Uint8Array)>,
    lines: Lines,
    /// The port is open (bytes flow to the worker).
    port_open: bool,
    /// The flash whose job the worker runs (sent, no `done`/`failed` yet). Messages while it
    /// is not the flash under way belong to a job the page already ended: they are dropped.
    /// (The protocol has no job id: ide/core's messages carry none to echo.)
    worker_run: Option<u64>,
    /// The flash under way asked the worker for reset sequences (the line drives DTR/RTS).
    resets: bool,
    /// The port closed during the reset after a verified write (a re-enumerating board).
    closed_in_reset: bool,
    /// The tab was opened once (worker and manifest asked for).
    opened: bool,
}

/// The Flash page's signals (cheap to copy).
#[derive(Clone, Copy)]
pub struct FlashCtx {
    pub page: RwSignal<FlashPage>,
    pub notes: RwSignal<Notes>,
    svc: StoredValue<FlashServices, LocalStorage>,
}

impl FlashCtx {
    pub fn new() -> FlashCtx {
        FlashCtx {
            page: RwSignal::new(FlashPage::default()),
            notes: RwSignal::new(Notes::default()),
            svc: StoredValue::new_local(FlashServices::default()),
        }
    }

    /// A flash is under way.
    pub fn busy(&self) -> bool {
        self.page.with(|p| p.view.phase.busy())
    }

    /// Read the settings (tracked).
    pub fn settings<R>(&self, f: impl FnOnce(&FlashSettings) -> R) -> R {
        self.page.with(|p| f(&p.settings))
    }

    /// Read what the flash under way or the last one shows (tracked).
    pub fn view<R>(&self, f: impl FnOnce(&FlashView) -> R) -> R {
        self.page.with(|p| f(&p.view))
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The choices of last time (outside input: a bad value gives the defaults).
fn load_settings() -> FlashSettings {
    storage()
        .and_then(|s| s.get_item(SETTINGS_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str::<FlashSettings>(&t).ok())
        .unwrap_or_default()
}

fn save_settings(settings: &FlashSettings) {
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(settings)) {
        let _ = s.set_item(SETTINGS_KEY, &json);
    }
}

/// GET `url` as bytes (a status other than 2xx is an error).
async fn fetch_bytes(url: &str) -> Result<js_sys::Uint8Array, String> {
    let response = fetch(url).await?;
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer))
}

/// GET `url` as text.
async fn fetch_text(url: &str) -> Result<String, String> {
    let response = fetch(url).await?;
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    text.as_string().ok_or_else(|| "not text".to_string())
}

async fn fetch(url: &str) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| e.as_string().unwrap_or_else(|| "the request failed".into()))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    Ok(response)
}

impl Ctx {
    /// The Flash tab was opened: the first time, start the flash worker and read the bundled
    /// firmware's manifest.
    pub fn flash_tab_opened(&self) {
        let fl = self.flash;
        if fl
            .svc
            .try_update_value(|s| std::mem::replace(&mut s.opened, true))
            .unwrap_or(true)
        {
            return;
        }
        // The remembered choices are read when the page is first shown.
        fl.page.update(|p| p.settings = load_settings());
        if let Some(c) = self.flash_client() {
            c.launch();
        }
        wasm_bindgen_futures::spawn_local(async move {
            let none = "No bundled firmware in this build";
            let bundled = match fetch_text(MANIFEST_URL).await {
                Err(_) => Bundled::Missing(none.into()),
                Ok(text) => match parse_manifest(&text) {
                    Ok(list) if !list.is_empty() => Bundled::Images(list),
                    Ok(_) => Bundled::Missing(none.into()),
                    Err(e) => Bundled::Missing(format!("{none} ({e})")),
                },
            };
            fl.page.try_update(|p| {
                // A file the person chose meanwhile stays chosen.
                if matches!(bundled, Bundled::Images(_)) && p.file.is_none() {
                    p.source = Source::Bundled(0);
                }
                p.bundled = bundled;
            });
        });
    }

    /// The flash worker's client (created on first use).
    fn flash_client(&self) -> Option<FlashClient> {
        let existing = self.flash.svc.try_with_value(|s| s.client.clone())?;
        if existing.is_some() {
            return existing;
        }
        let ctx = *self;
        let client = FlashClient::new(move |m| ctx.on_flash_worker(m));
        self.flash
            .svc
            .try_update_value(|s| s.client = Some(client.clone()));
        Some(client)
    }

    /// The user chose a file: keep its bytes and ask the worker what it is.
    pub fn flash_choose_file(&self, file: web_sys::File) {
        let fl = self.flash;
        let ctx = *self;
        let name = file.name();
        fl.page.update(|p| {
            p.source = Source::File;
            p.file = Some(ChosenFile {
                name: name.clone(),
                size: file.size() as u64,
                facts: None,
            });
        });
        wasm_bindgen_futures::spawn_local(async move {
            let bytes = match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => js_sys::Uint8Array::new(&buffer),
                Err(e) => {
                    let why = e.as_string().unwrap_or_else(|| "unreadable".into());
                    fl.notes
                        .try_update(|n| n.push(format!("Could not read {name}: {why}")));
                    fl.page.try_update(|p| p.file = None);
                    return;
                }
            };
            fl.svc
                .try_update_value(|s| s.file_bytes = Some(bytes.clone()));
            if let Some(c) = ctx.flash_client() {
                c.send(&identify_json(&name), Some(&bytes.slice(0, bytes.length())));
            }
        });
    }

    /// A settings change from the form (remembered).
    pub fn flash_update_settings(&self, f: impl FnOnce(&mut FlashSettings)) {
        self.flash.page.update(|p| {
            f(&mut p.settings);
            save_settings(&p.settings);
        });
    }
}
