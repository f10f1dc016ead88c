//! The controller: the app's signals (a thin view layer over the plain structs in `state`)
//! and the services behind them (the simulator client, the autosaver, the lint sequencing,
//! the live device connection in `device`, the Flash page in `flash`).
//! Components call its methods; callbacks from JavaScript (worker messages, Monaco edits,
//! timers) go through `try_` accessors so that a disposed signal never panics the tab.

pub mod device;
pub mod flash;
mod lint;
mod projects;
mod sim;
mod startup;

use ferrite_ide_core::protocol::{ErrorLocation, Snapshot, Speed};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::sim_client::SimClient;
use crate::state::layout::{Layout, Theme};
use crate::state::sim_view::{ConsoleLog, LineKind, Problems, Status, TrafficLog};
use crate::state::workspace::Workspace;
use crate::store::saver::Saver;

pub use startup::start;

/// Which dialog is open.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Dialog {
    #[default]
    None,
    Examples,
    /// The share dialog with its link.
    Share(String),
    /// A live device wants a password (`DeviceCtx::password` says which).
    DevicePassword,
    /// The editor's file against the device's copy (`DeviceCtx::comparison`).
    CompareWithDevice,
}

/// A console line waiting for the next animation frame (lines are rendered in batches).
struct PendingLine {
    kind: LineKind,
    text: String,
    location: Option<ErrorLocation>,
}

/// What the controller keeps that is not shown (not `Send`: lives in a local stored value).
struct Services {
    client: Option<SimClient>,
    saver: Saver,
    /// The latest lint request and the file it was for.
    lint_seq: u64,
    lint_file: String,
    lint_timer: Option<TimeoutHandle>,
    rpc_seq: u64,
    /// The last Run sent, and whether the worker answered it with `Started` (until then,
    /// messages are about the previous run and are dropped).
    run_seq: u64,
    run_started: bool,
    /// The worker generation the last Run went to (a replaced worker never answers it).
    run_generation: u32,
    /// The user pressed Stop (the next Idle reads "Stopped").
    user_stopped: bool,
    /// A Run happened and no console line appeared since (for `__ferrite.firstOutputAt`).
    awaiting_output: bool,
    /// Files that carry "run" markers (cleared at the next Run).
    run_marked: Vec<String>,
    pending_lines: Vec<PendingLine>,
    frame_scheduled: bool,
}

/// The app's state handles (cheap to copy into closures).
#[derive(Clone, Copy)]
pub struct Ctx {
    pub ws: RwSignal<Workspace>,
    /// Projects are loaded (the editor may open them).
    pub loaded: RwSignal<bool>,
    pub console: RwSignal<ConsoleLog>,
    pub traffic: RwSignal<TrafficLog>,
    pub snapshot: RwSignal<Snapshot>,
    pub status: RwSignal<Status>,
    pub problems: RwSignal<Problems>,
    pub speed: RwSignal<Speed>,
    pub layout: RwSignal<Layout>,
    pub theme: RwSignal<Theme>,
    pub dialog: RwSignal<Dialog>,
    /// A share link that could not be opened (its reason).
    pub share_error: RwSignal<Option<String>>,
    /// The editor exists and shows the current project.
    pub editor_ready: RwSignal<bool>,
    /// The live device.
    pub dev: device::DeviceCtx,
    /// The Flash page.
    pub flash: flash::FlashCtx,
    svc: StoredValue<Services, LocalStorage>,
}

impl Ctx {
    /// Create the signals and services (inside the app's reactive owner).
    pub fn new(layout: Layout, theme: Theme) -> Ctx {
        let status = RwSignal::new(Status::default());
        let saver = Saver::new(move |result, flushed| {
            let unsaved = result.err().map(|e| format!("Not saved: {e} (retrying)"));
            status.try_update(|s| s.unsaved = unsaved);
            if flushed {
                show_notice(status, "Saved");
            }
        });
        let ctx = Ctx {
            ws: RwSignal::new(Workspace::default()),
            loaded: RwSignal::new(false),
            console: RwSignal::new(ConsoleLog::default()),
            traffic: RwSignal::new(TrafficLog::default()),
            snapshot: RwSignal::new(Snapshot::default()),
            status,
            problems: RwSignal::new(Problems::default()),
            speed: RwSignal::new(Speed::Realtime),
            layout: RwSignal::new(layout),
            theme: RwSignal::new(theme),
            dialog: RwSignal::new(Dialog::None),
            share_error: RwSignal::new(None),
            editor_ready: RwSignal::new(false),
            dev: device::DeviceCtx::new(),
            flash: flash::FlashCtx::new(),
            svc: StoredValue::new_local(Services {
                client: None,
                saver,
                lint_seq: 0,
                lint_file: String::new(),
                lint_timer: None,
                rpc_seq: 0,
                run_seq: 0,
                run_started: true,
                run_generation: 0,
                user_stopped: false,
                awaiting_output: false,
                run_marked: Vec::new(),
                pending_lines: Vec::new(),
                frame_scheduled: false,
            }),
        };
        let client = SimClient::new(move |m| ctx.on_worker(m));
        ctx.svc.try_update_value(|s| s.client = Some(client));
        ctx
    }

    /// Start the simulator worker once the editor is usable and the page is idle (at most a
    /// second later): typing comes first, the simulator's wasm after (see `SimClient::launch`).
    pub fn launch_simulator(&self) {
        let Some(client) = self.client() else { return };
        let cb = Closure::once_into_js(move || client.launch());
        let Some(w) = web_sys::window() else { return };
        let opts = web_sys::IdleRequestOptions::new();
        opts.set_timeout(1000);
        if w.request_idle_callback_with_options(cb.unchecked_ref(), &opts)
            .is_err()
        {
            let _ = w.set_timeout_with_callback(cb.unchecked_ref());
        }
    }

    /// The simulator client (cloned out, so that its callbacks may use the services).
    fn client(&self) -> Option<SimClient> {
        self.svc.try_with_value(|s| s.client.clone()).flatten()
    }

    fn saver(&self) -> Option<Saver> {
        self.svc.try_with_value(|s| s.saver.clone())
    }

    /// Show a short-lived notice in the status bar (a few seconds).
    pub fn notice(&self, text: &str) {
        show_notice(self.status, text);
    }
}

fn show_notice(status: RwSignal<Status>, text: &str) {
    status.try_update(|s| s.notice = Some(text.to_string()));
    let text = text.to_string();
    set_timeout(
        move || {
            status.try_update(|s| {
                if s.notice.as_deref() == Some(text.as_str()) {
                    s.notice = None;
                }
            });
        },
        std::time::Duration::from_millis(2500),
    );
}

/// The controller of the app (provided as context by `App`).
pub fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}
