//! Work orders: Workplace Tasks synced to a provider (`sn_wsd_core_workplace_task`,
//! parent of Workplace Case; "FM Provider" and "FM Work Order Id" are documented labels).

use crate::domain::entity::{Desc, Entity, ExecLink, Relation, Source, Verb, Width::*, checked, choice, col};
use crate::domain::state::{IntegrationState, WorkOrderState};

pub static DESC: Desc = Desc {
    name: "workorders",
    aliases: &[],
    key: "work_orders",
    label: "Work orders",
    label_one: "Work order",
    listed: true,
    default_table: "sn_wsd_core_workplace_task",
    fields: &[
        "number",
        "short_description",
        "description",
        "state",
        "priority",
        "fm_provider",
        "fm_work_order_id",
        "integration_state",
        "comments",
    ],
    list_fields: &[
        "sys_id",
        "sys_updated_on",
        "sys_mod_count",
        "number",
        "short_description",
        // The update form starts from what the record holds.
        "description",
        "state",
        "priority",
        "fm_provider",
        "fm_work_order_id",
        "integration_state",
    ],
    columns: &[
        col("number", "NUMBER", Fixed(11), 3),
        col("integration_state", "INTEGRATION", Fixed(15), 3),
        col("fm_work_order_id", "FM ID", Fixed(9), 1),
        col("fm_provider", "PROVIDER", Fixed(18), 2),
        col("state", "STATE", Fixed(12), 0),
        col("short_description", "DESCRIPTION", Fill(20), 1),
        col("sys_updated_on", "UPDATED", Fixed(9), 0),
    ],
    compact: &["number", "integration_state", "fm_work_order_id", "short_description"],
    default_order: ("sys_updated_on", true),
    search_fields: &["number", "short_description", "fm_work_order_id", "integration_state"],
    get_columns: &["number", "state", "integration_state", "fm_provider", "fm_work_order_id", "short_description"],
    choices: &[
        checked("state", WorkOrderState::VALUES),
        choice("priority", &["1", "2", "3", "4"]),
        checked("integration_state", IntegrationState::VALUES),
    ],
    state_field: Some("integration_state"),
    provider_field: Some("fm_provider"),
    title_field: "number",
    time_fields: &["sys_updated_on"],
    verbs: &[Verb::Retry, Verb::Create, Verb::Update, Verb::Cancel],
    execution: ExecLink::Latest,
    related: &[
        Relation::many(Entity::Outbound, "Outbound", "document_id", Source::SysId),
        Relation::many(Entity::History, "Sync history", "task", Source::SysId),
    ],
};

/// The fields the update form offers (what the instance lets change after sync).
pub const UPDATE_FIELDS: [&str; 4] = ["short_description", "priority", "state", "description"];
