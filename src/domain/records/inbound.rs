//! The inbound queue (`ih_sync_inbound_record`; documented as "Inbound Records").

use crate::domain::entity::{Desc, Width::*, col};
use crate::domain::state::QueueState;

pub static DESC: Desc = Desc {
    name: "inbound",
    label: "Inbound",
    label_one: "Inbound message",
    default_table: "ih_sync_inbound_record",
    list_fields: &[
        "sys_id",
        "sys_updated_on",
        "sys_mod_count",
        "number",
        "state",
        "provider",
        "sequence",
        "correlation_id",
        "action_type",
        "document_id",
        "error",
        "flow_context",
    ],
    columns: &[
        col("number", "NUMBER", Fixed(11), 3),
        col("state", "STATE", Fixed(12), 3),
        col("sequence", "SEQ", Fixed(6), 2),
        col("correlation_id", "CORRELATION", Fixed(12), 1),
        col("provider", "PROVIDER", Fixed(18), 2),
        col("document_id", "RECORD", Fixed(11), 0),
        col("error", "ERROR", Fill(20), 1),
        col("sys_updated_on", "UPDATED", Fixed(9), 0),
    ],
    compact: &[],
    default_order: ("sys_updated_on", true),
    search_fields: &["number", "correlation_id", "error", "state", "document_id.number"],
    get_columns: &["number", "state", "sequence", "correlation_id", "provider", "error"],
    state_field: Some("state"),
    state_values: QueueState::values,
    provider_field: Some("provider"),
    title_field: "number",
    time_fields: &["sys_updated_on"],
};
