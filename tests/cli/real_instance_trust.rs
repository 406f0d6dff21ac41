//! On a real instance (issue 22): doctor only reads, what is sent is validated first, and
//! following an action costs a handful of requests. The real binary against `hubtop sim`
//! child processes, and the follow schedule on tokio's paused clock against the embedded
//! instance in this process (two minutes of following cost no wall-clock time).

use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::common::audit::outcomes_paired;
use crate::common::proc::{Sim, command, stderr, text};

const WORK_ORDERS: &str = "sn_wsd_core_workplace_task";
/// What `update --set priority=9` and the console's form both say (one function decides).
const PRIORITY_9: &str = "refused: `9` is not a priority of work orders; valid values: 1, 2, 3, 4; nothing was sent";
const PROVIDERS: &str = "sn_wsd_case_fm_provider";

/// Writes profile `p` for the sim (with `extra`) into its config directory.
fn write_profile(sim: &Sim, extra: &str) {
    let cfg = format!(
        "[profiles.p]\ninstance = \"{}\"\nuser = \"admin\"\nsecret = {{ env = \"HUBTOP_PASSWORD\" }}\n{extra}",
        sim.url
    );
    std::fs::write(sim.dir.join("config.toml"), cfg).unwrap();
}

/// The binary with profile `p` as it is in the config file now.
fn with_profile(sim: &Sim, args: &[&str]) -> Output {
    sim.command().args(["--profile", "p"]).args(args).output().expect("run hubtop")
}

/// A work order the healthy provider has created (the demo's, through the queue).
fn synced_work_order(sim: &Sim) -> (String, String) {
    let acme = sim.rows(PROVIDERS, "title=Acme Facilities")[0]["sys_id"].as_str().unwrap().to_string();
    let created =
        sim.wait_rows(WORK_ORDERS, &format!("integration_state=created^fm_provider={acme}"), "a created work order");
    (created[0]["number"].as_str().unwrap().to_string(), created[0]["sys_id"].as_str().unwrap().to_string())
}

