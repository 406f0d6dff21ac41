//! Outcomes an operator can trust, on the console's state machine and a test terminal:
//! bulk results counted once and never modal, `:log` reaching its newest line, reruns
//! confirmed, overview panels that fail alone, filters and sorts by what is on screen,
//! 80×24 that says what it cuts. Each test names the reproduction it covers.

use crate::common::app::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hubtop::app::actions::ActionEvent;
use hubtop::app::overview::OverviewData;
use hubtop::app::{App, Effect, Msg, Screen, Settings, ViewKind};
use hubtop::client::Record;
use hubtop::client::read::Page;
use hubtop::domain::Entity;
use hubtop::ops::Outcome;

fn window_query(fx: &[Effect]) -> String {
    match fx.iter().find(|e| matches!(e, Effect::LoadWindow { .. })) {
        Some(Effect::LoadWindow { spec, .. }) => spec.query.to_string(),
        _ => panic!("a window load expected, got {fx:?}"),
    }
}

/// A bulk retry of `n` outbound entries, confirmed: the job sent.
fn bulk_retry(a: &mut App, n: usize) -> hubtop::app::actions::Job {
    outbound_with(a, n, "error");
    ch(a, '*');
    ch(a, 'r');
    let fx = ch(a, 'y');
    match fx.into_iter().find_map(|e| if let Effect::Act(j) = e { Some(j) } else { None }) {
        Some(j) => j,
        None => panic!("the bulk job is sent"),
    }
}

/// Reproduction 1: the bulk summary is no modal. Typing `:log` and Enter while the job
/// runs and as it finishes goes to the prompt and opens the log; Enter opens no record.
#[test]
fn a_bulk_job_is_never_a_dialog_and_typing_during_it_is_not_swallowed() {
    let mut a = app();
    a.start();
    let job = bulk_retry(&mut a, 3);
    for t in &job.targets {
        a.update(Msg::Action(ActionEvent::Queued { job: job.id, sys_id: t.sys_id.clone() }));
    }
    ch(&mut a, ':');
    typed(&mut a, "lo");
    // The job ends while the operator types.
    for t in &job.targets {
        let o = Outcome::Failed("error: HTTP 503: provider error".into());
        a.update(Msg::Action(ActionEvent::Done { job: job.id, sys_id: t.sys_id.clone(), outcome: o }));
    }
    a.update(Msg::Action(ActionEvent::Finished { job: job.id, cancelled: false }));
    ch(&mut a, 'g');
    let fx = key(&mut a, KeyCode::Enter);
    assert!(!fx.iter().any(|e| matches!(e, Effect::LoadDetail { .. })), "Enter opened a record: {fx:?}");
    assert!(matches!(a.screen(), Screen::View(ViewKind::Log)), "{:?}", a.breadcrumbs());
    let s = screen(&a, 120, 40);
    assert!(s.contains("retry of 3 finished"), "the summary is in the log and the status area:\n{s}");
    assert!(s.contains("3 × error: HTTP 503: provider error"), "{s}");
    // Esc goes back to where the operator was.
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.screen(), Screen::View(ViewKind::List(Entity::Outbound))), "{:?}", a.breadcrumbs());
}

