//! The real binary in tmux: a bulk retry whose entries all fail again ends in one
//! summary, counted once and grouped by error, reachable in `:log`, with typing during
//! the job never swallowed and the audit log holding each final outcome; an overview
//! whose sync-history table is missing keeps its other panels updating. Reported as
//! ignored where tmux is not installed.

use hubtop_tmux_gate::tmux_test;

use crate::common::TempDir;
use crate::common::audit::split;
use crate::common::proc::{Sim, http};
use crate::common::tmux::Tmux;
use crate::common::wait::T;

fn put(url: &str, path: &str, body: &str) {
    let (code, text) = http(url, "PUT", path, body);
    assert!((200..300).contains(&code), "PUT {path} {body}: {code} {text}");
}

#[tmux_test]
fn a_bulk_retry_of_eleven_that_fail_again_is_one_summary_counted_once_in_the_log_and_the_audit() {
    let sim = Sim::start(&[]);
    let url = &sim.url;
    // Every provider now rejects the credentials: each retry fails again.
    for slug in ["acme", "brightfm", "slowco", "keystone", "rapidfix", "mangled", "pagerline", "northwind"] {
        put(url, &format!("/sim/providers/{slug}"), "broken_credentials");
    }
    let dir = TempDir::new("trust-bulk");
    let t = Tmux::console("trust-bulk", url, &dir, 160, 45);
    t.wait("the overview", T, |s| s.contains("Counts by state"));
    t.mark_errors(11);
    t.send(&["r"]);
    t.wait("the confirmation", T, |s| s.contains("Retry 11 records?"));
    // Confirm, then at once type `:log` and Enter while the job runs: both land.
    t.send(&["y"]);
    t.send(&[":"]);
    t.send(&["-l", "log"]);
    t.send(&["Enter"]);
    let s = t
        .wait("the summary in the session log", T, |s| s.contains("Session log") && s.contains("retry of 11 finished"));
    assert!(s.contains("✔ 0 processed") && s.contains("✖ 11 failed again"), "counted once, by final state:\n{s}");
    assert!(!s.contains("set back to ready"), "{s}");
    // Grouped: each error once, with a count and its entries; the counts make 11.
    let groups: Vec<&str> = s.lines().filter(|l| l.contains(" × ")).collect();
    let total: usize =
        groups.iter().filter_map(|l| l.split(" × ").next()?.split_whitespace().last()?.parse::<usize>().ok()).sum();
    assert!(!groups.is_empty() && groups.len() < 11, "grouped by error:\n{s}");
    assert_eq!(total, 11, "the groups count 11 entries:\n{s}");
    assert!(!s.contains("Enter open the selected failure"), "no dialog:\n{s}");
    // The audit: eleven retries, each with one outcome, "failed".
    let (sent, done) = split(&dir);
    let retries: Vec<_> = sent.iter().filter(|l| l["action"] == "retry").collect();
    assert_eq!(retries.len(), 11, "{sent:?}");
    for s in &retries {
        let mine: Vec<_> = done.iter().filter(|d| d["id"] == s["id"]).collect();
        assert_eq!(mine.len(), 1, "one outcome for {s}");
        assert_eq!(mine[0]["outcome"], "failed", "{}", mine[0]);
    }
    // Esc leaves the log, back to the list.
    t.send(&["Escape"]);
    t.wait("the list again", T, |s| s.contains("Outbound [") && !s.contains("Session log"));
    t.send(&["q"]);
}

/// `hubtop sim` with the sync-history table missing and traffic on.
fn broken_sim() -> Sim {
    Sim::start(&["--traffic", "240", "--break", "table:sn_wsd_case_task_sync_history"])
}

