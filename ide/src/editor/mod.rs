//! The code editor: Monaco through a small binding of our own.

pub mod monaco;
