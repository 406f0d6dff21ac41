//! The embedded instance over real HTTP: its API, its engine, and its conformance to the
//! product documentation.
//!
//! To add a test file: put it in this directory, add `mod <file>;` below, and use the
//! shared fixtures in `tests/common/` (see its module documentation) rather than a copy.

#[path = "../common/mod.rs"]
mod common;

mod companion;
mod conformance;
mod orderby_reference;
mod query_reproductions;
mod sim_api;
