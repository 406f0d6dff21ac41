//! hubtop: a terminal operations console for ServiceNow integrations, with an
//! embedded simulated instance. See DESIGN.md for the architecture.

pub mod app;
pub mod audit;
pub mod bench;
pub mod chaos;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod headless;
pub mod logging;
pub mod platform;
pub mod query;
pub mod runner;
pub mod sanitize;
pub mod signals;
pub mod sim;
pub mod time;
pub mod tui;
pub mod ui;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use cli::{Cli, Command, ConfigAction, SimArgs};
use client::{Auth, Client, ClientConfig};
use config::{Config, Keyring, OsKeyring};

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const AUTH: u8 = 3;
    pub const UNREACHABLE: u8 = 4;
}

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    // Printing completions or the manual touches no directory and starts no log.
    if let Some(code) = print_docs(cli.command.as_ref()) {
        return code;
    }
    let _log = logging::init(cli.global.log_level);
    match cli.command {
        Some(Command::Sim(args)) => return run_sim(args).await,
        Some(Command::Bench { rows, quick, json }) => {
            let opts = bench::BenchOptions { rows: rows.unwrap_or(if quick { 20_000 } else { 1_000_000 }), quick };
            return match bench::run(&opts).await {
                Ok(figs) => {
                    if json {
                        for f in &figs {
                            println!("{}", serde_json::to_string(f).unwrap_or_default());
                        }
                    } else {
                        print!("{}", bench::table(&figs, &opts));
                    }
                    exit::OK
                }
                Err(e) => {
                    eprintln!("hubtop bench: {e}");
                    exit::FAILED
                }
            };
        }
        Some(Command::Chaos { duration, seed }) => {
            let secs = match sim::faults::parse_duration(&duration) {
                Ok(d) if d >= Duration::from_secs(4) => d,
                _ => {
                    eprintln!("hubtop chaos: --duration takes a duration of at least 4s, like 60s or 2m");
                    return exit::USAGE;
                }
            };
            return match chaos::run(&chaos::ChaosOptions { duration: secs, seed }).await {
                Ok(report) => {
                    print!("{}", report.summary());
                    if report.passed() { exit::OK } else { exit::FAILED }
                }
                Err(e) => {
                    eprintln!("hubtop chaos: {e}");
                    exit::FAILED
                }
            };
        }
        Some(Command::Config { action: ConfigAction::Path }) => {
            println!("{}", config::config_path().display());
            return exit::OK;
        }
        Some(Command::Config { action: ConfigAction::Init }) => {
            let path = config::config_path();
            return match config::init(&path) {
                Ok(()) => {
                    println!("wrote {}", path.display());
                    exit::OK
                }
                Err(e) => {
                    eprintln!("hubtop: {e}");
                    exit::USAGE
                }
            };
        }
        _ => {}
    }
    let config = match Config::load(&config::config_path()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hubtop: config error: {e}");
            return exit::USAGE;
        }
    };
    match cli.command {
        Some(Command::Login) => login(&cli.global, &config, &OsKeyring),
        Some(cmd) => {
            let target = match Target::resolve(&cli.global, &config, &OsKeyring) {
                Ok(t) => t,
                Err((code, msg)) => {
                    eprintln!("hubtop: {msg}");
                    return code;
                }
            };
            if target.read_only && commands::is_mutating(&cmd) {
                eprintln!(
                    "hubtop: refused: read-only (--read-only or the profile) forbids this command; nothing was sent"
                );
                return exit::USAGE;
            }
            let (client, sim) = match target.connect(false).await {
                Ok(x) => x,
                Err((code, msg)) => {
                    eprintln!("hubtop: {msg}");
                    return code;
                }
            };
            let audit = match audit::Audit::open(
                Some(&config::data_dir().join("audit.jsonl")),
                &client.config.base_url,
                client.config.auth.principal(),
            ) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("hubtop: cannot open the audit log: {e}");
                    return exit::FAILED;
                }
            };
            let code = commands::run(&client, &audit, cmd).await;
            if let Some(s) = sim {
                s.shutdown().await;
            }
            code
        }
        None => console(&cli.global, &config).await,
    }
}

