//! The non-interactive commands: `get`, `retry`, `skip`, `rerun`, `create`, `update`,
//! `cancel`, `doctor`, `login`, `config`, `profiles`. Each action goes through [`crate::ops`], the same path
//! the console takes, so the CLI refuses what the console refuses, with its words.

mod act;
pub mod config;
pub mod doctor;
mod doctor_write;
mod get;
mod login;
pub mod output;
pub mod profiles;
pub mod rehearse;
pub mod sim;
pub mod snapshot;

use std::sync::Arc;

use crate::cli::{Command, Global};
use crate::config::{Config, OsKeyring};
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

/// Whether a command is an action (retry, skip, rerun, create, update, cancel), dry run
/// or not.
fn is_action(c: &Command) -> bool {
    matches!(
        c,
        Command::Retry { .. }
            | Command::Skip { .. }
            | Command::Rerun { .. }
            | Command::Create { .. }
            | Command::Update { .. }
            | Command::Cancel { .. }
    )
}

/// `completions` and `man`: printed from the command line's definition, before any
/// directory or log exists. `None` for every other command. A closed pipe ends them
/// quietly (exit 0), like any output.
pub fn print_docs(cmd: Option<&Command>) -> Option<u8> {
    let mut buf = Vec::new();
    match cmd? {
        Command::Completions { shell } => {
            if let Err(e) = completion_script(*shell, &mut buf) {
                eprintln!("hubtop completions: {e}");
                return Some(exit::FAILED);
            }
        }
        Command::Man => {
            if let Err(e) = clap_mangen::Man::new(crate::cli::command()).render(&mut buf) {
                eprintln!("hubtop man: {e}");
                return Some(exit::FAILED);
            }
        }
        _ => return None,
    }
    output::emit_bytes(&buf);
    Some(exit::OK)
}

/// The shell's script: it asks this binary for the candidates as the operator types
/// (`COMPLETE=SHELL hubtop -- WORDS…`), so profile names come from the config of the
/// moment, and record kinds, commands and options from the binary itself.
fn completion_script(shell: clap_complete::Shell, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer = std::env::current_exe()
        .ok()
        .filter(|p| p.is_absolute())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hubtop".into());
    let sh: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::PowerShell => &Powershell,
        other => {
            return Err(std::io::Error::other(format!(
                "{other} is not supported (bash, zsh, fish, elvish, powershell)"
            )));
        }
    };
    use std::io::Write as _;
    writeln!(
        buf,
        "# hubtop's completions for {shell}, printed by `hubtop completions {shell}`.\n\
         # They ask hubtop for the candidates as you type (COMPLETE={shell} hubtop -- WORDS…):\n\
         # commands, options, record kinds, and the profile names of the config of the moment.\n\
         # Print them again after upgrading hubtop: the way they ask may change between versions."
    )?;
    // bash registers a list of command names: also the name this binary was run by (a
    // symlink or a copy named otherwise). A path (`./target/debug/hubtop`) needs nothing
    // more: bash falls back to the part after the last slash. (zsh's and fish's scripts
    // take one name.)
    let names = match shell {
        clap_complete::Shell::Bash => command_names(std::env::args_os().next()),
        _ => vec!["hubtop".to_string()],
    };
    sh.write_registration("COMPLETE", "hubtop", &names.join(" "), &completer, buf)
}

/// `hubtop` and the name the binary was invoked by, when it differs and is a plain word
/// the shells take as it is.
fn command_names(argv0: Option<std::ffi::OsString>) -> Vec<String> {
    let mut names = vec!["hubtop".to_string()];
    let invoked = argv0.as_deref().map(std::path::Path::new).and_then(std::path::Path::file_name);
    if let Some(n) = invoked.and_then(|n| n.to_str())
        && n != "hubtop"
        && !n.is_empty()
        && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c))
    {
        names.push(n.to_string());
    }
    names
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
    if !g.names_a_target(config) {
        return refuse(exit::USAGE, &crate::target::no_target(config));
    }
    if let Some(list) = g.profile.as_deref().filter(|p| p.contains(',') && !g.demo) {
        return match cmd {
            Command::Get(args) => get::get_many(g, config, list, args).await,
            _ => refuse(exit::USAGE, "several profiles (--profile a,b) are for `get` only; name one"),
        };
    }
    let target = match Target::resolve(g, config, &OsKeyring) {
        Ok(t) => t,
        Err((code, msg)) => return refuse(code, &msg),
    };
    if target.read_only && is_action(&cmd) {
        let why = "refused: read-only (--read-only or the profile) forbids this command; nothing was sent";
        // A dry run says what the command would do — be refused, with the same reason
        // and code — and is never audited: it is not an action.
        if !is_mutating(&cmd) {
            return refuse(exit::USAGE, &format!("dry run: {why}"));
        }
        audit_refusal(config, &target, &cmd, "read-only (--read-only or the profile)");
        return refuse(exit::USAGE, why);
    }
    // The console types the count to confirm bulk work on a production profile; the
    // command line's equivalent is --yes (a dry run previews and sends nothing).
    if target.production && act::unconfirmed_bulk(&cmd) {
        let n = act::refused_lines(&cmd).len();
        let why = format!("a bulk action on a production profile ({n} records) needs --yes; --dry-run previews it");
        audit_refusal(config, &target, &cmd, &why);
        return refuse(exit::USAGE, &format!("refused: {why}; nothing was sent"));
    }
    if target.production && act::unconfirmed_bulk_if_sent(&cmd) {
        let n = act::refused_lines(&cmd).len();
        eprintln!("hubtop: dry run: sending it needs --yes (a bulk action on a production profile, {n} records)");
    }
    let (client, sim) = match target.connect(false).await {
        Ok(x) => x,
        Err((code, msg)) => return refuse(code, &msg),
    };
    let audit = match audit::Audit::open(
        Some(&crate::config::data_dir().join("audit.jsonl")),
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
        Command::Get(args) => get::get(&client, args, target.refresh).await,
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

/// Records a command refused before it connected (read-only) in the audit log, as
/// [`crate::ops::Ops::refuse`] records what the operations layer refuses: one "refused"
/// line per record named, with the reason. Nothing was looked up, so each record is as
/// the operator named it.
fn audit_refusal(config: &Config, target: &Target, cmd: &Command, why: &str) {
    let (instance, user) = match &target.client {
        Some(c) => (c.base_url.clone(), c.auth.principal().to_string()),
        None => ("the embedded demo instance".to_string(), String::new()),
    };
    let path = crate::config::data_dir().join("audit.jsonl");
    match audit::Audit::open(Some(&path), &instance, &user) {
        Ok(a) => {
            let a = a.with_profile(target.profile.as_deref()).with_rotation(audit::Rotation::from_config(config));
            for (verb, record, inputs) in act::refused_lines(cmd) {
                a.refused(verb, &record, &inputs, why);
            }
        }
        Err(e) => eprintln!("hubtop: cannot open the audit log: {e}"),
    }
}

fn refuse(code: u8, msg: &str) -> u8 {
    eprintln!("hubtop: {msg}");
    code
}
