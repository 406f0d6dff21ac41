//! Snapshots and rehearsals (issue 25): a snapshot of an embedded instance rehearsed in
//! another, compared through the API; a rehearsal's writes stay in the rehearsal;
//! payloads redacted; an interrupted snapshot leaves no file or a complete one.
//!
//! Aggregate counts are read with the Aggregate API (`GET /api/now/stats/{table}` with
//! `sysparm_count` and `sysparm_group_by`, markdown/api-reference/rest-apis/aggregate-api.md).

use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hubtop::client::Client;
use hubtop::client::read::ListSpec;
use hubtop::domain::Entity;
use hubtop::query::Query;
use hubtop::sim::schema::{EXECUTIONS, HISTORY, INBOUND, OUTBOUND, PROVIDERS, WORK_ORDERS};
use hubtop::sim::{self, SimConfig, SimHandle};
use hubtop::snapshot::load::{self, Providers};
use hubtop::snapshot::take::{self, Options};
use hubtop::snapshot::{Snapshot, report};

use crate::common::TempDir;
use crate::common::insim::{basic, client_with};
use crate::common::proc::{Sim, command, kill};
use crate::common::wait::{T, wait_for};

fn client(url: &str) -> Arc<Client> {
    Arc::new(crate::common::insim::client(url))
}

fn quiet_demo(seed: u64) -> SimConfig {
    // No automatic retries during the test: the source holds still once its first
    // work orders are processed.
    SimConfig { seed, traffic: 0, demo: true, retry_interval: Duration::from_secs(86_400), ..Default::default() }
}

/// Waits until no outbound entry is ready or processing (the engine has settled).
async fn settled(h: &SimHandle) {
    let busy = || {
        let t = h.sim.store.table(OUTBOUND).unwrap().read();
        let c = t.def.col("state").unwrap();
        t.iter().filter(|r| matches!(&*r[c], "ready" | "processing")).count()
    };
    wait_for("the source instance to settle", T, || busy() == 0).await;
}

fn opts(keep: bool) -> Options {
    Options { since: chrono::Duration::days(7), keep_payloads: keep, profile: Some("src".into()), progress: false }
}

/// The (sys_id, state) pairs and Aggregate counts by state of a table, through the API.
async fn picture(
    c: &Client,
    table: &str,
    state: &str,
) -> (Vec<(String, String, String)>, Vec<(Vec<String>, u64)>, u64) {
    let mut s = ListSpec::new(table);
    s.fields = vec!["sys_id".into(), "number".into(), state.into()];
    s.limit = 500;
    let mut rows: Vec<_> = c
        .list_all(&s)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.sys_id().to_string(), r.get("number").to_string(), r.get(state).to_string()))
        .collect();
    rows.sort();
    let counts = c.count(table, &Query::new(), &[state]).await.unwrap();
    let (total, _) = c.stats(table, &Query::new(), &[]).await.unwrap();
    (rows, counts, total)
}

const TABLES: [(&str, &str); 6] = [
    (PROVIDERS, "outbound_state"),
    (WORK_ORDERS, "integration_state"),
    (OUTBOUND, "state"),
    (INBOUND, "state"),
    (EXECUTIONS, "state"),
    (HISTORY, "status"),
];

