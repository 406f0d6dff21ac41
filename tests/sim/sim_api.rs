//! The embedded instance over real HTTP (DESIGN §3–§4): authentication, the Table API on
//! every table, encoded queries and paging, the Aggregate API, the Flow REST trigger and
//! the companion API, the flow engine against the simulated providers, faults, bulk
//! seeding, traffic determinism, and `hubtop sim` as a process.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use hubtop::sim::schema::{self, EXECUTIONS, HISTORY, INBOUND, Kind, OUTBOUND, PROVIDERS, TABLES, WORK_ORDERS};
use hubtop::sim::store::{Row, Store};
use hubtop::sim::{self, Faults, SimConfig, SimHandle};
use rand::SeedableRng;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::insim::{Answer, get, http, quiet, request as call};
use crate::common::proc::{Sim, kill};
use crate::common::wait::{T, wait_for};

async fn start(cfg: SimConfig) -> SimHandle {
    sim::start(cfg).await.expect("sim starts")
}

async fn list(h: &SimHandle, table: &str, params: &[(&str, &str)]) -> Answer {
    let qs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", sim::api::enc(v))).collect();
    get(h, &format!("/api/now/table/{table}?{}", qs.join("&"))).await
}

fn assert_envelope(a: &Answer, status: StatusCode) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["status"], "failure", "{}", a.body);
    assert!(a.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", a.body);
    assert!(a.body["error"].get("detail").is_some(), "envelope has error.detail: {}", a.body);
}

fn provider(h: &SimHandle, title: &str) -> String {
    h.sim.store.find(PROVIDERS, "title", title).map(|r| r[0].to_string()).expect("seeded provider")
}

fn field(table: &str, row: &Row, f: &str) -> String {
    Store::field(table, row, f).to_string()
}

fn record(h: &SimHandle, table: &str, id: &str) -> Row {
    h.sim.store.get(table, id).expect("record exists")
}

fn rows_where(h: &SimHandle, table: &str, f: &str, v: &str) -> Vec<Row> {
    let t = h.sim.store.table(table).unwrap().read();
    t.iter().filter(|r| Store::field(table, r, f) == v).cloned().collect()
}

// ---------------------------------------------------------------- authentication

#[tokio::test]
async fn basic_auth_and_the_error_envelope() {
    let h = start(quiet()).await;
    let ok = get(&h, "/api/now/table/sys_hub_flow?sysparm_limit=1").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.rows().len(), 1);

    let url = format!("{}/api/now/table/sys_hub_flow", h.base_url);
    for req in [
        http().get(&url).basic_auth("admin", Some("wrong")),
        http().get(&url).basic_auth("nobody", Some("admin")),
        http().get(&url),
        http().get(&url).bearer_auth("not-a-token"),
    ] {
        let res = req.send().await.unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_envelope(&Answer { status, headers: Default::default(), body }, StatusCode::UNAUTHORIZED);
    }
    h.shutdown().await;
}

