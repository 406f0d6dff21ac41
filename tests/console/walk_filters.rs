//! Filtering and sorting by what the operator sees: every column heading of every list
//! is accepted after `/` and `:sort` and means that column's field, and where the value a
//! column shows is not what the instance filters on, the filter is translated or refused
//! with why — never a silent "nothing matches" when rows match (issue 21, the new
//! operator's walkthrough).
//!
//! What the translations rely on (ServiceNow documentation,
//! markdown/platform-user-interface/c_EncodedQueryStrings.md): a reference is filtered
//! through the referenced record's fields by dot-walking ("Referring to reference
//! fields": `Assigned_to.roles=itil`), so RECORD by number on a reference is
//! `document_id.number=…`; a choice by its value, not its label ("Referring to choice
//! list values"); `^` joins AND terms and `fieldINa,b` lists values ("Using multiple
//! conditions"), so TRIES `3/3` is `attempts=3^max_attempts=3` and a computed column is
//! the providers it holds for (`sys_idIN…`). The operators are those of
//! markdown/platform-user-interface/r_OpAvailableFiltersQueries.md: a reference "is" a
//! record by its sys_id ("Operators available for reference fields":
//! `caller_id=9ee1…`), so PROVIDER by title and RECORD by the number of a loaded record
//! are sent as sys_ids; numbers compare with `>=` / `<=` ("numeric fields"), so DURATION
//! `1.2s` is the range of milliseconds that shows so; a date-time relative to now is
//! `RELATIVEGT@hour@ago@1` ("date-time fields"), what a refused age suggests. A Document ID
//! (`sys_flow_context.source_record`) is no reference: nothing walks it, so its number is
//! looked up among loaded records or refused.

use std::time::Duration;

use crossterm::event::KeyCode;
use hubtop::app::overview::{Health, OverviewData};
use hubtop::app::{App, VIEWS, ViewKind, filter as f};
use hubtop::client::Record;
use hubtop::domain::Entity;
use hubtop::domain::state::ProviderHealth;
use hubtop::domain::wire::Field;

use crate::common::app::{app, command, filter, list_of, status};
use crate::common::insim::demo_console;
use crate::common::wait::T;

const ROW_ID: &str = "0123456789abcdef0123456789abcdef";
const PROVIDER_ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const WO_ID: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const FLOW_ID: &str = "cccccccccccccccccccccccccccccccc";

/// The view key of a listed kind (`2` for the first list).
fn view_key(e: Entity) -> char {
    let i = VIEWS.iter().position(|v| *v == ViewKind::List(e)).expect("listed");
    char::from_digit(i as u32 + 1, 10).expect("one digit")
}

fn set(r: &mut Record, field: &str, value: &str, display: Option<&str>) {
    r.fields.insert(field.into(), Field { value: value.into(), display: display.map(str::to_string) });
}

/// One row of `e` with every field it loads set as the instance sends it: references
/// with their display values, choices with their labels.
fn sample(e: Entity) -> Record {
    let mut r = Record::default();
    for &field in e.desc().list_fields {
        match field {
            "sys_id" => set(&mut r, field, ROW_ID, None),
            "sys_mod_count" => set(&mut r, field, "1", None),
            "provider" | "fm_provider" => set(&mut r, field, PROVIDER_ID, Some("Acme Facilities")),
            "document_id" | "task" | "source_record" => set(&mut r, field, WO_ID, Some("WPT0001306")),
            "flow" | "flow_context" => set(&mut r, field, FLOW_ID, Some("BrightFM - Create Work Order")),
            "name" => set(&mut r, field, "BrightFM - Create Work Order", None),
            "title" => set(&mut r, field, "Acme Facilities", None),
            "attempts" => set(&mut r, field, "4", None),
            "max_attempts" => set(&mut r, field, "3", None),
            "run_time" => set(&mut r, field, "1234", None),
            "response_code" => set(&mut r, field, "503", None),
            "sequence" => set(&mut r, field, "7", None),
            "state" if e == Entity::Executions => set(&mut r, field, "ERROR", Some("Error")),
            "state" if e == Entity::WorkOrders => set(&mut r, field, "open", Some("Open")),
            // In error, so NEXT shows its time (an entry waiting for nothing shows none).
            "state" if e.is_queue() => set(&mut r, field, "error", Some("Error")),
            f if e.desc().time_fields.contains(&f) => set(&mut r, f, "2026-11-24 10:55:00", None),
            f => match e.choices(f).and_then(|c| c.first()) {
                Some(v) => set(&mut r, f, v, Some(&hubtop::domain::entity::choice_label(v))),
                None => set(&mut r, f, &format!("HTTP 503 {f}"), None),
            },
        }
    }
    r
}

