//! The five reproductions of "the embedded instance evaluates every documented query
//! operator and accepts display values on writes": what three widely used client
//! libraries send, run against the embedded instance over HTTP. Each answered 200 with
//! the wrong rows (or stored the wrong values) before. This file uses only what the
//! instance had then, so it also runs against the code before the change.
//!
//! Pages (ServiceNow/ServiceNowDocs, markdown/…): platform-user-interface/
//! r_OpAvailableFiltersQueries.md (operators), api-reference/rest-apis/c_TableAPI.md
//! (`sysparm_query`, `sysparm_input_display_value`).

use hubtop::sim::schema::{OUTBOUND, PROVIDERS, WORK_ORDERS};
use hubtop::sim::{self, SimHandle};
use serde_json::{Value, json};

use crate::common::insim::{http, quiet};

/// The `number`s of the outbound entries `q` selects, sorted.
async fn numbers(h: &SimHandle, q: &str) -> Vec<String> {
    let url =
        format!("{}/api/now/table/{OUTBOUND}?sysparm_fields=number&sysparm_query={}", h.base_url, sim::api::enc(q));
    let body: Value = http().get(url).basic_auth("admin", Some("admin")).send().await.unwrap().json().await.unwrap();
    let mut out: Vec<String> =
        body["result"].as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap().to_string()).collect();
    out.sort();
    out
}

fn ago(days: i64) -> String {
    hubtop::time::format(chrono::Utc::now() - chrono::Duration::days(days))
}

/// Outbound entries R1…R4 (states chosen so the instance's queue leaves them alone).
async fn entries(rows: &[&[(&str, &str)]]) -> SimHandle {
    let h = sim::start(quiet()).await.unwrap();
    for (i, fields) in rows.iter().enumerate() {
        let number = format!("R{}", i + 1);
        let mut f: Vec<(&str, &str)> = vec![("number", &number), ("state", "processed"), ("operation", "create")];
        f.extend_from_slice(fields);
        h.sim.store.insert(OUTBOUND, &f).unwrap();
    }
    h
}