fn writes(h: &SimHandle) -> u64 {
    h.sim.counters.writes.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsal_matches_its_source_and_its_writes_stay_in_it() {
    let src = sim::start(quiet_demo(3)).await.unwrap();
    settled(&src).await;
    // Inbound entries: one recent, and one in error for a month (outside the window,
    // which a snapshot takes whatever its age).
    let wo = src.sim.store.table(WORK_ORDERS).unwrap().read().iter().next().unwrap()[0].to_string();
    let month_ago = hubtop::time::format(chrono::Utc::now() - chrono::Duration::days(30));
    let inbound = [("state", "error"), ("document_id", wo.as_str()), ("action_type", "update"), ("sequence", "1")];
    src.sim.store.insert(INBOUND, &inbound).unwrap();
    src.sim.store.insert_at(INBOUND, &inbound, &month_ago).unwrap();
    src.sim.store.insert(INBOUND, &[("state", "processed"), ("document_id", &wo), ("sequence", "2")]).unwrap();
    let sc = client(&src.base_url);
    let snap = take::take(&sc, &opts(false)).await.unwrap();
    let d = TempDir::new("snapshot-rehearse");
    let file = d.join("src.snap");
    snap.write(&file).unwrap();
    let snap = Snapshot::read(&file).unwrap();
    assert!(snap.count(Entity::Outbound) > 0 && snap.count(Entity::WorkOrders) > 0);
    // The snapshot took requests, and wrote nothing.
    assert!(snap.requests > 0);
    let src_writes = writes(&src);

    let (reh, _) = load::start(&snap, Providers::Ok, SimConfig::default()).await.unwrap();
    let rc = client(&reh.base_url);
    for (table, state) in TABLES {
        let a = picture(&sc, table, state).await;
        let b = picture(&rc, table, state).await;
        assert!(a.2 > 0, "{table} is empty in the source");
        assert_eq!(a, b, "{table}: the rehearsal differs from its source");
    }
    // The rehearsal's clock starts at the snapshot's time.
    let t = hubtop::time::parse(&snap.header.taken_at).unwrap();
    assert!((reh.sim.store.now() - t).num_seconds().abs() < 60);

    // A bulk retry in the rehearsal: every outbound entry in error.
    let errors: Vec<String> = {
        let mut s = ListSpec::new(OUTBOUND);
        s.query = hubtop::query::parse("state=error").unwrap();
        s.fields = vec!["sys_id".into()];
        rc.list_all(&s).await.unwrap().into_iter().map(|r| r.sys_id().to_string()).collect()
    };
    assert!(!errors.is_empty(), "seed 3 has failed entries to retry");
    for id in &errors {
        rc.set_entry_state(Entity::Outbound, id, "ready").await.unwrap();
    }
    // The rehearsal's providers are healthy: the retried entries are processed there.
    let mut left = errors.len();
    for _ in 0..600 {
        let (_, counts, _) = picture(&rc, OUTBOUND, "state").await;
        left = counts
            .iter()
            .filter(|(k, _)| k[0] == "error" || k[0] == "ready" || k[0] == "processing")
            .map(|(_, n)| *n)
            .sum::<u64>() as usize;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "the rehearsal processed every retried entry");
    assert!(writes(&reh) >= errors.len() as u64);
    // The source saw no write, and still has its errors.
    assert_eq!(writes(&src), src_writes, "the source was written to");
    let (_, counts, _) = picture(&sc, OUTBOUND, "state").await;
    let src_errors: u64 = counts.iter().filter(|(k, _)| k[0] == "error").map(|(_, n)| *n).sum();
    assert_eq!(src_errors as usize, errors.len());

    // The report: before and after from the snapshot and the rehearsal's end state.
    let end = load::dump(&reh.sim, &snap.header);
    end.write(&report::end_path(&file)).unwrap();
    let end = Snapshot::read(&report::end_path(&file)).unwrap();
    let text = report::render(&snap, &end, "");
    assert!(text.contains(&format!("error {} -> 0", errors.len())), "{text}");
    assert!(text.contains("Work orders whose integration state changed:"), "{text}");
    assert!(!text.contains("changed: 0"), "{text}");
    // A record the rehearsal creates is numbered after the loaded ones.
    let row = reh.sim.store.insert(OUTBOUND, &[("state", "skipped")]).unwrap();
    let number = hubtop::sim::store::Store::field(OUTBOUND, &row, "number").to_string();
    assert!(snap.records[&Entity::Outbound].iter().all(|r| r["number"] < number), "{number} reuses a loaded number");
    reh.shutdown().await;
    src.shutdown().await;
}

fn decompressed(path: &Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_string(&mut s).unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_text_stays_out_of_the_file_unless_kept() {
    let src = sim::start(quiet_demo(3)).await.unwrap();
    settled(&src).await;
    let s = &src.sim.store;
    let first = |table: &str| s.table(table).unwrap().read().iter().next().unwrap()[0].to_string();
    let markers = [
        (OUTBOUND, "payload", "MARKER-OB-PAYLOAD"),
        (OUTBOUND, "last_error", "MARKER-OB-ERROR"),
        (WORK_ORDERS, "description", "MARKER-WO-DESC"),
        (WORK_ORDERS, "comments", "MARKER-WO-COMMENT\nsecond line"),
        (HISTORY, "message", "MARKER-HIST-MSG"),
        (EXECUTIONS, "error_message", "MARKER-EXEC-ERR"),
        (PROVIDERS, "last_error", "MARKER-PROV-ERR"),
    ];
    for (table, field, m) in markers {
        s.update(table, &first(table), &[(field, m)]).unwrap();
    }
    let wo = first(WORK_ORDERS);
    s.insert(
        INBOUND,
        &[
            ("state", "error"),
            ("payload", "{\"note\":\"MARKER-IN-PAYLOAD\"}"),
            ("error", "MARKER-IN-ERROR"),
            ("document_id", &wo),
        ],
    )
    .unwrap();
    let d = TempDir::new("snapshot-redact");
    let c = client(&src.base_url);
    let (plain, kept) = (d.join("plain.snap"), d.join("kept.snap"));
    take::take(&c, &opts(false)).await.unwrap().write(&plain).unwrap();
    take::take(&c, &opts(true)).await.unwrap().write(&kept).unwrap();
    let (plain, kept) = (decompressed(&plain), decompressed(&kept));
    let all = markers.iter().map(|m| m.2.lines().next().unwrap()).chain(["MARKER-IN-PAYLOAD", "MARKER-IN-ERROR"]);
    for m in all {
        assert!(!plain.contains(m), "{m} is in the redacted snapshot");
        assert!(kept.contains(m), "{m} is not in the --keep-payloads snapshot (the test would prove nothing)");
    }
    assert!(plain.contains("[redacted "));
    // Kept values are exact: a newline stays a newline (the console shows ⏎).
    assert!(kept.contains("MARKER-WO-COMMENT\\nsecond line"), "the comment was altered");
    // No credential of the instance or its providers.
    for secret in ["fm-secret", "\"password\"", "client_secret"] {
        assert!(!kept.contains(secret), "{secret}");
    }
    src.shutdown().await;
}

/// SIGINT while the snapshot pages: the output is absent or complete, never partial,
/// and no temporary file is left.
#[test]
fn an_interrupted_snapshot_leaves_no_file_or_a_complete_one() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let src =
        rt.block_on(sim::start(SimConfig { traffic: 0, rows: 30_000, demo: false, ..Default::default() })).unwrap();
    let d = TempDir::new("snapshot-interrupt");
    let out = d.join("big.snap");
    let mut child = command(&d)
        .args(["snapshot", "--instance", &src.base_url, "--user", "admin", "--since", "60d", "-o"])
        .arg(&out)
        .env("HUBTOP_PASSWORD", "admin")
        .env("HUBTOP_CONFIG_DIR", d.join("config"))
        .env("HUBTOP_DATA_DIR", d.join("data"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    // Half-way: once the progress shows records read.
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
        let records: usize =
            line.strip_prefix("snapshot: ").and_then(|l| l.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
        if records >= 10_000 {
            kill(child.id(), "INT");
            break;
        }
    }
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    seen.push_str(&rest);
    if out.exists() {
        let s = Snapshot::read(&out).unwrap_or_else(|e| panic!("a partial file was left: {e}\n{seen}"));
        assert!(s.total() > 0);
    } else {
        assert_eq!(status.code(), Some(130), "{seen}");
        assert!(seen.contains("interrupted"), "{seen}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    rt.block_on(src.shutdown());
}

/// `hubtop sim --load FILE`: the binary serves the snapshot's records.
#[test]
fn sim_load_serves_the_snapshot() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let src = rt.block_on(sim::start(quiet_demo(3))).unwrap();
    rt.block_on(settled(&src));
    let snap = rt.block_on(take::take(&client(&src.base_url), &opts(false))).unwrap();
    let d = TempDir::new("snapshot-simload");
    let file = d.join("s.snap");
    snap.write(&file).unwrap();
    let loaded = Sim::start(&["--providers", "down", "--load", file.to_str().expect("a UTF-8 path")]);
    let v = loaded.api("/api/now/stats/ih_sync_outbound_record?sysparm_count=true");
    assert_eq!(v["result"]["stats"]["count"], snap.count(Entity::Outbound).to_string());
    rt.block_on(src.shutdown());
    drop(loaded);
}

/// The rehearsal's header mark, in a colour no theme gives anything else.
#[test]
fn the_rehearsal_mark_has_a_colour_of_its_own() {
    use hubtop::app::{App, Settings, keys::Keymap};
    use hubtop::ui::Theme;
    use ratatui::style::Color;
    let mark = "REHEARSAL of prod @ 2026-12-06 22:40:00 UTC";
    let settings = Settings { demo: false, rehearsal: Some(mark.into()), ..Default::default() };
    let mut app = App::new(settings, Keymap::default());
    app.size = (160, 20);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 20)).unwrap();
    term.draw(|f| hubtop::ui::draw(f, &app, &Theme::default_theme())).unwrap();
    let buf = term.backend().buffer();
    let row: String = (0..160).map(|x| buf[(x, 0)].symbol().to_string()).collect();
    let at = row.find("REHEARSAL").unwrap_or_else(|| panic!("no mark in the header: {row}"));
    let x = row[..at].chars().count() as u16;
    assert_eq!(buf[(x, 0)].bg, Color::LightMagenta, "{row}");
    for t in [Theme::default_theme(), Theme::light()] {
        let styles = [
            t.text, t.muted, t.accent, t.ok, t.warn, t.error, t.running, t.selected, t.marked, t.header, t.border,
            t.title,
        ];
        for s in styles {
            assert_ne!(s.bg, Some(Color::LightMagenta), "{}", t.name);
            assert_ne!(s.fg, Some(Color::LightMagenta), "{}", t.name);
        }
    }
}

/// A snapshot's reads are background reads: past the profile's hourly budget they wait
/// for room instead of being sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_keeps_within_the_hourly_request_budget() {
    let src = sim::start(quiet_demo(3)).await.unwrap();
    settled(&src).await;
    let client = Arc::new(client_with(&src.base_url, basic(), |c| c.max_requests_per_hour = 3));
    let before = src.sim.counters.requests.load(Ordering::Relaxed);
    let task = tokio::spawn({
        let client = Arc::clone(&client);
        async move { take::take(&client, &opts(false)).await }
    });
    wait_for("the snapshot to wait for the budget", T, || client.budget.state().waiting > 0).await;
    let sent = src.sim.counters.requests.load(Ordering::Relaxed) - before;
    assert!(sent <= 3, "{sent} requests sent with a budget of 3 per hour");
    assert!(!task.is_finished());
    task.abort();
    src.shutdown().await;
}
