//! The Aggregate API (`/api/now[/v1|/v2]/stats/{table}`, Aggregate API page): the
//! count only with `sysparm_count=true`; sum / min / max / avg of the fields asked;
//! groups as `{"stats": {…}, "groupby_fields": [{"field", "value"}]}`, with display
//! values only when `sysparm_display_value` asks for them (`all` adds a
//! `display_value` beside the value, assumed from the Table API's shape). Unknown
//! group-by or aggregate fields are left out (assumed; the page is silent).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::render::{Display, visible_col};
use super::{S, flag, store_error, table_def, version};
use crate::sim::Sim;
use crate::sim::store::Agg;

pub async fn stats(
    State(sim): S,
    Path(path): Path<HashMap<String, String>>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    inner(&sim, &path, &p).unwrap_or_else(|r| r)
}

fn inner(sim: &Sim, path: &HashMap<String, String>, p: &HashMap<String, String>) -> Result<Response, Response> {
    version(path)?;
    let table = path.get("table").map(String::as_str).unwrap_or("");
    let def = table_def(sim, table)?;
    let display = Display::from_params(p)?;
    let q = super::bind::compile(sim, def, p);
    let names = |k: &str| -> Vec<(String, usize)> {
        p.get(k)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|f| Some((f.to_string(), visible_col(sim, def, f)?)))
            .collect()
    };
    let group = names("sysparm_group_by");
    let (sums, mins, maxs, avgs) = (
        names("sysparm_sum_fields"),
        names("sysparm_min_fields"),
        names("sysparm_max_fields"),
        names("sysparm_avg_fields"),
    );
    let count = flag(p, "sysparm_count");
    let cols: Vec<usize> = group.iter().map(|(_, c)| *c).collect();
    let value_cols: Vec<usize> = sums.iter().chain(&mins).chain(&maxs).chain(&avgs).map(|(_, c)| *c).collect();
    let groups = sim.store.table(table).map_err(store_error)?.read().aggregate(&q, &cols, &value_cols);
    let num = |x: f64| if x.fract() == 0.0 { format!("{x:.0}") } else { format!("{x:.4}") };
    let stats_of = |a: &Agg| -> Value {
        let mut st = Map::new();
        if count {
            st.insert("count".into(), json!(a.count.to_string()));
        }
        let mut i = 0;
        let mut section = |name: &str, fields: &[(String, usize)], f: &dyn Fn(usize) -> String| {
            if fields.is_empty() {
                return;
            }
            let m: Map<String, Value> = fields
                .iter()
                .map(|(n, _)| {
                    let v = f(i);
                    i += 1;
                    (n.clone(), json!(v))
                })
                .collect();
            st.insert(name.into(), Value::Object(m));
        };
        section("sum", &sums, &|i| num(a.sum[i]));
        section("min", &mins, &|i| a.min[i].as_deref().unwrap_or("").to_string());
        section("max", &maxs, &|i| a.max[i].as_deref().unwrap_or("").to_string());
        section("avg", &avgs, &|i| if a.count == 0 { String::new() } else { num(a.sum[i] / a.count as f64) });
        Value::Object(st)
    };
    if group.is_empty() {
        let n = value_cols.len();
        let total = groups.into_iter().next().map(|(_, a)| a).unwrap_or_else(|| Agg {
            count: 0,
            sum: vec![0.0; n],
            min: vec![None; n],
            max: vec![None; n],
        });
        return Ok(Json(json!({"result": {"stats": stats_of(&total)}})).into_response());
    }
    let result: Vec<Value> = groups
        .into_iter()
        .map(|(key, a)| {
            let fields: Vec<Value> = group
                .iter()
                .zip(key.iter())
                .map(|((f, _), v)| {
                    let label = || super::bind::group_label(sim, def, f, v);
                    match display {
                        Display::Value => json!({"field": f, "value": &**v}),
                        Display::Label => json!({"field": f, "value": label()}),
                        Display::All => json!({"field": f, "value": &**v, "display_value": label()}),
                    }
                })
                .collect();
            json!({"stats": stats_of(&a), "groupby_fields": fields})
        })
        .collect();
    Ok(Json(json!({ "result": result })).into_response())
}
