//! What a new operator's walkthrough of the console found after the trust round: every
//! operation previewed by the same rule whichever key asks for it, the key that opened a
//! dialog meaning what the dialog says it means, a refused filter that leaves the list as
//! it was, status lines that go with what they were about, `r` on an error group, the
//! bulk line's words, a create refused by the work order's state, and `:profile` of the
//! profile already connected. Each test names the finding it covers.

use crate::common::app::{app, ch, command, filter, key, outbound_with, rec, screen, status, typed};
use crossterm::event::KeyCode;
use hubtop::app::actions::{ActionEvent, Job};
use hubtop::app::fleet::{Fleet, FleetProfile};
use hubtop::app::keys::Keymap;
use hubtop::app::overview::OverviewData;
use hubtop::app::{App, Effect, Msg, Screen, Settings, ViewKind};
use hubtop::client::read::Page;
use hubtop::client::{Record, Tables};
use hubtop::domain::{Entity, Operation, WorkOrderOp};
use hubtop::ops::Outcome;

fn production() -> App {
    let mut a = App::new(Settings { production: true, ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a
}

fn acts(fx: &[Effect]) -> Vec<Job> {
    fx.iter().filter_map(|e| if let Effect::Act(j) = e { Some(j.clone()) } else { None }).collect()
}

/// Answers the window load among `fx` with `rows`.
fn answer(a: &mut App, fx: &[Effect], e: Entity, rows: Vec<Record>) -> Vec<Effect> {
    let Some(seq) = fx.iter().find_map(|x| match x {
        Effect::LoadWindow { entity, seq, .. } if *entity == e => Some(*seq),
        _ => None,
    }) else {
        panic!("a window load of {e:?} expected, got {fx:?}")
    };
    let n = rows.len();
    a.update(Msg::Window {
        entity: e,
        seq,
        offset: 0,
        result: Ok((Page { records: rows, total: Some(n), next_offset: None }, None)),
    })
}

fn work_order(state: &str) -> Record {
    let mut r = rec("wo1", "WPT0001", "in_progress", "2026-11-24 10:00:00");
    r.set("integration_state", state);
    r.set("short_description", "Parking barrier stuck open");
    r.set("priority", "3");
    r
}

fn work_orders(a: &mut App, state: &str) {
    let fx = ch(a, '3');
    answer(a, &fx, Entity::WorkOrders, vec![work_order(state)]);
}

/// Finding 3: on a production profile a single retry is previewed like every other
/// operation (and, since a later walkthrough, on every other profile too).
#[test]
fn a_single_retry_on_a_production_profile_is_previewed() {
    let mut a = production();
    a.start();
    outbound_with(&mut a, 3, "error");
    let fx = ch(&mut a, 'r');
    assert!(acts(&fx).is_empty(), "nothing sent before the preview: {fx:?}");
    let c = a.actions.confirm.as_ref().expect("a preview of the single retry");
    assert_eq!(c.title, "Retry 1 record?");
    assert!(c.lines[0].starts_with("1 × PATCH outbound state=ready"), "{:?}", c.lines);
    assert!(c.typed.is_none(), "one record: y sends it");
    let job = acts(&ch(&mut a, 'y')).pop().expect("y sends it");
    assert_eq!((job.op, job.targets.len()), (Operation::Retry, 1));
    // Not production: previewed the same (nothing goes at once); `y` sends it.
    let mut b = app();
    b.start();
    outbound_with(&mut b, 3, "error");
    assert!(acts(&ch(&mut b, 'r')).is_empty());
    assert_eq!(b.actions.confirm.as_ref().map(|c| c.title.as_str()), Some("Retry 1 record?"));
    assert_eq!(acts(&ch(&mut b, 'y')).len(), 1);
}

/// Finding 3: a work order's failed update sent again (a resync) and a failed create sent
/// again by `r` are previewed, on any profile, as `u` and `n` preview them.
#[test]
fn a_work_order_resync_and_a_create_by_r_are_previewed() {
    let mut a = app();
    a.start();
    work_orders(&mut a, "update_failed");
    let fx = ch(&mut a, 'r');
    assert!(acts(&fx).is_empty(), "the resync is not sent at once: {fx:?}");
    let c = a.actions.confirm.as_ref().expect("a preview of the resync");
    assert_eq!(c.title, "Resync 1 record?");
    assert!(c.lines[0].contains("resync"), "{:?}", c.lines);
    let job = acts(&ch(&mut a, 'y')).pop().expect("y sends it");
    assert!(matches!(&job.op, Operation::Update { changed, .. } if changed.is_empty()), "{:?}", job.op);

    let mut b = app();
    b.start();
    work_orders(&mut b, "create_failed");
    assert!(acts(&ch(&mut b, 'r')).is_empty());
    assert_eq!(b.actions.confirm.as_ref().map(|c| c.title.as_str()), Some("Create 1 record?"));
    let job = acts(&ch(&mut b, 'y')).pop().expect("y sends it");
    assert_eq!(job.op, Operation::WorkOrder(WorkOrderOp::Create));
}

/// Finding 4: `n` opened the create preview and `n` means "no" there: a second `n` backs
/// out (nothing sent), and a third is the double tap of that answer, swallowed rather
/// than opening the preview again. Where the opening key would be text (a form) it is
/// still swallowed.
#[test]
fn the_key_that_opened_a_preview_backs_out_of_it_where_it_means_that() {
    let mut a = app();
    a.start();
    work_orders(&mut a, "not_synced");
    assert!(ch(&mut a, 'n').is_empty());
    assert!(a.actions.confirm.is_some(), "the create preview");
    let fx = ch(&mut a, 'n');
    assert!(acts(&fx).is_empty(), "{fx:?}");
    assert!(a.actions.confirm.is_none(), "the second n backed out: {}", status(&a));
    assert!(status(&a).contains("nothing sent"), "{}", status(&a));
    ch(&mut a, 'n');
    assert!(a.actions.confirm.is_none(), "the third n is the double tap of the answer");
    assert!(status(&a).contains("again ignored"), "{}", status(&a));
    // And once more, on purpose: the preview again.
    ch(&mut a, 'n');
    assert!(a.actions.confirm.is_some());

    // The update form: `u` again is not typed into it.
    let mut b = app();
    b.start();
    let mut wo = work_order("created");
    wo.set("fm_work_order_id", "FM-1");
    let fx = ch(&mut b, '3');
    answer(&mut b, &fx, Entity::WorkOrders, vec![wo]);
    ch(&mut b, 'u');
    ch(&mut b, 'u');
    let f = b.actions.form.as_ref().expect("the form stays open");
    assert_eq!(f.fields[0].2.value(), "Parking barrier stuck open");
}

/// Finding 9: a refused filter (a field the list does not have, a choice it does not
/// know) leaves the list as it was — its rows, its selection, its filter in the
/// breadcrumb — and says why; the filter path's validation still folds case and takes
/// labels.
#[test]
fn a_refused_filter_leaves_the_list_and_its_breadcrumb_as_they_were() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 5, "error");
    let fx = filter(&mut a, "state=Error");
    let q = match fx.iter().find(|e| matches!(e, Effect::LoadWindow { .. })) {
        Some(Effect::LoadWindow { spec, .. }) => spec.query.to_string(),
        _ => panic!("{fx:?}"),
    };
    assert!(q.starts_with("state=error"), "the label, any case, is the stored value: {q}");
    let rows: Vec<Record> =
        (0..5).map(|i| rec(&format!("id{i:03}"), &format!("ISO{i:07}"), "error", "2026-11-24 10:00:00")).collect();
    answer(&mut a, &fx, Entity::Outbound, rows);
    ch(&mut a, 'j');
    ch(&mut a, 'j');
    let before = screen(&a, 120, 30);
    assert!(before.contains("filter: state=Error"), "{before}");
    for refused in ["bogus=1", "state=broken"] {
        let fx = filter(&mut a, refused);
        assert!(fx.is_empty(), "nothing asked for {refused}: {fx:?}");
        let l = a.current_list().unwrap();
        assert_eq!(l.visible().len(), 5, "the rows stay after {refused}");
        assert_eq!(l.selected, 2, "the selection stays after {refused}");
        assert_eq!(l.query_label, "state=Error");
        assert!(l.quick_filter.is_empty(), "{:?}", l.quick_filter);
        let st = status(&a);
        assert!(st.contains("filter refused") && st.contains("keeps its filter (state=Error)"), "{st}");
        let now = screen(&a, 120, 30);
        assert!(now.contains("filter: state=Error") && now.contains("ISO0000004"), "{now}");
    }
    let st = status(&a);
    assert!(st.contains("`broken` is not an outbound entry state") && st.contains("error (Error)"), "{st}");
    // Esc in the prompt drops the typing the same way.
    ch(&mut a, '/');
    typed(&mut a, "zzz");
    assert!(a.current_list().unwrap().visible().is_empty(), "the typing previews on loaded rows");
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.current_list().unwrap().visible().len(), 5);
    assert_eq!(a.current_list().unwrap().selected, 2);
}

