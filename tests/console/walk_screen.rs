//! Issue 21, a new operator's walkthrough of the release binary: what the screen says
//! must be true and nothing is hidden without a sign — TRIES, rows above a list's
//! viewport, the bulk job's line, the session log's older entries, the overview's
//! providers, the header of an instance that never answered, and the help's commands.

use crate::common::app::{at_fixed_time as console, displayed as record, fixed_now as now, list_of as show_list};
use crossterm::event::KeyCode;
use hubtop::app::actions::ActionEvent;
use hubtop::app::detail::DetailData;
use hubtop::app::overview::OverviewData;
use hubtop::app::{App, Effect, Level, Msg};
use hubtop::client::{Entity, Record};
use hubtop::harness::headless::screen_text;
use hubtop::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common::app::{ch, key, outbound_with};

fn draw(app: &App) -> String {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| hubtop::ui::draw(f, app, &Theme::none())).unwrap();
    screen_text(term.backend())
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

// ------------------------------------------------------------------ 1. TRIES

/// An outbound entry in error after `attempts` passes of a queue whose limit is 3.
fn entry(id: &str, number: &str, attempts: &str) -> Record {
    record(&[
        ("sys_id", id),
        ("number", number),
        ("state", "error"),
        ("operation", "create"),
        ("document_id", "WPT0001010"),
        ("provider", "RapidFix"),
        ("attempts", attempts),
        ("max_attempts", "3"),
        ("last_error", "HTTP 503: provider error"),
        ("sys_updated_on", "2026-11-24 09:59:00"),
    ])
}

/// Walkthrough: with only the first try automatic (a long retry interval), ISO0001010
/// retried six times read `3/3+4` with the legend "3 of 3 automatic tries, +4 retried by
/// an operator", and ISO0001005 retried twice read `3/3` — 3 automatic tries. The record
/// keeps one counter, `attempts`, that every pass of the queue raises whoever set it
/// going (the embedded instance's queue: `sim::engine::process_outbound`), beside the
/// queue's limit, `max_attempts`: how many times it processes an entry on its own before
/// leaving it in error (Remote Process Sync's `glide.hub.process.sync.retry.times`,
/// integration-hub-remote-process-sync/remote-process-sync-system-properties.md). The
/// screen says the count and the limit, and nothing of who made the tries.
#[test]
fn tries_are_counted_beside_the_limit_and_say_nothing_of_who_made_them() {
    let rows = || vec![entry("a", "ISO0001010", "7"), entry("b", "ISO0001005", "3")];
    for (w, h) in [(80, 24), (160, 45)] {
        let mut app = console(w, h);
        show_list(&mut app, '4', Entity::Outbound, rows());
        let screen = draw(&app);
        assert!(!screen.contains("3/3"), "no count past the limit shown as the limit, at {w}x{h}:\n{screen}");
        assert!(!screen.contains("operator") && !screen.contains("automatic tries"), "{screen}");
        let row = line_with(&screen, "ISO0001010");
        let tries = if w >= 120 { "7 (limit 3)" } else { " 7 " };
        assert!(row.contains(tries), "the count, whole, at {w}x{h}: {row}");
        assert!(!row.contains("(l…"), "never a cut count: {row}");
        assert!(line_with(&screen, "ISO0001005").contains(if w >= 120 { "3 (limit 3)" } else { " 3 " }));
        let legend = line_with(&screen, "TRIES =");
        assert!(legend.contains("TRIES = tries so far; the queue's automatic limit is 3"), "{legend}");
        assert!(legend.starts_with('└'), "beneath the list: {legend}");
    }
    // The detail in words, with the same facts.
    let mut app = console(160, 45);
    show_list(&mut app, '4', Entity::Outbound, rows());
    let Some(Effect::LoadDetail { seq, .. }) = key(&mut app, KeyCode::Enter).into_iter().next() else {
        panic!("Enter opens the entry")
    };
    let result = Ok(DetailData { record: rows().remove(0), exec: None, related: Vec::new() });
    app.update(Msg::Detail { seq, result });
    let screen = draw(&app);
    let line = line_with(&screen, "attempts");
    assert!(line.contains("7 tries so far; the queue's automatic limit is 3"), "{line}");
    assert!(!screen.contains("operator") && !screen.contains("automatic tries"), "{screen}");
}

// ------------------------------------------------------------------ 2. rows above the viewport

