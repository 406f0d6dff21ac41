//! Conformance: each documented behaviour of a real instance as a request to the
//! embedded instance over HTTP and the shape of its answer. Each test names the page of
//! the product documentation (ServiceNow/ServiceNowDocs, markdown/…) it follows, or
//! says what was assumed where the documentation is silent.

use base64::Engine as _;
use hubtop::sim::schema::{OUTBOUND, PROVIDERS, WORK_ORDERS};
use hubtop::sim::{self, Faults, InvalidQuery, SimConfig, SimHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::insim::{Answer, get, quiet, request_json as send};
use crate::common::wait::{T, wait_for};

const TABLE_API: &str = "api-reference/rest-apis/c_TableAPI.md";

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
    // and the gs date helpers are evaluated by the instance.
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
    // DATEPART is evaluated too (see the operator tests below): today's weekday holds.
    let today = chrono::Utc::now().format("%A").to_string().to_lowercase();
    let datepart = format!("sys_created_onDATEPART{today}@javascript:gs.datePart('dayofweek','{today}','EE')");
    assert_eq!(count(&get(&h, &q(&datepart)).await), 3);
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
    // The records are payloads, escaped as in an export.
    let xml = xml.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
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
    // The companion starts a provider's subflow for one of that provider's work orders.
    let acme = h.sim.store.find(PROVIDERS, "title", "Acme Facilities").unwrap()[0].to_string();
    let wo = h.sim.store.insert(WORK_ORDERS, &[("short_description", "x"), ("fm_provider", &acme)]).unwrap();
    for (method, path) in &declared {
        let path = path.replace("{sys_id}", &"0".repeat(32)).replace("{flow_sys_id}", &flow);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let a = send(&h, m, &format!("{base}{path}"), Some(json!({"inputs": {"record": &*wo[0]}}))).await;
        assert_ne!(a.status, StatusCode::BAD_REQUEST, "{method} {path}: {}", a.body);
        if method == "POST" {
            assert_eq!(a.status, StatusCode::ACCEPTED);
            assert!(a.body["result"]["context_id"].as_str().is_some_and(|c| c.len() == 32), "{}", a.body);
        }
    }
    h.shutdown().await;
}

// ---------------------------------------------------------------- issue 24: every documented operator

/// The page every operator test follows.
const OPERATORS: &str = "platform-user-interface/r_OpAvailableFiltersQueries.md";

/// The instance's clock in the operator tests: a Wednesday.
const NOW: &str = "2026-06-10 12:00:00";

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    hubtop::time::parse(s).unwrap()
}

/// A quiet instance, its clock pinned at `NOW`, with six outbound entries R1…R6 (states
/// the queue leaves alone; R4 has no next attempt, R5 no attempts):
///
/// | | attempts | max | next_attempt | last_error | response_code | state | provider |
/// |--|--|--|--|--|--|--|--|
/// | R1 | 1 | 3 | 2025-05-06 12:00 (Tue, 400 days ago) | alpha timeout | 500 | processed | Acme |
/// | R2 | 2 | 3 | 2026-05-31 12:00 (Sun, 10 days ago) | beta refused | 404 | skipped | BrightFM |
/// | R3 | 3 | 3 | 2026-06-12 12:00 (Fri, in 2 days) | | | processed | Acme |
/// | R4 | 4 | 3 | | gamma reset | 503 | error | |
/// | R5 | | 5 | 2024-02-15 10:00 (Thu) | delta | delta | skipped | BrightFM |
/// | R6 | 0 | 0 | 2024-02-19 09:00 (Mon) | Epsilon | 201 | processed | Acme |
async fn operator_bed(cfg: SimConfig) -> SimHandle {
    let h = sim::start(cfg).await.unwrap();
    h.sim.store.pin_clock(Some(at(NOW)));
    let id = |t: &str| h.sim.store.find(PROVIDERS, "title", t).unwrap()[0].to_string();
    let (acme, bright) = (id("Acme Facilities"), id("BrightFM"));
    let rows: [[&str; 8]; 6] = [
        ["1", "3", "2025-05-06 12:00:00", "alpha timeout", "500", "processed", &acme, "create"],
        ["2", "3", "2026-05-31 12:00:00", "beta refused", "404", "skipped", &bright, "update"],
        ["3", "3", "2026-06-12 12:00:00", "", "", "processed", &acme, "cancel"],
        ["4", "3", "", "gamma reset", "503", "error", "", "create"],
        ["", "5", "2024-02-15 10:00:00", "delta", "delta", "skipped", &bright, "update"],
        ["0", "0", "2024-02-19 09:00:00", "Epsilon", "201", "processed", &acme, "cancel"],
    ];
    for (i, r) in rows.iter().enumerate() {
        let number = format!("R{}", i + 1);
        let names = [
            "attempts",
            "max_attempts",
            "next_attempt",
            "last_error",
            "response_code",
            "state",
            "provider",
            "operation",
        ];
        let mut f: Vec<(&str, &str)> = names.iter().copied().zip(r.iter().copied()).collect();
        f.push(("number", &number));
        h.sim.store.insert(OUTBOUND, &f).unwrap();
    }
    h
}

