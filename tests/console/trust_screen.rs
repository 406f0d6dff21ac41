//! Issue 21, the screen: at 80×24 nothing is cut without a sign (a cell, a title, a line
//! of counts, a field below the fold), the wide screen gives its width to what needs it,
//! and the words on screen explain themselves.

use crate::common::app::{at_fixed_time as console, displayed as record, list_of as show_list};
use crossterm::event::KeyCode;
use hubtop::app::detail::{DetailData, ExecView, Related};
use hubtop::app::overview::OverviewData;
use hubtop::app::{App, Effect, Msg};
use hubtop::client::actions::{ExecDetail, Step};
use hubtop::client::{Entity, Record};
use hubtop::harness::headless::screen_text;
use hubtop::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common::app::key;
use crate::common::insim::demo_console;

fn draw(app: &App) -> String {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| hubtop::ui::draw(f, app, &Theme::default_theme())).unwrap();
    screen_text(term.backend())
}

fn overview(app: &mut App, d: OverviewData) {
    let seq = app.overview.seq;
    app.update(Msg::Overview { seq, result: Ok(d) });
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

/// The cells of a screen's rows between the outer borders, for checks that care about
/// every line of a view.
fn body(screen: &str) -> Vec<&str> {
    screen.lines().filter(|l| l.starts_with('│') || l.starts_with('┌') || l.starts_with('└')).collect()
}

/// Every token written with `marker` on screen (values made of one unbroken word) ends
/// either as the value ends (`Z`) or with the sign that it was cut.
fn assert_cut_with_a_sign(screen: &str, marker: &str) {
    let mut seen = 0;
    for line in screen.lines() {
        let mut rest = line;
        while let Some(at) = rest.find(marker) {
            let token: String = rest[at..].chars().take_while(|c| !c.is_whitespace() && *c != '│').collect();
            seen += 1;
            assert!(token.ends_with('Z') || token.ends_with('…'), "{token:?} is cut without a sign in:\n{screen}");
            rest = &rest[at + marker.len()..];
        }
    }
    assert!(seen > 0, "no {marker:?} on screen:\n{screen}");
}

// ------------------------------------------------------------------ #6 counts by state

/// Walkthrough #6: at 80×24 the Work orders line showed states adding up to 89 of 95,
/// the rest cut off at the border with no sign.
#[test]
fn work_order_counts_add_up_to_their_total_at_80x24() {
    let states: Vec<(String, u64)> = [
        ("created", 41),
        ("create_failed", 13),
        ("not_synced", 12),
        ("update_failed", 11),
        ("cancelled", 8),
        ("cancel_failed", 6),
        ("update_pending", 4),
    ]
    .iter()
    .map(|(s, n)| (s.to_string(), *n))
    .collect();
    let total: u64 = states.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 95);
    let data = || OverviewData { counts: vec![("Work orders", states.clone())], ..Default::default() };
    let mut app = console(80, 24);
    overview(&mut app, data());
    let screen = draw(&app);
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("│Work orders")).expect("the line");
    // The table's line and its continuation (indented under its first state).
    let line = std::iter::once(lines[at])
        .chain(lines[at + 1..].iter().take_while(|l| l.starts_with("│     ")).copied())
        .collect::<Vec<_>>()
        .join(" ");
    let line = line.as_str();
    // What is on the line adds up to the total: the states shown and "+N more (n)".
    let numbers: Vec<u64> =
        line.split(|c: char| !c.is_ascii_digit()).filter(|w| !w.is_empty()).map(|w| w.parse().unwrap()).collect();
    assert_eq!(numbers.first(), Some(&95), "the total first: {line}");
    let more = line.contains(" more (");
    let labels =
        ["Created", "Create failed", "Not synced", "Update failed", "Cancelled", "Cancel failed", "Update pending"];
    let shown = labels.iter().filter(|l| line.contains(&format!(" {l} "))).count();
    assert!(shown == labels.len() || more, "{} of {} states and no sign of the rest: {line}", shown, labels.len());
    // Total, each shown state's count, then the number and count of the hidden ones.
    let (parts, hidden) =
        if more { (&numbers[1..numbers.len() - 2], numbers[numbers.len() - 1]) } else { (&numbers[1..], 0) };
    assert_eq!(parts.iter().sum::<u64>() + hidden, 95, "{line}");
    // The ones in error stay in sight.
    for failed in ["Create failed", "Update failed", "Cancel failed"] {
        assert!(line.contains(failed), "{failed} dropped before the others: {line}");
    }
    // Wide enough, every state shows.
    let mut wide = console(160, 45);
    overview(&mut wide, data());
    let screen = draw(&wide);
    let line = line_with(&screen, "│Work orders");
    assert!(labels.iter().all(|l| line.contains(l)) && !line.contains("more"), "{line}");
}

