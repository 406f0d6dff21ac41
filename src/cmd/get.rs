//! `hubtop get`: records as a table, a key–value view of one record, JSON, YAML, CSV or
//! names; once, or again whenever the result changes (`--watch`).

use std::time::Duration;

use serde_json::Value;

use super::output::{self, emit};
use crate::cli::{GetArgs, Global, Output};
use crate::client::read::{Delta, ListSpec};
use crate::client::{Client, Error, Record};
use crate::config::Config;
use crate::domain::Entity;
use crate::exit;
use crate::query::{Condition, OrderBy, Query};
use crate::target::Target;

/// The system fields `get` knows on every table (a record's view shows them).
const SYSTEM: [&str; 4] = ["sys_id", "sys_created_on", "sys_updated_on", "sys_mod_count"];

/// The provider filter: a sys_id as given, else a title looked up on the instance —
/// exactly first, then ignoring case, as the console's filter does (one request more,
/// only when the exact title is not there).
async fn provider_id(client: &Client, p: &str) -> Result<String, Error> {
    if is_sys_id(p) {
        return Ok(p.to_string());
    }
    let t = client.table(Entity::Providers).to_string();
    let q = Query::new().and(Condition::eq("title", p));
    if let Some(r) = client.find_one(&t, q, &["sys_id"]).await? {
        return Ok(r.sys_id().to_string());
    }
    let mut spec = ListSpec::new(&t);
    spec.fields = vec!["sys_id".into(), "title".into()];
    spec.limit = 1000;
    spec.no_count = true;
    let all = client.list(&spec).await?.records;
    let hits: Vec<&Record> = all.iter().filter(|r| r.get("title").trim().eq_ignore_ascii_case(p.trim())).collect();
    match hits.as_slice() {
        [one] => Ok(one.sys_id().to_string()),
        [] => Err(Error::Invalid(format!("no provider titled `{p}` (list them: hubtop get providers)"))),
        many => Err(Error::Invalid(format!(
            "several providers are titled `{p}` but for case ({}); give the exact title or a sys_id",
            many.iter().map(|r| format!("`{}` {}", r.get("title"), r.sys_id())).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// The field a record is named by on the command line: its number, else its title.
fn id_field(e: Entity) -> &'static str {
    if e.desc().fields.contains(&"number") { "number" } else { e.title_field() }
}

/// Every field the profile knows for a kind: what doctor found on the instance
/// (`mapping.known`), else the record's own fields, with the system fields.
fn known_fields(client: &Client, e: Entity) -> Vec<String> {
    let m = &client.config.mapping;
    let mut out: Vec<String> = SYSTEM.iter().map(|s| s.to_string()).collect();
    let own: Vec<String> = match m.known.get(crate::domain::mapping::key(e)).filter(|k| !k.is_empty()) {
        Some(known) => known.iter().map(|f| m.field_in(e, f).to_string()).collect(),
        None => e.desc().fields.iter().map(|s| s.to_string()).collect(),
    };
    for f in own {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// The columns of `-o table` (and csv) and of `-o wide`: the console's list columns
/// (their fields), and the sys_id first where `get` has it and the console does not
/// (executions: `rerun` takes the sys_id); wide adds the rest of the listed fields.
fn columns(e: Entity, wide: bool) -> Vec<String> {
    let mut cols: Vec<String> = table_columns(e).iter().map(|s| s.to_string()).collect();
    if wide {
        for f in e.list_fields().iter().chain(&["sys_id", "sys_updated_on"]) {
            if *f != "sys_mod_count" && !cols.iter().any(|c| c == f) {
                cols.push(f.to_string());
            }
        }
    }
    cols
}

/// The header of a field's column in `-o table` and `-o wide`: the console's column title
/// where the console lists the field (RECORD, TRIES, DURATION), else its name upper-cased.
pub fn column_title(e: Entity, field: &str) -> String {
    e.columns().iter().find(|c| c.field == field).map_or_else(|| field.to_uppercase(), |c| c.title.to_string())
}

/// A cell of `-o table` and `-o wide` as the console's list shows it (the same code):
/// times relative ("3m ago"), durations with their unit ("3.1s"), tries of the most
/// ("2/3"), references and choices by their display value; a state as its word, without
/// the console's symbol.
fn console_cell(e: Entity, field: &str, r: &Record, now: chrono::DateTime<chrono::Utc>) -> String {
    let theme = crate::theme::Theme::none();
    let (shown, _) = crate::ui::table::cell(&theme, e, field, r, now);
    let (sym, _) = theme.state(r.get(field));
    match shown.strip_prefix(sym).and_then(|rest| rest.strip_prefix(' ')) {
        Some(word) if word == r.show(field) => word.to_string(),
        _ => shown,
    }
}

/// What to print, checked before anything is sent.
struct Plan {
    e: Entity,
    /// The columns (table, wide, csv) or fields (json, yaml; empty: all) asked for.
    fields: Vec<String>,
    /// One record named, shown field by field.
    one: bool,
    interval: Option<Duration>,
}

impl Plan {
    fn new(client: &Client, a: &GetArgs, refresh: Duration) -> Result<Plan, String> {
        let e: Entity = a.entity;
        let known = known_fields(client, e);
        let mut fields = Vec::new();
        for f in a.fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
            if !known.iter().any(|k| k == f) {
                return Err(format!("--fields: {} has no field `{f}` (fields: {})", e.name(), known.join(", ")));
            }
            if !fields.iter().any(|x| x == f) {
                fields.push(f.to_string());
            }
        }
        if a.display && !matches!(a.output, Output::Json | Output::Yaml) {
            return Err("--display is for -o json and -o yaml (the other outputs show display values)".into());
        }
        if a.no_headers && !matches!(a.output, Output::Table | Output::Wide | Output::Csv) {
            return Err("--no-headers is for -o table, wide and csv".into());
        }
        if a.limit == 0 {
            return Err("--limit is at least 1".into());
        }
        let one = a.ids.len() == 1 && a.output == Output::Table;
        if fields.is_empty() && matches!(a.output, Output::Table | Output::Wide | Output::Csv) && !one {
            fields = columns(e, a.output == Output::Wide);
        }
        if fields.is_empty() && one {
            fields = known;
        }
        let interval = match (a.watch, a.interval) {
            (false, _) => None,
            (true, Some(s)) if !(s.is_finite() && s >= 1.0) => {
                return Err(format!("--interval {s}: at least 1 second between polls"));
            }
            (true, Some(s)) => Some(Duration::from_secs_f64(s)),
            (true, None) => Some(refresh.max(Duration::from_secs(1))),
        };
        Ok(Plan { e, fields, one, interval })
    }
}

/// What one instance answered, in the form the output wants.
enum Rows {
    /// json and yaml: the objects as the instance sent them.
    Raw(Vec<Value>),
    /// The rest: records with display values.
    Records(Vec<Record>),
}

struct Got {
    rows: Rows,
    total: Option<usize>,
}

pub async fn get(client: &Client, a: GetArgs, refresh: Duration) -> u8 {
    let plan = match Plan::new(client, &a, refresh) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("hubtop: {msg}");
            return exit::USAGE;
        }
    };
    let spec = match spec(client, &a).await {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let got = match fetch(client, &a, &plan, &spec).await {
        Ok(g) => g,
        // The instance has no such table: say which kind's table it is, and where to look.
        Err(e @ Error::Server { status: 400, .. }) if e.to_string().contains("Invalid table") => {
            eprintln!(
                "hubtop: {e}: this instance has no such table for {}; `hubtop doctor` checks what it has",
                plan.e.label().to_lowercase()
            );
            return e.exit_code();
        }
        Err(e) => return fail(&e),
    };
    let (text, code) = render(&a, &plan, &got, true);
    emit(&text);
    // After the records (a reader that stopped early never sees it, nor needs to).
    if let (Rows::Records(r), Some(t), true) = (&got.rows, got.total, a.ids.is_empty() && !a.watch)
        && t > r.len()
    {
        eprintln!("({} of {t} shown; --limit for more)", r.len());
    }
    match plan.interval {
        Some(every) => watch(client, &a, &plan, &spec, every, text).await,
        None => code,
    }
}

fn fail(e: &Error) -> u8 {
    eprintln!("hubtop: {e}");
    e.exit_code()
}

/// The query, order and limit of the listing (not yet its fields).
async fn spec(client: &Client, a: &GetArgs) -> Result<ListSpec, Error> {
    let e: Entity = a.entity;
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
    if !a.ids.is_empty() {
        let by_name = Condition::in_list(id_field(e), &a.ids).map_err(Error::Invalid)?;
        let by_id = Condition::in_list("sys_id", &a.ids).map_err(Error::Invalid)?;
        if q.alternatives.is_empty() {
            q.alternatives.push(Vec::new());
        }
        for alt in &mut q.alternatives {
            alt.push(vec![by_name.clone(), by_id.clone()]);
        }
    }
    if let Some(s) = &a.state {
        let c = crate::ops::validate::state_term(e, mapping, s).map_err(|why| Error::Invalid(state_hint(e, why)))?;
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
    spec.limit = if a.ids.is_empty() { a.limit } else { a.limit.max(a.ids.len() * 2) };
    Ok(spec)
}

/// A refused `--state`, with which field it filters where the kind has another state
/// (work orders: `--state` is the integration state; their own state is `--query state=…`).
fn state_hint(e: Entity, why: String) -> String {
    match e.state_field() {
        Some(f) if f != "state" && e.desc().fields.contains(&"state") => format!(
            "{why}\n(--state filters {} on {}, the {} column; for the {} column: --query 'state=VALUE')",
            f.replace('_', " "),
            e.label().to_lowercase(),
            column_title(e, f),
            column_title(e, "state")
        ),
        _ => why,
    }
}

async fn fetch(client: &Client, a: &GetArgs, plan: &Plan, spec: &ListSpec) -> Result<Got, Error> {
    let mut spec = spec.clone();
    match a.output {
        Output::Json | Output::Yaml => {
            spec.fields = plan.fields.clone();
            spec.display = a.display;
            spec.no_count = true;
            let mut rows = client.list_raw(&spec).await?;
            if a.display {
                for r in &mut rows {
                    logical_values(client, plan.e, r);
                }
            }
            Ok(Got { rows: Rows::Raw(rows), total: None })
        }
        _ => {
            spec.display = true;
            let mut fields = plan.fields.clone();
            // What the console's cells read beside their own field (a try count's
            // most, an entry's state for its next attempt): the list's fields.
            let beside: &[&str] = match a.output {
                Output::Table | Output::Wide => plan.e.list_fields(),
                _ => &[],
            };
            for f in ["sys_id", id_field(plan.e)].iter().chain(beside) {
                if !fields.iter().any(|x| x == f) {
                    fields.push(f.to_string());
                }
            }
            spec.fields = fields;
            let page = client.list(&spec).await?;
            Ok(Got { rows: Rows::Records(page.records), total: page.total })
        }
    }
}

/// `--display` objects keep the instance's choice values in `value`: the logical ones, as
/// without `--display` (the client maps plain values itself).
fn logical_values(client: &Client, e: Entity, row: &mut Value) {
    let Value::Object(m) = row else { return };
    for (k, v) in m.iter_mut() {
        if let Some(Value::String(s)) = v.get_mut("value") {
            let logical = client.config.mapping.value_in(e, k, s).to_string();
            *s = logical;
        }
    }
}

/// The names of the records a value identifies it by (id field, sys_id), raw or display form.
fn names_of_raw(e: Entity, v: &Value) -> [String; 2] {
    let get = |f: &str| match v.get(f) {
        Some(Value::String(s)) => s.clone(),
        Some(o @ Value::Object(_)) => o.get("value").and_then(Value::as_str).unwrap_or("").to_string(),
        _ => String::new(),
    };
    [get(id_field(e)), get("sys_id")]
}

/// The text to print and the exit code: [`exit::NOT_FOUND`] when a record named was not found. `first`:
/// the first print (a missing record is reported once).
fn render(a: &GetArgs, plan: &Plan, got: &Got, first: bool) -> (String, u8) {
    let e = plan.e;
    // Records named on the command line come in the order named.
    let order = |names: [String; 2]| a.ids.iter().position(|i| names.contains(i)).unwrap_or(usize::MAX);
    let mut found: Vec<[String; 2]> = Vec::new();
    let text = match &got.rows {
        Rows::Raw(rows) => {
            let mut rows = rows.clone();
            if !a.ids.is_empty() {
                rows.sort_by_key(|v| order(names_of_raw(e, v)));
            }
            found.extend(rows.iter().map(|v| names_of_raw(e, v)));
            // One record named: the object itself.
            let v = if a.ids.len() == 1 && rows.len() == 1 {
                rows.pop().unwrap_or(Value::Null)
            } else {
                Value::Array(rows)
            };
            match a.output {
                Output::Yaml => output::yaml(&v),
                _ => output::json(&v),
            }
        }
        Rows::Records(records) => {
            let mut records = records.clone();
            if !a.ids.is_empty() {
                records.sort_by_key(|r| order([r.get(id_field(e)).to_string(), r.sys_id().to_string()]));
            }
            found.extend(records.iter().map(|r| [r.get(id_field(e)).to_string(), r.sys_id().to_string()]));
            match a.output {
                Output::Name => records.iter().map(|r| format!("{}\n", name_of(e, r))).collect(),
                Output::Csv => {
                    let cols: Vec<&str> = plan.fields.iter().map(String::as_str).collect();
                    output::csv(&cols, &cells(&records, &cols), a.no_headers)
                }
                _ if plan.one && records.len() == 1 => fields_view(e, &records[0], &plan.fields),
                Output::Wide => {
                    // A field whose header another column has (executions: `flow` beside
                    // the name's FLOW) is headed by its own name.
                    let mut heads: Vec<String> = Vec::new();
                    for f in &plan.fields {
                        let h = column_title(e, f);
                        heads.push(if heads.contains(&h) { f.clone() } else { h });
                    }
                    let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
                    output::plain_table(&heads, &console_cells(e, &records, &plan.fields), a.no_headers)
                }
                _ => table(e, &plan.fields, &records, a.no_headers),
            }
        }
    };
    let missing: Vec<&String> = a.ids.iter().filter(|i| !found.iter().any(|n| n.contains(i))).collect();
    if missing.is_empty() {
        return (text, exit::OK);
    }
    if first {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        eprintln!(
            "hubtop: no {} {} (by {} or sys_id); search with: hubtop get {} --query '{}LIKE…'",
            e.desc().label_one.to_lowercase(),
            list.join(", "),
            id_field(e),
            e.name(),
            id_field(e)
        );
    }
    // Nothing found of what was named: nothing on stdout (no empty header, no `[]`).
    let text = if found.is_empty() { String::new() } else { text };
    (text, exit::NOT_FOUND)
}

/// What `-o name` prints: the number, else the sys_id (a title may hold spaces, and the
/// commands that act take a sys_id).
fn name_of(e: Entity, r: &Record) -> String {
    let n = if id_field(e) == "number" { r.get("number") } else { "" };
    if n.is_empty() { r.sys_id().to_string() } else { n.to_string() }
}

fn cells(records: &[Record], cols: &[&str]) -> Vec<Vec<String>> {
    records.iter().map(|r| cols.iter().map(|c| r.show(c).to_string()).collect()).collect()
}

/// The cells of records as the console shows them (see [`console_cell`]).
fn console_cells(e: Entity, records: &[Record], fields: &[String]) -> Vec<Vec<String>> {
    let now = chrono::Utc::now();
    records.iter().map(|r| fields.iter().map(|f| console_cell(e, f, r, now)).collect()).collect()
}

/// The default table, fitted to the terminal (or `COLUMNS`, else 200 columns when piped):
/// the console's headers and cells.
fn table(e: Entity, fields: &[String], records: &[Record], no_headers: bool) -> String {
    use std::io::IsTerminal;
    let width = match std::io::stdout().is_terminal() {
        true => crossterm::terminal::size().map(|(w, _)| w as usize).unwrap_or(120),
        false => std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
    };
    let heads: Vec<String> = fields.iter().map(|f| column_title(e, f)).collect();
    let text = output::fitted_table(&heads, &console_cells(e, records, fields), width);
    match no_headers {
        true => text.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default(),
        false => text,
    }
}

/// One record, field by field (like `kubectl describe`): the field's label, its display
/// value, and the stored value in parentheses where it differs.
fn fields_view(e: Entity, r: &Record, fields: &[String]) -> String {
    let table = e.desc().default_table;
    let rows: Vec<(String, String)> = fields
        .iter()
        .map(|f| {
            let label = crate::sim::schema::field_label(table, f);
            let (shown, raw) = (r.show(f), r.get(f));
            let value = if raw.is_empty() || shown == raw { shown.to_string() } else { format!("{shown} ({raw})") };
            (label, value)
        })
        .collect();
    let w = rows.iter().map(|(l, _)| unicode_width::UnicodeWidthStr::width(l.as_str())).max().unwrap_or(0) + 1;
    let title = match r.show(id_field(e)) {
        "" => r.sys_id(),
        t => t,
    };
    let mut out = format!("{}: {title}\n", e.label_one());
    for (label, value) in rows {
        let pad = w.saturating_sub(unicode_width::UnicodeWidthStr::width(label.as_str()));
        // A value of several lines keeps its lines, indented under the first.
        let value = value.replace('\n', &format!("\n  {}", " ".repeat(w + 1)));
        out.push_str(format!("  {label}:{} {value}", " ".repeat(pad)).trim_end());
        out.push('\n');
    }
    out
}

/// `--watch`: the console's delta polling over the whole table (a record that leaves the
/// filter is a change too). While nothing changes a poll is one request (the Aggregate
/// API's count and sum of `sys_mod_count` since the watermark); when something did, the
/// listing is asked again and printed if what it prints changed. Ends on a signal
/// (exit 128 + its number) or a failure that waiting will not mend.
async fn watch(client: &Client, a: &GetArgs, plan: &Plan, spec: &ListSpec, every: Duration, mut last: String) -> u8 {
    let mut signals = crate::signals::Signals::install();
    let table = spec.table.clone();
    let mut follow = ListSpec::new(&table);
    follow.fields = ["sys_id", "sys_updated_on", "sys_mod_count"].map(String::from).to_vec();
    follow.limit = 200;
    // Where the delta starts: the newest rows' keys, taken as already delivered, so the
    // first poll is as cheap as the next ones.
    let mut newest = follow.clone();
    newest.query = Query::new().order_desc("sys_updated_on");
    newest.limit = 100;
    newest.no_count = true;
    let mut delta = Delta::new(follow);
    match client.list(&newest).await {
        Ok(p) => {
            delta.absorb(p.records);
        }
        Err(e) => return fail(&e),
    }
    let mut polls: u64 = 0;
    loop {
        tokio::select! {
            s = signals.next() => return s.exit_code(),
            _ = tokio::time::sleep(every) => {}
        }
        polls += 1;
        let changed = match delta.poll(client).await {
            Ok(c) => c,
            Err(e) if e.is_transient() => {
                tracing::warn!(poll = polls, error = %e, "watch: poll failed; trying again");
                eprintln!("hubtop: {} (trying again)", e.short());
                continue;
            }
            Err(e) => return fail(&e),
        };
        tracing::debug!(poll = polls, changed = changed.len(), "watch: polled");
        if changed.is_empty() {
            continue;
        }
        let got = match fetch(client, a, plan, spec).await {
            Ok(g) => g,
            Err(e) if e.is_transient() => {
                eprintln!("hubtop: {} (trying again)", e.short());
                continue;
            }
            Err(e) => return fail(&e),
        };
        let (text, _) = render(a, plan, &got, false);
        if text != last {
            let sep = if matches!(a.output, Output::Json | Output::Yaml | Output::Name) { "" } else { "\n" };
            let doc = if a.output == Output::Yaml { "---\n" } else { "" };
            emit(&format!("{sep}{doc}{text}"));
            last = text;
        }
    }
}

/// `get --profile a,b`: each profile at once; a `profile` field (JSON, YAML) or column
/// (the others) says whose each record is. A profile that fails is reported after the
/// others print, and the exit code is the most severe of theirs ([`exit::SEVERITY`]).
pub async fn get_many(g: &Global, config: &Config, list: &str, a: GetArgs) -> u8 {
    if a.watch {
        eprintln!("hubtop: --watch follows one instance; name one profile");
        return exit::USAGE;
    }
    let mut names: Vec<&str> = Vec::new();
    for n in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let results = futures::future::join_all(names.iter().map(|n| fetch_profile(g, config, n, &a))).await;
    let mut code = exit::OK;
    let mut failures = Vec::new();
    let (mut raw, mut records, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    let mut plan = None;
    for (name, r) in names.iter().zip(results) {
        match r {
            Ok((p, got)) => {
                match got.rows {
                    Rows::Raw(rows) => raw.extend(rows.into_iter().map(|mut v| {
                        if let Value::Object(m) = &mut v {
                            m.insert("profile".into(), Value::String(name.to_string()));
                        }
                        v
                    })),
                    Rows::Records(recs) => {
                        if let Some(t) = got.total.filter(|t| *t > recs.len()) {
                            totals.push(format!("{name}: {} of {t}", recs.len()));
                        }
                        records.extend(recs.into_iter().map(|mut r| {
                            r.set("profile", name);
                            r
                        }));
                    }
                }
                plan.get_or_insert(p);
            }
            Err((c, why)) => {
                code = exit::worst(code, c);
                failures.push(format!("hubtop: profile {name}: {why}"));
            }
        }
    }
    if let Some(mut plan) = plan {
        plan.one = false;
        let rows = match a.output {
            Output::Json | Output::Yaml => Rows::Raw(raw),
            _ => {
                if !plan.fields.iter().any(|f| f == "profile") {
                    plan.fields.insert(0, "profile".into());
                }
                Rows::Records(records)
            }
        };
        let mut a = a.clone();
        a.ids.clear();
        let (text, _) = render(&a, &plan, &Got { rows, total: None }, true);
        emit(&text);
        if !totals.is_empty() {
            eprintln!("({} shown; --limit for more)", totals.join(", "));
        }
    }
    for f in failures {
        eprintln!("{f}");
    }
    code
}

/// One profile of `get_many`: resolved (secrets too) and asked on its own.
async fn fetch_profile(g: &Global, config: &Config, name: &str, a: &GetArgs) -> Result<(Plan, Got), (u8, String)> {
    // The profile names its instance and credentials; `--instance` and its flags do not apply.
    let target = Target::resolve_profile(g, config, name).await?;
    let (client, _) = target.connect(false).await?;
    let plan = Plan::new(&client, a, target.refresh).map_err(|m| (exit::USAGE, m))?;
    let spec = spec(&client, a).await.map_err(|e| (e.exit_code(), e.to_string()))?;
    let got = fetch(&client, a, &plan, &spec).await.map_err(|e| (e.exit_code(), e.to_string()))?;
    Ok((plan, got))
}

/// The fields of the columns `get -o table` shows for a kind of record: the console's
/// list columns, with the sys_id first where `get` has it and the console does not.
pub fn table_columns(e: Entity) -> Vec<&'static str> {
    let console: Vec<&'static str> = e.columns().iter().map(|c| c.field).collect();
    let mut out: Vec<&'static str> = e.desc().get_columns.iter().copied().filter(|f| *f == "sys_id").collect();
    out.retain(|f| !console.contains(f));
    out.extend(console);
    out
}
