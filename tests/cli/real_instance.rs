//! hubtop against an instance shaped like a real one (issue 13), the real binary against
//! `hubtop sim` child processes: `doctor` on a whole instance and on broken ones, and the
//! actions with only the documented APIs (`--without flow-trigger,companion`): cancel and
//! update as a PATCH of the work order that IFM turns into the provider's subflow,
//! followed through integration state and sync history; create refused with what to
//! configure; with the routes back, the trigger paths work.

use std::process::{Command, Output};

use serde_json::Value;

use crate::common::proc::{Sim, command as hubtop_in};

const WORK_ORDERS: &str = "sn_wsd_core_workplace_task";
const HISTORY: &str = "sn_wsd_case_task_sync_history";

fn start_sim(extra: &[&str]) -> Sim {
    let mut args = vec!["--retry-interval", "3600"];
    args.extend_from_slice(extra);
    Sim::start(&args)
}

fn command(sim: &Sim) -> Command {
    let mut c = hubtop_in(&sim.dir);
    c.env("HUBTOP_PASSWORD", "admin");
    c
}

fn hubtop(sim: &Sim, args: &[&str]) -> Output {
    command(sim).args(["--instance", &sim.url, "--user", "admin"]).args(args).output().expect("run hubtop")
}

/// With a profile `p` in the sim's config directory (`extra` added to it).
fn with_profile(sim: &Sim, extra: &str, args: &[&str]) -> Output {
    let cfg = format!(
        "[profiles.p]\ninstance = \"{}\"\nuser = \"admin\"\nsecret = {{ env = \"HUBTOP_PASSWORD\" }}\n{extra}",
        sim.url
    );
    std::fs::write(sim.dir.join("config.toml"), cfg).unwrap();
    command(sim).args(["--profile", "p"]).args(args).output().expect("run hubtop")
}

fn text(o: &Output) -> String {
    crate::common::proc::text(o)
}

fn rows(sim: &Sim, table: &str, query: &str) -> Vec<Value> {
    sim.rows(table, query)
}

fn wait_rows(sim: &Sim, table: &str, query: &str, what: &str) -> Vec<Value> {
    sim.wait_rows(table, query, what)
}

fn counter(sim: &Sim, name: &str) -> u64 {
    sim.counter(name)
}

/// The doctor's ✖ lines, each with its fix.
fn failures(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout);
    let mut lines = out.lines().peekable();
    let mut s = String::new();
    while let Some(l) = lines.next() {
        if l.starts_with('✖') {
            s.push_str(l);
            s.push('\n');
            if let Some(fix) = lines.next_if(|n| n.trim_start().starts_with("fix:")) {
                s.push_str(fix);
                s.push('\n');
            }
        }
    }
    s
}