/// Reproduction 2: a bulk retry of 11 entries that all fail again is counted once, by
/// final state, and identical errors are one group with the entries behind it.
#[test]
fn eleven_entries_that_fail_again_are_counted_once_and_grouped() {
    let mut a = app();
    a.start();
    let job = bulk_retry(&mut a, 11);
    for t in &job.targets {
        a.update(Msg::Action(ActionEvent::Queued { job: job.id, sys_id: t.sys_id.clone() }));
        // A late duplicate of the event changes nothing.
        a.update(Msg::Action(ActionEvent::Queued { job: job.id, sys_id: t.sys_id.clone() }));
    }
    for t in &job.targets {
        let o = Outcome::Failed("error: HTTP 401: credentials rejected".into());
        a.update(Msg::Action(ActionEvent::Done { job: job.id, sys_id: t.sys_id.clone(), outcome: o.clone() }));
        a.update(Msg::Action(ActionEvent::Done { job: job.id, sys_id: t.sys_id.clone(), outcome: o }));
    }
    a.update(Msg::Action(ActionEvent::Finished { job: job.id, cancelled: false }));
    let r = a.actions.report.as_ref().expect("the report");
    let t = r.tally();
    assert_eq!((t.total, t.ok, t.failed, t.waiting, t.unknown, t.not_sent), (11, 0, 11, 0, 0, 0));
    assert_eq!(t.groups.len(), 1, "{:?}", t.groups);
    assert_eq!(t.groups[0].1.len(), 11);
    let line = r.line();
    assert!(line.contains("✔ 0 processed") && line.contains("✖ 11 failed again"), "{line}");
    assert!(!line.contains("set back to ready"), "{line}");
    let s = screen(&a, 120, 40);
    assert_eq!(s.matches("11 failed again").count(), 1, "said once (the status line), no dialog:\n{s}");
    assert!(!s.contains("Enter open the selected failure"), "{s}");
    let logged: Vec<&str> = a.log.entries.iter().map(|e| e.text.as_str()).collect();
    assert!(
        logged.iter().any(|l| l.contains("11 × error: HTTP 401: credentials rejected: ISO0000000, ISO0000001")),
        "{logged:?}"
    );
}

/// Reproduction 4: `:log` at 160×45 reaches its newest line however long the lines
/// are, and Esc leaves it.
#[test]
fn the_log_reaches_its_newest_line_when_lines_wrap_and_esc_leaves_it() {
    let mut a = app();
    a.size = (160, 45);
    a.start();
    outbound_with(&mut a, 3, "error");
    for i in 0..80 {
        let long = format!("message {i:03}: {} end-{i:03}", "provider error ".repeat(8 + i % 9));
        a.flash(hubtop::app::Level::Error, long);
    }
    command(&mut a, "log");
    ch(&mut a, 'k');
    ch(&mut a, 'G');
    let s = screen(&a, 160, 45);
    assert!(s.contains("end-079"), "the newest line after G:\n{s}");
    for _ in 0..30 {
        key(&mut a, KeyCode::PageUp);
    }
    for _ in 0..30 {
        key(&mut a, KeyCode::PageDown);
    }
    let s = screen(&a, 160, 45);
    assert!(s.contains("end-079"), "the newest line after PgDn:\n{s}");
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.screen(), Screen::View(ViewKind::List(Entity::Outbound))), "{:?}", a.breadcrumbs());
}

fn failed_create_execution(why: &str) -> Record {
    let mut x = rec("x1", "", "ERROR", "2026-11-24 10:00:00");
    x.set("name", "Create Work Order");
    x.set("error_message", why);
    x
}

/// Reproduction 6: a rerun is previewed with the first run's outcome; a create whose
/// provider answered 2xx needs "rerun" typed.
#[test]
fn a_rerun_is_confirmed_and_a_create_answered_2xx_needs_it_typed() {
    let mut a = app();
    a.start();
    let why = "provider answered 200 with a body that is not the expected JSON: <html>";
    list_of(&mut a, '6', Entity::Executions, vec![failed_create_execution(why)]);
    assert!(ch(&mut a, 'r').is_empty(), "nothing sent before the confirmation");
    let c = a.actions.confirm.as_ref().expect("a preview");
    assert!(c.lines.iter().any(|l| l.contains("first run") && l.contains("answered 200")), "{:?}", c.lines);
    assert!(c.lines.iter().any(|l| l.contains("duplicate")), "{:?}", c.lines);
    assert_eq!(c.word, "rerun");
    assert!(ch(&mut a, 'y').is_empty(), "y is not enough");
    assert!(key(&mut a, KeyCode::Enter).is_empty(), "nor Enter alone");
    key(&mut a, KeyCode::Backspace);
    typed(&mut a, "rerun");
    let fx = key(&mut a, KeyCode::Enter);
    assert!(fx.iter().any(|e| matches!(e, Effect::Act(_))), "{fx:?}");
    // A plain failure (a 503) is confirmed with y.
    let mut b = app();
    b.start();
    list_of(&mut b, '6', Entity::Executions, vec![failed_create_execution("HTTP 503: provider error")]);
    ch(&mut b, 'r');
    assert!(b.actions.confirm.as_ref().is_some_and(|c| c.typed.is_none()), "a y/n preview");
    assert!(ch(&mut b, 'y').iter().any(|e| matches!(e, Effect::Act(_))));
}

