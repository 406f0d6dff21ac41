//! Conformance: each documented behaviour of a real instance as a request to the
//! embedded instance over HTTP and the shape of its answer. Each test names the page of
//! the product documentation (ServiceNow/ServiceNowDocs, markdown/…) it follows, or
//! says what was assumed where the documentation is silent.

use std::time::Duration;

use base64::Engine as _;
use hubtop::sim::schema::{OUTBOUND, PROVIDERS, WORK_ORDERS};
use hubtop::sim::{self, Faults, InvalidQuery, SimConfig, SimHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::insim::quiet;
use crate::common::wait::{T, wait_for};

const TABLE_API: &str = "api-reference/rest-apis/c_TableAPI.md";

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
    fn rows(&self) -> &Vec<Value> {
        self.body["result"].as_array().unwrap_or_else(|| panic!("{} not a list: {}", self.status, self.body))
    }
}

async fn send(h: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().unwrap();
    let mut req = http.request(method, format!("{}{path}", h.base_url)).basic_auth("admin", Some("admin"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request sent");
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Answer { status, headers, body }
}

async fn get(h: &SimHandle, path: &str) -> Answer {
    send(h, reqwest::Method::GET, path, None).await
}

fn failure(a: &Answer, status: StatusCode, message: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["status"], "failure", "{}", a.body);
    assert_eq!(a.body["error"]["message"], message, "{}", a.body);
}

/// A quiet instance with one outbound entry per state (provider Acme Facilities).
async fn with_queue(cfg: SimConfig) -> SimHandle {
    let h = sim::start(cfg).await.unwrap();
    let acme = h.sim.store.find(PROVIDERS, "title", "Acme Facilities").unwrap()[0].to_string();
    for state in ["error", "processed", "skipped"] {
        h.sim.store.insert(OUTBOUND, &[("state", state), ("operation", "create"), ("provider", &acme)]).unwrap();
    }
    h
}

#[tokio::test]
async fn boolean_parameters_are_case_insensitive() {
    // c_TableAPI.md: sysparm_display_value (true/false/all), sysparm_exclude_reference_link
    // and sysparm_no_count are booleans; assumed case-insensitive, as real instances read
    // them (client libraries send `False` / `True`).
    let h = with_queue(quiet()).await;
    let path = format!("/api/now/table/{OUTBOUND}?sysparm_limit=1");
    let plain = get(&h, &format!("{path}&sysparm_display_value=False")).await;
    assert_eq!(plain.status, StatusCode::OK, "{TABLE_API}: {}", plain.body);
    assert_eq!(plain.rows()[0]["state"], "error");
    assert!(plain.rows()[0]["provider"]["link"].is_string(), "references carry links by default");
    let shown = get(&h, &format!("{path}&sysparm_display_value=TRUE&sysparm_exclude_reference_link=True")).await;
    assert_eq!(shown.rows()[0]["state"], "Error");
    assert_eq!(shown.rows()[0]["provider"], "Acme Facilities", "no link when excluded: {}", shown.body);
    let all = get(&h, &format!("{path}&sysparm_display_value=All")).await;
    assert_eq!(all.rows()[0]["state"], json!({"display_value": "Error", "value": "error"}));
    let counted = get(&h, &path).await;
    assert_eq!(counted.header("x-total-count"), Some("3"));
    let uncounted = get(&h, &format!("{path}&sysparm_no_count=TRUE")).await;
    assert_eq!(uncounted.header("x-total-count"), None);
    h.shutdown().await;
}

#[tokio::test]
async fn a_term_on_an_unknown_field_is_ignored_or_matches_nothing() {
    // c_TableAPI.md, sysparm_query: by default the invalid part of a query is ignored;
    // with glide.invalid_query.returns_no_rows true, no rows. Never a 400.
    let h = with_queue(quiet()).await;
    for q in ["nosuchfield=1", "state=error^nosuchfield=1", "ORDERBYnosuchfield", "state~error"] {
        let a = get(&h, &format!("/api/now/table/{OUTBOUND}?sysparm_query={}", sim::api::enc(q))).await;
        assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
        let want = if q.starts_with("state=") { 1 } else { 3 };
        assert_eq!(a.rows().len(), want, "{q}");
    }
    h.shutdown().await;
    let h = with_queue(SimConfig { invalid_query: InvalidQuery::NoRows, ..quiet() }).await;
    let a = get(&h, &format!("/api/now/table/{OUTBOUND}?sysparm_query=state=error%5Enosuchfield=1")).await;
    assert_eq!((a.status, a.rows().len()), (StatusCode::OK, 0), "{}", a.body);
    let valid = get(&h, &format!("/api/now/table/{OUTBOUND}?sysparm_query=state=error")).await;
    assert_eq!(valid.rows().len(), 1);
    h.shutdown().await;
}

#[tokio::test]
async fn eq_dot_walks_and_date_helpers_are_answered() {
    // c_TableAPI.md (sysparm_query, "Operators available for filters and queries"):
    // `^EQ` ends a query, dot-walked fields follow references, `ON…@javascript:gs.…()`
    // and the gs date helpers are evaluated by the instance. Assumed: operators it does
    // not evaluate (DATEPART) are ignored rather than refused.
    let h = with_queue(quiet()).await;
    let q = |q: &str| format!("/api/now/table/{OUTBOUND}?sysparm_query={}", sim::api::enc(q));
    let count = |a: &Answer| a.rows().len();
    assert_eq!(count(&get(&h, &q("state=error^EQ")).await), 1);
    assert_eq!(count(&get(&h, &q("provider.title=Acme Facilities")).await), 3);
    assert_eq!(count(&get(&h, &q("provider.title=BrightFM")).await), 0);
    assert_eq!(count(&get(&h, &q("provider.titleSTARTSWITHacme^state=skipped")).await), 1);
    let today = "sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()";
    assert_eq!(count(&get(&h, &q(today)).await), 3);
    assert_eq!(count(&get(&h, &q("sys_created_on<javascript:gs.daysAgoStart(1)")).await), 0);
    assert_eq!(count(&get(&h, &q("sys_created_on>=javascript:gs.beginningOfThisWeek()")).await), 3);
    assert_eq!(count(&get(&h, &q("sys_created_onRELATIVEGT@hour@ago@1")).await), 3);
    let datepart = "sys_created_onDATEPARTMonday@javascript:gs.datePart('dayofweek','monday','EE')";
    assert_eq!(count(&get(&h, &q(datepart)).await), 3);
    // A work order's outbound entries by the work order's number.
    let acme = h.sim.store.find(PROVIDERS, "title", "Acme Facilities").unwrap()[0].to_string();
    let wo = h.sim.store.insert(WORK_ORDERS, &[("short_description", "x"), ("fm_provider", &acme)]).unwrap();
    h.sim.store.insert(OUTBOUND, &[("state", "skipped"), ("document_id", &wo[0])]).unwrap();
    let number = hubtop::sim::store::Store::field(WORK_ORDERS, &wo, "number").to_string();
    assert_eq!(count(&get(&h, &q(&format!("document_id.number={number}"))).await), 1);
    h.shutdown().await;
}

#[tokio::test]
async fn versioned_paths_and_a_negative_offset() {
    // c_TableAPI.md, c_AggregateAPI.md: versioned URLs /api/now/{api_version}/table|stats;
    // on a valid query without results version 1 answers 404, version 2 200 and [].
    // sysparm_offset: "Don't pass a negative number" — assumed read as 0 (a real prev
    // link can carry -1).
    let h = with_queue(quiet()).await;
    for v in ["v1", "v2"] {
        let a = get(&h, &format!("/api/now/{v}/table/{OUTBOUND}?sysparm_limit=2")).await;
        assert_eq!((a.status, a.rows().len()), (StatusCode::OK, 2), "{v}");
        assert!(a.header("link").unwrap().contains(&format!("/api/now/{v}/table/{OUTBOUND}?")), "{v}");
        let s = get(&h, &format!("/api/now/{v}/stats/{OUTBOUND}?sysparm_count=true")).await;
        assert_eq!(s.body["result"]["stats"]["count"], "3", "{v}");
    }
    let none = format!("table/{OUTBOUND}?sysparm_query=state=ready");
    failure(&get(&h, &format!("/api/now/v1/{none}")).await, StatusCode::NOT_FOUND, "No Record found");
    assert_eq!(get(&h, &format!("/api/now/v2/{none}")).await.rows().len(), 0);
    failure(
        &get(&h, &format!("/api/now/v9/table/{OUTBOUND}")).await,
        StatusCode::BAD_REQUEST,
        "Requested URI does not represent any resource",
    );
    let a = get(&h, &format!("/api/now/table/{OUTBOUND}?sysparm_offset=-1&sysparm_limit=2")).await;
    assert_eq!((a.status, a.rows().len()), (StatusCode::OK, 2), "{}", a.body);
    h.shutdown().await;
}

#[tokio::test]
async fn name_value_pairs_filter_by_value_or_display_value() {
    // c_TableAPI.md, "name-value pairs": `&active=true` instead of sysparm_query; choice
    // and reference fields match their display value too (`&state=closed`). Assumed:
    // query-string names that are not fields are ignored.
    let h = with_queue(quiet()).await;
    let n = |a: Answer| a.rows().len();
    assert_eq!(n(get(&h, &format!("/api/now/table/{OUTBOUND}?state=error")).await), 1);
    assert_eq!(n(get(&h, &format!("/api/now/table/{OUTBOUND}?state=Skipped")).await), 1);
    assert_eq!(n(get(&h, &format!("/api/now/table/{OUTBOUND}?provider=Acme%20Facilities&state=error")).await), 1);
    assert_eq!(n(get(&h, &format!("/api/now/table/{OUTBOUND}?provider=BrightFM")).await), 0);
    assert_eq!(n(get(&h, &format!("/api/now/table/{OUTBOUND}?_=12345")).await), 3);
    let s = get(&h, &format!("/api/now/stats/{OUTBOUND}?sysparm_count=true&state=error")).await;
    assert_eq!(s.body["result"]["stats"]["count"], "1", "c_AggregateAPI.md has name-value pairs too");
    h.shutdown().await;
}

#[tokio::test]
async fn aggregate_answers_carry_what_was_asked() {
    // c_AggregateAPI.md: the count only with sysparm_count; groups as {"stats",
    // "groupby_fields": [{"field", "value"}]}; display values only when
    // sysparm_display_value asks (assumed: `all` adds display_value beside value).
    let h = with_queue(quiet()).await;
    let base = format!("/api/now/stats/{OUTBOUND}");
    let bare = get(&h, &base).await;
    assert_eq!(bare.body["result"], json!({"stats": {}}), "no aggregate asked, none done");
    let grouped = get(&h, &format!("{base}?sysparm_count=true&sysparm_group_by=state")).await;
    let first = &grouped.rows()[0];
    assert_eq!(first, &json!({"stats": {"count": "1"}, "groupby_fields": [{"field": "state", "value": "error"}]}));
    let shown = get(&h, &format!("{base}?sysparm_count=true&sysparm_group_by=state&sysparm_display_value=true")).await;
    assert_eq!(shown.rows()[0]["groupby_fields"][0]["value"], "Error");
    let all = get(&h, &format!("{base}?sysparm_count=true&sysparm_group_by=state&sysparm_display_value=all")).await;
    assert_eq!(all.rows()[0]["groupby_fields"][0]["display_value"], "Error");
    let sums = get(&h, &format!("{base}?sysparm_sum_fields=attempts&sysparm_group_by=state")).await;
    assert!(sums.rows()[0]["stats"].get("count").is_none(), "{}", sums.body);
    assert_eq!(sums.rows()[0]["stats"]["sum"]["attempts"], "0");
    h.shutdown().await;
}

#[tokio::test]
async fn date_time_display_values_follow_the_users_time_zone() {
    // c_TableAPI.md, sysparm_display_value: "Date fields: The database value is in UTC
    // format, while the display value is based on the user's time zone" (sys_user.time_zone;
    // empty = the system time zone, UTC here).
    let h = with_queue(quiet()).await;
    let at = "2024-01-15 12:00:00";
    let id = h.sim.store.insert_at(OUTBOUND, &[("state", "ready")], at).unwrap()[0].to_string();
    let path = format!("/api/now/table/{OUTBOUND}/{id}?sysparm_display_value=all&sysparm_fields=sys_created_on");
    assert_eq!(get(&h, &path).await.body["result"]["sys_created_on"]["display_value"], at, "UTC by default");
    let user = get(&h, "/api/now/table/sys_user?user_name=admin").await;
    let uid = user.rows()[0]["sys_id"].as_str().unwrap().to_string();
    let patch = send(
        &h,
        reqwest::Method::PATCH,
        &format!("/api/now/table/sys_user/{uid}"),
        Some(json!({"time_zone": "Europe/Paris"})),
    )
    .await;
    assert_eq!(patch.status, StatusCode::OK);
    let shown = get(&h, &path).await;
    assert_eq!(shown.body["result"]["sys_created_on"], json!({"display_value": "2024-01-15 13:00:00", "value": at}));
    h.shutdown().await;
    let h = sim::start(SimConfig { user_tz: "America/New_York".into(), ..quiet() }).await.unwrap();
    let id = h.sim.store.insert_at(OUTBOUND, &[("state", "ready")], "2024-07-01 12:00:00").unwrap()[0].to_string();
    let a = get(&h, &format!("/api/now/table/{OUTBOUND}/{id}?sysparm_display_value=true")).await;
    assert_eq!(a.body["result"]["sys_created_on"], "2024-07-01 08:00:00", "--user-tz, daylight saving time");
    h.shutdown().await;
}

#[tokio::test]
async fn oauth_token_answers() {
    // Assumed from RFC 6749 §4.4.3 (no refresh token for client credentials) and answers
    // recorded from real instances: expires_in is a number, one second under the
    // lifespan (1799 for 1800). The password grant still returns a refresh token.
    let h = sim::start(quiet()).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let token = |form: Vec<(&'static str, &'static str)>| {
        let http = http.clone();
        let url = format!("{}/oauth_token.do", h.base_url);
        async move { http.post(url).form(&form).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let cc =
        token(vec![("grant_type", "client_credentials"), ("client_id", "hubtop"), ("client_secret", "hubtop")]).await;
    assert_eq!(cc["expires_in"], json!(1799));
    assert!(cc.get("refresh_token").is_none(), "{cc}");
    let pw = token(vec![
        ("grant_type", "password"),
        ("client_id", "hubtop"),
        ("client_secret", "hubtop"),
        ("username", "admin"),
        ("password", "admin"),
    ])
    .await;
    assert!(pw["refresh_token"].is_string(), "{pw}");
    h.shutdown().await;
}

#[tokio::test]
async fn acl_denials_answer_403_with_the_real_bodies() {
    // c_AggregateAPI.md lists 403 for a user without access; the bodies are the ones
    // real instances send for a read ACL and a write ACL (recorded answers).
    let h = with_queue(quiet()).await;
    h.sim.set_faults(Faults::parse("acl_read=1,acl_write=1").unwrap());
    let read = get(&h, &format!("/api/now/table/{OUTBOUND}")).await;
    failure(&read, StatusCode::FORBIDDEN, "Insufficient rights to query records");
    let id = h.sim.store.insert(OUTBOUND, &[("state", "skipped")]).unwrap()[0].to_string();
    let write = send(
        &h,
        reqwest::Method::PATCH,
        &format!("/api/now/table/{OUTBOUND}/{id}"),
        Some(json!({"state": "processed"})),
    )
    .await;
    failure(&write, StatusCode::FORBIDDEN, "Operation Failed");
    assert_eq!(write.body["error"]["detail"], "ACL Exception Update Failed due to security constraints");
    assert_eq!(
        hubtop::sim::store::Store::field(OUTBOUND, &h.sim.store.get(OUTBOUND, &id).unwrap(), "state"),
        "skipped"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn an_hourly_rate_limit_rule() {
    // api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md: rules count
    // requests per user per hour; matching answers carry X-RateLimit-Limit,
    // X-RateLimit-Reset (Unix time of the next reset) and X-RateLimit-Rule; past the
    // limit, 429 "Rate limit exceeded" with Retry-After in seconds.
    let h = with_queue(SimConfig { rate_limit: Some(3), ..quiet() }).await;
    let path = format!("/api/now/table/{OUTBOUND}?sysparm_limit=1");
    for _ in 0..3 {
        let a = get(&h, &path).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.header("x-ratelimit-limit"), Some("3"));
        let reset: i64 = a.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert_eq!(reset % 3600, 0, "the next full hour");
        assert!(a.header("x-ratelimit-rule").is_some_and(|r| r.len() == 32));
    }
    let over = get(&h, &path).await;
    failure(&over, StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
    let wait: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    h.shutdown().await;
}

#[tokio::test]
async fn an_unknown_rest_resource_answers_400() {
    // Recorded real answers: a path no REST API serves (an API that is not installed).
    // Assumed: credentials are checked first.
    let h = sim::start(quiet()).await.unwrap();
    for p in ["/api/now/nosuch", "/api/x_other/thing/1", "/api/sn_fd/nope"] {
        let a = get(&h, p).await;
        failure(&a, StatusCode::BAD_REQUEST, "Requested URI does not represent any resource");
        assert!(a.body["error"]["detail"].is_null());
    }
    let anon = reqwest::Client::builder().no_proxy().build().unwrap();
    let a = anon.get(format!("{}/api/now/nosuch", h.base_url)).send().await.unwrap();
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    h.shutdown().await;
}

#[tokio::test]
async fn the_batch_api() {
    // api-reference/rest-apis/batch-api.md: POST /api/now/v1/batch with batch_request_id
    // and rest_requests [{id, url, method, headers, body (base64)}]; the answer has
    // serviced_requests [{id, body (base64), status_code, status_text, headers,
    // execution_time}] and unserviced_requests. Each item is routed like a request of
    // its own (assumed: each counts against a rate-limit rule, the envelope does not).
    let h = with_queue(SimConfig { rate_limit: Some(2), ..quiet() }).await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = b64.encode(json!({"state": "ready", "operation": "update"}).to_string());
    let json_h =
        json!([{"name": "Content-Type", "value": "application/json"}, {"name": "Accept", "value": "application/json"}]);
    let req = json!({"batch_request_id": "b1", "rest_requests": [
        {"id": "11", "method": "GET", "url": format!("/api/now/table/{OUTBOUND}?sysparm_limit=1"), "headers": json_h},
        {"id": "12", "method": "POST", "url": format!("/api/now/table/{OUTBOUND}"), "headers": json_h, "body": body,
         "exclude_response_headers": true},
        {"id": "13", "method": "GET", "url": format!("/api/now/table/{OUTBOUND}"), "headers": json_h},
        {"id": "14", "method": "GET", "url": "/api/now/nosuch", "headers": json_h},
    ]});
    let a = send(&h, reqwest::Method::POST, "/api/now/v1/batch", Some(req)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["batch_request_id"], "b1");
    assert_eq!(a.body["unserviced_requests"], json!([]));
    let items = a.body["serviced_requests"].as_array().unwrap();
    let decoded = |i: usize| -> Value {
        serde_json::from_slice(&b64.decode(items[i]["body"].as_str().unwrap()).unwrap()).unwrap()
    };
    assert_eq!(
        (items[0]["id"].as_str(), items[0]["status_code"].as_u64(), items[0]["status_text"].as_str()),
        (Some("11"), Some(200), Some("OK"))
    );
    assert_eq!(decoded(0)["result"].as_array().unwrap().len(), 1);
    assert!(items[0]["headers"].as_array().unwrap().iter().any(|h| h["name"] == "x-total-count"));
    assert!(items[0]["execution_time"].is_number());
    assert_eq!((items[1]["status_code"].as_u64(), items[1]["headers"].as_array().map(Vec::len)), (Some(201), Some(0)));
    assert_eq!(decoded(1)["result"]["operation"], "update");
    // The third item is over the rule's 2 per hour; the fourth names no resource.
    assert_eq!(items[2]["status_code"], 429, "{}", items[2]);
    assert_eq!(items[3]["status_code"], 400, "{}", items[3]);
    h.shutdown().await;
}

#[tokio::test]
async fn the_request_of_issue_14() {
    // curl -u admin:admin '…/api/now/v2/table/ih_sync_outbound_record?sysparm_display_value=False&sysparm_query=nosuchfield=1&sysparm_limit=1'
    let h = with_queue(quiet()).await;
    let a = get(&h, "/api/now/v2/table/ih_sync_outbound_record?sysparm_display_value=False&sysparm_query=nosuchfield=1&sysparm_limit=1").await;
    assert_eq!((a.status, a.rows().len()), (StatusCode::OK, 1), "{}", a.body);
    h.shutdown().await;
}

#[tokio::test]
async fn an_unknown_table_answers_400_invalid_table() {
    // Recorded real answers: 400 "Invalid table <name>" for a table the instance lacks.
    let h = sim::start(quiet()).await.unwrap();
    failure(&get(&h, "/api/now/table/nosuch").await, StatusCode::BAD_REQUEST, "Invalid table nosuch");
    h.shutdown().await;
}

// ---------------------------------------------------------------- issue 13: the instance side

#[tokio::test]
async fn the_instance_describes_its_own_tables() {
    // sys_db_object (name, label, super_class), sys_dictionary (name = the table,
    // element, column_label, internal_type, reference, max_length), sys_choice (name,
    // element, value, label, sequence, inactive), sys_user_has_role (user, role): the
    // platform's own tables, generated from the instance's schema. Labels documented in
    // integrated-facilities-management-integration-framework.md and
    // create-a-facilities-management-provider.md.
    let h = sim::start(quiet()).await.unwrap();
    let t = get(&h, &format!("/api/now/table/sys_db_object?name={WORK_ORDERS}")).await;
    assert_eq!(t.rows()[0]["label"], "Workplace Task");
    let d =
        get(&h, &format!("/api/now/table/sys_dictionary?sysparm_query=name={WORK_ORDERS}^element=fm_provider")).await;
    let row = &d.rows()[0];
    assert_eq!((row["column_label"].as_str(), row["internal_type"].as_str()), (Some("FM Provider"), Some("reference")));
    assert_eq!(row["reference"], PROVIDERS);
    let c = get(&h, &format!("/api/now/table/sys_choice?sysparm_query=name={OUTBOUND}^element=state^ORDERBYsequence"))
        .await;
    let values: Vec<&str> = c.rows().iter().map(|r| r["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["ready", "processing", "processed", "error", "skipped"]);
    let roles = get(&h, "/api/now/table/sys_user_has_role?sysparm_display_value=true&sysparm_exclude_reference_link=true&user.user_name=admin").await;
    let mut names: Vec<&str> = roles.rows().iter().map(|r| r["role"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["admin", "flow_operator", "sn_wsd_case.manager"]);
    h.shutdown().await;
}

#[tokio::test]
async fn an_instance_started_broken() {
    // `--break`: what an onboarding check must find missing, answered as a real
    // instance would (an unknown table: 400 Invalid table; an unknown field: ignored).
    let breaks = sim::Breaks::parse(&[
        format!("field:{WORK_ORDERS}.fm_provider"),
        format!("table:{OUTBOUND}"),
        "role:flow_operator".to_string(),
    ])
    .unwrap();
    let h = sim::start(SimConfig { breaks, ..quiet() }).await.unwrap();
    failure(
        &get(&h, &format!("/api/now/table/{OUTBOUND}")).await,
        StatusCode::BAD_REQUEST,
        &format!("Invalid table {OUTBOUND}"),
    );
    assert_eq!(get(&h, &format!("/api/now/table/sys_db_object?name={OUTBOUND}")).await.rows().len(), 0);
    let d =
        get(&h, &format!("/api/now/table/sys_dictionary?sysparm_query=name={WORK_ORDERS}^element=fm_provider")).await;
    assert_eq!(d.rows().len(), 0);
    h.sim.store.insert(WORK_ORDERS, &[("short_description", "x"), ("fm_provider", "abc")]).unwrap();
    let wo = get(&h, &format!("/api/now/table/{WORK_ORDERS}?sysparm_query=fm_provider=nothing")).await;
    assert_eq!(wo.rows().len(), 1, "the field is unknown: its term is ignored");
    assert!(wo.rows()[0].get("fm_provider").is_none(), "and not in the data");
    let roles = get(&h, "/api/now/table/sys_user_has_role?sysparm_display_value=true").await;
    assert_eq!(roles.rows().len(), 2);
    h.shutdown().await;
}

#[tokio::test]
async fn without_the_flow_trigger_and_the_companion() {
    // `--without flow-trigger,companion`: an instance with only the documented APIs
    // answers those paths as not installed.
    let h = sim::start(SimConfig { without: sim::Without::parse(&["flow-trigger", "companion"]).unwrap(), ..quiet() })
        .await
        .unwrap();
    let none = "Requested URI does not represent any resource";
    failure(
        &send(&h, reqwest::Method::POST, "/api/sn_fd/flow/abc/run", Some(json!({}))).await,
        StatusCode::BAD_REQUEST,
        none,
    );
    failure(&get(&h, "/api/sn_fd/flow/execution/abc/status").await, StatusCode::BAD_REQUEST, none);
    failure(&get(&h, "/api/x_hubtop/console/executions/abc").await, StatusCode::BAD_REQUEST, none);
    h.shutdown().await;
}

#[tokio::test]
async fn a_state_change_or_comment_on_a_synced_work_order_runs_the_providers_subflow() {
    // integrated-facilities-management-integration-framework.md: after sync, comments and
    // cancel are the edits allowed, and IFM pushes them; outbound-flows.md: the update
    // subflow's Changed fields input is a list of field names.
    let h = sim::start(quiet()).await.unwrap();
    let acme = h.sim.store.find(PROVIDERS, "title", "Acme Facilities").unwrap()[0].to_string();
    let state = |id: &str, f: &str| {
        hubtop::sim::store::Store::field(WORK_ORDERS, &h.sim.store.get(WORK_ORDERS, id).unwrap(), f).to_string()
    };
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(hubtop::sim::seed::new_work_order(&h.sim, &acme, "Leaking tap", 3).unwrap());
    }
    wait_for("both created", T, || ids.iter().all(|id| state(id, "integration_state") == "created")).await;
    let path = |id: &str| format!("/api/now/table/{WORK_ORDERS}/{id}");
    let a = send(&h, reqwest::Method::PATCH, &path(&ids[0]), Some(json!({"comments": "Please call before"}))).await;
    assert_eq!(a.status, StatusCode::OK);
    let b = send(&h, reqwest::Method::PATCH, &path(&ids[1]), Some(json!({"state": "canceled"}))).await;
    assert_eq!(b.status, StatusCode::OK);
    wait_for("update pushed", T, || state(&ids[0], "integration_state") == "created" && history(&h, &ids[0], "update"))
        .await;
    wait_for("cancelled", T, || state(&ids[1], "integration_state") == "cancelled").await;
    assert!(history(&h, &ids[1], "cancel"));
    // The update's inputs: the list of changed field names and the comment.
    let contexts =
        get(&h, &format!("/api/now/table/sys_flow_context?sysparm_query=source_record={}^nameLIKEUpdate", ids[0]))
            .await;
    let exec = contexts.rows()[0]["sys_id"].as_str().unwrap().to_string();
    let detail = get(&h, &format!("/api/x_hubtop/console/executions/{exec}")).await;
    assert_eq!(detail.body["result"]["inputs"]["changed_fields"], json!(["comments"]), "{}", detail.body);
    assert_eq!(detail.body["result"]["inputs"]["comment"], "Please call before");
    h.shutdown().await;
}

fn history(h: &SimHandle, task: &str, op: &str) -> bool {
    let t = h.sim.store.table(hubtop::sim::schema::HISTORY).unwrap().read();
    t.iter().any(|r| {
        let f = |n| hubtop::sim::store::Store::field(hubtop::sim::schema::HISTORY, r, n);
        f("task") == task && f("operation") == op && f("status") == "success"
    })
}

/// The text of the first `<tag>…</tag>` in `s`.
fn tag<'a>(s: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = s.find(&open).map(|i| i + open.len()).unwrap_or_else(|| panic!("no <{tag}>"));
    let end = s[start..].find(&format!("</{tag}>")).unwrap_or_else(|| panic!("no </{tag}>")) + start;
    &s[start..end]
}

#[tokio::test]
async fn the_companion_update_set_declares_what_the_instance_serves() {
    // assets/servicenow/hubtop_companion_update_set.xml: one sys_ws_definition (base_uri)
    // and its sys_ws_operation records (http_method, relative_path) — the same resources
    // the embedded instance serves, each answering (not 400 "no resource").
    let xml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/servicenow/hubtop_companion_update_set.xml"
    ))
    .unwrap();
    let def_start = xml.find("<sys_ws_definition action").expect("a sys_ws_definition record");
    let base = tag(&xml[def_start..], "base_uri");
    assert_eq!(base, sim::api::companion::BASE);
    let mut declared: Vec<(String, String)> = xml
        .match_indices("<sys_ws_operation action")
        .map(|(i, _)| {
            let rec = &xml[i..i + xml[i..].find("</sys_ws_operation>").unwrap()];
            assert_eq!(tag(rec, "operation_uri"), format!("{base}{}", tag(rec, "relative_path")));
            (tag(rec, "http_method").to_string(), tag(rec, "relative_path").to_string())
        })
        .collect();
    declared.sort();
    let mut served: Vec<(String, String)> =
        sim::api::companion::RESOURCES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    served.sort();
    assert_eq!(declared, served);
    let h = sim::start(quiet()).await.unwrap();
    let flow = h.sim.store.find(hubtop::sim::schema::FLOWS, "name", "Acme Facilities - Cancel Work Order").unwrap()[0]
        .to_string();
    for (method, path) in &declared {
        let path = path.replace("{sys_id}", "0").replace("{flow_sys_id}", &flow);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let a = send(&h, m, &format!("{base}{path}"), Some(json!({"inputs": {"record": ""}}))).await;
        assert_ne!(a.status, StatusCode::BAD_REQUEST, "{method} {path}: {}", a.body);
        if method == "POST" {
            assert_eq!(a.status, StatusCode::ACCEPTED);
            assert!(a.body["result"]["context_id"].as_str().is_some_and(|c| c.len() == 32), "{}", a.body);
        }
    }
    h.shutdown().await;
}

/// The companion update set parses as XML, and so does each record in it (a payload is
/// XML in CDATA): an unload with one remote update set and its updates, each update
/// named `<table>_<sys_id>` after the one record it carries, in the update set's scope.
/// (A real instance refuses an update set that is not well-formed, with no detail.)
#[test]
fn the_companion_update_set_is_well_formed_xml_record_by_record() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/servicenow/hubtop_companion_update_set.xml"
    ))
    .unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not well-formed: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "unload");
    let children: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    let sets: Vec<_> = children.iter().filter(|n| n.has_tag_name("sys_remote_update_set")).collect();
    assert_eq!(sets.len(), 1, "one update set");
    let child_text = |n: &roxmltree::Node, tag: &str| {
        n.children().find(|c| c.has_tag_name(tag)).and_then(|c| c.text()).map(str::trim).map(str::to_string)
    };
    let scope = child_text(sets[0], "application").expect("the update set's application");
    let updates: Vec<_> = children.iter().filter(|n| n.has_tag_name("sys_update_xml")).collect();
    assert_eq!(updates.len() + 1, children.len(), "nothing but the update set and its updates");
    let mut tables = Vec::new();
    for u in &updates {
        let name = child_text(u, "name").expect("an update's name");
        let payload = child_text(u, "payload").expect("a payload");
        let inner =
            roxmltree::Document::parse(&payload).unwrap_or_else(|e| panic!("{name}: payload not well-formed: {e}"));
        let update = inner.root_element();
        assert_eq!(update.tag_name().name(), "record_update", "{name}");
        let table = update.attribute("table").unwrap_or_else(|| panic!("{name}: record_update without a table"));
        let records: Vec<_> = update.children().filter(|n| n.is_element()).collect();
        assert_eq!(records.len(), 1, "{name}: one record");
        assert!(records[0].has_tag_name(table), "{name}: the record is a {table}");
        let sys_id = child_text(&records[0], "sys_id").unwrap_or_else(|| panic!("{name}: a sys_id"));
        assert!(sys_id.len() == 32 && sys_id.chars().all(|c| c.is_ascii_hexdigit()), "{name}: sys_id {sys_id}");
        assert_eq!(name, format!("{table}_{sys_id}"), "an update is named after its record");
        assert_eq!(child_text(&records[0], "sys_scope").as_deref(), Some(scope.as_str()), "{name}: in scope {scope}");
        tables.push(table.to_string());
    }
    let count = |t: &str| tables.iter().filter(|x| *x == t).count();
    assert_eq!(count("sys_ws_definition"), 1, "one Scripted REST API: {tables:?}");
    assert!(count("sys_ws_operation") >= 1, "its resources: {tables:?}");
}
