//! FM providers and remote systems (`sn_wsd_case_fm_provider`; labels documented in
//! "Create a facilities management provider").

use crate::domain::entity::{Column, Desc, Entity, ExecLink, Relation, Source, Width::*, choice, col};
use crate::domain::state::ProviderState;

pub static DESC: Desc = Desc {
    name: "providers",
    aliases: &[],
    key: "providers",
    label: "Providers",
    label_one: "Provider",
    listed: true,
    default_table: "sn_wsd_case_fm_provider",
    fields: &[
        "title",
        "active",
        "create_work_order_flow",
        "update_work_order_flow",
        "cancel_work_order_flow",
        "kind",
        "connection_alias",
        "base_url",
        "auth_method",
        "outbound_state",
        "inbound_state",
        "state_mapping",
        "priority_mapping",
        "last_error",
    ],
    list_fields: &[
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
    columns: &[
        col("title", "PROVIDER", Fixed(26), 3),
        col("outbound_state", "OUTBOUND", Fixed(10), 3),
        col("inbound_state", "INBOUND", Fixed(9), 2),
        col("kind", "KIND", Fixed(16), 0),
        col("auth_method", "AUTH", Fixed(7), 0),
        col("last_error", "LAST ERROR", Fill(20), 1),
    ],
    compact: &[],
    default_order: ("title", false),
    search_fields: &["title", "last_error", "connection_alias"],
    get_columns: &["title", "kind", "outbound_state", "inbound_state", "auth_method", "last_error"],
    choices: &[
        choice("kind", &["fm_work_orders", "remote_instance", "incident_two_way"]),
        choice("auth_method", &["basic", "oauth", "api_key"]),
        choice("outbound_state", ProviderState::VALUES),
        choice("inbound_state", ProviderState::VALUES),
    ],
    // None: the documented provider table (Workplace Case Management's FM provider) has
    // no state; `outbound_state` is the embedded instance's, so `--state` on providers
    // would be a term a real instance silently ignores (issue 22). Filter by --query.
    state_field: None,
    provider_field: None,
    title_field: "title",
    time_fields: &["sys_updated_on"],
    verbs: &[],
    execution: ExecLink::None,
    related: &[
        Relation::many(Entity::Outbound, "Outbound in error", "provider", Source::SysId).in_error(),
        Relation::many(Entity::History, "Sync history", "provider", Source::SysId),
    ],
};

/// The columns the Providers list shows beside the record's own, worked out by hubtop
/// from the recent sync history and the outbound queue (as the overview does), not
/// fields of the provider record: the instance can neither filter nor sort by them.
/// Shown after the first [`COMPUTED_AT`] columns.
pub static COMPUTED: [Column; 3] =
    [col(HEALTH, "HEALTH", Fixed(10), 3), col(OK_RATE, "OK%", Fixed(4), 2), col(ERRORS, "ERR", Fixed(4), 2)];
pub const COMPUTED_AT: usize = 2;
/// The computed columns' fields (a `~` marks a field no record has).
pub const HEALTH: &str = "~health";
pub const OK_RATE: &str = "~ok";
pub const ERRORS: &str = "~errors";

/// The provider's subflow for each work-order operation (documented form labels
/// "Create/Update/Cancel work order flow").
pub const CREATE_FLOW: &str = "create_work_order_flow";
pub const UPDATE_FLOW: &str = "update_work_order_flow";
pub const CANCEL_FLOW: &str = "cancel_work_order_flow";