/// The sorted `number`s `q` selects from the outbound table over the Table API.
async fn selected(h: &SimHandle, q: &str) -> Vec<String> {
    let a =
        get(h, &format!("/api/now/table/{OUTBOUND}?sysparm_fields=number&sysparm_query={}", sim::api::enc(q))).await;
    assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
    let mut out: Vec<String> = a.rows().iter().map(|r| r["number"].as_str().unwrap_or("").to_string()).collect();
    out.sort();
    out
}

/// Each query of `cases` selects exactly its rows (named by number suffix: "25" is R2
/// and R5). Every expected set is neither all nor none of the bed's rows unless the
/// operator itself says so (ANYTHING), so neither "match everything" nor "match
/// nothing" passes.
async fn expect(h: &SimHandle, all: usize, cases: &[(&str, &str)]) {
    for (q, rows) in cases {
        let want: Vec<String> = rows.chars().map(|c| format!("R{c}")).collect();
        let got = selected(h, q).await;
        assert_eq!(got, want, "{OPERATORS}: `{q}`");
        let anything = q.contains("ANYTHING") || q.contains("EXCLUDING");
        assert!(anything || (!want.is_empty() && want.len() < all), "`{q}` must tell all from none");
    }
}

#[tokio::test]
async fn operators_for_conditions_and_or_new_query() {
    // The page, "Operators available for condition builders": ^ (AND), ^OR, ^NQ.
    let h = operator_bed(quiet()).await;
    expect(
        &h,
        6,
        &[
            ("state=skipped^attempts=2", "2"),
            ("state=error^ORattempts=1", "14"),
            ("state=error^NQattempts=0", "46"),
            ("state=skipped^ORstate=error^attempts>1", "24"),
        ],
    )
    .await;
    h.shutdown().await;
}

#[tokio::test]
async fn operators_for_string_fields() {
    // The page, "Operators available for string fields" (last_error, response_code).
    let h = operator_bed(quiet()).await;
    expect(
        &h,
        6,
        &[
            ("last_errorSTARTSWITHbeta", "2"),
            ("last_errorENDSWITHreset", "4"),
            ("last_error%reset", "4"),
            ("last_errorLIKEta", "25"),
            ("last_error*ta", "25"),
            ("last_errorNOT LIKEta", "1346"),
            ("last_error!*ta", "1346"),
            ("last_error=delta", "5"),
            ("last_error!=delta", "12346"),
            ("last_errorISEMPTY", "3"),
            ("last_errorISNOTEMPTY", "12456"),
            ("last_errorANYTHING", "123456"),
            ("last_errorEMPTYSTRING", "3"),
            // Values compare as written (Table API page: values are case-sensitive):
            // "Epsilon" sorts before "beta"; an empty value (NULL) compares with nothing.
            ("last_error<=beta", "16"),
            ("last_error>=gamma", "4"),
            ("last_errorBETWEENb@d", "25"),
            ("last_errorSAMEASresponse_code", "5"),
            ("last_errorNSAMEASresponse_code", "1246"),
        ],
    )
    .await;
    h.shutdown().await;
}