/// An app on list `e` holding the sample row, with the overview's providers and their
/// health worked out.
fn app_on(e: Entity) -> (App, Record) {
    let mut a = app();
    let provider = Record::from_pairs(&[("sys_id", PROVIDER_ID), ("title", "Acme Facilities")]);
    a.overview.data = Some(OverviewData { providers: vec![provider], ..Default::default() });
    a.overview.health = vec![Health {
        provider_id: if e == Entity::Providers { ROW_ID.into() } else { PROVIDER_ID.into() },
        title: "Acme Facilities".into(),
        health: ProviderHealth::Failing,
        outbound_state: "error".into(),
        ok: 2,
        failed: 3,
        p50_ms: None,
        p95_ms: None,
        last_error: String::new(),
        queued: 0,
        errors: 3,
    }];
    let row = sample(e);
    list_of(&mut a, view_key(e), e, vec![row.clone()]);
    (a, row)
}

/// What a column shows for the sample row, as the list draws it.
fn shown(a: &App, e: Entity, field: &str, r: &Record) -> String {
    match field {
        "~health" => "Failing".into(),
        "~ok" => "40%".into(),
        "~errors" => "3".into(),
        _ => hubtop::ui::table::cell(&hubtop::ui::Theme::none(), e, field, r, a.now).0,
    }
}

/// Every heading of every list, typed as shown (capitals and lower case) with the value
/// the column shows: either the filter holds the row it was read from, or it is refused
/// naming the column and why — never accepted and matching nothing. Before: PROVIDER,
/// FLOW, RECORD, TRIES, HEALTH, FM ID, STATE (as shown), DURATION gave 0 rows or an
/// unknown field.
#[test]
fn every_heading_filters_by_what_it_shows_or_says_why_not() {
    let mut silent = Vec::new();
    for e in Entity::LISTED.iter().copied() {
        for col in f::shown_columns(e) {
            for heading in [col.title.to_string(), col.title.to_lowercase()] {
                let (mut a, row) = app_on(e);
                let value = shown(&a, e, col.field, &row);
                let typed = format!("{heading}={value}");
                filter(&mut a, &typed);
                let said = status(&a);
                let l = a.current_list().expect("the list");
                if said.starts_with("filter refused") {
                    assert!(
                        said.to_lowercase().contains(&col.title.to_lowercase()),
                        "{e:?} `{typed}`: a refusal names the column: {said}"
                    );
                    assert!(
                        said.contains("type") || said.contains("one of"),
                        "{e:?} `{typed}`: says what to type: {said}"
                    );
                    continue;
                }
                assert!(!said.contains("no field"), "{e:?} `{typed}`: {said}");
                if hubtop::app::list::matching(&l.query, std::slice::from_ref(&row)).is_empty() {
                    silent.push(format!("{e:?} `{typed}` → `{}` ({said})", l.query));
                }
            }
        }
    }
    assert!(silent.is_empty(), "accepted but matching nothing although the row shows it:\n{}", silent.join("\n"));
}

