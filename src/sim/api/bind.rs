//! Encoded queries the way a real instance reads them (Table API page, `sysparm_query`):
//! a term on a field the table does not have is ignored, or matches nothing when
//! `glide.invalid_query.returns_no_rows` is on (`--invalid-query no-rows`); text that
//! does not parse is treated the same; dot-walked fields follow references;
//! `javascript:gs.…()` date helpers, `ON`, `BETWEEN` and `RELATIVE…` are evaluated;
//! other raw terms (`EQ`, `DATEPART`, …) are ignored. Never a 400. Name-value pairs on
//! the query string (`&state=error`) filter too, by value or display value.

use std::collections::HashMap;

use crate::query::{self, Bind, Compiled, Condition, Op, Query, RawDate};
use crate::sim::schema::{self, Kind, TableDef};
use crate::sim::{InvalidQuery, Sim};

use super::render::{display_of, visible_col};

/// How deep dot-walks go (`a.b.c.d`); deeper terms count as invalid.
const MAX_WALK: usize = 4;

/// Compiles `sysparm_query` plus the name-value pairs of `p` for `def`.
pub fn compile(sim: &Sim, def: &'static TableDef, p: &HashMap<String, String>) -> Compiled {
    let text = p.get("sysparm_query").map(String::as_str).unwrap_or("");
    let mut q = match query::parse(text) {
        Ok(q) => q,
        // Unreadable text is an invalid query as a whole.
        Err(_) if sim.config.invalid_query == InvalidQuery::Ignore => Query::new(),
        Err(_) => {
            let nothing = Query::new().and(Condition::eq("sys_id", ""));
            return nothing.compile_with(|_| Bind::Const(false), |_| None);
        }
    };
    for (k, v) in name_value_pairs(sim, def, p) {
        q = q.and_all(Condition::new(&k, Op::In, &v));
    }
    let now = chrono::Utc::now();
    q.compile_with(|c| bind(sim, def, c, now, 0), |f| visible_col(sim, def, f))
}

/// `&field=value` pairs naming a field of the table, as IN lists of the stored values
/// they stand for (the value itself, or the choice / referenced record it displays as).
fn name_value_pairs(sim: &Sim, def: &TableDef, p: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut keys: Vec<&String> = p.keys().filter(|k| !k.starts_with("sysparm_")).collect();
    keys.sort();
    for k in keys {
        let Some(c) = visible_col(sim, def, k) else { continue };
        let v = p[k].as_str();
        let mut values = vec![v.to_string()];
        match def.fields[c].kind {
            Kind::Choice => values.extend(
                schema::choices(def.name, k)
                    .iter()
                    .filter(|x| schema::choice_label(x).eq_ignore_ascii_case(v))
                    .map(|x| x.to_string()),
            ),
            Kind::Ref(t) => {
                if let (Ok(lock), Some(tdef)) = (sim.store.table(t), schema::table(t))
                    && let Some(dc) = tdef.col(tdef.display)
                {
                    values.extend(lock.read().iter().filter(|r| &*r[dc] == v).map(|r| r[0].to_string()));
                }
            }
            _ => {}
        }
        values.retain(|x| !x.contains(','));
        out.push((k.clone(), values.join(",")));
    }
    out
}

fn invalid(sim: &Sim) -> Bind {
    Bind::Const(sim.config.invalid_query == InvalidQuery::Ignore)
}

/// What one condition means on `def`.
fn bind(sim: &Sim, def: &'static TableDef, c: &Condition, now: chrono::DateTime<chrono::Utc>, depth: usize) -> Bind {
    if c.op == Op::Raw && c.field.is_empty() {
        return Bind::Const(true); // `EQ` and the like: markers, not conditions
    }
    if let Some((head, rest)) = c.field.split_once('.') {
        return dot_walk(sim, def, c, head, rest, now, depth);
    }
    let Some(col) = visible_col(sim, def, &c.field) else { return invalid(sim) };
    let is_date = def.fields[col].kind == Kind::DateTime;
    if c.op == Op::Raw {
        return match query::raw_date(&c.value, now) {
            Some(RawDate::Range { lo, hi, negate }) if is_date => Bind::Range { col, lo, hi, negate },
            Some(RawDate::Cmp(op, at)) if is_date => Bind::Rewrite(col, Condition::new(&c.field, op, &at)),
            // DATEPART, VALCHANGES, …: not evaluated here, and never refused.
            _ => Bind::Const(true),
        };
    }
    if let Some(expr) = c.value.strip_prefix("javascript:") {
        let value = match expr.trim().trim_end_matches(';') {
            "gs.getUserID()" => crate::sim::meta::ADMIN_SYS_ID.to_string(),
            "gs.getUserName()" => crate::sim::auth::USER.to_string(),
            _ => match query::eval_date(&c.value, now) {
                Some(d) => d,
                None => return Bind::Const(true),
            },
        };
        return Bind::Rewrite(col, Condition::new(&c.field, c.op, &value));
    }
    Bind::Col(col)
}

/// `ref.field OP value` → `ref IN <ids of referenced records where field OP value>`.
fn dot_walk(
    sim: &Sim,
    def: &'static TableDef,
    c: &Condition,
    head: &str,
    rest: &str,
    now: chrono::DateTime<chrono::Utc>,
    depth: usize,
) -> Bind {
    let Some(col) = visible_col(sim, def, head) else { return invalid(sim) };
    let Kind::Ref(target) = def.fields[col].kind else { return invalid(sim) };
    let (Some(tdef), Ok(lock)) = (schema::table(target), sim.store.table(target)) else { return invalid(sim) };
    if depth >= MAX_WALK {
        return invalid(sim);
    }
    let inner = Condition { field: rest.to_string(), op: c.op, value: c.value.clone() };
    let sub = Query::new().and(inner).compile_with(|c| bind(sim, tdef, c, now, depth + 1), |_| None);
    let t = lock.read();
    let mut ids: Vec<String> = t.iter().filter(|r| sub.matches(r)).map(|r| r[0].to_string()).collect();
    // An empty reference walks to empty values: it matches when the test matches "".
    if sub.matches(&vec![""; tdef.fields.len()]) {
        ids.push(String::new());
    }
    if ids.is_empty() {
        return Bind::Const(false);
    }
    if ids.len() == 1 && ids[0].is_empty() {
        return Bind::Rewrite(col, Condition::new(head, Op::IsEmpty, ""));
    }
    Bind::Rewrite(col, Condition::new(head, Op::In, &ids.join(",")))
}

/// The label a group-by value shows (stats): the choice label or referenced record.
pub fn group_label(sim: &Sim, def: &TableDef, field: &str, v: &str) -> String {
    match def.col(field).map(|c| def.fields[c].kind) {
        Some(Kind::Choice) if !v.is_empty() => schema::choice_label(v),
        Some(Kind::Ref(t)) if !v.is_empty() => display_of(sim, t, v),
        _ => v.to_string(),
    }
}
