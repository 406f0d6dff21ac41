//! The real binary against a `hubtop sim` child process: `get` in both formats and with
//! every filter, actions and their exit codes, authentication and reachability errors,
//! usage errors, read-only refusals that send nothing, completions.

use std::process::{Output, Stdio};

use serde_json::Value;

use crate::common::TempDir;
use crate::common::proc::{Sim, command, stdout, text};

fn start_sim() -> Sim {
    Sim::start(&["--retry-interval", "3600"])
}

fn run(sim: &Sim, password: &str, args: &[&str]) -> Output {
    sim.run_as(password, args)
}

fn hubtop(sim: &Sim, args: &[&str]) -> Output {
    sim.run(args)
}

fn json_rows(sim: &Sim, args: &[&str]) -> Vec<Value> {
    let mut a = args.to_vec();
    a.extend(["-o", "json"]);
    let o = hubtop(sim, &a);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    match serde_json::from_slice::<Value>(&o.stdout) {
        Ok(Value::Array(v)) => v,
        other => panic!("`-o json` prints an array: {other:?}\n{}", text(&o)),
    }
}

fn api(sim: &Sim, path: &str) -> Value {
    sim.api(path)
}

fn rows(sim: &Sim, table: &str, query: &str) -> Vec<Value> {
    sim.rows(table, query)
}

fn wait_rows(sim: &Sim, table: &str, query: &str, what: &str) -> Vec<Value> {
    sim.wait_rows(table, query, what)
}

fn provider_id(sim: &Sim, title: &str) -> String {
    sim.provider(title)
}

const OUTBOUND: &str = "ih_sync_outbound_record";
const WORK_ORDERS: &str = "sn_wsd_core_workplace_task";
const HISTORY: &str = hubtop::sim::schema::HISTORY;

