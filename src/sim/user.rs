//! The signed-in user: every credential this instance accepts is `admin` (see
//! [`super::auth`]), the user real instances ship with. The metadata tables seed it
//! ([`super::meta`]); the APIs read who asks and in which time zone from here.
//!
//! The admin's roles: `admin` (the documented role for setting up FM providers,
//! create-a-facilities-management-provider), `sn_wsd_case.manager` (the documented
//! Workplace Case Management case manager role) and `flow_operator` (assumed: the Flow
//! Designer role that reads flow executions; the IFM pages name none).

use super::Sim;
use super::schema::USER;
use super::store::Store;

/// The admin user's sys_id (the one real instances ship with).
pub const ADMIN_SYS_ID: &str = "6816f79cc0a8016401c5a33be04be441";

pub const ADMIN_ROLES: &[&str] = &["admin", "sn_wsd_case.manager", "flow_operator"];

/// The signed-in user's time zone (every credential is `admin`); empty = the system's.
pub fn user_tz(sim: &Sim) -> String {
    sim.store.get(USER, ADMIN_SYS_ID).map(|r| Store::field(USER, &r, "time_zone").to_string()).unwrap_or_default()
}
