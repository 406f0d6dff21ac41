//! The app's state machine, driven by keys and messages alone: no network, no terminal.

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use hubtop::app::actions::ActionEvent;
use hubtop::app::keys::Keymap;
use hubtop::app::overview::OverviewData;
use hubtop::app::{App, Effect, Msg, Screen, Settings, ViewKind};
use hubtop::client::read::{Delta, ListSpec, Page};
use hubtop::client::{Entity, Error, Record};
use hubtop::domain::Operation;
use hubtop::ops::Outcome;

use crate::common::app::*;

#[test]
fn one_request_in_flight_and_stale_answers_dropped() {
    let mut a = app();
    let fx = a.start();
    let Some(Effect::LoadOverview { seq, .. }) = fx.first().cloned() else { panic!("{fx:?}") };
    // A tick while the overview is loading asks for nothing more.
    let fx = a.update(Msg::Tick(Instant::now() + Duration::from_secs(10), chrono::Utc::now()));
    assert!(fx.is_empty(), "{fx:?}");
    // An answer for another sequence number is ignored.
    a.update(Msg::Overview { seq: seq + 100, result: Ok(OverviewData::default()) });
    assert!(a.overview.data.is_none());
    a.update(Msg::Overview { seq, result: Ok(OverviewData::default()) });
    assert!(a.overview.data.is_some());
}

#[test]
fn navigation_drill_down_and_back_stack() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 30, "error");
    assert_eq!(a.current_list().unwrap().selected, 0);
    ch(&mut a, 'j');
    ch(&mut a, 'j');
    assert_eq!(a.current_list().unwrap().selected, 2);
    ch(&mut a, 'G');
    assert_eq!(a.current_list().unwrap().selected, 29);
    ch(&mut a, 'g');
    let fx = key(&mut a, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::LoadDetail { entity: Entity::Outbound, sys_id, .. }] if sys_id == "id000"),
        "{fx:?}"
    );
    assert_eq!(a.breadcrumbs(), vec!["Outbound".to_string(), "Outbound entry ISO0000000".to_string()]);
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.screen(), Screen::View(ViewKind::List(Entity::Outbound))));
    // Views 1–7 reset the stack.
    ch(&mut a, '1');
    assert!(matches!(a.screen(), Screen::View(ViewKind::Overview)));
    assert_eq!(a.stack.len(), 1);
}

#[test]
fn scrolling_past_the_window_fetches_the_next_one() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 200, "processed");
    a.lists.get_mut(&Entity::Outbound).unwrap().total = Some(1_000_000);
    let mut fetched = None;
    for _ in 0..30 {
        for fx in key(&mut a, KeyCode::PageDown) {
            if let Effect::LoadWindow { spec, .. } = fx {
                fetched = Some(spec.offset);
            }
        }
        if fetched.is_some() {
            break;
        }
    }
    let off = fetched.expect("a window further down is fetched");
    assert!(off > 0 && off < 1_000_000, "{off}");
    assert_eq!(a.current_list().unwrap().len(), 1_000_000, "navigation spans the whole table");
}

#[test]
fn live_rows_keep_the_selection_on_its_record() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 10, "error");
    ch(&mut a, 'j');
    ch(&mut a, 'j');
    assert_eq!(a.current_list().unwrap().selected_record().unwrap().sys_id(), "id002");
    // Due for a refresh: a delta is asked for.
    let fx = a.update(Msg::Tick(Instant::now() + Duration::from_secs(5), chrono::Utc::now()));
    let Some(Effect::Delta { seq, delta, .. }) = fx.into_iter().next() else { panic!("delta expected") };
    let new =
        vec![rec("new1", "ISO9", "error", "2026-11-24 11:00:00"), rec("new2", "ISO8", "error", "2026-11-24 11:00:01")];
    a.update(Msg::Delta { entity: Entity::Outbound, seq, result: Ok((delta, new)) });
    let l = a.current_list().unwrap();
    assert_eq!(l.rows.len(), 12);
    assert_eq!(l.rows[0].sys_id(), "new2", "newest first");
    assert_eq!(l.selected_record().unwrap().sys_id(), "id002", "selection stayed on its record");
    assert_eq!(l.total, Some(12));
}

