//! Flow executions (`sys_flow_context`, documented).

use crate::domain::entity::{Desc, Width::*, col};
use crate::domain::state::ExecState;

pub static DESC: Desc = Desc {
    name: "executions",
    label: "Executions",
    label_one: "Execution",
    default_table: "sys_flow_context",
    fields: &[
        "name",
        "flow",
        "state",
        "started",
        "ended",
        "run_time",
        "source_table",
        "source_record",
        "error_message",
    ],
    list_fields: &[
        "sys_id",
        "sys_updated_on",
        "sys_mod_count",
        "name",
        "flow",
        "state",
        "started",
        "ended",
        "run_time",
        "source_record",
        "error_message",
    ],
    columns: &[
        col("name", "FLOW", Fixed(34), 3),
        col("state", "STATE", Fixed(13), 3),
        col("started", "STARTED", Fixed(9), 1),
        col("run_time", "DURATION", Fixed(8), 0),
        col("source_record", "RECORD", Fixed(11), 2),
        col("error_message", "ERROR", Fill(20), 1),
    ],
    compact: &[],
    default_order: ("sys_updated_on", true),
    search_fields: &["name", "error_message", "state", "source_record"],
    get_columns: &["sys_id", "name", "state", "started", "run_time", "error_message"],
    state_field: Some("state"),
    state_values: ExecState::values,
    provider_field: None,
    title_field: "name",
    time_fields: &["sys_updated_on", "started", "ended"],
};
