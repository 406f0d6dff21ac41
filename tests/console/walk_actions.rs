//! What a new operator's walkthrough of the release binary found: `r` on one entry sent at
//! once while every other key asked first; quitting during a bulk job audited as a
//! signal; an error group's retry silently abandoned when its list was left; a filter
//! silently clearing marks; a refusal left under a later preview; footers offering what
//! the rules refuse; and old counts labelled "live". Each test names the finding.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::common::TempDir;
use crate::common::app::{app, ch, command, filter, key, list_of, outbound_with, rec, screen, status, typed};
use crate::common::audit::split;
use crate::common::insim::{basic, client_with, quiet};
use crate::common::wait::wait_for;
use crossterm::event::KeyCode;
use hubtop::app::actions::Job;
use hubtop::app::detail::DetailData;
use hubtop::app::fleet::{Fleet, FleetProfile, FleetSample, RowState};
use hubtop::app::keys::Keymap;
use hubtop::app::overview::OverviewData;
use hubtop::app::{App, Effect, Freshness, Msg, Settings};
use hubtop::audit::Audit;
use hubtop::client::read::Page;
use hubtop::client::{Entity, Record, Tables};
use hubtop::console::runner::Runner;
use hubtop::domain::{Operation, WorkOrderOp};
use hubtop::ops::flight::Stop;
use hubtop::ops::{Ops, Subject};
use hubtop::sim::schema::OUTBOUND;
use hubtop::sim::{self, Faults};

fn acts(fx: &[Effect]) -> Vec<Job> {
    fx.iter().filter_map(|e| if let Effect::Act(j) = e { Some(j.clone()) } else { None }).collect()
}

/// The footer's words where the console is.
fn footer(a: &App) -> Vec<&'static str> {
    hubtop::ui::footer_keys(a).into_iter().map(|(_, w)| w).collect()
}

fn tick(a: &mut App, after: Duration) -> Vec<Effect> {
    let (at, now) = (a.instant + after, a.now + chrono::Duration::from_std(after).unwrap());
    a.update(Msg::Tick(at, now))
}

/// The overview answered with one error group of `n` entries.
fn overview_with_group(a: &mut App, msg: &str, n: u64) {
    let fx = a.start();
    let Some(Effect::LoadOverview { seq, .. }) = fx.first() else { panic!("{fx:?}") };
    let data = OverviewData {
        error_messages: vec![(msg.into(), n)],
        raw_messages: vec![(msg.into(), msg.into())],
        ..Default::default()
    };
    a.update(Msg::Overview { seq: *seq, result: Ok(data) });
}

/// Finding 1 (high): `r` on one outbound entry off production sent at once, with no
/// preview, while `x` asked "Skip 1 record?". Every operation is previewed now: `r`
/// opens "Retry 1 record?", Esc sends nothing, `y` sends it once.
#[test]
fn r_on_one_entry_opens_retry_1_record_like_skip() {
    for op in [
        Operation::Retry,
        Operation::Skip,
        Operation::Rerun,
        Operation::WorkOrder(WorkOrderOp::Create),
        Operation::WorkOrder(WorkOrderOp::Cancel),
    ] {
        assert!(op.needs_preview(), "{op:?}");
    }
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    assert!(acts(&ch(&mut a, 'x')).is_empty());
    assert_eq!(a.actions.confirm.as_ref().map(|c| c.title.as_str()), Some("Skip 1 record?"));
    key(&mut a, KeyCode::Esc);
    let fx = ch(&mut a, 'r');
    assert!(acts(&fx).is_empty(), "nothing sent before the preview: {fx:?}");
    let c = a.actions.confirm.as_ref().expect("the single retry's preview");
    assert_eq!(c.title, "Retry 1 record?");
    assert!(c.lines[0].starts_with("1 × PATCH outbound state=ready"), "{:?}", c.lines);
    assert!(c.typed.is_none(), "one record off production: y sends it");
    assert!(acts(&key(&mut a, KeyCode::Esc)).is_empty(), "Esc sends nothing");
    ch(&mut a, 'r');
    let sent = acts(&ch(&mut a, 'y'));
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].op.clone(), sent[0].targets.len()), (Operation::Retry, 1));
}