#[tokio::test]
async fn operators_for_numeric_fields() {
    // The page, "Operators available for numeric fields" (attempts, max_attempts).
    let h = operator_bed(quiet()).await;
    expect(
        &h,
        6,
        &[
            ("attempts=2", "2"),
            ("attempts!=2", "13456"),
            ("attemptsISEMPTY", "5"),
            ("attemptsISNOTEMPTY", "12346"),
            ("attempts<2", "16"),
            ("attempts>2", "34"),
            ("attempts<=2", "126"),
            ("attempts>=2", "234"),
            ("attemptsBETWEEN1@3", "123"),
            ("attemptsANYTHING", "123456"),
            ("attemptsSAMEASmax_attempts", "36"),
            ("attemptsNSAMEASmax_attempts", "1245"),
            ("attemptsGT_FIELDmax_attempts", "4"),
            ("attemptsLT_FIELDmax_attempts", "12"),
            ("attemptsGT_OR_EQUALS_FIELDmax_attempts", "346"),
            ("attemptsLT_OR_EQUALS_FIELDmax_attempts", "1236"),
            ("attemptsIN1,4", "14"),
            ("attemptsNOT IN1,4", "2356"),
        ],
    )
    .await;
    h.shutdown().await;
}

#[tokio::test]
async fn operators_for_choice_fields_containing_strings() {
    // The page, "Operators available for choice fields containing strings" (state).
    let h = operator_bed(quiet()).await;
    expect(
        &h,
        6,
        &[
            ("state=skipped", "25"),
            ("state!=skipped", "1346"),
            ("stateINskipped,error", "245"),
            ("stateNOT INskipped,error", "136"),
            ("stateLIKEkip", "25"),
            ("stateSTARTSWITHpro", "136"),
            ("stateENDSWITHor", "4"),
            ("stateNOT LIKEed", "4"),
            ("stateANYTHING", "123456"),
        ],
    )
    .await;
    h.shutdown().await;
}

