//! `hubtop bench`: the console measured against the embedded instance, each scenario
//! beside its baseline in the same run.
//!
//! The instance runs as a child process (`hubtop sim`), so the figures of memory and
//! CPU are the console's own, not the simulated instance's million rows. The console
//! runs headless (the same app, runner and rendering, into a `TestBackend`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use serde::Serialize;

mod polite;
pub mod views;

use super::headless::Headless;
use crate::app::actions::Job;
use crate::app::{Settings, ViewKind};
use crate::audit::Audit;
use crate::client::read::{Delta, ListSpec};
use crate::client::{Auth, Client, ClientConfig, Entity, Record};
use crate::domain::Operation;
use crate::domain::state::QueueState;
use crate::ops::{Ops, Subject};
use crate::query::{Condition, Query};

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub baseline: Option<f64>,
    pub ratio: Option<f64>,
    /// The target this figure must meet, as text (for the table).
    #[serde(skip)]
    pub target: &'static str,
}

fn fig(name: &'static str, value: f64, unit: &'static str, baseline: Option<f64>, target: &'static str) -> Figure {
    let ratio = baseline.filter(|b| *b > 0.0).map(|b| value / b);
    Figure { name, value, unit, baseline, ratio, target }
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub rows: usize,
    pub quick: bool,
}

/// A `hubtop sim` child process, killed on drop.
pub struct SimChild {
    child: Child,
    pub url: String,
}

impl SimChild {
    pub fn spawn(rows: usize, faults: &str) -> anyhow::Result<SimChild> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["sim", "--port", "0", "--traffic", "0", "--rows", &rows.to_string(), "--faults", faults])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow::anyhow!("unexpected first line {line:?}"))?
            .to_string();
        Ok(SimChild { child, url })
    }

    /// Sets the instance's faults at runtime.
    pub async fn faults(&self, spec: &str) -> anyhow::Result<()> {
        let r = crate::sim::loopback_http(None)
            .put(format!("{}/sim/faults", self.url))
            .body(spec.to_string())
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "setting faults: {}", r.status());
        Ok(())
    }

    pub async fn counters(&self) -> anyhow::Result<serde_json::Value> {
        Ok(crate::sim::loopback_http(None).get(format!("{}/sim/counters", self.url)).send().await?.json().await?)
    }
}

impl Drop for SimChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(url: &str, rps: f64) -> Arc<Client> {
    let mut c = ClientConfig::new(url, Auth::Basic { user: "admin".into(), password: "admin".into() });
    c.rps = rps;
    c.concurrency = 8;
    Arc::new(Client::new(c).expect("a valid client config"))
}

fn console(url: &str, refresh: Duration) -> Headless {
    let settings = Settings { instance: url.to_string(), refresh, ..Default::default() };
    let audit = Arc::new(Audit::open(None, url, "admin").expect("no audit file"));
    let mut h = Headless::new(client(url, 0.0), settings, audit, (200, 60));
    h.auto_draw = true;
    h
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Opens the largest table and returns the time to the first frame with rows.
async fn first_frame(url: &str) -> anyhow::Result<(f64, Headless)> {
    let mut h = console(url, Duration::from_secs(3));
    let t0 = Instant::now();
    let fx = h.app.switch(ViewKind::List(Entity::Outbound));
    for e in fx {
        h.runner.spawn(e);
    }
    let ok = h.until(Duration::from_secs(60), |a| a.current_list().is_some_and(|l| !l.rows.is_empty())).await;
    anyhow::ensure!(ok, "no rows within 60 s");
    h.draw_timed();
    Ok((ms(t0.elapsed()), h))
}

/// CPU time of the calling thread: what a frame costs, without the time the OS gave
/// other threads (the instance and the decoders share these two cores).
fn thread_cpu() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes into the timespec we own; the clock id is valid.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    Duration::ZERO
}

/// Render times while scrolling, in ms: (median, p99) of wall time, and p99 of the
/// rendering thread's CPU time.
async fn render_while_scrolling(h: &mut Headless, frames: usize) -> (f64, f64, f64) {
    let mut times = Vec::with_capacity(frames);
    let mut cpu = Vec::with_capacity(frames);
    // Each measured frame is the one a keypress needs (auto-draw would draw it first).
    h.auto_draw = false;
    for i in 0..frames {
        h.key(if i % 10 == 9 { KeyCode::PageDown } else { KeyCode::Down });
        h.drain();
        let c0 = thread_cpu();
        times.push(ms(h.draw_timed()));
        cpu.push(ms(thread_cpu().saturating_sub(c0)));
        if i % 25 == 0 {
            // Let window loads land, as they would between keypresses.
            h.pump(Duration::from_millis(5)).await;
        }
    }
    h.auto_draw = true;
    (percentile(&mut times.clone(), 0.5), percentile(&mut times, 0.99), percentile(&mut cpu, 0.99))
}