/// Walkthrough: view 4 showed `Outbound [96] · 54/96` with ISO0001056 at the top and
/// the 53 newer entries above the viewport, with no sign. The list's borders count the
/// rows above and below what it shows.
#[test]
fn a_list_counts_the_rows_above_and_below_its_viewport() {
    let mut app = console(80, 24);
    outbound_with(&mut app, 96, "error");
    let top = draw(&app);
    assert!(!top.contains('↑'), "nothing above at the top:\n{top}");
    let vp = app.viewport();
    let first = top.lines().nth(3).unwrap();
    assert!(first.contains(&format!("↓ {} older", 96 - vp)) || top.contains(&format!("↓ {} older", 96 - vp)), "{top}");
    // Down to the 54th row: the top row on screen is not the first.
    for _ in 0..53 {
        key(&mut app, KeyCode::Down);
    }
    let l = app.current_list().unwrap();
    assert_eq!(l.selected, 53);
    let (above, below) = (l.scroll, 96 - (l.scroll + vp));
    assert!(above > 0 && below > 0, "{above} {below}");
    let screen = draw(&app);
    let lines: Vec<&str> = screen.lines().collect();
    let title = lines.iter().find(|l| l.starts_with('┌')).unwrap();
    assert!(title.contains("Outbound [96] · 54/96"), "{title}");
    assert!(title.ends_with(&format!("↑ {above} newer ┐")), "the top border counts the newer rows: {title}");
    let bottom = lines.iter().rev().find(|l| l.starts_with('└')).unwrap();
    assert!(bottom.contains(&format!("↓ {below} older")), "the bottom border counts the older ones: {bottom}");
    // At the end: nothing below, the rows above counted.
    key(&mut app, KeyCode::End);
    let screen = draw(&app);
    assert!(!screen.contains('↓') || !screen.contains(" older "), "{screen}");
    assert!(screen.contains(&format!("↑ {} newer", 96 - vp)), "{screen}");
}

// ------------------------------------------------------------------ 3. the job line, the log

/// Walkthrough: at 80x24 during a job the status line ended `⟳ 8 waiting  2 to sen`.
#[test]
fn the_bulk_jobs_line_is_cut_with_a_sign_at_80x24() {
    let mut app = console(80, 24);
    outbound_with(&mut app, 12, "error");
    for _ in 0..10 {
        ch(&mut app, ' ');
    }
    ch(&mut app, 'r');
    let fx = key(&mut app, KeyCode::Enter);
    let Some(Effect::Act(job)) = fx.into_iter().find(|e| matches!(e, Effect::Act(j) if j.is_bulk())) else {
        panic!("a bulk job")
    };
    // Eight set back to ready and followed, two still to send.
    for t in job.targets.iter().take(8) {
        app.update(Msg::Action(ActionEvent::Queued { job: job.id, sys_id: t.sys_id.clone() }));
    }
    let full = app.job_line().expect("a job line");
    assert!(full.chars().count() + 3 > 80, "the line is longer than the screen: {full}");
    let screen = draw(&app);
    let line = line_with(&screen, "under way");
    assert!(line.trim_end().ends_with('…'), "cut with a sign: {line:?}");
    assert!(hubtop::ui::fit::width(line) <= 80);
}

/// Walkthrough: the 80x24 `:log` view started mid-entry (`│ unknown; :cancel stops the
/// job…`), the older entries hidden with no sign. Only whole entries show, under a line
/// that counts the older ones; scrolled up, the bottom border counts the newer ones.
#[test]
fn the_session_log_never_starts_mid_entry_and_counts_what_is_hidden() {
    let mut app = console(80, 24);
    let long = "retry of 11 records under way: ✔ 0 processed  ✖ 0 failed again  ⟳ 8 waiting  2 to send; \
                each is followed to what the queue did with it, and the ones not followed are counted as \
                unknown; :cancel stops the job, what was sent stays sent";
    for i in 0..12 {
        app.log.push(now(), Level::Info, &format!("entry {i:02}: {long}"));
    }
    crate::common::app::command(&mut app, "log");
    let screen = draw(&app);
    let body: Vec<&str> = screen.lines().skip(4).take_while(|l| !l.starts_with('└')).collect();
    // The first row is the sign, the next starts an entry (with its time).
    assert!(body[0].contains("older entries above"), "a sign for the older entries:\n{screen}");
    assert!(body[1].starts_with("│10:00:00 ℹ entry"), "an entry's first line after it:\n{screen}");
    let shown = body.iter().filter(|l| l.contains("ℹ entry")).count();
    let hidden = 12 - shown;
    assert!(body[0].contains(&format!("↑ {hidden} older entries above")), "{}", body[0]);
    assert!(body.iter().any(|l| l.contains("entry 11")), "the newest is there:\n{screen}");
    // Scrolled up one entry: the newest is below, and the bottom border says so.
    key(&mut app, KeyCode::Char('k'));
    let screen = draw(&app);
    let bottom = screen.lines().rev().find(|l| l.starts_with('└')).unwrap();
    assert!(bottom.contains("↓ 1 newer entry below"), "{bottom}");
    assert!(!screen.contains("entry 11"), "{screen}");
}

