//! `hubtop chaos`: the console under fire. The embedded instance answers with 5xx,
//! 429, garbled and HTML bodies and dropped connections, expires tokens and takes a
//! provider down, while a scripted operator (seeded) navigates, filters, drills down
//! and acts, singly and in bulk, on a headless console. Then the faults stop and the
//! run checks what must hold:
//! - no panic;
//! - no action sent twice (the instance's count per record never exceeds the audit's);
//! - every action sent has a final outcome in the audit log;
//! - a frame was drawn in every second of the run;
//! - once the instance is settled, the view matches it again within one refresh.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::headless::Headless;
use crate::app::{Settings, ViewKind};
use crate::audit::Audit;
use crate::client::{Auth, Client, ClientConfig, Entity};
use crate::sim::{self, Faults, SimConfig};

pub const FAULTS: &str = "error=0.2,rate_limit=0.05,malformed=0.02,html=0.01,reset=0.01";

static PANICS: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct ChaosOptions {
    pub duration: Duration,
    pub seed: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub seconds: u64,
    pub operator_steps: u64,
    pub actions_sent: usize,
    pub outcomes: HashMap<String, usize>,
    pub requests: u64,
    pub frames: u64,
    pub panics: u64,
    pub sent_twice: usize,
    pub without_outcome: usize,
    pub seconds_without_frame: Vec<u64>,
    pub token_expiries: u64,
    pub recovered_ms: Option<u64>,
    /// How the view differed from the instance when it did not recover.
    pub mismatch: String,
    pub refresh_ms: u64,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.panics == 0
            && self.sent_twice == 0
            && self.without_outcome == 0
            && self.seconds_without_frame.is_empty()
            && self.recovered_ms.is_some_and(|ms| ms <= self.refresh_ms + 1000)
    }

    pub fn summary(&self) -> String {
        let check = |ok: bool| if ok { "ok  " } else { "FAIL" };
        let mut outcomes: Vec<_> = self.outcomes.iter().collect();
        outcomes.sort();
        format!(
            "hubtop chaos — {}s, faults {FAULTS}, token expiry every {}s, provider outages\n\
             operator steps {}, actions sent {} ({}), instance requests {}, frames {}, token expiries {}\n\
             {} panics: {}\n\
             {} actions sent twice: {}\n\
             {} actions without a final outcome in the audit log: {}\n\
             {} seconds without a frame: {:?}\n\
             {} view correct again after faults stopped: {} (refresh interval {} ms)\n\
             {}\n",
            self.seconds,
            expiry_every(self.seconds).as_secs(),
            self.operator_steps,
            self.actions_sent,
            outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
            self.requests,
            self.frames,
            self.token_expiries,
            check(self.panics == 0),
            self.panics,
            check(self.sent_twice == 0),
            self.sent_twice,
            check(self.without_outcome == 0),
            self.without_outcome,
            check(self.seconds_without_frame.is_empty()),
            self.seconds_without_frame,
            check(self.recovered_ms.is_some_and(|ms| ms <= self.refresh_ms + 1000)),
            self.recovered_ms.map(|m| format!("in {m} ms")).unwrap_or_else(|| format!("no: {}", self.mismatch)),
            self.refresh_ms,
            if self.passed() { "PASSED" } else { "FAILED" },
        )
    }
}

/// Token expiry every 60 s, or four times in a shorter run.
fn expiry_every(secs: u64) -> Duration {
    Duration::from_secs((secs / 4).clamp(2, 60))
}

fn install_panic_counter() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            prev(info);
        }));
    });
}

