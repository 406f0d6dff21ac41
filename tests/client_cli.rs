//! The CLI over a stub that answers as a real instance does: what the client reports
//! reaches stderr and the exit code truthfully (403 → 5 with the instance's words; a
//! page with one bad value → exit 0; credentials in the URL → refused without echoing
//! them; a write answered by a proxy's page → "outcome unknown", exit 6, sent once).

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use serde_json::json;

/// A stub instance on its own runtime thread; `answer(method, path)`.
fn stub(answer: impl Fn(&Method, &str) -> Response + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
    let writes = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&writes);
    let answer = Arc::new(answer);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let app = axum::Router::new().fallback(move |req: Request| {
                let (answer, w) = (Arc::clone(&answer), Arc::clone(&w));
                async move {
                    if req.method() != Method::GET {
                        w.fetch_add(1, Ordering::SeqCst);
                    }
                    answer(req.method(), req.uri().path())
                }
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap())).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), writes)
}

fn reply(status: u16, content_type: &str, body: String) -> Response {
    Response::builder().status(status).header("content-type", content_type).body(Body::from(body)).unwrap()
}

fn hubtop(dir: &std::path::Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hubtop"))
        .args(["--instance", url, "--user", "admin"])
        .args(args)
        .env("HUBTOP_PASSWORD", "pw")
        .env("HUBTOP_CONFIG_DIR", dir.join("config"))
        .env("HUBTOP_DATA_DIR", dir.join("data"))
        .env_remove("HUBTOP_PROFILE")
        .output()
        .unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hubtop-client-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_read_acl_refusal_exits_5_with_the_instances_message_and_detail() {
    let (url, _) = stub(|_, _| {
        let body = json!({"error": {"message": "Insufficient rights to query records",
            "detail": "Field(s) present in the query do not have permission to be read"}, "status": "failure"});
        reply(403, "application/json", body.to_string())
    });
    let o = hubtop(&tmp("403"), &url, &["get", "outbound"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("Insufficient rights to query records") && err.contains("do not have permission"), "{err}");
    assert!(!err.contains("authentication"), "{err}");
}

#[test]
fn a_page_with_one_bad_value_prints_every_row_and_exits_0() {
    let (url, _) = stub(|_, _| {
        let page =
            r#"{"result":[{"sys_id":"1","number":"OUT1"},{"sys_id":"2","number":"OUT2","last_error":"x\ud800y"}]}"#;
        reply(200, "application/json", page.to_string())
    });
    let o = hubtop(&tmp("lenient"), &url, &["get", "outbound", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(2), "{rows}");
    assert_eq!(rows[1]["last_error"], "x\u{fffd}y");
}

#[test]
fn credentials_in_the_instance_url_are_refused_without_echoing_them() {
    let o = hubtop(&tmp("creds"), "http://admin:Hunter2-Secret@127.0.0.1:1", &["get", "providers"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let all = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    assert!(all.contains("carries credentials"), "{all}");
    assert!(!all.contains("Hunter2-Secret"), "{all}");
}

#[test]
fn a_retry_answered_by_a_proxy_page_is_outcome_unknown_sent_once() {
    let (url, writes) = stub(|m, _| match *m {
        Method::GET => reply(
            200,
            "application/json",
            json!({"result": [{"sys_id": "e1", "number": "OUT1", "state": "error"}]}).to_string(),
        ),
        _ => reply(200, "text/html", "<html><body>Gateway says hello</body></html>".into()),
    });
    let dir = tmp("unknown");
    let o = hubtop(&dir, &url, &["retry", "OUT1"]);
    let err = stderr(&o);
    // Its own exit code (issue 22): a script can tell "do not resend blindly" from "failed".
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(err.contains("outcome unknown"), "{err}");
    assert_eq!(writes.load(Ordering::SeqCst), 1, "sent once");
    let audit = std::fs::read_to_string(dir.join("data/audit.jsonl")).unwrap_or_default();
    assert!(audit.contains("\"unknown\""), "{audit}");
}

/// Issue 12 item 15: a URL that is not an instance (some other API answering 404 with its
/// own JSON) is "not an instance", exit 4 as the README says, not a bare "Not Found".
#[test]
fn a_url_that_is_not_an_instance_exits_4() {
    let (url, _) = stub(|_, _| reply(404, "application/json", json!({"message": "Not Found"}).to_string()));
    let o = hubtop(&tmp("notinstance"), &url, &["get", "outbound"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a ServiceNow instance"), "{}", stderr(&o));
    // A real instance's 404 (its error envelope) for a missing record stays "not found".
    let envelope =
        json!({"error": {"message": "No Record found", "detail": "Record doesn't exist"}, "status": "failure"});
    let (url, _) = stub(move |_, _| reply(404, "application/json", envelope.to_string()));
    let o = hubtop(&tmp("norecord"), &url, &["rerun", "0123456789abcdef0123456789abcdef"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("No Record found"), "{}", stderr(&o));
}
