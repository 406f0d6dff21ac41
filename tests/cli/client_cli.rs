//! The CLI over a stub that answers as a real instance does: what the client reports
//! reaches stderr and the exit code truthfully (403 → 5 with the instance's words; a
//! page with one bad value → exit 0; credentials in the URL → refused without echoing
//! them; a write answered by a proxy's page → "outcome unknown", exit 6, sent once).

use std::process::Output;

use axum::http::Method;
use serde_json::json;

use crate::common::TempDir;
use crate::common::proc::{command, stderr};
use crate::common::stub::{Stub, reply};

/// `hubtop --instance URL --user admin ARGS` with its directories in `dir`.
fn hubtop(dir: &std::path::Path, url: &str, args: &[&str]) -> Output {
    command(dir).args(["--instance", url, "--user", "admin"]).args(args).env("HUBTOP_PASSWORD", "pw").output().unwrap()
}

fn tmp(name: &str) -> TempDir {
    TempDir::new(&format!("client-cli-{name}"))
}

#[test]
fn a_read_acl_refusal_exits_5_with_the_instances_message_and_detail() {
    let stub = Stub::thread(|_, _, _| {
        let body = json!({"error": {"message": "Insufficient rights to query records",
            "detail": "Field(s) present in the query do not have permission to be read"}, "status": "failure"});
        reply(403, "application/json", &body.to_string())
    });
    let o = hubtop(&tmp("403"), &stub.url, &["get", "outbound"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("Insufficient rights to query records") && err.contains("do not have permission"), "{err}");
    assert!(!err.contains("authentication"), "{err}");
}

#[test]
fn a_page_with_one_bad_value_prints_every_row_and_exits_0() {
    let stub = Stub::thread(|_, _, _| {
        let page =
            r#"{"result":[{"sys_id":"1","number":"OUT1"},{"sys_id":"2","number":"OUT2","last_error":"x\ud800y"}]}"#;
        reply(200, "application/json", page)
    });
    let o = hubtop(&tmp("lenient"), &stub.url, &["get", "outbound", "-o", "json"]);
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
    let stub = Stub::thread(|m, _, _| match *m {
        Method::GET => reply(
            200,
            "application/json",
            &json!({"result": [{"sys_id": "e1", "number": "OUT1", "state": "error"}]}).to_string(),
        ),
        _ => reply(200, "text/html", "<html><body>Gateway says hello</body></html>"),
    });
    let dir = tmp("unknown");
    let o = hubtop(&dir, &stub.url, &["retry", "OUT1"]);
    let err = stderr(&o);
    // Its own exit code (issue 22): a script can tell "do not resend blindly" from "failed".
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(err.contains("outcome unknown"), "{err}");
    assert_eq!(stub.writes(), 1, "sent once");
    let audited = crate::common::audit::outcomes(&dir.join("audit.jsonl"));
    assert_eq!(audited, [("ih_sync_outbound_record:e1".to_string(), "unknown".to_string())]);
}

/// Issue 12 item 15: a URL that is not an instance (some other API answering 404 with its
/// own JSON) is "not an instance", exit 4 as the README says, not a bare "Not Found".
#[test]
fn a_url_that_is_not_an_instance_exits_4() {
    let stub = Stub::thread(|_, _, _| reply(404, "application/json", &json!({"message": "Not Found"}).to_string()));
    let o = hubtop(&tmp("notinstance"), &stub.url, &["get", "outbound"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a ServiceNow instance"), "{}", stderr(&o));
    // A real instance's 404 (its error envelope) for a missing record stays "not found".
    let envelope =
        json!({"error": {"message": "No Record found", "detail": "Record doesn't exist"}, "status": "failure"});
    let stub = Stub::thread(move |_, _, _| reply(404, "application/json", &envelope.to_string()));
    let o = hubtop(&tmp("norecord"), &stub.url, &["rerun", "0123456789abcdef0123456789abcdef"]);
    assert_eq!(o.status.code(), Some(7), "not found: {}", stderr(&o));
    // In the words of every other not-found (the walkthrough: not the instance's raw text).
    assert!(stderr(&o).contains("no execution 0123456789abcdef0123456789abcdef"), "{}", stderr(&o));
}
