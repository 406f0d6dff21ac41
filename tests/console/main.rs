//! The console: the state machine driven by keys and messages, what it draws, and the
//! headless console against the embedded instance over real HTTP.
//!
//! To add a test file: put it in this directory, add `mod <file>;` below, and use the
//! shared fixtures in `tests/common/` (see its module documentation) rather than a copy.

#[path = "../common/mod.rs"]
mod common;

mod actions;
mod app_state;
mod arch_registry;
mod bulk_outcomes;
mod chaos;
mod console_real;
mod fleet_app;
mod headless;
mod hostile;
mod operator_safety;
mod polite_budget;
mod polite_cadence;
mod query_console;
mod refusals;
mod screens;
mod trust_bulk;
mod trust_console;
mod trust_keys;
mod trust_screen;
mod trust_state;
mod walk_actions;
mod walk_detail;
mod walk_filters;
mod walk_screen;