#[test]
fn a_row_leaving_the_filter_is_dropped() {
    let mut a = app();
    a.start();
    ch(&mut a, '4');
    ch(&mut a, '/');
    for c in "state=error".chars() {
        ch(&mut a, c);
    }
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::LoadWindow { seq, spec, .. }) = fx.into_iter().next() else { panic!() };
    assert_eq!(spec.query.to_string(), "state=error^ORDERBYDESCsys_updated_on");
    let rows = vec![rec("a", "ISO1", "error", "2026-11-24 10:00:00"), rec("b", "ISO2", "error", "2026-11-24 09:00:00")];
    let delta = Delta::starting_at(ListSpec::new("x"), None);
    a.update(Msg::Window {
        entity: Entity::Outbound,
        seq,
        offset: 0,
        result: Ok((Page { records: rows, total: Some(2), next_offset: None }, Some(delta))),
    });
    let fx = a.update(Msg::Tick(Instant::now() + Duration::from_secs(5), chrono::Utc::now()));
    let Some(Effect::Delta { seq, delta, .. }) = fx.into_iter().next() else { panic!() };
    a.update(Msg::Delta {
        entity: Entity::Outbound,
        seq,
        result: Ok((delta, vec![rec("a", "ISO1", "processed", "2026-11-24 10:00:05")])),
    });
    let l = a.current_list().unwrap();
    assert_eq!(l.rows.len(), 1);
    assert_eq!(l.rows[0].sys_id(), "b");
}

#[test]
fn quick_filter_is_local_until_enter() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 20, "error");
    let fx = ch(&mut a, '/');
    assert!(fx.is_empty());
    let mut fx = Vec::new();
    for c in "0000001".chars() {
        fx.extend(ch(&mut a, c));
    }
    assert!(fx.is_empty(), "typing sends nothing: {fx:?}");
    let l = a.current_list().unwrap();
    assert_eq!(l.visible().len(), 1);
    assert_eq!(l.selected_record().unwrap().get("number"), "ISO0000001");
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.current_list().unwrap().visible().len(), 20);
}

#[test]
fn stale_then_recovered() {
    let mut a = app();
    let Some(Effect::LoadOverview { seq, .. }) = a.start().into_iter().next() else { panic!() };
    a.update(Msg::Overview {
        seq,
        result: Err(Error::Server { status: 503, message: "Service Unavailable".into(), detail: None }),
    });
    assert!(a.conn.stale_since.is_some());
    assert_eq!(a.conn.reason, "HTTP 503");
    let fx = a.update(Msg::Tick(Instant::now() + Duration::from_secs(5), chrono::Utc::now()));
    let Some(Effect::LoadOverview { seq, .. }) = fx.into_iter().next() else { panic!("retries by itself") };
    a.update(Msg::Overview { seq, result: Ok(OverviewData::default()) });
    assert!(a.conn.stale_since.is_none());
}

#[test]
fn freeze_stops_live_updates() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 5, "error");
    ch(&mut a, 'f');
    assert!(a.frozen);
    let fx = a.update(Msg::Tick(Instant::now() + Duration::from_secs(60), chrono::Utc::now()));
    assert!(fx.is_empty(), "{fx:?}");
    let fx = ch(&mut a, 'f');
    assert!(matches!(fx.as_slice(), [Effect::Delta { .. }]), "{fx:?}");
}

// ---- actions ----

fn act_job(fx: &[Effect]) -> hubtop::app::actions::Job {
    match fx {
        [Effect::Act(job)] => job.clone(),
        other => panic!("expected one job, got {other:?}"),
    }
}

