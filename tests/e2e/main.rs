//! The real binary in a terminal (tmux), as an operator runs it. A test that needs tmux
//! is `#[tmux_test]`: reported as ignored, never as passed, where tmux was not on PATH
//! when the tests were built (CI installs it and fails without it).
//!
//! To add a test file: put it in this directory, add `mod <file>;` below, mark each test
//! that drives tmux `#[tmux_test]` (with `use hubtop_tmux_gate::tmux_test;`), use a tmux
//! server of its own (`common::tmux::Tmux`), and the shared fixtures in `tests/common/`.

#[path = "../common/mod.rs"]
mod common;

mod conv_panic_tmux;
mod e2e_tmux;
mod fleet_tmux;
mod reliab_tmux;
mod snapshot_tmux;
mod trust_tmux;
mod walk_restore;
mod walk_tmux;
