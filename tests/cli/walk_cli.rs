//! A new operator's walkthrough of the release binary (the CLI's defects): the exit code
//! of a command over several records is the most severe outcome, in a documented order;
//! a dry run refuses what the real command refuses; `get -o table` has the console's
//! columns; messages agree in grammar and with the console (provider titles in any case);
//! the audit's "done" lines name their record and every time has its zone; a missing
//! execution is "not found" like any record; a dry run over several records says once
//! that nothing was sent; a table the instance lacks exits with the documented code.

use serde_json::Value;

use crate::common::audit::lines;
use crate::common::proc::{Sim, stderr, stdout, text};

const OUTBOUND: &str = "ih_sync_outbound_record";
const HISTORY: &str = "sn_wsd_case_task_sync_history";

/// Keystone's entries in error (its credentials are broken: a retry fails again).
fn keystone_errors(sim: &Sim, n: usize) -> Vec<String> {
    let keystone = sim.provider("Keystone Property Services");
    let q = format!("state=error^provider={keystone}");
    crate::common::wait::until_some("Keystone's creates to fail", crate::common::wait::T, || {
        Some(sim.rows(OUTBOUND, &q)).filter(|r| r.len() >= n)
    })
    .iter()
    .map(|r| r["number"].as_str().unwrap().to_string())
    .collect()
}

fn audit(sim: &Sim) -> Vec<Value> {
    lines(&sim.dir.join("audit.jsonl"))
}

fn patches(sim: &Sim) -> usize {
    sim.counters()["patches_by_id"].as_object().map_or(0, |m| m.len())
}

/// Walkthrough #1: `retry FAILS MISSING` exited 7 ("not found … nothing was sent") though
/// one record was sent and failed again. The code is now the most severe outcome (1 here),
/// a last line counts the outcomes, and --help states the order and no longer claims that
/// nothing was sent.
#[test]
fn a_command_over_several_records_exits_with_its_most_severe_outcome() {
    let sim = Sim::quiet(&[]);
    let e = keystone_errors(&sim, 1).remove(0);
    let o = sim.run(&["retry", "--follow", "60", &e, "ISO9999999"]);
    assert_eq!(o.status.code(), Some(1), "sent and failed again outranks not found\n{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("no outbound or inbound entry ISO9999999"), "{}", text(&o));
    assert!(err.contains("retry of 2 entries: 1 failed, 1 not found; exit 1"), "{}", text(&o));

    // Not found alone is still 7.
    let o = sim.run(&["retry", "ISO9999999"]);
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));

    let help = stdout(&sim.command().arg("--help").output().unwrap());
    assert!(help.contains("most severe") && help.contains("6, 1, 4, 3, 5, 2, 7, 0"), "{help}");
    assert!(help.contains("7  not found: a record named does not exist (nothing was sent for it)"), "{help}");
}

/// Walkthrough #2: `--read-only retry --dry-run` printed `would send: PATCH …` and exited
/// 0, where the real command is refused (exit 2). A dry run now says what would happen:
/// refused, with the same reason and code, nothing on stdout, and no audit line.
#[test]
fn a_dry_run_is_refused_where_the_command_would_be() {
    let sim = Sim::quiet(&[]);
    let e = keystone_errors(&sim, 1).remove(0);
    let before = patches(&sim);
    let real = sim.run(&["--read-only", "retry", &e]);
    assert_eq!(real.status.code(), Some(2), "{}", text(&real));
    let audited = audit(&sim).len();
    let dry = sim.run(&["--read-only", "retry", "--dry-run", &e]);
    assert_eq!(dry.status.code(), real.status.code(), "the same code\n{}", text(&dry));
    assert_eq!(stdout(&dry), "", "nothing would be sent: {}", text(&dry));
    assert!(
        stderr(&dry).contains("refused: read-only (--read-only or the profile) forbids this command"),
        "{}",
        text(&dry)
    );
    assert_eq!(audit(&sim).len(), audited, "a dry run is never audited");
    assert_eq!(patches(&sim), before, "nothing was sent");
}

