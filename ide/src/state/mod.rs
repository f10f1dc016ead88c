//! Application state as plain Rust structs (no signals, no browser): the workspace of
//! projects, what the simulator shows, the layout. Leptos signals wrap them in `controller`.

pub mod device_view;
pub mod flash_view;
pub mod history;
pub mod layout;
pub mod sim_view;
pub mod workspace;
