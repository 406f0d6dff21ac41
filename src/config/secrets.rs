//! Where a profile's secrets come from: an environment variable, a command, or the OS
//! keyring. Secrets live in memory only; errors say which source was tried, never the
//! secret.

use serde::Deserialize;

/// Where a secret comes from: exactly one of the three.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    pub env: Option<String>,
    pub command: Option<String>,
    #[serde(default)]
    pub keyring: bool,
}

/// The OS keyring, behind a trait so tests can use a fake.
pub trait Keyring: Send + Sync {
    fn get(&self, profile: &str, what: &str) -> Result<String, String>;
    fn set(&self, profile: &str, what: &str, secret: &str) -> Result<(), String>;
}

/// The real keyring: service `hubtop`, entry `PROFILE/what`.
///
/// The keyring crate's Secret Service backend (Linux) drives its D-Bus calls with a
/// tokio runtime of its own and blocks on it; called from a thread that is inside a
/// tokio runtime, that panics ("Cannot start a runtime from within a runtime"). So each
/// call runs on a short-lived plain thread: no runtime there, whatever the caller's
/// runtime flavour (current_thread included), and the caller blocks only for the call.
pub struct OsKeyring;

/// Runs `f` on a fresh OS thread and waits for it; a panic there becomes an error.
fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    std::thread::Builder::new()
        .name("hubtop-keyring".into())
        .spawn(f)
        .map_err(|e| format!("cannot start the keyring thread: {e}"))?
        .join()
        .unwrap_or_else(|_| Err("the OS keyring call panicked".into()))
}

impl Keyring for OsKeyring {
    fn get(&self, profile: &str, what: &str) -> Result<String, String> {
        let (p, w) = (profile.to_string(), what.to_string());
        off_runtime(move || {
            keyring::Entry::new("hubtop", &format!("{p}/{w}")).and_then(|e| e.get_password()).map_err(|e| {
                format!("OS keyring entry hubtop/{p}/{w}: {e} (store it with `hubtop login --profile {p}`)")
            })
        })
    }
    fn set(&self, profile: &str, what: &str, secret: &str) -> Result<(), String> {
        let (p, w, s) = (profile.to_string(), what.to_string(), secret.to_string());
        off_runtime(move || {
            keyring::Entry::new("hubtop", &format!("{p}/{w}"))
                .and_then(|e| e.set_password(&s))
                .map_err(|e| format!("OS keyring: {e}"))
        })
    }
}

/// Fetches a secret from its source; errors say which variable / command / entry was tried.
pub fn fetch_secret(profile: &str, what: &str, src: &SecretSource, keyring: &dyn Keyring) -> Result<String, String> {
    if let Some(var) = &src.env {
        return match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(v),
            _ => Err(format!("profile `{profile}`: {what} not found: environment variable {var} is not set")),
        };
    }
    if let Some(cmd) = &src.command {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("profile `{profile}`: {what} command `{cmd}` could not run: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let secret = text.lines().next().unwrap_or("").trim().to_string();
        if !out.status.success() || secret.is_empty() {
            return Err(format!(
                "profile `{profile}`: {what} command `{cmd}` gave no secret (exit {})",
                out.status.code().unwrap_or(-1)
            ));
        }
        return Ok(secret);
    }
    if src.keyring {
        return keyring.get(profile, what).map_err(|e| format!("profile `{profile}`: {what} not found: {e}"));
    }
    Err(format!("profile `{profile}`: no source for {what}"))
}
