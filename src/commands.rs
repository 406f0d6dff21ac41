//! The non-interactive commands: `get`, `retry`, `skip`, `rerun`, `create`, `update`,
//! `cancel`. Exit codes: 0 done, 1 the action or flow failed, 2 usage, 3 authentication,
//! 4 instance unreachable or not an instance.

use std::io::Write;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::audit::Audit;

use crate::cli::{Command, Entity as CliEntity, GetArgs, Output};
use crate::client::actions::WorkOrderOp;
use crate::client::read::ListSpec;
use crate::client::{Client, Entity, Error};
use crate::query::{Condition, Query};

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

fn entity(e: CliEntity) -> Entity {
    match e {
        CliEntity::Providers => Entity::Providers,
        CliEntity::Workorders => Entity::WorkOrders,
        CliEntity::Outbound => Entity::Outbound,
        CliEntity::Inbound => Entity::Inbound,
        CliEntity::Executions => Entity::Executions,
        CliEntity::History => Entity::History,
    }
}

/// Whether a command changes anything on the instance.
pub fn is_mutating(c: &Command) -> bool {
    matches!(
        c,
        Command::Retry { .. }
            | Command::Skip { .. }
            | Command::Rerun { .. }
            | Command::Create { .. }
            | Command::Update { .. }
            | Command::Cancel { .. }
    )
}

fn fail(e: &Error) -> u8 {
    eprintln!("hubtop: {e}");
    e.exit_code()
}

/// Runs a command; every mutating one is written to the audit log before it is sent
/// and again with its outcome.
pub async fn run(client: &Client, audit: &Audit, cmd: Command) -> u8 {
    let r = match cmd {
        Command::Get(args) => get(client, args).await,
        Command::Retry { ids } => set_states(client, audit, &ids, "ready").await,
        Command::Skip { ids } => set_states(client, audit, &ids, "skipped").await,
        Command::Rerun { execution } => audited(audit, "rerun", &execution, json!({}), rerun(client, &execution)).await,
        Command::Create { number } => {
            audited(
                audit,
                "create",
                &number,
                json!({}),
                wo_action(client, &number, WorkOrderOp::Create, Map::new(), None),
            )
            .await
        }
        Command::Update { number, comment, set } => {
            let mut changed = Map::new();
            for kv in &set {
                let Some((k, v)) = kv.split_once('=') else {
                    eprintln!("hubtop: --set takes FIELD=VALUE (got `{kv}`)");
                    return EXIT_USAGE;
                };
                changed.insert(k.trim().to_string(), Value::String(v.to_string()));
            }
            if changed.is_empty() && comment.is_none() {
                eprintln!("hubtop: update needs --set FIELD=VALUE or --comment TEXT");
                return EXIT_USAGE;
            }
            let inputs = json!({"changed_fields": changed, "comment": comment});
            audited(
                audit,
                "update",
                &number,
                inputs,
                wo_action(client, &number, WorkOrderOp::Update, changed, comment.as_deref()),
            )
            .await
        }
        Command::Cancel { number } => {
            audited(
                audit,
                "cancel",
                &number,
                json!({}),
                wo_action(client, &number, WorkOrderOp::Cancel, Map::new(), None),
            )
            .await
        }
        _ => Ok(EXIT_USAGE),
    };
    r.unwrap_or_else(|e| fail(&e))
}

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

async fn get(client: &Client, a: GetArgs) -> Result<u8, Error> {
    let e = entity(a.entity);
    let mut q = match &a.query {
        Some(s) => crate::query::parse(s).map_err(|err| Error::Invalid(format!("--query: {err}")))?,
        None => Query::new(),
    };
    if let (Some(s), Some(f)) = (&a.state, e.state_field()) {
        q = q.and_all(Condition::eq(f, s));
    }
    if let Some(p) = &a.provider {
        let Some(f) = e.provider_field() else {
            return Err(Error::Invalid(format!("{} have no provider to filter on", e.label())));
        };
        q = q.and_all(Condition::eq(f, &provider_id(client, p).await?));
    }
    if q.order.is_empty() {
        q.order.push(crate::query::OrderBy { field: "sys_updated_on".into(), desc: true });
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
            let cols = table_columns(e);
            use std::io::IsTerminal;
            let width = match std::io::stdout().is_terminal() {
                true => crossterm::terminal::size().map(|(w, _)| w as usize).unwrap_or(120),
                false => std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
            };
            print!("{}", crate::ui::text_table::render(&cols, &page.records, width));
            if let Some(t) = page.total
                && t > page.records.len()
            {
                eprintln!("({} of {t} shown; --limit for more)", page.records.len());
            }
        }
    }
    Ok(EXIT_OK)
}

