//! Taking a snapshot: GET requests only, through the ordinary client (its limits,
//! retries and hourly budget: every read here is a background read, which waits for
//! room in the budget), pages gathered into Batch API calls where the instance has it.
//!
//! What is read, within the window (`sys_updated_on` at or after `since`):
//! - providers (all) and the flows they (and the executions) reference;
//! - outbound and inbound entries in the window, and every entry still `error` or
//!   `ready` whatever its age;
//! - the sync history in the window;
//! - work orders linked to a provider updated in the window, and every work order an
//!   entry or a history row points at;
//! - the flow executions the entries and the history reference;
//! - the choice lists (`sys_choice` where readable, else the built-in lists).
//!
//! Paging is by offset in `sys_id` order (stable while records change), a page of
//! [`PAGE`] records; after the first page the others go [`ROUND`] at a time, as one
//! Batch API call where there is one, until a page comes back short. A record seen
//! twice (it moved while pages were read) is kept once. Values are kept exactly as the
//! instance sent them (the console's records are made printable and cut; these are not).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Fields, Header, Snapshot, clean, tables_map};
use crate::client::read::ListSpec;
use crate::client::{Client, budget};
use crate::domain::{Entity, mapping};
use crate::query::{Query, parse};
use serde_json::Value;

/// Records per page.
pub const PAGE: usize = 1000;
/// Pages asked for together (one Batch API call).
pub const ROUND: usize = 4;
/// sys_ids per `sys_idIN…` request.
const IDS_PER_REQUEST: usize = 100;

#[derive(Debug, Clone)]
pub struct Options {
    pub since: chrono::Duration,
    pub keep_payloads: bool,
    pub profile: Option<String>,
    /// Progress lines on stderr.
    pub progress: bool,
}

/// Progress on stderr: records and requests so far, and the records expected.
struct Progress {
    on: bool,
    tty: bool,
    records: AtomicUsize,
    expected: AtomicUsize,
    traffic: Arc<crate::client::Traffic>,
}

impl Progress {
    /// The records expected, as counted before the listings start: what each listing
    /// will bring, and a first guess of the executions and flows they reference.
    fn expect(&self, n: usize) {
        self.expected.store(n, Ordering::Relaxed);
    }

    /// A part of the estimate made exact: `from` records were guessed, `to` will come
    /// (the work orders, executions and flows the records read so far reference).
    fn revise(&self, from: usize, to: usize) {
        let _ = self.expected.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| Some(e - from.min(e) + to));
    }

    fn add(&self, n: usize) {
        let r = self.records.fetch_add(n, Ordering::Relaxed) + n;
        let e = self.expected.load(Ordering::Relaxed);
        if self.on {
            let q = self.traffic.requests.load(Ordering::Relaxed);
            let est = if e > r { format!(" of ~{e}") } else { String::new() };
            if self.tty {
                eprint!("\rsnapshot: {r}{est} records, {q} requests   ");
            } else {
                eprintln!("snapshot: {r}{est} records, {q} requests");
            }
        }
    }
}

fn fields_of(e: Entity) -> Vec<String> {
    let mut f: Vec<String> = crate::domain::entity::SYNC_FIELDS.iter().map(|s| s.to_string()).collect();
    f.push("sys_created_on".into());
    for x in e.desc().fields {
        if !f.iter().any(|y| y == x) {
            f.push(x.to_string());
        }
    }
    // What the embedded instance has besides (a real instance ignores unknown fields).
    if let Some(def) = crate::sim::schema::table(e.desc().default_table) {
        for fd in def.fields {
            if !f.iter().any(|y| y == fd.name) {
                f.push(fd.name.to_string());
            }
        }
    }
    f
}

/// Takes a snapshot of the instance `client` talks to.
pub async fn take(client: &Client, opts: &Options) -> crate::client::Result<Snapshot> {
    budget::background(take_inner(client, opts)).await
}