/// The walkthrough's findings, each as the filter the instance is sent.
#[test]
fn headings_translate_to_the_documented_query() {
    let sent = |e: Entity, typed: &str| {
        let (mut a, _) = app_on(e);
        filter(&mut a, typed);
        let q = a.current_list().expect("list").query.to_string();
        (q, status(&a))
    };
    // PROVIDER on work orders is fm_provider, by the provider's sys_id.
    assert_eq!(sent(Entity::WorkOrders, "provider=Acme Facilities").0, format!("fm_provider={PROVIDER_ID}"));
    assert_eq!(sent(Entity::WorkOrders, "PROVIDER=Acme Facilities").0, format!("fm_provider={PROVIDER_ID}"));
    // FLOW on executions is the name column, although `flow` is also the flow reference.
    assert_eq!(sent(Entity::Executions, "flow=BrightFM - Create Work Order").0, "name=BrightFM - Create Work Order");
    // …which a sys_id still reaches.
    assert_eq!(sent(Entity::Executions, &format!("flow={FLOW_ID}")).0, format!("flow={FLOW_ID}"));
    // RECORD by number: a record loaded here by its sys_id, what the field holds…
    assert_eq!(sent(Entity::Outbound, "record=WPT0001306").0, format!("document_id={WO_ID}"));
    // …any other by the documented dot-walk on a reference…
    assert_eq!(sent(Entity::Outbound, "record=WPT0009999").0, "document_id.number=WPT0009999");
    assert_eq!(sent(Entity::History, "RECORD=WPT0009999").0, "task.number=WPT0009999");
    // …and on a Document ID the sys_id of a record loaded here.
    assert_eq!(sent(Entity::Executions, "record=WPT0001306").0, format!("source_record={WO_ID}"));
    // TRIES as shown.
    assert_eq!(sent(Entity::Outbound, "tries=3/3").0, "attempts=3^max_attempts=3");
    assert_eq!(sent(Entity::Outbound, "tries=3/3+1").0, "attempts=4^max_attempts=3");
    // As the list shows it.
    assert_eq!(sent(Entity::Outbound, "tries=7 (limit 3)").0, "attempts=7^max_attempts=3");
    assert_eq!(sent(Entity::Outbound, "tries=3").0, "attempts=3");
    assert_eq!(sent(Entity::Outbound, "TRIES>1").0, "attempts>1");
    // Multi-word headings, any spelling.
    assert_eq!(sent(Entity::WorkOrders, "FM ID=FM-1").0, "fm_work_order_id=FM-1");
    assert_eq!(sent(Entity::Outbound, "last error=x").0, "last_error=x");
    // DURATION as shown: the milliseconds that show so.
    assert_eq!(sent(Entity::Executions, "duration=1.2s").0, "run_time>=1150^run_time<=1249");
    assert_eq!(sent(Entity::Executions, "duration>2m3s").0, "run_time>123999");
    // HEALTH: worked out here over the loaded providers, and said so.
    let (q, said) = sent(Entity::Providers, "health=failing");
    assert_eq!(q, format!("sys_idIN{ROW_ID}"));
    assert!(said.contains("worked out here"), "{said}");
    let (q, said) = sent(Entity::Providers, "ERR>5");
    assert_eq!(q, "sys_idISEMPTY", "no provider has more than 5 errors: {said}");
    assert!(said.contains("0 of 1 providers"), "{said}");
}

