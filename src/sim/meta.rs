//! The tables a real instance describes itself with — `sys_db_object`, `sys_dictionary`,
//! `sys_choice` — generated at start from [`schema`] so they cannot drift from what the
//! instance serves, and the users and roles (`sys_user`, `sys_user_role`,
//! `sys_user_has_role`). `--break` leaves parts out, here and in what the APIs serve.

use super::Sim;
use super::schema::{
    self, CHOICE, DB_OBJECT, DICTIONARY, Kind, ROLE, TABLES, USER, USER_ROLE, WS_DEFINITION, WS_OPERATION,
};
use super::store::StoreError;
use super::user::{ADMIN_ROLES, ADMIN_SYS_ID};

/// `sys_dictionary.internal_type` of a field kind (the platform's type names).
pub fn internal_type(name: &str, kind: Kind) -> &'static str {
    match kind {
        _ if name == "sys_id" => "GUID",
        Kind::Str if name == "comments" => "journal_input",
        Kind::Str | Kind::Choice => "string",
        Kind::Int => "integer",
        Kind::Bool => "boolean",
        Kind::DateTime => "glide_date_time",
        Kind::Ref(_) => "reference",
        Kind::DocumentId { .. } => "document_id",
    }
}

fn max_length(name: &str, kind: Kind) -> &'static str {
    match kind {
        Kind::Ref(_) | Kind::DocumentId { .. } => "32",
        Kind::Str if matches!(name, "payload" | "description" | "comments" | "state_mapping" | "priority_mapping") => {
            "4000"
        }
        Kind::Str => "255",
        _ => "40",
    }
}

/// Fills the metadata and user tables (none of which the `--break`s name).
pub fn seed(sim: &Sim) -> Result<(), StoreError> {
    let s = &sim.store;
    let b = &sim.config.breaks;
    for def in TABLES.iter().filter(|d| !b.table(d.name)) {
        s.insert(DB_OBJECT, &[("name", def.name), ("label", &schema::table_label(def.name)), ("super_class", "")])?;
        // The table's own dictionary row, as a real dictionary has one per table.
        s.insert(
            DICTIONARY,
            &[
                ("name", def.name),
                ("element", ""),
                ("column_label", &schema::table_label(def.name)),
                ("internal_type", "collection"),
                ("max_length", "40"),
                ("choice", "0"),
            ],
        )?;
        for f in def.fields.iter().filter(|f| !b.field(def.name, f.name)) {
            let choices = schema::choices(def.name, f.name);
            let reference = match f.kind {
                Kind::Ref(t) => t,
                _ => "",
            };
            s.insert(
                DICTIONARY,
                &[
                    ("name", def.name),
                    ("element", f.name),
                    ("column_label", &schema::field_label(def.name, f.name)),
                    ("internal_type", internal_type(f.name, f.kind)),
                    ("reference", reference),
                    ("max_length", max_length(f.name, f.kind)),
                    // 3 = dropdown without -- None --.
                    ("choice", if choices.is_empty() { "0" } else { "3" }),
                ],
            )?;
            for (i, v) in choices.iter().enumerate() {
                s.insert(
                    CHOICE,
                    &[
                        ("name", def.name),
                        ("element", f.name),
                        ("value", v),
                        ("label", &schema::choice_label(v)),
                        ("sequence", &(i * 100).to_string()),
                        ("inactive", "false"),
                    ],
                )?;
            }
        }
    }
    // The companion's scripted REST API as its update set defines it (doctor confirms it
    // from here, read-only); absent where the instance is started without it.
    if !sim.config.without.companion {
        let api = super::api::companion::BASE;
        let def = s.insert(
            WS_DEFINITION,
            &[
                ("name", "console"),
                ("namespace", "x_hubtop"),
                ("service_id", "console"),
                ("base_uri", api),
                ("active", "true"),
            ],
        )?;
        for (method, rel) in super::api::companion::RESOURCES {
            let name = rel.trim_start_matches('/').split('/').next().unwrap_or(rel);
            s.insert(
                WS_OPERATION,
                &[
                    ("name", name),
                    ("web_service_definition", &def[0]),
                    ("http_method", method),
                    ("relative_path", rel),
                    ("operation_uri", &format!("{api}{rel}")),
                    ("active", "true"),
                ],
            )?;
        }
    }
    s.insert(
        USER,
        &[
            ("sys_id", ADMIN_SYS_ID),
            ("user_name", super::auth::USER),
            ("name", "System Administrator"),
            ("time_zone", &sim.config.user_tz),
            ("active", "true"),
        ],
    )?;
    for role in ADMIN_ROLES {
        let r = s.insert(ROLE, &[("name", role)])?;
        if !b.roles.iter().any(|x| x == role) {
            s.insert(
                USER_ROLE,
                &[("user", ADMIN_SYS_ID), ("role", &r[0]), ("state", "active"), ("inherited", "false")],
            )?;
        }
    }
    Ok(())
}
