//! What the embedded instance starts with: providers and their subflows, the demo's
//! first work orders (processed for real by the engine, so the first minute shows
//! failures of every kind), and `--rows` bulk data for benchmarks.

use std::sync::Arc;

use serde_json::json;

use super::Sim;
use super::engine::INBOUND_FLOW;
use super::fm::Behaviour;
use super::schema::{self, EXECUTIONS, FLOWS, HISTORY, INBOUND, OUTBOUND, PROVIDERS, WORK_ORDERS};
use super::store::StoreError;

pub struct ProviderSeed {
    pub slug: &'static str,
    pub title: &'static str,
    pub kind: &'static str,
    pub auth: &'static str,
    /// `None`: the endpoint is a closed port (connection refused).
    pub behaviour: Option<Behaviour>,
}

pub const PROVIDERS_SEED: &[ProviderSeed] = &[
    ProviderSeed {
        slug: "acme",
        title: "Acme Facilities",
        kind: "fm_work_orders",
        auth: "basic",
        behaviour: Some(Behaviour::Healthy),
    },
    ProviderSeed {
        slug: "brightfm",
        title: "BrightFM",
        kind: "fm_work_orders",
        auth: "oauth",
        behaviour: Some(Behaviour::Flaky),
    },
    ProviderSeed {
        slug: "slowco",
        title: "SlowCo Maintenance",
        kind: "fm_work_orders",
        auth: "basic",
        behaviour: Some(Behaviour::Slow),
    },
    ProviderSeed {
        slug: "keystone",
        title: "Keystone Property Services",
        kind: "fm_work_orders",
        auth: "oauth",
        behaviour: Some(Behaviour::BrokenCredentials),
    },
    ProviderSeed {
        slug: "rapidfix",
        title: "RapidFix",
        kind: "fm_work_orders",
        auth: "api_key",
        behaviour: Some(Behaviour::RateLimited),
    },
    ProviderSeed {
        slug: "mangled",
        title: "Mangled Works Ltd",
        kind: "fm_work_orders",
        auth: "basic",
        behaviour: Some(Behaviour::Malformed),
    },
    ProviderSeed {
        slug: "pagerline",
        title: "PagerLine Incidents",
        kind: "incident_two_way",
        auth: "oauth",
        behaviour: Some(Behaviour::Healthy),
    },
    ProviderSeed {
        slug: "northwind",
        title: "Northwind Remote Instance",
        kind: "remote_instance",
        auth: "oauth",
        behaviour: None,
    },
];

const FM_STATES: &str = r#"{"new":"accepted","in_progress":"in_progress","on_hold":"on_hold","resolved":"completed","closed":"closed","canceled":"cancelled"}"#;
const TWO_WAY_STATES: &str = r#"{"new":"Trigger","in_progress":"Processing","on_hold":"Snoozed","resolved":"Closed","closed":"Closed","canceled":"Closed"}"#;
const TWO_WAY_PRIORITIES: &str = r#"{"1":"Critical","2":"Critical","3":"Warning","4":"Info"}"#;
const FM_PRIORITIES: &str = r#"{"1":"P1","2":"P2","3":"P3","4":"P4"}"#;

/// A port that refuses connections: bound, then released.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(9)
}