#[test]
fn retry_is_previewed_then_shows_pending_then_the_outcome() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    // Previewed like every operation; `y` sends it.
    assert!(ch(&mut a, 'r').is_empty(), "nothing sent before the preview");
    assert_eq!(a.actions.confirm.as_ref().map(|c| c.title.as_str()), Some("Retry 1 record?"));
    let job = act_job(&ch(&mut a, 'y'));
    assert_eq!(job.op, Operation::Retry);
    assert_eq!(job.targets.len(), 1);
    assert_eq!(a.current_list().unwrap().pending.get("id000").map(String::as_str), Some("retry…"));
    a.update(Msg::Action(ActionEvent::Done {
        job: job.id,
        sys_id: "id000".into(),
        outcome: Outcome::Ok("processed (HTTP 201)".into()),
    }));
    assert!(a.current_list().unwrap().pending.is_empty());
    assert!(a.status.as_ref().unwrap().1.contains("processed (HTTP 201)"));
    a.update(Msg::Action(ActionEvent::Finished { job: job.id, cancelled: false }));
    assert!(a.actions.running.is_empty());
}

#[test]
fn unknown_outcome_and_failure_are_told_apart() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    ch(&mut a, 'r');
    let job = act_job(&ch(&mut a, 'y'));
    a.update(Msg::Action(ActionEvent::Done {
        job: job.id,
        sys_id: "id000".into(),
        outcome: Outcome::Unknown("the answer was lost".into()),
    }));
    let (_, msg) = a.status.clone().unwrap();
    assert!(msg.contains("outcome unknown"), "{msg}");
    ch(&mut a, 'j');
    ch(&mut a, 'r');
    let job = act_job(&ch(&mut a, 'y'));
    a.update(Msg::Action(ActionEvent::Done {
        job: job.id,
        sys_id: "id001".into(),
        outcome: Outcome::Failed("provider answered 401".into()),
    }));
    assert!(a.status.clone().unwrap().1.contains("failed: provider answered 401"));
}

#[test]
fn skip_is_confirmed_and_esc_sends_nothing() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    assert!(ch(&mut a, 'x').is_empty());
    let c = a.actions.confirm.as_ref().expect("a confirmation");
    assert!(c.lines[0].contains("PATCH outbound state=skipped"), "{:?}", c.lines);
    assert!(key(&mut a, KeyCode::Esc).is_empty());
    assert!(a.actions.confirm.is_none());
    ch(&mut a, 'x');
    let job = act_job(&ch(&mut a, 'y'));
    assert_eq!(job.op, Operation::Skip);
}

#[test]
fn read_only_refuses_every_action() {
    let mut a = App::new(Settings { read_only: true, ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a.start();
    outbound_with(&mut a, 3, "error");
    for c in ['r', 'x', 'c', 'n', 'u'] {
        // Nothing is sent: the only effect is the refusal's line in the audit log.
        let fx = ch(&mut a, c);
        assert!(fx.iter().all(|e| matches!(e, Effect::Refused(..))), "{c} sends nothing: {fx:?}");
        assert!(a.status.as_ref().unwrap().1.contains("read-only"), "{c}");
        assert!(a.actions.confirm.is_none() && a.actions.form.is_none());
    }
}

#[test]
fn bulk_mark_confirm_progress_cancel_and_summary() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 5, "error");
    ch(&mut a, ' ');
    ch(&mut a, ' ');
    ch(&mut a, ' ');
    assert_eq!(a.current_list().unwrap().marks.len(), 3);
    assert!(ch(&mut a, 'r').is_empty(), "bulk is previewed first");
    let c = a.actions.confirm.as_ref().unwrap();
    assert!(c.lines[0].starts_with("3 × PATCH outbound state=ready"), "{:?}", c.lines);
    let job = act_job(&key(&mut a, KeyCode::Enter));
    assert_eq!(job.targets.len(), 3);
    assert!(a.current_list().unwrap().marks.is_empty());
    a.update(Msg::Action(ActionEvent::Done {
        job: job.id,
        sys_id: "id000".into(),
        outcome: Outcome::Ok("state → ready".into()),
    }));
    let r = a.actions.bulk_running().unwrap();
    assert_eq!((r.done, r.remaining()), (1, 2));
    // The job is no dialog: Esc is the list's again; `:cancel` stops what is not sent yet.
    assert!(!a.actions.modal_open());
    ch(&mut a, ':');
    for c in "cancel".chars() {
        ch(&mut a, c);
    }
    let fx = key(&mut a, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::CancelBulk(id)] if *id == job.id), "{fx:?}");
    a.update(Msg::Action(ActionEvent::Done {
        job: job.id,
        sys_id: "id001".into(),
        outcome: Outcome::Failed("HTTP 404".into()),
    }));
    a.update(Msg::Action(ActionEvent::Finished { job: job.id, cancelled: true }));
    let t = a.actions.report.as_ref().expect("a report").tally();
    assert_eq!((t.ok, t.failed, t.not_sent), (1, 1, 1));
    // Its lines are in the session log, each failure with its entry.
    assert!(a.log.entries.iter().any(|e| e.text.contains("1 × HTTP 404: ISO0000001")), "{:?}", a.log.entries);
}

