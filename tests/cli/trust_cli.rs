//! A CLI an operator can trust (issue 21, the CLI walkthrough's defects): an action is
//! followed to its outcome unless told not to, and the audit log says what was sent, what
//! came of it ("sent" when not followed, never "ok") and what was refused and why; a
//! missing record is "not found" with its own exit code; no profiles is an empty list;
//! two targets are a usage error; the bash completion follows the binary's name; the
//! snapshot's progress estimate counts what it will read.

use std::process::Output;

use serde_json::Value;

use crate::common::TempDir;
use crate::common::audit::lines;
use crate::common::proc::{Sim, bin, command, stderr, stdout, text};

const OUTBOUND: &str = "ih_sync_outbound_record";
const WORK_ORDERS: &str = "sn_wsd_core_workplace_task";

/// The demo with automatic retries out of the way: what happens to an entry is the
/// operator's doing.
fn start_sim() -> Sim {
    Sim::start(&["--retry-interval", "3600"])
}

/// Keystone's entries in error (its credentials are broken: a retry fails again).
fn keystone_errors(sim: &Sim, n: usize) -> Vec<(String, String)> {
    let keystone = sim.provider("Keystone Property Services");
    let q = format!("state=error^provider={keystone}");
    crate::common::wait::until_some("Keystone's creates to fail", crate::common::wait::T, || {
        Some(sim.rows(OUTBOUND, &q)).filter(|r| r.len() >= n)
    })
    .iter()
    .map(|r| (r["number"].as_str().unwrap().to_string(), r["sys_id"].as_str().unwrap().to_string()))
    .collect()
}

fn audit(sim: &Sim) -> Vec<Value> {
    lines(&sim.dir.join("audit.jsonl"))
}

/// The "done" line of the action whose "sent" line names `record` (the last one).
fn done_of(log: &[Value], record: &str) -> Value {
    let sent = log
        .iter()
        .rev()
        .find(|v| v["phase"] == "sent" && v["record"].as_str().is_some_and(|r| r.ends_with(record)))
        .unwrap_or_else(|| panic!("a sent line for {record}: {log:?}"));
    log.iter()
        .find(|v| v["phase"] == "done" && v["id"] == sent["id"])
        .unwrap_or_else(|| panic!("a done line for {sent}"))
        .clone()
}

/// Walkthrough #1: `hubtop retry` printed `error → ready`, exited 0 and audited "ok" for an
/// entry that then failed again. It is now followed by default, like cancel, create and
/// update: the exit code and the audit are the queue's final answer (failed again → 1,
/// "failed"). `--no-follow` exits 0 once the instance accepted it and audits "sent".
#[test]
fn a_cli_retry_is_followed_to_its_outcome_and_an_unfollowed_one_is_audited_sent() {
    let sim = start_sim();
    let entries = keystone_errors(&sim, 2);
    let (e1, id1) = &entries[0];
    let (e2, id2) = &entries[1];

    let o = sim.run(&["retry", e1]);
    assert_eq!(o.status.code(), Some(1), "failed again: exit 1\n{}", text(&o));
    assert!(stdout(&o).contains(e1.as_str()) && stdout(&o).contains("error"), "{}", text(&o));
    assert!(!stdout(&o).contains("→ ready"), "no claim that it is done: {}", text(&o));
    let log = audit(&sim);
    assert_eq!(done_of(&log, id1)["outcome"], "failed", "{log:?}");
    assert_eq!(sim.rows(OUTBOUND, &format!("sys_id={id1}"))[0]["state"], "error", "it did fail again");

    let o = sim.run(&["retry", "--no-follow", e2]);
    assert_eq!(o.status.code(), Some(0), "sent and accepted: {}", text(&o));
    assert!(stdout(&o).contains("not followed"), "{}", text(&o));
    let log = audit(&sim);
    let done = done_of(&log, id2);
    assert_eq!(done["outcome"], "sent", "never \"ok\" without following: {done}");

    // The help says following is the default for retry too.
    let help = crate::common::proc::command(&sim.dir).args(["retry", "--help"]).output().unwrap();
    let help = stdout(&help);
    assert!(help.contains("Every action is followed by default") && help.contains("--no-follow"), "{help}");
}