async fn token(h: &SimHandle, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = http().post(format!("{}/oauth_token.do", h.base_url)).form(form).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn with_bearer(h: &SimHandle, t: &str) -> StatusCode {
    http()
        .get(format!("{}/api/now/table/sys_hub_flow?sysparm_limit=1", h.base_url))
        .bearer_auth(t)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn oauth_grants_refresh_and_expiry() {
    let h = start(quiet()).await;
    let (st, cc) =
        token(&h, &[("grant_type", "client_credentials"), ("client_id", "hubtop"), ("client_secret", "hubtop")]).await;
    assert_eq!(st, StatusCode::OK, "{cc}");
    assert_eq!(cc["token_type"], "Bearer");
    // A real instance counts one second less than the lifespan, and gives a client
    // credentials token no refresh token (tests/sim/conformance.rs).
    assert_eq!(cc["expires_in"], 1799);
    assert!(cc.get("refresh_token").is_none(), "{cc}");
    let at = cc["access_token"].as_str().unwrap();
    assert_eq!(with_bearer(&h, at).await, StatusCode::OK);

    let (st, pw) = token(
        &h,
        &[
            ("grant_type", "password"),
            ("client_id", "hubtop"),
            ("client_secret", "hubtop"),
            ("username", "admin"),
            ("password", "admin"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{pw}");
    assert_eq!(with_bearer(&h, pw["access_token"].as_str().unwrap()).await, StatusCode::OK);

    let (st, rf) = token(
        &h,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "hubtop"),
            ("client_secret", "hubtop"),
            ("refresh_token", pw["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{rf}");
    assert_ne!(rf["access_token"], pw["access_token"]);
    assert_eq!(with_bearer(&h, rf["access_token"].as_str().unwrap()).await, StatusCode::OK);

    for bad in [
        vec![("grant_type", "password"), ("client_id", "hubtop"), ("client_secret", "hubtop"), ("username", "admin")],
        vec![("grant_type", "client_credentials"), ("client_id", "hubtop"), ("client_secret", "nope")],
        vec![("grant_type", "refresh_token"), ("client_id", "hubtop"), ("client_secret", "hubtop")],
    ] {
        let (st, _) = token(&h, &bad).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{bad:?}");
    }
    let (st, _) = token(&h, &[("grant_type", "magic")]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    h.shutdown().await;

    // A short-lived token stops working once it expires.
    let h = start(SimConfig { token_ttl: Duration::from_secs(1), ..quiet() }).await;
    let (_, t) =
        token(&h, &[("grant_type", "client_credentials"), ("client_id", "hubtop"), ("client_secret", "hubtop")]).await;
    assert_eq!(t["expires_in"], 0);
    let at = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(with_bearer(&h, &at).await, StatusCode::OK);
    let end = Instant::now() + T;
    loop {
        if with_bearer(&h, &at).await == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(Instant::now() < end, "token never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expired =
        http().get(format!("{}/api/now/table/sys_hub_flow", h.base_url)).bearer_auth(&at).send().await.unwrap();
    let status = expired.status();
    assert_envelope(&Answer { status, headers: Default::default(), body: expired.json().await.unwrap() }, status);
    h.shutdown().await;
}

// ---------------------------------------------------------------- Table API

#[tokio::test]
async fn crud_on_every_table() {
    let h = start(quiet()).await;
    for def in TABLES {
        let t = def.name;
        // The first plain string field that is not a system field.
        let f = def.fields.iter().skip(4).find(|f| f.kind == Kind::Str && f.name != "number").map(|f| f.name);
        let f = f.unwrap_or_else(|| panic!("{t} has a string field"));
        let before = h.sim.store.table(t).unwrap().read().len();

        let created =
            call(&h, reqwest::Method::POST, &format!("/api/now/table/{t}"), Some(&json!({f: "one"}).to_string())).await;
        assert_eq!(created.status, StatusCode::CREATED, "{t}: {}", created.body);
        let r = created.result().clone();
        let id = r["sys_id"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 32, "{t}: sys_id is 32 hex digits");
        assert_eq!(r[f], "one");
        assert_eq!(r["sys_mod_count"], "0");
        assert!(hubtop::time::parse(r["sys_created_on"].as_str().unwrap()).is_some(), "{t}: {r}");
        assert_eq!(r["sys_created_on"], r["sys_updated_on"]);
        if let Some(prefix) = def.number_prefix {
            assert!(r["number"].as_str().unwrap().starts_with(prefix), "{t}: {r}");
        }
        assert!(created.header("location").is_some_and(|l| l.ends_with(&format!("/api/now/table/{t}/{id}"))));
        assert_eq!(h.sim.store.table(t).unwrap().read().len(), before + 1);

        let read = get(&h, &format!("/api/now/table/{t}/{id}")).await;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(read.result()[f], "one");

        let patched =
            call(&h, reqwest::Method::PATCH, &format!("/api/now/table/{t}/{id}"), Some(&json!({f: "two"}).to_string()))
                .await;
        assert_eq!(patched.status, StatusCode::OK, "{t}: {}", patched.body);
        assert_eq!(patched.result()[f], "two");
        assert_eq!(patched.result()["sys_mod_count"], "1");
        let upd = patched.result()["sys_updated_on"].as_str().unwrap();
        assert!(hubtop::time::parse(upd).is_some());
        assert!(upd >= r["sys_created_on"].as_str().unwrap());

        let put =
            call(&h, reqwest::Method::PUT, &format!("/api/now/table/{t}/{id}"), Some(&json!({f: "three"}).to_string()))
                .await;
        assert_eq!(put.status, StatusCode::OK, "{t}: {}", put.body);
        assert_eq!(put.result()[f], "three");
        assert_eq!(put.result()["sys_mod_count"], "2");

        let listed = list(&h, t, &[("sysparm_query", &format!("sys_id={id}"))]).await;
        assert_eq!(listed.rows().len(), 1);
        assert_eq!(listed.total(), Some(1));
        assert_eq!(listed.rows()[0][f], "three");

        let del = call(&h, reqwest::Method::DELETE, &format!("/api/now/table/{t}/{id}"), None).await;
        assert_eq!(del.status, StatusCode::NO_CONTENT, "{t}");
        assert_envelope(&get(&h, &format!("/api/now/table/{t}/{id}")).await, StatusCode::NOT_FOUND);
        assert_envelope(
            &call(&h, reqwest::Method::DELETE, &format!("/api/now/table/{t}/{id}"), None).await,
            StatusCode::NOT_FOUND,
        );
        assert_eq!(h.sim.store.table(t).unwrap().read().len(), before);
    }
    h.shutdown().await;
}

/// Four work orders with known values, for the query tests.
fn seed_work_orders(h: &SimHandle) -> String {
    let acme = provider(h, "Acme Facilities");
    for (n, d, st, p) in [
        ("N1", "Alpha leak", "new", "1"),
        ("N2", "Beta light", "in_progress", "2"),
        ("N3", "Gamma LEAK", "on_hold", "3"),
        ("N4", "alpha door", "resolved", "10"),
    ] {
        h.sim
            .store
            .insert(
                WORK_ORDERS,
                &[
                    ("number", n),
                    ("short_description", d),
                    ("state", st),
                    ("priority", p),
                    ("fm_provider", &acme),
                    ("integration_state", "not_synced"),
                ],
            )
            .unwrap();
    }
    acme
}

async fn numbers(h: &SimHandle, q: &str) -> Vec<String> {
    let a = list(h, WORK_ORDERS, &[("sysparm_query", q), ("sysparm_fields", "number")]).await;
    assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
    a.rows().iter().map(|r| r["number"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn encoded_queries_fields_and_paging() {
    let h = start(quiet()).await;
    let acme = seed_work_orders(&h);
    let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
    let want = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    for (q, expect) in [
        ("state=new", &["N1"][..]),
        ("state!=new", &["N2", "N3", "N4"]),
        ("stateINnew,on_hold", &["N1", "N3"]),
        ("short_descriptionLIKEleak", &["N1", "N3"]),
        ("short_descriptionSTARTSWITHalpha", &["N1", "N4"]),
        ("priority>2", &["N3", "N4"]), // numeric: 10 > 2
        ("priority>=2", &["N2", "N3", "N4"]),
        ("priority<2", &["N1"]),
        ("priority<=2", &["N1", "N2"]),
        ("state=new^ORstate=resolved", &["N1", "N4"]),
        ("state=new^ORstate=resolved^priority>1", &["N4"]),
        ("state=new^NQpriority=3", &["N1", "N3"]),
        ("", &["N1", "N2", "N3", "N4"]),
    ] {
        assert_eq!(set(numbers(&h, q).await), want(expect), "{q}");
    }
    assert_eq!(numbers(&h, "ORDERBYpriority").await, ["N1", "N2", "N3", "N4"]);
    assert_eq!(numbers(&h, "ORDERBYDESCpriority").await, ["N4", "N3", "N2", "N1"]);
    assert_eq!(numbers(&h, "priority>1^ORDERBYDESCnumber").await, ["N4", "N3", "N2"]);

    // sysparm_fields: exactly the fields asked for.
    let a = list(&h, WORK_ORDERS, &[("sysparm_fields", "number,state"), ("sysparm_query", "number=N2")]).await;
    let keys: BTreeSet<&str> = a.rows()[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["number", "state"]));

    // limit / offset, X-Total-Count and Link.
    let a =
        list(&h, WORK_ORDERS, &[("sysparm_query", "ORDERBYnumber"), ("sysparm_limit", "2"), ("sysparm_offset", "1")])
            .await;
    let got: Vec<&str> = a.rows().iter().map(|r| r["number"].as_str().unwrap()).collect();
    assert_eq!(got, ["N2", "N3"]);
    assert_eq!(a.total(), Some(4));
    let link = a.header("link").expect("Link header");
    let rel = |name: &str| -> Option<usize> {
        link.split(',').find(|p| p.contains(&format!("rel=\"{name}\""))).map(|p| {
            let url = p.split(['<', '>']).nth(1).unwrap();
            assert!(url.starts_with(&h.base_url), "{url}");
            assert!(url.contains("sysparm_query=ORDERBYnumber"), "{url}");
            url.split(['?', '&']).find_map(|kv| kv.strip_prefix("sysparm_offset=")).unwrap().parse().unwrap()
        })
    };
    assert_eq!((rel("first"), rel("prev"), rel("next"), rel("last")), (Some(0), Some(0), Some(3), Some(2)));
    let a =
        list(&h, WORK_ORDERS, &[("sysparm_query", "ORDERBYnumber"), ("sysparm_limit", "2"), ("sysparm_offset", "2")])
            .await;
    let link = a.header("link").unwrap();
    assert!(!link.contains("rel=\"next\""), "{link}");
    assert!(link.contains("rel=\"prev\""), "{link}");

    // sysparm_no_count: no total, no last link.
    let a = list(&h, WORK_ORDERS, &[("sysparm_limit", "2"), ("sysparm_no_count", "true")]).await;
    assert_eq!(a.total(), None);
    let link = a.header("link").unwrap();
    assert!(!link.contains("rel=\"last\"") && link.contains("rel=\"next\""), "{link}");

    // Display values and reference links.
    let one = |extra: &'static [(&'static str, &'static str)]| {
        let h = &h;
        async move {
            let mut p = vec![("sysparm_query", "number=N2"), ("sysparm_fields", "state,fm_provider,priority")];
            p.extend_from_slice(extra);
            let a = list(h, WORK_ORDERS, &p).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.rows()[0].clone()
        }
    };
    let r = one(&[]).await;
    assert_eq!(r["state"], "in_progress");
    assert_eq!(r["fm_provider"]["value"], acme.as_str());
    assert_eq!(
        r["fm_provider"]["link"],
        format!("{}/api/now/table/{PROVIDERS}/{acme}", h.base_url).as_str(),
        "reference as {{link, value}}: {r}"
    );
    let r = one(&[("sysparm_display_value", "false"), ("sysparm_exclude_reference_link", "true")]).await;
    assert_eq!(r["fm_provider"], acme.as_str());
    let r = one(&[("sysparm_display_value", "true"), ("sysparm_exclude_reference_link", "true")]).await;
    assert_eq!(r["state"], "In progress");
    assert_eq!(r["fm_provider"], "Acme Facilities");
    let r = one(&[("sysparm_display_value", "true")]).await;
    assert_eq!(r["fm_provider"]["display_value"], "Acme Facilities");
    assert!(r["fm_provider"]["link"].is_string());
    let r = one(&[("sysparm_display_value", "all"), ("sysparm_exclude_reference_link", "true")]).await;
    assert_eq!(r["state"], json!({"display_value": "In progress", "value": "in_progress"}));
    assert_eq!(r["fm_provider"], json!({"display_value": "Acme Facilities", "value": acme}));
    // A Document ID (source_record beside source_table) shows the record it points at.
    let n2 = rows_where(&h, WORK_ORDERS, "number", "N2")[0][0].to_string();
    let exec = h
        .sim
        .store
        .insert(EXECUTIONS, &[("name", "f"), ("source_table", WORK_ORDERS), ("source_record", &n2)])
        .unwrap()[0]
        .to_string();
    let q = format!("sys_id={exec}");
    let fields = [("sysparm_query", q.as_str()), ("sysparm_fields", "source_record")];
    let a = list(&h, EXECUTIONS, &[fields[0], fields[1], ("sysparm_display_value", "all")]).await;
    assert_eq!(a.rows()[0]["source_record"], json!({"display_value": "N2", "value": n2}));
    let a = list(&h, EXECUTIONS, &fields).await;
    assert_eq!(a.rows()[0]["source_record"], json!(n2), "a plain string, no link");
    let a = list(&h, WORK_ORDERS, &[("sysparm_display_value", "sometimes")]).await;
    assert_envelope(&a, StatusCode::BAD_REQUEST);
    h.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_write_nothing() {
    let h = start(quiet()).await;
    seed_work_orders(&h);
    assert_envelope(&get(&h, "/api/now/table/no_such_table").await, StatusCode::BAD_REQUEST);
    assert_envelope(&get(&h, &format!("/api/now/table/{WORK_ORDERS}/{}", "0".repeat(32))).await, StatusCode::NOT_FOUND);
    // Query terms a real instance cannot use are ignored, never refused (tests/sim/conformance.rs).
    let all = list(&h, WORK_ORDERS, &[]).await.total();
    for q in ["no_field=1", "ORDERBYno_field", "state~new"] {
        let a = list(&h, WORK_ORDERS, &[("sysparm_query", q)]).await;
        assert_eq!((a.status, a.total()), (StatusCode::OK, all), "{q}: {}", a.body);
    }
    assert_envelope(&list(&h, WORK_ORDERS, &[("sysparm_limit", "ten")]).await, StatusCode::BAD_REQUEST);

    let n = h.sim.store.table(WORK_ORDERS).unwrap().read().len();
    for body in ["{\"short_description\": \"half", "[1,2]", "not json", ""] {
        let a = call(&h, reqwest::Method::POST, &format!("/api/now/table/{WORK_ORDERS}"), Some(body)).await;
        assert_envelope(&a, StatusCode::BAD_REQUEST);
    }
    assert_eq!(h.sim.store.table(WORK_ORDERS).unwrap().read().len(), n, "nothing written");

    // A value that does not fit an integer field: 400, and the record is unchanged.
    let hist = h.sim.store.insert(HISTORY, &[("operation", "create"), ("duration_ms", "5")]).unwrap();
    let id = hist[0].to_string();
    let a = call(
        &h,
        reqwest::Method::PATCH,
        &format!("/api/now/table/{HISTORY}/{id}"),
        Some(&json!({"duration_ms": "fast", "message": "changed"}).to_string()),
    )
    .await;
    assert_envelope(&a, StatusCode::BAD_REQUEST);
    let after = record(&h, HISTORY, &id);
    assert_eq!(field(HISTORY, &after, "duration_ms"), "5");
    assert_eq!(field(HISTORY, &after, "message"), "");
    assert_eq!(field(HISTORY, &after, "sys_mod_count"), "0");
    let a =
        call(&h, reqwest::Method::POST, &format!("/api/now/table/{HISTORY}"), Some(r#"{"duration_ms":"1.5x"}"#)).await;
    assert_envelope(&a, StatusCode::BAD_REQUEST);
    let bad_patch = call(
        &h,
        reqwest::Method::PATCH,
        &format!("/api/now/table/{HISTORY}/{id}"),
        Some(r#"{"duration_ms":"12abc","message":"should not land"}"#),
    )
    .await;
    assert_envelope(&bad_patch, StatusCode::BAD_REQUEST);
    let after2 = record(&h, HISTORY, &id);
    assert_ne!(field(HISTORY, &after2, "message"), "should not land");
    assert_eq!(field(HISTORY, &after2, "sys_mod_count"), field(HISTORY, &after, "sys_mod_count"));
    // Malformed JSON on PATCH: 400, unchanged.
    let a = call(&h, reqwest::Method::PATCH, &format!("/api/now/table/{HISTORY}/{id}"), Some("{\"message\":")).await;
    assert_envelope(&a, StatusCode::BAD_REQUEST);
    assert_eq!(field(HISTORY, &record(&h, HISTORY, &id), "sys_mod_count"), field(HISTORY, &after, "sys_mod_count"));
    // PATCH of an unknown record.
    let a = call(&h, reqwest::Method::PATCH, &format!("/api/now/table/{HISTORY}/{}", "f".repeat(32)), Some("{}")).await;
    assert_envelope(&a, StatusCode::NOT_FOUND);
    h.shutdown().await;
}

// ---------------------------------------------------------------- Aggregate API

#[tokio::test]
async fn aggregate_counts_agree_with_table_totals() {
    let h = start(quiet()).await;
    let provs = [provider(&h, "Acme Facilities"), provider(&h, "BrightFM"), provider(&h, "RapidFix")];
    // States that the engine does not pick up (no `ready`, no `error` with a next attempt).
    let states = ["error", "processed", "skipped", "processing"];
    for i in 0..60 {
        h.sim
            .store
            .insert(
                OUTBOUND,
                &[
                    ("state", states[i % 4]),
                    ("operation", ["create", "update", "cancel"][i % 3]),
                    ("provider", &provs[i % 3]),
                    ("attempts", &(i % 5).to_string()),
                ],
            )
            .unwrap();
    }
    for q in ["", "stateINerror,processed", "operation=create^ORoperation=cancel", "attempts>=2^NQstate=skipped"] {
        let total = list(&h, OUTBOUND, &[("sysparm_query", q), ("sysparm_limit", "1")]).await.total().unwrap();
        let qe = sim::api::enc(q);
        let s = get(&h, &format!("/api/now/stats/{OUTBOUND}?sysparm_count=true&sysparm_query={qe}")).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        assert_eq!(s.result()["stats"]["count"], total.to_string().as_str(), "ungrouped count for `{q}`");

        for group in ["state", "provider", "state,operation"] {
            let g = get(
                &h,
                &format!("/api/now/stats/{OUTBOUND}?sysparm_count=true&sysparm_query={qe}&sysparm_group_by={group}"),
            )
            .await;
            assert_eq!(g.status, StatusCode::OK, "{}", g.body);
            let groups = g.result().as_array().unwrap();
            let mut sum = 0;
            for grp in groups {
                let c: usize = grp["stats"]["count"].as_str().unwrap().parse().unwrap();
                sum += c;
                // The same group as a query: the Table API must agree.
                let mut conds = vec![];
                for f in grp["groupby_fields"].as_array().unwrap() {
                    conds.push(format!("{}={}", f["field"].as_str().unwrap(), f["value"].as_str().unwrap()));
                }
                let gq = if q.is_empty() { conds.join("^") } else { format!("{}^{}", conds.join("^"), q) };
                // `^NQ` in q: apply the group's conditions to every alternative.
                let gq = if q.contains("^NQ") {
                    q.split("^NQ").map(|alt| format!("{}^{alt}", conds.join("^"))).collect::<Vec<_>>().join("^NQ")
                } else {
                    gq
                };
                let t = list(&h, OUTBOUND, &[("sysparm_query", &gq), ("sysparm_limit", "1")]).await.total().unwrap();
                assert_eq!(c, t, "group {gq}");
            }
            assert_eq!(sum, total, "grouped by {group} sums to the total for `{q}`");
        }
    }
    // An unknown group-by field is left out: one group, the total.
    let bad = get(&h, &format!("/api/now/stats/{OUTBOUND}?sysparm_count=true&sysparm_group_by=nope")).await;
    assert_eq!(bad.status, StatusCode::OK, "{}", bad.body);
    assert_eq!(bad.result()["stats"]["count"], "60");
    h.shutdown().await;
}

// ---------------------------------------------------------------- flows and the engine

fn flow_of(h: &SimHandle, provider_title: &str, field_name: &str) -> String {
    let p = h.sim.store.find(PROVIDERS, "title", provider_title).unwrap();
    field(PROVIDERS, &p, field_name)
}

fn new_wo(h: &SimHandle, provider_title: &str, integration_state: &str) -> String {
    let p = provider(h, provider_title);
    let r = h
        .sim
        .store
        .insert(
            WORK_ORDERS,
            &[
                ("short_description", "Test work order"),
                ("state", "new"),
                ("priority", "3"),
                ("fm_provider", &p),
                ("integration_state", integration_state),
            ],
        )
        .unwrap();
    r[0].to_string()
}

/// Polls an execution's status until it ends: RUNNING until then (the trigger's own
/// answer says RUNNING; a poll may already find it ended), then one of the ends.
async fn follow(h: &SimHandle, exec: &str) -> Value {
    let end = Instant::now() + T;
    loop {
        let s = get(h, &format!("/api/sn_fd/flow/execution/{exec}/status")).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        match s.body["status"].as_str() {
            Some("RUNNING") => {}
            Some("COMPLETE" | "ERROR" | "CANCELLED") => return s.body,
            other => panic!("execution {exec}: status {other:?}: {}", s.body),
        }
        assert!(Instant::now() < end, "execution {exec} never finished");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn flow_trigger_status_and_companion_api() {
    let h = start(quiet()).await;
    let wo = new_wo(&h, "Acme Facilities", "not_synced");
    let flow = flow_of(&h, "Acme Facilities", "create_work_order_flow");
    let a = call(
        &h,
        reqwest::Method::POST,
        &format!("/api/sn_fd/flow/{flow}/run"),
        Some(&json!({"inputs": {"record": wo}}).to_string()),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert_eq!(a.body["status"], "RUNNING");
    let exec = a.body["executionId"].as_str().unwrap().to_string();
    let done = follow(&h, &exec).await;
    assert_eq!(done["status"], "COMPLETE", "{done}");
    assert_eq!(done["outputs"]["status"], "success");
    assert_eq!(done["outputs"]["response_code"], "201");
    let fm_id = done["outputs"]["fm_work_order_id"].as_str().unwrap().to_string();
    assert!(!fm_id.is_empty());
    let w = record(&h, WORK_ORDERS, &wo);
    assert_eq!(field(WORK_ORDERS, &w, "integration_state"), "created");
    assert_eq!(field(WORK_ORDERS, &w, "fm_work_order_id"), fm_id);

    let d = get(&h, &format!("/api/x_hubtop/console/executions/{exec}")).await;
    assert_eq!(d.status, StatusCode::OK);
    let steps = d.result()["steps"].as_array().unwrap();
    assert!(steps.len() >= 4, "{steps:?}");
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["order"], i + 1);
        assert_eq!(s["state"], "complete", "{s}");
    }
    assert!(steps.iter().any(|s| s["name"].as_str().unwrap().starts_with("REST: POST")));
    assert_eq!(d.result()["execution"]["state"], "COMPLETE");
    assert_eq!(d.result()["inputs"]["record"], wo.as_str());

    // Unknown flow → 404; garbage body → 400; unknown execution → 404.
    let a =
        call(&h, reqwest::Method::POST, &format!("/api/sn_fd/flow/{}/run", "0".repeat(32)), Some(r#"{"inputs":{}}"#))
            .await;
    assert_envelope(&a, StatusCode::NOT_FOUND);
    let a = call(&h, reqwest::Method::POST, &format!("/api/sn_fd/flow/{flow}/run"), Some("{oops")).await;
    assert_envelope(&a, StatusCode::BAD_REQUEST);
    assert_envelope(
        &get(&h, &format!("/api/sn_fd/flow/execution/{}/status", "0".repeat(32))).await,
        StatusCode::NOT_FOUND,
    );
    assert_envelope(
        &get(&h, &format!("/api/x_hubtop/console/executions/{}", "0".repeat(32))).await,
        StatusCode::NOT_FOUND,
    );

    // Missing `record`: accepted, then the execution ends in ERROR with a clear message.
    let a = call(&h, reqwest::Method::POST, &format!("/api/sn_fd/flow/{flow}/run"), Some(r#"{"inputs":{}}"#)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let exec = a.body["executionId"].as_str().unwrap().to_string();
    let done = follow(&h, &exec).await;
    assert_eq!(done["status"], "ERROR", "{done}");
    assert!(done["error"].as_str().unwrap().contains("Missing required input 'record'"), "{done}");
    let d = get(&h, &format!("/api/x_hubtop/console/executions/{exec}")).await;
    let steps = d.result()["steps"].as_array().unwrap();
    let failing: Vec<&Value> = steps.iter().filter(|s| s["state"] == "error").collect();
    assert_eq!(failing.len(), 1, "{steps:?}");
    assert!(failing[0]["error"].as_str().unwrap().contains("record"));

    // A failing provider: the failing step carries the HTTP error.
    let wo = new_wo(&h, "Keystone Property Services", "not_synced");
    let flow = flow_of(&h, "Keystone Property Services", "create_work_order_flow");
    let a = call(
        &h,
        reqwest::Method::POST,
        &format!("/api/sn_fd/flow/{flow}/run"),
        Some(&json!({"inputs": {"record": wo}}).to_string()),
    )
    .await;
    let exec = a.body["executionId"].as_str().unwrap().to_string();
    let done = follow(&h, &exec).await;
    assert_eq!(done["status"], "ERROR");
    let d = get(&h, &format!("/api/x_hubtop/console/executions/{exec}")).await;
    let steps = d.result()["steps"].as_array().unwrap();
    let orders: Vec<u64> = steps.iter().map(|s| s["order"].as_u64().unwrap()).collect();
    assert_eq!(orders, (1..=steps.len() as u64).collect::<Vec<_>>(), "ordered steps");
    let failing = steps.iter().find(|s| s["state"] == "error").expect("a failing step");
    assert!(failing["name"].as_str().unwrap().starts_with("REST: POST"), "{failing}");
    assert!(failing["error"].as_str().unwrap().contains("401"), "{failing}");
    assert_eq!(failing["outputs"]["response_code"], "401");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_creates_at_a_healthy_provider_and_records_failures() {
    let h = start(quiet()).await;
    let acme = provider(&h, "Acme Facilities");
    let wo = hubtop::sim::seed::new_work_order(&h.sim, &acme, "Fix the lights", 2).unwrap();
    wait_for("Acme create", T, || field(WORK_ORDERS, &record(&h, WORK_ORDERS, &wo), "integration_state") == "created")
        .await;
    let w = record(&h, WORK_ORDERS, &wo);
    assert!(!field(WORK_ORDERS, &w, "fm_work_order_id").is_empty());
    let hist = rows_where(&h, HISTORY, "task", &wo);
    assert_eq!(hist.len(), 1);
    assert_eq!(field(HISTORY, &hist[0], "status"), "success");
    assert_eq!(field(HISTORY, &hist[0], "response_code"), "201");
    assert_eq!(field(HISTORY, &hist[0], "fm_work_order_id"), field(WORK_ORDERS, &w, "fm_work_order_id"));
    let ob = rows_where(&h, OUTBOUND, "document_id", &wo);
    wait_for("outbound processed", T, || field(OUTBOUND, &record(&h, OUTBOUND, &ob[0][0]), "state") == "processed")
        .await;

    // A create that comes again for an order already created (a rerun, a lost answer)
    // settles without a second order at the provider and leaves the order created.
    let fm_id = field(WORK_ORDERS, &w, "fm_work_order_id").to_string();
    let orders = h.sim.fm.orders.lock().len();
    let again = h
        .sim
        .store
        .insert(
            OUTBOUND,
            &[
                ("state", "ready"),
                ("operation", "create"),
                ("provider", &acme),
                ("document_id", &wo),
                ("max_attempts", "3"),
            ],
        )
        .unwrap()[0]
        .to_string();
    wait_for("the second create settles", T, || field(OUTBOUND, &record(&h, OUTBOUND, &again), "state") == "processed")
        .await;
    assert_eq!(h.sim.fm.orders.lock().len(), orders, "nothing sent to the provider");
    let w = record(&h, WORK_ORDERS, &wo);
    assert_eq!(
        (field(WORK_ORDERS, &w, "integration_state"), field(WORK_ORDERS, &w, "fm_work_order_id")),
        ("created".into(), fm_id.clone())
    );
    let hist = rows_where(&h, HISTORY, "task", &wo);
    assert_eq!(hist.len(), 2);
    assert!(hist.iter().any(|r| field(HISTORY, r, "message").contains("nothing sent")), "the no-op is on record");

    let keystone = provider(&h, "Keystone Property Services");
    let wo = hubtop::sim::seed::new_work_order(&h.sim, &keystone, "Broken door", 3).unwrap();
    let entry = rows_where(&h, OUTBOUND, "document_id", &wo)[0][0].to_string();
    wait_for("Keystone failure", T, || field(OUTBOUND, &record(&h, OUTBOUND, &entry), "state") == "error").await;
    let e = record(&h, OUTBOUND, &entry);
    assert_eq!(field(OUTBOUND, &e, "attempts"), "1");
    assert!(!field(OUTBOUND, &e, "next_attempt").is_empty(), "a retry is scheduled");
    assert!(field(OUTBOUND, &e, "last_error").contains("401"));
    assert_eq!(field(OUTBOUND, &e, "response_code"), "401");
    assert!(!field(OUTBOUND, &e, "flow_context").is_empty());
    assert_eq!(field(WORK_ORDERS, &record(&h, WORK_ORDERS, &wo), "integration_state"), "create_failed");
    let hist = rows_where(&h, HISTORY, "task", &wo);
    assert_eq!(hist.len(), 1);
    assert_eq!(field(HISTORY, &hist[0], "status"), "failed");
    assert_eq!(field(HISTORY, &hist[0], "response_code"), "401");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_up_to_max_attempts_then_ready_reprocesses_and_skipped_stays() {
    let h = start(SimConfig { retry_interval: Duration::from_secs(1), ..quiet() }).await;
    let keystone = provider(&h, "Keystone Property Services");
    let wo = hubtop::sim::seed::new_work_order(&h.sim, &keystone, "Broken door", 3).unwrap();
    let entry = rows_where(&h, OUTBOUND, "document_id", &wo)[0][0].to_string();
    let state = |h: &SimHandle| {
        let e = record(h, OUTBOUND, &entry);
        (field(OUTBOUND, &e, "state"), field(OUTBOUND, &e, "attempts"), field(OUTBOUND, &e, "next_attempt"))
    };
    wait_for("three attempts", T, || {
        let (s, a, _) = state(&h);
        s == "error" && a == "3"
    })
    .await;
    assert_eq!(state(&h).2, "", "no further attempt after max_attempts");
    assert_eq!(rows_where(&h, HISTORY, "task", &wo).len(), 3);

    // Retry: a PATCH to ready reprocesses it.
    let a =
        call(&h, reqwest::Method::PATCH, &format!("/api/now/table/{OUTBOUND}/{entry}"), Some(r#"{"state":"ready"}"#))
            .await;
    assert_eq!(a.status, StatusCode::OK);
    wait_for("reprocessed", T, || {
        let (s, a, _) = state(&h);
        s == "error" && a == "4"
    })
    .await;
    assert_eq!(rows_where(&h, HISTORY, "task", &wo).len(), 4);

    // Skip: an entry in error with a retry scheduled is left alone. Beside it, one left
    // in error: once the queue has retried that one, it would have retried the skipped
    // one too (an awaited condition, not a guess at how long the queue takes).
    let wo2 = hubtop::sim::seed::new_work_order(&h.sim, &keystone, "Broken window", 3).unwrap();
    let wo3 = hubtop::sim::seed::new_work_order(&h.sim, &keystone, "Broken lock", 3).unwrap();
    let e2 = rows_where(&h, OUTBOUND, "document_id", &wo2)[0][0].to_string();
    let e3 = rows_where(&h, OUTBOUND, "document_id", &wo3)[0][0].to_string();
    let failed_once = |id: &str| {
        let e = record(&h, OUTBOUND, id);
        field(OUTBOUND, &e, "state") == "error" && !field(OUTBOUND, &e, "next_attempt").is_empty()
    };
    wait_for("first failures", T, || failed_once(&e2) && failed_once(&e3)).await;
    let a =
        call(&h, reqwest::Method::PATCH, &format!("/api/now/table/{OUTBOUND}/{e2}"), Some(r#"{"state":"skipped"}"#))
            .await;
    assert_eq!(a.status, StatusCode::OK);
    // What the queue had done with each when the skip landed (on a slow machine, maybe
    // a retry already): from then on the skipped one must not move, the other must.
    let skipped_at = a.result()["attempts"].as_str().expect("attempts").to_string();
    let history_at = rows_where(&h, HISTORY, "task", &wo2).len();
    let sentinel_at: u32 = field(OUTBOUND, &record(&h, OUTBOUND, &e3), "attempts").parse().unwrap();
    assert!(sentinel_at < 3, "the sentinel has a retry left");
    wait_for("the entry left in error to be retried", T, || {
        field(OUTBOUND, &record(&h, OUTBOUND, &e3), "attempts").parse::<u32>().unwrap() > sentinel_at
    })
    .await;
    let e = record(&h, OUTBOUND, &e2);
    assert_eq!((field(OUTBOUND, &e, "state"), field(OUTBOUND, &e, "attempts")), ("skipped".into(), skipped_at));
    assert_eq!(rows_where(&h, HISTORY, "task", &wo2).len(), history_at);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_goes_to_error_after_three_connection_failures() {
    let h = start(SimConfig { retry_interval: Duration::from_secs(1), ..quiet() }).await;
    let nw = provider(&h, "Northwind Remote Instance");
    let wo = hubtop::sim::seed::new_work_order(&h.sim, &nw, "Sync incident", 2).unwrap();
    let entry = rows_where(&h, OUTBOUND, "document_id", &wo)[0][0].to_string();
    wait_for("first connection failure", T, || field(OUTBOUND, &record(&h, OUTBOUND, &entry), "attempts") == "1").await;
    let p = record(&h, PROVIDERS, &nw);
    assert_eq!(field(PROVIDERS, &p, "outbound_state"), "ready", "one failure is not an outage");
    assert!(field(OUTBOUND, &record(&h, OUTBOUND, &entry), "last_error").contains("connection refused"));
    wait_for("provider in error", T, || field(PROVIDERS, &record(&h, PROVIDERS, &nw), "outbound_state") == "error")
        .await;
    let e = record(&h, OUTBOUND, &entry);
    assert_eq!(field(OUTBOUND, &e, "attempts"), "3");
    assert!(field(PROVIDERS, &record(&h, PROVIDERS, &nw), "last_error").contains("connection refused"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_messages_apply_in_sequence_order() {
    let h = start(quiet()).await;
    let acme = provider(&h, "Acme Facilities");
    let wo = h
        .sim
        .store
        .insert(
            WORK_ORDERS,
            &[("state", "new"), ("fm_provider", &acme), ("fm_work_order_id", "FM-7"), ("integration_state", "created")],
        )
        .unwrap()[0]
        .to_string();
    let msg = |seq: &str, corr: &str, status: &str| {
        let payload = json!({"id": corr, "status": status, "note": format!("seq {seq}")}).to_string();
        h.sim
            .store
            .insert(
                INBOUND,
                &[
                    ("state", "ready"),
                    ("provider", &acme),
                    ("sequence", seq),
                    ("correlation_id", corr),
                    ("action_type", "update"),
                    ("payload", &payload),
                ],
            )
            .unwrap()[0]
            .to_string()
    };
    // Inserted out of order; applied by sequence: 9 (on_hold), then 10 (completed → resolved).
    let second = msg("10", "FM-7", "completed");
    let first = msg("9", "FM-7", "on_hold");
    let unknown = msg("11", "FM-404", "in_progress");
    wait_for("inbound processed", T, || {
        [&first, &second, &unknown].iter().all(|id| {
            let s = field(INBOUND, &record(&h, INBOUND, id), "state");
            s == "processed" || s == "error"
        })
    })
    .await;
    let w = record(&h, WORK_ORDERS, &wo);
    assert_eq!(field(WORK_ORDERS, &w, "state"), "resolved", "the higher sequence is applied last");
    assert_eq!(field(WORK_ORDERS, &w, "comments"), "seq 10");
    for id in [&first, &second] {
        let e = record(&h, INBOUND, id);
        assert_eq!(field(INBOUND, &e, "state"), "processed");
        assert_eq!(field(INBOUND, &e, "document_id"), wo);
    }
    // The executions were created in sequence order.
    let execs: Vec<String> =
        [&first, &second].iter().map(|id| field(INBOUND, &record(&h, INBOUND, id), "flow_context")).collect();
    let order: Vec<String> = h.sim.store.table(EXECUTIONS).unwrap().read().iter().map(|r| r[0].to_string()).collect();
    let pos = |id: &str| order.iter().position(|r| r == id).unwrap();
    assert!(pos(&execs[0]) < pos(&execs[1]), "sequence 9 ran before 10");
    let u = record(&h, INBOUND, &unknown);
    assert_eq!(field(INBOUND, &u, "state"), "error");
    assert!(field(INBOUND, &u, "error").contains("FM-404"), "{}", field(INBOUND, &u, "error"));
    h.shutdown().await;
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn faults_on_the_instance_api() {
    let h = start(quiet()).await;
    let path = format!("{}/api/now/table/{PROVIDERS}?sysparm_limit=1", h.base_url);
    let send = || http().get(&path).basic_auth("admin", Some("admin")).send();

    h.sim.set_faults(Faults::parse("html=1").unwrap());
    let r = send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().starts_with("<html"));

    h.sim.set_faults(Faults::parse("error=1").unwrap());
    let r = send().await.unwrap();
    let status = r.status();
    assert_envelope(
        &Answer { status, headers: Default::default(), body: r.json().await.unwrap() },
        StatusCode::SERVICE_UNAVAILABLE,
    );

    h.sim.set_faults(Faults::parse("rate_limit=1").unwrap());
    let r = send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()).is_some_and(|v| v.parse::<u64>().is_ok()));

    h.sim.set_faults(Faults::parse("malformed=1").unwrap());
    let r = send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.bytes().await.unwrap();
    assert!(serde_json::from_slice::<Value>(&body).is_err(), "a malformed body does not parse");

    // reset: the client sees the body fail, but the write happened.
    h.sim.set_faults(Faults::parse("reset=1").unwrap());
    let before = h.sim.store.table(HISTORY).unwrap().read().len();
    let r = http()
        .post(format!("{}/api/now/table/{HISTORY}", h.base_url))
        .basic_auth("admin", Some("admin"))
        .json(&json!({"message": "written despite the reset"}))
        .send()
        .await;
    let lost = match r {
        Err(_) => true,
        Ok(res) => res.bytes().await.is_err(),
    };
    assert!(lost, "the answer was lost");
    assert_eq!(h.sim.store.table(HISTORY).unwrap().read().len(), before + 1, "the write happened");
    assert_eq!(rows_where(&h, HISTORY, "message", "written despite the reset").len(), 1);

    // Off again; the /sim/faults route sets them too.
    let r = http().put(format!("{}/sim/faults", h.base_url)).body("error=1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(send().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    let r = http().put(format!("{}/sim/faults", h.base_url)).body("").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    let r = http().put(format!("{}/sim/faults", h.base_url)).body("boom=1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    h.shutdown().await;
}

// ---------------------------------------------------------------- scale and determinism

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_rows_seed_and_a_filtered_page_answers() {
    let h = start(SimConfig { rows: 100_000, ..quiet() }).await;
    assert_eq!(h.sim.store.table(OUTBOUND).unwrap().read().len(), 100_000);
    let a = list(&h, OUTBOUND, &[("sysparm_query", "state=error^ORDERBYDESCsys_updated_on"), ("sysparm_limit", "25")])
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.rows().len(), 25);
    assert!(a.rows().iter().all(|r| r["state"] == "error"));
    // 4 of every 50 seeded entries are in error.
    assert_eq!(a.total(), Some(8_000));
    let times: Vec<&str> = a.rows().iter().map(|r| r["sys_updated_on"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let g = get(&h, &format!("/api/now/stats/{OUTBOUND}?sysparm_count=true&sysparm_group_by=state")).await;
    let counts: BTreeMap<String, String> = g
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["groupby_fields"][0]["value"].as_str().unwrap().to_string(),
                x["stats"]["count"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(counts["processed"], "90000");
    assert_eq!(counts["error"], "8000");
    assert_eq!(counts["skipped"], "2000");
    h.shutdown().await;
}

/// Work order descriptions, inbound payloads and outbound operations, in insertion order.
fn traffic_trace(h: &SimHandle) -> Vec<String> {
    let mut out = Vec::new();
    for (t, f) in [(WORK_ORDERS, "short_description"), (OUTBOUND, "operation"), (INBOUND, "payload")] {
        let tab = h.sim.store.table(t).unwrap().read();
        out.extend(tab.iter().map(|r| format!("{t}:{}", Store::field(t, r, f))));
    }
    out
}

// A current-thread runtime: the engine's tasks cannot run while the events are driven,
// so both instances see exactly the same state at every event.
#[tokio::test]
async fn traffic_is_deterministic_for_a_seed() {
    let mut traces = Vec::new();
    for _ in 0..2 {
        let h = start(SimConfig { seed: 42, ..quiet() }).await;
        // A few work orders already created at their providers, for updates and pushes.
        for (i, (pid, _)) in hubtop::sim::seed::provider_ids(&h.sim).iter().enumerate() {
            h.sim
                .store
                .insert(
                    WORK_ORDERS,
                    &[
                        ("short_description", "already created"),
                        ("fm_provider", pid),
                        ("fm_work_order_id", &format!("FM-{i}")),
                        ("integration_state", "created"),
                    ],
                )
                .unwrap();
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        for _ in 0..200 {
            hubtop::sim::traffic::event(&h.sim, &mut rng);
        }
        traces.push(traffic_trace(&h));
        h.shutdown().await;
    }
    assert!(traces[0].iter().filter(|s| s.starts_with(WORK_ORDERS)).count() > 20, "traffic created work orders");
    assert!(traces[0].iter().any(|s| s.starts_with(INBOUND)), "traffic pushed statuses");
    assert_eq!(traces[0], traces[1]);
    // A different seed gives a different sequence.
    let h = start(SimConfig { seed: 43, ..quiet() }).await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(43);
    for _ in 0..200 {
        hubtop::sim::traffic::event(&h.sim, &mut rng);
    }
    assert_ne!(traffic_trace(&h), traces[0]);
    h.shutdown().await;
}

// ---------------------------------------------------------------- `hubtop sim`

#[test]
fn hubtop_sim_runs_as_a_process_and_stops_on_sigterm() {
    let mut sim = Sim::start(&[]);
    let port = sim
        .url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("first line is `listening on http://127.0.0.1:PORT`, got {:?}", sim.url));
    assert!(port > 0);
    assert_eq!(sim.url, format!("http://127.0.0.1:{port}"));

    let body = sim.api(&format!("/api/now/table/{PROVIDERS}?sysparm_fields=title"));
    assert!(body["result"].as_array().unwrap().iter().any(|r| r["title"] == "Acme Facilities"));

    kill(sim.pid(), "TERM");
    let status =
        crate::common::wait::until_some("hubtop sim to stop on SIGTERM", T, || sim.child().try_wait().unwrap());
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn schema_tables_are_all_served() {
    // Guard for `crud_on_every_table`: every table has sys fields first.
    for def in TABLES {
        assert_eq!(def.fields[schema::SYS_ID].name, "sys_id");
        assert_eq!(def.fields[schema::SYS_MOD_COUNT].name, "sys_mod_count");
    }
}

#[tokio::test]
async fn ordering_by_a_column_of_mixed_numbers_and_text_answers_in_a_consistent_order() {
    let h = start(quiet()).await;
    let codes = ["1a", "2", "10", "", "abc", "401", "1.5", "-3", "timeout", "201"];
    for i in 0..60 {
        h.sim.store.insert(HISTORY, &[("response_code", codes[i % codes.len()]), ("operation", "create")]).unwrap();
    }
    for (q, desc) in [("ORDERBYresponse_code", false), ("ORDERBYDESCresponse_code", true)] {
        let a = list(&h, HISTORY, &[("sysparm_query", q), ("sysparm_fields", "response_code")]).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let got: Vec<&str> = a.rows().iter().map(|r| r["response_code"].as_str().unwrap()).collect();
        assert_eq!(got.len(), 60);
        // Empty first, then numbers by value, then text.
        let mut want = vec![""; 6];
        for c in ["-3", "1.5", "2", "10", "201", "401", "1a", "abc", "timeout"] {
            want.extend(std::iter::repeat_n(c, 6));
        }
        if desc {
            want.reverse();
        }
        assert_eq!(got, want, "{q}");
    }
    h.shutdown().await;
}