/// Finding 2 (medium): quitting during a bulk retry (q, q) recorded "sent, but no answer
/// before hubtop stopped on a signal" — no signal was sent. The console's quit stops the
/// flight as the operator's (`Stop::Quit`, what `console::terminal` does after the loop),
/// and the audit detail says so. Against the embedded instance over real HTTP, answering
/// each request after a second, so the retries are still on their way at the quit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_during_a_bulk_retry_audits_the_operators_quit_not_a_signal() {
    let h = sim::start(quiet()).await.expect("sim");
    let ids: Vec<String> = (0..3)
        .map(|i| {
            let row = h
                .sim
                .store
                .insert(OUTBOUND, &[("state", "error"), ("last_error", &format!("HTTP 503: walk {i}"))])
                .expect("an entry in error");
            row[0].to_string()
        })
        .collect();
    let dir = TempDir::new("walk-quit");
    let audit = Arc::new(Audit::open(Some(&dir.join("audit.jsonl")), &h.base_url, "admin").unwrap());
    let (tx, _rx) = tokio::sync::mpsc::channel(1024);
    let runner = Arc::new(Runner::new(Ops::new(Arc::new(client_with(&h.base_url, basic(), |_| {})), audit), tx));
    let flight = Arc::clone(&runner.ops.flight);
    let targets = ids
        .iter()
        .map(|id| {
            let r = Record::from_pairs(&[("sys_id", id.as_str()), ("state", "error")]);
            Subject { entity: Entity::Outbound, sys_id: id.clone(), label: id.clone(), record: r }
        })
        .collect();
    h.sim.set_faults(Faults::parse("latency=1s").expect("spec"));
    let r = Arc::clone(&runner);
    let job = tokio::spawn(async move {
        r.run_job(Job { id: 1, op: Operation::Retry, targets }, &AtomicBool::new(false)).await;
    });
    wait_for("the three retries sent", Duration::from_secs(30), || split(&dir).0.len() == 3).await;
    assert!(split(&dir).1.is_empty(), "still on their way when the operator quits");
    // The operator's second `q`: the console stops sending and waits its grace.
    flight.shutdown(hubtop::signals::GRACE, Stop::Quit).await;
    job.await.expect("the job ends");
    let (sent, done) = split(&dir);
    assert_eq!((sent.len(), done.len()), (3, 3), "one outcome per sent line: {done:?}");
    for d in &done {
        assert_eq!(d["outcome"], "unknown", "{d}");
        let detail = d["detail"].as_str().unwrap_or("");
        assert!(detail.contains("the operator quit hubtop"), "{d}");
        assert!(!detail.contains("signal"), "no signal was sent: {d}");
    }
    h.shutdown().await;
}

/// Finding 3: `r` on the overview's error group, then `:log` before the group's rows came:
/// "listing its 3 entries to preview the retry…" stayed unanswered. Leaving the list drops
/// the intent, and the session says so (status line and `:log`); nothing is sent.
#[test]
fn an_error_groups_retry_abandoned_by_leaving_its_list_is_said() {
    let msg = "HTTP 503: provider error";
    let mut a = app();
    overview_with_group(&mut a, msg, 3);
    let fx = ch(&mut a, 'r');
    assert!(status(&a).contains("to preview the retry"), "{}", status(&a));
    let fx2 = command(&mut a, "log");
    assert!(acts(&fx2).is_empty());
    let said = "retry of error group \"HTTP 503: provider error\" not previewed: you left its list; nothing sent";
    assert_eq!(status(&a), said);
    assert!(a.log.entries.iter().any(|e| e.text == said), "the log says it");
    // The rows arriving later open nothing and send nothing.
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("the group's list loads") };
    let rows = vec![rec("id000", "ISO0000000", "error", "2026-11-24 10:00:00")];
    let fx = a.update(Msg::Window {
        entity: Entity::Outbound,
        seq,
        offset: 0,
        result: Ok((Page { records: rows, total: Some(1), next_offset: None }, None)),
    });
    assert!(acts(&fx).is_empty() && a.actions.confirm.is_none(), "{fx:?}");
}

/// Finding 4: a new filter cleared 32 marks without a word. Marks go with the rows they
/// were made on (an action on marks must never reach rows no longer on screen), and the
/// status line says how many went, beside the filter's own word.
#[test]
fn a_filter_that_clears_marks_says_how_many() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 32, "error");
    ch(&mut a, '*');
    assert_eq!(a.current_list().unwrap().marks.len(), 32);
    filter(&mut a, "state=error");
    assert!(a.current_list().unwrap().marks.is_empty());
    let st = status(&a);
    assert!(st.contains("32 marks cleared by the new filter"), "{st}");
    assert!(st.contains("filter: state=error"), "the filter's own word stays: {st}");
    assert!(a.log.entries.iter().any(|e| e.text == "32 marks cleared by the new filter"));
    // Without marks nothing is said of them.
    filter(&mut a, "state=ready");
    assert!(!status(&a).contains("marks"), "{}", status(&a));
}

