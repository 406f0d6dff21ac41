//! One description per kind of record: its table, fields, columns and states.

pub mod execution;
pub mod flow;
pub mod history;
pub mod inbound;
pub mod outbound;
pub mod provider;
pub mod work_order;