/// `hubtop completions SHELL` and `hubtop man`: generated from the clap definition.
fn print_docs(cmd: Option<&Command>) -> Option<u8> {
    let mut def = <Cli as clap::CommandFactory>::command();
    let mut out = std::io::stdout().lock();
    match cmd? {
        Command::Completions { shell } => clap_complete::generate(*shell, &mut def, "hubtop", &mut out),
        Command::Man => {
            if let Err(e) = clap_mangen::Man::new(def).render(&mut out) {
                eprintln!("hubtop man: {e}");
                return Some(exit::FAILED);
            }
        }
        _ => return None,
    }
    Some(exit::OK)
}

/// Where hubtop connects, resolved from flags, profile and config — secrets included.
pub struct Target {
    /// `None`: the embedded instance.
    pub client: Option<ClientConfig>,
    pub profile: Option<String>,
    pub read_only: bool,
    pub production: bool,
    pub refresh: Duration,
    pub theme: String,
}

impl Target {
    pub fn resolve(g: &cli::Global, config: &Config, keyring: &dyn Keyring) -> Result<Target, (u8, String)> {
        let mut t = Target {
            client: None,
            profile: None,
            read_only: g.read_only,
            production: false,
            refresh: Duration::from_secs(3),
            theme: config.theme.clone(),
        };
        if let Some(url) = &g.instance {
            let auth = auth_from_env(g).map_err(|m| (exit::USAGE, m))?;
            let mut c = ClientConfig::new(url, auth);
            c.insecure = g.insecure;
            t.client = Some(c);
            return Ok(t);
        }
        let selected = config.select(g.profile.as_deref()).map_err(|e| (exit::USAGE, e.to_string()))?;
        if let Some((name, p)) = selected {
            let r = config::resolve(&name, p, keyring).map_err(|e| (exit::USAGE, e))?;
            let mut c = r.client;
            c.insecure |= g.insecure;
            t.client = Some(c);
            t.profile = Some(name);
            // A read-only profile stays read-only whatever the flags say.
            t.read_only |= r.read_only;
            t.production = r.production;
            t.refresh = r.refresh;
            if let Some(theme) = r.theme {
                t.theme = theme;
            }
        }
        Ok(t)
    }

    /// A client, starting the embedded instance when there is no instance to talk to.
    pub async fn connect(&self, traffic: bool) -> Result<(Client, Option<sim::SimHandle>), (u8, String)> {
        let (config, sim) = match &self.client {
            Some(c) => (c.clone(), None),
            None => {
                let cfg = sim::SimConfig { traffic: if traffic { 40 } else { 0 }, ..Default::default() };
                let handle = sim::start(cfg)
                    .await
                    .map_err(|e| (exit::UNREACHABLE, format!("cannot start the embedded instance: {e}")))?;
                let c = ClientConfig::new(
                    &handle.base_url,
                    Auth::Basic { user: sim::auth::USER.into(), password: sim::auth::PASSWORD.into() },
                );
                (c, Some(handle))
            }
        };
        let client = Client::new(config).map_err(|e| (exit::USAGE, e.to_string()))?;
        Ok((client, sim))
    }
}

/// Opens the console on the resolved target.
async fn console(g: &cli::Global, config: &Config) -> u8 {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "hubtop: the console needs a terminal (stdout is not one); the CLI commands work without: try `hubtop get outbound`"
        );
        return exit::USAGE;
    }
    let mut keymap = app::keys::Keymap::default();
    let bindings: Vec<(String, String)> = config.keys.iter().map(|(a, k)| (a.clone(), k.clone())).collect();
    if let Err(problems) = keymap.extend(&bindings) {
        eprintln!("hubtop: config error: {}: [keys]: {}", config::config_path().display(), problems.join("; "));
        return exit::USAGE;
    }
    let target = match Target::resolve(g, config, &OsKeyring) {
        Ok(t) => t,
        Err((code, msg)) => {
            eprintln!("hubtop: {msg}");
            return code;
        }
    };
    let (client, sim) = match target.connect(true).await {
        Ok(x) => x,
        Err((code, msg)) => {
            eprintln!("hubtop: {msg}");
            return code;
        }
    };
    let settings = app::Settings {
        instance: client.config.base_url.clone(),
        user: client.config.auth.principal().to_string(),
        demo: sim.is_some(),
        read_only: target.read_only,
        refresh: target.refresh,
        tables: client.config.tables.clone(),
        production: target.production,
    };
    let audit_path = config::data_dir().join("audit.jsonl");
    let audit = match audit::Audit::open(Some(&audit_path), &settings.instance, &settings.user) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("hubtop: cannot open the audit log {}: {e}", audit_path.display());
            return exit::FAILED;
        }
    };
    let app = app::App::new(settings, keymap);
    let (tx, rx) = tui::channel();
    let runner = runner::Runner::new(Arc::new(client), tx, audit);
    let theme = ui::Theme::resolve(&target.theme);
    let opts = tui::TuiOptions { mouse: config.mouse, ..Default::default() };
    let result = tui::run(app, runner, rx, theme, opts).await;
    if let Some(s) = sim {
        s.shutdown().await;
    }
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("hubtop: {e}");
            exit::FAILED
        }
    }
}

