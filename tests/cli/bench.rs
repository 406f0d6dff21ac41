//! `hubtop bench --quick --json` of the real binary (a debug build, so the figures
//! themselves say little here): every measurement is reported, with a baseline where it
//! has one, and the properties that do not depend on speed hold — a bulk run against an
//! instance rate limit sends nothing twice and draws no 429, an unchanged refresh
//! costs one request, and polling stays within the request budget with fewer requests
//! than today's fixed refresh. The memory and size it reports are checked against what
//! the kernel and the file system say.

use std::collections::HashMap;

use serde_json::Value;

#[test]
fn bench_reports_every_figure_as_json_lines() {
    let dir = crate::common::TempDir::new("bench");
    let out = crate::common::proc::command(&dir)
        .args(["bench", "--quick", "--json", "--rows", "20000"])
        .output()
        .expect("hubtop bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let mut figures: HashMap<String, Value> = HashMap::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        let name = v["name"].as_str().expect("name").to_string();
        assert!(v["value"].as_f64().is_some_and(f64::is_finite), "{line}");
        assert!(v["unit"].is_string(), "{line}");
        figures.insert(name, v);
    }
    for name in [
        "first_frame_ms",
        "render_median_ms",
        "render_p99_ms",
        "render_p99_cpu_ms",
        "rss_mb",
        "idle_cpu_percent",
        "refresh_requests",
        "refresh_bytes",
        "refresh_bytes_ratio",
        "key_to_frame_median_ms",
        "key_to_frame_p99_ms",
        "bulk_rate",
        "bulk_rate_fraction",
        "bulk_duplicates",
        "idle_requests_per_min",
        "idle_change_shown_s",
        "overview_rtts",
        "detail_rtts",
        "budget_overruns",
        "binary_mb",
    ] {
        assert!(figures.contains_key(name), "{name} missing:\n{stdout}");
    }
    let value = |n: &str| figures[n]["value"].as_f64().unwrap();
    assert!(figures["first_frame_ms"]["baseline"].as_f64().is_some(), "first frame has a baseline");
    assert_eq!(value("bulk_duplicates"), 0.0, "{stdout}");
    assert_eq!(value("bulk_rejected_429"), 0.0, "the limiter keeps under the instance limit:\n{stdout}");
    assert_eq!(value("refresh_requests"), 1.0, "an unchanged refresh is one request:\n{stdout}");
    assert!(value("refresh_bytes_ratio") < 0.1, "a delta refresh is far cheaper than a re-list:\n{stdout}");
    // The resident memory it reports is its own: more than nothing, and no more than the
    // most any child of this process ever held (the kernel's count, once it has exited).
    let rss = value("rss_mb");
    assert!(rss > 1.0, "{stdout}");
    if let Some(peak) = children_peak_rss_mb() {
        assert!(rss <= peak + 1.0, "rss_mb {rss} is over the process's peak {peak} MB:\n{stdout}");
    }
    // What a real instance feels (paused clock, so these hold even in a debug build).
    for name in ["idle_requests_per_min", "idle_change_shown_s", "overview_rtts", "detail_rtts", "budget_overruns"] {
        assert!(figures[name]["baseline"].as_f64().is_some(), "{name} has today's behaviour beside it:\n{stdout}");
    }
    assert_eq!(value("budget_overruns"), 0.0, "polling stays within the budget:\n{stdout}");
    let base = |n: &str| figures[n]["baseline"].as_f64().unwrap();
    assert!(value("idle_requests_per_min") < base("idle_requests_per_min"), "{stdout}");
    assert!(value("overview_rtts") >= 1.0 && value("detail_rtts") >= 1.0, "at least one round trip:\n{stdout}");
    // The size of the binary that ran.
    let size = std::fs::metadata(crate::common::proc::bin()).expect("the binary").len() as f64 / (1024.0 * 1024.0);
    assert!((value("binary_mb") - size).abs() < 0.01, "binary_mb {} vs {size:.2} MB on disk", value("binary_mb"));
    // Every view polls like the overview (paused clock, counted at the instance).
    for view in ["overview", "outbound", "inbound", "executions", "history", "work_orders", "detail", "fleet"] {
        let idle = format!("idle_requests_per_min_{view}");
        let changing = format!("changing_requests_per_min_{view}");
        assert!(figures.contains_key(&idle) && figures.contains_key(&changing), "{view} missing:\n{stdout}");
        assert!(figures[&idle]["baseline"].as_f64().is_some(), "beside the overview's figure:\n{stdout}");
        assert!(value(idle.as_str()) <= 12.0, "{idle} {}:\n{stdout}", value(idle.as_str()));
        assert!(value(changing.as_str()) <= 15.0, "{changing} {}:\n{stdout}", value(changing.as_str()));
    }
    assert_eq!(value("views_budget_held"), 0.0, "the budget never held a poll back:\n{stdout}");
    for name in ["team_requests_per_min", "team_requests_per_min_overview"] {
        assert!(value(name) < base(name), "sharing costs less than ten consoles alone:\n{stdout}");
    }
}

/// The peak resident memory of the largest child this process has waited for, in MB.
#[cfg(unix)]
fn children_peak_rss_mb() -> Option<f64> {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) } == 0;
    // Linux counts ru_maxrss in KiB.
    (ok && cfg!(target_os = "linux")).then(|| u.ru_maxrss as f64 / 1024.0)
}

#[cfg(not(unix))]
fn children_peak_rss_mb() -> Option<f64> {
    None
}