// ------------------------------------------------------------------ #10 cut with a sign

/// Every list view at 80×24 with values too long for their columns: each cut value ends
/// in `…` (the approved 80×24 snapshots showed "Keystone Property S", "HTTP 401:
/// credential", "fm_work_o" cut bare).
#[test]
fn every_list_cuts_long_values_with_a_sign_at_80x24() {
    for (view, entity) in [
        ('2', Entity::Providers),
        ('3', Entity::WorkOrders),
        ('4', Entity::Outbound),
        ('5', Entity::Inbound),
        ('6', Entity::Executions),
        ('7', Entity::History),
    ] {
        let rows = (0..4)
            .map(|i| {
                let mut fields: Vec<(String, String)> = vec![("sys_id".into(), format!("{i:032x}"))];
                for f in entity.list_fields() {
                    if matches!(
                        *f,
                        "sys_id" | "sys_updated_on" | "sys_created_on" | "started" | "ended" | "next_attempt"
                    ) {
                        continue;
                    }
                    fields.push((f.to_string(), format!("~{f}:{}Z", "x".repeat(40 + i))));
                }
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                record(&pairs)
            })
            .collect();
        let mut app = console(80, 24);
        show_list(&mut app, view, entity, rows);
        let screen = draw(&app);
        assert_cut_with_a_sign(&screen, "~");
        // A column the width leaves out is named in the title.
        let lines: Vec<&str> = screen.lines().collect();
        for c in hubtop::ui::columns(entity) {
            assert!(
                lines[4].contains(c.title) || lines[3].contains(c.title),
                "{entity:?}: column {} neither shown nor named:\n{screen}",
                c.title
            );
        }
        for l in body(&screen) {
            assert!(l.ends_with('│') || l.ends_with('┐') || l.ends_with('┘'), "{entity:?}: a broken border:\n{screen}");
        }
    }
}

/// Hostile strings (wide characters, combining marks, a ZWJ sequence as the instance
/// serves it after sanitising) are cut by whole clusters, with a sign, and the border
/// after them stays in its column.
#[test]
fn hostile_values_are_cut_by_whole_clusters_with_a_sign() {
    let names = [
        "日本語の長いプロバイダー名前テスト株式会社",
        "Cafe\u{301} Re\u{301}sidence Proprie\u{301}te\u{301}s Services",
        "Team \u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} Facilities Maintenance Ltd",
    ];
    let rows = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            record(&[
                ("sys_id", &format!("{i:032x}")),
                ("number", &format!("ISO{i:07}")),
                ("state", "error"),
                ("provider", n),
                ("attempts", "1"),
                ("max_attempts", "3"),
                ("last_error", &format!("{n} — {n}")),
            ])
        })
        .collect();
    let mut app = console(80, 24);
    show_list(&mut app, '4', Entity::Outbound, rows);
    let screen = draw(&app);
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("ISO")).collect();
    assert_eq!(rows.len(), 3, "{screen}");
    for l in rows {
        assert!(l.contains('…'), "cut with a sign: {l}");
        assert!(l.ends_with('│'), "the border after a cut cluster stays: {l}");
    }
}