// ------------------------------------------------------------------ 4. the overview, header, help

fn overview_with_errors() -> OverviewData {
    let provider = |i: usize, err: &str| {
        let mut p = Record::default();
        p.set("sys_id", &format!("p{i}"));
        p.set("title", &format!("Provider {i}"));
        p.set("outbound_state", "ready");
        p.set("last_error", err);
        p
    };
    let long = "HTTP 401: credentials rejected by provider (client credentials expired)";
    OverviewData {
        providers: vec![provider(1, long), provider(2, ""), provider(3, "HTTP 503: down")],
        ..Default::default()
    }
}

/// Walkthrough: at 160x45 the overview cut LAST ERROR to about 12 characters
/// (`HTTP 401: cr…`) with about 20 rows of its panel empty; it showed `● ready` where the
/// Providers view shows `● Ready`.
#[test]
fn the_overview_gives_the_last_error_its_width_and_labels_states_as_the_views_do() {
    let mut app = console(160, 45);
    let seq = app.overview.seq;
    app.update(Msg::Overview { seq, result: Ok(overview_with_errors()) });
    let screen = draw(&app);
    assert!(
        screen.contains("HTTP 401: credentials rejected by provider (client credentials expired)"),
        "the whole error on a wide screen:\n{screen}"
    );
    assert!(line_with(&screen, "Provider 3").contains("HTTP 503: down") || screen.contains("Provider 3  HTTP 503"));
    assert!(!screen.contains("● ready"), "{screen}");
    assert!(line_with(&screen, "Provider 1").contains("Ready"), "{screen}");
    // At 80x24 the panel has no rows to spare: a column, cut with a sign.
    let mut app = console(80, 24);
    let seq = app.overview.seq;
    app.update(Msg::Overview { seq, result: Ok(overview_with_errors()) });
    let screen = draw(&app);
    assert!(!screen.contains("● ready"), "{screen}");
}

/// Walkthrough: an instance that never answered showed `⚠ STALE since 01:28:31`.
#[test]
fn an_instance_that_never_answered_is_not_called_stale() {
    let mut app = console(160, 45);
    let seq = app.overview.seq;
    app.update(Msg::Overview { seq, result: Err(hubtop::client::Error::Network("connection refused".into())) });
    assert!(app.conn.stale_since.is_some() && app.conn.last_ok.is_none());
    let screen = draw(&app);
    let header = screen.lines().next().unwrap();
    assert!(!header.contains("STALE"), "{header}");
    assert!(header.contains("never answered"), "{header}");
}

/// Walkthrough: the `?` help did not list the `:` commands nor the filter syntax. They
/// come from the app's table of commands, every one of them, at 80x24 and 160x45, on a
/// list (the layer with the most keys) and the overview.
#[test]
fn the_help_lists_every_command_and_the_filter_syntax() {
    for (w, h) in [(80, 24), (160, 45)] {
        for list in [false, true] {
            let mut app = console(w, h);
            if list {
                outbound_with(&mut app, 3, "error");
            }
            ch(&mut app, '?');
            let screen = draw(&app);
            for (name, args, _) in hubtop::app::COMMANDS {
                let shown = if args.is_empty() { format!(":{name}") } else { format!(":{name} {args}") };
                assert!(screen.contains(&shown), "{shown} missing at {w}x{h}:\n{screen}");
            }
            assert!(screen.contains(":VIEW") && screen.contains("/words"), "{screen}");
            assert!(screen.contains("/state=error^TRIES>1"), "{screen}");
            // Every key still shows.
            for (_, what) in hubtop::ui::overlay::help_lines(&app) {
                assert!(screen.contains(what), "{what:?} missing at {w}x{h}:\n{screen}");
            }
            if w >= 160 {
                assert!(screen.contains(":log the session log"), "in words where there is room:\n{screen}");
            }
        }
    }
}

/// The second walkthrough: at 80 columns the footer dropped `f freeze` (and `s sort`
/// with rows marked) with no sign. What goes still goes least-needed first, and the line
/// ends in `…` (the help lists every key).
#[test]
fn a_footer_that_drops_keys_says_so() {
    let mut a = crate::common::app::app();
    a.size = (80, 24);
    crate::common::app::outbound_with(&mut a, 3, "error");
    let narrow = crate::common::app::screen(&a, 80, 24);
    let footer = narrow.lines().last().unwrap_or_default().to_string();
    assert!(!footer.contains("freeze") && footer.trim_end().ends_with('…'), "{footer}");
    let wide = crate::common::app::screen(&a, 160, 24);
    let footer = wide.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("freeze") && !footer.contains('…'), "everything fits: no sign\n{footer}");
}
