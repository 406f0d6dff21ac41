//! hubtop: a terminal operations console for ServiceNow integrations, with an
//! embedded simulated instance. See DESIGN.md for the architecture.

pub mod app;
pub mod audit;
pub mod cli;
pub mod client;
pub mod commands;
pub mod headless;
pub mod query;
pub mod runner;
pub mod sanitize;
pub mod sim;
pub mod time;
pub mod tui;
pub mod ui;

use std::io::Write;
use std::time::Duration;

use cli::{Cli, Command, SimArgs};
use client::{Auth, Client, ClientConfig};

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    match cli.command {
        Some(Command::Sim(args)) => run_sim(args).await,
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "hubtop", &mut std::io::stdout());
            0
        }
        Some(cmd) => {
            if cli.global.read_only && commands::is_mutating(&cmd) {
                eprintln!("hubtop: refused: --read-only forbids this command (nothing was sent)");
                return commands::EXIT_USAGE;
            }
            let (client, sim) = match connect(&cli.global).await {
                Ok(x) => x,
                Err((code, msg)) => {
                    eprintln!("hubtop: {msg}");
                    return code;
                }
            };
            let code = commands::run(&client, cmd).await;
            if let Some(s) = sim {
                s.shutdown().await;
            }
            code
        }
        None => console(&cli.global).await,
    }
}

/// Opens the console: on the instance the flags name, or on an embedded demo instance.
async fn console(g: &cli::Global) -> u8 {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "hubtop: the console needs a terminal (stdout is not one); the CLI commands work without: try `hubtop get outbound`"
        );
        return 2;
    }
    let demo = g.instance.is_none();
    let (client, sim) = if demo {
        let cfg = sim::SimConfig { traffic: 40, ..Default::default() };
        match sim::start(cfg).await {
            Ok(h) => {
                let c = ClientConfig::new(
                    &h.base_url,
                    Auth::Basic { user: sim::auth::USER.into(), password: sim::auth::PASSWORD.into() },
                );
                match Client::new(c) {
                    Ok(c) => (c, Some(h)),
                    Err(e) => {
                        eprintln!("hubtop: {e}");
                        return 2;
                    }
                }
            }
            Err(e) => {
                eprintln!("hubtop: cannot start the embedded instance: {e}");
                return 4;
            }
        }
    } else {
        match connect(g).await {
            Ok(x) => x,
            Err((code, msg)) => {
                eprintln!("hubtop: {msg}");
                return code;
            }
        }
    };
    let settings = app::Settings {
        instance: client.config.base_url.clone(),
        user: client.config.auth.principal().to_string(),
        demo,
        read_only: g.read_only,
        refresh: Duration::from_secs(3),
        tables: client.config.tables.clone(),
        production: false,
    };
    let audit = match audit::Audit::open(None, &settings.instance, &settings.user) {
        Ok(a) => std::sync::Arc::new(a),
        Err(e) => {
            eprintln!("hubtop: cannot open the audit log: {e}");
            return 1;
        }
    };
    let app = app::App::new(settings, app::keys::Keymap::default());
    let (tx, rx) = tui::channel();
    let runner = runner::Runner::new(std::sync::Arc::new(client), tx, audit);
    let theme = ui::Theme::resolve("default");
    let result = tui::run(app, runner, rx, theme, tui::TuiOptions::default()).await;
    if let Some(s) = sim {
        s.shutdown().await;
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("hubtop: {e}");
            1
        }
    }
}

/// A client for the instance the flags name, or for an embedded instance started for the call.
pub async fn connect(g: &cli::Global) -> Result<(Client, Option<sim::SimHandle>), (u8, String)> {
    let (config, sim) = match &g.instance {
        Some(url) => {
            let auth = auth_from_env(g).map_err(|m| (commands::EXIT_USAGE, m))?;
            let mut c = ClientConfig::new(url, auth);
            c.insecure = g.insecure;
            (c, None)
        }
        None => {
            let handle = sim::start(sim::SimConfig { demo: true, ..Default::default() })
                .await
                .map_err(|e| (4, format!("cannot start the embedded instance: {e}")))?;
            let c = ClientConfig::new(
                &handle.base_url,
                Auth::Basic { user: sim::auth::USER.into(), password: sim::auth::PASSWORD.into() },
            );
            (c, Some(handle))
        }
    };
    let client = Client::new(config).map_err(|e| (commands::EXIT_USAGE, e.to_string()))?;
    Ok((client, sim))
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
    let faults = match sim::Faults::parse(&a.faults) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("hubtop sim: --faults: {e}");
            return 2;
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
    };
    let handle = match sim::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("hubtop sim: {e}");
            return 1;
        }
    };
    println!("listening on {}", handle.base_url);
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    handle.shutdown().await;
    0
}

/// SIGINT, SIGTERM or SIGHUP.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).ok();
        let mut hup = signal(SignalKind::hangup()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
            _ = async { match hup.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