/// Doctor with the trigger and companion routes present: every request it sends is a GET
/// (the instance's request log), the Flow REST trigger is never called, and the
/// companion — a scripted REST API — is confirmed from `sys_ws_definition` /
/// `sys_ws_operation` (base path, relative path, HTTP method: "Create a scripted REST API"
/// and "Create a scripted REST API resource",
/// markdown/api-reference/rest-api-explorer/t_CreateAScriptedRESTService.md and
/// t_CreateAScriptedRESTAPIResource.md). `--write` stores only what it confirmed.
#[test]
fn doctor_only_reads_and_writes_only_what_it_confirmed() {
    let sim = Sim::quiet(&[]);
    write_profile(&sim, "");
    let o = with_profile(&sim, &["doctor", "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let c = sim.counters();
    let methods = c["by_method"].as_object().unwrap();
    assert_eq!(methods.keys().collect::<Vec<_>>(), vec!["GET"], "doctor sent only GET: {c}");
    assert!(c["writes_by_path"].as_object().unwrap().is_empty(), "{c}");
    assert_eq!(c["trigger_posts"], 0, "the trigger was not called");
    assert!(out.contains("companion API x_hubtop/console installed"), "{out}");
    // The Flow REST path is not a scripted REST resource: not verifiable read-only; the
    // companion, confirmed, is what --write stores.
    assert!(
        out.contains("create trigger: the companion's is confirmed (--write uses it); /api/sn_fd/flow/{flow_sys_id}/run is not verifiable read-only"),
        "{out}"
    );
    let cfg = std::fs::read_to_string(sim.dir.join("config.toml")).unwrap();
    assert!(cfg.contains("create = \"companion\"") && cfg.contains("rerun = \"companion\""), "{cfg}");
    assert!(!cfg.contains("sn_fd/flow"), "nothing unconfirmed stored: {cfg}");

    // Without the companion nothing is confirmed: nothing stored, the default written
    // commented out with why, and still only GET requests.
    let sim = Sim::quiet(&["--without", "companion"]);
    write_profile(&sim, "");
    let o = with_profile(&sim, &["doctor", "--write"]);
    assert_eq!(o.status.code(), Some(0), "the triggers are optional: {}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("✖ companion API x_hubtop/console not installed (optional)"), "{out}");
    assert!(out.contains("try it with `hubtop create NUMBER --dry-run`"), "{out}");
    let cfg = std::fs::read_to_string(sim.dir.join("config.toml")).unwrap();
    let stored: Vec<&str> = cfg.lines().filter(|l| l.starts_with("create") || l.starts_with("rerun")).collect();
    assert!(stored.is_empty(), "no unconfirmed trigger stored: {cfg}");
    assert!(
        cfg.contains("# create = \"/api/sn_fd/flow/{flow_sys_id}/run\"  # not stored: not verifiable read-only"),
        "{cfg}"
    );
    let c = sim.counters();
    assert_eq!(c["by_method"].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["GET"], "{c}");
    // What --write stored loads again, and the default trigger still applies.
    let o = with_profile(&sim, &["get", "providers", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// A table or field the profile names differently from what the instance has: doctor says
/// what it looked for and what it found instead.
#[test]
fn doctor_names_what_it_looked_for_and_what_it_found_instead() {
    let sim = Sim::quiet(&[]);
    write_profile(
        &sim,
        "[profiles.p.tables]\nproviders = \"u_fm_provider\"\n[profiles.p.mapping.fields.work_orders]\nfm_provider = \"u_fm\"\n",
    );
    let o = with_profile(&sim, &["doctor"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        out.contains(&format!(
            "Providers table: looked for u_fm_provider, found {PROVIDERS} instead, by its label \
             \"Facilities Management Provider\""
        )),
        "{out}"
    );
    assert!(out.contains(&format!("{WORK_ORDERS}.fm_provider: looked for u_fm, found fm_provider instead")), "{out}");
}

/// `update` is validated before anything is sent: a field the work order does not have
/// (after `doctor --write` stored the instance's fields) and a value that is not a choice
/// are refused, exit 2, with the valid names or values; only the record's lookup reached
/// the instance.
#[test]
fn update_with_an_unknown_field_or_value_is_refused_before_sending() {
    let sim = Sim::quiet(&[]);
    let (wo, _) = synced_work_order(&sim);
    write_profile(&sim, "");
    let o = with_profile(&sim, &["doctor", "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for (set, words) in [
        (
            "prio=1",
            // An update sets what the provider's update sends (never the number).
            "work orders have no field `prio` to set; valid fields: short_description, description, state, priority",
        ),
        ("priority=9", PRIORITY_9.trim_start_matches("refused: ").trim_end_matches("; nothing was sent")),
    ] {
        let before = sim.counter("requests");
        let o = with_profile(&sim, &["update", &wo, "--set", set]);
        let after = sim.counter("requests");
        assert_eq!(o.status.code(), Some(2), "{set}: {}", text(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("refused: {words}")) && err.contains("nothing was sent"), "{set}: {err}");
        assert_eq!(after - before, 1, "{set}: the lookup of {wo}, nothing after it");
    }
    assert!(sim.counters()["writes_by_path"].as_object().unwrap().is_empty());
    // By label, whatever its case, the value goes as the instance stores it.
    let o = with_profile(&sim, &["update", &wo, "--set", "state=ON HOLD", "--no-follow"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(sim.rows(WORK_ORDERS, &format!("number={wo}"))[0]["state"], "on_hold");
}

/// `--state` on a kind whose table has no state field (the provider table of a real
/// instance has no `outbound_state`; here the dictionary lacks it and doctor stored that)
/// is an error naming the kinds that have one; a `--query` term on an unknown field is a
/// warning naming the term, and the rows are listed.
#[test]
fn get_refuses_a_state_the_kind_lacks_and_warns_of_an_ignored_term() {
    let sim = Sim::quiet(&["--break", &format!("field:{PROVIDERS}.outbound_state")]);
    write_profile(&sim, "");
    // Without a mapping from doctor: the built-in description gives providers no state
    // (the documented provider table has none), so nothing is sent either.
    let before = sim.counter("requests");
    let o = with_profile(&sim, &["get", "providers", "--state", "error"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("--state: providers have no state field; --state works on: workorders, outbound"));
    assert_eq!(sim.counter("requests"), before, "nothing sent");
    let o = with_profile(&sim, &["doctor", "--write"]);
    assert_eq!(o.status.code(), Some(1), "outbound_state is missing: {}", text(&o));
    let before = sim.counter("requests");
    let o = with_profile(&sim, &["get", "providers", "--state", "error"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("providers have no state field"), "{err}");
    assert!(err.contains("--state works on: workorders, outbound, inbound, executions, history"), "{err}");
    assert_eq!(sim.counter("requests"), before, "nothing sent");

    let o = sim.run(&["get", "outbound", "--query", "nosuchfield=1", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let listed: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!listed.is_empty(), "the rows the instance gives: {}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning") && err.contains("`nosuchfield=1`") && err.contains("has no field nosuchfield"),
        "{err}"
    );
    // A state by its label, whatever its case.
    let o = sim.run(&["get", "outbound", "--state", "Processed", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Create on an instance without the trigger path: the REST API trigger the product
/// documents lives at `/api/<flow-application-scope>/<flow-name>/<path-parameters>`
/// (markdown/integrate-applications/integration-hub/rest-trigger.md), and an instance
/// without a path answers 400 "Requested URI does not represent any resource". One request
/// to the path, refused with what to configure, exit 2, never audited as failed.
#[test]
fn create_without_the_trigger_path_says_what_to_configure_and_is_not_a_failure() {
    let sim = Sim::quiet(&["--without", "flow-trigger,companion"]);
    let ns = sim.wait_rows(WORK_ORDERS, "integration_state=not_synced", "a work order not synced");
    let ns = ns[0]["number"].as_str().unwrap().to_string();
    // --dry-run shows what would be sent and sends nothing.
    let before = sim.counters();
    let o = sim.run(&["create", &ns, "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.starts_with("would send: POST /api/sn_fd/flow/") && out.contains("\"inputs\""), "{out}");
    // On a read-only profile it says what the command would meet: refused (exit 2), as
    // the command itself, and still sends nothing.
    let o = sim.run(&["--read-only", "create", &ns, "--dry-run"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let after = sim.counters();
    assert_eq!(before["by_method"].get("POST"), after["by_method"].get("POST"), "nothing sent: {after}");

    let o = sim.run(&["create", &ns]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("create needs a trigger") && err.contains("nothing was sent"), "{err}");
    assert!(err.contains("triggers] create = \"companion\""), "the companion: {err}");
    assert!(err.contains("/api/<flow-application-scope>/<flow-name>/<path-parameters>"), "the documented form: {err}");
    let c = sim.counters();
    let posts: u64 = c["writes_by_path"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("POST /api/sn_fd/flow/"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert_eq!(posts, 1, "exactly one request to the trigger path: {c}");
    assert_eq!(sim.rows(WORK_ORDERS, &format!("number={ns}"))[0]["integration_state"], "not_synced");
    let outcomes = outcomes_paired(&sim.dir);
    assert_eq!(outcomes, ["not_sent"], "one action, never recorded as failed");
}

/// Cancel on an instance whose IFM never reports back (`--without ifm-report`): one
/// PATCH, then looks at 0.5 s, 1.5, 3.5 (and the 6 s window's end), each one request, a
/// progress line on stderr per look, and the unknown-outcome exit code.
#[test]
fn cancel_that_ifm_never_reports_is_followed_politely_and_exits_unknown() {
    let sim = Sim::quiet(&["--without", "ifm-report"]);
    let (wo, id) = synced_work_order(&sim);
    let before = sim.counter("requests");
    let o = sim.run(&["cancel", &wo, "--follow", "6s"]);
    let used = sim.counter("requests") - before;
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("outcome unknown") && err.contains("no outcome within 6s"), "{err}");
    let waits: Vec<&str> =
        err.lines().filter(|l| l.starts_with("hubtop: waiting for IFM to report the cancel")).collect();
    assert_eq!(waits.len(), 3, "a line per look before the window's end: {err}");
    assert!(waits[0].contains(&wo) && waits[0].contains("s of 6 s, 1 look"), "{err}");
    let c = sim.counters();
    assert_eq!(c["patches_by_id"][&id], 1, "one PATCH: {c}");
    // The lookup, the sync history before, the PATCH, four looks of one request each.
    assert!(used <= 7, "{used} requests: {c}");
    assert_eq!(outcomes_paired(&sim.dir), ["unknown"], "the cancel, audited with its unknown outcome");
    // --help and the man page document the code.
    let help = String::from_utf8_lossy(&sim.run(&["--help"]).stdout).to_string();
    assert!(help.contains("6  sent, outcome unknown"), "{help}");
    // `man` takes no connection option: the binary alone.
    let man = command(&sim.dir).arg("man").output().expect("man");
    let man = String::from_utf8_lossy(&man.stdout).to_string();
    assert!(man.contains("sent, outcome unknown"), "the man page");
}

/// The same cancel over the full two-minute window, on tokio's paused clock against the
/// embedded instance in this process: one PATCH, at most 30 requests (16 looks of one
/// request each, where the loop without backoff sent 589), the looks at
/// 0.5, 1.5, 3.5, 7.5, 15.5 s and every 10 s after, each counted in the request budget,
/// and the unknown-outcome exit code.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_two_minute_follow_costs_at_most_thirty_requests() {
    use hubtop::audit::Audit;
    use hubtop::client::{Auth, Client, ClientConfig};
    use hubtop::domain::{Entity, Operation, WorkOrderOp};
    use hubtop::ops::{Ops, Outcome, Progress, Subject};
    use hubtop::sim::{self, SimConfig, Without};
    use std::sync::atomic::Ordering;

    let cfg =
        SimConfig { demo: false, without: Without { ifm_report: true, ..Default::default() }, ..Default::default() };
    let h = sim::start(cfg).await.unwrap();
    let (provider, _) = sim::seed::provider_ids(&h.sim)[0].clone();
    let row = h
        .sim
        .store
        .insert(
            WORK_ORDERS,
            &[
                ("short_description", "Broken door"),
                ("state", "in_progress"),
                ("priority", "3"),
                ("fm_provider", &provider),
                ("fm_work_order_id", "FM-1"),
                ("integration_state", "created"),
            ],
        )
        .unwrap();
    let id = row[0].to_string();
    let client = Arc::new(
        Client::new(ClientConfig::new(&h.base_url, Auth::Basic { user: "admin".into(), password: "admin".into() }))
            .unwrap(),
    );
    let audit = Arc::new(Audit::open(None, &h.base_url, "admin").unwrap());
    let mut ops = Ops::new(Arc::clone(&client), audit);
    ops.follow_timeout = Duration::from_secs(120);
    let before = h.sim.counters.requests.load(Ordering::Relaxed);
    let wo = client.work_order(&id).await.unwrap();
    let t = Subject::new(Entity::WorkOrders, &wo);
    let seen = parking_lot::Mutex::new(Vec::new());
    let t0 = tokio::time::Instant::now();
    let sent = ops
        .run(&Operation::WorkOrder(WorkOrderOp::Cancel), &t, true, |p| {
            if let Progress::Waiting { elapsed, .. } = p {
                seen.lock().push(elapsed.as_secs_f64());
            }
        })
        .await;
    let took = t0.elapsed();
    let used = h.sim.counters.requests.load(Ordering::Relaxed) - before;
    assert!(matches!(&sent.outcome, Outcome::Unknown(s) if s.contains("no outcome within 120s")), "{sent:?}");
    assert_eq!(sent.exit, hubtop::exit::UNKNOWN);
    assert!(took >= Duration::from_secs(120) && took < Duration::from_secs(125), "{took:?}");
    assert_eq!(h.sim.counters.patches_by_id.lock().get(&id), Some(&1), "one PATCH");
    assert!(used <= 30, "{used} requests over a 120 s follow");
    assert_eq!(used, 19, "the lookup, the sync history, the PATCH and 16 looks");
    assert_eq!(client.budget.state().used as u64, used, "every request counted in the budget");
    let methods = h.sim.counters.by_method.lock().clone();
    assert_eq!(methods.get("PATCH"), Some(&1));
    assert_eq!(methods.get("GET"), Some(&(used - 1)), "each look one GET of the sync history: {methods:?}");
    // The schedule: a progress report after every look but the last.
    let seen = seen.lock().clone();
    let want = [0.5, 1.5, 3.5, 7.5, 15.5, 25.5, 35.5, 45.5, 55.5, 65.5, 75.5, 85.5, 95.5, 105.5, 115.5];
    assert_eq!(seen.len(), want.len(), "{seen:?}");
    for (got, at) in seen.iter().zip(want) {
        assert!(*got >= at && *got < at + 0.5, "looked at {got} s, due at {at} s: {seen:?}");
    }
    h.shutdown().await;
}

/// The console's update form refuses what `update --set` refuses, in the same words, and
/// sends nothing: the form stays open to be corrected.
#[test]
fn the_console_update_form_refuses_with_the_cli_words() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use hubtop::app::keys::Keymap;
    use hubtop::app::{App, Effect, Level, Msg, Settings};
    use hubtop::client::Record;
    use hubtop::client::read::Page;
    use hubtop::domain::Entity;

    let mut a = App::new(Settings { refresh: Duration::from_secs(3), ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a.start();
    let key = |a: &mut App, c: KeyCode| a.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    let fx = key(&mut a, KeyCode::Char('3'));
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("the work orders load") };
    let wo = Record::from_pairs(&[
        ("sys_id", "wo1"),
        ("number", "WPT0001"),
        ("state", "in_progress"),
        ("priority", "3"),
        ("integration_state", "created"),
        ("fm_work_order_id", "FM-1"),
        ("sys_updated_on", "2026-11-24 10:00:00"),
        ("sys_mod_count", "1"),
    ]);
    let page = Page { records: vec![wo], total: Some(1), next_offset: None };
    a.update(Msg::Window { entity: Entity::WorkOrders, seq, offset: 0, result: Ok((page, None)) });
    key(&mut a, KeyCode::Char('u'));
    assert!(a.actions.form.is_some(), "the form opens");
    // priority is the second field.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Char('9'));
    let fx = key(&mut a, KeyCode::Enter);
    // Nothing sent: the one effect is the refusal's audit line (as the CLI writes it).
    assert!(matches!(fx.as_slice(), [Effect::Refused(..)]), "nothing sent: {fx:?}");
    assert_eq!(a.status, Some((Level::Error, PRIORITY_9.to_string())));
    assert!(a.actions.form.is_some(), "the form stays open to be corrected");
    // Corrected (by its value), Enter previews what it sends and `y` sends it.
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Char('1'));
    let fx = key(&mut a, KeyCode::Enter);
    assert!(fx.is_empty() && a.actions.confirm.is_some(), "a preview first: {fx:?}");
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(fx.iter().any(|e| matches!(e, Effect::Act(_))), "{fx:?}");
}

/// Where the scripted REST metadata cannot be read, nothing is confirmed and doctor says
/// so (with the read to grant), still without calling any trigger.
#[test]
fn doctor_without_readable_metadata_confirms_nothing() {
    let sim = Sim::quiet(&["--break", "table:sys_ws_definition"]);
    write_profile(&sim, "");
    let o = with_profile(&sim, &["doctor", "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("✖ companion API x_hubtop/console: not verifiable read-only (sys_ws_definition:"), "{out}");
    assert!(out.contains("grant the user read on sys_ws_definition and sys_ws_operation"), "{out}");
    let cfg = std::fs::read_to_string(sim.dir.join("config.toml")).unwrap();
    assert!(!cfg.lines().any(|l| l.starts_with("create") || l.starts_with("rerun")), "{cfg}");
    let c = sim.counters();
    assert_eq!(c["by_method"].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["GET"], "{c}");
}