/// Finding 5: "✖ refused: 'bogus' is not a state…" stayed under a later, valid "Update 1
/// record?" preview. The preview opening replaces a word about the screen said before it.
#[test]
fn a_preview_replaces_a_stale_refusal() {
    let mut a = app();
    a.start();
    let mut wo = rec("wo1", "WPT0001", "in_progress", "2026-11-24 10:00:00");
    wo.set("integration_state", "created");
    wo.set("short_description", "Parking barrier stuck open");
    wo.set("priority", "3");
    list_of(&mut a, '3', Entity::WorkOrders, vec![wo]);
    ch(&mut a, 'u');
    assert!(a.actions.form.is_some(), "the update form");
    // The state field (the third): `bogus`, refused.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Tab);
    for _ in 0..20 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "bogus");
    let fx = key(&mut a, KeyCode::Enter);
    assert!(!fx.is_empty() && fx.iter().all(|e| matches!(e, Effect::Refused(..))), "{fx:?}");
    assert!(status(&a).contains("refused") && status(&a).contains("bogus"), "{}", status(&a));
    // Corrected: the preview opens, and the refusal is gone from under it.
    for _ in 0..5 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "on_hold");
    key(&mut a, KeyCode::Enter);
    let c = a.actions.confirm.as_ref().expect("the update's preview");
    assert_eq!(c.title, "Update 1 record?");
    assert!(!status(&a).contains("refused"), "a stale refusal under the preview: {}", status(&a));
    assert!(!screen(&a, 120, 40).contains("refused"));
}

/// A detail of `e` opened from its list (one row, `r`), answered with that record.
fn detail_of(a: &mut App, view: char, e: Entity, r: Record) {
    list_of(a, view, e, vec![r.clone()]);
    let Some(Effect::LoadDetail { seq, .. }) =
        key(a, KeyCode::Enter).into_iter().find(|x| matches!(x, Effect::LoadDetail { .. }))
    else {
        panic!("Enter opens the detail")
    };
    a.update(Msg::Detail { seq, result: Ok(DetailData { record: r, exec: None, related: vec![] }) });
}

/// Finding 6: footers offered what pressing refuses — `r retry` on a sync history detail,
/// `r rerun` on a complete execution, `space mark` on the read-only console. A verb is
/// offered where the rules let it apply to what is selected.
#[test]
fn footers_offer_only_what_applies_to_what_is_selected() {
    // A sync history detail: nothing to retry.
    let mut a = app();
    a.start();
    let mut h = Record::default();
    h.set("sys_id", "h1");
    h.set("number", "SH0001");
    detail_of(&mut a, '7', Entity::History, h);
    assert!(!footer(&a).contains(&"retry"), "{:?}", footer(&a));
    ch(&mut a, 'r');
    assert!(status(&a).contains("cannot be retried"), "what the footer no longer offers: {}", status(&a));

    // A complete execution: no rerun; one in error: rerun.
    for (state, offered) in [("COMPLETE", false), ("ERROR", true)] {
        let mut a = app();
        a.start();
        let mut x = Record::default();
        x.set("sys_id", "e1");
        x.set("name", "BrightFM - Update Work Order");
        x.set("state", state);
        detail_of(&mut a, '6', Entity::Executions, x);
        assert_eq!(footer(&a).contains(&"rerun"), offered, "{state}: {:?}", footer(&a));
    }

    // A queue list: retry and skip where the selected entry is in error, not on a
    // processed one; marks are offered.
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    let f = footer(&a);
    assert!(f.contains(&"retry") && f.contains(&"skip") && f.contains(&"mark"), "{f:?}");
    let mut b = app();
    b.start();
    outbound_with(&mut b, 3, "processed");
    let f = footer(&b);
    assert!(!f.contains(&"retry") && !f.contains(&"skip") && f.contains(&"mark"), "{f:?}");

    // Read-only: no operation and no mark.
    let mut ro = App::new(Settings { read_only: true, ..Default::default() }, Keymap::default());
    ro.size = (160, 40);
    ro.start();
    outbound_with(&mut ro, 3, "error");
    let f = footer(&ro);
    assert!(!f.contains(&"mark") && !f.contains(&"retry") && !f.contains(&"skip"), "{f:?}");
    assert!(f.contains(&"open") && f.contains(&"quit"), "{f:?}");
}

fn profile(name: &str) -> FleetProfile {
    FleetProfile {
        name: name.into(),
        instance: format!("https://{name}.example.com"),
        read_only: false,
        production: false,
        tables: Tables::default(),
    }
}