/// Finding 8: a status line about a screen goes when another screen comes on top (the
/// session log keeps it); one about the session's work (an action's outcome) stays; a
/// double tap's goes with the next key.
#[test]
fn a_status_line_goes_with_the_screen_it_was_about() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    filter(&mut a, "bogus=1");
    assert!(status(&a).contains("bogus"), "{}", status(&a));
    // Still there while the list is.
    ch(&mut a, 'j');
    assert!(status(&a).contains("bogus"), "{}", status(&a));
    ch(&mut a, '1');
    assert_eq!(a.status, None, "the list's filter word does not follow to the overview");
    assert!(a.log.entries.iter().any(|e| e.text.contains("bogus")), "the log keeps it");
    assert!(!screen(&a, 120, 30).contains("bogus"));
    // An action's outcome is the session's: it follows the operator.
    ch(&mut a, '4');
    ch(&mut a, 'r');
    let job = acts(&ch(&mut a, 'y')).pop().expect("sent");
    a.update(Msg::Action(ActionEvent::Done {
        job: job.id,
        sys_id: job.targets[0].sys_id.clone(),
        outcome: Outcome::Failed("provider answered 401".into()),
    }));
    ch(&mut a, '1');
    assert!(status(&a).contains("failed: provider answered 401"), "{}", status(&a));
}