/// A followed retry whose entry the queue has not processed when the window ends has no
/// outcome yet: exit 6 and "unknown" (it used to be exit 0 and "ok", though it may yet
/// fail). Keystone made slow (1.5 s or more per call) keeps the entry in the queue past a
/// one-second window.
#[test]
fn a_retry_still_in_the_queue_when_following_ends_is_unknown() {
    let sim = start_sim();
    let (entry, id) = keystone_errors(&sim, 1).remove(0);
    let (code, body) = crate::common::proc::http(&sim.url, "PUT", "/sim/providers/keystone", "slow");
    assert!((200..300).contains(&code), "{code} {body}");
    let o = sim.run(&["retry", "--follow", "1", &entry]);
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    assert!(stderr(&o).contains("outcome unknown") && stderr(&o).contains("queued again"), "{}", text(&o));
    assert_eq!(done_of(&audit(&sim), &id)["outcome"], "unknown");
}

/// Walkthrough #2: `cancel --no-follow` was audited "ok" with `"inputs":{}`. The sent line
/// now records the PATCH's body, and the outcome is "sent".
#[test]
fn cancel_without_following_records_what_it_sent_and_no_outcome() {
    let sim = start_sim();
    let wo = sim.wait_rows(WORK_ORDERS, "integration_state=created^state!=canceled", "a created work order");
    let (number, id) = (wo[0]["number"].as_str().unwrap(), wo[0]["sys_id"].as_str().unwrap());
    let o = sim.run(&["cancel", "--no-follow", number]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout(&o).contains("not followed"), "{}", text(&o));
    let log = audit(&sim);
    let sent = log.iter().find(|v| v["phase"] == "sent").expect("a sent line");
    assert_eq!(sent["action"], "cancel", "{sent}");
    assert_eq!(sent["record"], format!("{WORK_ORDERS}:{id}"), "{sent}");
    assert_eq!(sent["inputs"], serde_json::json!({"state": "canceled"}), "what was sent: {sent}");
    assert_eq!(done_of(&log, id)["outcome"], "sent");
}

