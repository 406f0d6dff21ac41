//! Fixtures shared by every test group, one copy of each. The tests are grouped into one
//! binary per area, each `tests/<area>/main.rs` with a `mod` line per file (as ripgrep
//! keeps `tests/tests.rs`), because 35 binaries took longer to link than to run:
//!
//! - `console`: the state machine, rendering and the headless console (keys in, screen out);
//! - `client`: the HTTP client against stubs and the embedded instance;
//! - `sim`: the embedded instance's API and its conformance to the documentation;
//! - `cli`: the real binary as a process, its config, audit log and files;
//! - `e2e`: the real binary in tmux (`#[hubtop_tmux_gate::tmux_test]`).
//!
//! Each group includes this module with `#[path = "../common/mod.rs"] mod common;`.
//! To add a test file: put it in the group's directory and add `mod <file>;` to its
//! `main.rs`; use these fixtures rather than a copy (a sim child killed on drop, a
//! temporary directory removed on drop, a stub server, `wait_for`/`until`).
#![allow(dead_code)]

pub mod app;
pub mod audit;
pub mod dirs;
pub mod insim;
pub mod keyring;
pub mod proc;
pub mod stub;
pub mod tmux;
pub mod wait;

#[allow(unused_imports)]
pub use dirs::TempDir;
