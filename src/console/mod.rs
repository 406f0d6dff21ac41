//! The interactive console: the terminal and its event loop (`terminal`), the runner that
//! executes the app's effects (`runner`), and the wiring from a resolved target to both.

pub mod runner;
pub mod terminal;

use std::sync::Arc;

use crate::cli::Global;
use crate::config::{self, Config, OsKeyring};
use crate::target::Target;
use crate::{app, audit, exit, ops, ui};

/// Opens the console on the resolved target.
pub async fn run(g: &Global, config: &Config) -> u8 {
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
        mapping: client.config.mapping.clone(),
        production: target.production,
        adaptive: true,
        meter: Some(client.meter()),
    };
    let audit_path = config::data_dir().join("audit.jsonl");
    let audit = match audit::Audit::open(Some(&audit_path), &settings.instance, &settings.user) {
        Ok(a) => {
            Arc::new(a.with_profile(target.profile.as_deref()).with_rotation(audit::Rotation::from_config(config)))
        }
        Err(e) => {
            eprintln!("hubtop: cannot open the audit log {}: {e}", audit_path.display());
            return exit::FAILED;
        }
    };
    let app = app::App::new(settings, keymap);
    let (tx, rx) = terminal::channel();
    let runner = runner::Runner::new(ops::Ops::new(Arc::new(client), audit), tx);
    let theme = ui::Theme::resolve(&target.theme);
    let opts = terminal::TuiOptions { mouse: config.mouse, ..Default::default() };
    let result = terminal::run(app, runner, rx, theme, opts).await;
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
