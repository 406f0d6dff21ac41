//! Encoded queries the way a real instance reads them (Table API page, `sysparm_query`):
//! a term on a field the table does not have, or one a real instance cannot apply (a
//! date operator on a string, an operator it does not know), is invalid: ignored, or
//! matching nothing when `glide.invalid_query.returns_no_rows` is on (`--invalid-query
//! no-rows`), and logged (debug); text that does not parse is treated the same;
//! dot-walked fields follow references. Every operator of "Operators available for
//! filters and queries" is evaluated by the query module, with each field's type and
//! relative dates in the API user's time zone on the instance's clock. Never a 400.
//! Name-value pairs on the query string (`&state=error`) filter too, by value or display
//! value.
//!
//! Order keys (`ORDERBYf`, `ORDERBYDESCf`) sort as a list does: a reference (and a
//! Document ID) by the referenced record's display value, what the column shows; a
//! choice by its stored value ("Field types other than choice list types are sorted
//! based on the label … Choice list fields are sorted by the underlying dictionary entry
//! value", platform-user-interface/configure-use-list-functions.md, "Sort a list"); a
//! dot-walked key (`ORDERBYprovider.title`) by that field of the referenced record, the
//! way dot-walked conditions read it (c_EncodedQueryStrings.md). A key on a field the
//! table does not have is ignored, as invalid parts of a query are (Table API page).

use std::collections::HashMap;

use crate::query::{self, Bind, Compiled, Condition, Ctx, FieldType, Op, OrderKey, Query};
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
        Err(e) if sim.config.invalid_query == InvalidQuery::Ignore => {
            tracing::debug!(query = text, error = %e, "unreadable query ignored");
            Query::new()
        }
        Err(e) => {
            tracing::debug!(query = text, error = %e, "unreadable query: no rows");
            let nothing = Query::new().and(Condition::eq("sys_id", ""));
            return nothing.compile_with(|_| Bind::Const(false), |_| None);
        }
    };
    for (k, v) in name_value_pairs(sim, def, p) {
        q = q.and_all(Condition::new(&k, Op::In, &v));
    }
    let ctx = ctx(sim);
    let keys = q.order.iter().filter_map(|o| Some((order_key(sim, def, &o.field)?, o.desc))).collect();
    q.compile_in(|c| bind(sim, def, c, &ctx, 0), |f| visible_col(sim, def, f), &ctx, ignores_invalid(sim))
        .with_order_keys(keys)
}

/// What `ORDERBY<field>` sorts `def` by (see the module documentation), or `None` for a
/// key a real instance ignores (an unknown field, a walk through a non-reference).
fn order_key(sim: &Sim, def: &'static TableDef, field: &str) -> Option<OrderKey> {
    let (head, rest) = match field.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (field, None),
    };
    let col = visible_col(sim, def, head)?;
    match (def.fields[col].kind, rest) {
        (Kind::Ref(t), rest) => {
            let tdef = schema::table(t)?;
            let rest = rest.unwrap_or(tdef.display);
            Some(OrderKey::Lookup(col, sort_values(sim, tdef, rest, 1)?))
        }
        (Kind::DocumentId { table_field }, None) => {
            let by = def.col(table_field)?;
            // The tables this column's rows name (each once), then each one's display values.
            let tables: std::collections::BTreeSet<String> = {
                let lock = sim.store.table(def.name).ok()?;
                lock.read().iter().map(|r| r[by].to_string()).collect()
            };
            let map = tables
                .into_iter()
                .filter_map(|t| {
                    let tdef = schema::table(&t)?;
                    Some((t, sort_values(sim, tdef, tdef.display, 1)?))
                })
                .collect();
            Some(OrderKey::LookupBy { col, by, map })
        }
        (_, None) => Some(OrderKey::Col(col)),
        (_, Some(_)) => None,
    }
}

/// Every record of `def` by sys_id → what it sorts by under `field` (a plain field's
/// value; a reference's display value; a dot-walk followed), or `None` when `field`
/// cannot be read there. `depth` bounds the walk as conditions are bounded.
fn sort_values(sim: &Sim, def: &'static TableDef, field: &str, depth: usize) -> Option<HashMap<String, String>> {
    if depth > MAX_WALK {
        return None;
    }
    let (head, rest) = match field.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (field, None),
    };
    let col = visible_col(sim, def, head)?;
    // A reference inside the walk reads through to the record it names.
    let through = match (def.fields[col].kind, rest) {
        (Kind::Ref(t), rest) => {
            let tdef = schema::table(t)?;
            Some(sort_values(sim, tdef, rest.unwrap_or(tdef.display), depth + 1)?)
        }
        (_, None) => None,
        (_, Some(_)) => return None,
    };
    let lock = sim.store.table(def.name).ok()?;
    let t = lock.read();
    Some(
        t.iter()
            .map(|r| {
                let v = &*r[col];
                let v = through.as_ref().and_then(|m| m.get(v)).map_or(v, String::as_str);
                (r[0].to_string(), v.to_string())
            })
            .collect(),
    )
}