fn providers(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let mut p = Record::default();
            p.set("sys_id", &format!("p{i}"));
            p.set("title", &format!("Provider {i}"));
            p.set("outbound_state", "ready");
            p
        })
        .collect()
}

fn overview(a: &mut App, d: OverviewData) {
    ch(a, '1');
    let seq = a.overview.seq;
    a.update(Msg::Overview { seq, result: Ok(d) });
}

/// Reproduction 7: a table the instance cannot read blanks only its own panel, which
/// says so; the other panels show what they have.
#[test]
fn a_missing_table_degrades_its_panel_and_the_rest_stays() {
    let mut a = app();
    a.start();
    let d = OverviewData {
        counts: vec![("Outbound", vec![("error".into(), 4), ("processed".into(), 9)]), ("Executions", vec![("COMPLETE".into(), 3)])],
        providers: providers(2),
        error_messages: vec![("HTTP 503: provider error".into(), 4)],
        failed: vec![(
            "sync history",
            6,
            "sn_wsd_case_task_sync_history: not readable (instance answered 400: Invalid table sn_wsd_case_task_sync_history)".into(),
        )],
        ..Default::default()
    };
    overview(&mut a, d);
    let s = screen(&a, 160, 45);
    assert!(s.contains("sn_wsd_case_task_sync_history: not readable"), "{s}");
    assert!(s.contains("HTTP 503: provider error"), "the error groups stay:\n{s}");
    assert!(s.contains("Processed 9"), "the counts stay, as labels:\n{s}");
    assert!(!s.contains("no data yet"), "{s}");
    // Reproduction 13: labels, not raw values.
    assert!(s.contains("Complete 3") && !s.contains("COMPLETE"), "{s}");
    // And a refused error-group count never reads as "no entries in error".
    let d = OverviewData {
        failed: vec![("error groups", 7, "ih_sync_outbound_record: not readable (403)".into())],
        ..Default::default()
    };
    overview(&mut a, d);
    let s = screen(&a, 160, 45);
    assert!(s.contains("ih_sync_outbound_record: not readable") && !s.contains("no outbound entries in error"), "{s}");
}

/// Reproduction 8 (the console side): a switch to a profile the fleet saw down says so,
/// and a failure or silence after it offers to go back.
#[test]
fn a_switch_to_a_down_profile_says_so_and_offers_to_go_back() {
    use hubtop::app::fleet::{Fleet, FleetProfile};
    let mut a =
        App::new(Settings { profile: Some("a".into()), ..Default::default() }, hubtop::app::keys::Keymap::default());
    a.size = (120, 40);
    let profile = |n: &str| FleetProfile {
        name: n.into(),
        instance: format!("https://{n}.example"),
        read_only: false,
        production: false,
        tables: Default::default(),
    };
    a.fleet = Fleet::new(vec![profile("a"), profile("b")]);
    a.fleet.rows[1].failing = Some((a.now, "unreachable".into()));
    let fx = command(&mut a, "profile b");
    assert!(matches!(fx.as_slice(), [Effect::SwitchProfile(n)] if n == "b"), "{fx:?}");
    let fx =
        a.switched(Settings { profile: Some("b".into()), instance: "https://b.example".into(), ..Default::default() });
    let st = status(&a);
    assert!(st.contains("was down") && st.contains(":profile a goes back") && !st.contains("✔"), "{st}");
    // Its first answer fails: said, with the way back.
    let Some(Effect::LoadOverview { seq, .. }) = fx.into_iter().next() else { panic!("overview") };
    let err = hubtop::client::Error::Network("cannot connect to https://b.example: refused".into());
    a.update(Msg::Overview { seq, result: Err(err) });
    let st = status(&a);
    assert!(st.contains("profile b does not answer") && st.contains(":profile a goes back"), "{st}");
    // Silence is said too: back to a, then to b, which never answers.
    command(&mut a, "profile a");
    a.switched(Settings { profile: Some("a".into()), ..Default::default() });
    command(&mut a, "profile b");
    a.switched(Settings { profile: Some("b".into()), ..Default::default() });
    let later = a.instant + hubtop::app::fleet::SWITCH_SILENT + std::time::Duration::from_secs(1);
    a.update(Msg::Tick(later, a.now));
    let st = status(&a);
    assert!(st.contains("profile b has not answered in 10s") && st.contains(":profile a goes back"), "{st}");
}

