//! The views: each component reads the controller's signals and calls its methods; none keeps
//! application state of its own beyond what an input needs while it is being edited.

pub mod board;
pub mod console;
pub mod device;
pub mod editor_pane;
pub mod flash;
pub mod follow_log;
pub mod gallery;
pub mod modal;
pub mod network;
pub mod share;
pub mod sidebar;
pub mod splitter;
pub mod tab_button;
pub mod toolbar;
