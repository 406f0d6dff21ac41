//! Sync history of work orders (label "Workplace Task Sync History" documented; the
//! table name is ours until checked).

use crate::domain::entity::{Desc, Width::*, col};
use crate::domain::state::SyncStatus;

pub static DESC: Desc = Desc {
    name: "history",
    label: "Sync history",
    label_one: "Sync record",
    default_table: "sn_wsd_case_task_sync_history",
    fields: &[
        "task",
        "provider",
        "operation",
        "status",
        "response_code",
        "message",
        "fm_work_order_id",
        "duration_ms",
        "flow_context",
    ],
    list_fields: &[
        "sys_id",
        "sys_updated_on",
        "sys_mod_count",
        "sys_created_on",
        "task",
        "provider",
        "operation",
        "status",
        "response_code",
        "message",
        "fm_work_order_id",
        "duration_ms",
        "flow_context",
    ],
    columns: &[
        col("sys_created_on", "TIME", Fixed(9), 2),
        col("task", "RECORD", Fixed(11), 2),
        col("provider", "PROVIDER", Fixed(18), 2),
        col("operation", "OP", Fixed(7), 0),
        col("status", "STATUS", Fixed(9), 3),
        col("response_code", "HTTP", Fixed(4), 2),
        col("fm_work_order_id", "FM ID", Fixed(9), 1),
        col("message", "MESSAGE", Fill(20), 1),
    ],
    compact: &["status", "response_code", "operation", "message", "sys_created_on"],
    default_order: ("sys_updated_on", true),
    search_fields: &["message", "fm_work_order_id", "status", "operation", "task.number"],
    get_columns: &["sys_created_on", "task", "provider", "operation", "status", "response_code", "message"],
    state_field: Some("status"),
    state_values: SyncStatus::values,
    provider_field: Some("provider"),
    title_field: "operation",
    time_fields: &["sys_updated_on", "sys_created_on"],
};