/// Reproduction 9: the sort names the column as headed, and a filter takes the heading.
#[test]
fn sort_and_filter_by_the_column_heading() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 5, "error");
    let mut said = Vec::new();
    for _ in 0..8 {
        ch(&mut a, 's');
        said.push(status(&a));
    }
    assert!(said.iter().any(|s| s.contains("sorted by RECORD")), "{said:?}");
    assert!(!said.iter().any(|s| s.contains("document_id")), "{said:?}");
    // `:sort` takes the heading (or the field).
    let q = window_query(&command(&mut a, "sort record asc"));
    assert!(q.ends_with("ORDERBYdocument_id"), "{q}");
    assert!(status(&a).contains("sorted by RECORD ↑"), "{}", status(&a));
    assert!(command(&mut a, "sort nope").is_empty());
    assert!(status(&a).contains("no column `nope`") && status(&a).contains("TRIES"), "{}", status(&a));
    let q = window_query(&filter(&mut a, "tries>1"));
    assert!(q.starts_with("attempts>1"), "{q}");
    // RECORD shows the work order's number: by number, the documented dot-walk.
    let q = window_query(&filter(&mut a, "RECORD=WPT0001"));
    assert!(q.starts_with("document_id.number=WPT0001"), "{q}");
}

/// Reproduction 9: a reference column sorts by what it shows (the provider's title),
/// not by the sys_id the instance orders it by.
#[test]
fn a_reference_column_sorts_by_its_display_value() {
    let mut a = app();
    a.start();
    command(&mut a, "outbound");
    let fx = command(&mut a, "sort provider asc");
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().find(|e| matches!(e, Effect::LoadWindow { .. })) else {
        panic!("a window load")
    };
    // The instance's order: by sys_id (Keystone, Mangled, PagerLine, SlowCo, BrightFM, RapidFix).
    let titles = ["Keystone", "Mangled", "PagerLine", "SlowCo", "BrightFM", "RapidFix"];
    let rows: Vec<Record> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut r = rec(&format!("id{i}"), &format!("ISO{i}"), "error", "2026-11-24 10:00:00");
            r.fields.insert(
                "provider".into(),
                hubtop::client::Field { value: format!("{i:032x}"), display: Some(t.to_string()) },
            );
            r
        })
        .collect();
    let page = Page { records: rows, total: Some(6), next_offset: None };
    a.update(Msg::Window { entity: Entity::Outbound, seq, offset: 0, result: Ok((page, None)) });
    let shown: Vec<&str> = a.current_list().unwrap().rows.iter().map(|r| r.show("provider")).collect();
    assert_eq!(shown, ["BrightFM", "Keystone", "Mangled", "PagerLine", "RapidFix", "SlowCo"]);
}

/// Reproduction 10: a refused filter's warning does not outlive the next filter, and
/// a filter on a field the list does not have is refused before anything is asked.
#[test]
fn a_filter_warning_goes_with_the_next_filter() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 5, "error");
    let fx = filter(&mut a, "bogus=1");
    assert!(!fx.iter().any(|e| matches!(e, Effect::LoadWindow { .. })), "nothing asked: {fx:?}");
    assert!(status(&a).contains("no field or column `bogus`"), "{}", status(&a));
    let fx = filter(&mut a, "attempts<2^state=error");
    assert_eq!(window_query(&fx), "attempts<2^state=error^ORDERBYDESCsys_updated_on");
    assert!(!status(&a).contains("bogus") && !status(&a).contains("refused"), "{}", status(&a));
    // And x on that list asks, as it may.
    ch(&mut a, 'x');
    assert!(a.actions.confirm.is_some() || status(&a).contains("select"), "{}", status(&a));
}

