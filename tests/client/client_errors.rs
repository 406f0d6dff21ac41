//! How the client reports a real instance's refusals, over HTTP against a stub that
//! answers exactly as a real instance does: 403 from an ACL (message and detail kept,
//! exit 5), 400 "Requested URI does not represent any resource" (not installed, never
//! retried), writes whose answer is unreadable (outcome unknown, sent once), one bad
//! value in a page (the rest of the page still shows) and credentials in the instance
//! URL (refused, never shown).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::Method;
use axum::response::Response;
use hubtop::client::read::ListSpec;
use hubtop::client::{Auth, Client, ClientConfig, Entity, Error};
use serde_json::{Map, json};

use crate::common::insim::client_with;
use crate::common::stub::{Stub, failure, raw, reply};

const SECRET: &str = "S3cret-Pw-0042";

fn client(url: &str) -> Client {
    client_with(url, Auth::Basic { user: "admin".into(), password: SECRET.into() }, |_| {})
}

fn trigger_inputs() -> Map<String, serde_json::Value> {
    let mut m = Map::new();
    m.insert("record".into(), json!("a1b2"));
    m
}

// Shapes recorded from real instances; the REST API docs (api-reference/rest-apis,
// c_TableAPI.md) give the envelope `{"error":{"message","detail"},"status":"failure"}`.
#[tokio::test]
async fn a_403_is_not_permitted_with_the_instances_message_and_detail() {
    let s = Stub::spawn(|m, _, _| match *m {
        Method::GET => failure(
            403,
            "Insufficient rights to query records",
            Some("Field(s) present in the query do not have permission to be read"),
        ),
        _ => failure(403, "Operation Failed", Some("ACL Exception Update Failed due to security constraints")),
    })
    .await;
    let c = client(&s.url);
    let e = c.list(&ListSpec::new("ih_sync_outbound_record")).await.unwrap_err();
    assert!(
        matches!(&e, Error::Forbidden { message, .. } if message == "Insufficient rights to query records"),
        "{e:?}"
    );
    assert_eq!(e.exit_code(), hubtop::exit::FORBIDDEN);
    assert!(e.is_refusal(), "the instance answered: the console stays live");
    let text = e.to_string();
    assert!(text.contains("Insufficient rights") && text.contains("do not have permission"), "{text}");
    assert!(!text.contains("authentication"), "{text}");
    assert_eq!(s.hits(), 1, "a refusal is not retried");

    let e = c.set_entry_state(Entity::Outbound, "a1b2", "ready").await.unwrap_err();
    assert_eq!(
        e,
        Error::Forbidden {
            message: "Operation Failed".into(),
            detail: Some("ACL Exception Update Failed due to security constraints".into())
        }
    );
    assert!(!e.outcome_unknown(), "a write refused by an ACL did not run");
    assert!(e.to_string().contains("ACL Exception Update Failed"), "{e}");
    assert_eq!(e.short(), "not permitted");
    assert_eq!(s.hits(), 2);
}

#[tokio::test]
async fn an_api_that_is_not_installed_is_named_and_never_retried() {
    let s = Stub::spawn(|_, _, _| failure(400, "Requested URI does not represent any resource", None)).await;
    let c = client(&s.url);
    let e = c.trigger_flow("f00d", &trigger_inputs()).await.unwrap_err();
    assert_eq!(e, Error::NotInstalled { path: "/api/sn_fd/flow/f00d/run".into() });
    assert_eq!(e.to_string(), "not installed or misconfigured: /api/sn_fd/flow/f00d/run");
    assert!(!e.outcome_unknown() && e.is_refusal());
    assert_eq!(s.hits(), 1, "sent once");
    // A read: not retried either, and the companion API counts as absent.
    assert!(matches!(c.execution_status("e1").await, Err(Error::NotInstalled { .. })));
    assert_eq!(s.hits(), 2);
    assert_eq!(c.execution_detail("e1").await.unwrap(), None);
    assert_eq!(s.hits(), 3);
}