/// Walkthrough #4 of issue 23: refusals were not audited. Each is now one "refused" line
/// with the reason, whether the command line refused it (read-only, before connecting) or
/// the operations layer the console shares (a rule, a value the table does not have).
/// Nothing is sent for any of them.
#[test]
fn refusals_are_audited_with_their_reason_and_nothing_is_sent() {
    let sim = start_sim();
    let (entry, _) = keystone_errors(&sim, 1).remove(0);
    let wo = sim.wait_rows(WORK_ORDERS, "integration_state=created^state!=canceled", "a created work order");
    let wo = wo[0]["number"].as_str().unwrap().to_string();
    let done = sim.wait_rows(OUTBOUND, "state=processed", "a processed entry");
    let processed = done[0]["number"].as_str().unwrap().to_string();
    let patches = || sim.counters()["patches_by_id"].as_object().map_or(0, |m| m.len());
    let before = patches();

    let o = sim.run(&["--read-only", "retry", &entry]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = sim.run(&["update", &wo, "--set", "priority=9"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = sim.run(&["retry", &processed]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let log = audit(&sim);
    assert!(log.iter().all(|v| v["phase"] == "refused"), "refused, never sent: {log:?}");
    let refused: Vec<(String, String, String)> = log
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("action"), s("outcome"), s("detail"))
        })
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert_eq!(refused[0].0, "retry");
    assert!(refused[0].2.contains("read-only"), "{refused:?}");
    assert_eq!(log[0]["record"], entry.as_str(), "as named: nothing was looked up");
    assert_eq!(refused[1].0, "update");
    assert!(refused[1].2.contains("is not a priority"), "{refused:?}");
    assert_eq!(log[1]["inputs"]["fields"]["priority"], "9", "what would have been sent: {}", log[1]);
    assert_eq!(refused[2].0, "retry");
    assert!(refused[2].2.contains("only entries in error or skipped are retried"), "{refused:?}");
    assert!(refused.iter().all(|(_, o, _)| o == "refused"), "{refused:?}");
    assert_eq!(patches(), before, "nothing was sent");
}

/// Walkthrough #1 of issue 23: a record that does not exist exited 1 ("failed") and
/// printed an empty table header. It is now exit 7 (not found, in --help), a line on
/// stderr, and nothing on stdout, in every output format.
#[test]
fn a_missing_record_is_not_found_with_nothing_on_stdout() {
    let dir = TempDir::new("trust-missing");
    for format in ["table", "json"] {
        let o = command(&dir).args(["--demo", "get", "outbound", "ISO9999999", "-o", format]).output().unwrap();
        assert_eq!(o.status.code(), Some(7), "{format}: {}", text(&o));
        assert_eq!(stdout(&o), "", "{format}: no header, no []: {}", text(&o));
        assert!(stderr(&o).contains("no outbound entry ISO9999999"), "{format}: {}", text(&o));
    }
    let help = stdout(&command(&dir).arg("--help").output().unwrap());
    assert!(help.contains("7  not found"), "{help}");
}

/// Walkthrough #2 of issue 23 and #21 of issue 21: `config list` with no profiles exited 2,
/// and `profiles` did not say how to begin. No profiles is an empty list (exit 0, nothing
/// on stdout, `[]` in json), with what to do next on stderr.
#[test]
fn no_profiles_is_an_empty_list_with_a_hint() {
    let dir = TempDir::new("trust-noprofiles");
    let run = |args: &[&str]| -> Output { command(&dir).args(args).output().unwrap() };
    for args in [&["config", "list"][..], &["profiles"]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert_eq!(stdout(&o), "", "{args:?}: {}", text(&o));
        assert!(stderr(&o).contains("hubtop config init"), "{args:?}: {}", text(&o));
    }
    assert_eq!(stdout(&run(&["config", "list", "-o", "json"])).trim(), "[]");
    assert_eq!(stdout(&run(&["profiles", "-o", "json"])).trim(), "[]");
    // A config without profiles: the next step is to add one.
    assert_eq!(run(&["config", "init"]).status.code(), Some(0));
    let o = run(&["config", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(stdout(&o), "", "{}", text(&o));
    assert!(stderr(&o).contains("hubtop config edit"), "{}", text(&o));
}

/// Walkthrough #5 of issue 23: `--profile P --instance URL` was accepted without a word
/// on which target wins. Both on the command line (at either level) is a usage error
/// naming both; nothing is contacted.
#[test]
fn a_profile_and_an_instance_together_are_a_usage_error() {
    let dir = TempDir::new("trust-twotargets");
    for args in [
        &["--profile", "p", "--instance", "http://127.0.0.1:9", "get", "outbound"][..],
        &["--profile", "p", "get", "outbound", "--instance", "http://127.0.0.1:9"],
        &["retry", "ISO1", "--instance", "http://127.0.0.1:9", "--profile", "p"],
    ] {
        let o = command(&dir).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(stderr(&o).contains("--profile") && stderr(&o).contains("--instance"), "{args:?}: {}", text(&o));
    }
}

/// Walkthrough #6 of issue 23: the bash completion was registered for `hubtop` only. It
/// now also registers the name the binary was run by (a symlink `ht`); bash itself
/// resolves a path (`./bin/hubtop`) to its last part.
#[test]
fn bash_completion_registers_the_name_the_binary_was_run_by() {
    let dir = TempDir::new("trust-completion");
    let link = dir.join("ht");
    std::os::unix::fs::symlink(bin(), &link).unwrap();
    let o = std::process::Command::new(&link)
        .args(["completions", "bash"])
        .env("HUBTOP_CONFIG_DIR", dir.path())
        .env("HUBTOP_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let script = stdout(&o);
    assert!(script.lines().any(|l| l.trim_end().ends_with("hubtop ht")), "{script}");
    let Ok(bash) = which("bash") else { return };
    let file = dir.join("ht.bash");
    std::fs::write(&file, &script).unwrap();
    let o = std::process::Command::new(bash)
        .args(["-c", &format!("source {} && complete -p ht && complete -p hubtop", file.display())])
        .output()
        .unwrap();
    assert!(o.status.success(), "bash registers both names: {}", text(&o));
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|f| f.is_file()))
        .ok_or(())
}

/// The snapshot walkthrough: the progress estimate left out the work orders, executions
/// and flows read by reference (`~84` against 134). It now counts them, and the last
/// estimate shown is within a tenth of what was read.
#[test]
fn the_snapshot_progress_estimate_counts_what_it_reads() {
    let sim = start_sim();
    keystone_errors(&sim, 1);
    let dir = TempDir::new("trust-snapshot");
    let file = dir.join("s.snap");
    let o = sim.run(&["snapshot", "--since", "30d", "-o", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = stderr(&o);
    let estimates: Vec<usize> = err
        .lines()
        .filter_map(|l| l.strip_prefix("snapshot: "))
        .filter_map(|l| l.split(" of ~").nth(1))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    let total: usize = err
        .lines()
        .find_map(|l| l.split("): ").nth(1)?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("the total: {err}"));
    let last = *estimates.last().unwrap_or_else(|| panic!("an estimate: {err}"));
    assert!(last * 10 >= total * 9 && last * 10 <= total * 11, "last estimate {last}, read {total}:\n{err}");
}

/// Refused the same way by console and CLI: on a production profile the console asks for
/// the count typed before bulk work (README: "bulk actions need the count typed to
/// confirm"); the command line's equivalent is `--yes`. Without it a bulk retry is
/// refused (exit 2), audited once per record with the reason, and nothing is sent; a
/// single record, `--dry-run` and `--yes` go as before.
#[test]
fn a_bulk_action_on_a_production_profile_needs_yes() {
    let sim = start_sim();
    let errs = keystone_errors(&sim, 2);
    let (a, b) = (errs[0].0.clone(), errs[1].0.clone());
    std::fs::write(
        sim.dir.join("config.toml"),
        format!("[profiles.prod]\ninstance = \"{}\"\nuser = \"admin\"\nsecret = {{ env = \"HUBTOP_PASSWORD\" }}\nproduction = true\n", sim.url),
    )
    .unwrap();
    let patches = || sim.counters()["patches_by_id"].as_object().map_or(0, |m| m.len());
    let before = patches();
    let run = |args: &[&str]| sim.command().args(["--profile", "prod"]).args(args).output().unwrap();

    let o = run(&["retry", &a, &b, "--no-follow"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("needs --yes"), "{}", text(&o));
    let log = audit(&sim);
    assert_eq!(log.len(), 2, "one refused line per record: {log:?}");
    assert!(log.iter().all(|v| v["phase"] == "refused" && v["action"] == "retry"), "{log:?}");
    assert!(log.iter().all(|v| v["detail"].as_str().unwrap_or_default().contains("production")), "{log:?}");
    assert_eq!(patches(), before, "nothing was sent");

    let o = run(&["retry", &a, &b, "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "a dry run previews: {}", text(&o));
    assert_eq!(patches(), before, "a dry run sends nothing");

    let o = run(&["retry", &a, &b, "--no-follow", "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(patches(), before + 2, "confirmed: both sent, once each");
}
