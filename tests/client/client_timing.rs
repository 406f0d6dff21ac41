//! Time and the instance, on tokio's paused clock (so an hour costs nothing and a budget
//! is checked exactly on a loaded machine): an hourly rate limit stops every request
//! until it passes, a short one is waited out, and a silent or trickling instance shows
//! as slow at once while the call stays within its budget instead of the old 5 × 20 s.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use hubtop::client::read::ListSpec;
use hubtop::client::{Auth, Client, ClientConfig, Entity, Error};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use crate::common::insim::client_with;
use crate::common::stub::{Stub, raw};

/// A stub on the test's (paused) runtime; `answer(n)` for the n-th request.
async fn stub(answer: impl Fn(usize) -> Response + Send + Sync + 'static) -> Stub {
    Stub::spawn(move |_, _, n| answer(n)).await
}

fn ok_page() -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("x-ratelimit-limit", "10")
        .body(Body::from(r#"{"result":[{"sys_id":"1"}]}"#))
        .unwrap()
}

/// 429 as the documented hourly rule sends it (api-reference/rest-api-explorer,
/// inbound-REST-API-rate-limiting.md: Retry-After, X-RateLimit-Limit/-Reset/-Rule).
fn hourly_429(retry_after: u64) -> Response {
    let reset = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + retry_after;
    Response::builder()
        .status(429)
        .header("content-type", "application/json")
        .header("retry-after", retry_after.to_string())
        .header("x-ratelimit-limit", "10")
        .header("x-ratelimit-reset", reset.to_string())
        .header("x-ratelimit-rule", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
        .body(Body::from(
            r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#,
        ))
        .unwrap()
}

fn client(url: &str, f: impl FnOnce(&mut ClientConfig)) -> Client {
    client_with(url, Auth::Basic { user: "admin".into(), password: "pw".into() }, f)
}

#[tokio::test(start_paused = true)]
async fn an_hourly_rate_limit_stops_every_request_until_it_passes() {
    let s = stub(|n| if n == 1 { hourly_429(3540) } else { ok_page() }).await;
    let c = client(&s.url, |_| {});
    let spec = ListSpec::new("ih_sync_outbound_record");
    let e = c.list(&spec).await.unwrap_err();
    let Error::RateLimited { until: Some(until), retry_after: Some(d) } = e.clone() else { panic!("{e:?}") };
    assert_eq!(d, Duration::from_secs(3540));
    assert!(!e.is_transient());
    assert!(e.short().starts_with("rate limited until "), "{}", e.short());
    assert!(e.to_string().contains("nothing is sent to it before then"), "{e}");
    let info = c.rate_limit().expect("rate-limit figures");
    assert_eq!((info.limit, info.rule.as_deref()), (Some(10), Some("0f1e2d3c4b5a69788796a5b4c3d2e1f0")));
    assert_eq!(info.until, Some(until));
    assert_eq!(c.health().rate_limited_until, Some(until));

    // Until then every call, read or write, fails at once without a request.
    for step in [60; 58].into_iter().chain([59]) {
        tokio::time::advance(Duration::from_secs(step)).await;
        let r = c.list(&spec).await;
        assert!(matches!(r, Err(Error::RateLimited { until: Some(_), .. })), "{r:?}");
        let w = c.set_entry_state(Entity::Outbound, "1", "ready").await;
        assert!(matches!(w, Err(Error::RateLimited { until: Some(_), .. })), "{w:?}");
    }
    assert_eq!(s.hits(), 1, "one request reached the instance");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(c.list(&spec).await.unwrap().records.len(), 1);
    assert_eq!(s.hits(), 2);
    assert_eq!(c.rate_limit().and_then(|r| r.until), None);
}

#[tokio::test(start_paused = true)]
async fn with_wait_an_hourly_rate_limit_is_slept_through_once() {
    let s = stub(|n| if n == 1 { hourly_429(3540) } else { ok_page() }).await;
    let c = client(&s.url, |c| c.wait_for_rate_limit = true);
    let t0 = Instant::now();
    assert_eq!(c.list(&ListSpec::new("x")).await.unwrap().records.len(), 1);
    assert!(t0.elapsed() >= Duration::from_secs(3540), "{:?}", t0.elapsed());
    assert_eq!(s.hits(), 2);
    // A second hourly 429 within the same call is reported, not slept through again.
    let s = stub(|_| hourly_429(3540)).await;
    let c = client(&s.url, |c| c.wait_for_rate_limit = true);
    assert!(matches!(c.list(&ListSpec::new("x")).await, Err(Error::RateLimited { until: Some(_), .. })));
    assert_eq!(s.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_short_retry_after_is_waited_and_retried() {
    let s = stub(|n| if n == 1 { hourly_429(3) } else { ok_page() }).await;
    let c = client(&s.url, |_| {});
    let t0 = Instant::now();
    assert_eq!(c.list(&ListSpec::new("x")).await.unwrap().records.len(), 1);
    assert!(t0.elapsed() >= Duration::from_secs(3));
    assert_eq!(s.hits(), 2);
    assert_eq!(c.rate_limit().map(|r| (r.limit, r.until)), Some((Some(10), None)));
}

#[test]
fn the_defaults_give_up_on_a_silent_instance_well_before_the_old_105_s() {
    let c = ClientConfig::new("https://x.service-now.com", Auth::Basic { user: "a".into(), password: "b".into() });
    assert!(c.connect_timeout <= Duration::from_secs(5));
    assert!(c.first_byte_timeout < c.budget && c.budget <= Duration::from_secs(45), "{c:?}");
}

// On tokio's paused clock (the server, the client and its timers on one runtime): the
// budget is checked exactly, however loaded the machine.
#[tokio::test(start_paused = true)]
async fn a_silent_instance_shows_as_waiting_at_once_and_the_call_ends_within_its_budget() {
    let (url, accepted) = raw(|sock| async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(sock);
    })
    .await;
    let c = Arc::new(client(&url, |c| {
        c.first_byte_timeout = Duration::from_millis(300);
        c.budget = Duration::from_millis(1500);
    }));
    assert_eq!(c.in_flight_since(), None);
    let t0 = Instant::now();
    let call = {
        let c = Arc::clone(&c);
        tokio::spawn(async move { c.list(&ListSpec::new("x")).await })
    };
    while accepted.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let since = c.in_flight_since().expect("the call is in flight");
    // Retries go on, and the call keeps its start time across them.
    while accepted.load(Ordering::SeqCst) < 2 {
        assert!(t0.elapsed() < Duration::from_millis(1500), "a retry within the budget");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(c.in_flight_since(), Some(since));
    let e = call.await.unwrap().unwrap_err();
    assert!(matches!(e, Error::Timeout(_) | Error::TimedOut { .. }), "{e:?}");
    assert!(t0.elapsed() <= Duration::from_millis(1500), "within the budget: {:?}", t0.elapsed());
    assert_eq!(c.in_flight_since(), None);
    assert_eq!(c.health().reason.as_deref(), Some("timeout"));

    // A write to it is sent once and its outcome is unknown.
    let before = accepted.load(Ordering::SeqCst);
    let e = c.set_entry_state(Entity::Outbound, "1", "ready").await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), before + 1);
}

/// A byte every 200 ms: never idle long enough for an idle timeout, so only the
/// attempt's overall timeout can end it (the issue's 1 byte/s, faster to test).
#[tokio::test(start_paused = true)]
async fn a_trickling_answer_is_cut_at_the_attempt_timeout() {
    let (url, accepted) = raw(|mut sock| async move {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{";
        if sock.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if sock.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await;
    let c = client(&url, |c| {
        c.timeout = Duration::from_millis(700);
        c.budget = Duration::from_millis(2000);
    });
    let t0 = Instant::now();
    let e = c.list(&ListSpec::new("x")).await.unwrap_err();
    assert!(matches!(e, Error::Timeout(_) | Error::TimedOut { .. }), "{e:?}");
    assert!(t0.elapsed() <= Duration::from_millis(2000), "within the budget: {:?}", t0.elapsed());
    assert!(accepted.load(Ordering::SeqCst) >= 2, "retried within the budget");
}

/// A brief 429 (a pause of a second, no hourly rule named) is waited out and says
/// nothing of the hourly budget: only a rule (a long Retry-After or its headers) lowers it.
#[tokio::test(start_paused = true)]
async fn a_brief_429_leaves_the_hourly_budget_alone() {
    let brief = || {
        Response::builder()
            .status(429)
            .header("content-type", "application/json")
            .header("retry-after", "1")
            .body(Body::from(r#"{"error":{"message":"Too many requests"},"status":"failure"}"#))
            .unwrap()
    };
    let plain = || {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"result":[{"sys_id":"1"}]}"#))
            .unwrap()
    };
    let s = stub(move |n| if n == 1 { brief() } else { plain() }).await;
    let c = client(&s.url, |_| {});
    assert_eq!(c.list(&ListSpec::new("x")).await.unwrap().records.len(), 1);
    let b = c.budget.state();
    assert_eq!(b.limit, b.configured, "{b:?}");
    // The hourly rule's 429 does lower it.
    let s = stub(|n| if n == 1 { hourly_429(3) } else { ok_page() }).await;
    let c = client(&s.url, |_| {});
    c.list(&ListSpec::new("x")).await.unwrap();
    let b = c.budget.state();
    assert!(b.limit < b.configured, "{b:?}");
}
