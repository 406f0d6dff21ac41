//! The real binary as a process (no terminal): commands and exit codes against a
//! `hubtop sim` child or a stub, the config, the audit log and every file it writes, TLS,
//! and `hubtop bench`.
//!
//! To add a test file: put it in this directory, add `mod <file>;` below, and use the
//! shared fixtures in `tests/common/` (see its module documentation) rather than a copy.

#[path = "../common/mod.rs"]
mod common;

mod bench;
mod cli_conventions;
mod client_cli;
mod commands;
mod config;
mod conv_audit;
mod conv_cli;
mod conv_config;
mod conv_keyring;
mod conv_panic;
mod fleet_cli;
mod metrics;
mod real_instance;
mod real_instance_trust;
mod snapshot;
mod tls;
mod trust_cli;
mod walk_cli;
