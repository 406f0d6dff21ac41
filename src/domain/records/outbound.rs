//! The outbound queue (`ih_sync_outbound_record`; states documented as "Outbound Queue
//! States" for Remote Process Sync).

use crate::domain::entity::{Desc, Width::*, col};
use crate::domain::state::QueueState;

pub static DESC: Desc = Desc {
    name: "outbound",
    label: "Outbound",
    label_one: "Outbound entry",
    default_table: "ih_sync_outbound_record",
    list_fields: &[
        "sys_id",
        "sys_updated_on",
        "sys_mod_count",
        "number",
        "state",
        "operation",
        "provider",
        "document_id",
        "attempts",
        "max_attempts",
        "next_attempt",
        "last_error",
        "response_code",
        "flow_context",
    ],
    columns: &[
        col("number", "NUMBER", Fixed(11), 3),
        col("state", "STATE", Fixed(12), 3),
        col("operation", "OP", Fixed(7), 0),
        col("document_id", "RECORD", Fixed(11), 0),
        col("provider", "PROVIDER", Fixed(18), 2),
        col("attempts", "TRIES", Fixed(5), 2),
        col("next_attempt", "NEXT", Fixed(8), 1),
        col("last_error", "LAST ERROR", Fill(20), 1),
        col("sys_updated_on", "UPDATED", Fixed(9), 0),
    ],
    compact: &["number", "state", "operation", "last_error"],
    default_order: ("sys_updated_on", true),
    search_fields: &["number", "last_error", "state", "operation", "document_id.number"],
    get_columns: &["number", "state", "operation", "document_id", "provider", "attempts", "next_attempt", "last_error"],
    state_field: Some("state"),
    state_values: QueueState::values,
    provider_field: Some("provider"),
    title_field: "number",
    time_fields: &["sys_updated_on", "next_attempt"],
};
