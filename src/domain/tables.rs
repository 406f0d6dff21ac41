//! Logical tables and the instance tables they map to (per profile, DESIGN §3a).

use serde::Deserialize;

use super::Entity;

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
        let t = |e: Entity| e.desc().default_table.to_string();
        Tables {
            providers: t(Entity::Providers),
            work_orders: t(Entity::WorkOrders),
            outbound: t(Entity::Outbound),
            inbound: t(Entity::Inbound),
            executions: t(Entity::Executions),
            history: t(Entity::History),
            flows: t(Entity::Flows),
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
