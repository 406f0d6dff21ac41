//! Refused the same way by console and CLI: what the console refuses before sending
//! (read-only, a rule, a value the table does not have) is one "refused" line in the
//! audit log with the reason, as `tests/cli/trust_cli.rs` checks for the CLI, and nothing
//! reaches the instance.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossterm::event::KeyCode;
use hubtop::app::keys::Keymap;
use hubtop::app::{App, Effect, Settings};
use hubtop::audit::Audit;
use hubtop::console::runner::{Runner, dispatch};
use hubtop::domain::Entity;
use hubtop::ops::Ops;
use hubtop::sim;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::common::TempDir;
use crate::common::app::{ch, key, list_of, rec};
use crate::common::audit::lines;
use crate::common::insim::{basic, client_with, quiet};
use crate::common::wait::wait_for;

fn console(read_only: bool) -> App {
    let mut a = App::new(Settings { read_only, ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a
}

fn refusals(fx: &[Effect]) -> usize {
    fx.iter().filter(|e| matches!(e, Effect::Refused(..))).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_audits_what_it_refuses_as_the_cli_does() {
    let h = sim::start(quiet()).await.expect("sim");
    let dir = TempDir::new("console-refusals");
    let path = dir.join("audit.jsonl");
    let audit = Arc::new(Audit::open(Some(&path), &h.base_url, "admin").unwrap());
    let (tx, _rx) = mpsc::channel(64);
    let runner = Runner::new(Ops::new(Arc::new(client_with(&h.base_url, basic(), |_| {})), audit), tx);
    let requests = || h.sim.counters.requests.load(Ordering::Relaxed);
    let before = requests();

    // 1. Read-only: `r` on an entry in error.
    let mut ro = console(true);
    list_of(&mut ro, '4', Entity::Outbound, vec![rec("e1", "ISO0000001", "error", "2026-01-01 00:00:00")]);
    let fx = ch(&mut ro, 'r');
    assert_eq!(refusals(&fx), 1, "{fx:?}");
    dispatch(&runner, fx, |_| {});

    // 2. A rule: `r` on an entry already processed (the CLI's `retry` of it is refused alike).
    let mut a = console(false);
    list_of(&mut a, '4', Entity::Outbound, vec![rec("e2", "ISO0000002", "processed", "2026-01-01 00:00:00")]);
    let fx = ch(&mut a, 'r');
    assert_eq!(refusals(&fx), 1, "{fx:?}");
    dispatch(&runner, fx, |_| {});

    // 3. A value the table does not have, typed into the update form (the CLI's
    //    `update --set priority=9`).
    let mut wo = rec("w1", "WOT0000001", "created", "2026-01-01 00:00:00");
    wo.set("priority", "3");
    wo.set("short_description", "Door stuck");
    let mut a = console(false);
    list_of(&mut a, '3', Entity::WorkOrders, vec![wo]);
    ch(&mut a, 'u');
    key(&mut a, KeyCode::Tab); // priority
    key(&mut a, KeyCode::Backspace);
    ch(&mut a, '9');
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(refusals(&fx), 1, "{fx:?} {:?} {:?}", a.status, a.actions.form);
    assert!(a.actions.form.is_some(), "the form stays open to be corrected");
    dispatch(&runner, fx, |_| {});

    wait_for("three refusals in the audit log", Duration::from_secs(30), || lines(&path).len() == 3).await;
    let log = lines(&path);
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    assert!(log.iter().all(|v| s(v, "phase") == "refused" && s(v, "outcome") == "refused"), "{log:?}");
    let find = |record: &str| {
        log.iter().find(|v| s(v, "record").ends_with(record)).unwrap_or_else(|| panic!("{record}: {log:?}")).clone()
    };
    let (one, two, three) = (find(":e1"), find(":e2"), find(":w1"));
    assert_eq!(
        (s(&one, "action"), s(&two, "action"), s(&three, "action")),
        ("retry".into(), "retry".into(), "update".into())
    );
    assert!(s(&one, "detail").contains("read-only"), "{one}");
    // The CLI's words for the same refusals (tests/cli/trust_cli.rs).
    assert!(s(&two, "detail").contains("only entries in error or skipped are retried"), "{two}");
    assert!(s(&three, "detail").contains("is not a priority"), "{three}");
    assert_eq!(three["inputs"]["fields"]["priority"], "9", "what would have been sent: {three}");
    assert_eq!(requests(), before, "nothing reached the instance");
}
