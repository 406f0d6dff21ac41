//! Many instances from one console: opening a session on a profile (client, runner,
//! audit log), switching to another one, and a client per profile for the fleet's polls.
//!
//! A session owns its runner's channel. Switching drops the old session's receiver, so an
//! answer its runner sends afterwards goes nowhere: nothing from the old connection can
//! land on the new one. The fleet's answers travel on a channel of their own that lives
//! as long as the console, so a switch loses none of them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OnceCell, mpsc};

use super::runner::{Runner, channel, poll};
use crate::app::fleet::{DEMO, FleetPlan, FleetProfile, FleetSample};
use crate::app::{Msg, Settings};
use crate::cli::global::Global;
use crate::client::{Client, ClientConfig, Error};
use crate::config::{self, Config, Keyring};
use crate::target::{Refusal, Target};
use crate::{audit, exit, ops, sim, ui};

/// One connection: its runner, the channel its answers come back on, what the app shows.
pub struct Session {
    pub runner: Runner,
    pub rx: mpsc::Receiver<Msg>,
    pub settings: Settings,
    pub theme: ui::Theme,
}

/// Opens a session on a resolved target; `demo` names the embedded instance.
pub fn open(target: &Target, client: Client, demo: bool, config: &Config) -> Result<Session, Refusal> {
    let profile = target.profile.clone().or_else(|| demo.then(|| DEMO.to_string()));
    let settings = Settings {
        instance: client.config.base_url.clone(),
        user: client.config.auth.principal().to_string(),
        demo,
        read_only: target.read_only,
        refresh: target.refresh,
        tables: client.config.tables.clone(),
        mapping: client.config.mapping.clone(),
        production: target.production,
        profile,
        adaptive: true,
        meter: Some(client.meter()),
        rehearsal: None,
    };
    let audit_path = config::data_dir().join("audit.jsonl");
    let audit = audit::Audit::open(Some(&audit_path), &settings.instance, &settings.user)
        .map_err(|e| (exit::FAILED, format!("cannot open the audit log {}: {e}", audit_path.display())))?;
    let audit =
        Arc::new(audit.with_profile(target.profile.as_deref()).with_rotation(audit::Rotation::from_config(config)));
    let (tx, rx) = channel();
    let mut ops = ops::Ops::new(Arc::new(client), audit);
    // The profile's follow window (0 = not followed), as for the CLI.
    let follow = target.profile.as_deref().and_then(|p| config.profiles.get(p)).and_then(|p| p.follow_secs);
    if let Some(secs) = follow {
        ops.follow_timeout = std::time::Duration::from_secs(secs);
    }
    let runner = Runner::new(ops, tx);
    Ok(Session { runner, rx, settings, theme: ui::Theme::resolve(&target.theme) })
}

/// The fleet's rows: every profile of the config (nothing secret).
pub fn fleet_profiles(config: &Config) -> Vec<FleetProfile> {
    config
        .profiles
        .iter()
        .map(|(name, p)| FleetProfile {
            name: name.clone(),
            instance: client_url(&p.instance),
            read_only: p.read_only,
            production: p.production,
            tables: p.tables.clone(),
        })
        .collect()
}

fn client_url(url: &str) -> String {
    crate::client::strip_credentials(url.trim()).0.trim_end_matches('/').to_string()
}

/// A fleet client's limits: a poll is two small requests, and a silent instance is given
/// up on in seconds (its row says so; the other rows never wait for it).
pub fn fleet_client_config(mut c: ClientConfig) -> ClientConfig {
    c.connect_timeout = Duration::from_secs(3);
    c.first_byte_timeout = Duration::from_secs(5);
    c.timeout = Duration::from_secs(8);
    c.budget = Duration::from_secs(10);
    c.read_attempts = 2;
    c.concurrency = 2;
    c.rps = 2.0;
    c.wait_for_rate_limit = false;
    c
}

type FleetClients = HashMap<String, Result<Arc<Client>, String>>;