/// `hubtop login --profile NAME`: reads the secret without echo and stores it in the keyring.
fn login(g: &cli::Global, config: &Config, keyring: &dyn Keyring) -> u8 {
    let Some(name) = g.profile.as_deref().or(config.default_profile.as_deref()) else {
        eprintln!("hubtop: login needs --profile NAME");
        return exit::USAGE;
    };
    let Some(p) = config.profiles.get(name) else {
        eprintln!("hubtop: no profile `{name}` in {}", config::config_path().display());
        return exit::USAGE;
    };
    let mut wanted = vec![("secret", p.secret.as_ref())];
    if p.auth == config::AuthMethod::OauthPassword {
        wanted.push(("client_secret", p.client_secret.as_ref()));
    }
    let mut stored = 0;
    for (what, src) in wanted {
        if !src.is_some_and(|s| s.keyring) {
            continue;
        }
        let prompt = format!("{what} for profile {name}: ");
        let secret = match rpassword::prompt_password(prompt) {
            Ok(s) if !s.is_empty() => s,
            _ => {
                eprintln!("hubtop: no secret read; nothing stored");
                return exit::USAGE;
            }
        };
        if let Err(e) = keyring.set(name, what, &secret) {
            eprintln!("hubtop: {e}");
            return exit::FAILED;
        }
        stored += 1;
    }
    if stored == 0 {
        eprintln!("hubtop: profile `{name}` takes no secret from the keyring (set `secret = {{ keyring = true }}`)");
        return exit::USAGE;
    }
    println!("stored in the OS keyring for profile {name}");
    exit::OK
}

/// Credentials from flags and the environment (secrets never from flags).
fn auth_from_env(g: &cli::Global) -> Result<Auth, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (&g.client_id, &g.user) {
        (Some(id), user) => {
            let secret = env("HUBTOP_CLIENT_SECRET").ok_or("--client-id needs HUBTOP_CLIENT_SECRET in the environment")?;
            match user {
                Some(u) => {
                    let password = env("HUBTOP_PASSWORD").ok_or("--user needs HUBTOP_PASSWORD in the environment")?;
                    Ok(Auth::OAuthPassword { client_id: id.clone(), client_secret: secret, user: u.clone(), password })
                }
                None => Ok(Auth::OAuthClient { client_id: id.clone(), client_secret: secret }),
            }
        }
        (None, Some(u)) => {
            let password = env("HUBTOP_PASSWORD").ok_or("--user needs HUBTOP_PASSWORD in the environment")?;
            Ok(Auth::Basic { user: u.clone(), password })
        }
        (None, None) => Err("--instance needs --user (Basic, password in HUBTOP_PASSWORD) or --client-id (OAuth, secret in HUBTOP_CLIENT_SECRET)".into()),
    }
}

async fn run_sim(a: SimArgs) -> u8 {
    let mut signals = signals::Signals::install();
    let faults = match sim::Faults::parse(&a.faults) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("hubtop sim: --faults: {e}");
            return exit::USAGE;
        }
    };
    let config = sim::SimConfig {
        port: a.port,
        seed: a.seed,
        traffic: a.traffic,
        faults,
        rows: a.rows,
        token_ttl: Duration::from_secs(a.token_ttl),
        retry_interval: Duration::from_secs(a.retry_interval),
        demo: true,
        admin_password: a.admin_password,
        client_secret: a.client_secret,
    };
    let handle = match sim::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("hubtop sim: {e}");
            return exit::FAILED;
        }
    };
    println!("listening on {}", handle.base_url);
    let _ = std::io::stdout().flush();
    signals.next().await;
    handle.shutdown().await;
    exit::OK
}