#[tmux_test]
fn with_the_sync_history_table_missing_the_other_panels_keep_updating() {
    let sim = broken_sim();
    let dir = TempDir::new("trust-break");
    let t = Tmux::console("trust-break", &sim.url, &dir, 160, 45);
    let s = t.wait("the overview with the panel's error", T, |s| {
        s.contains("Counts by state") && s.contains("sn_wsd_case_task_sync_history: not readable")
    });
    assert!(!s.contains("no data yet"), "{s}");
    assert!(s.contains("● live"), "the instance answers:\n{s}");
    let outbound = |s: &str| s.lines().find(|l| l.contains("Outbound ") && l.contains("│Outbound")).map(str::to_string);
    let first = outbound(&s).unwrap_or_else(|| panic!("the outbound counts:\n{s}"));
    // The traffic adds work orders: the counts move while the broken panel stays broken.
    let s = t.wait("the counts to move", T, |s| outbound(s).is_some_and(|l| l != first));
    assert!(s.contains("sn_wsd_case_task_sync_history: not readable"), "{s}");
    assert!(s.contains("Top error groups"), "{s}");
    t.send(&["q"]);
}

/// Combining marks (one, and several on one base) and zero-width-joiner sequences.
const CLUSTERS: &str = "e\u{301} Z\u{351}\u{34b}\u{35b}a\u{336}l\u{35c}g\u{35d}o \u{1f469}\u{200d}\u{1f4bb} \u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} n\u{303}\u{308} clusters";

/// The display column of each char of a captured line.
fn columns_of(line: &str) -> Vec<(usize, char)> {
    let mut col = 0;
    line.chars()
        .map(|c| {
            let at = col;
            col += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            (at, c)
        })
        .collect()
}

/// Reproduction 14: records holding combining marks and ZWJ sequences under the help
/// overlay at 160×45: the overlay's borders are whole on every line.
#[tmux_test]
fn clusters_under_the_help_overlay_leave_its_borders_whole() {
    let sim = Sim::start(&[]);
    let url = &sim.url;
    let dir = TempDir::new("trust-clusters");
    let t = Tmux::console("trust-clusters", url, &dir, 160, 45);
    t.wait("the overview", T, |s| s.contains("Counts by state"));
    let v = sim.api("/api/now/table/sn_wsd_core_workplace_task?sysparm_fields=sys_id&sysparm_limit=20");
    let ids: Vec<&str> = v["result"].as_array().expect("rows").iter().filter_map(|r| r["sys_id"].as_str()).collect();
    // Each one column further right, so the clusters fall under every column of the overlay.
    for (k, id) in ids.iter().enumerate() {
        let patch = serde_json::json!({ "short_description": format!("{}{CLUSTERS}", "-".repeat(k * 3)) }).to_string();
        let (code, body) = http(url, "PATCH", &format!("/api/now/table/sn_wsd_core_workplace_task/{id}"), &patch);
        assert_eq!(code, 200, "{body}");
    }
    t.send(&["3"]);
    t.wait("the planted descriptions", T, |s| s.matches("clusters").count() >= 10);
    t.send(&["?"]);
    // The overlay whole: a capture can fall between the terminal's writes of one frame,
    // so the wait is for its title and its bottom corner under the top one.
    let frame = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        let top = lines.iter().position(|l| l.contains("Keys (any key closes)"))?;
        let cols = columns_of(lines[top]);
        let left = cols.iter().find(|(_, c)| *c == '┌').map(|(x, _)| *x)?;
        let right = cols.iter().filter(|(_, c)| *c == '┐').map(|(x, _)| *x).find(|x| *x > left)?;
        let bottom =
            (top + 1..lines.len()).find(|&i| columns_of(lines[i]).iter().any(|(x, c)| *x == left && *c == '└'))?;
        Some((top, left, right, bottom))
    };
    let s = t.wait("the whole help overlay", T, |s| frame(s).is_some());
    let (top, left, right, bottom) = frame(&s).expect("the overlay");
    let lines: Vec<&str> = s.lines().collect();
    for (y, line) in lines.iter().enumerate().take(bottom).skip(top + 1) {
        let cols = columns_of(line);
        let at = |x: usize| cols.iter().find(|(c, _)| *c == x).map(|(_, ch)| *ch);
        assert_eq!(at(left), Some('│'), "row {y}: the left border\n{s}");
        assert_eq!(at(right), Some('│'), "row {y}: the right border\n{s}");
    }
    t.send(&["q"]);
    t.send(&["q"]);
}
