//! `hubtop config`: where the file is, a commented default, its profiles (never a
//! secret), editing it in `$VISUAL` / `$EDITOR` (saved only when valid) and checking it.
//! None of them needs an instance, nor a valid config.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::output::{Sheet, emit};
use super::profiles::{auth_kind, protection};
use crate::cli::ConfigAction;
use crate::config::{self, Config, SecretSource};
use crate::exit;

pub fn run(action: ConfigAction) -> u8 {
    let path = config::config_path();
    match action {
        ConfigAction::Path => {
            emit(&format!("{}\n", path.display()));
            exit::OK
        }
        ConfigAction::Init => match config::init(&path) {
            Ok(()) => {
                emit(&format!("wrote {}\nnext: add a profile with `hubtop config edit`\n", path.display()));
                exit::OK
            }
            Err(e) => {
                eprintln!("hubtop: {e} (edit it: hubtop config edit)");
                exit::USAGE
            }
        },
        // No config yet is no profiles yet: an empty list, and what to do next.
        ConfigAction::List { output } if !path.exists() => {
            eprintln!("hubtop: no config at {}: create one with `hubtop config init`", path.display());
            list(&Config::default(), output)
        }
        ConfigAction::List { output } => match load(&path) {
            Ok(c) => list(&c, output),
            Err(code) => code,
        },
        ConfigAction::Check => check(&path),
        ConfigAction::Edit => edit(&path),
    }
}

/// The config, or the error printed with what to do next.
fn load(path: &Path) -> Result<Config, u8> {
    if !path.exists() {
        eprintln!("hubtop: no config at {}: create it with `hubtop config init`", path.display());
        return Err(exit::USAGE);
    }
    Config::load(path).map_err(|e| {
        eprintln!("hubtop: config error: {e} (fix it: hubtop config edit)");
        exit::USAGE
    })
}

/// Where a secret comes from, never what it is (a command's text may hold a token too).
fn source(s: Option<&SecretSource>) -> String {
    match s {
        Some(SecretSource { env: Some(v), .. }) => format!("env {v}"),
        Some(SecretSource { command: Some(_), .. }) => "command".into(),
        Some(SecretSource { keyring: true, .. }) => "keyring".into(),
        _ => "—".into(),
    }
}

fn list(c: &Config, output: crate::cli::Output) -> u8 {
    // No profiles is an empty list (exit 0): nothing on stdout, `[]` in json and yaml.
    let path = config::config_path();
    if c.profiles.is_empty() && path.exists() {
        eprintln!("hubtop: no profiles in {}: add one with `hubtop config edit`", path.display());
    }
    let is_default = |n: &str| c.default_profile.as_deref() == Some(n);
    let who = |p: &config::Profile| p.user.clone().or_else(|| p.client_id.clone()).unwrap_or_else(|| "—".into());
    let sheet = Sheet {
        headers: vec!["profile", "instance", "auth", "user", "secret", "protection"],
        rows: c
            .profiles
            .iter()
            .map(|(n, p)| {
                vec![
                    format!("{n}{}", if is_default(n) { "*" } else { "" }),
                    p.instance.clone(),
                    auth_kind(p.auth).into(),
                    who(p),
                    source(p.secret.as_ref()),
                    protection(p).into(),
                ]
            })
            .collect(),
        objects: c
            .profiles
            .iter()
            .map(|(n, p)| {
                json!({
                    "profile": n,
                    "default": is_default(n),
                    "instance": p.instance,
                    "auth": auth_kind(p.auth),
                    "user": p.user,
                    "client_id": p.client_id,
                    "secret": source(p.secret.as_ref()),
                    "client_secret": p.client_secret.as_ref().map(|s| source(Some(s))),
                    "read_only": p.read_only,
                    "production": p.production,
                })
            })
            .collect(),
        names: c.profiles.keys().cloned().collect(),
    };
    emit(&sheet.render(output));
    exit::OK
}