async fn take_inner(client: &Client, opts: &Options) -> crate::client::Result<Snapshot> {
    let now = chrono::Utc::now();
    let since = crate::time::format(now - opts.since);
    let p = Progress {
        on: opts.progress,
        tty: std::io::stderr().is_terminal(),
        records: AtomicUsize::new(0),
        expected: AtomicUsize::new(0),
        traffic: Arc::clone(&client.traffic),
    };
    let q = |s: &str| parse(s).unwrap_or_default();
    let window = format!("sys_updated_on>={since}");
    let open = format!("sys_updated_on<{since}^stateINerror,ready");
    let wo_window = format!("fm_providerISNOTEMPTY^{window}");
    // The estimate: what each listing will bring (Aggregate API, one batch where there is one).
    let plan = [
        (Entity::Providers, ""),
        (Entity::Outbound, window.as_str()),
        (Entity::Outbound, open.as_str()),
        (Entity::Inbound, window.as_str()),
        (Entity::Inbound, open.as_str()),
        (Entity::History, window.as_str()),
        (Entity::WorkOrders, wo_window.as_str()),
    ];
    // The executions and flows come by reference, after the listings: guessed as the
    // executions of the window and every flow, then made exact once their ids are known.
    let guesses = [(Entity::Executions, window.as_str()), (Entity::Flows, "")];
    let counts = plan.iter().chain(&guesses).map(|(e, query)| {
        let query = q(query);
        async move { client.stats(client.table(*e), &query, &[]).await }
    });
    let (mut ex_guess, mut flow_guess) = (0, 0);
    if let Ok(counts) = client.batched(counts.collect()).await {
        let n: Vec<usize> = counts.iter().map(|(n, _)| *n as usize).collect();
        (ex_guess, flow_guess) = (n[plan.len()], n[plan.len() + 1]);
        p.expect(n.iter().sum());
    }
    let mut recs: BTreeMap<Entity, Vec<Fields>> = BTreeMap::new();
    let keep = opts.keep_payloads;
    recs.insert(Entity::Providers, list(client, Entity::Providers, q(""), &p, keep).await?);
    for e in [Entity::Outbound, Entity::Inbound] {
        let mut v = list(client, e, q(&window), &p, keep).await?;
        v.extend(list(client, e, q(&open), &p, keep).await?);
        recs.insert(e, v);
    }
    recs.insert(Entity::History, list(client, Entity::History, q(&window), &p, keep).await?);
    let mut wos = list(client, Entity::WorkOrders, q(&wo_window), &p, keep).await?;
    let have: BTreeSet<String> = wos.iter().map(|r| id_of(r).to_string()).collect();
    let wanted = referenced(
        &recs,
        &[(Entity::Outbound, "document_id"), (Entity::Inbound, "document_id"), (Entity::History, "task")],
    );
    let more: BTreeSet<String> = wanted.difference(&have).cloned().collect();
    p.revise(0, more.len());
    wos.extend(by_ids(client, Entity::WorkOrders, more, &p, keep).await?);
    recs.insert(Entity::WorkOrders, wos);
    let ex_ids = referenced(
        &recs,
        &[(Entity::Outbound, "flow_context"), (Entity::Inbound, "flow_context"), (Entity::History, "flow_context")],
    );
    p.revise(std::mem::take(&mut ex_guess), ex_ids.len());
    recs.insert(Entity::Executions, by_ids(client, Entity::Executions, ex_ids, &p, keep).await?);
    use crate::domain::records::provider::{CANCEL_FLOW, CREATE_FLOW, UPDATE_FLOW};
    let flow_ids = referenced(
        &recs,
        &[
            (Entity::Providers, CREATE_FLOW),
            (Entity::Providers, UPDATE_FLOW),
            (Entity::Providers, CANCEL_FLOW),
            (Entity::Executions, "flow"),
        ],
    );
    p.revise(std::mem::take(&mut flow_guess), flow_ids.len());
    recs.insert(Entity::Flows, by_ids(client, Entity::Flows, flow_ids, &p, keep).await?);
    let (choices, choices_from) = choices(client).await;
    if p.on && p.tty {
        eprintln!();
    }
    // A record seen twice (it moved while pages were read) is kept once.
    let records = recs
        .into_iter()
        .map(|(e, rows)| {
            let mut seen = HashSet::new();
            (e, rows.into_iter().filter(|r| seen.insert(id_of(r).to_string())).collect())
        })
        .collect();
    let header = Header {
        format: super::FORMAT.into(),
        version: super::VERSION,
        hubtop: env!("CARGO_PKG_VERSION").into(),
        profile: opts.profile.clone(),
        instance: client.config.base_url.clone(),
        taken_at: crate::time::format(now),
        since,
        payloads: if opts.keep_payloads { "kept" } else { "redacted" }.into(),
        tables: tables_map(&client.config.tables),
        mapping: client.config.mapping.clone(),
        choices,
        choices_from,
    };
    Ok(Snapshot { header, records, requests: client.traffic.requests.load(Ordering::Relaxed) })
}

/// The non-empty values of reference fields across what was read.
fn referenced(recs: &BTreeMap<Entity, Vec<Fields>>, refs: &[(Entity, &str)]) -> BTreeSet<String> {
    refs.iter()
        .flat_map(|(e, f)| recs.get(e).into_iter().flatten().map(move |r| r.get(*f).cloned().unwrap_or_default()))
        .filter(|v| !v.is_empty())
        .collect()
}