pub async fn run(opts: &ChaosOptions) -> anyhow::Result<Report> {
    install_panic_counter();
    let panics_before = PANICS.load(Ordering::SeqCst);
    let secs = opts.duration.as_secs().max(4);
    let faults = Faults::parse(FAULTS).map_err(anyhow::Error::msg)?;
    let cfg = SimConfig {
        seed: opts.seed,
        traffic: 90,
        faults,
        retry_interval: Duration::from_secs(5),
        ..Default::default()
    };
    let h = sim::start(cfg).await?;
    let dir = std::env::temp_dir().join(format!("hubtop-chaos-{}-{}", std::process::id(), opts.seed));
    std::fs::create_dir_all(&dir)?;
    let audit_path = dir.join("audit.jsonl");
    let _ = std::fs::remove_file(&audit_path);
    let mut cc = ClientConfig::new(
        &h.base_url,
        Auth::OAuthClient { client_id: "hubtop".into(), client_secret: "hubtop".into() },
    );
    cc.rps = 40.0;
    cc.concurrency = 6;
    cc.read_attempts = 4;
    cc.timeout = Duration::from_secs(5);
    let client = Arc::new(Client::new(cc)?);
    let refresh = Duration::from_secs(2);
    let settings =
        Settings { instance: h.base_url.clone(), user: "hubtop".into(), demo: true, refresh, ..Default::default() };
    let audit = Arc::new(Audit::open(Some(&audit_path), &h.base_url, "hubtop")?);
    let mut c = Headless::new(Arc::clone(&client), settings, audit, (120, 40));
    c.auto_draw = true;
    c.frame_times = Some(Vec::new());
    c.runner.ops.follow_timeout = Duration::from_secs(10);
    c.start();

    // Token expiry and provider outages run beside the operator.
    let sim = Arc::clone(&h.sim);
    let expiries = Arc::new(AtomicU64::new(0));
    let exp2 = Arc::clone(&expiries);
    let every = expiry_every(secs);
    let chaos_task = tokio::spawn(async move {
        let mut n = 0u64;
        loop {
            tokio::time::sleep(every).await;
            sim.auth.expire_all();
            exp2.fetch_add(1, Ordering::Relaxed);
            n += 1;
            sim.fm.set_outage("acme", n % 2 == 1);
        }
    });

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut steps = 0u64;
    while Instant::now() < end {
        operator_step(&mut c, &mut rng).await;
        steps += 1;
        let pause = Duration::from_millis(rng.gen_range(100..500));
        let mut waited = Duration::ZERO;
        while waited < pause && Instant::now() < end {
            c.pump(Duration::from_millis(100)).await;
            waited += Duration::from_millis(100);
        }
    }
    chaos_task.abort();
    let mut frames_by_second: Vec<u64> = vec![0; secs as usize + 1];
    for t in c.frame_times.take().unwrap_or_default() {
        if let Some(slot) = t.checked_duration_since(start).and_then(|d| frames_by_second.get_mut(d.as_secs() as usize))
        {
            *slot += 1;
        }
    }

    // Faults stop; the instance settles (no traffic, no queued work); then the view
    // must match it again within one refresh.
    h.sim.set_faults(Faults::default());
    h.sim.fm.set_outage("acme", false);
    h.sim.traffic_paused.store(true, Ordering::Relaxed);
    // Let actions in flight end, so every one of them has its outcome.
    c.until(Duration::from_secs(20), |a| a.actions.running.is_empty()).await;
    c.send(crate::app::Msg::Key(crossterm::event::KeyEvent::new(KeyCode::Esc, crossterm::event::KeyModifiers::NONE)));
    settle(&h, &mut c).await;
    let fx = c.app.switch(ViewKind::List(Entity::Outbound));
    for e in fx {
        c.runner.spawn(e);
    }
    let truth_client =
        Client::new(ClientConfig::new(&h.base_url, Auth::Basic { user: "admin".into(), password: "admin".into() }))?;
    let t0 = Instant::now();
    let mut recovered_ms = None;
    let mut mismatch = String::new();
    while t0.elapsed() < refresh * 3 {
        c.pump(Duration::from_millis(100)).await;
        if c.app.conn.stale_since.is_some() {
            mismatch = "stale".into();
            continue;
        }
        match view_matches(&c, &truth_client).await {
            Ok(()) => {
                recovered_ms = Some(t0.elapsed().as_millis() as u64);
                break;
            }
            Err(e) => mismatch = e,
        }
    }
    let (sent, done) = crate::audit::read_ids(&audit_path)?;
    let without_outcome = sent.iter().filter(|id| !done.contains(id)).count();
    let sent_twice = sent_twice(&h, &audit_path)?;
    let outcomes = outcome_counts(&audit_path)?;
    let report = Report {
        seconds: secs,
        operator_steps: steps,
        actions_sent: sent.len(),
        outcomes,
        requests: h.sim.counters.requests.load(Ordering::Relaxed),
        frames: c.frames,
        panics: PANICS.load(Ordering::SeqCst) - panics_before,
        sent_twice,
        without_outcome,
        seconds_without_frame: frames_by_second[..secs as usize]
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == 0)
            .map(|(i, _)| i as u64)
            .collect(),
        token_expiries: expiries.load(Ordering::Relaxed),
        recovered_ms,
        mismatch: if recovered_ms.is_some() { String::new() } else { mismatch },
        refresh_ms: refresh.as_millis() as u64,
    };
    h.shutdown().await;
    Ok(report)
}