/// What the console keeps to change instance, and to poll the fleet.
pub struct Profiles {
    global: Global,
    config: Config,
    keyring: Arc<dyn Keyring>,
    /// The fleet's answers (a channel that outlives every session).
    pub fleet_tx: mpsc::Sender<Msg>,
    /// A client per profile, built (secrets fetched) once, when the fleet first polls.
    fleet: Arc<OnceCell<FleetClients>>,
    /// The embedded instance, once started: reused by `:profile demo`.
    demo: Option<ClientConfig>,
    sims: Vec<sim::SimHandle>,
}

impl Profiles {
    pub fn new(global: &Global, config: &Config, keyring: Arc<dyn Keyring>, fleet_tx: mpsc::Sender<Msg>) -> Self {
        Profiles {
            global: global.clone(),
            config: config.clone(),
            keyring,
            fleet_tx,
            fleet: Arc::default(),
            demo: None,
            sims: Vec::new(),
        }
    }

    /// The embedded instance the first session started (kept running; stopped on exit).
    pub fn adopt_sim(&mut self, handle: sim::SimHandle, client: &ClientConfig) {
        self.demo = Some(client.clone());
        self.sims.push(handle);
    }

    /// A session on the profile `name` (`demo`: the embedded instance, unless a profile
    /// has that name). `--read-only`, `--insecure` and `--wait` still apply; `--instance`
    /// and its credentials belonged to the first connection only.
    pub async fn switch(&mut self, name: &str) -> Result<Session, String> {
        let is_demo = name == DEMO && !self.config.profiles.contains_key(DEMO);
        if is_demo {
            let target = Target {
                client: self.demo.clone(),
                profile: None,
                read_only: self.global.read_only,
                production: false,
                refresh: Duration::from_secs(3),
                theme: self.config.theme.clone(),
            };
            let (client, sim) = target.connect(true).await.map_err(|(_, m)| m)?;
            if let Some(h) = sim {
                self.adopt_sim(h, &client.config);
            }
            return open(&target, client, true, &self.config).map_err(|(_, m)| m);
        }
        let g = Global {
            profile: Some(name.to_string()),
            instance: None,
            user: None,
            client_id: None,
            demo: false,
            ..self.global.clone()
        };
        let keyring = Arc::clone(&self.keyring);
        let config = self.config.clone();
        // Fetching a secret may run a command or ask the OS keyring: off the event loop.
        let target = tokio::task::spawn_blocking(move || Target::resolve(&g, &config, keyring.as_ref()))
            .await
            .map_err(|e| format!("profile {name}: {e}"))?
            .map_err(|(_, m)| m)?;
        let (client, _) = target.connect(false).await.map_err(|(_, m)| m)?;
        open(&target, client, false, &self.config).map_err(|(_, m)| m)
    }

    /// Starts one fleet poll; its answer comes back on the fleet channel.
    pub fn poll(&self, profile: String, seq: u64, plan: FleetPlan) {
        let (cell, config, keyring, tx) =
            (Arc::clone(&self.fleet), self.config.clone(), Arc::clone(&self.keyring), self.fleet_tx.clone());
        tokio::spawn(async move {
            let clients = cell
                .get_or_init(|| async move {
                    tokio::task::spawn_blocking(move || build_clients(&config, keyring.as_ref()))
                        .await
                        .unwrap_or_default()
                })
                .await;
            let result = match clients.get(&profile) {
                Some(Ok(c)) => poll(c, &plan.requests)
                    .await
                    .map(|answers| FleetSample { counts: plan.assemble(answers), rate: c.rate_limit() }),
                Some(Err(why)) => Err(Error::Invalid(why.clone())),
                None => Err(Error::Invalid(format!("no profile `{profile}`"))),
            };
            let _ = tx.send(Msg::Fleet { profile, seq, result }).await;
        });
    }

    pub async fn shutdown(self) {
        for s in self.sims {
            s.shutdown().await;
        }
    }
}

/// A fleet client per profile, its secrets fetched once; a profile whose secret or TLS
/// settings fail keeps the reason (its row shows it).
fn build_clients(config: &Config, keyring: &dyn Keyring) -> FleetClients {
    config
        .profiles
        .iter()
        .map(|(name, p)| {
            let client = config::resolve(name, p, keyring)
                .and_then(|r| Client::new(fleet_client_config(r.client)).map_err(|e| e.to_string()))
                .map(Arc::new);
            (name.clone(), client)
        })
        .collect()
}
