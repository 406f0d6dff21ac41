//! What hubtop knows about the records it shows: the kinds of record and everything
//! each is — fields, columns, names, choice lists, relations, operations (`entity`, the
//! registry, over one description per kind in `records/`), records as read (`wire`), their states (`state`), which operations
//! apply in which state (`rules`), and the logical → instance map of tables (`tables`) and of fields and
//! choice values (`mapping`).
//! The console, the CLI and the embedded instance all read it.

pub mod entity;
pub mod mapping;
pub mod records;
pub mod rules;
pub mod state;
pub mod tables;
pub mod wire;

pub use entity::{Column, Entity, Verb, Width};
pub use mapping::Mapping;
pub use rules::{Operation, WorkOrderOp};
pub use state::Tone;
pub use tables::Tables;
pub use wire::{Record, title_of};
