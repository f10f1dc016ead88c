//! Small browser helpers shared by the controller and the components.

pub mod dom;