/// What cannot be translated is refused with why and what to type, and the list keeps
/// its rows.
#[test]
fn untranslatable_headings_are_refused_with_what_to_type() {
    let refused = |a: &mut App, typed: &str, want: &[&str]| {
        filter(a, typed);
        let said = status(a);
        assert!(said.starts_with("filter refused"), "`{typed}`: {said}");
        for w in want {
            assert!(said.contains(w), "`{typed}` says {w}: {said}");
        }
        assert!(a.current_list().expect("list").query.is_empty(), "`{typed}` leaves the list as it was");
    };
    let (mut a, _) = app_on(Entity::Executions);
    refused(&mut a, "record=WPT9999999", &["Document ID", "not among the records loaded", "source_record=<sys_id>"]);
    refused(&mut a, "started=5m ago", &["shows an age", "started>2026"]);
    let (mut a, _) = app_on(Entity::Outbound);
    refused(&mut a, "tries>3/3", &["tries with the limit", "can only be matched with ="]);
    refused(&mut a, "tries=x", &["(limit 3)"]);
    refused(&mut a, "state=error^ORtries=3/3", &["cannot be joined with OR", "attempts=3^max_attempts=3"]);
    // HEALTH before the overview worked it out.
    let mut a = app();
    list_of(&mut a, view_key(Entity::Providers), Entity::Providers, vec![sample(Entity::Providers)]);
    refused(&mut a, "health=failing", &["HEALTH is worked out by hubtop", "not worked it out yet"]);
    let (mut a, _) = app_on(Entity::Providers);
    refused(&mut a, "health=bogus", &["not a health", "Failing"]);
    refused(&mut a, "bogus=1", &["no field or column", "HEALTH (worked out by hubtop)"]);
}

/// `:sort` takes every heading (and its field): the column's field, or — for a column
/// hubtop works out — a refusal saying why.
#[test]
fn every_heading_sorts_or_says_why_not() {
    for e in Entity::LISTED.iter().copied() {
        for col in f::shown_columns(e) {
            let (mut a, _) = app_on(e);
            command(&mut a, &format!("sort {} asc", col.title.to_lowercase()));
            let said = status(&a);
            let sort = a.current_list().expect("list").sort.clone();
            if col.field.starts_with('~') {
                assert!(sort.is_none(), "{e:?} {}: {said}", col.title);
                assert!(said.contains("worked out by hubtop") && said.contains("filter by it instead"), "{said}");
            } else {
                let sort = sort.unwrap_or_else(|| panic!("{e:?} `sort {}`: {said}", col.title));
                assert_eq!((sort.field.as_str(), sort.desc), (col.field, false), "{e:?} {}", col.title);
                assert!(said.contains(col.title), "{said}");
            }
        }
    }
}

/// Replaces the headless console's filter with `text` and waits for the list it loads.
async fn filter_live(c: &mut hubtop::harness::headless::Headless, text: &str) -> Vec<String> {
    c.key(KeyCode::Char('/'));
    for _ in 0..80 {
        c.key(KeyCode::Backspace);
    }
    c.keys(text);
    c.key(KeyCode::Enter);
    let said = c.app.status.as_ref().map(|(_, m)| m.clone()).unwrap_or_default();
    assert!(!said.starts_with("filter refused"), "`{text}`: {said}");
    let loaded = c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && !l.in_flight)).await;
    assert!(loaded, "`{text}` loads: {}", c.draw());
    let l = c.app.current_list().expect("list");
    let mut ids: Vec<String> = l.rows.iter().map(|r| r.sys_id().to_string()).collect();
    ids.sort();
    ids
}

/// The rows of `heading` equal those of `field`, on an instance that keeps working (its
/// automatic retries add executions and attempts): compared when the field form gave the
/// same rows before and after it.
async fn same_rows(c: &mut hubtop::harness::headless::Headless, field: &str, heading: &str) {
    for _ in 0..5 {
        let before = filter_live(c, field).await;
        assert!(!before.is_empty(), "`{field}` has rows");
        let by_heading = filter_live(c, heading).await;
        if filter_live(c, field).await == before {
            assert_eq!(by_heading, before, "`{heading}` gives the rows of `{field}`");
            return;
        }
    }
    panic!("the rows of `{field}` never held still long enough to compare");
}