/// Reproduction 11: filters validate choices like the CLI, fold case, and take the label
/// shown on screen.
#[test]
fn filters_fold_case_take_labels_and_refuse_unknown_choices() {
    let mut a = app();
    a.start();
    list_of(&mut a, '6', Entity::Executions, vec![failed_create_execution("x")]);
    assert!(window_query(&filter(&mut a, "state=error")).starts_with("state=ERROR"));
    let fx = filter(&mut a, "state=broken");
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        status(&a).contains("`broken` is not a execution state") || status(&a).contains("`broken` is not"),
        "{}",
        status(&a)
    );
    assert!(status(&a).contains("ERROR (Error)"), "names the choices: {}", status(&a));
    let mut wo = rec("w1", "WPT0001", "new", "2026-11-24 10:00:00");
    wo.set("integration_state", "not_synced");
    list_of(&mut a, '3', Entity::WorkOrders, vec![wo]);
    let q = window_query(&filter(&mut a, "Not synced"));
    assert!(q.contains("integration_state=not_synced"), "{q}");
    let q = window_query(&filter(&mut a, "integration_state=Create failed"));
    assert!(q.starts_with("integration_state=create_failed"), "{q}");
}

/// Reproduction 12: at 80×24 the tab bar shows all seven views, the header no cut word,
/// and the overview says how many providers and groups it could not show.
#[test]
fn at_80x24_nothing_is_cut_without_a_sign() {
    let mut a = app();
    a.size = (80, 24);
    a.start();
    let groups: Vec<(String, u64)> =
        (0..5).map(|i| (format!("HTTP 50{i}: failure number {i}"), 5 - i as u64)).collect();
    let d = OverviewData {
        counts: vec![("Outbound", vec![("error".into(), 4)])],
        providers: providers(8),
        error_messages: groups,
        ..Default::default()
    };
    overview(&mut a, d);
    a.conn.last_ok = Some(a.now);
    a.frozen = true;
    let s = screen(&a, 80, 24);
    let tabs = s.lines().nth(2).unwrap_or("");
    assert!(tabs.contains("7 Sync"), "{s}");
    let head = s.lines().next().unwrap_or("");
    assert!(head.contains("paused") && !head.contains("las"), "{head}");
    assert!(s.contains("more (2 lists all)") && s.contains("+"), "providers say there are more:\n{s}");
}

/// Reproduction 13: the Providers view has the health, OK % and error count the
/// overview computes.
#[test]
fn the_providers_view_shows_health_ok_rate_and_errors() {
    let mut a = app();
    a.start();
    let mut h = Record::default();
    h.set("provider", "p1");
    h.set("status", "failed");
    let d = OverviewData {
        providers: providers(2),
        recent: vec![h.clone(), h.clone(), h],
        by_provider: vec![("p1".into(), "error".into(), 7)],
        ..Default::default()
    };
    overview(&mut a, d);
    list_of(&mut a, '2', Entity::Providers, providers(2));
    let s = screen(&a, 160, 45);
    assert!(s.contains("HEALTH") && s.contains("OK%") && s.contains("ERR"), "{s}");
    let line = s.lines().find(|l| l.contains("Provider 1")).expect("a row");
    assert!(line.contains("Failing") && line.contains("0%") && line.contains(" 7"), "{line}");
}

/// Reproduction 13: a detail shows a time with its age beside it, not the date twice.
#[test]
fn a_detail_shows_ages_beside_absolute_times() {
    let mut a = app();
    a.start();
    let mut r = rec("h1", "", "", "2026-11-24 10:00:00");
    r.set("sys_created_on", "2026-11-24 09:00:00");
    a.now = chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z").unwrap().into();
    outbound_with(&mut a, 1, "error");
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::LoadDetail { seq, .. }) = fx.into_iter().next() else { panic!("detail") };
    let data = hubtop::app::detail::DetailData { record: r, exec: None, related: Vec::new() };
    a.update(Msg::Detail { seq, result: Ok(data) });
    let s = screen(&a, 160, 45);
    assert!(s.contains("2026-11-24 09:00:00 (1h ago)"), "{s}");
}

