//! `hubtop rehearse FILE`: the console on the embedded instance started from a snapshot,
//! its header marked `REHEARSAL of <source> @ <time>`, its audit in a file of its own
//! beside the snapshot; `--report`: what the rehearsal changed (see [`crate::snapshot::report`]).

use std::sync::Arc;

use crate::app::{self, Screen, Settings};
use crate::cli::args::RehearseArgs;
use crate::client::{Auth, Client, ClientConfig};
use crate::config::Config;
use crate::console::{initial_view, profiles, runner::Runner, terminal};
use crate::snapshot::load;
use crate::snapshot::{Snapshot, report};
use crate::{audit, exit, ops, sim, ui};

/// The header's mark.
pub fn mark(snap: &Snapshot) -> String {
    format!("REHEARSAL of {} @ {} UTC", snap.header.source_name(), snap.header.taken_at)
}

pub async fn run(config: &Config, a: RehearseArgs) -> u8 {
    let snap = match Snapshot::read(&a.file) {
        Ok(s) => s,
        Err(e) => return refuse(exit::USAGE, &e),
    };
    if a.report {
        return print_report(&a, &snap);
    }
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return refuse(exit::USAGE, "the rehearsal is a console and needs a terminal (stdout is not one)");
    }
    let mut keymap = app::keys::Keymap::default();
    let bindings: Vec<(String, String)> = config.keys.iter().map(|(a, k)| (a.clone(), k.clone())).collect();
    if let Err(problems) = keymap.extend(&bindings) {
        return refuse(exit::USAGE, &format!("config error: [keys]: {}", problems.join("; ")));
    }
    let (handle, summary) = match load::start(&snap, a.providers, sim::SimConfig::default()).await {
        Ok(x) => x,
        Err(e) => return refuse(exit::FAILED, &format!("cannot start the rehearsal instance: {e}")),
    };
    for (title, does) in &summary {
        tracing::info!("rehearsal provider {title}: {does}");
    }
    let sim = Arc::clone(&handle.sim);
    let cc = ClientConfig::new(
        &handle.base_url,
        Auth::Basic { user: sim::auth::USER.into(), password: sim::auth::PASSWORD.into() },
    );
    let client = match Client::new(cc) {
        Ok(c) => c,
        Err(e) => return refuse(exit::FAILED, &e.to_string()),
    };
    let mark = mark(&snap);
    let settings = Settings {
        instance: client.config.base_url.clone(),
        user: client.config.auth.principal().to_string(),
        demo: false,
        meter: Some(client.meter()),
        profile: None,
        rehearsal: Some(mark.clone()),
        ..Default::default()
    };
    let audit_path = report::audit_path(&a.file);
    // A rehearsal starts its own audit and end state: an earlier one's are kept aside,
    // so --report never mixes two rehearsals.
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
    for p in [&audit_path, &report::end_path(&a.file)] {
        if p.exists() {
            let mut aside = p.as_os_str().to_os_string();
            aside.push(format!(".{stamp}"));
            if let Err(e) = std::fs::rename(p, &aside) {
                return refuse(exit::FAILED, &format!("cannot set aside {}: {e}", p.display()));
            }
        }
    }
    let audit = match audit::Audit::open(Some(&audit_path), &settings.instance, &settings.user) {
        Ok(x) => Arc::new(x.with_profile(Some(&report::audit_mark(snap.header.source_name())))),
        Err(e) => return refuse(exit::FAILED, &format!("cannot open {}: {e}", audit_path.display())),
    };
    let (tx, rx) = crate::console::runner::channel();
    let session = profiles::Session {
        runner: Runner::new(ops::Ops::new(Arc::new(client), audit), tx),
        rx,
        settings: settings.clone(),
        theme: ui::Theme::resolve(&config.theme),
    };
    let (fleet_tx, fleet_rx) = crate::console::runner::channel();
    // No other profile in a rehearsal: the fleet and `:profile` see none.
    let bare = Config { profiles: Default::default(), ..config.clone() };
    let global = crate::cli::global::Global::default();
    // The rehearsal instance is not adopted as `demo`: `:profile demo` opens the ordinary
    // demo (marked [DEMO], its own audit log), never this instance without its mark.
    let mut profs = profiles::Profiles::new(&global, &bare, Arc::new(crate::config::OsKeyring), fleet_tx);
    let mut app = app::App::new(settings, keymap);
    app.stack = vec![Screen::View(initial_view(config.default_view))];
    let opts = terminal::TuiOptions { mouse: config.mouse, ..Default::default() };
    let result = terminal::run(app, session, &mut profs, fleet_rx, opts).await;
    // The end state, for --report, before the instance stops.
    let end = report::end_path(&a.file);
    let dumped = load::dump(&sim, &snap.header);
    let saved = tokio::task::spawn_blocking(move || dumped.write(&end)).await;
    profs.shutdown().await;
    handle.shutdown().await;
    match saved {
        Ok(Ok(_)) => eprintln!(
            "hubtop rehearse: end state in {}, audit in {}; `hubtop rehearse {} --report` compares",
            report::end_path(&a.file).display(),
            audit_path.display(),
            a.file.display()
        ),
        _ => eprintln!("hubtop rehearse: could not save the end state beside {}", a.file.display()),
    }
    match result {
        Ok(()) => exit::OK,
        Err(e) => refuse(exit::FAILED, &e.to_string()),
    }
}

fn print_report(a: &RehearseArgs, snap: &Snapshot) -> u8 {
    let end = report::end_path(&a.file);
    let after = match Snapshot::read(&end) {
        Ok(s) => s,
        Err(_) => {
            return refuse(
                exit::USAGE,
                &format!(
                    "no rehearsal end state ({}): run `hubtop rehearse {}` first",
                    end.display(),
                    a.file.display()
                ),
            );
        }
    };
    let audit = std::fs::read_to_string(report::audit_path(&a.file)).unwrap_or_default();
    print!("{}", report::render(snap, &after, &audit));
    exit::OK
}

fn refuse(code: u8, msg: &str) -> u8 {
    eprintln!("hubtop rehearse: {msg}");
    code
}