/// Against the embedded instance over real HTTP: the heading forms the walkthrough typed
/// return the same rows as the field forms (before: PROVIDER and FLOW gave [0]).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headings_return_the_rows_of_the_field_forms_on_the_instance() {
    let (h, mut c) = demo_console((160, 45)).await;
    let ready = |a: &App| a.overview.data.as_ref().is_some_and(|d| !d.providers.is_empty());
    assert!(c.until(T, ready).await, "the overview loads its providers");
    // Work orders by provider title.
    c.keys(&view_key(Entity::WorkOrders).to_string());
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && !l.rows.is_empty())).await);
    let title = {
        let l = c.app.current_list().expect("list");
        l.rows.iter().map(|r| r.show("fm_provider").to_string()).find(|t| !t.is_empty()).expect("a provider shown")
    };
    same_rows(&mut c, &format!("fm_provider={title}"), &format!("provider={title}")).await;
    same_rows(&mut c, &format!("fm_provider={title}"), &format!("PROVIDER={title}")).await;
    // Executions by flow name and by the record shown.
    c.keys(&view_key(Entity::Executions).to_string());
    let shown = |a: &App| {
        a.current_list().is_some_and(|l| l.loaded && l.rows.iter().any(|r| !r.show("source_record").is_empty()))
    };
    assert!(c.until(Duration::from_secs(20), shown).await, "executions load: {}", c.draw());
    let (name, number, record_id) = {
        let l = c.app.current_list().expect("list");
        let r = l.rows.iter().find(|r| !r.show("source_record").is_empty()).expect("a record shown");
        (r.get("name").to_string(), r.show("source_record").to_string(), r.get("source_record").to_string())
    };
    same_rows(&mut c, &format!("name={name}"), &format!("flow={name}")).await;
    // The number is looked up among the loaded rows: the unfiltered list has it.
    filter_live(&mut c, "").await;
    same_rows(&mut c, &format!("source_record={record_id}"), &format!("record={number}")).await;
    // Outbound by the tries shown.
    c.keys(&view_key(Entity::Outbound).to_string());
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && !l.rows.is_empty())).await);
    let (n, m) = {
        let l = c.app.current_list().expect("list");
        let r = l.rows.iter().find(|r| !r.get("max_attempts").is_empty()).expect("an entry with a limit");
        (r.get("attempts").to_string(), r.get("max_attempts").to_string())
    };
    let as_shown = hubtop::ui::table::attempts(&n, &m);
    same_rows(&mut c, &format!("attempts={n}^max_attempts={m}"), &format!("tries={as_shown}")).await;
    // …and by the record shown.
    filter_live(&mut c, "").await;
    let (number, id) = {
        let l = c.app.current_list().expect("list");
        let r = l.rows.iter().find(|r| !r.show("document_id").is_empty()).expect("a record shown");
        (r.show("document_id").to_string(), r.get("document_id").to_string())
    };
    same_rows(&mut c, &format!("document_id={id}"), &format!("RECORD={number}")).await;
    same_rows(&mut c, &format!("document_id={id}"), &format!("document_id.number={number}")).await;
    h.shutdown().await;
}

/// The second walkthrough: `/health=Degraded` then `/health=Failing` said "0 of 5
/// providers match" (it judged only the rows the first filter left), and `degraded`
/// in lower case matched nothing. Each HEALTH filter judges every provider the overview
/// rated, in any case.
#[test]
fn a_second_health_filter_judges_every_provider_in_any_case() {
    let (mut a, _) = app_on(Entity::Providers);
    let other = "dddddddddddddddddddddddddddddddd";
    let mut degraded = a.overview.health[0].clone();
    degraded.provider_id = other.into();
    degraded.health = ProviderHealth::Degraded;
    a.overview.health.push(degraded);
    filter(&mut a, "health=degraded");
    assert_eq!(a.current_list().expect("list").query.to_string(), format!("sys_idIN{other}"), "{}", status(&a));
    // The list now holds the degraded one only (as the instance answers that filter).
    let rows = vec![Record::from_pairs(&[("sys_id", other), ("title", "Bright")])];
    a.lists.get_mut(&Entity::Providers).expect("providers").rows = rows;
    filter(&mut a, "HEALTH=FAILING");
    assert_eq!(a.current_list().expect("list").query.to_string(), format!("sys_idIN{ROW_ID}"), "{}", status(&a));
    assert!(status(&a).contains("1 of 2 providers"), "{}", status(&a));
}
