//! `hubtop get`: records as a table or as JSON with ServiceNow field names.

use std::io::Write;

use serde_json::Value;

use crate::cli::{GetArgs, Global, Output};
use crate::client::read::{ListSpec, Page};
use crate::client::{Client, Error};
use crate::config::{Config, OsKeyring};
use crate::domain::Entity;
use crate::exit;
use crate::query::{Condition, OrderBy, Query};
use crate::target::Target;

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
    match fetch(client, &a).await {
        Ok(rows) => {
            match rows {
                Rows::Json(v) => print_json(v),
                Rows::Table(page) => print_table(a.entity, &[], page.records, page.total.map(|t| ("", t))),
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("hubtop: {e}");
            e.exit_code()
        }
    }
}

/// What one instance answered, in the form the output wants.
enum Rows {
    Json(Vec<Value>),
    Table(Page),
}

async fn fetch(client: &Client, a: &GetArgs) -> Result<Rows, Error> {
    let e = a.entity;
    let mut q = match &a.query {
        Some(s) => crate::query::parse(s).map_err(|err| Error::Invalid(format!("--query: {err}")))?,
        None => Query::new(),
    };
    // A real instance ignores a term on a field the table does not have: say so, naming
    // the term; `--state` is checked against the kind's state field before it is added.
    let mapping = &client.config.mapping;
    let unknown = crate::ops::validate::unknown_terms(e, mapping, &q);
    if let Some(w) = crate::ops::validate::unknown_terms_warning(e, client.table(e), &unknown) {
        eprintln!("hubtop: warning: {w}");
    }
    if let Some(s) = &a.state {
        let c = crate::ops::validate::state_term(e, mapping, s).map_err(Error::Invalid)?;
        q = q.and_all(c);
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
    Ok(match a.output {
        Output::Json => Rows::Json(client.list_raw(&spec).await?),
        Output::Table => {
            spec.display = true;
            Rows::Table(client.list(&spec).await?)
        }
    })
}

fn print_json(rows: Vec<Value>) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, &Value::Array(rows));
    let _ = writeln!(out);
}

/// Prints rows as a table; `extra` columns come first (the profile, for several).
/// `total`: (whose, how many match) for the "N of T shown" note.
fn print_table(e: Entity, extra: &[&'static str], records: Vec<crate::client::Record>, total: Option<(&str, usize)>) {
    use std::io::IsTerminal;
    let width = match std::io::stdout().is_terminal() {
        true => crossterm::terminal::size().map(|(w, _)| w as usize).unwrap_or(120),
        false => std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
    };
    let cols: Vec<&str> = extra.iter().copied().chain(table_columns(e)).collect();
    print!("{}", crate::ui::text_table::render(&cols, &records, width));
    if let Some((whose, t)) = total
        && t > records.len()
    {
        eprintln!("({whose}{} of {t} shown; --limit for more)", records.len());
    }
}

/// `get --profile a,b`: each profile at once; a `profile` field (JSON) or column (table)
/// says whose each record is. A profile that fails is reported after the others print,
/// and the exit code is then its code.
pub async fn get_many(g: &Global, config: &Config, list: &str, a: GetArgs) -> u8 {
    let mut names: Vec<&str> = Vec::new();
    for n in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let results = futures::future::join_all(names.iter().map(|n| fetch_profile(g, config, n, &a))).await;
    let mut code = exit::OK;
    let mut failures = Vec::new();
    let (mut json, mut records, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    for (name, r) in names.iter().zip(results) {
        match r {
            Ok(Rows::Json(rows)) => json.extend(rows.into_iter().map(|mut v| {
                if let Value::Object(m) = &mut v {
                    m.insert("profile".into(), Value::String(name.to_string()));
                }
                v
            })),
            Ok(Rows::Table(page)) => {
                if let Some(t) = page.total.filter(|t| *t > page.records.len()) {
                    totals.push(format!("{name}: {} of {t}", page.records.len()));
                }
                records.extend(page.records.into_iter().map(|mut r| {
                    r.set("profile", name);
                    r
                }));
            }
            Err((c, why)) => {
                if code == exit::OK {
                    code = c;
                }
                failures.push(format!("hubtop: profile {name}: {why}"));
            }
        }
    }
    match a.output {
        Output::Json => print_json(json),
        Output::Table => {
            print_table(a.entity, &["profile"], records, None);
            if !totals.is_empty() {
                eprintln!("({} shown; --limit for more)", totals.join(", "));
            }
        }
    }
    for f in failures {
        eprintln!("{f}");
    }
    code
}

/// One profile of `get_many`: resolved (secrets too) and asked on its own.
async fn fetch_profile(g: &Global, config: &Config, name: &str, a: &GetArgs) -> Result<Rows, (u8, String)> {
    // The profile names its instance and credentials; `--instance` and its flags do not apply.
    let g = Global { profile: Some(name.to_string()), instance: None, user: None, client_id: None, ..g.clone() };
    let config2 = config.clone();
    let target = tokio::task::spawn_blocking(move || Target::resolve(&g, &config2, &OsKeyring))
        .await
        .map_err(|e| (exit::FAILED, e.to_string()))??;
    let (client, _) = target.connect(false).await?;
    fetch(&client, a).await.map_err(|e| (e.exit_code(), e.to_string()))
}

/// The columns `get -o table` shows for a kind of record.
pub fn table_columns(e: Entity) -> Vec<&'static str> {
    e.desc().get_columns.to_vec()
}