/// Waits until nothing changes on the instance for a second (bounded).
async fn settle(h: &sim::SimHandle, c: &mut Headless) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = (u64::MAX, String::new());
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline {
        c.pump(Duration::from_millis(200)).await;
        let newest = h
            .sim
            .store
            .table(sim::schema::OUTBOUND)
            .map(|t| t.read().iter().map(|r| r[sim::schema::SYS_UPDATED_ON].to_string()).max().unwrap_or_default())
            .unwrap_or_default();
        let now = (h.sim.engine.pending_outbound() as u64, newest);
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if last.0 == 0 && quiet_since.elapsed() > Duration::from_millis(1500) {
            return;
        }
    }
}

/// Whether the console's outbound window shows what the instance holds.
async fn view_matches(c: &Headless, truth: &Client) -> Result<(), String> {
    let Some(l) = c.app.lists.get(&Entity::Outbound) else { return Err("no outbound list".into()) };
    if !l.loaded || l.in_flight {
        return Err(format!("loaded {} in flight {}", l.loaded, l.in_flight));
    }
    // The same window the view asked for (its filter and order), from the instance now.
    let mut spec = l.window_spec(truth.table(Entity::Outbound), l.window_offset);
    spec.fields = vec!["sys_id".into(), "state".into(), "sys_mod_count".into()];
    spec.limit = l.rows.len().clamp(1, crate::app::list::WINDOW);
    let page = truth.list(&spec).await.map_err(|e| e.to_string())?;
    let want: Vec<(String, String, String)> = page
        .records
        .iter()
        .map(|r| (r.sys_id().into(), r.get("state").into(), r.get("sys_mod_count").into()))
        .collect();
    let have: Vec<(String, String, String)> =
        l.rows.iter().map(|r| (r.sys_id().into(), r.get("state").into(), r.get("sys_mod_count").into())).collect();
    // Ties in sys_updated_on may order differently: compare as sets, and the totals.
    let mut a = want.clone();
    let mut b = have.clone();
    a.sort();
    b.sort();
    if a == b && l.total == page.total {
        return Ok(());
    }
    let missing: Vec<_> = a.iter().filter(|x| !b.contains(x)).take(3).collect();
    let extra: Vec<_> = b.iter().filter(|x| !a.contains(x)).take(3).collect();
    Err(format!(
        "total {:?} vs instance {:?}; rows {} vs {}; missing {missing:?}; extra {extra:?}; query {:?} quick {:?}",
        l.total,
        page.total,
        b.len(),
        a.len(),
        l.query.to_string(),
        l.quick_filter
    ))
}