/// The file parses and every profile is complete; each secret's source is there (an
/// environment variable set, a command's program found) — without reading any secret.
fn check(path: &Path) -> u8 {
    let c = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut problems = 0;
    let mut out = format!("✔ {}: valid, {} profile(s)\n", path.display(), c.profiles.len());
    for (name, p) in &c.profiles {
        for (what, s) in [("secret", p.secret.as_ref()), ("client_secret", p.client_secret.as_ref())] {
            let Some(s) = s else { continue };
            let (ok, text) = match s {
                SecretSource { env: Some(v), .. } => match std::env::var_os(v).filter(|x| !x.is_empty()) {
                    Some(_) => (true, format!("{what} from ${v} (set)")),
                    None => (false, format!("{what} from ${v}, which is not set in this environment")),
                },
                SecretSource { command: Some(cmd), .. } => {
                    let program = cmd.split_whitespace().next().unwrap_or("");
                    match on_path(program) {
                        true => (true, format!("{what} from a command ({program} found)")),
                        false => (false, format!("{what} from a command: `{program}` is not found")),
                    }
                }
                _ => (true, format!("{what} from the OS keyring (stored with: hubtop login --profile {name})")),
            };
            problems += usize::from(!ok);
            out.push_str(&format!("{} profile {name}: {text}\n", if ok { "✔" } else { "✖" }));
        }
    }
    if c.profiles.is_empty() {
        out.push_str("  no profiles yet: add one with `hubtop config edit`\n");
    } else {
        out.push_str("  whether each instance answers: hubtop profiles\n");
    }
    emit(&out);
    if problems == 0 { exit::OK } else { exit::USAGE }
}

fn on_path(program: &str) -> bool {
    if program.is_empty() {
        return false;
    }
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Opens a copy of the config in the editor; a valid result replaces the file, an
/// invalid one is shown with its error and, on a terminal, opened again (an empty save
/// or a refusal keeps the file as it was, and the rejected text beside it).
fn edit(path: &Path) -> u8 {
    use std::io::IsTerminal;
    if !path.exists() {
        eprintln!("hubtop: no config at {}: create it with `hubtop config init`, then edit it", path.display());
        return exit::USAGE;
    }
    let Some(editor) = ["VISUAL", "EDITOR"].iter().find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
    else {
        eprintln!("hubtop: set VISUAL or EDITOR to the editor to use (e.g. EDITOR=vi), or edit {}", path.display());
        return exit::USAGE;
    };
    let original = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("hubtop: {}: {e}", path.display());
            return exit::FAILED;
        }
    };
    // The copy is next to the file (same file system: the final rename is atomic) and
    // ends in .toml (editors pick the syntax from it).
    let draft = sibling(path, "edit.toml");
    if let Err(e) = std::fs::write(&draft, &original) {
        eprintln!("hubtop: {}: {e}", draft.display());
        return exit::FAILED;
    }
    loop {
        if let Err(why) = run_editor(&editor, &draft) {
            eprintln!("hubtop: {why}; {} is unchanged", path.display());
            let _ = std::fs::remove_file(&draft);
            return exit::FAILED;
        }
        let text = std::fs::read_to_string(&draft).unwrap_or_default();
        if text == original {
            let _ = std::fs::remove_file(&draft);
            eprintln!("hubtop: no change to {}", path.display());
            return exit::OK;
        }
        match Config::parse(&text, path) {
            Ok(c) => {
                if let Err(e) = std::fs::rename(&draft, path) {
                    eprintln!("hubtop: cannot save {}: {e}", path.display());
                    return exit::FAILED;
                }
                emit(&format!(
                    "saved {} ({} profile(s)); check it: hubtop config check\n",
                    path.display(),
                    c.profiles.len()
                ));
                return exit::OK;
            }
            Err(e) => {
                eprintln!("hubtop: not saved: {e}");
                if std::io::stdin().is_terminal() && ask("edit again? [Y/n] ") {
                    continue;
                }
                let kept = sibling(path, "rejected.toml");
                let _ = std::fs::rename(&draft, &kept);
                eprintln!("hubtop: {} is unchanged; your edit is in {}", path.display(), kept.display());
                return exit::USAGE;
            }
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "config".into());
    path.with_file_name(format!("{name}.{suffix}"))
}

fn ask(prompt: &str) -> bool {
    eprint!("{prompt}");
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        return false;
    }
    !matches!(line.trim().to_ascii_lowercase().as_str(), "n" | "no")
}

/// Runs the editor command (it may carry arguments, as `code --wait`) on `file`, the
/// way git does: through the shell, the file as its first argument.
fn run_editor(editor: &str, file: &Path) -> Result<(), String> {
    #[cfg(unix)]
    let status =
        std::process::Command::new("sh").arg("-c").arg(format!("{editor} \"$1\"")).arg(editor).arg(file).status();
    #[cfg(not(unix))]
    let status = {
        let mut parts = editor.split_whitespace();
        let program = parts.next().unwrap_or(editor);
        std::process::Command::new(program).args(parts).arg(file).status()
    };
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("the editor `{editor}` exited with {s}")),
        Err(e) => Err(format!("cannot start the editor `{editor}`: {e}")),
    }
}
