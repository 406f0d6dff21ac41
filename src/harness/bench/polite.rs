//! What a real instance feels, measured on tokio's paused clock against the embedded
//! instance in this process (so an hour costs nothing and 300 ms of latency is exact):
//! requests a minute of an idle overview and how soon a change shows, round trips to a
//! complete overview and outbound detail, and the request budget over ten minutes — each
//! beside today's behaviour (a fixed refresh, no budget, no Batch API) in the same run.
//! Whether the instance serves the Batch API is learnt as the console would; the figures
//! say which was measured.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossterm::event::KeyCode;
use tokio::time::Instant;

use super::{Figure, fig};
use crate::app::plans::{DetailPlan, OverviewPlan};
use crate::app::{Msg, Settings};
use crate::audit::Audit;
use crate::client::read::ListSpec;
use crate::client::{Auth, Client, ClientConfig, Entity};
use crate::console::runner::execute;
use crate::harness::headless::Headless;
use crate::sim::{self, SimConfig, SimHandle};

/// The instance latency the round-trip figures are taken at.
const LATENCY: Duration = Duration::from_millis(300);

/// The console as configured today or now: `polite` = adaptive polling, the budget and
/// the Batch API where the instance has it; otherwise a fixed refresh, no budget and
/// concurrent requests.
fn client(url: &str, polite: bool, per_hour: u32) -> Arc<Client> {
    let mut c = ClientConfig::new(url, Auth::Basic { user: "admin".into(), password: "admin".into() });
    c.max_requests_per_hour = if polite { per_hour } else { 0 };
    let c = Client::new(c).expect("a valid client config");
    if !polite {
        c.batch.set(false);
    }
    Arc::new(c)
}

fn console(url: &str, polite: bool, per_hour: u32) -> Headless {
    let client = client(url, polite, per_hour);
    let settings =
        Settings { instance: url.to_string(), adaptive: polite, meter: Some(client.meter()), ..Default::default() };
    let audit = Arc::new(Audit::open(None, url, "admin").expect("no audit file"));
    Headless::new(client, settings, audit, (160, 48))
}

/// One step of paused time: the answers that came, then a tick of tokio's clock (the
/// harness's own `pump` ticks with the wall clock).
async fn step(h: &mut Headless, d: Duration) {
    tokio::time::sleep(d).await;
    h.drain();
    h.send(Msg::Tick(Instant::now().into_std(), chrono::Utc::now()));
}

/// Runs the console for `d`, a tick every 250 ms of paused time.
async fn run(h: &mut Headless, d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        step(h, Duration::from_millis(250)).await;
    }
}

/// Runs until `cond` holds; the paused time it took.
async fn until(h: &mut Headless, limit: Duration, cond: impl Fn(&crate::app::App) -> bool) -> Option<Duration> {
    let t0 = Instant::now();
    while !cond(&h.app) {
        if t0.elapsed() > limit {
            return None;
        }
        step(h, Duration::from_millis(10)).await;
    }
    Some(t0.elapsed())
}

fn sent(h: &Headless) -> u64 {
    h.runner.client().traffic.requests.load(Ordering::Relaxed)
}

async fn quiet_sim(latency: Duration) -> anyhow::Result<SimHandle> {
    let faults = sim::Faults { latency, ..Default::default() };
    sim::start(SimConfig { traffic: 0, retry_interval: Duration::from_secs(86_400), faults, ..Default::default() })
        .await
}

/// Idle requests a minute on the overview (after a minute to settle), and the seconds
/// until a change made then shows.
async fn idle(s: &SimHandle, polite: bool) -> anyhow::Result<(f64, f64, Option<bool>)> {
    let mut h = console(&s.base_url, polite, crate::client::budget::DEFAULT_PER_HOUR);
    h.start();
    run(&mut h, Duration::from_secs(60)).await;
    let r0 = sent(&h);
    run(&mut h, Duration::from_secs(60)).await;
    let per_min = (sent(&h) - r0) as f64;
    // A change: an outbound entry moves to another state.
    let table = h.runner.client().table(Entity::Outbound).to_string();
    let row = s.sim.store.find(&table, "operation", "create").ok_or_else(|| anyhow::anyhow!("no outbound entry"))?;
    let id = row[0].to_string();
    let before = h.app.overview.data.clone();
    let state = sim::store::Store::field(&table, &row, "state");
    use crate::domain::state::QueueState;
    let to = if state == QueueState::Skipped.as_str() { QueueState::Error } else { QueueState::Skipped }.as_str();
    s.sim.store.update(&table, &id, &[("state", to)]).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let shown = until(&mut h, Duration::from_secs(600), |a| a.overview.data != before)
        .await
        .ok_or_else(|| anyhow::anyhow!("the change never showed"))?;
    Ok((per_min, shown.as_secs_f64(), h.runner.client().batch.get()))
}