/// Records the instance saw more writes for than the audit log sent.
fn sent_twice(h: &sim::SimHandle, audit: &std::path::Path) -> anyhow::Result<usize> {
    let mut sent: HashMap<String, u64> = HashMap::new();
    for line in std::fs::read_to_string(audit)?.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if v["phase"] == "sent" {
            let rec = v["record"].as_str().unwrap_or("");
            let id = rec.rsplit(':').next().unwrap_or(rec).to_string();
            *sent.entry(id).or_default() += 1;
        }
    }
    let patches = h.sim.counters.patches_by_id.lock().clone();
    let triggers = h.sim.counters.triggers_by_record.lock().clone();
    let over = |m: &HashMap<String, u64>| m.iter().filter(|(id, n)| **n > sent.get(*id).copied().unwrap_or(0)).count();
    Ok(over(&patches) + over(&triggers))
}

fn outcome_counts(audit: &std::path::Path) -> anyhow::Result<HashMap<String, usize>> {
    let mut m = HashMap::new();
    for line in std::fs::read_to_string(audit)?.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if v["phase"] == "done" {
            *m.entry(v["outcome"].as_str().unwrap_or("?").to_string()).or_default() += 1;
        }
    }
    Ok(m)
}

/// One thing a scripted operator does.
async fn operator_step(c: &mut Headless, rng: &mut ChaCha8Rng) {
    let roll: u32 = rng.gen_range(0..100);
    match roll {
        0..=14 => {
            let v = rng.gen_range(1..=7u8);
            c.key(KeyCode::Char((b'0' + v) as char));
        }
        15..=34 => {
            for _ in 0..rng.gen_range(1..6) {
                c.key(if rng.gen_bool(0.7) { KeyCode::Down } else { KeyCode::Up });
            }
        }
        35..=44 => c.key(KeyCode::Enter),
        45..=52 => c.key(KeyCode::Esc),
        53..=60 => {
            c.key(KeyCode::Char('/'));
            let text =
                ["state=error", "keystone", "HTTP", "state=processed^operation=create", "zzz"][rng.gen_range(0..5)];
            c.keys(text);
            c.key(if rng.gen_bool(0.6) { KeyCode::Enter } else { KeyCode::Esc });
        }
        61..=68 => c.key(KeyCode::Tab),
        69..=78 => {
            // A single retry of an entry in error.
            c.key(KeyCode::Char('4'));
            c.until(Duration::from_secs(2), |a| a.current_list().is_some_and(|l| l.loaded)).await;
            c.key(KeyCode::Char('r'));
            c.key(KeyCode::Esc);
        }
        79..=86 => {
            // Bulk: mark three entries in error and skip them, confirmed.
            c.key(KeyCode::Char('4'));
            c.key(KeyCode::Char('/'));
            c.keys("state=error");
            c.key(KeyCode::Enter);
            c.until(Duration::from_secs(3), |a| a.current_list().is_some_and(|l| l.loaded)).await;
            for _ in 0..3 {
                c.key(KeyCode::Char(' '));
            }
            c.key(KeyCode::Char('x'));
            c.key(KeyCode::Char('y'));
            if rng.gen_bool(0.3) {
                c.key(KeyCode::Esc);
            }
            c.until(Duration::from_secs(5), |a| a.actions.bulk_running().is_none()).await;
            c.key(KeyCode::Esc);
        }
        87..=93 => {
            // A work order action: create or cancel, confirmed where asked.
            c.key(KeyCode::Char('3'));
            c.until(Duration::from_secs(2), |a| a.current_list().is_some_and(|l| l.loaded)).await;
            c.key(KeyCode::Char(if rng.gen_bool(0.5) { 'n' } else { 'c' }));
            c.key(KeyCode::Char('y'));
            c.key(KeyCode::Esc);
        }
        _ => {
            c.key(KeyCode::Char('f'));
            c.pump(Duration::from_millis(200)).await;
            c.key(KeyCode::Char('f'));
        }
    }
}