#[test]
fn production_bulk_needs_the_count_typed() {
    let mut a = App::new(Settings { production: true, ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a.start();
    outbound_with(&mut a, 5, "error");
    ch(&mut a, '*');
    assert_eq!(a.current_list().unwrap().marks.len(), 5);
    ch(&mut a, 'r');
    assert!(a.actions.confirm.as_ref().unwrap().typed.is_some());
    assert!(ch(&mut a, 'y').is_empty(), "y is not enough");
    assert!(key(&mut a, KeyCode::Enter).is_empty(), "a wrong count sends nothing");
    key(&mut a, KeyCode::Backspace);
    ch(&mut a, '5');
    let job = act_job(&key(&mut a, KeyCode::Enter));
    assert_eq!(job.targets.len(), 5);
}

#[test]
fn update_form_sends_only_changed_fields_and_the_comment() {
    let mut a = app();
    a.start();
    let fx = ch(&mut a, '3');
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!() };
    let mut wo = rec("wo1", "WPT0001", "created", "2026-11-24 10:00:00");
    wo.set("priority", "3");
    a.update(Msg::Window {
        entity: Entity::WorkOrders,
        seq,
        offset: 0,
        result: Ok((Page { records: vec![wo], total: Some(1), next_offset: None }, None)),
    });
    ch(&mut a, 'u');
    assert!(a.actions.form.is_some());
    // priority is the second field.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Backspace);
    ch(&mut a, '1');
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Tab);
    for c in "caller escalated".chars() {
        ch(&mut a, c);
    }
    // Enter shows what is sent first; y sends it.
    assert!(key(&mut a, KeyCode::Enter).is_empty(), "a preview first");
    let c = a.actions.confirm.as_ref().expect("the preview");
    assert!(c.lines.iter().any(|l| l.contains("priority") && l.contains("\"1\"")), "{:?}", c.lines);
    let job = act_job(&ch(&mut a, 'y'));
    match job.op {
        Operation::Update { changed, comment } => {
            assert_eq!(changed.len(), 1);
            assert_eq!(changed.get("priority").and_then(|v| v.as_str()), Some("1"));
            assert_eq!(comment, "caller escalated");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn single_flow_action_follows_its_execution() {
    let mut a = app();
    a.start();
    let fx = ch(&mut a, '3');
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!() };
    let wo = rec("wo1", "WPT0001", "create_failed", "2026-11-24 10:00:00");
    a.update(Msg::Window {
        entity: Entity::WorkOrders,
        seq,
        offset: 0,
        result: Ok((Page { records: vec![wo], total: Some(1), next_offset: None }, None)),
    });
    // A failed create sent again is previewed, as `n` is.
    assert!(ch(&mut a, 'r').is_empty(), "previewed first");
    let job = act_job(&ch(&mut a, 'y'));
    assert!(matches!(job.op, Operation::WorkOrder(_)));
    let fx = a.update(Msg::Action(ActionEvent::Started { job: job.id, sys_id: "wo1".into(), execution: "ex1".into() }));
    assert!(
        matches!(fx.as_slice(), [Effect::LoadDetail { entity: Entity::Executions, sys_id, .. }] if sys_id == "ex1")
    );
    assert!(matches!(a.screen(), Screen::Detail(_)));
}

#[test]
fn help_is_generated_from_the_keymap_and_remaps_conflict() {
    let mut a = app();
    let lines = hubtop::ui::overlay::help_lines(&a);
    assert!(lines.iter().any(|(k, d)| k.contains('r') && d.contains("retry")));
    ch(&mut a, '?');
    assert!(matches!(a.mode, hubtop::app::Mode::Help));
    let mut km = Keymap::default();
    let err = km.extend(&[("retry".into(), "x".into())]).unwrap_err();
    assert!(err[0].contains("bound to both skip and retry"), "{err:?}");
    km.extend(&[("retry".into(), "ctrl-t".into())]).expect("a free key");
    assert!(km.keys_for(hubtop::app::keys::Action::Retry).contains(&"ctrl-t".to_string()));
    assert!(km.keys_for(hubtop::app::keys::Action::Retry).contains(&"r".to_string()), "defaults stay");
}

fn typ(a: &mut App, s: &str) {
    for c in s.chars() {
        ch(a, c);
    }
}

fn window_query(fx: &[Effect]) -> String {
    match fx {
        [Effect::LoadWindow { spec, .. }, ..] => spec.query.to_string(),
        other => panic!("expected a window load, got {other:?}"),
    }
}

#[test]
fn a_refused_filter_is_a_warning_not_a_stale_instance() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 5, "error");
    ch(&mut a, '/');
    // (A state no choice list has is refused here, before the instance: see trust_console.)
    typ(&mut a, "number=bogus");
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("the filter goes to the instance") };
    let err = Error::Server { status: 400, message: "Invalid query".into(), detail: None };
    a.update(Msg::Window { entity: Entity::Outbound, seq, offset: 0, result: Err(err) });
    assert!(a.conn.stale_since.is_none(), "the instance answered: still live");
    assert!(a.current_list().unwrap().error.as_deref().is_some_and(|e| e.contains("Invalid query")));
}

