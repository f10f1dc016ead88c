//! Ferrite's IDE: a leptos (client-side rendered) app built by trunk.
//!
//! State lives in plain Rust structs (`state`); leptos signals are a thin view layer over them
//! (`controller`), and a disposed signal must never take the tab down: callbacks from JS use
//! `try_` accessors. Persistence is in `store`, the views in `components`, the editor binding
//! in `editor`, the simulator worker's page side in `sim_client` (the flash worker's in
//! `flash_client`), live devices' browser I/O in `device`. Browser-independent logic
//! (projects, share links, the simulator, the device protocols) is in `ferrite-ide-core`.

mod app;
mod components;
mod controller;
mod device;
mod editor;
mod flash_client;
mod sim_client;
mod state;
mod store;
mod util;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
