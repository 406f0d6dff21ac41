//! Flows and subflows (`sys_hub_flow`).

use crate::domain::entity::{Desc, ExecLink, Width::*, choice, col};

pub static DESC: Desc = Desc {
    name: "flows",
    aliases: &[],
    key: "flows",
    label: "Flows",
    label_one: "Flow",
    listed: false,
    default_table: "sys_hub_flow",
    fields: &["name", "type", "active", "inputs"],
    list_fields: &["sys_id", "sys_updated_on", "sys_mod_count", "name", "type", "active", "inputs"],
    columns: &[
        col("name", "NAME", Fill(30), 1),
        col("type", "TYPE", Fixed(8), 1),
        col("active", "ACTIVE", Fixed(6), 1),
    ],
    compact: &[],
    default_order: ("sys_updated_on", true),
    search_fields: &["name"],
    get_columns: &["name", "type", "active"],
    choices: &[choice("type", &["flow", "subflow"])],
    state_field: None,
    provider_field: None,
    title_field: "name",
    time_fields: &["sys_updated_on"],
    verbs: &[],
    execution: ExecLink::None,
    related: &[],
};