#[tokio::test]
async fn operators_for_date_time_fields() {
    // The page, "Operators available for date-time fields" (next_attempt), on the
    // instance's clock (pinned at NOW, a Wednesday), in the user's time zone (UTC here).
    let h = operator_bed(quiet()).await;
    let on =
        |label: &str, from: &str, to: &str| format!("next_attemptON{label}@javascript:gs.{from}@javascript:gs.{to}");
    let noton = on("x", "daysAgoStart(10)", "daysAgoEnd(10)").replace("ON", "NOTON");
    let last6 = on("Last 6 months", "beginningOfLast6Months()", "endOfLast6Months()");
    let ten = on("10 days ago", "daysAgoStart(10)", "daysAgoEnd(10)");
    let this_year = on("This year", "beginningOfThisYear()", "endOfThisYear()");
    let last_year = on("Last year", "beginningOfLastYear()", "endOfLastYear()");
    let dp =
        |day: &str, op: &str| format!("next_attemptDATEPART{day}@javascript:gs.datePart('dayofweek','{day}','{op}')");
    expect(
        &h,
        6,
        &[
            (&ten, "2"),
            (&noton, "1356"),
            (&last6, "23"),
            (&this_year, "23"),
            (&last_year, "1"),
            ("next_attempt<javascript:gs.daysAgoStart(0)", "1256"),
            ("next_attempt<=javascript:gs.daysAgoEnd(0)", "1256"),
            ("next_attempt>javascript:gs.daysAgoEnd(0)", "3"),
            ("next_attempt>=javascript:gs.daysAgoStart(0)", "3"),
            ("next_attemptBETWEENjavascript:gs.daysAgoStart(400)@javascript:gs.daysAgoEnd(10)", "12"),
            ("next_attemptBETWEEN2024-02-01@2024-02-16", "5"),
            (&dp("monday", "EE"), "6"),
            (&dp("monday", "GE"), "1356"),
            (&dp("monday", "LE"), "26"),
            (&dp("monday", "GT"), "135"),
            (&dp("monday", "LT"), "2"),
            ("next_attemptRELATIVEGT@day@ago@30", "23"),
            ("next_attemptRELATIVELT@day@ago@30", "156"),
            ("next_attemptRELATIVEGE@month@ago@14", "123"),
            ("next_attemptDATEPART9am@javascript:gs.datePart('hour','9am','EE')", "6"),
            ("next_attemptRELATIVELE@day@ahead@1", "1256"),
            ("next_attemptRELATIVEEE@day@ago@10", "2"),
            ("next_attemptISEMPTY", "4"),
            ("next_attemptISNOTEMPTY", "12356"),
            ("next_attemptANYTHING", "123456"),
            // sys_created_on is NOW for every entry (the pinned clock).
            ("next_attemptSAMEASsys_created_on@year", "23"),
            ("next_attemptNSAMEASsys_created_on@year", "156"),
            ("next_attemptSAMEASsys_created_on@month", "3"),
            ("next_attemptMORETHANsys_created_on@day@before@5", "1256"),
            ("next_attemptLESSTHANsys_created_on@day@before@15", "2"),
            ("next_attemptLESSTHANsys_created_on@day@after@3", "3"),
        ],
    )
    .await;
    h.shutdown().await;
}

#[tokio::test]
async fn date_operators_follow_the_users_time_zone() {
    // GlideSystem (api-reference/server-api-reference/c_GlideSystemAPI.md): the date
    // helpers are "in the user's session time zone as a UTC timestamp"; and "date
    // comparisons are based on the active user's time zone" (condition builder, comparing
    // dates). In Tokyo (UTC+9) R6 (2024-02-19 09:00 UTC) is 18:00 and R5 (2024-02-15
    // 10:00 UTC) 19:00; the day 2024-02-15 runs from 14th 15:00 to 15th 14:59:59 UTC.
    let h = operator_bed(SimConfig { user_tz: "Asia/Tokyo".into(), ..quiet() }).await;
    let day = "next_attemptONx@javascript:gs.dateGenerate('2024-02-15','start')@javascript:gs.dateGenerate('2024-02-15','end')";
    expect(
        &h,
        6,
        &[
            (day, "5"),
            ("next_attemptDATEPART18@javascript:gs.datePart('hour','18','EE')", "6"),
            ("next_attemptDATEPART18@javascript:gs.datePart('hour','18','GE')", "12356"),
        ],
    )
    .await;
    let utc_hour = "next_attemptDATEPART9am@javascript:gs.datePart('hour','9am','EE')";
    assert!(selected(&h, utc_hour).await.is_empty(), "09:00 UTC is not 09:00 in Tokyo");
    h.shutdown().await;
    // In Los Angeles (UTC-8 in February) R6 is 01:00 on Monday the 19th.
    let h = operator_bed(SimConfig { user_tz: "America/Los_Angeles".into(), ..quiet() }).await;
    expect(&h, 6, &[("next_attemptDATEPART1am@javascript:gs.datePart('hour','1am','EE')", "6")]).await;
    h.shutdown().await;
}