/// Finding 12: `r` on an error group of the overview previews a bulk retry of the
/// group's entries — what the help says it does — rather than only drilling in. The
/// group's list opens (what is sent is on screen, marked), and nothing is sent before y.
#[test]
fn r_on_an_error_group_previews_a_bulk_retry_of_its_entries() {
    let mut a = app();
    let fx = a.start();
    let seq = match fx.as_slice() {
        [Effect::LoadOverview { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    let msg = "HTTP 503: provider error";
    let data = OverviewData {
        error_messages: vec![(msg.into(), 3)],
        raw_messages: vec![(msg.into(), msg.into())],
        ..Default::default()
    };
    a.update(Msg::Overview { seq, result: Ok(data) });
    let help = hubtop::ui::overlay::help_lines(&a);
    assert!(help.iter().any(|(k, w)| k == "r" && *w == "retry error group"), "{help:?}");
    let fx = ch(&mut a, 'r');
    assert!(acts(&fx).is_empty(), "{fx:?}");
    let rows: Vec<Record> = (0..3)
        .map(|i| {
            let mut r = rec(&format!("id{i:03}"), &format!("ISO{i:07}"), "error", "2026-11-24 10:00:00");
            r.set("last_error", msg);
            r
        })
        .collect();
    let fx = answer(&mut a, &fx, Entity::Outbound, rows.clone());
    assert!(acts(&fx).is_empty(), "{fx:?}");
    let c = a.actions.confirm.as_ref().expect("the bulk retry's preview");
    assert_eq!(c.title, "Retry 3 records?");
    assert!(c.lines[0].starts_with("3 × PATCH outbound state=ready"), "{:?}", c.lines);
    assert_eq!(a.current_list().unwrap().marks.len(), 3, "the list behind shows what is sent");
    let job = acts(&ch(&mut a, 'y')).pop().expect("y sends it");
    assert_eq!(job.targets.len(), 3);

    // On a production profile the count is typed; the `r` that asked for the preview,
    // pressed again, is not typed into it.
    let mut p = production();
    let fx = p.start();
    let Some(Effect::LoadOverview { seq, .. }) = fx.first() else { panic!() };
    let data = OverviewData { error_messages: vec![(msg.into(), 3)], ..Default::default() };
    p.update(Msg::Overview { seq: *seq, result: Ok(data) });
    let fx = ch(&mut p, 'r');
    answer(&mut p, &fx, Entity::Outbound, rows.clone());
    ch(&mut p, 'r');
    let c = p.actions.confirm.as_ref().expect("the typed preview");
    assert_eq!(c.typed.as_ref().map(|i| i.value()), Some(""), "the second r is not typed into the count");
    typed(&mut p, "3");
    assert_eq!(acts(&key(&mut p, KeyCode::Enter)).len(), 1);

    // A key pressed before the rows came: no dialog opens under it; the rows are marked
    // and the status line says which key previews them.
    let mut b = app();
    let fx = b.start();
    let Some(Effect::LoadOverview { seq, .. }) = fx.first() else { panic!() };
    let data = OverviewData { error_messages: vec![(msg.into(), 3)], ..Default::default() };
    b.update(Msg::Overview { seq: *seq, result: Ok(data) });
    let fx = ch(&mut b, 'r');
    ch(&mut b, 'j');
    answer(&mut b, &fx, Entity::Outbound, rows);
    assert!(b.actions.confirm.is_none());
    assert_eq!(b.current_list().unwrap().marks.len(), 3);
    assert!(status(&b).contains("r previews the retry"), "{}", status(&b));
}

/// Finding 13: the bulk line counts records; "(2 errors)" read as two records. It says
/// how many different errors there were.
#[test]
fn the_bulk_line_says_different_errors_not_a_count_of_records() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    ch(&mut a, '*');
    ch(&mut a, 'r');
    let job = acts(&ch(&mut a, 'y')).pop().expect("sent");
    for (i, why) in ["HTTP 503: provider error", "HTTP 503: provider error", "HTTP 401: rejected"].iter().enumerate() {
        a.update(Msg::Action(ActionEvent::Done {
            job: job.id,
            sys_id: format!("id{i:03}"),
            outcome: Outcome::Failed(why.to_string()),
        }));
    }
    a.update(Msg::Action(ActionEvent::Finished { job: job.id, cancelled: false }));
    let st = status(&a);
    assert!(st.contains("✖ 3 failed again with 2 different errors"), "{st}");
    assert!(!st.contains("(2 errors)"), "{st}");
}

/// Finding 14: a create refused on a work order whose update failed says so — not
/// "already synced".
#[test]
fn a_create_refused_says_why_by_the_work_orders_state() {
    let mut a = app();
    a.start();
    let mut wo = work_order("update_failed");
    wo.set("fm_work_order_id", "FM-1");
    let fx = ch(&mut a, '3');
    answer(&mut a, &fx, Entity::WorkOrders, vec![wo]);
    let fx = ch(&mut a, 'n');
    assert!(fx.iter().all(|e| matches!(e, Effect::Refused(..))), "refused, nothing sent: {fx:?}");
    assert!(a.actions.confirm.is_none());
    let st = status(&a);
    assert!(!st.contains("already synced"), "{st}");
    assert!(st.contains("last update failed") && st.contains("retry sends the update again"), "{st}");
}

/// Finding 20: `:profile X` of the profile connected to stays where the operator is.
#[test]
fn profile_of_the_current_profile_stays_where_the_operator_is() {
    let mut a = App::new(Settings { profile: Some("a".into()), ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a.fleet = Fleet::new(vec![FleetProfile {
        name: "a".into(),
        instance: "https://a.example.com".into(),
        read_only: false,
        production: false,
        tables: Tables::default(),
    }]);
    a.start();
    outbound_with(&mut a, 3, "error");
    ch(&mut a, 'j');
    let fx = command(&mut a, "profile a");
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(a.screen(), Screen::View(ViewKind::List(Entity::Outbound))));
    assert_eq!(a.current_list().unwrap().selected, 1);
    assert!(status(&a).contains("already on profile a"), "{}", status(&a));
}