fn spec(client: &Client, e: Entity, mut query: Query) -> ListSpec {
    let mut s = ListSpec::new(client.table(e));
    query.order = vec![crate::query::OrderBy { field: "sys_id".into(), desc: false }];
    s.query = query;
    s.fields = fields_of(e);
    s.limit = PAGE;
    s
}

fn id_of(r: &Fields) -> &str {
    r.get("sys_id").map_or("", String::as_str)
}

/// A record as the instance sent it (logical names; values exact, not cut or made
/// printable as the console's records are), cleaned for the file.
fn fields(e: Entity, v: Value, keep: bool) -> Fields {
    let Value::Object(o) = v else { return Fields::new() };
    let pairs = o.into_iter().map(|(k, v)| {
        let v = match v {
            Value::String(s) => s,
            Value::Null => String::new(),
            Value::Object(mut m) => match m.remove("value") {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => Value::Object(m).to_string(),
            },
            other => other.to_string(),
        };
        (k, v)
    });
    clean(e, pairs, keep)
}

/// Every record matching `query`: the first page, then [`ROUND`] pages at a time until
/// one comes back short.
async fn list(
    client: &Client,
    e: Entity,
    query: Query,
    p: &Progress,
    keep: bool,
) -> crate::client::Result<Vec<Fields>> {
    let mut s = spec(client, e, query);
    s.no_count = true;
    let first = client.list_raw(&s).await?;
    p.add(first.len());
    let mut full = first.len() >= PAGE;
    let mut out: Vec<Fields> = first.into_iter().map(|v| fields(e, v, keep)).collect();
    let mut offset = PAGE;
    while full {
        let futs: Vec<_> = (0..ROUND)
            .map(|i| {
                let mut s = s.clone();
                s.offset = offset + i * PAGE;
                async move { client.list_raw(&s).await }
            })
            .collect();
        for page in client.batched(futs).await? {
            p.add(page.len());
            full &= page.len() >= PAGE;
            out.extend(page.into_iter().map(|v| fields(e, v, keep)));
        }
        offset += ROUND * PAGE;
    }
    Ok(out)
}

/// The records with these sys_ids, [`IDS_PER_REQUEST`] per request, a round at a time.
async fn by_ids(
    client: &Client,
    e: Entity,
    ids: BTreeSet<String>,
    p: &Progress,
    keep: bool,
) -> crate::client::Result<Vec<Fields>> {
    let ids: Vec<String> = ids.into_iter().collect();
    let mut out = Vec::new();
    let chunks: Vec<&[String]> = ids.chunks(IDS_PER_REQUEST).collect();
    for round in chunks.chunks(ROUND) {
        let futs: Vec<_> = round
            .iter()
            .map(|chunk| {
                let q = parse(&format!("sys_idIN{}", chunk.join(","))).unwrap_or_default();
                let mut s = spec(client, e, q);
                s.limit = chunk.len();
                s.no_count = true;
                async move { client.list_raw(&s).await }
            })
            .collect();
        for page in client.batched(futs).await? {
            p.add(page.len());
            out.extend(page.into_iter().map(|v| fields(e, v, keep)));
        }
    }
    Ok(out)
}

/// The choice lists: `table.field` → values, from `sys_choice` where the instance lets
/// it be read, else the built-in lists.
async fn choices(client: &Client) -> (BTreeMap<String, Vec<String>>, String) {
    let by_table: BTreeMap<String, Entity> =
        Entity::ALL.into_iter().map(|e| (client.table(e).to_string(), e)).collect();
    let names: Vec<&str> = by_table.keys().map(String::as_str).collect();
    let mut s = ListSpec::new("sys_choice");
    s.query = parse(&format!("nameIN{}^inactive=false^ORDERBYsequence", names.join(","))).unwrap_or_default();
    s.fields = ["name", "element", "value"].map(String::from).to_vec();
    s.limit = PAGE;
    match client.list_all(&s).await {
        Ok(rows) if !rows.is_empty() => {
            let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let m = &client.config.mapping;
            for r in rows {
                let Some(e) = by_table.get(r.get("name")).copied() else { continue };
                let field = m.field_in(e, r.get("element")).to_string();
                let value = m.value_in(e, &field, r.get("value")).to_string();
                out.entry(format!("{}.{field}", mapping::key(e))).or_default().push(value);
            }
            (out, "sys_choice".into())
        }
        _ => (built_in_choices(), "built-in".into()),
    }
}

pub fn built_in_choices() -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for e in Entity::ALL {
        let table = e.desc().default_table;
        let Some(def) = crate::sim::schema::table(table) else { continue };
        for f in def.fields {
            let values = crate::sim::schema::choices(table, f.name);
            if !values.is_empty() {
                out.insert(format!("{}.{}", mapping::key(e), f.name), values.iter().map(|s| s.to_string()).collect());
            }
        }
    }
    out
}
