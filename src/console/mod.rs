//! The interactive console: the terminal and its event loop (`terminal`), the runner that
//! executes the app's effects (`runner`), sessions on profiles and the fleet's clients
//! (`profiles`), and the wiring from a resolved target to all of them.

pub mod profiles;
pub mod runner;
pub mod terminal;
mod test_hooks;

use std::sync::Arc;

use crate::app::{Screen, ViewKind};
use crate::cli::global::Global;
use crate::config::{self, Config, DefaultView, OsKeyring};
use crate::target::Target;
use crate::{app, exit};

/// The view `default_view` names.
pub fn initial_view(v: DefaultView) -> ViewKind {
    match v {
        DefaultView::Overview => ViewKind::Overview,
        DefaultView::Fleet => ViewKind::Fleet,
        DefaultView::List(e) => ViewKind::List(e),
    }
}

/// Opens the console on the resolved target.
pub async fn run(g: &Global, config: &Config) -> u8 {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "hubtop: the console needs a terminal (stdout is not one); the CLI commands work without: try `hubtop get outbound` (with --profile NAME, or --demo)"
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
    let (fleet_tx, fleet_rx) = runner::channel();
    let mut profiles = profiles::Profiles::new(g, config, Arc::new(OsKeyring), fleet_tx);
    let demo = sim.is_some();
    if let Some(h) = sim {
        profiles.adopt_sim(h, &client.config);
    }
    let session = match profiles::open(&target, client, demo, config) {
        Ok(s) => s,
        Err((code, msg)) => {
            eprintln!("hubtop: {msg}");
            return code;
        }
    };
    let mut app = app::App::new(session.settings.clone(), keymap);
    app.fleet = app::fleet::Fleet::new(profiles::fleet_profiles(config));
    app.stack = vec![Screen::View(initial_view(config.default_view))];
    let opts = terminal::TuiOptions { mouse: config.mouse, ..Default::default() };
    let result = terminal::run(app, session, &mut profiles, fleet_rx, opts).await;
    profiles.shutdown().await;
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("hubtop: {e}");
            exit::FAILED
        }
    }
}