fn want(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn reproduction_1_between_on_numbers_strings_and_dates() {
    // r_OpAvailableFiltersQueries.md: `reassignment_countBETWEEN1@3` is "either 1, 2, or
    // 3"; `short_descriptionBETWEENq@t` the first letter q to t; on date-times
    // `BETWEENjavascript:gs.daysAgoStart(1)@javascript:gs.daysAgoEnd(0)`.
    let h = entries(&[
        &[("attempts", "1"), ("last_error", "alpha"), ("next_attempt", &ago(30))],
        &[("attempts", "2"), ("last_error", "beta"), ("next_attempt", &ago(5))],
        &[("attempts", "3"), ("last_error", "delta"), ("next_attempt", &ago(1))],
        &[("attempts", "4"), ("last_error", "gamma"), ("next_attempt", "")],
    ])
    .await;
    assert_eq!(numbers(&h, "attemptsBETWEEN2@3").await, want(&["R2", "R3"]), "a client library's between(2, 3)");
    assert_eq!(numbers(&h, "last_errorBETWEENb@d").await, want(&["R2", "R3"]));
    let dates = "next_attemptBETWEENjavascript:gs.daysAgoStart(6)@javascript:gs.daysAgoEnd(0)";
    assert_eq!(numbers(&h, dates).await, want(&["R2", "R3"]));
    h.shutdown().await;
}

#[tokio::test]
async fn reproduction_2_field_to_field_comparisons() {
    // r_OpAvailableFiltersQueries.md, numeric fields: GT_FIELD, LT_FIELD,
    // GT_OR_EQUALS_FIELD, LT_OR_EQUALS_FIELD compare with another field of the record;
    // SAMEAS / NSAMEAS: matching or differing values.
    let h = entries(&[
        &[("attempts", "1"), ("max_attempts", "3")],
        &[("attempts", "3"), ("max_attempts", "3")],
        &[("attempts", "4"), ("max_attempts", "3")],
    ])
    .await;
    assert_eq!(numbers(&h, "attemptsGT_OR_EQUALS_FIELDmax_attempts").await, want(&["R2", "R3"]));
    assert_eq!(numbers(&h, "attemptsGT_FIELDmax_attempts").await, want(&["R3"]));
    assert_eq!(numbers(&h, "attemptsLT_FIELDmax_attempts").await, want(&["R1"]));
    assert_eq!(numbers(&h, "attemptsLT_OR_EQUALS_FIELDmax_attempts").await, want(&["R1", "R2"]));
    assert_eq!(numbers(&h, "attemptsSAMEASmax_attempts").await, want(&["R2"]));
    assert_eq!(numbers(&h, "attemptsNSAMEASmax_attempts").await, want(&["R1", "R3"]));
    h.shutdown().await;
}

#[tokio::test]
async fn reproduction_3_the_relative_date_helpers() {
    // r_OpAvailableFiltersQueries.md, date-time fields (ON, RELATIVEGT/LT, DATEPART);
    // the query is a client library README's example, sent to real instances.
    let h = entries(&[&[("next_attempt", &ago(400))], &[("next_attempt", &ago(10))], &[("next_attempt", "")]]).await;
    let last6 = "next_attemptONLast 6 months@javascript:gs.beginningOfLast6Months()@javascript:gs.endOfLast6Months()";
    assert_eq!(numbers(&h, last6).await, want(&["R2"]), "a record 400 days old is not in the last 6 months");
    assert_eq!(numbers(&h, "next_attemptRELATIVELT@day@ago@100").await, want(&["R1"]));
    assert_eq!(numbers(&h, "next_attemptRELATIVEGT@day@ago@100").await, want(&["R2"]));
    let last12 =
        "next_attemptONLast 12 months@javascript:gs.beginningOfLast12Months()@javascript:gs.endOfLast12Months()";
    assert_eq!(numbers(&h, last12).await, want(&["R2"]));
    h.shutdown().await;
}

#[tokio::test]
async fn reproduction_4_emptystring_and_anything() {
    // r_OpAvailableFiltersQueries.md, string fields: EMPTYSTRING is "no value";
    // ANYTHING "any value, empty, NULL".
    let h = entries(&[&[("last_error", "")], &[("last_error", "boom")]]).await;
    assert_eq!(numbers(&h, "last_errorEMPTYSTRING").await, want(&["R1"]));
    assert_eq!(numbers(&h, "last_errorANYTHING^attempts=").await, want(&["R1", "R2"]));
    h.shutdown().await;
    // The console's filter preview and the CLI evaluate with the same module: ANYTHING
    // and EMPTYSTRING are operators it evaluates, not terms it refuses.
    let cols = ["last_error"];
    for (q, row, hit) in [("last_errorANYTHING", "", true), ("last_errorEMPTYSTRING", "x", false)] {
        let c = hubtop::query::parse(q).unwrap().compile(|f| cols.iter().position(|c| *c == f));
        let c = c.unwrap_or_else(|e| panic!("{q} refused: {e}"));
        assert_eq!(c.matches(&[row]), hit, "{q}");
    }
}

#[tokio::test]
async fn reproduction_5_input_display_values_on_post_patch_and_put() {
    // c_TableAPI.md, sysparm_input_display_value: "if you send the display name for a
    // reference field, the endpoint stores the sys_id"; choices by label.
    let h = sim::start(quiet()).await.unwrap();
    let id_of = |title: &str| h.sim.store.find(PROVIDERS, "title", title).unwrap()[0].to_string();
    let (acme, bright) = (id_of("Acme Facilities"), id_of("BrightFM"));
    let url = format!("{}/api/now/table/{WORK_ORDERS}", h.base_url);
    let stored = |id: &str| {
        let r = h.sim.store.get(WORK_ORDERS, id).unwrap();
        let f = |n| hubtop::sim::store::Store::field(WORK_ORDERS, &r, n).to_string();
        (f("fm_provider"), f("state"))
    };
    let created: Value = http()
        .post(format!("{url}?sysparm_input_display_value=true"))
        .basic_auth("admin", Some("admin"))
        .json(&json!({"short_description": "leak", "fm_provider": "Acme Facilities", "state": "In progress"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["result"]["sys_id"].as_str().unwrap().to_string();
    assert_eq!(stored(&id), (acme.clone(), "in_progress".to_string()), "POST: {created}");
    for (method, provider, state, want) in [
        (reqwest::Method::PATCH, "BrightFM", "On hold", (bright.clone(), "on_hold")),
        (reqwest::Method::PUT, "Acme Facilities", "Resolved", (acme.clone(), "resolved")),
    ] {
        let res = http()
            .request(method.clone(), format!("{url}/{id}?sysparm_input_display_value=true"))
            .basic_auth("admin", Some("admin"))
            .json(&json!({"fm_provider": provider, "state": state}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{method}: {}", res.status());
        assert_eq!(stored(&id), (want.0, want.1.to_string()), "{method}");
    }
    h.shutdown().await;
}