#[tokio::test]
async fn operators_for_reference_fields() {
    // The page, "Operators available for reference fields" (fm_provider of work
    // orders W1…W5): =, != by sys_id; the text operators read the referenced record's
    // display value ("the name in the Caller field begins with Don").
    let h = sim::start(quiet()).await.unwrap();
    let id = |t: &str| h.sim.store.find(PROVIDERS, "title", t).unwrap()[0].to_string();
    let (acme, bright) = (id("Acme Facilities"), id("BrightFM"));
    for (n, p) in [("W1", &acme), ("W2", &bright), ("W3", &acme), ("W4", &String::new()), ("W5", &bright)] {
        let d = format!("T24 {n}");
        h.sim.store.insert(WORK_ORDERS, &[("short_description", &d), ("fm_provider", p)]).unwrap();
    }
    let wos = |q: String| {
        let h = &h;
        async move {
            let path = format!(
                "/api/now/table/{WORK_ORDERS}?sysparm_fields=short_description&sysparm_query={}",
                sim::api::enc(&format!("short_descriptionSTARTSWITHT24^{q}"))
            );
            let a = get(h, &path).await;
            let mut v: Vec<String> =
                a.rows().iter().map(|r| r["short_description"].as_str().unwrap()[4..].to_string()).collect();
            v.sort();
            v.concat()
        }
    };
    for (q, want) in [
        (format!("fm_provider={acme}"), "W1W3"),
        (format!("fm_provider!={acme}"), "W2W4W5"),
        ("fm_providerISEMPTY".into(), "W4"),
        ("fm_providerISNOTEMPTY".into(), "W1W2W3W5"),
        ("fm_providerEMPTYSTRING".into(), "W4"),
        ("fm_providerSTARTSWITHAcme".into(), "W1W3"),
        ("fm_providerENDSWITHFM".into(), "W2W5"),
        ("fm_providerLIKEright".into(), "W2W5"),
        ("fm_providerNOT LIKEacme".into(), "W2W4W5"),
        ("fm_providerANYTHING".into(), "W1W2W3W4W5"),
    ] {
        assert_eq!(wos(q.clone()).await, want, "{OPERATORS}: `{q}`");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn operators_for_choice_fields_containing_integers() {
    // The page, "Operators available for choice fields containing integers" (work
    // order priority 1…4; W5 has none). EMPTY / NOTEMPTY are the page's spellings.
    let h = sim::start(quiet()).await.unwrap();
    for (n, p) in [("W1", "1"), ("W2", "2"), ("W3", "3"), ("W4", "4"), ("W5", "")] {
        let d = format!("T24 {n}");
        h.sim.store.insert(WORK_ORDERS, &[("short_description", &d), ("priority", p)]).unwrap();
    }
    for (q, want) in [
        ("priority=2", "W2"),
        ("priority!=2", "W1W3W4W5"),
        ("priorityIN1,2", "W1W2"),
        ("priorityNOT IN1,2", "W3W4W5"),
        ("priorityISEMPTY", "W5"),
        ("priorityEMPTY", "W5"),
        ("priorityISNOTEMPTY", "W1W2W3W4"),
        ("priorityNOTEMPTY", "W1W2W3W4"),
        ("priority<2", "W1"),
        ("priority>2", "W3W4"),
        ("priority<=2", "W1W2"),
        ("priority>=2", "W2W3W4"),
        ("priorityBETWEEN1@2", "W1W2"),
        ("priorityANYTHING", "W1W2W3W4W5"),
    ] {
        let path = format!(
            "/api/now/table/{WORK_ORDERS}?sysparm_fields=short_description&sysparm_query={}",
            sim::api::enc(&format!("short_descriptionSTARTSWITHT24^{q}"))
        );
        let a = get(&h, &path).await;
        let mut v: Vec<String> =
            a.rows().iter().map(|r| r["short_description"].as_str().unwrap()[4..].to_string()).collect();
        v.sort();
        assert_eq!(v.concat(), want, "{OPERATORS}: `{q}`");
    }
    h.shutdown().await;
}

/// Providers P1…P3 (titles `T24 P1`…): active true / false / empty; outbound and
/// inbound state ready+ready / ready+error / error+error; create and update flows the
/// same / different / none.
async fn provider_bed() -> SimHandle {
    let h = sim::start(quiet()).await.unwrap();
    let flows: Vec<String> =
        h.sim.store.table("sys_hub_flow").unwrap().read().iter().take(2).map(|r| r[0].to_string()).collect();
    let (f1, f2) = (flows[0].as_str(), flows[1].as_str());
    for (n, active, os, is, cf, uf) in [
        ("P1", "true", "ready", "ready", f1, f1),
        ("P2", "false", "ready", "error", f1, f2),
        ("P3", "", "error", "error", "", ""),
    ] {
        let title = format!("T24 {n}");
        h.sim
            .store
            .insert(
                PROVIDERS,
                &[
                    ("title", &title),
                    ("active", active),
                    ("outbound_state", os),
                    ("inbound_state", is),
                    ("create_work_order_flow", cf),
                    ("update_work_order_flow", uf),
                ],
            )
            .unwrap();
    }
    h
}

async fn providers(h: &SimHandle, q: &str) -> String {
    let path = format!(
        "/api/now/table/{PROVIDERS}?sysparm_fields=title&sysparm_query={}",
        sim::api::enc(&format!("titleSTARTSWITHT24^{q}"))
    );
    let a = get(h, &path).await;
    let mut v: Vec<String> = a.rows().iter().map(|r| r["title"].as_str().unwrap()[4..].to_string()).collect();
    v.sort();
    v.concat()
}

#[tokio::test]
async fn operators_for_boolean_fields_and_same_as_on_choices_and_references() {
    // The page, "Operators available for Boolean fields" (active); SAMEAS / NSAMEAS on
    // choice fields (outbound_state, inbound_state) and on references ("the same user
    // record is referenced in the Caller and Assigned to fields").
    let h = provider_bed().await;
    for (q, want) in [
        ("active=true", "P1"),
        // "All records in which the Active field is False, empty, or NULL."
        ("active!=true", "P2P3"),
        ("activeISEMPTY", "P3"),
        ("activeISNOTEMPTY", "P1P2"),
        ("activeANYTHING", "P1P2P3"),
        ("activeSAMEASactive", "P1P2"),
        ("outbound_stateSAMEASinbound_state", "P1P3"),
        ("outbound_stateNSAMEASinbound_state", "P2"),
        ("create_work_order_flowSAMEASupdate_work_order_flow", "P1"),
        ("create_work_order_flowNSAMEASupdate_work_order_flow", "P2"),
    ] {
        assert_eq!(providers(&h, q).await, want, "{OPERATORS}: `{q}`");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn dynamic_me_is_the_api_user() {
    // The page, reference fields, "is (dynamic)": `caller_idDYNAMIC54635e965f510100a9ad2572f2b4774c`
    // is "your user record". The API user here is admin.
    let h = sim::start(quiet()).await.unwrap();
    let role = h.sim.store.insert("sys_user_role", &[("name", "t24_role")]).unwrap()[0].to_string();
    let other = h.sim.store.insert("sys_user", &[("user_name", "t24"), ("name", "T 24")]).unwrap()[0].to_string();
    for user in [hubtop::sim::user::ADMIN_SYS_ID, other.as_str()] {
        h.sim.store.insert("sys_user_has_role", &[("user", user), ("role", &role)]).unwrap();
    }
    let count = |q: String| {
        let h = &h;
        async move {
            let a = get(h, &format!("/api/now/table/sys_user_has_role?sysparm_query={}", sim::api::enc(&q))).await;
            a.rows().iter().map(|r| r["user"]["value"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(count(format!("role={role}")).await.len(), 2);
    let me = count(format!("role={role}^userDYNAMIC54635e965f510100a9ad2572f2b4774c")).await;
    assert_eq!(me, [hubtop::sim::user::ADMIN_SYS_ID], "{OPERATORS}");
    let js = count(format!("role={role}^user=javascript:gs.getUserID()")).await;
    assert_eq!(js, [hubtop::sim::user::ADMIN_SYS_ID], "{TABLE_API}: caller_id=javascript:gs.getUserID()");
    h.shutdown().await;
}

#[tokio::test]
async fn operators_without_a_stored_value_are_invalid_terms() {
    // The page lists operators a list query cannot apply here: "is in hierarchy" needs
    // a record hierarchy ("must be established before you can use this operator"; the
    // embedded instance defines none), the email-notification operators VALCHANGES /
    // CHANGESFROM / CHANGESTO describe a change being saved, not a stored value, and a
    // date operator on a string field does not apply. Table API page, sysparm_query:
    // the invalid part of a query is ignored, or no rows with
    // glide.invalid_query.returns_no_rows. Tags: no record carries one, so "have" and
    // "does not have" select none and "excluding" every record.
    let invalid = [
        "state=skipped^providerIN_HIERARCHYx@y",
        "state=skipped^providerIN_HIERARCHY_DYNAMICx@y",
        "state=skipped^stateVALCHANGES",
        "state=skipped^stateCHANGESFROMerror",
        "state=skipped^stateCHANGESTOerror",
        "state=skipped^last_errorRELATIVEGT@day@ago@1",
        "state=skipped^providerDYNAMICffffffffffffffffffffffffffffffff",
        "state=skipped^attemptsSAMEASnosuch",
        "state=skipped^attemptsBETWEENone@two",
        "state=skipped^attemptsFOO",
    ];
    let h = operator_bed(quiet()).await;
    for q in invalid {
        assert_eq!(selected(&h, q).await, ["R2", "R5"], "ignored: `{q}`");
    }
    expect(
        &h,
        6,
        &[
            ("state=skipped^ORsys_tags.a1b2=a1b2", "25"),
            ("state=skipped^ORsys_tags.a1b2DOESNOTHAVEa1b2", "25"),
            ("state=skipped^sys_tags.a1b2EXCLUDINGa1b2", "25"),
        ],
    )
    .await;
    h.shutdown().await;
    let h = operator_bed(SimConfig { invalid_query: InvalidQuery::NoRows, ..quiet() }).await;
    for q in invalid {
        assert_eq!(selected(&h, q).await, Vec::<String>::new(), "no rows: `{q}`");
    }
    // ANYTHING is an operator, not an invalid term: every row, even here.
    assert_eq!(selected(&h, "last_errorANYTHING").await.len(), 6);
    h.shutdown().await;
}

// ---------------------------------------------------------------- sysparm_input_display_value

async fn write(h: &SimHandle, method: reqwest::Method, path: &str, body: Value) -> Answer {
    let a = send(h, method, path, Some(body)).await;
    assert!(a.status.is_success(), "{}: {}", a.status, a.body);
    a
}

fn stored(h: &SimHandle, table: &str, id: &str, field: &str) -> String {
    let r = h.sim.store.get(table, id).unwrap();
    hubtop::sim::store::Store::field(table, &r, field).to_string()
}

#[tokio::test]
async fn input_display_values_store_references_choices_and_dates() {
    // c_TableAPI.md, POST / PUT / PATCH, sysparm_input_display_value: "if you send the
    // display name for a reference field, the endpoint stores the sys_id"; "for date and
    // time fields … the date and time value is adjusted for the current user's
    // timezone. When false, the date and time value is inserted using the GMT timezone";
    // false (the default) stores values "without manipulation".
    let h = sim::start(SimConfig { user_tz: "Europe/Paris".into(), ..quiet() }).await.unwrap();
    let id = |t: &str| h.sim.store.find(PROVIDERS, "title", t).unwrap()[0].to_string();
    let (acme, bright) = (id("Acme Facilities"), id("BrightFM"));
    let path = format!("/api/now/table/{OUTBOUND}");
    let idv = "?sysparm_input_display_value=true";
    let body = json!({"provider": "BrightFM", "state": "Skipped", "operation": "Cancel", "next_attempt": "2026-01-15 13:00:00", "attempts": "1,234"});
    let a = write(&h, reqwest::Method::POST, &format!("{path}{idv}"), body.clone()).await;
    let r = a.body["result"]["sys_id"].as_str().unwrap().to_string();
    let f = |n: &str| stored(&h, OUTBOUND, &r, n);
    assert_eq!((f("provider"), f("state"), f("operation")), (bright.clone(), "skipped".into(), "cancel".into()));
    assert_eq!(f("next_attempt"), "2026-01-15 12:00:00", "13:00 in Paris in January is 12:00 UTC");
    assert_eq!(f("attempts"), "1234");
    // Summer time: 14:00 in Paris is 12:00 UTC.
    write(
        &h,
        reqwest::Method::PATCH,
        &format!("{path}/{r}{idv}"),
        json!({"next_attempt": "2026-07-15 14:00:00", "provider": "Acme Facilities"}),
    )
    .await;
    assert_eq!((f("next_attempt"), f("provider")), ("2026-07-15 12:00:00".into(), acme.clone()));
    write(&h, reqwest::Method::PUT, &format!("{path}/{r}{idv}"), json!({"state": "Processed"})).await;
    assert_eq!(f("state"), "processed");
    // Without the flag: stored as sent.
    let b = json!({"provider": "BrightFM", "state": "skipped", "next_attempt": "2026-01-15 13:00:00"});
    let a = write(&h, reqwest::Method::POST, &path, b).await;
    let r2 = a.body["result"]["sys_id"].as_str().unwrap().to_string();
    assert_eq!(stored(&h, OUTBOUND, &r2, "provider"), "BrightFM");
    assert_eq!(stored(&h, OUTBOUND, &r2, "next_attempt"), "2026-01-15 13:00:00");
    h.shutdown().await;
}

#[tokio::test]
async fn input_display_values_that_name_no_record_or_several() {
    // c_TableAPI.md, sysparm_input_display_value. Assumed where the page is silent: a
    // value already in stored form (a sys_id, a choice value) is kept; a display value
    // several records share takes the first of them; one no record has leaves the
    // reference empty; an unknown choice label is stored as sent.
    let h = sim::start(quiet()).await.unwrap();
    let acme = h.sim.store.find(PROVIDERS, "title", "Acme Facilities").unwrap()[0].to_string();
    h.sim.store.insert(PROVIDERS, &[("title", "Acme Facilities")]).unwrap();
    let path = format!("/api/now/table/{WORK_ORDERS}?sysparm_input_display_value=true");
    let mut made = Vec::new();
    for p in ["Acme Facilities", acme.as_str(), "Nobody Inc", ""] {
        let a = write(
            &h,
            reqwest::Method::POST,
            &path,
            json!({"short_description": "x", "fm_provider": p, "state": "closed"}),
        )
        .await;
        made.push(a.body["result"]["sys_id"].as_str().unwrap().to_string());
    }
    let got: Vec<String> = made.iter().map(|id| stored(&h, WORK_ORDERS, id, "fm_provider")).collect();
    assert_eq!(got, [acme.clone(), acme.clone(), String::new(), String::new()]);
    assert_eq!(stored(&h, WORK_ORDERS, &made[0], "state"), "closed", "a choice value stays");
    let a = write(&h, reqwest::Method::POST, &path, json!({"short_description": "x", "state": "Sideways"})).await;
    let id = a.body["result"]["sys_id"].as_str().unwrap();
    assert_eq!(stored(&h, WORK_ORDERS, id, "state"), "Sideways");
    // A document id (a reference whose table another field names) by the record's
    // display value; the flag read as the other booleans are (`True`).
    let number = stored(&h, WORK_ORDERS, &made[0], "number");
    let ctx_path = "/api/now/table/sys_flow_context?sysparm_input_display_value=True";
    let body = json!({"name": "t24", "source_table": WORK_ORDERS, "source_record": number});
    let a = write(&h, reqwest::Method::POST, ctx_path, body).await;
    let id = a.body["result"]["sys_id"].as_str().unwrap();
    assert_eq!(stored(&h, "sys_flow_context", id, "source_record"), made[0]);
    h.shutdown().await;
}