#[test]
fn doctor_on_the_embedded_instance_passes_every_line() {
    let sim = start_sim(&[]);
    let o = hubtop(&sim, &["doctor"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains('✖'), "{out}");
    for line in
        ["role sn_wsd_case.manager", "Work orders table sn_wsd_core_workplace_task", "companion API", "create trigger"]
    {
        assert!(out.contains(line), "{line}: {out}");
    }
}

#[test]
fn doctor_names_a_missing_field_and_how_to_map_it() {
    let sim = start_sim(&["--break", "field:sn_wsd_core_workplace_task.fm_work_order_id"]);
    let o = hubtop(&sim, &["doctor"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let f = failures(&o);
    assert!(f.contains("✖ sn_wsd_core_workplace_task.fm_work_order_id is missing"), "{f}");
    assert!(f.contains("fix: ") && f.contains("mapping.fields.work_orders] fm_work_order_id"), "{f}");
    assert_eq!(f.matches('✖').count(), 1, "only that line: {f}");
}

#[test]
fn doctor_names_a_missing_table_and_how_to_map_it() {
    let sim = start_sim(&["--break", &format!("table:{HISTORY}")]);
    let o = hubtop(&sim, &["doctor"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let f = failures(&o);
    assert!(f.contains(&format!("✖ Sync history table {HISTORY} not found")), "{f}");
    assert!(f.contains("fix: ") && f.contains("tables] history = "), "{f}");
}

#[test]
fn doctor_names_a_missing_role_and_who_grants_it() {
    // admin holds every role, so the user is also without admin here.
    let sim = start_sim(&["--break", "role:admin", "--break", "role:flow_operator"]);
    let o = hubtop(&sim, &["doctor"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let f = failures(&o);
    assert!(f.contains("✖ role flow_operator is missing for admin"), "{f}");
    assert!(f.contains("fix: an admin grants flow_operator to admin"), "{f}");
    assert_eq!(f.matches('✖').count(), 1, "{f}");
}

#[test]
fn with_only_the_documented_apis_cancel_and_update_work_and_create_says_what_to_configure() {
    let sim = start_sim(&["--without", "flow-trigger,companion"]);
    // The demo's work orders at the healthy provider are created through the queue.
    let acme =
        rows(&sim, "sn_wsd_case_fm_provider", "title=Acme Facilities")[0]["sys_id"].as_str().unwrap().to_string();
    let created =
        wait_rows(&sim, WORK_ORDERS, &format!("integration_state=created^fm_provider={acme}"), "a created work order");
    let wo = created[0]["number"].as_str().unwrap().to_string();
    let id = created[0]["sys_id"].as_str().unwrap().to_string();
    let history = |op: &str| rows(&sim, HISTORY, &format!("task={id}^operation={op}"));

    // Update: a comment and a field, one PATCH; IFM runs the update subflow; followed.
    let o = hubtop(&sim, &["update", &wo, "--set", "priority=1", "--comment", "Escalated by caller"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("success"), "{}", text(&o));
    let h = history("update");
    assert_eq!(h.len(), 1, "one update ran: {h:?}");
    let w = &rows(&sim, WORK_ORDERS, &format!("sys_id={id}"))[0];
    assert_eq!(w["priority"], "1");
    assert_eq!(w["integration_state"], "created");

    // Cancel: the work order's state set to canceled.
    let o = hubtop(&sim, &["cancel", &wo]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("success"), "{}", text(&o));
    assert_eq!(history("cancel").len(), 1);
    let w = &rows(&sim, WORK_ORDERS, &format!("sys_id={id}"))[0];
    assert_eq!((w["state"].as_str(), w["integration_state"].as_str()), (Some("canceled"), Some("cancelled")));
    assert_eq!(counter(&sim, "trigger_posts"), 0, "no trigger was posted for update or cancel");

    // Create: no trigger on this instance — refused, with what to configure, exit 2.
    let wait = wait_rows(&sim, WORK_ORDERS, "integration_state=not_synced", "a work order not synced");
    let ns = wait[0]["number"].as_str().unwrap();
    let o = hubtop(&sim, &["create", ns]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("create needs a trigger") && err.contains("triggers] create = \"companion\""), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(rows(&sim, WORK_ORDERS, &format!("number={ns}"))[0]["integration_state"], "not_synced");

    // A profile without any trigger is refused before anything is sent.
    let o = with_profile(&sim, "[profiles.p.triggers]\ncreate = \"none\"\n", &["create", ns]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("none is configured"), "{}", text(&o));
}

#[test]
fn with_the_routes_back_the_trigger_paths_work() {
    let sim = start_sim(&[]);
    let ns = wait_rows(&sim, WORK_ORDERS, "integration_state=not_synced", "a work order not synced");
    let ns = ns[0]["number"].as_str().unwrap().to_string();
    // Through the companion, as a profile names it.
    let o = with_profile(&sim, "[profiles.p.triggers]\ncreate = \"companion\"\n", &["create", &ns]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("success"), "{}", text(&o));
    assert_eq!(rows(&sim, WORK_ORDERS, &format!("number={ns}"))[0]["integration_state"], "created");
    assert_eq!(counter(&sim, "trigger_posts"), 0, "the companion, not the Flow REST trigger");
    // `doctor --write` stores what it found in the profile, and the profile still loads.
    let o = with_profile(&sim, "", &["doctor", "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let cfg = std::fs::read_to_string(sim.dir.join("config.toml")).unwrap();
    assert!(cfg.contains("[profiles.p.mapping.known]") && cfg.contains("[profiles.p.triggers]"), "{cfg}");
    let o = command(&sim).args(["--profile", "p", "get", "workorders", "--query", "nosuchfield=1"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has no field nosuchfield"), "{}", text(&o));
}