/// Round trips to a complete overview and to an outbound entry's detail opened from
/// its list row, at [`LATENCY`].
async fn rtts(s: &SimHandle, polite: bool) -> anyhow::Result<(f64, f64)> {
    let c = client(&s.base_url, polite, crate::client::budget::DEFAULT_PER_HOUR);
    // A first plan opens the connections (a console has them open by then).
    let plan = OverviewPlan::new(&c.config.tables);
    execute(&c, &plan.requests).await?;
    let t0 = Instant::now();
    execute(&c, &plan.requests).await?;
    let overview = t0.elapsed();
    let mut spec = ListSpec::new(c.table(Entity::Outbound));
    spec.fields = Entity::Outbound.list_fields().iter().map(|f| f.to_string()).collect();
    spec.display = true;
    spec.limit = 100;
    let rows = c.list(&spec).await?.records;
    let row = rows
        .iter()
        .find(|r| !r.get("flow_context").is_empty() && !r.get("document_id").is_empty())
        .ok_or_else(|| anyhow::anyhow!("no outbound entry with an execution and a work order"))?;
    // The operator reads the list before opening an entry: the client's rate window
    // (at most `rps` requests a second) has room again, as it would in use.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let t0 = Instant::now();
    let plan = DetailPlan::new(&c.config.tables, Entity::Outbound, row.sys_id(), row);
    let data = plan.assemble(execute(&c, &plan.requests).await?);
    anyhow::ensure!(plan.fits(&c.config.tables, Entity::Outbound, &data.record), "the detail needed a second plan");
    anyhow::ensure!(data.exec.is_some() && data.related.len() == 2, "an incomplete detail");
    let detail = t0.elapsed();
    let rt = |d: Duration| d.as_secs_f64() / LATENCY.as_secs_f64();
    Ok((rt(overview), rt(detail)))
}

/// Ten minutes of a console moving between the overview, a queue and a detail with a
/// budget of `per_hour`: requests beyond it (the run is shorter than the window).
async fn budget(s: &SimHandle, polite: bool, per_hour: u32) -> anyhow::Result<f64> {
    let mut h = console(&s.base_url, polite, per_hour);
    h.start();
    run(&mut h, Duration::from_secs(120)).await;
    h.key(KeyCode::Char('4'));
    run(&mut h, Duration::from_secs(180)).await;
    h.key(KeyCode::Enter);
    run(&mut h, Duration::from_secs(300)).await;
    Ok(sent(&h).saturating_sub(u64::from(per_hour)) as f64)
}

async fn measure() -> anyhow::Result<Vec<Figure>> {
    let s = quiet_sim(LATENCY).await?;
    let (idle_now, shown_now, batch) = idle(&s, true).await?;
    let (idle_then, shown_then, _) = idle(&s, false).await?;
    let (ov_now, det_now) = rtts(&s, true).await?;
    let (ov_then, det_then) = rtts(&s, false).await?;
    let per_hour = 60;
    let over_now = budget(&s, true, per_hour).await?;
    let over_then = budget(&s, false, per_hour).await?;
    s.shutdown().await;
    let how = match batch {
        Some(true) => "Batch API",
        _ => "no Batch API: concurrent",
    };
    Ok(vec![
        fig("idle_requests_per_min", idle_now, "requests", Some(idle_then), "≤ 12 (overview, 300 ms)"),
        fig("idle_change_shown_s", shown_now, "s", Some(shown_then), "≤ 5 + one round trip"),
        fig("idle_batch_api", f64::from(u8::from(batch == Some(true))), "1 = yes", None, how),
        fig("overview_rtts", ov_now, "round trips", Some(ov_then), "≤ 1.3"),
        fig("detail_rtts", det_now, "round trips", Some(det_then), "≤ 1.3 (outbound entry)"),
        fig("budget_overruns", over_now, "requests", Some(over_then), "= 0 (10 min, 60/h)"),
    ])
}

/// The figures, measured on a paused clock in a runtime of their own.
pub fn figures() -> anyhow::Result<Vec<Figure>> {
    std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build()?;
        rt.block_on(measure())
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the paused-clock run panicked"))?
}

/// The size of the running binary, in MB.
pub fn binary_mb() -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    Some(std::fs::metadata(exe).ok()?.len() as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_figure_is_measured_and_the_budget_holds() {
        let figs = super::figures().unwrap();
        for f in &figs {
            eprintln!("{} {:.3} (baseline {:?})", f.name, f.value, f.baseline);
        }
        let get = |n: &str| figs.iter().find(|f| f.name == n).unwrap();
        assert_eq!(get("budget_overruns").value, 0.0);
        assert!(get("budget_overruns").baseline.unwrap() > 0.0, "today's console would overrun");
        assert!(get("idle_requests_per_min").value < get("idle_requests_per_min").baseline.unwrap());
    }
}