pub async fn providers_and_flows(sim: &Arc<Sim>) -> Result<(), StoreError> {
    let s = &sim.store;
    s.insert(FLOWS, &[("name", INBOUND_FLOW), ("type", "flow"), ("active", "true"), ("inputs", "inbound_record")])?;
    for p in PROVIDERS_SEED {
        let mut flows = Vec::new();
        for (op, inputs) in [("Create", "record"), ("Update", "record,changed_fields,comment"), ("Cancel", "record")] {
            let name = format!("{} - {op} Work Order", p.title);
            let row =
                s.insert(FLOWS, &[("name", &name), ("type", "subflow"), ("active", "true"), ("inputs", inputs)])?;
            flows.push(row[0].to_string());
        }
        let base = match p.behaviour {
            Some(b) => {
                sim.fm.set_behaviour(p.slug, b);
                format!("{}/sim/fm/{}", sim.base_url, p.slug)
            }
            None => format!("http://127.0.0.1:{}/api/sn_fd/remote", closed_port()),
        };
        let two_way = p.kind == "incident_two_way";
        s.insert(
            PROVIDERS,
            &[
                ("title", p.title),
                ("active", "true"),
                ("create_work_order_flow", &flows[0]),
                ("update_work_order_flow", &flows[1]),
                ("cancel_work_order_flow", &flows[2]),
                ("kind", p.kind),
                ("connection_alias", &format!("x_hubtop.{}_connection", p.slug)),
                ("base_url", &base),
                ("auth_method", p.auth),
                ("outbound_state", "ready"),
                ("inbound_state", "ready"),
                ("state_mapping", if two_way { TWO_WAY_STATES } else { FM_STATES }),
                ("priority_mapping", if two_way { TWO_WAY_PRIORITIES } else { FM_PRIORITIES }),
                ("last_error", ""),
            ],
        )?;
    }
    Ok(())
}

pub const DESCRIPTIONS: &[&str] = &[
    "Replace broken ceiling light in meeting room 4B",
    "HVAC not cooling on floor 3 east wing",
    "Leaking tap in kitchen, building A",
    "Badge reader at loading dock offline",
    "Elevator 2 making grinding noise",
    "Fire door closer broken, stairwell C",
    "Carpet stain in reception area",
    "Window won't close in office 5.12",
    "Power socket sparking at desk 7-41",
    "Blocked drain in ground floor restroom",
    "Parking barrier stuck open",
    "Replace air filter in server room CRAC unit",
];

pub fn provider_ids(sim: &Sim) -> Vec<(String, String)> {
    let t = sim.store.table(PROVIDERS).map(|t| {
        t.read()
            .iter()
            .map(|r| (r[0].to_string(), super::store::Store::field(PROVIDERS, r, "title").to_string()))
            .collect()
    });
    t.unwrap_or_default()
}

/// Creates a work order assigned to a provider, queued for creation at the provider.
pub fn new_work_order(sim: &Sim, provider_id: &str, desc: &str, priority: u8) -> Result<String, StoreError> {
    let wo = sim.store.insert(
        WORK_ORDERS,
        &[
            ("short_description", desc),
            ("description", &format!("{desc}. Reported via the service portal.")),
            ("state", "new"),
            ("priority", &priority.to_string()),
            ("fm_provider", provider_id),
            ("integration_state", "create_pending"),
        ],
    )?;
    let id = wo[0].to_string();
    enqueue(sim, provider_id, &id, "create", &json!({}))?;
    Ok(id)
}

/// Queues an outbound operation for a work order.
pub fn enqueue(
    sim: &Sim,
    provider_id: &str,
    task_id: &str,
    op: &str,
    payload: &serde_json::Value,
) -> Result<String, StoreError> {
    let row = sim.store.insert(
        OUTBOUND,
        &[
            ("state", "ready"),
            ("operation", op),
            ("provider", provider_id),
            ("document_table", WORK_ORDERS),
            ("document_id", task_id),
            ("attempts", "0"),
            ("max_attempts", "3"),
            ("payload", &payload.to_string()),
        ],
    )?;
    Ok(row[0].to_string())
}

pub fn demo_work_orders(sim: &Sim) -> Result<(), StoreError> {
    let providers = provider_ids(sim);
    for (i, (pid, _)) in providers.iter().enumerate() {
        for k in 0..3 {
            let d = DESCRIPTIONS[(i * 3 + k) % DESCRIPTIONS.len()];
            new_work_order(sim, pid, d, (1 + (i + k) % 4) as u8)?;
        }
    }
    // One work order that is not synced yet: the operator can create it from the console.
    let (pid, _) = &providers[0];
    sim.store.insert(
        WORK_ORDERS,
        &[
            ("short_description", "Install new whiteboard in room 2.07"),
            ("state", "new"),
            ("priority", "4"),
            ("fm_provider", pid),
            ("integration_state", "not_synced"),
        ],
    )?;
    Ok(())
}

