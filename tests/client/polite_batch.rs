//! The Batch API client against a small server that implements the documented
//! semantics (api-reference/rest-apis/batch-api.md: `POST /api/now/v1/batch` with
//! `batch_request_id` and `rest_requests[]` of id/method/url/headers, bodies base64 both
//! ways, the answer's `serviced_requests[]` and `unserviced_requests[]`): a plan goes as
//! one HTTP request; an instance without the API (400 "Requested URI does not represent
//! any resource", or 404) is found out once and then served by concurrent requests;
//! an unserviced item is sent on its own. Only polls (background reads) are batched.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::http::{Method, Uri};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hubtop::app::plans::{Answer, OverviewPlan};
use hubtop::client::{Auth, Client, Tables, budget};
use hubtop::console::runner::execute;
use serde_json::{Value, json};

use crate::common::insim::client_with;
use crate::common::stub::serve;

#[derive(Clone, Copy, PartialEq)]
enum Batch {
    Served,
    /// Every item after the first `n` is reported unserviced.
    ServedUpTo(usize),
    NotInstalled,
    Missing,
}

#[derive(Default)]
struct Hits {
    batches: AtomicUsize,
    singles: AtomicUsize,
}

/// What the instance answers one REST request: (status, headers, body).
fn rest(path_and_query: &str) -> (u16, Vec<(&'static str, String)>, String) {
    let path = path_and_query.split('?').next().unwrap_or("");
    if path.starts_with("/api/now/stats/") {
        let body =
            json!({"result": [{"groupby_fields": [{"field": "state", "value": "error"}], "stats": {"count": "3"}}]});
        return (200, vec![], body.to_string());
    }
    if let Some(table) = path.strip_prefix("/api/now/table/") {
        let body = json!({"result": [{"sys_id": "r1", "title": table}]});
        return (200, vec![("X-Total-Count", "1".into())], body.to_string());
    }
    (400, vec![], json!({"error": {"message": "Requested URI does not represent any resource"}}).to_string())
}

async fn stub(mode: Batch) -> (String, Arc<Hits>) {
    let hits = Arc::new(Hits::default());
    let h = Arc::clone(&hits);
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let h = Arc::clone(&h);
        async move {
            let pq = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
            let json_response = |status: u16, headers: Vec<(&str, String)>, body: String| {
                let mut b = Response::builder().status(status).header("content-type", "application/json");
                for (k, v) in headers {
                    b = b.header(k, v);
                }
                b.body(Body::from(body)).unwrap()
            };
            if method == Method::POST && uri.path() == "/api/now/v1/batch" {
                h.batches.fetch_add(1, Ordering::SeqCst);
                let not_there = json!({"error": {"message": "Requested URI does not represent any resource", "detail": null}, "status": "failure"});
                match mode {
                    Batch::NotInstalled => return json_response(400, vec![], not_there.to_string()),
                    Batch::Missing => return json_response(404, vec![], not_there.to_string()),
                    _ => {}
                }
                let req: Value = serde_json::from_slice(&body).unwrap();
                let limit = if let Batch::ServedUpTo(n) = mode { n } else { usize::MAX };
                let (mut serviced, mut unserviced) = (Vec::new(), Vec::new());
                for (i, item) in req["rest_requests"].as_array().unwrap().iter().enumerate() {
                    assert_eq!(item["method"], "GET");
                    if i >= limit {
                        unserviced.push(item["id"].clone());
                        continue;
                    }
                    let (status, headers, body) = rest(item["url"].as_str().unwrap());
                    let headers: Vec<Value> = headers.iter().map(|(k, v)| json!({"name": k, "value": v})).collect();
                    serviced.push(json!({
                        "id": item["id"], "status_code": status, "status_text": "OK",
                        "headers": headers, "body": STANDARD.encode(body), "execution_time": 2,
                    }));
                }
                let answer = json!({
                    "batch_request_id": req["batch_request_id"],
                    "serviced_requests": serviced,
                    "unserviced_requests": unserviced,
                });
                return json_response(200, vec![], answer.to_string());
            }
            h.singles.fetch_add(1, Ordering::SeqCst);
            let (status, headers, body) = rest(&pq);
            json_response(status, headers, body)
        }
    });
    (serve(app).await, hits)
}

fn client(url: &str) -> Client {
    client_with(url, Auth::Basic { user: "admin".into(), password: "pw".into() }, |_| {})
}

