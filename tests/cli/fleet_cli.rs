//! Many instances from the command line, against two embedded instances (`hubtop sim`)
//! and instances that are not there: `hubtop profiles` tells which answer (at once, each
//! within a short timeout, without a secret), and `get --profile a,b` merges both,
//! each record saying whose it is, and reports a failing profile after the others.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use crate::common::TempDir;
use crate::common::proc::{Sim, command};
use crate::common::stub::{Held, closed_port, html, silent_counted};

fn sim() -> Sim {
    Sim::start(&[])
}

fn profile(name: &str, url: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\ninstance = \"{url}\"\nuser = \"admin\"\nsecret = {{ env = \"FLEET_TEST_PW\" }}\n{extra}\n"
    )
}

fn config_dir(name: &str, profiles: &[String]) -> TempDir {
    let dir = TempDir::new(&format!("fleet-cli-{name}"));
    std::fs::write(dir.join("config.toml"), profiles.concat()).expect("config");
    dir
}

fn hubtop(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).env("FLEET_TEST_PW", "admin").output().expect("hubtop runs")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn profiles_tells_which_instances_answer_at_once_and_without_a_secret() {
    let (sa, sb) = (sim(), sim());
    let (a, b) = (sa.url.clone(), sb.url.clone());
    let down = format!("http://127.0.0.1:{}", closed_port());
    let held = Arc::new(Held::default());
    let dir = config_dir(
        "profiles",
        &[
            profile("a", &a, ""),
            profile("b", &b, "read_only = true\nproduction = true"),
            profile("down", &down, ""),
            profile("html", &html(), ""),
            profile("hung1", &silent_counted(Arc::clone(&held)), ""),
            profile("hung2", &silent_counted(Arc::clone(&held)), ""),
        ],
    );
    // No secret in the environment: the probe needs none.
    let o = command(&dir).args(["profiles", "-o", "json"]).env_remove("FLEET_TEST_PW").output().expect("runs");
    // Probed concurrently: both hung instances held a connection at the same time (one
    // after the other, the first would have been given up before the second was asked).
    assert!(held.accepted.load(Ordering::SeqCst) >= 2, "each hung instance was asked");
    assert!(held.most_open.load(Ordering::SeqCst) >= 2, "both asked at once");
    assert_eq!(o.status.code(), Some(4), "some do not answer: exit 4; stderr {}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let row = |n: &str| v.as_array().and_then(|a| a.iter().find(|r| r["profile"] == n)).cloned().expect(n);
    for n in ["a", "b"] {
        assert_eq!(row(n)["answers"], true, "{n}: {}", row(n));
        assert_eq!(row(n)["auth"], "basic");
    }
    assert!(row("a")["status"].as_str().unwrap().contains("401"), "an anonymous request is refused: {}", row("a"));
    assert_eq!((row("b")["read_only"].clone(), row("b")["production"].clone()), (Value::Bool(true), Value::Bool(true)));
    assert_eq!(row("a")["instance"], a.as_str());
    assert_eq!(row("down")["answers"], false);
    assert!(row("down")["status"].as_str().unwrap().contains("unreachable"), "{}", row("down"));
    assert_eq!(row("html")["answers"], false);
    assert!(row("html")["status"].as_str().unwrap().contains("not an instance"), "{}", row("html"));
    assert!(row("hung1")["status"].as_str().unwrap().contains("no answer"), "{}", row("hung1"));
    // The table: one line per profile, with the marks.
    let o = hubtop(&dir, &["profiles"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().next().unwrap_or("").starts_with("PROFILE"), "{out}");
    let line = |n: &str| out.lines().find(|l| l.starts_with(&format!("{n} "))).unwrap_or("").to_string();
    assert!(line("b").contains("read-only, prod") && line("b").contains("✔ answers"), "{out}");
    assert!(line("down").contains("✖ no answer"), "{out}");
}

#[test]
fn get_from_several_profiles_merges_them_and_reports_a_failing_one_after_the_others() {
    let (sa, sb) = (sim(), sim());
    let (a, b) = (sa.url.clone(), sb.url.clone());
    let down = format!("http://127.0.0.1:{}", closed_port());
    let dir = config_dir("get", &[profile("a", &a, ""), profile("b", &b, ""), profile("down", &down, "")]);
    let o = hubtop(&dir, &["get", "providers", "--profile", "a,b", "-o", "json", "--limit", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let rows = v.as_array().expect("an array");
    let whose = |p: &str| rows.iter().filter(|r| r["profile"] == p).count();
    assert_eq!((whose("a"), whose("b"), rows.len()), (3, 3, 6), "{v}");
    assert!(
        rows.iter().all(|r| r["sys_id"].is_string() && r["title"].is_string()),
        "records as the instance sent them"
    );
    // The table has a profile column.
    let o = hubtop(&dir, &["get", "providers", "--profile", "a,b", "--limit", "2"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().next().unwrap_or("").starts_with("PROFILE"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("a ")).count(), 2, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("b ")).count(), 2, "{out}");
    // One profile down: the others print, then the failure, and the exit code says so.
    let o = hubtop(&dir, &["get", "providers", "--profile", "a,down", "-o", "json", "--limit", "2"]);
    assert_eq!(o.status.code(), Some(4), "unreachable: {}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v.as_array().map(Vec::len), Some(2), "a's rows still print: {v}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("profile down:"), "{err}");
    // A list is for `get` only.
    let o = hubtop(&dir, &["retry", "ISO1", "--profile", "a,b"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("for `get` only"));
}
