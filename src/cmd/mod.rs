//! The non-interactive commands: `get`, `retry`, `skip`, `rerun`, `create`, `update`,
//! `cancel`, `doctor`, `login`, `config`, `profiles`. Each action goes through [`crate::ops`], the same path
//! the console takes, so the CLI refuses what the console refuses, with its words.

mod act;
pub mod doctor;
mod doctor_write;
mod get;
mod login;
pub mod profiles;
pub mod rehearse;
pub mod snapshot;

use std::sync::Arc;

use crate::cli::{Command, ConfigAction, Global};
use crate::config::{self, Config, OsKeyring};
use crate::target::Target;
use crate::{audit, exit};

pub use get::table_columns;

/// Whether a command changes anything on the instance (`--dry-run` sends nothing).
pub fn is_mutating(c: &Command) -> bool {
    match c {
        Command::Retry { act, .. }
        | Command::Skip { act, .. }
        | Command::Rerun { act, .. }
        | Command::Create { act, .. }
        | Command::Update { act, .. }
        | Command::Cancel { act, .. } => !act.dry_run,
        _ => false,
    }
}

/// `completions` and `man`: printed from the command line's definition, before any
/// directory or log exists. `None` for every other command.
pub fn print_docs(cmd: Option<&Command>) -> Option<u8> {
    let mut def = <crate::cli::Cli as clap::CommandFactory>::command();
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

/// `config path` and `config init`: they need no instance and no valid config.
pub fn config(action: ConfigAction) -> u8 {
    let path = config::config_path();
    match action {
        ConfigAction::Path => {
            println!("{}", path.display());
            exit::OK
        }
        ConfigAction::Init => match config::init(&path) {
            Ok(()) => {
                println!("wrote {}", path.display());
                exit::OK
            }
            Err(e) => {
                eprintln!("hubtop: {e}");
                exit::USAGE
            }
        },
    }
}

/// Runs a command against the resolved instance; every mutating one is written to the
/// audit log before it is sent and again with its outcome.
pub async fn run(g: &Global, config: &Config, cmd: Command) -> u8 {
    if let Command::Login = cmd {
        return login::login(g, config, &OsKeyring);
    }
    if let Command::Profiles { output } = cmd {
        return profiles::profiles(config, output).await;
    }
    if let Some(list) = g.profile.as_deref().filter(|p| p.contains(',')) {
        return match cmd {
            Command::Get(args) => get::get_many(g, config, list, args).await,
            _ => refuse(exit::USAGE, "several profiles (--profile a,b) are for `get` only; name one"),
        };
    }
    let target = match Target::resolve(g, config, &OsKeyring) {
        Ok(t) => t,
        Err((code, msg)) => return refuse(code, &msg),
    };
    if target.read_only && is_mutating(&cmd) {
        return refuse(
            exit::USAGE,
            "refused: read-only (--read-only or the profile) forbids this command; nothing was sent",
        );
    }
    let (client, sim) = match target.connect(false).await {
        Ok(x) => x,
        Err((code, msg)) => return refuse(code, &msg),
    };
    let audit = match audit::Audit::open(
        Some(&config::data_dir().join("audit.jsonl")),
        &client.config.base_url,
        client.config.auth.principal(),
    ) {
        Ok(a) => {
            Arc::new(a.with_profile(target.profile.as_deref()).with_rotation(audit::Rotation::from_config(config)))
        }
        Err(e) => return refuse(exit::FAILED, &format!("cannot open the audit log: {e}")),
    };
    let client = Arc::new(client);
    let code = match cmd {
        Command::Get(args) => get::get(&client, args).await,
        Command::Doctor { write } => doctor::doctor(&client, target.profile.as_deref(), write).await,
        other => {
            let profile = target.profile.as_deref().and_then(|p| config.profiles.get(p));
            let follow = profile.and_then(|p| p.follow_secs).map(std::time::Duration::from_secs);
            act::act(crate::ops::Ops::new(client, audit), other, follow).await
        }
    };
    if let Some(s) = sim {
        s.shutdown().await;
    }
    code
}

fn refuse(code: u8, msg: &str) -> u8 {
    eprintln!("hubtop: {msg}");
    code
}