/// Reproduction 14: combining marks and zero-width joiners in a record leave no stale
/// cell under the help overlay at 160×45 (the overlay's border is whole on every line).
#[test]
fn hostile_clusters_under_the_help_overlay_leave_its_border_whole() {
    let hostile = [
        "e\u{301}\u{301}\u{301} combining",
        "Z\u{351}\u{34b}\u{35b}a\u{336}l\u{35c}go",
        "👩\u{200d}💻 zwj coder",
        "👨\u{200d}👩\u{200d}👧\u{200d}👦 family",
        "🏳\u{fe0f}\u{200d}🌈 flag",
        "a\u{200d}b\u{200c}c",
    ];
    let mut a = app();
    a.size = (160, 45);
    a.start();
    outbound_with(&mut a, hostile.len(), "error");
    {
        let l = a.lists.get_mut(&Entity::Outbound).unwrap();
        for (r, h) in l.rows.iter_mut().zip(hostile) {
            // As the client stores it: sanitised where it enters.
            r.set("last_error", &hubtop::sanitize::sanitize(h));
            r.set("number", &hubtop::sanitize::sanitize(&format!("{h}#")));
        }
    }
    let backend = ratatui::backend::TestBackend::new(160, 45);
    let mut term = ratatui::Terminal::new(backend).unwrap();
    term.draw(|f| hubtop::ui::draw(f, &a, &hubtop::ui::Theme::none())).unwrap();
    ch(&mut a, '?');
    term.draw(|f| hubtop::ui::draw(f, &a, &hubtop::ui::Theme::none())).unwrap();
    let buf = term.backend().buffer().clone();
    // The overlay's box: the rows between its top and bottom corners have both sides.
    let text = hubtop::harness::headless::screen_text(term.backend());
    let lines: Vec<&str> = text.lines().collect();
    let top = lines.iter().position(|l| l.contains("Keys (any key closes)")).expect("the help");
    let left = lines[top].chars().position(|c| c == '┌').expect("corner");
    let bottom = (top + 1..lines.len()).find(|&i| lines[i].chars().nth(left) == Some('└')).expect("bottom corner");
    for y in top + 1..bottom {
        let cell = &buf[(left as u16, y as u16)];
        assert_eq!(cell.symbol(), "│", "row {y}: the overlay's left border:\n{text}");
        let right = lines[top].chars().position(|c| c == '┐').expect("corner");
        assert_eq!(buf[(right as u16, y as u16)].symbol(), "│", "row {y}: its right border:\n{text}");
    }
    // Every cell holds at most one grapheme of width ≤ 2 (no cluster spills).
    for c in buf.content() {
        assert!(unicode_width::UnicodeWidthStr::width(c.symbol()) <= 2, "{:?}", c.symbol());
    }
}

/// `:cancel` with nothing under way says so; the key that closes a dialog does not act
/// behind it once more.
#[test]
fn cancel_without_a_job_says_so() {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 3, "error");
    assert!(command(&mut a, "cancel").is_empty());
    assert!(status(&a).contains("no bulk job"), "{}", status(&a));
    let _ = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
}

/// Walkthrough: `q` while a bulk retry was under way quit at once, leaving most of it
/// unsent and the rest "unknown". Now the first `q` says what quitting leaves and the
/// second quits; with nothing under way one `q` quits.
#[test]
fn q_during_a_bulk_job_asks_again_before_quitting() {
    let mut a = app();
    a.start();
    let job = bulk_retry(&mut a, 3);
    let fx = ch(&mut a, 'q');
    assert!(!fx.iter().any(|e| matches!(e, Effect::Quit)) && !a.quit, "one q left the job: {fx:?}");
    let said = a.status.as_ref().map(|s| s.1.clone()).unwrap_or_default();
    assert!(said.contains("q again quits") && said.contains(":cancel"), "{said}");
    // What the keys do comes first: at 80 columns the job's counts are what is cut.
    assert!(said.starts_with("q again quits"), "{said}");
    let fx = ch(&mut a, 'q');
    assert!(fx.iter().any(|e| matches!(e, Effect::Quit)) && a.quit, "{fx:?}");
    let _ = job;

    let mut idle = app();
    idle.start();
    let fx = ch(&mut idle, 'q');
    assert!(fx.iter().any(|e| matches!(e, Effect::Quit)), "nothing under way: one q quits");
}