/// The instance's clock and the API user's time zone and identity.
pub fn ctx(sim: &Sim) -> Ctx {
    Ctx {
        now: sim.store.now(),
        tz: crate::sim::user::user_tz(sim),
        user_id: Some(crate::sim::user::ADMIN_SYS_ID.to_string()),
        user_name: Some(crate::sim::auth::USER.to_string()),
    }
}

fn ignores_invalid(sim: &Sim) -> bool {
    sim.config.invalid_query == InvalidQuery::Ignore
}

/// The evaluation type of a field kind.
pub fn field_type(kind: Kind) -> FieldType {
    match kind {
        Kind::Str | Kind::DocumentId { .. } => FieldType::Text,
        Kind::Int => FieldType::Number,
        Kind::Bool => FieldType::Bool,
        Kind::DateTime => FieldType::DateTime,
        Kind::Choice => FieldType::Choice,
        Kind::Ref(_) => FieldType::Reference,
    }
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

fn unknown(field: &str) -> Bind {
    Bind::Invalid(format!("no field `{field}`"))
}

/// What one condition means on `def`.
fn bind(sim: &Sim, def: &'static TableDef, c: &Condition, ctx: &Ctx, depth: usize) -> Bind {
    if c.op == Op::Raw && c.field.is_empty() {
        return Bind::Const(true); // `EQ` and the like: markers, not conditions
    }
    if let Some(tag) = c.field.strip_prefix("sys_tags.") {
        return tags(c, tag);
    }
    if let Some((head, rest)) = c.field.split_once('.') {
        return dot_walk(sim, def, c, head, rest, ctx, depth);
    }
    let Some(col) = visible_col(sim, def, &c.field) else { return unknown(&c.field) };
    if let Some(other) = c.other_field()
        && visible_col(sim, def, other).is_none()
    {
        return unknown(other);
    }
    // On a reference, the text operators read the referenced record's display value
    // (the page: `caller_idSTARTSWITHDon` is "the name in the Caller field begins with
    // Don").
    if let Kind::Ref(t) = def.fields[col].kind
        && matches!(c.op, Op::Like | Op::NotLike | Op::StartsWith | Op::EndsWith)
        && let Some(tdef) = schema::table(t)
    {
        return dot_walk(sim, def, c, &c.field, tdef.display, ctx, depth);
    }
    Bind::Typed(col, field_type(def.fields[col].kind))
}

/// Tag conditions (page, "Operators available for tags"): no record of the embedded
/// instance carries a tag, so "have" matches none, "does not have" (a record with some
/// other tag) none, and "excluding" (with or without tags, except this one) all.
fn tags(c: &Condition, tag: &str) -> Bind {
    match c.op {
        Op::Eq if c.value == tag => Bind::Const(false),
        Op::DoesNotHave => Bind::Const(false),
        Op::Excluding => Bind::Const(true),
        _ => Bind::Invalid(format!("`{}` is not a tag condition", c.op.as_str())),
    }
}

/// `ref.field OP value` → `ref IN <ids of referenced records where field OP value>`.
fn dot_walk(sim: &Sim, def: &'static TableDef, c: &Condition, head: &str, rest: &str, ctx: &Ctx, depth: usize) -> Bind {
    let Some(col) = visible_col(sim, def, head) else { return unknown(head) };
    let Kind::Ref(target) = def.fields[col].kind else { return Bind::Invalid(format!("`{head}` is not a reference")) };
    let (Some(tdef), Ok(lock)) = (schema::table(target), sim.store.table(target)) else { return unknown(head) };
    if depth >= MAX_WALK {
        return Bind::Invalid(format!("`{}` walks too deep", c.field));
    }
    if c.other_field().is_some() {
        // Both fields of a comparison on the referenced record: not walked (assumed).
        return Bind::Invalid(format!("`{}` compares fields of a referenced record", c.field));
    }
    let inner = Condition { field: rest.to_string(), op: c.op, value: c.value.clone() };
    // An invalid inner term leaves the walked term invalid as a whole.
    let bad = std::cell::Cell::new(false);
    let sub = Query::new().and(inner).compile_in(
        |c| match bind(sim, tdef, c, ctx, depth + 1) {
            Bind::Invalid(_) => {
                bad.set(true);
                Bind::Const(true)
            }
            b => b,
        },
        |f| visible_col(sim, tdef, f),
        ctx,
        true,
    );
    if bad.get() {
        return Bind::Invalid(format!("`{}` is not a valid walk", c.field));
    }
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