#[test]
fn marks_belong_to_the_filter_they_were_made_under() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 5, "error");
    ch(&mut a, ' ');
    ch(&mut a, ' ');
    assert_eq!(a.current_list().unwrap().marks.len(), 2);
    ch(&mut a, '/');
    typ(&mut a, "state=error");
    key(&mut a, KeyCode::Enter);
    assert!(a.current_list().unwrap().marks.is_empty(), "a new filter, a new population");
    outbound_answer(&mut a);
    ch(&mut a, ' ');
    // Esc clears the marks first, and only them.
    key(&mut a, KeyCode::Esc);
    let l = a.current_list().unwrap();
    assert!(l.marks.is_empty());
    assert_eq!(l.query_label, "state=error", "the filter stays until the next Esc");
    key(&mut a, KeyCode::Esc);
    assert!(a.current_list().unwrap().query_label.is_empty());
}

/// Answers the outbound list's pending window load with five rows.
fn outbound_answer(a: &mut App) {
    let seq = a.current_list().unwrap().seq;
    let rows: Vec<Record> =
        (0..5).map(|i| rec(&format!("f{i}"), &format!("ISO9{i:06}"), "error", "2026-11-24 10:00:00")).collect();
    let page = Page { records: rows, total: Some(5), next_offset: None };
    a.update(Msg::Window { entity: Entity::Outbound, seq, offset: 0, result: Ok((page, None)) });
}