/// An execution with a long name and more steps than fit at 80×24: the name gives way
/// (with a sign) to the state and the count of steps not shown.
#[test]
fn a_long_flow_name_gives_way_to_the_steps_not_shown() {
    let name = "Keystone Property Services - Create Work Order with Attachments and Escalation";
    let exec = record(&[("sys_id", "e1"), ("name", name), ("state", "ERROR"), ("started", "2026-11-24 09:59:58")]);
    let mut app = console(80, 24);
    show_list(&mut app, '6', Entity::Executions, vec![exec.clone()]);
    let Some(Effect::LoadDetail { seq, .. }) = key(&mut app, KeyCode::Enter).into_iter().next() else {
        panic!("Enter opens the execution")
    };
    let steps = (1..=8)
        .map(|i| Step {
            order: i,
            name: format!("Step number {i} with a long descriptive name that runs past the column"),
            state: if i == 8 { "error".into() } else { "complete".into() },
            duration_ms: 1,
            ..Default::default()
        })
        .collect();
    let x = ExecDetail { execution: exec.clone(), steps, ..Default::default() };
    app.update(Msg::Detail {
        seq,
        result: Ok(DetailData { record: exec, exec: Some(ExecView::Loaded(x)), related: vec![] }),
    });
    let screen = draw(&app);
    let title = line_with(&screen, "not shown");
    assert!(title.contains('…') && title.contains("✖ Error"), "{title}");
    assert!(title.contains("8 steps,"), "{title}");
    let step = line_with(&screen, " 8  ✖ error");
    assert!(step.contains('…'), "a long step name is cut with a sign: {step}");
    let step_title = line_with(&screen, "Step 8 ");
    assert!(step_title.contains('…') && step_title.contains("✖ error"), "{step_title}");
}