/// Key-to-frame latency with requests in flight: (median, p99) in ms.
async fn key_to_frame(url: &str, presses: usize) -> anyhow::Result<(f64, f64)> {
    // Refresh constantly, so a request is always in flight.
    let mut h = console(url, Duration::from_millis(200));
    h.tick = Duration::from_millis(50);
    let fx = h.app.switch(ViewKind::List(Entity::Outbound));
    for e in fx {
        h.runner.spawn(e);
    }
    h.until(Duration::from_secs(60), |a| a.current_list().is_some_and(|l| !l.rows.is_empty())).await;
    let mut lat = Vec::with_capacity(presses);
    for i in 0..presses {
        // As the terminal loop does: the key, then one frame (auto-draw would draw it
        // inside `key` and the measured frame would be a second, empty one).
        h.auto_draw = false;
        let t0 = Instant::now();
        h.key(if i % 2 == 0 { KeyCode::Down } else { KeyCode::Up });
        h.draw_timed();
        lat.push(ms(t0.elapsed()));
        h.auto_draw = true;
        h.pump(Duration::from_millis(20)).await;
    }
    Ok((percentile(&mut lat.clone(), 0.5), percentile(&mut lat, 0.99)))
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// CPU seconds this process has used (user + system).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which may contain spaces) start after ") ".
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Bytes and requests of one refresh: (no change, 1 % changed, naive re-fetch).
async fn refresh_cost(url: &str) -> anyhow::Result<Vec<Figure>> {
    let c = client(url, 0.0);
    let writer = client(url, 0.0);
    let table = c.table(Entity::Outbound).to_string();
    let visible = crate::app::layout::list_rows(60);
    let fields: Vec<String> = Entity::Outbound.list_fields().iter().map(|s| s.to_string()).collect();
    // Naive: re-fetch the visible page with everything it shows.
    let mut page = ListSpec::new(&table);
    page.fields = fields.clone();
    page.limit = visible;
    page.display = true;
    page.query = Query::new().order_desc("sys_updated_on");
    let (r0, b0) = counters(&c);
    let rows = c.list(&page).await?.records;
    let (r1, b1) = counters(&c);
    let (naive_req, naive_bytes) = (r1 - r0, b1 - b0);
    // The delta, primed at the newest change.
    let mut follow = ListSpec::new(&table);
    follow.fields = fields;
    follow.display = true;
    let newest = rows.first().map(|r| r.get("sys_updated_on").to_string());
    let mut delta = Delta::starting_at(follow, newest);
    delta.poll(&c).await?;
    let (r0, b0) = counters(&c);
    let changed = delta.poll(&c).await?;
    let (r1, b1) = counters(&c);
    anyhow::ensure!(changed.is_empty(), "the instance changed during the no-change refresh");
    let (idle_req, idle_bytes) = (r1 - r0, b1 - b0);
    // 1 % of the visible rows change (at least one).
    let n = (visible / 100).max(1);
    for r in rows.iter().skip(5).take(n) {
        writer
            .set_entry_state(
                Entity::Outbound,
                r.sys_id(),
                if r.get("state") == QueueState::Skipped.as_str() { QueueState::Error } else { QueueState::Skipped }
                    .as_str(),
            )
            .await?;
    }
    let (r0, b0) = counters(&c);
    let changed = delta.poll(&c).await?;
    let (r1, b1) = counters(&c);
    anyhow::ensure!(changed.len() == n, "saw {} of {n} changed rows", changed.len());
    let (ch_req, ch_bytes) = (r1 - r0, b1 - b0);
    // What the console polls: one round with the list's count, the changed rows in it.
    let mut live = delta.clone();
    live.count = Some(Query::new());
    live.poll_once(&c).await?;
    let (r0, b0) = counters(&c);
    let changed = crate::client::budget::background(live.poll_once(&c)).await?;
    let (r1, b1) = counters(&c);
    anyhow::ensure!(changed.is_empty(), "the instance changed during the no-change poll");
    let (poll_req, poll_bytes) = (r1 - r0, b1 - b0);
    for r in rows.iter().skip(5 + n).take(n) {
        let to = if r.get("state") == QueueState::Skipped.as_str() { QueueState::Error } else { QueueState::Skipped };
        writer.set_entry_state(Entity::Outbound, r.sys_id(), to.as_str()).await?;
    }
    let (r0, b0) = counters(&c);
    let changed = crate::client::budget::background(live.poll_once(&c)).await?;
    let (r1, b1) = counters(&c);
    anyhow::ensure!(changed.len() == n, "the poll saw {} of {n} changed rows", changed.len());
    let (pch_req, pch_bytes) = (r1 - r0, b1 - b0);
    let nb = naive_bytes as f64;
    Ok(vec![
        fig("poll_requests", poll_req as f64, "requests", Some(idle_req as f64), "console poll, no change, with count"),
        fig("poll_bytes", poll_bytes as f64, "bytes", Some(idle_bytes as f64), "console poll, no change, with count"),
        fig("poll_changed_requests", pch_req as f64, "requests", Some(ch_req as f64), "console poll, 1% changed"),
        fig("poll_changed_bytes", pch_bytes as f64, "bytes", Some(ch_bytes as f64), "console poll, 1% changed"),
        fig("refresh_requests", idle_req as f64, "requests", Some(naive_req as f64), "no-change refresh"),
        fig("refresh_bytes", idle_bytes as f64, "bytes", Some(nb), "no-change refresh"),
        fig("refresh_bytes_ratio", idle_bytes as f64 / nb, "ratio", None, "≤ 0.02"),
        fig(
            "refresh_changed_requests",
            ch_req as f64,
            "requests",
            Some(naive_req as f64),
            "1% of visible rows changed",
        ),
        fig("refresh_changed_bytes", ch_bytes as f64, "bytes", Some(nb), "1% of visible rows changed"),
    ])
}

fn counters(c: &Client) -> (u64, u64) {
    (c.traffic.requests.load(Ordering::Relaxed), c.traffic.bytes.load(Ordering::Relaxed))
}

/// Bulk retry of `n` entries against an instance limited to `limit` requests/s.
async fn bulk(sim: &SimChild, n: usize, limit: f64) -> anyhow::Result<Vec<Figure>> {
    let c = client(&sim.url, 0.0);
    let table = c.table(Entity::Outbound).to_string();
    let mut spec = ListSpec::new(&table);
    spec.query = Query::new().and(Condition::eq("state", QueueState::Error.as_str()));
    spec.fields = vec!["sys_id".into(), "number".into(), "state".into()];
    spec.limit = n;
    spec.no_count = true;
    let rows = c.list(&spec).await?.records;
    anyhow::ensure!(rows.len() == n, "only {} entries in error to retry", rows.len());
    let before = sim.counters().await?;
    sim.faults(&format!("limit={limit}")).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let runner = crate::console::runner::Runner::new(
        Ops::new(client(&sim.url, limit), Arc::new(Audit::open(None, "bench", "bench")?)),
        tx,
    );
    let targets: Vec<Subject> = rows
        .iter()
        .map(|r: &Record| Subject {
            entity: Entity::Outbound,
            sys_id: r.sys_id().to_string(),
            label: r.get("number").to_string(),
            record: r.clone(),
        })
        .collect();
    let t0 = Instant::now();
    runner.run_job(Job { id: 1, op: Operation::Retry, targets }, &AtomicBool::new(false)).await;
    let secs = t0.elapsed().as_secs_f64();
    drop(runner);
    let _ = drain.await;
    sim.faults("").await?;
    let after = sim.counters().await?;
    let patches = after["patches_by_id"].as_object().cloned().unwrap_or_default();
    let prior = before["patches_by_id"].as_object().cloned().unwrap_or_default();
    let mut sent = 0;
    let mut dups = 0;
    for r in &rows {
        let k = r.sys_id();
        let count =
            patches.get(k).and_then(|v| v.as_u64()).unwrap_or(0) - prior.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        sent += usize::from(count > 0);
        dups += count.saturating_sub(1);
    }
    anyhow::ensure!(sent == n, "only {sent} of {n} entries were sent");
    // n requests paced at `limit` need (n - 1) / limit seconds.
    let rate = (n as f64 - 1.0) / secs;
    let limited = after["rate_limited"].as_u64().unwrap_or(0) - before["rate_limited"].as_u64().unwrap_or(0);
    Ok(vec![
        fig("bulk_rate", rate, "requests/s", Some(limit), "the instance's limit"),
        fig("bulk_rate_fraction", rate / limit, "of limit", None, "≥ 0.9"),
        fig("bulk_duplicates", dups as f64, "requests", None, "= 0"),
        fig("bulk_rejected_429", limited as f64, "requests", None, "answered 429, retried"),
    ])
}

pub async fn run(opts: &BenchOptions) -> anyhow::Result<Vec<Figure>> {
    let rows = opts.rows;
    let live_secs = if opts.quick { 5 } else { 60 };
    let idle_secs = if opts.quick { 3 } else { 10 };
    let bulk_n = if opts.quick { 200 } else { 1000 };
    eprintln!("starting the embedded instances: demo size and {rows} rows…");
    let t_seed = Instant::now();
    let demo = SimChild::spawn(0, "")?;
    let big = SimChild::spawn(rows, "")?;
    eprintln!("seeded in {:.1}s", t_seed.elapsed().as_secs_f64());
    let mut out = Vec::new();

    eprintln!("first frame and rendering…");
    let (ff_demo, mut h_demo) = first_frame(&demo.url).await?;
    let (rm_demo, rp_demo, rc_demo) = render_while_scrolling(&mut h_demo, 300).await;
    h_demo.pump(Duration::from_secs(live_secs.min(5))).await;
    let rss_demo = rss_mb();
    drop(h_demo);
    let (ff_big, mut h_big) = first_frame(&big.url).await?;
    out.push(fig("first_frame_ms", ff_big, "ms", Some(ff_demo), "≤ 150"));
    let (rm, rp, rc) = render_while_scrolling(&mut h_big, 600).await;
    out.push(fig("render_median_ms", rm, "ms", Some(rm_demo), "200×60, scrolling"));
    out.push(fig("render_p99_ms", rp, "ms", Some(rp_demo), "≤ 2"));
    out.push(fig("render_p99_cpu_ms", rc, "ms", Some(rc_demo), "thread CPU, no preemption"));

    eprintln!("{live_secs}s of live refresh with the largest table open…");
    h_big.pump(Duration::from_secs(live_secs)).await;
    out.push(fig("rss_mb", rss_mb(), "MB", Some(rss_demo), "≤ 50"));

    eprintln!("idle CPU for {idle_secs}s…");
    h_big.tick = Duration::from_secs(1);
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    h_big.pump(Duration::from_secs(idle_secs)).await;
    let idle = (cpu_seconds() - c0) / t0.elapsed().as_secs_f64() * 100.0;
    out.push(fig("idle_cpu_percent", idle, "%", None, "≤ 0.5"));
    drop(h_big);

    eprintln!("refresh cost…");
    out.extend(refresh_cost(&big.url).await?);

    eprintln!("keypress to frame, 200 ms instance latency…");
    let (k_med_0, k_p99_0) = key_to_frame(&demo.url, 100).await?;
    big.faults("latency=200ms").await?;
    let (k_med, k_p99) = key_to_frame(&big.url, if opts.quick { 100 } else { 300 }).await?;
    big.faults("").await?;
    out.push(fig("key_to_frame_median_ms", k_med, "ms", Some(k_med_0), "requests in flight"));
    out.push(fig("key_to_frame_p99_ms", k_p99, "ms", Some(k_p99_0), "≤ 16"));

    eprintln!("bulk retry of {bulk_n} entries…");
    out.extend(bulk(&big, bulk_n, 50.0).await?);

    eprintln!("a real instance's view (paused clock, 300 ms latency): idle polling, round trips, budget…");
    out.extend(polite::figures()?);
    eprintln!("every view, idle and at 30 changes/min, and ten consoles (paused clock, 100 ms latency)…");
    out.extend(views::measured()?);
    let mb = polite::binary_mb().unwrap_or(0.0);
    out.push(fig("binary_mb", mb, "MB", None, "≤ 16 (release build)"));
    Ok(out)
}

pub fn table(figs: &[Figure], opts: &BenchOptions) -> String {
    let mut s = format!("hubtop bench — {} rows{}\n", opts.rows, if opts.quick { " (quick)" } else { "" });
    s.push_str(&format!(
        "{:<37} {:>14} {:<11} {:>12} {:>8}  {}\n",
        "figure", "value", "unit", "baseline", "ratio", "target"
    ));
    for f in figs {
        let b = f.baseline.map(|b| format!("{b:.2}")).unwrap_or_else(|| "–".into());
        let r = f.ratio.map(|r| format!("{r:.3}")).unwrap_or_else(|| "–".into());
        s.push_str(&format!("{:<37} {:>14.3} {:<11} {:>12} {:>8}  {}\n", f.name, f.value, f.unit, b, r, f.target));
    }
    s
}
