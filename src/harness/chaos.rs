//! `hubtop chaos`: the console under fire. The embedded instance answers with 5xx,
//! 429, garbled and HTML bodies and dropped connections, expires tokens and takes a
//! provider down, while a scripted operator (seeded) navigates, filters, drills down
//! and acts, singly and in bulk, on a headless console. Then the faults stop and the
//! run checks what must hold, each able to fail for its own reason only:
//! - no panic (headless console or the real one);
//! - no action sent twice: per record, the instance never received more writes than the
//!   audit log sent actions for it, each counted under the record the instance counts
//!   it under (`ledger`);
//! - every action sent has a final outcome in the audit log;
//! - the real console (the binary, in a pseudo-terminal, against the same instance,
//!   pressed a view key every 400 ms) drew a frame in every second (`pty`);
//! - once the instance is settled, the view matches it again within one refresh.
//!
//! A test-only switch ([`Inject::Duplicate`]) resends one audited action past the audit
//! log, to show the run then fails.

mod ledger;
#[cfg(unix)]
mod pty;

use std::collections::HashMap;
use std::path::PathBuf;
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

/// Deliberate faults of hubtop itself, for tests of the checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Inject {
    #[default]
    None,
    /// Resend the last audited retry, skip or rerun without an audit line.
    Duplicate,
    /// Block the real console's event loop for 2.5 s (`HUBTOP_TEST_STALL`).
    StallConsole,
}

/// What a run needs beyond its options.
#[derive(Debug, Clone, Default)]
pub struct ChaosRun {
    /// The hubtop binary for the real console in a pseudo-terminal.
    pub console_bin: Option<PathBuf>,
    pub inject: Inject,
}

impl ChaosRun {
    /// This process's binary when it is hubtop (`hubtop chaos`); a library caller (a
    /// test) names the binary itself.
    pub fn from_current_exe() -> ChaosRun {
        let exe = std::env::current_exe().ok().filter(|p| p.file_stem().is_some_and(|s| s == "hubtop"));
        ChaosRun { console_bin: exe, inject: Inject::None }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub seconds: u64,
    pub operator_steps: u64,
    pub actions_sent: usize,
    pub outcomes: HashMap<String, usize>,
    pub requests: u64,
    /// Frames the headless console drew (not a check: it draws when told to).
    pub frames: u64,
    pub panics: u64,
    /// Records the instance received more writes for than the audit sent (`id: n > m`).
    pub sent_twice: Vec<String>,
    pub without_outcome: usize,
    /// The real console in a pseudo-terminal; `None` when it could not run.
    #[cfg(unix)]
    pub pty: Option<pty::PtyReport>,
    /// Why the real console did not run.
    pub pty_missing: String,
    /// What [`Inject::Duplicate`] resent.
    pub injected: Option<String>,
    pub token_expiries: u64,
    pub recovered_ms: Option<u64>,
    /// How the view differed from the instance when it did not recover.
    pub mismatch: String,
    pub refresh_ms: u64,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.panics == 0
            && self.sent_twice.is_empty()
            && self.without_outcome == 0
            && self.pty_passed()
            && self.recovered_ms.is_some_and(|ms| ms <= self.refresh_ms + 1000)
    }

    #[cfg(unix)]
    fn pty_passed(&self) -> bool {
        self.pty.as_ref().is_some_and(|p| p.passed())
    }

    #[cfg(not(unix))]
    fn pty_passed(&self) -> bool {
        false
    }

    #[cfg(unix)]
    fn pty_line(&self) -> String {
        match &self.pty {
            Some(p) => format!(
                "{} real console in a PTY drew a frame every second: {} frames over {}s, seconds without one {:?}, slowest key to frame {} ms, {}{}",
                check(p.passed()),
                p.frames,
                p.seconds,
                p.seconds_without_frame,
                p.slowest_key_ms,
                p.exit,
                if p.panicked { ", PANICKED" } else { "" }
            ),
            None => format!("FAIL real console in a PTY: not run ({})", self.pty_missing),
        }
    }

    #[cfg(not(unix))]
    fn pty_line(&self) -> String {
        format!("FAIL real console in a PTY: not run ({})", self.pty_missing)
    }

