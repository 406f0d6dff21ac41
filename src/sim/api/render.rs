//! How records are rendered from the `sysparm_*` parameters: values or display values
//! (choice labels, referenced records' display fields, date-times in the user's time
//! zone), reference links, the chosen fields, and fields `--break` removed.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{error, flag};
use crate::sim::Sim;
use crate::sim::schema::{self, Kind, TableDef};
use crate::sim::store::Row;

pub struct Render {
    pub display: Display,
    pub exclude_links: bool,
    fields: Option<Vec<usize>>,
    base: String,
    /// The user's time zone for date-time display values (empty: UTC).
    tz: String,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Display {
    Value,
    Label,
    All,
}

impl Display {
    /// `sysparm_display_value`, case-insensitive (`False`, `TRUE` and `All` are what
    /// client libraries send; Table API page).
    pub fn from_params(p: &HashMap<String, String>) -> Result<Display, Response> {
        match p.get("sysparm_display_value").map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("false") | Some("") => Ok(Display::Value),
            Some("true") => Ok(Display::Label),
            Some("all") => Ok(Display::All),
            Some(other) => {
                Err(error(StatusCode::BAD_REQUEST, &format!("Invalid sysparm_display_value: {other}"), None))
            }
        }
    }
}

impl Render {
    pub fn from_params(sim: &Sim, def: &TableDef, p: &HashMap<String, String>) -> Result<Render, Response> {
        let fields = p.get("sysparm_fields").filter(|s| !s.trim().is_empty()).map(|s| {
            // Unknown fields are left out, as a real instance does.
            s.split(',').filter_map(|f| visible_col(sim, def, f.trim())).collect::<Vec<_>>()
        });
        Ok(Render {
            display: Display::from_params(p)?,
            exclude_links: flag(p, "sysparm_exclude_reference_link"),
            fields,
            base: sim.base_url.clone(),
            tz: crate::sim::user::user_tz(sim),
        })
    }

    /// Values only, no links: the companion API's shape.
    pub fn plain(sim: &Sim) -> Render {
        Render {
            display: Display::Value,
            exclude_links: true,
            fields: None,
            base: sim.base_url.clone(),
            tz: String::new(),
        }
    }

    pub fn row(&self, sim: &Sim, def: &TableDef, row: &Row) -> Value {
        let mut m = Map::new();
        let all: Vec<usize>;
        let cols = match &self.fields {
            Some(f) => f.as_slice(),
            None => {
                all =
                    (0..def.fields.len()).filter(|&c| !sim.config.breaks.field(def.name, def.fields[c].name)).collect();
                &all
            }
        };
        for &c in cols {
            let fd = &def.fields[c];
            let v: &str = &row[c];
            let label = || -> String {
                match fd.kind {
                    Kind::Choice if !v.is_empty() => schema::choice_label(v),
                    Kind::Ref(t) if !v.is_empty() => display_of(sim, t, v),
                    Kind::DocumentId { table_field } if !v.is_empty() => match def.col(table_field) {
                        Some(tc) => display_of(sim, &row[tc], v),
                        None => v.to_string(),
                    },
                    Kind::DateTime if !self.tz.is_empty() => crate::sim::tz::to_local(v, &self.tz),
                    _ => v.to_string(),
                }
            };
            let link = |t: &str| format!("{}/api/now/table/{t}/{v}", self.base);
            let out = match (self.display, fd.kind) {
                (Display::Value, Kind::Ref(t)) if !v.is_empty() && !self.exclude_links => {
                    json!({"link": link(t), "value": v})
                }
                (Display::Value, _) => json!(v),
                (Display::Label, Kind::Ref(t)) if !v.is_empty() && !self.exclude_links => {
                    json!({"link": link(t), "display_value": label()})
                }
                (Display::Label, _) => json!(label()),
                (Display::All, Kind::Ref(t)) if !v.is_empty() && !self.exclude_links => {
                    json!({"display_value": label(), "value": v, "link": link(t)})
                }
                (Display::All, _) => json!({"display_value": label(), "value": v}),
            };
            m.insert(fd.name.to_string(), out);
        }
        Value::Object(m)
    }
}

/// A column the API shows: known and not removed by `--break field:`.
pub fn visible_col(sim: &Sim, def: &TableDef, name: &str) -> Option<usize> {
    def.col(name).filter(|_| !sim.config.breaks.field(def.name, name))
}

pub fn display_of(sim: &Sim, table: &str, id: &str) -> String {
    let Some(def) = schema::table(table) else { return id.to_string() };
    match (sim.store.get(table, id), def.col(def.display)) {
        (Ok(r), Some(c)) => r[c].to_string(),
        _ => id.to_string(),
    }
}
