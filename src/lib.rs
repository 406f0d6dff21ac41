//! hubtop: a terminal operations console for ServiceNow integrations, with an
//! embedded simulated instance. See ARCHITECTURE.md for the architecture; in short:
//! `domain` what the records are, `client` the ServiceNow client, `ops` an operator's
//! operation end to end, `app` the console's state machine, `ui` its rendering,
//! `console` the terminal and runner, `cmd` the CLI, `sim` the embedded instance.

pub mod app;
pub mod audit;
pub mod cli;
pub mod client;
pub mod cmd;
pub mod config;
pub mod console;
pub mod domain;
pub mod exit;
pub mod harness;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod platform;
pub mod query;
pub mod sanitize;
pub mod signals;
pub mod sim;
pub mod snapshot;
pub mod target;
pub mod theme;
pub mod time;
pub mod ui;

use cli::{Cli, Command};
use config::Config;

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    // Printing completions or the manual touches no directory and starts no log.
    if let Some(code) = cmd::print_docs(cli.command.as_ref()) {
        return code;
    }
    let _log = logging::init(cli.log_level);
    match cli.command {
        Some(Command::Sim(args)) => return cmd::sim::run(args).await,
        Some(Command::Bench { rows, quick, json }) => return harness::bench_command(rows, quick, json).await,
        Some(Command::Chaos { duration, seed }) => return harness::chaos_command(&duration, seed).await,
        Some(Command::Config { action }) => return cmd::config::run(action),
        _ => {}
    }
    let config = match Config::load(&config::config_path()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hubtop: config error: {e} (fix it: hubtop config edit; check it: hubtop config check)");
            return exit::USAGE;
        }
    };
    match cli.command {
        Some(Command::Metrics(args)) => metrics::run(&cli.global, &config, args).await,
        Some(Command::Snapshot(a)) => cmd::snapshot::run(&cli.global, &config, a).await,
        Some(Command::Rehearse(a)) => cmd::rehearse::run(&config, a).await,
        Some(c) => cmd::run(&cli.global, &config, c).await,
        None => {
            // The console without a target opens on the embedded demo instance, marked [DEMO].
            let mut g = cli.global;
            g.demo |= !g.names_a_target(&config);
            console::run(&g, &config).await
        }
    }
}
