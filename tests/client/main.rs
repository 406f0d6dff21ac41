//! The HTTP client: against stubs that answer as a real instance does, against the
//! embedded instance with faults on, on tokio's paused clock where time matters, and the
//! query language and decoding as properties.
//!
//! To add a test file: put it in this directory, add `mod <file>;` below, and use the
//! shared fixtures in `tests/common/` (see its module documentation) rather than a copy.

#[path = "../common/mod.rs"]
mod common;

mod client_errors;
mod client_timing;
mod polite_batch;
mod polite_share;
mod polite_views;
mod query_props;
mod under_faults;
