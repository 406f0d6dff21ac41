//! The tables the embedded instance serves (DESIGN §3a): names, fields, field kinds.
//!
//! Field order matters: a stored row is a slice of values in exactly this order,
//! so a column is addressed by its index everywhere in the store and query engine.

/// What a field holds. Every value is a string on the wire; the kind decides how it
/// is rendered (references become `{"link","value"}`) and validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    /// A choice list; the stored value is the choice value, the display value its label.
    Choice,
    Int,
    Bool,
    DateTime,
    /// A reference to a record of the named table (stored as its sys_id).
    Ref(&'static str),
    /// A reference whose table is named by another field of the same row (ServiceNow's
    /// Document ID type, as `sys_flow_context.source_record` beside `source_table`). On
    /// the wire it is a plain string; its display value is the referenced record's.
    DocumentId {
        table_field: &'static str,
    },
}

#[derive(Debug)]
pub struct FieldDef {
    pub name: &'static str,
    pub kind: Kind,
}

#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    /// The field whose value is the record's display value (what references show).
    pub display: &'static str,
    /// Prefix of the `number` field, for tables that number their records.
    pub number_prefix: Option<&'static str>,
    pub fields: &'static [FieldDef],
}

impl TableDef {
    pub fn col(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

const fn f(name: &'static str, kind: Kind) -> FieldDef {
    FieldDef { name, kind }
}

use Kind::*;

pub const SYS_ID: usize = 0;
pub const SYS_CREATED_ON: usize = 1;
pub const SYS_UPDATED_ON: usize = 2;
pub const SYS_MOD_COUNT: usize = 3;

macro_rules! fields {
    ($($name:literal : $kind:expr),* $(,)?) => {
        &[
            f("sys_id", Str),
            f("sys_created_on", DateTime),
            f("sys_updated_on", DateTime),
            f("sys_mod_count", Int),
            $(f($name, $kind)),*
        ]
    };
}

pub const FLOWS: &str = "sys_hub_flow";
pub const EXECUTIONS: &str = "sys_flow_context";
pub const OUTBOUND: &str = "ih_sync_outbound_record";
pub const INBOUND: &str = "ih_sync_inbound_record";
pub const PROVIDERS: &str = "sn_wsd_case_fm_provider";
pub const WORK_ORDERS: &str = "sn_wsd_core_workplace_task";
pub const HISTORY: &str = "sn_wsd_case_task_sync_history";
pub const DB_OBJECT: &str = "sys_db_object";
pub const DICTIONARY: &str = "sys_dictionary";
pub const CHOICE: &str = "sys_choice";
pub const USER: &str = "sys_user";
pub const ROLE: &str = "sys_user_role";
pub const USER_ROLE: &str = "sys_user_has_role";
/// Scripted REST APIs and their resources (what the REST API Explorer lists).
pub const WS_DEFINITION: &str = "sys_ws_definition";
pub const WS_OPERATION: &str = "sys_ws_operation";

pub static TABLES: &[TableDef] = &[
    TableDef {
        name: FLOWS,
        display: "name",
        number_prefix: None,
        fields: fields!["name": Str, "type": Choice, "active": Bool, "inputs": Str],
    },
    TableDef {
        name: EXECUTIONS,
        display: "name",
        number_prefix: None,
        fields: fields![
            "name": Str,
            "flow": Ref(FLOWS),
            "state": Choice,
            "started": DateTime,
            "ended": DateTime,
            "run_time": Int,
            "source_table": Str,
            "source_record": DocumentId { table_field: "source_table" },
            "error_message": Str,
        ],
    },
    TableDef {
        name: OUTBOUND,
        display: "number",
        number_prefix: Some("ISO"),
        fields: fields![
            "number": Str,
            "state": Choice,
            "operation": Choice,
            "provider": Ref(PROVIDERS),
            "document_table": Str,
            "document_id": Ref(WORK_ORDERS),
            "attempts": Int,
            "max_attempts": Int,
            "next_attempt": DateTime,
            "last_error": Str,
            "response_code": Str,
            "flow_context": Ref(EXECUTIONS),
            "payload": Str,
        ],
    },
    TableDef {
        name: INBOUND,
        display: "number",
        number_prefix: Some("ISI"),
        fields: fields![
            "number": Str,
            "state": Choice,
            "provider": Ref(PROVIDERS),
            "sequence": Int,
            "correlation_id": Str,
            "action_type": Choice,
            "document_id": Ref(WORK_ORDERS),
            "payload": Str,
            "error": Str,
            "flow_context": Ref(EXECUTIONS),
        ],
    },
    TableDef {
        name: PROVIDERS,
        display: "title",
        number_prefix: None,
        fields: fields![
            "title": Str,
            "active": Bool,
            "create_work_order_flow": Ref(FLOWS),
            "update_work_order_flow": Ref(FLOWS),
            "cancel_work_order_flow": Ref(FLOWS),
            "kind": Choice,
            "connection_alias": Str,
            "base_url": Str,
            "auth_method": Choice,
            "outbound_state": Choice,
            "inbound_state": Choice,
            "state_mapping": Str,
            "priority_mapping": Str,
            "last_error": Str,
        ],
    },
    TableDef {
        name: WORK_ORDERS,
        display: "number",
        number_prefix: Some("WPT"),
        fields: fields![
            "number": Str,
            "short_description": Str,
            "description": Str,
            "state": Choice,
            "priority": Choice,
            "fm_provider": Ref(PROVIDERS),
            "fm_work_order_id": Str,
            "integration_state": Choice,
            "comments": Str,
        ],
    },
    TableDef {
        name: HISTORY,
        display: "operation",
        number_prefix: None,
        fields: fields![
            "task": Ref(WORK_ORDERS),
            "provider": Ref(PROVIDERS),
            "operation": Choice,
            "status": Choice,
            "response_code": Str,
            "message": Str,
            "fm_work_order_id": Str,
            "duration_ms": Int,
            "flow_context": Ref(EXECUTIONS),
        ],
    },
    // The metadata a real instance describes itself with (generated from the tables
    // above at start, see `meta`), and its users and roles.
    TableDef {
        name: DB_OBJECT,
        display: "label",
        number_prefix: None,
        fields: fields!["name": Str, "label": Str, "super_class": Ref(DB_OBJECT)],
    },
    TableDef {
        name: DICTIONARY,
        display: "column_label",
        number_prefix: None,
        fields: fields![
            "name": Str,
            "element": Str,
            "column_label": Str,
            "internal_type": Str,
            "reference": Str,
            "max_length": Int,
            "choice": Int,
        ],
    },
    TableDef {
        name: CHOICE,
        display: "label",
        number_prefix: None,
        fields: fields!["name": Str, "element": Str, "value": Str, "label": Str, "sequence": Int, "inactive": Bool],
    },
    TableDef {
        name: USER,
        display: "name",
        number_prefix: None,
        fields: fields!["user_name": Str, "name": Str, "time_zone": Str, "active": Bool],
    },
    TableDef { name: ROLE, display: "name", number_prefix: None, fields: fields!["name": Str] },
    TableDef {
        name: USER_ROLE,
        display: "role",
        number_prefix: None,
        fields: fields!["user": Ref(USER), "role": Ref(ROLE), "state": Str, "inherited": Bool],
    },
    // Field names as the companion's update set carries them.
    TableDef {
        name: WS_DEFINITION,
        display: "name",
        number_prefix: None,
        fields: fields!["name": Str, "namespace": Str, "service_id": Str, "base_uri": Str, "active": Bool],
    },
    TableDef {
        name: WS_OPERATION,
        display: "name",
        number_prefix: None,
        fields: fields![
            "name": Str,
            "web_service_definition": Ref(WS_DEFINITION),
            "http_method": Str,
            "relative_path": Str,
            "operation_uri": Str,
            "active": Bool,
        ],
    },
];

/// The choice values of a choice field, in list order (what `sys_choice` serves): the
/// record kind's description holds them (`domain::records`), so what the instance
/// serves and what the console acts on cannot differ.
pub fn choices(table: &str, field: &str) -> &'static [&'static str] {
    crate::domain::Entity::by_default_table(table).and_then(|e| e.choices(field)).unwrap_or_default()
}

/// A table's label (`sys_db_object.label`): the documented ones where there are.
pub fn table_label(table: &str) -> String {
    match table {
        WORK_ORDERS => "Workplace Task".into(),
        HISTORY => "Workplace Task Sync History".into(),
        PROVIDERS => "Facilities Management Provider".into(),
        OUTBOUND => "Outbound Queue".into(),
        INBOUND => "Inbound Queue".into(),
        EXECUTIONS => "Flow Context".into(),
        FLOWS => "Flow".into(),
        DB_OBJECT => "Table".into(),
        DICTIONARY => "Dictionary Entry".into(),
        CHOICE => "Choice".into(),
        USER => "User".into(),
        ROLE => "Role".into(),
        USER_ROLE => "User Role".into(),
        other => choice_label(other),
    }
}

/// A field's label (`sys_dictionary.column_label`): the documented ones where there are.
pub fn field_label(table: &str, field: &str) -> String {
    match (table, field) {
        (_, "sys_id") => "Sys ID".into(),
        (_, "sys_created_on") => "Created".into(),
        (_, "sys_updated_on") => "Updated".into(),
        (_, "sys_mod_count") => "Updates".into(),
        (_, "fm_provider") => "FM Provider".into(),
        (_, "fm_work_order_id") => "FM Work Order ID".into(),
        (PROVIDERS, "create_work_order_flow") => "Create work order flow".into(),
        (PROVIDERS, "update_work_order_flow") => "Update work order flow".into(),
        (PROVIDERS, "cancel_work_order_flow") => "Cancel work order flow".into(),
        (_, f) => choice_label(f),
    }
}

pub fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().find(|t| t.name == name)
}