#[test]
fn a_drill_down_is_refined_by_words_and_left_behind() {
    let mut a = app();
    let Some(Effect::LoadOverview { seq, .. }) = a.start().into_iter().next() else { panic!() };
    let data = OverviewData { error_messages: vec![("HTTP 503: provider error".into(), 3)], ..Default::default() };
    a.update(Msg::Overview { seq, result: Ok(data) });
    let fx = key(&mut a, KeyCode::Enter);
    let group = window_query(&fx);
    assert!(group.contains("state=error") && group.contains("HTTP 503"), "{group}");
    assert!(a.current_list().unwrap().is_drill_down());
    // `/` starts empty (the group's label is no filter to edit); Enter with nothing keeps the group.
    ch(&mut a, '/');
    assert!(matches!(&a.mode, hubtop::app::Mode::Filter(i) if i.value().is_empty()));
    key(&mut a, KeyCode::Enter);
    assert!(a.current_list().unwrap().is_drill_down());
    // Words narrow the group instead of replacing it.
    ch(&mut a, '/');
    typ(&mut a, "FM-7");
    let q = window_query(&key(&mut a, KeyCode::Enter));
    assert!(q.starts_with(group.trim_end_matches("^ORDERBYDESCsys_updated_on")), "{q} keeps {group}");
    assert!(q.contains("last_errorLIKEFM-7"), "{q}");
    // Back on the overview, the outbound view is whole again.
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.screen(), Screen::View(ViewKind::Overview)));
    let q = window_query(&ch(&mut a, '4'));
    assert_eq!(q, "ORDERBYDESCsys_updated_on");
}

#[test]
fn a_new_row_in_a_sorted_list_reloads_the_window() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 10, "error");
    let fx = ch(&mut a, 's');
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("sorting reloads") };
    let rows: Vec<Record> =
        (0..10).map(|i| rec(&format!("id{i:03}"), &format!("ISO{i:07}"), "error", "2026-11-24 10:00:00")).collect();
    let page = Page { records: rows, total: Some(10), next_offset: None };
    a.update(Msg::Window { entity: Entity::Outbound, seq, offset: 0, result: Ok((page, None)) });
    let fx = a.update(Msg::Tick(Instant::now() + Duration::from_secs(5), chrono::Utc::now()));
    let Some(Effect::Delta { seq, delta, .. }) = fx.into_iter().next() else { panic!("delta expected") };
    let new = vec![rec("new1", "ISO9", "error", "2026-11-24 11:00:00")];
    let fx = a.update(Msg::Delta { entity: Entity::Outbound, seq, result: Ok((delta, new)) });
    assert_eq!(a.current_list().unwrap().total, Some(11));
    // Where the row sorts to, the instance says: the window is asked for again.
    assert!(matches!(fx.as_slice(), [Effect::LoadWindow { entity: Entity::Outbound, .. }]), "{fx:?}");
}

#[test]
fn words_find_a_provider_by_its_title() {
    let mut a = app();
    let Some(Effect::LoadOverview { seq, .. }) = a.start().into_iter().next() else { panic!() };
    let mut p = Record::default();
    p.set("sys_id", "p1");
    p.set("title", "Northwind Remote Instance");
    a.update(Msg::Overview { seq, result: Ok(OverviewData { providers: vec![p], ..Default::default() }) });
    outbound_with(&mut a, 3, "error");
    ch(&mut a, '/');
    typ(&mut a, "northwind");
    let q = window_query(&key(&mut a, KeyCode::Enter));
    assert!(q.contains("^ORproviderINp1"), "{q}");
    // A typed filter comes back to edit under `/`.
    ch(&mut a, '/');
    assert!(matches!(&a.mode, hubtop::app::Mode::Filter(i) if i.value() == "northwind"));
}

#[test]
fn on_a_too_small_screen_only_quit_acts() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    a.update(Msg::Resize(50, 10));
    ch(&mut a, '?');
    ch(&mut a, ' ');
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, hubtop::app::Mode::Normal), "no help drawn behind the too-small screen");
    assert!(a.current_list().unwrap().marks.is_empty());
    assert!(matches!(a.screen(), Screen::View(ViewKind::List(Entity::Outbound))));
    let fx = ch(&mut a, 'q');
    assert!(matches!(fx.as_slice(), [Effect::Quit]), "{fx:?}");
}