/// Walkthrough #3: `get -o table` ("the columns the console shows") had OPERATION /
/// DOCUMENT_ID / ATTEMPTS / NEXT_ATTEMPT and `RUN_TIME 3042`; the console shows OP /
/// RECORD / TRIES / NEXT and `3.1s`. The table now has the console's headers and cells,
/// and its help says that providers lack the console's HEALTH / OK % / ERR.
#[test]
fn get_table_has_the_console_columns_and_cells() {
    let sim = Sim::quiet(&[]);
    keystone_errors(&sim, 1);
    let o = sim.run(&["get", "outbound", "--state", "error"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = stdout(&o);
    let header: Vec<&str> = out.lines().next().unwrap_or_default().split_whitespace().collect();
    for h in ["NUMBER", "STATE", "OP", "RECORD", "PROVIDER", "TRIES", "NEXT"] {
        assert!(header.contains(&h), "{h} in {header:?}");
    }
    for h in ["OPERATION", "DOCUMENT_ID", "ATTEMPTS", "NEXT_ATTEMPT"] {
        assert!(!header.contains(&h), "no {h}: {header:?}");
    }
    // Tries of the most, as the console shows them.
    assert!(out.lines().skip(1).all(|l| l.contains(" (limit 3)")), "{out}");

    let o = sim.run(&["get", "executions", "--limit", "20"]);
    let out = stdout(&o);
    let head = out.lines().next().unwrap_or_default();
    assert!(head.contains("DURATION") && !head.contains("RUN_TIME"), "{out}");
    let with_unit = |w: &str| {
        let n = w.trim_end_matches("ms").trim_end_matches('s');
        n != w && n.replace('.', "").chars().all(|c| c.is_ascii_digit()) && !n.is_empty()
    };
    assert!(out.lines().skip(1).any(|l| l.split_whitespace().any(with_unit)), "a duration with its unit: {out}");

    // Wide: the same headers, then the kind's other fields (one headed FLOW already: by its name).
    let o = sim.run(&["get", "executions", "--limit", "3", "-o", "wide"]);
    let head = stdout(&o).lines().next().unwrap_or_default().to_string();
    let heads: Vec<&str> = head.split_whitespace().collect();
    assert!(heads.contains(&"DURATION") && heads.contains(&"flow"), "{head}");
    assert_eq!(heads.iter().filter(|h| **h == "FLOW").count(), 1, "{head}");

    let help = stdout(&sim.command().args(["get", "--help"]).output().unwrap());
    assert!(help.contains("Providers lack the console's HEALTH, OK % and ERR"), "{help}");
}

/// Walkthrough #4: "`On hold` is not a integration_state of work orders" (the article,
/// and no word on which field --state filters), and `--provider 'acme facilities'` was
/// refused though the console's filter ignores case.
#[test]
fn messages_have_their_article_and_provider_titles_ignore_case() {
    let sim = Sim::quiet(&[]);
    let o = sim.run(&["get", "workorders", "--state", "On hold"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("is not an integration_state of work orders"), "{err}");
    assert!(!err.contains(" a integration"), "{err}");
    assert!(err.contains("--state filters integration state") && err.contains("--query 'state="), "{err}");

    let exact = sim.run(&["get", "workorders", "--provider", "Acme Facilities", "-o", "name"]);
    assert_eq!(exact.status.code(), Some(0), "{}", text(&exact));
    let folded = sim.run(&["get", "workorders", "--provider", "acme facilities", "-o", "name"]);
    assert_eq!(folded.status.code(), Some(0), "{}", text(&folded));
    assert!(!stdout(&folded).is_empty(), "Acme's work orders: {}", text(&folded));
    // The same work orders (the newest first: one the seed was still sending between the
    // two commands may have moved, so compared as sets).
    let sorted = |o: &std::process::Output| {
        let mut v: Vec<String> = stdout(o).lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&folded), sorted(&exact), "the same provider");
    let help = stdout(&sim.command().args(["get", "--help"]).output().unwrap());
    assert!(help.contains("workorders: the integration state"), "{help}");
}

/// Walkthrough #5: "done" lines carried no record, and times no zone. Each line now has an
/// RFC 3339 time in UTC, and a "done" line the action and record of its "sent" line.
#[test]
fn audit_lines_name_their_record_and_their_time_zone() {
    let sim = Sim::quiet(&[]);
    let e = keystone_errors(&sim, 1).remove(0);
    let o = sim.run(&["retry", "--no-follow", &e]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let log = audit(&sim);
    assert_eq!(log.len(), 2, "{log:?}");
    let (sent, done) = (&log[0], &log[1]);
    assert_eq!((sent["phase"].as_str(), done["phase"].as_str()), (Some("sent"), Some("done")), "{log:?}");
    assert_eq!(done["id"], sent["id"]);
    assert_eq!(done["record"], sent["record"], "the done line names its record: {done}");
    assert_eq!(done["action"], "retry", "{done}");
    for l in &log {
        let t = l["time"].as_str().unwrap_or_default();
        let parsed = chrono::DateTime::parse_from_rfc3339(t);
        assert!(parsed.is_ok_and(|p| p.offset().local_minus_utc() == 0) && t.ends_with('Z'), "RFC 3339, UTC: {t}");
    }
}

/// Walkthrough #6: `rerun deadbeef` printed the instance's raw `No Record found: Record
/// doesn't exist or ACL restricts…`; a dry run of three entries said "dry run: nothing was
/// sent" three times; `get history` on a table the instance lacks exited 1, which --help
/// called "the action or its flow failed".
#[test]
fn not_found_dry_runs_and_a_missing_table_say_it_once_and_as_documented() {
    let sim = Sim::quiet(&["--break", &format!("table:{HISTORY}")]);
    let o = sim.run(&["rerun", "deadbeef"]);
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    assert!(stderr(&o).contains("no execution deadbeef"), "{}", text(&o));
    assert!(!stderr(&o).contains("No Record found"), "{}", text(&o));

    let e = keystone_errors(&sim, 3);
    let o = sim.run(&["retry", "--dry-run", &e[0], &e[1], &e[2]]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(stdout(&o).matches("would send: PATCH").count(), 3, "{}", text(&o));
    assert_eq!(stderr(&o).matches("nothing was sent").count(), 1, "once: {}", text(&o));

    let o = sim.run(&["get", "history"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("no such table for sync history"), "{}", text(&o));
    let help = stdout(&sim.command().arg("--help").output().unwrap());
    let one = help.lines().find(|l| l.trim_start().starts_with("1  ")).unwrap_or_default();
    assert!(one.contains("a read was refused") && one.contains("a table it lacks"), "1 covers it: {one}");
}

/// The second walkthrough: `update WPT… --set integration_state=created --set number=X1
/// --dry-run` would have sent both, though an update at the provider sets only what the
/// console's form offers. A field the integration keeps is refused before sending, in the
/// console's words, with the fields an update sets.
#[test]
fn an_update_sets_only_what_the_provider_update_sends() {
    let sim = Sim::quiet(&[]);
    let wo = sim.wait_rows("sn_wsd_core_workplace_task", "integration_state=created", "a created work order");
    let wo = wo[0]["number"].as_str().unwrap().to_string();
    for set in ["integration_state=created", "number=X1", "fm_work_order_id=FM-1"] {
        let o = sim.run(&["update", &wo, "--set", set, "--dry-run"]);
        assert_eq!(o.status.code(), Some(2), "{set}: {}", text(&o));
        let err = stderr(&o);
        assert!(err.contains("is not a field an update of work orders sets"), "{set}: {err}");
        for f in ["short_description", "priority", "state", "description"] {
            assert!(err.contains(f), "{set} lists {f}: {err}");
        }
        assert!(!stdout(&o).contains("would send"), "{set}: {}", text(&o));
    }
    let o = sim.run(&["update", &wo, "--set", "priority=2", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "a field the update sends: {}", text(&o));
}

/// The second walkthrough: with five profiles in the config, `hubtop get outbound`
/// (no profile named, no default) said "create one with `hubtop config init`". It now
/// names the config's profiles; with no config it still says how to create one.
#[test]
fn no_target_names_the_profiles_the_config_has() {
    let dir = crate::common::TempDir::new("walk-no-target");
    let o = crate::common::proc::command(&dir).args(["get", "outbound"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("hubtop config init"), "{}", text(&o));
    std::fs::write(
        dir.join("config.toml"),
        "[profiles.alpha]\ninstance = \"https://alpha.example.com\"\nuser = \"ops\"\nsecret = { env = \"X_PW\" }\n\
         [profiles.beta]\ninstance = \"https://beta.example.com\"\nuser = \"ops\"\nsecret = { env = \"X_PW\" }\n",
    )
    .unwrap();
    let o = crate::common::proc::command(&dir).args(["get", "outbound"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("this config has alpha, beta") && !err.contains("config init"), "{err}");
}
