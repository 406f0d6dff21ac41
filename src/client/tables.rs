//! Logical tables and the instance tables they map to (per profile, DESIGN §3a).

use serde::Deserialize;

/// The record kinds the console and CLI know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Providers,
    WorkOrders,
    Outbound,
    Inbound,
    Executions,
    History,
    Flows,
}

impl Entity {
    pub const ALL: [Entity; 7] = [
        Entity::Providers,
        Entity::WorkOrders,
        Entity::Outbound,
        Entity::Inbound,
        Entity::Executions,
        Entity::History,
        Entity::Flows,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Entity::Providers => "Providers",
            Entity::WorkOrders => "Work orders",
            Entity::Outbound => "Outbound",
            Entity::Inbound => "Inbound",
            Entity::Executions => "Executions",
            Entity::History => "Sync history",
            Entity::Flows => "Flows",
        }
    }

    /// What one record of this kind is called (a detail's title, a breadcrumb).
    pub fn label_one(self) -> &'static str {
        match self {
            Entity::Providers => "Provider",
            Entity::WorkOrders => "Work order",
            Entity::Outbound => "Outbound entry",
            Entity::Inbound => "Inbound message",
            Entity::Executions => "Execution",
            Entity::History => "Sync record",
            Entity::Flows => "Flow",
        }
    }

    /// The fields a list of this kind needs (always with the sync fields).
    pub fn list_fields(self) -> &'static [&'static str] {
        match self {
            Entity::Providers => &[
                "sys_id",
                "sys_updated_on",
                "sys_mod_count",
                "title",
                "kind",
                "active",
                "outbound_state",
                "inbound_state",
                "auth_method",
                "connection_alias",
                "base_url",
                "last_error",
                "create_work_order_flow",
                "update_work_order_flow",
                "cancel_work_order_flow",
                "state_mapping",
                "priority_mapping",
            ],
            Entity::WorkOrders => &[
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
            Entity::Outbound => &[
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
            Entity::Inbound => &[
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
            Entity::Executions => &[
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
            Entity::History => &[
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
            Entity::Flows => &["sys_id", "sys_updated_on", "sys_mod_count", "name", "type", "active", "inputs"],
        }
    }

    /// The field that holds the state an operator filters on.
    pub fn state_field(self) -> Option<&'static str> {
        match self {
            Entity::Providers => Some("outbound_state"),
            Entity::WorkOrders => Some("integration_state"),
            Entity::History => Some("status"),
            Entity::Flows => None,
            _ => Some("state"),
        }
    }

    /// The field that references the provider.
    pub fn provider_field(self) -> Option<&'static str> {
        match self {
            Entity::WorkOrders => Some("fm_provider"),
            Entity::Outbound | Entity::Inbound | Entity::History => Some("provider"),
            _ => None,
        }
    }
}

/// Instance table names per logical table; a profile can override any of them.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Tables {
    pub providers: String,
    pub work_orders: String,
    pub outbound: String,
    pub inbound: String,
    pub executions: String,
    pub history: String,
    pub flows: String,
}

impl Default for Tables {
    fn default() -> Self {
        Tables {
            providers: "sn_wsd_case_fm_provider".into(),
            work_orders: "sn_wsd_core_workplace_task".into(),
            outbound: "ih_sync_outbound_record".into(),
            inbound: "ih_sync_inbound_record".into(),
            executions: "sys_flow_context".into(),
            history: "sn_wsd_case_task_sync_history".into(),
            flows: "sys_hub_flow".into(),
        }
    }
}

impl Tables {
    pub fn name(&self, e: Entity) -> &str {
        match e {
            Entity::Providers => &self.providers,
            Entity::WorkOrders => &self.work_orders,
            Entity::Outbound => &self.outbound,
            Entity::Inbound => &self.inbound,
            Entity::Executions => &self.executions,
            Entity::History => &self.history,
            Entity::Flows => &self.flows,
        }
    }
}
