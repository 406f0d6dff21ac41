//! The console's filter prompt takes every documented operator as an encoded query
//! (platform-user-interface/r_OpAvailableFiltersQueries.md), and its instant preview on
//! the loaded rows selects what the instance answers when Enter sends the filter: both
//! evaluate with the one query module.

use hubtop::app::list::{filter_query, matching};
use hubtop::client::Record;
use hubtop::domain::Entity;
use hubtop::sim;
use hubtop::sim::schema::OUTBOUND;
use serde_json::Value;

use crate::common::insim::quiet;

fn ago(days: i64) -> String {
    hubtop::time::format(chrono::Utc::now() - chrono::Duration::days(days))
}

#[tokio::test]
async fn the_filter_preview_and_the_instance_agree_on_every_operator_family() {
    let h = sim::start(quiet()).await.unwrap();
    let rows: [[&str; 5]; 4] = [
        ["1", "3", &ago(400), "alpha", "processed"],
        ["2", "3", &ago(10), "", "skipped"],
        ["3", "3", &ago(1), "beta", "processed"],
        ["4", "3", "", "gamma", "skipped"],
    ];
    for (i, r) in rows.iter().enumerate() {
        let n = format!("R{}", i + 1);
        let names = ["attempts", "max_attempts", "next_attempt", "last_error", "state"];
        let mut f: Vec<(&str, &str)> = names.iter().copied().zip(r.iter().copied()).collect();
        f.push(("number", &n));
        h.sim.store.insert(OUTBOUND, &f).unwrap();
    }
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let fetch = |q: String| {
        let http = http.clone();
        let url = format!(
            "{}/api/now/table/{OUTBOUND}?sysparm_exclude_reference_link=true&sysparm_query={}",
            h.base_url,
            sim::api::enc(&q)
        );
        async move {
            let body: Value =
                http.get(url).basic_auth("admin", Some("admin")).send().await.unwrap().json().await.unwrap();
            body["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let pairs: Vec<(String, String)> = r
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect();
                    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    Record::from_pairs(&refs)
                })
                .collect::<Vec<Record>>()
        }
    };
    let loaded = fetch(String::new()).await;
    assert_eq!(loaded.len(), 4);
    for (typed, want) in [
        ("attemptsBETWEEN2@3", vec!["R2", "R3"]),
        ("attemptsGT_OR_EQUALS_FIELDmax_attempts", vec!["R3", "R4"]),
        ("attemptsNSAMEASmax_attempts", vec!["R1", "R2", "R4"]),
        ("last_errorEMPTYSTRING", vec!["R2"]),
        ("last_errorANYTHING^state=skipped", vec!["R2", "R4"]),
        ("next_attemptRELATIVEGT@day@ago@100", vec!["R2", "R3"]),
        (
            "next_attemptONLast 6 months@javascript:gs.beginningOfLast6Months()@javascript:gs.endOfLast6Months()",
            vec!["R2", "R3"],
        ),
        ("last_errorBETWEENb@g", vec!["R3", "R4"]),
    ] {
        let q = filter_query(Entity::Outbound, typed, &[]).unwrap_or_else(|e| panic!("`{typed}` refused: {e}"));
        assert_eq!(q.to_string(), typed, "`{typed}` is an encoded query, not words to search for");
        let mut preview: Vec<&str> = matching(&q, &loaded).into_iter().map(|i| loaded[i].get("number")).collect();
        preview.sort();
        let answered = fetch(q.to_string()).await;
        let mut enter: Vec<&str> = answered.iter().map(|r| r.get("number")).collect();
        enter.sort();
        assert_eq!(preview, want, "preview of `{typed}`");
        assert_eq!(enter, want, "the instance's answer to `{typed}`");
    }
    h.shutdown().await;
}
