//! The console's reach outside the terminal: the clipboard and the browser. Each
//! module splits a pure decision (tested from a described environment) from the
//! few lines that act on the real one.

pub mod browser;
pub mod clipboard;