    pub fn summary(&self) -> String {
        let mut outcomes: Vec<_> = self.outcomes.iter().collect();
        outcomes.sort();
        format!(
            "hubtop chaos — {}s, faults {FAULTS}, token expiry every {}s, provider outages\n\
             operator steps {}, actions sent {} ({}), instance requests {}, headless frames {}, token expiries {}{}\n\
             {} panics: {}\n\
             {} actions sent twice: {} {:?}\n\
             {} actions without a final outcome in the audit log: {}\n\
             {}\n\
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
            self.injected.as_ref().map(|i| format!(", INJECTED a duplicate: {i}")).unwrap_or_default(),
            check(self.panics == 0),
            self.panics,
            check(self.sent_twice.is_empty()),
            self.sent_twice.len(),
            self.sent_twice,
            check(self.without_outcome == 0),
            self.without_outcome,
            self.pty_line(),
            check(self.recovered_ms.is_some_and(|ms| ms <= self.refresh_ms + 1000)),
            self.recovered_ms.map(|m| format!("in {m} ms")).unwrap_or_else(|| format!("no: {}", self.mismatch)),
            self.refresh_ms,
            if self.passed() { "PASSED" } else { "FAILED" },
        )
    }
}

fn check(ok: bool) -> &'static str {
    if ok { "ok  " } else { "FAIL" }
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

/// A run with the real console from this process's binary (`hubtop chaos`).
pub async fn run(opts: &ChaosOptions) -> anyhow::Result<Report> {
    run_with(opts, &ChaosRun::from_current_exe()).await
}

pub async fn run_with(opts: &ChaosOptions, extra: &ChaosRun) -> anyhow::Result<Report> {
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
    // Drawn after every change, so rendering meets every state the faults make.
    c.auto_draw = true;
    c.runner.ops.follow_timeout = Duration::from_secs(10);
    c.start();
    #[cfg(unix)]
    let (mut pty, mut pty_missing) = match &extra.console_bin {
        Some(bin) => match pty::PtyConsole::spawn(
            bin,
            &h.base_url,
            &dir.join("pty"),
            (120, 40),
            extra.inject == Inject::StallConsole,
        ) {
            Ok(p) => (Some(p), String::new()),
            Err(e) => (None, format!("cannot start it in a pseudo-terminal: {e}")),
        },
        None => (None, "no hubtop binary to run (a library caller passes ChaosRun::console_bin)".to_string()),
    };
    #[cfg(not(unix))]
    let pty_missing = "pseudo-terminals are unix-only here".to_string();

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
    // The real console's window: from its first frame (it is up) to the end of the run.
    #[cfg(unix)]
    let mut pty_from = None;
    #[cfg(unix)]
    if let Some(p) = pty.as_mut() {
        if p.until_first_frame(Duration::from_secs(secs.min(10))).await && p.start_probing().is_ok() {
            pty_from = Some(Instant::now());
        } else {
            pty_missing = "it drew no first frame".into();
            pty = None;
        }
    }
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
    #[cfg(unix)]
    let pty_report = match (pty, pty_from) {
        (Some(p), Some(from)) => Some(p.finish(from, Instant::now()).await),
        _ => None,
    };

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
    // After the view check, so the resent action changes nothing the other checks see.
    let injected = match extra.inject {
        Inject::None | Inject::StallConsole => None,
        Inject::Duplicate => Some(ledger::send_duplicate(&truth_client, &audit_path).await?),
    };
    let sent_twice = ledger::sent_twice(&h, &audit_path)?;
    let outcomes = ledger::outcome_counts(&audit_path)?;
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
        #[cfg(unix)]
        pty: pty_report,
        pty_missing,
        injected,
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
            // A single retry of an entry in error, previewed and confirmed.
            c.key(KeyCode::Char('4'));
            c.until(Duration::from_secs(2), |a| a.current_list().is_some_and(|l| l.loaded)).await;
            c.key(KeyCode::Char('r'));
            c.key(KeyCode::Char('y'));
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
                // The bulk job is no dialog: `:cancel` stops it.
                c.key(KeyCode::Char(':'));
                c.keys("cancel");
                c.key(KeyCode::Enter);
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