#[test]
fn get_every_kind_in_both_formats_with_filters() {
    let sim = start_sim();
    let keystone = provider_id(&sim, "Keystone Property Services");
    // Let the demo produce its first failure and its first inbound/history rows.
    wait_rows(&sim, OUTBOUND, &format!("state=error^provider={keystone}"), "Keystone's create to fail");

    for (kind, field) in [
        ("providers", "title"),
        ("workorders", "number"),
        ("outbound", "number"),
        ("inbound", "sys_id"),
        ("executions", "name"),
        ("history", "operation"),
    ] {
        let o = hubtop(&sim, &["get", kind, "-o", "table"]);
        assert_eq!(o.status.code(), Some(0), "{kind}: {}", text(&o));
        let rows = json_rows(&sim, &["get", kind]);
        for r in &rows {
            assert!(r["sys_id"].is_string(), "{kind}: ServiceNow field names: {r}");
            assert!(r.get(field).is_some(), "{kind}: has `{field}`: {r}");
            assert!(r.get("sys_updated_on").is_some(), "{kind}: {r}");
        }
        if kind != "inbound" {
            assert!(!rows.is_empty(), "{kind}: the demo has rows");
            assert!(stdout(&o).lines().count() >= 2, "{kind}: a header and rows:\n{}", text(&o));
        }
    }
    let o = hubtop(&sim, &["get", "providers"]);
    assert!(stdout(&o).contains("Acme Facilities"), "{}", text(&o));
    assert!(stdout(&o).contains("Keystone Property Services"));

    // --state
    let errors = json_rows(&sim, &["get", "outbound", "--state", "error"]);
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|r| r["state"] == "error"), "{errors:?}");
    let o = hubtop(&sim, &["get", "outbound", "--state", "error"]);
    assert!(stdout(&o).contains("401"), "the table shows the error:\n{}", text(&o));

    // --provider, by title and by sys_id
    let acme = provider_id(&sim, "Acme Facilities");
    for p in ["Acme Facilities", acme.as_str()] {
        let wos = json_rows(&sim, &["get", "workorders", "--provider", p]);
        assert!(wos.len() >= 3, "{wos:?}");
        assert!(wos.iter().all(|r| r["fm_provider"] == acme.as_str()), "{wos:?}");
    }
    let o = hubtop(&sim, &["get", "workorders", "--provider", "Nobody Ltd"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // --query, ANDed with the others
    let ns = json_rows(&sim, &["get", "workorders", "--query", "integration_state=not_synced"]);
    assert_eq!(ns.len(), 1, "{ns:?}");
    assert_eq!(ns[0]["short_description"], "Install new whiteboard in room 2.07");
    let none = json_rows(
        &sim,
        &["get", "workorders", "--query", "integration_state=not_synced", "--provider", "Keystone Property Services"],
    );
    assert!(none.is_empty());
    // A real instance ignores a term on a field it does not have: warned, not refused.
    let o = hubtop(&sim, &["get", "workorders", "--query", "nosuchfield=1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has no field nosuchfield"), "{}", text(&o));
    let o = hubtop(&sim, &["get", "workorders", "--query", "state~x"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let limited = json_rows(&sim, &["get", "workorders", "--limit", "2"]);
    assert_eq!(limited.len(), 2);
}

#[test]
fn actions_and_their_exit_codes() {
    let sim = start_sim();
    let keystone = provider_id(&sim, "Keystone Property Services");
    let failed = wait_rows(&sim, OUTBOUND, &format!("state=error^provider={keystone}"), "Keystone's create to fail");
    let entry = failed[0]["number"].as_str().unwrap().to_string();
    let entry_id = failed[0]["sys_id"].as_str().unwrap().to_string();

    // retry --no-follow: a PATCH to ready, exit 0 once accepted (audited "sent"; a
    // followed retry is in trust_cli).
    let o = hubtop(&sim, &["retry", "--no-follow", &entry]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout(&o).contains(&entry) && stdout(&o).contains("ready"), "{}", text(&o));
    let counters = api(&sim, "/sim/counters");
    assert_eq!(counters["patches_by_id"][&entry_id], 1, "{counters}");

    // skip
    let failed2 =
        wait_rows(&sim, OUTBOUND, &format!("state=error^provider={keystone}^number!={entry}"), "another failure");
    let e2 = failed2[0]["number"].as_str().unwrap().to_string();
    let o = hubtop(&sim, &["skip", &e2]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(rows(&sim, OUTBOUND, &format!("number={e2}"))[0]["state"], "skipped");
    let o = hubtop(&sim, &["retry", "ISO9999999"]);
    assert_eq!(o.status.code(), Some(7), "not found: {}", text(&o));
    // A processed entry is refused as the console refuses it: the same rule, the same
    // words (both ask crate::domain::rules through crate::ops), exit 2, nothing sent.
    let done = wait_rows(&sim, OUTBOUND, "state=processed", "a processed entry");
    let (number, id) = (done[0]["number"].as_str().unwrap(), done[0]["sys_id"].as_str().unwrap());
    let o = hubtop(&sim, &["retry", number]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("only entries in error or skipped are retried (this one is processed)"), "{}", text(&o));
    assert!(api(&sim, "/sim/counters")["patches_by_id"].get(id).is_none(), "nothing sent");

    // create the not-synced work order at Acme: success.
    let wo = rows(&sim, WORK_ORDERS, "integration_state=not_synced")[0]["number"].as_str().unwrap().to_string();
    let o = hubtop(&sim, &["create", &wo]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout(&o).contains("success"), "{}", text(&o));
    assert_eq!(rows(&sim, WORK_ORDERS, &format!("number={wo}"))[0]["integration_state"], "created");

    // update with a comment, then cancel it.
    let o = hubtop(&sim, &["update", &wo, "--comment", "Escalated by caller"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout(&o).contains("success"), "{}", text(&o));
    let o = hubtop(&sim, &["update", &wo]);
    assert_eq!(o.status.code(), Some(2), "update needs --set or --comment: {}", text(&o));
    let o = hubtop(&sim, &["cancel", &wo]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout(&o).contains("success"), "{}", text(&o));
    let w = &rows(&sim, WORK_ORDERS, &format!("number={wo}"))[0];
    assert_eq!(w["integration_state"], "cancelled");
    assert_eq!(w["state"], "canceled");
    // Cancelling it again is refused before anything is sent, as the console does.
    let history = |w: &Value| rows(&sim, HISTORY, &format!("task={}", w["sys_id"].as_str().unwrap())).len();
    let before = history(w);
    let o = hubtop(&sim, &["cancel", &wo]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already cancelled"), "{}", text(&o));
    assert_eq!(history(w), before, "no flow ran");

    // create against Keystone (broken credentials): the flow fails, exit 1.
    let kwo = rows(&sim, WORK_ORDERS, &format!("fm_provider={keystone}"))[0]["number"].as_str().unwrap().to_string();
    let o = hubtop(&sim, &["create", &kwo]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stdout(&o).contains("failed") && stdout(&o).contains("401"), "{}", text(&o));
    let o = hubtop(&sim, &["create", "WPT0000000"]);
    assert_eq!(o.status.code(), Some(7), "unknown work order: {}", text(&o));

    // The audit log has both lines of every action sent, each with its outcome (the
    // unfollowed retry is "sent"; the refusals before sending are one "refused" line
    // each, not actions sent).
    let audited = crate::common::audit::outcomes(&sim.dir.join("audit.jsonl"));
    let outcomes: Vec<&str> = audited.iter().map(|(_, o)| o.as_str()).collect();
    assert_eq!(outcomes, ["sent", "ok", "ok", "ok", "ok", "failed"], "{audited:?}");
}

#[test]
fn authentication_reachability_and_usage_errors() {
    let sim = start_sim();
    let o = run(&sim, "wrong", &["get", "providers"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let o = run(&sim, "wrong", &["retry", "ISO0001001"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    let o = command(&sim.dir)
        .args(["--instance", "http://127.0.0.1:1", "--user", "admin", "get", "providers"])
        .env("HUBTOP_PASSWORD", "admin")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));

    for args in [
        &["frobnicate"][..],
        &["get", "providers", "--frobnicate"],
        &["get", "nothing"],
        &["get", "outbound", "-o", "xml"],
    ] {
        let o = hubtop(&sim, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
    }
    // --instance without credentials.
    let o = command(&sim.dir).args(["--instance", &sim.url, "get", "providers"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // Read-only: refused before anything is sent.
    let before = api(&sim, "/sim/counters");
    for args in [
        &["--read-only", "retry", "ISO0001001"][..],
        &["--read-only", "cancel", "WPT0001001"],
        &["--read-only", "skip", "ISO0001001"],
    ] {
        let o = hubtop(&sim, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("read-only"), "{}", text(&o));
    }
    let after = api(&sim, "/sim/counters");
    assert_eq!(after["patches_by_id"], before["patches_by_id"], "no PATCH");
    assert_eq!(after["trigger_posts"], before["trigger_posts"]);
    assert_eq!(after["writes"], before["writes"]);
    assert_eq!(after["patches_by_id"].as_object().map(|m| m.len()), Some(0));
    // Reads are fine read-only.
    let o = hubtop(&sim, &["--read-only", "get", "providers"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = command(&sim.dir).args(["completions", "bash"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(s.contains("hubtop") && s.contains("complete"), "{s}");
    assert!(s.len() > 1000);
}

#[test]
fn the_console_refuses_without_a_terminal_and_the_cli_still_works() {
    let dir = TempDir::new("noterm");
    let out = command(&dir).stdin(Stdio::null()).output().expect("hubtop runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "usage exit code: {err}");
    assert!(err.contains("needs a terminal"), "says why: {err}");
    assert!(err.contains("hubtop get"), "says what works instead: {err}");
    assert!(out.stdout.is_empty(), "no escape sequences on a pipe: {:?}", String::from_utf8_lossy(&out.stdout));
    let sim = start_sim();
    let got = hubtop(&sim, &["get", "providers"]);
    assert!(got.status.success(), "{}", text(&got));
    assert!(stdout(&got).contains("Acme"), "{}", text(&got));
}