#[tokio::test]
async fn after_a_write_is_sent_anything_but_a_decoded_answer_is_outcome_unknown() {
    let html = "<!DOCTYPE html><html><body>Your instance is hibernating</body></html>";
    let answers: Vec<(&str, Response)> = vec![
        ("a proxy's 200 page", reply(200, "text/html", html)),
        ("malformed JSON", reply(200, "application/json", r#"{"result":{"sys_id":"#)),
        ("200 without the record", reply(200, "application/json", r#"{"ok":true}"#)),
        ("a gateway's 502 page", reply(502, "text/html", "<html><body>Bad Gateway</body></html>")),
        ("an empty 504", reply(504, "text/plain", "")),
    ];
    for (what, answer) in answers {
        let answer = Arc::new(parking_lot::Mutex::new(Some(answer)));
        let a = Arc::clone(&answer);
        let s = Stub::spawn(move |_, _, _| a.lock().take().unwrap_or_else(|| reply(500, "text/plain", "again"))).await;
        let c = client(&s.url);
        let e = c.set_entry_state(Entity::Outbound, "a1b2", "ready").await.unwrap_err();
        assert!(e.outcome_unknown(), "{what}: {e:?}");
        assert!(e.to_string().starts_with("outcome unknown: PATCH /api/now/table/"), "{what}: {e}");
        assert_eq!(e.exit_code(), hubtop::exit::FAILED, "{what}");
        assert_eq!(s.hits(), 1, "{what}: never re-sent");
    }
    // The same HTML page to a read is "not an instance", tried twice.
    let s = Stub::spawn(move |_, _, _| reply(200, "text/html", html)).await;
    let e = client(&s.url).list(&ListSpec::new("x")).await.unwrap_err();
    assert!(matches!(e, Error::NotAnInstance { .. }), "{e:?}");
    assert_eq!(s.hits(), 2);
}

#[tokio::test]
async fn a_write_whose_connection_drops_after_sending_is_unknown_and_one_never_sent_is_not() {
    // A server that reads the request and closes without answering.
    let (url, accepted) = raw(|sock| async move { drop(sock) }).await;
    let c = client(&url);
    let e = c.trigger_flow("f00d", &trigger_inputs()).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "a trigger is never re-sent");

    // Nothing listens: the write was never sent, so it is a plain failure (retried).
    let port = crate::common::stub::closed_port();
    let mut cfg =
        ClientConfig::new(&format!("http://127.0.0.1:{port}"), Auth::Basic { user: "a".into(), password: "b".into() });
    cfg.read_attempts = 2;
    let e = Client::new(cfg).unwrap().trigger_flow("f00d", &trigger_inputs()).await.unwrap_err();
    assert!(matches!(e, Error::Network(_)) && !e.outcome_unknown(), "{e:?}");
    assert_eq!(e.exit_code(), hubtop::exit::UNREACHABLE);
}

#[tokio::test]
async fn one_bad_value_does_not_blank_the_page() {
    // A lone surrogate, an unknown escape and a raw control character, one field each.
    let page = r#"{"result":[
        {"sys_id":"1","number":"OUT1","last_error":"ok"},
        {"sys_id":"2","number":"OUT2","last_error":"bad \ud800 value"},
        {"sys_id":"3","number":"OUT3","last_error":"esc \q and raw	tab"}
    ]}"#;
    let s = Stub::spawn(move |_, _, _| reply(200, "application/json", page)).await;
    let c = client(&s.url);
    let rows = c.list(&ListSpec::new("ih_sync_outbound_record")).await.unwrap().records;
    let numbers: Vec<&str> = rows.iter().map(|r| r.get("number")).collect();
    assert_eq!(numbers, ["OUT1", "OUT2", "OUT3"]);
    assert_eq!(rows[1].get("last_error"), "bad \u{fffd} value");
    assert_eq!(rows[2].get("last_error"), "esc \u{fffd} and raw tab", "the sanitiser still runs");
    // What `get -o json` prints: every row too.
    assert_eq!(c.list_raw(&ListSpec::new("ih_sync_outbound_record")).await.unwrap().len(), 3);
}

#[tokio::test]
async fn credentials_in_the_instance_url_are_refused_and_no_error_shows_a_secret() {
    let cfg = ClientConfig::new(
        &format!("https://admin:{SECRET}@example.service-now.com/"),
        Auth::Basic { user: "admin".into(), password: SECRET.into() },
    );
    assert_eq!(cfg.base_url, "https://example.service-now.com");
    assert!(!format!("{cfg:?}").contains(SECRET));
    let e = Client::new(cfg).err().expect("refused");
    assert!(e.to_string().contains("carries credentials") && e.to_string().contains("HUBTOP_PASSWORD"), "{e}");
    assert_eq!(e.exit_code(), hubtop::exit::USAGE);

    // Every error kind the client makes, from a client holding secrets: none shows them.
    let s = Stub::spawn(|_, path, _| match path.rsplit('/').next().unwrap_or("") {
        "oauth_token.do" => reply(
            200,
            "application/json",
            &json!({"access_token": format!("tok-{SECRET}"), "expires_in": 1800}).to_string(),
        ),
        "401" => failure(401, "User Not Authenticated", Some("Required to provide Auth information")),
        "403" => failure(403, "Operation Failed", Some("ACL Exception Update Failed due to security constraints")),
        "400" => failure(400, "Requested URI does not represent any resource", None),
        "404" => failure(404, "No Record found", Some("Record doesn't exist or ACL restricts the record retrieval")),
        "429" => Response::builder().status(429).header("retry-after", "3540").body(Body::empty()).unwrap(),
        "500" => failure(500, "boom", None),
        "html" => reply(200, "text/html", "<html><body>login</body></html>"),
        _ => reply(200, "application/json", "{garbage"),
    })
    .await;
    let mut errors = Vec::new();
    for auth in [
        Auth::Basic { user: "admin".into(), password: SECRET.into() },
        Auth::OAuthClient { client_id: "hubtop".into(), client_secret: SECRET.into() },
    ] {
        let mut cfg = ClientConfig::new(&s.url, auth);
        cfg.read_attempts = 1;
        assert!(!format!("{cfg:?}").contains(SECRET));
        let c = Client::new(cfg).unwrap();
        for p in ["401", "403", "400", "404", "500", "html", "garbage", "429"] {
            errors.push(c.get_json(&format!("/api/now/table/x/{p}"), &[]).await.unwrap_err());
            errors.push(
                c.send(
                    reqwest::Method::PATCH,
                    &format!("/api/now/table/x/{p}"),
                    &[],
                    Some(&json!({})),
                    hubtop::client::Idempotence::Write,
                )
                .await
                .err()
                .unwrap(),
            );
        }
    }
    assert!(errors.iter().any(|e| matches!(e, Error::Forbidden { .. })));
    assert!(errors.iter().any(|e| e.outcome_unknown()));
    for e in &errors {
        for shown in [e.to_string(), format!("{e:?}"), e.short()] {
            assert!(!shown.contains(SECRET), "{shown}");
        }
    }
}
