//! `hubtop get`: records as a table or as JSON with ServiceNow field names.

use std::io::Write;

use serde_json::Value;

use crate::cli::{GetArgs, Output};
use crate::client::read::ListSpec;
use crate::client::{Client, Error};
use crate::domain::Entity;
use crate::exit;
use crate::query::{Condition, OrderBy, Query};

/// The provider filter: a sys_id as given, else a title looked up on the instance.
async fn provider_id(client: &Client, p: &str) -> Result<String, Error> {
    if p.len() == 32 && p.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(p.to_string());
    }
    let t = client.table(Entity::Providers).to_string();
    let q = Query::new().and(Condition::eq("title", p));
    match client.find_one(&t, q, &["sys_id"]).await? {
        Some(r) => Ok(r.sys_id().to_string()),
        None => Err(Error::Invalid(format!("no provider titled `{p}`"))),
    }
}

pub async fn get(client: &Client, a: GetArgs) -> u8 {
    match list(client, a).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hubtop: {e}");
            e.exit_code()
        }
    }
}

async fn list(client: &Client, a: GetArgs) -> Result<u8, Error> {
    let e: Entity = a.entity.into();
    let mut q = match &a.query {
        Some(s) => crate::query::parse(s).map_err(|err| Error::Invalid(format!("--query: {err}")))?,
        None => Query::new(),
    };
    // A real instance ignores a term on a field the table does not have: say so.
    let unknown = client.unknown_fields(e, &q);
    if !unknown.is_empty() {
        eprintln!(
            "hubtop: warning: {} has no field {} — the instance ignores such a term (every row matches, or none)",
            client.table(e),
            unknown.join(", ")
        );
    }
    if let (Some(s), Some(f)) = (&a.state, e.state_field()) {
        let valid = (e.desc().state_values)();
        if !valid.contains(&s.as_str()) {
            return Err(Error::Invalid(format!(
                "--state `{s}` is not a {} state (one of: {})",
                e.name(),
                valid.join(", ")
            )));
        }
        q = q.and_all(Condition::eq(f, s));
    }
    if let Some(p) = &a.provider {
        let Some(f) = e.provider_field() else {
            return Err(Error::Invalid(format!("{} have no provider to filter on", e.label())));
        };
        q = q.and_all(Condition::eq(f, &provider_id(client, p).await?));
    }
    if q.order.is_empty() {
        q.order.push(OrderBy { field: "sys_updated_on".into(), desc: true });
    }
    let mut spec = ListSpec::new(client.table(e));
    spec.query = q;
    spec.limit = a.limit;
    match a.output {
        Output::Json => {
            let rows = client.list_raw(&spec).await?;
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer_pretty(&mut out, &Value::Array(rows));
            let _ = writeln!(out);
        }
        Output::Table => {
            spec.display = true;
            let page = client.list(&spec).await?;
            use std::io::IsTerminal;
            let width = match std::io::stdout().is_terminal() {
                true => crossterm::terminal::size().map(|(w, _)| w as usize).unwrap_or(120),
                false => std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
            };
            print!("{}", crate::ui::text_table::render(&table_columns(e), &page.records, width));
            if let Some(t) = page.total
                && t > page.records.len()
            {
                eprintln!("({} of {t} shown; --limit for more)", page.records.len());
            }
        }
    }
    Ok(exit::OK)
}

/// The columns `get -o table` shows for a kind of record.
pub fn table_columns(e: Entity) -> Vec<&'static str> {
    e.desc().get_columns.to_vec()
}