/// The columns `get -o table` shows for a kind of record.
pub fn table_columns(e: Entity) -> Vec<&'static str> {
    match e {
        Entity::Providers => vec!["title", "kind", "outbound_state", "inbound_state", "auth_method", "last_error"],
        Entity::WorkOrders => {
            vec!["number", "state", "integration_state", "fm_provider", "fm_work_order_id", "short_description"]
        }
        Entity::Outbound => {
            vec!["number", "state", "operation", "document_id", "provider", "attempts", "next_attempt", "last_error"]
        }
        Entity::Inbound => vec!["number", "state", "sequence", "correlation_id", "provider", "error"],
        Entity::Executions => vec!["sys_id", "name", "state", "started", "run_time", "error_message"],
        Entity::History => {
            vec!["sys_created_on", "task", "provider", "operation", "status", "response_code", "message"]
        }
        Entity::Flows => vec!["name", "type", "active"],
    }
}

/// Brackets an action with its two audit lines.
async fn audited(
    audit: &Audit,
    action: &str,
    record: &str,
    inputs: Value,
    f: impl std::future::Future<Output = Result<u8, Error>>,
) -> Result<u8, Error> {
    let id = audit.begin(action, record, &inputs);
    let r = f.await;
    let (word, detail) = match &r {
        Ok(0) => ("ok", String::new()),
        Ok(_) => ("failed", "the flow failed".to_string()),
        Err(Error::OutcomeUnknown(m)) => ("unknown", m.clone()),
        Err(e) => ("failed", e.to_string()),
    };
    audit.complete(id, word, &detail);
    r
}

async fn set_states(client: &Client, audit: &Audit, ids: &[String], state: &str) -> Result<u8, Error> {
    if ids.is_empty() {
        eprintln!("hubtop: give at least one entry (sys_id or number)");
        return Ok(EXIT_USAGE);
    }
    let mut code = EXIT_OK;
    for id in ids {
        let res = async {
            let (e, r) = client.find_entry(id).await?;
            let id = audit.begin(if state == "ready" { "retry" } else { "skip" }, r.sys_id(), &json!({"state": state}));
            let res = client.set_entry_state(e, r.sys_id(), state).await;
            match &res {
                Ok(_) => audit.complete(id, "ok", ""),
                Err(Error::OutcomeUnknown(m)) => audit.complete(id, "unknown", m),
                Err(err) => audit.complete(id, "failed", &err.to_string()),
            }
            res.map(|r2| (r, r2))
        }
        .await;
        match res {
            Ok((before, after)) => {
                println!("{}: {} → {}", before.get("number"), before.get("state"), after.get("state"));
            }
            Err(e) => {
                eprintln!("hubtop: {id}: {e}");
                code = code.max(e.exit_code());
            }
        }
    }
    Ok(code)
}

async fn follow_and_report(client: &Client, exec: &str) -> Result<u8, Error> {
    println!("execution {exec} started");
    let st = client.follow(exec, Duration::from_secs(120), |_| {}).await?;
    println!("{}", st.summary());
    let fm = st.output("fm_work_order_id");
    if !fm.is_empty() {
        println!("FM work order id: {fm}");
    }
    Ok(if st.succeeded() { EXIT_OK } else { EXIT_FAILED })
}

async fn rerun(client: &Client, exec: &str) -> Result<u8, Error> {
    let new = client.rerun(exec).await?;
    follow_and_report(client, &new).await
}

async fn wo_action(
    client: &Client,
    number: &str,
    op: WorkOrderOp,
    changed: Map<String, Value>,
    comment: Option<&str>,
) -> Result<u8, Error> {
    let wo = client.work_order(number).await?;
    crate::app::actions::applies(&crate::app::actions::Kind::WorkOrder(op), Entity::WorkOrders, &wo)
        .map_err(|why| Error::Invalid(format!("{number}: {why}")))?;
    let exec = client.start_work_order_op(&wo, op, &changed, comment).await?;
    follow_and_report(client, &exec).await
}