fn check(answers: &[Answer]) {
    assert_eq!(answers.len(), 8);
    assert_eq!(answers[0], Answer::Counts(vec![(vec!["error".into()], 3)]));
    // A list asked with its count comes as a page (rows and the total of the same answer).
    let (Answer::Rows(rows) | Answer::Page { rows, .. }) = &answers[5] else { panic!("{:?}", answers[5]) };
    assert_eq!(rows[0].get("title"), "sn_wsd_case_fm_provider");
}

async fn poll(c: &Client, plan: &OverviewPlan) -> Vec<Answer> {
    budget::background(execute(c, &plan.requests)).await.unwrap()
}

#[tokio::test]
async fn what_the_operator_opens_goes_as_concurrent_requests() {
    let (url, hits) = stub(Batch::Served).await;
    let c = client(&url);
    check(&execute(&c, &OverviewPlan::new(&Tables::default()).requests).await.unwrap());
    assert_eq!((hits.batches.load(Ordering::SeqCst), hits.singles.load(Ordering::SeqCst)), (0, 8));
}

#[tokio::test]
async fn a_plan_is_one_http_request_where_the_instance_has_the_batch_api() {
    let (url, hits) = stub(Batch::Served).await;
    let c = client(&url);
    let plan = OverviewPlan::new(&Tables::default());
    for round in 1..=2 {
        check(&poll(&c, &plan).await);
        assert_eq!(hits.batches.load(Ordering::SeqCst), round);
        assert_eq!(hits.singles.load(Ordering::SeqCst), 0);
    }
    assert_eq!(c.batch.get(), Some(true));
    assert_eq!(c.traffic.requests.load(Ordering::SeqCst), 2, "one request per plan");
}

#[tokio::test]
async fn without_the_batch_api_the_plan_goes_as_concurrent_requests_and_it_is_asked_once() {
    for mode in [Batch::NotInstalled, Batch::Missing] {
        let (url, hits) = stub(mode).await;
        let c = client(&url);
        let plan = OverviewPlan::new(&Tables::default());
        check(&poll(&c, &plan).await);
        assert_eq!(c.batch.get(), Some(false));
        check(&poll(&c, &plan).await);
        assert_eq!(hits.batches.load(Ordering::SeqCst), 1, "support is learnt once");
        assert_eq!(hits.singles.load(Ordering::SeqCst), 16);
    }
}

#[tokio::test]
async fn unserviced_items_are_sent_on_their_own() {
    let (url, hits) = stub(Batch::ServedUpTo(5)).await;
    let c = client(&url);
    check(&poll(&c, &OverviewPlan::new(&Tables::default())).await);
    assert_eq!((hits.batches.load(Ordering::SeqCst), hits.singles.load(Ordering::SeqCst)), (1, 3));
}

/// On an instance with the Batch API, an idle overview costs at most 12 requests a
/// minute once settled, and its polls come at most 5 s apart (so a change shows within
/// 5 s and one round trip).
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_idle_overview_costs_at_most_twelve_requests_a_minute_with_the_batch_api() {
    use hubtop::app::{Msg, Settings};
    use hubtop::harness::headless::Headless;
    let (url, hits) = stub(Batch::Served).await;
    let c = Arc::new(client(&url));
    let settings = Settings { instance: url.clone(), meter: Some(c.meter()), ..Default::default() };
    let audit = Arc::new(hubtop::audit::Audit::open(None, &url, "admin").unwrap());
    let mut h = Headless::new(Arc::clone(&c), settings, audit, (120, 40));
    h.start();
    let mut polls = Vec::new();
    for i in 0..1200u32 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        h.drain();
        h.send(Msg::Tick(tokio::time::Instant::now().into_std(), chrono::Utc::now()));
        let n = hits.batches.load(Ordering::SeqCst);
        if polls.last().is_none_or(|(_, m)| *m < n) {
            polls.push((i, n));
        }
    }
    let second: Vec<&(u32, usize)> = polls.iter().filter(|(i, _)| *i >= 600).collect();
    assert!(polls.first().is_some_and(|(i, _)| *i < 600));
    assert!(second.len() <= 12 && second.len() >= 11, "{} polls in the second minute", second.len());
    for w in second.windows(2) {
        assert!(w[1].0 - w[0].0 <= 50, "polls {} s apart", f64::from(w[1].0 - w[0].0) / 10.0);
    }
    assert_eq!(c.batch.get(), Some(true));
    assert_eq!(hits.singles.load(Ordering::SeqCst), 8, "only the first load went as single requests");
}