/// `--rows N`: N outbound entries and proportional other records, loaded directly.
pub fn bulk(sim: &Sim, n: usize) -> Result<(), StoreError> {
    let s = &sim.store;
    let providers: Vec<Arc<str>> = provider_ids(sim).into_iter().map(|(id, _)| s.intern(&id)).collect();
    let now = chrono::Utc::now() - chrono::Duration::hours(1);
    let span = 30 * 86_400i64;
    let time_at = |i: usize, of: usize| -> Arc<str> {
        let back = span - (span * i as i64) / of.max(1) as i64;
        s.intern(&crate::time::format(now - chrono::Duration::seconds(back)))
    };
    let e: Arc<str> = Arc::from("");
    let errors = [
        ("503", "HTTP 503: provider error (work order service temporarily unavailable)"),
        ("401", "HTTP 401: credentials rejected by provider (client credentials rejected)"),
        ("429", "HTTP 429: rate limited by provider, retry after 3s"),
        ("", "connection refused by provider endpoint"),
    ];
    let nw = (n / 10).max(1);
    let ids = |prefix: u64, count: usize| -> Vec<Arc<str>> {
        (0..count).map(|i| Arc::from(format!("{prefix:08x}{:024x}", i))).collect()
    };
    let wo_ids = ids(0xb0, nw);
    let ex_ids = ids(0xe0, nw);
    let build = |table: &str, vals: &[(&str, Arc<str>)]| -> Vec<Arc<str>> {
        let def = schema::table(table).expect("known table");
        let mut row = vec![Arc::clone(&e); def.fields.len()];
        for (f, v) in vals {
            if let Some(c) = def.col(f) {
                row[c] = Arc::clone(v);
            }
        }
        row
    };
    let zero = s.intern("0");
    let states = ["new", "in_progress", "resolved", "closed"].map(|v| s.intern(v));
    let wo_rows = (0..nw).map(|i| {
        let t = time_at(i, nw);
        build(
            WORK_ORDERS,
            &[
                ("sys_id", Arc::clone(&wo_ids[i])),
                ("sys_created_on", Arc::clone(&t)),
                ("sys_updated_on", t),
                ("sys_mod_count", Arc::clone(&zero)),
                ("number", Arc::from(format!("WPT{:07}", 2_000_000 + i))),
                ("short_description", s.intern(DESCRIPTIONS[i % DESCRIPTIONS.len()])),
                ("state", Arc::clone(&states[i % 4])),
                ("priority", s.intern(&(1 + i % 4).to_string())),
                ("fm_provider", Arc::clone(&providers[i % providers.len()])),
                ("fm_work_order_id", Arc::from(format!("FM-{}", 100_000 + i))),
                ("integration_state", s.intern("created")),
            ],
        )
    });
    s.bulk_load(WORK_ORDERS, wo_rows)?;
    let flow_name = s.intern("Bulk - Create Work Order");
    let ex_rows = (0..nw).map(|i| {
        let t = time_at(i, nw);
        let failed = i % 12 == 0;
        build(
            EXECUTIONS,
            &[
                ("sys_id", Arc::clone(&ex_ids[i])),
                ("sys_created_on", Arc::clone(&t)),
                ("sys_updated_on", Arc::clone(&t)),
                ("sys_mod_count", Arc::clone(&zero)),
                ("name", Arc::clone(&flow_name)),
                ("state", s.intern(if failed { "ERROR" } else { "COMPLETE" })),
                ("started", Arc::clone(&t)),
                ("ended", t),
                ("run_time", s.intern("120")),
                ("source_table", s.intern(WORK_ORDERS)),
                ("source_record", Arc::clone(&wo_ids[i])),
                (
                    "error_message",
                    if failed {
                        s.intern(&format!("Step 4 (REST: POST create): {}", errors[0].1))
                    } else {
                        Arc::clone(&e)
                    },
                ),
            ],
        )
    });
    s.bulk_load(EXECUTIONS, ex_rows)?;
    let ops = ["create", "update", "cancel"].map(|v| s.intern(v));
    let st = ["processed", "error", "skipped"].map(|v| s.intern(v));
    let three = s.intern("3");
    let ob_rows = (0..n).map(|i| {
        let t = time_at(i, n);
        let k = i % 50;
        let state = if k < 45 {
            0
        } else if k < 49 {
            1
        } else {
            2
        };
        let (code, msg) = errors[i % errors.len()];
        build(
            OUTBOUND,
            &[
                ("sys_id", Arc::from(format!("{:08x}{:024x}", 0xa0, i))),
                ("sys_created_on", Arc::clone(&t)),
                ("sys_updated_on", t),
                ("sys_mod_count", Arc::clone(&three)),
                ("number", Arc::from(format!("ISO{:07}", 2_000_000 + i))),
                ("state", Arc::clone(&st[state])),
                ("operation", Arc::clone(&ops[i % 3])),
                ("provider", Arc::clone(&providers[i % providers.len()])),
                ("document_table", s.intern(WORK_ORDERS)),
                ("document_id", Arc::clone(&wo_ids[i / 10 % nw])),
                ("attempts", if state == 0 { s.intern("1") } else { Arc::clone(&three) }),
                ("max_attempts", Arc::clone(&three)),
                ("last_error", if state == 1 { s.intern(msg) } else { Arc::clone(&e) }),
                ("response_code", if state == 1 { s.intern(code) } else { s.intern("201") }),
                ("flow_context", Arc::clone(&ex_ids[i / 10 % nw])),
            ],
        )
    });
    s.bulk_load(OUTBOUND, ob_rows)?;
    let hist_rows = (0..nw).map(|i| {
        let t = time_at(i, nw);
        let ok = i % 12 != 0;
        build(
            HISTORY,
            &[
                ("sys_id", Arc::from(format!("{:08x}{:024x}", 0xc0, i))),
                ("sys_created_on", Arc::clone(&t)),
                ("sys_updated_on", t),
                ("sys_mod_count", Arc::clone(&zero)),
                ("task", Arc::clone(&wo_ids[i])),
                ("provider", Arc::clone(&providers[i % providers.len()])),
                ("operation", s.intern("create")),
                ("status", s.intern(if ok { "success" } else { "failed" })),
                ("response_code", s.intern(if ok { "201" } else { "503" })),
                ("message", if ok { s.intern("Work order created") } else { s.intern(errors[0].1) }),
                ("fm_work_order_id", Arc::from(format!("FM-{}", 100_000 + i))),
                ("duration_ms", s.intern("120")),
                ("flow_context", Arc::clone(&ex_ids[i])),
            ],
        )
    });
    s.bulk_load(HISTORY, hist_rows)?;
    let ni = (n / 20).max(1);
    let in_rows = (0..ni).map(|i| {
        let t = time_at(i, ni);
        build(
            INBOUND,
            &[
                ("sys_id", Arc::from(format!("{:08x}{:024x}", 0xd0, i))),
                ("sys_created_on", Arc::clone(&t)),
                ("sys_updated_on", t),
                ("sys_mod_count", Arc::clone(&zero)),
                ("number", Arc::from(format!("ISI{:07}", 2_000_000 + i))),
                ("state", s.intern("processed")),
                ("provider", Arc::clone(&providers[i % providers.len()])),
                ("sequence", Arc::from(i.to_string())),
                ("correlation_id", Arc::from(format!("FM-{}", 100_000 + i % nw))),
                ("action_type", s.intern("update")),
                ("document_id", Arc::clone(&wo_ids[i % nw])),
                ("payload", s.intern("{\"status\":\"in_progress\"}")),
            ],
        )
    });
    s.bulk_load(INBOUND, in_rows)?;
    Ok(())
}