/// Text being typed that is longer than its room (a form field, the filter prompt) shows
/// its end, where typing goes, after a sign (found checking every view at 80×24: the
/// update form and the prompt cut long values at the right edge without one).
#[test]
fn long_text_being_typed_shows_its_end_after_a_sign() {
    let long = "Parking barrier stuck open at the north gate of building seven since early morning END";
    let wo = record(&[
        ("sys_id", "w1"),
        ("number", "WPT0001001"),
        ("state", "new"),
        ("priority", "3"),
        ("integration_state", "created"),
        ("fm_work_order_id", "FM-1"),
        ("short_description", long),
        ("sys_updated_on", "2026-11-24 09:00:00"),
        ("sys_mod_count", "1"),
    ]);
    let mut app = console(80, 24);
    show_list(&mut app, '3', Entity::WorkOrders, vec![wo]);
    key(&mut app, KeyCode::Char('u'));
    assert!(app.actions.form.is_some(), "the update form opens");
    let screen = draw(&app);
    let line = line_with(&screen, "short_description");
    assert!(line.contains("…") && line.contains("morning END"), "{line}");
    assert!(line.ends_with('│'), "{line}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('/'));
    for c in format!("short_description={}", long.replace(' ', "_")).chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let screen = draw(&app);
    let prompt = line_with(&screen, " / ");
    assert!(prompt.contains("…") && prompt.ends_with("morning_END"), "{prompt}");
}

// ------------------------------------------------------------------ #7 fields below the fold

fn outbound_entry() -> Record {
    record(&[
        ("sys_id", "o1"),
        ("number", "ISO0001004"),
        ("state", "error"),
        ("operation", "create"),
        ("document_id", "WPT0001004"),
        ("provider", "BrightFM"),
        ("attempts", "4"),
        ("max_attempts", "3"),
        ("next_attempt", "2026-11-24 10:01:00"),
        ("last_error", "HTTP 503: provider error (work order service temporarily unavailable)"),
        ("response_code", "503"),
        ("flow_context", "e1"),
        ("sys_updated_on", "2026-11-24 09:59:00"),
    ])
}

/// An outbound entry opened with its execution and related lists, at `w`×`h`.
fn outbound_detail(w: u16, h: u16) -> App {
    let mut app = console(w, h);
    let entry = outbound_entry();
    show_list(&mut app, '4', Entity::Outbound, vec![entry.clone()]);
    let Some(Effect::LoadDetail { seq, .. }) = key(&mut app, KeyCode::Enter).into_iter().next() else {
        panic!("Enter opens the entry")
    };
    let exec = record(&[("sys_id", "e1"), ("name", "BrightFM - Create Work Order"), ("state", "ERROR")]);
    let steps = ["Validate inputs", "Look up Workplace Task", "Build FM payload", "REST: POST create"]
        .iter()
        .enumerate()
        .map(|(i, n)| Step {
            order: i as u32 + 1,
            name: n.to_string(),
            state: if i == 3 { "error".into() } else { "complete".into() },
            error: if i == 3 { "HTTP 503: provider error".into() } else { String::new() },
            duration_ms: 3,
            ..Default::default()
        })
        .collect();
    let history = record(&[
        ("sys_id", "h1"),
        ("status", "failed"),
        ("response_code", "503"),
        ("operation", "create"),
        ("message", "HTTP 503: provider error (work order service temporarily unavailable)"),
        ("sys_created_on", "2026-11-24 09:59:00"),
    ]);
    let wo = record(&[
        ("sys_id", "w1"),
        ("number", "WPT0001004"),
        ("integration_state", "create_failed"),
        ("short_description", "Leaking tap in the kitchen on the third floor, east wing"),
    ]);
    app.update(Msg::Detail {
        seq,
        result: Ok(DetailData {
            record: entry,
            exec: Some(ExecView::Loaded(ExecDetail { execution: exec, steps, ..Default::default() })),
            related: vec![
                Related::of(Entity::History, "Sync history of the record", vec![history]),
                Related::of(Entity::WorkOrders, "Work order", vec![wo]),
            ],
        }),
    });
    app
}

/// Walkthrough #7: at 80×24 the entry pane of an outbound detail showed its first three
/// fields; attempts and last_error were below the fold, with no sign and no key.
#[test]
fn the_entry_pane_reaches_attempts_and_last_error_at_80x24() {
    let mut app = outbound_detail(80, 24);
    let screen = draw(&app);
    // A related list too narrow for all its columns counts the ones it leaves out.
    let related = line_with(&screen, "Sync history of the record (1)");
    assert!(related.contains("hidden") || related.contains('…'), "{related}");
    let sign = line_with(&screen, "more lines");
    assert!(sign.contains("tab then pgdn"), "the sign names the keys (from the keymap): {sign}");
    assert!(!screen.contains("temporarily unavailable)") || !screen.contains("last_error"), "{screen}");
    // Tab reaches the fields (the footer's "tab pane"); the page key scrolls them.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.current_detail().unwrap().focus, hubtop::app::detail::Focus::Fields);
    let mut seen = String::new();
    for _ in 0..6 {
        seen.push_str(&draw(&app));
        key(&mut app, KeyCode::PageDown);
    }
    seen.push_str(&draw(&app));
    assert!(seen.contains("attempts"), "attempts reached:\n{seen}");
    assert!(seen.contains("last_error"), "last_error reached:\n{seen}");
    assert!(seen.contains("temporarily"), "its value too:\n{seen}");
    let end = draw(&app);
    assert!(!end.contains("more lines"), "no sign once nothing is below:\n{end}");
    // The footer and help already name the keys (generated from the detail's key table).
    let footer = end.lines().last().unwrap();
    assert!(footer.contains("tab pane") || footer.contains("pgdn scroll"), "{footer}");
}

// ------------------------------------------------------------------ #11 the wide detail

/// Walkthrough #11: at 160×45 the related lists shared the left 42% (two panes of 33
/// columns, their messages cut) while half the screen stood empty.
#[test]
fn the_wide_detail_gives_the_related_lists_the_whole_width() {
    let app = outbound_detail(160, 45);
    let screen = draw(&app);
    // Short related lists one above the other, each across the whole screen.
    for title in ["Sync history of the record (1)", "Work order (1)"] {
        let row = line_with(&screen, title);
        assert!(row.starts_with('┌') && row.ends_with('┐') && !row.contains('┐'.to_string().repeat(2).as_str()));
        assert_eq!(row.matches('┐').count(), 1, "alone on its row: {row}");
    }
    assert!(screen.contains("work order service temporarily unavailable)"), "the message whole:\n{screen}");
    assert!(screen.contains("Leaking tap in the kitchen on the third floor, east wing"), "{screen}");
}

// ------------------------------------------------------------------ #15 one spelling

/// Walkthrough #15: "Cancelled" and "Canceled" both on screen. The product documentation
/// of the IFM integration spells it "cancelled" (ServiceNow/ServiceNowDocs,
/// markdown/employee-service-management/workplace-case-management/outbound-flows.md:
/// "when the Workplace Task is cancelled in ServiceNow"); every label follows it.
#[test]
fn cancelled_is_spelled_one_way_on_screen() {
    use hubtop::domain::state::{ExecState, FlowStatus, IntegrationState, WorkOrderState};
    for label in [
        WorkOrderState::Canceled.label(),
        IntegrationState::Cancelled.label(),
        ExecState::Cancelled.label(),
        FlowStatus::Cancelled.label(),
    ] {
        assert_eq!(label, "Cancelled");
    }
    // The embedded instance's choice labels (what its display values and refusals say).
    assert_eq!(hubtop::sim::schema::choice_label("canceled"), "Cancelled");
    assert_eq!(hubtop::sim::schema::choice_label("cancelled"), "Cancelled");
    let mut app = console(160, 45);
    let wo = record(&[
        ("sys_id", "w1"),
        ("number", "WPT0001001"),
        ("state", "canceled"),
        ("integration_state", "cancelled"),
        ("short_description", "Leaking tap"),
    ]);
    show_list(&mut app, '3', Entity::WorkOrders, vec![wo]);
    let mut screen = draw(&app);
    key(&mut app, KeyCode::Enter);
    screen.push_str(&draw(&app));
    assert!(!screen.contains("Canceled"), "{screen}");
}

// ------------------------------------------------------------------ #16 TRIES explained

/// Walkthrough #16: TRIES was unexplained. The list says what it counts beneath itself
/// whenever the column shows; the detail says it in words. (The count is every pass the
/// queue made, whoever set it going: nothing on screen says who — see
/// `walk_screen::tries_are_counted_beside_the_limit_and_say_nothing_of_who_made_them`.)
#[test]
fn tries_past_the_limit_are_explained_on_screen() {
    let mut app = console(80, 24);
    show_list(&mut app, '4', Entity::Outbound, vec![outbound_entry()]);
    let screen = draw(&app);
    let legend = line_with(&screen, "TRIES =");
    assert!(legend.contains("tries so far; the queue's automatic limit is 3"), "{legend}");
    // The detail in words.
    let app = outbound_detail(160, 45);
    let screen = draw(&app);
    assert!(line_with(&screen, "attempts").contains("4 tries so far; the queue's automatic limit is 3"), "{screen}");
}

// ------------------------------------------------------------------ #17 the trend

/// Walkthrough #17: the queue-depth sparkline looked like one sample. Each poll adds a
/// sample to a bounded history and the sparkline says how many polls it spans.
#[test]
fn the_queue_depth_sparkline_shows_the_trend_of_several_polls() {
    let mut app = console(80, 24);
    for depth in [1u64, 2, 3, 4, 5, 6, 7, 8] {
        let counts = vec![("Outbound", vec![("ready".into(), depth), ("error".into(), 9 - depth)])];
        overview(&mut app, OverviewData { counts, ..Default::default() });
    }
    let screen = draw(&app);
    let title = line_with(&screen, "Queue depth");
    assert!(title.contains("Queue depth 8 · last 8 polls, 1–8"), "{title}");
    assert!(title.contains("In error 1 · last 8 polls, 1–8"), "{title}");
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines.iter().position(|l| l.contains("Queue depth")).unwrap();
    let bars: String = lines[at + 1].chars().skip(1).take(8).collect();
    assert_eq!(bars, "▁▂▃▄▅▆▇█", "rising, one bar a poll:\n{screen}");
    // Bounded: the oldest samples go.
    for _ in 0..hubtop::app::overview::HISTORY + 5 {
        overview(
            &mut app,
            OverviewData { counts: vec![("Outbound", vec![("ready".into(), 3)])], ..Default::default() },
        );
    }
    assert_eq!(app.overview.depth.len(), hubtop::app::overview::HISTORY);
    assert!(line_with(&draw(&app), "Queue depth").contains("Queue depth 3 · last 38 polls, 3 "));
}

// ------------------------------------------------------------------ every view at 80×24

/// Every view of the demo instance at 80×24, each list and the detail of its first row:
/// every line keeps its right border (nothing drawn past it or broken), and wherever a
/// cell holds a value the demo wrote longer than its column, the screen shows `…`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_of_the_demo_at_80x24_keeps_its_borders_and_signs() {
    let (h, mut c) = demo_console((80, 24)).await;
    assert!(
        c.until(crate::common::wait::T, |a| a.overview.groups.len() >= 3).await,
        "the demo's failures show:\n{}",
        c.draw()
    );
    let mut screens = vec![c.draw()];
    for k in ['2', '3', '4', '5', '6', '7'] {
        c.key(KeyCode::Char(k));
        assert!(c.until(crate::common::wait::T, |a| a.current_list().is_some_and(|l| l.loaded)).await);
        screens.push(c.draw());
        if c.app.current_list().is_some_and(|l| !l.is_empty()) {
            c.key(KeyCode::Enter);
            assert!(c.until(crate::common::wait::T, |a| a.current_detail().is_some_and(|d| d.data.is_some())).await);
            screens.push(c.draw());
            c.key(KeyCode::Esc);
        }
    }
    c.key(KeyCode::Char('?'));
    screens.push(c.draw());
    for s in &screens {
        for l in body(s) {
            let end = l.chars().last().unwrap();
            assert!(matches!(end, '│' | '┐' | '┘'), "a line runs past its border:\n{s}");
            assert_eq!(hubtop::ui::fit::width(l), 80, "{l}");
        }
    }
    // The overview's provider table names the columns it leaves out at 80.
    let ov = &screens[0];
    for col in ["OUTBOUND", "OK%", "P50", "P95", "QUEUED", "LAST ERROR"] {
        assert!(line_with(ov, "PROVIDER").contains(col) || line_with(ov, "┌ Providers").contains(col), "{col}:\n{ov}");
    }
    // The executions list's flow names ("Keystone Property Services - Create Work
    // Order") do not all fit at 80: each ends whole or with the sign.
    let exec = screens.iter().find(|s| s.contains(" Executions [")).expect("the executions list");
    let mut checked = 0;
    for l in exec.lines().filter(|l| l.contains(" - ")) {
        let flow = l.trim_start_matches('│').split(['✔', '✖', '⟳', '●', '⏸']).next().unwrap_or("").trim_end();
        assert!(flow.ends_with("Order") || flow.ends_with('…'), "{flow:?} cut without a sign:\n{exec}");
        checked += 1;
    }
    assert!(checked > 0, "{exec}");
    h.shutdown().await;
}