/// The label a choice value displays as: `in_progress` → `In progress`, `IN_PROGRESS` → `In progress`.
pub fn choice_label(value: &str) -> String {
    // Labels that are not the value in sentence case, as the instance's choice lists have them.
    match value {
        "oauth" => return "OAuth".into(),
        "api_key" => return "API key".into(),
        "incident_two_way" => return "Incident (two-way)".into(),
        "fm_work_orders" => return "FM work orders".into(),
        // One spelling on screen, as the IFM documentation writes it (see domain::state).
        "canceled" => return "Cancelled".into(),
        _ => {}
    }
    let lower = value.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Entity;

    /// (Was in `domain::mapping`: the domain does not look up at the instance.)
    #[test]
    fn the_domain_fields_are_what_the_embedded_instance_serves() {
        let tables = crate::domain::Tables::default();
        for e in Entity::ALL {
            let def = table(tables.name(e)).expect("served");
            let served: Vec<&str> = def.fields.iter().map(|f| f.name).filter(|f| !f.starts_with("sys_")).collect();
            assert_eq!(served, crate::domain::mapping::domain_fields(e), "{e:?}");
        }
    }

    /// Every choice field a kind's table serves has the kind's choice list, and every
    /// choice list a description names is a choice field here.
    #[test]
    fn the_choice_fields_are_the_descriptions_choice_lists() {
        for e in Entity::ALL {
            let def = table(e.desc().default_table).expect("every kind is served");
            for fd in def.fields {
                let listed = e.choices(fd.name).is_some();
                assert_eq!(
                    fd.kind == Kind::Choice,
                    listed,
                    "{}.{}: a choice field iff it has a list",
                    def.name,
                    fd.name
                );
            }
            for c in e.desc().choices {
                assert!(def.col(c.field).is_some(), "{}.{} is not served", def.name, c.field);
            }
        }
    }
}