/// Finding 7, the header: `:log` (and `:fleet`) showed "● live 13s ago" while nothing
/// polled the instance, the age growing; a poll long unanswered still read "live". Not
/// polled: "paused" with the age; answered too long ago: "stale" with the age.
#[test]
fn the_header_says_paused_or_stale_not_live_when_it_is_not() {
    let mut a = app();
    let fx = a.start();
    let Some(Effect::LoadOverview { seq, .. }) = fx.first() else { panic!("{fx:?}") };
    a.update(Msg::Overview { seq: *seq, result: Ok(OverviewData::default()) });
    assert_eq!(a.freshness(), Freshness::Live);
    assert!(screen(&a, 160, 30).contains("● live"));
    command(&mut a, "log");
    tick(&mut a, Duration::from_secs(13));
    assert_eq!(a.freshness(), Freshness::Paused);
    let s = screen(&a, 160, 30);
    assert!(!s.contains("● live") && s.contains("paused, last refreshed 13s ago"), "{s}");
    command(&mut a, "fleet");
    assert_eq!(a.freshness(), Freshness::Paused, "the fleet asks each profile's own client");
    // Back on the overview, its poll goes out and is not answered for ten minutes.
    ch(&mut a, '1');
    tick(&mut a, Duration::from_secs(600));
    assert_eq!(a.freshness(), Freshness::Old);
    let s = screen(&a, 160, 30);
    assert!(!s.contains("● live") && s.contains("stale, last answer 10m ago"), "{s}");
    // Frozen: paused.
    ch(&mut a, 'f');
    assert_eq!(a.freshness(), Freshness::Paused);
}

/// Finding 7, the fleet: a profile whose polls went unanswered read "● live, 14m ago ·
/// ⏳ no answer f…" with counts 14 minutes old (its client still retrying, no failure
/// yet). Counts older than a few polls read stale, with their time and why; frozen, paused.
#[test]
fn old_fleet_counts_are_not_called_live() {
    let mut a = app();
    a.fleet = Fleet::new(vec![profile("a"), profile("broken")]);
    a.start();
    let fx = command(&mut a, "fleet");
    for e in fx {
        if let Effect::PollFleet { profile, seq, .. } = e {
            a.update(Msg::Fleet { profile, seq, result: Ok(FleetSample::default()) });
        }
    }
    assert!(a.fleet.rows.iter().all(|r| a.fleet_row_state(r) == RowState::Live));
    // Fourteen minutes on: `a` answers its poll, `broken` does not.
    let fx = tick(&mut a, Duration::from_secs(14 * 60));
    for e in fx {
        if let Effect::PollFleet { profile, seq, .. } = e
            && profile == "a"
        {
            a.update(Msg::Fleet { profile, seq, result: Ok(FleetSample::default()) });
        }
    }
    tick(&mut a, Duration::from_secs(5));
    let row = |a: &App, name: &str| a.fleet.rows.iter().find(|r| r.profile.name == name).cloned().unwrap();
    assert_eq!(a.fleet_row_state(&row(&a, "a")), RowState::Live);
    match a.fleet_row_state(&row(&a, "broken")) {
        RowState::Stale { reason, .. } => assert_eq!(reason, "no answer for 5s"),
        other => panic!("old counts read {other:?}"),
    }
    let s = screen(&a, 160, 30);
    let line = s.lines().find(|l| l.contains("broken")).expect("the row");
    assert!(!line.contains("live") && line.contains("stale since"), "{line}");
    // Frozen: nothing is polled, nothing reads live.
    ch(&mut a, 'f');
    match a.fleet_row_state(&row(&a, "a")) {
        RowState::Stale { reason, .. } => assert!(reason.contains("paused"), "{reason}"),
        other => panic!("frozen reads {other:?}"),
    }
}

/// The second walkthrough: with two work orders marked, `u` offered "update" and opened
/// a form for one of them (the marks silently ignored); in read-only, space still marked
/// rows the footer no longer offered to mark. Neither happens now.
#[test]
fn update_is_one_work_order_and_read_only_marks_nothing() {
    let mut a = app();
    let wo = |id: &str, n: &str| {
        let mut r = rec(id, n, "created", "2026-11-24 10:00:00");
        r.set("short_description", "Door stuck");
        r.set("priority", "3");
        r
    };
    list_of(&mut a, '3', Entity::WorkOrders, vec![wo("w1", "WPT1"), wo("w2", "WPT2")]);
    assert!(a.offers(hubtop::app::keys::Action::UpdateWorkOrder), "one selected: offered");
    ch(&mut a, ' ');
    ch(&mut a, ' ');
    assert!(!a.offers(hubtop::app::keys::Action::UpdateWorkOrder), "two marked: not offered");
    ch(&mut a, 'u');
    assert!(a.actions.form.is_none(), "no form for one of the two");
    assert!(status(&a).contains("one work order at a time: 2 are marked"), "{}", status(&a));

    let mut ro = App::new(Settings { read_only: true, ..Default::default() }, Keymap::default());
    ro.size = (120, 40);
    list_of(&mut ro, '3', Entity::WorkOrders, vec![wo("w1", "WPT1")]);
    ch(&mut ro, ' ');
    assert!(ro.current_list().expect("list").marks.is_empty(), "read-only marks nothing");
    assert!(status(&ro).contains("read-only"), "{}", status(&ro));
}
