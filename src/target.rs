//! Where hubtop connects, resolved from flags, environment and profile (secrets
//! included), and the protections that come with it.

use std::time::Duration;

use crate::cli::global::Global;
use crate::client::{Auth, Client, ClientConfig};
use crate::config::{self, Config, Keyring};
use crate::{exit, sim};

/// What a command that needs an instance says when none was named.
/// What a command that needs an instance says when none was named: the config's
/// profiles when it has some, else how to create one.
pub fn no_target(config: &crate::config::Config) -> String {
    if config.profiles.is_empty() {
        return NO_TARGET.to_string();
    }
    let names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
    format!(
        "no instance: name a profile (--profile NAME or HUBTOP_PROFILE; this config has {}), or --instance URL, \
         or --demo for the embedded demo instance",
        names.join(", ")
    )
}

pub const NO_TARGET: &str = "no instance: name a profile (--profile NAME or HUBTOP_PROFILE; create one with \
                             `hubtop config init`), or --instance URL, or --demo for the embedded demo instance";

/// A resolved connection target.
pub struct Target {
    /// `None`: the embedded instance.
    pub client: Option<ClientConfig>,
    pub profile: Option<String>,
    pub read_only: bool,
    pub production: bool,
    pub refresh: Duration,
    pub theme: String,
}

/// A failure to resolve or connect: the exit code and what to tell the operator.
pub type Refusal = (u8, String);

impl Target {
    /// One named profile on its own (`get --profile a,b`, `metrics`): its instance and
    /// credentials, never the command line's `--instance`, `--user`, `--client-id` or
    /// `--demo`. Resolved off the runtime (the OS keyring may block).
    pub async fn resolve_profile(g: &Global, config: &Config, name: &str) -> Result<Target, Refusal> {
        let g = Global {
            profile: Some(name.to_string()),
            instance: None,
            user: None,
            client_id: None,
            demo: false,
            ..g.clone()
        };
        let config = config.clone();
        tokio::task::spawn_blocking(move || Target::resolve(&g, &config, &config::OsKeyring))
            .await
            .map_err(|e| (exit::FAILED, e.to_string()))?
    }

    pub fn resolve(g: &Global, config: &Config, keyring: &dyn Keyring) -> Result<Target, Refusal> {
        let mut t = Target {
            client: None,
            profile: None,
            read_only: g.read_only,
            production: false,
            refresh: Duration::from_secs(3),
            theme: config.theme.clone(),
        };
        // --demo: the embedded instance, whatever HUBTOP_PROFILE or HUBTOP_INSTANCE say
        // (the command line refuses --demo beside --profile or --instance).
        if g.demo {
            return Ok(t);
        }
        if let Some(url) = &g.instance {
            let auth = auth_from_env(g).map_err(|m| (exit::USAGE, m))?;
            let mut c = ClientConfig::new(url, auth);
            c.insecure = g.insecure;
            c.wait_for_rate_limit = g.wait;
            // A profile's protections follow its name, and its instance: `--instance`
            // cannot be used to step around a read-only or production profile.
            let named = g.profile.as_deref().and_then(|n| config.profiles.get(n).map(|p| (n, p)));
            let same_instance = config.profiles.iter().filter(|(_, p)| same_url(&p.instance, url));
            for (name, p) in named.into_iter().chain(same_instance.map(|(n, p)| (n.as_str(), p))) {
                t.read_only |= p.read_only;
                t.production |= p.production;
                if t.profile.is_none() && g.profile.as_deref() == Some(name) {
                    t.profile = Some(name.to_string());
                }
            }
            t.client = Some(c);
            return Ok(t);
        }
        if let Some(n) = g.profile.as_deref().filter(|n| !config.profiles.contains_key(*n)) {
            return Err((exit::USAGE, no_such_profile(n, config)));
        }
        let selected = config.select(g.profile.as_deref()).map_err(|e| (exit::USAGE, e.to_string()))?;
        if let Some((name, p)) = selected {
            let r = config::resolve(&name, p, keyring).map_err(|e| (exit::USAGE, e))?;
            let mut c = r.client;
            // The instance's names and triggers, as the profile (or doctor) stored them.
            c.mapping = p.mapping.clone();
            c.triggers = p.triggers.clone();
            c.insecure |= g.insecure;
            c.wait_for_rate_limit = g.wait;
            t.client = Some(c);
            t.profile = Some(name);
            // A read-only profile stays read-only whatever the flags say.
            t.read_only |= r.read_only;
            t.production = r.production;
            t.refresh = r.refresh;
            if let Some(theme) = r.theme {
                t.theme = theme;
            }
            return Ok(t);
        }
        // No profile, no --instance, no --demo: never the demo's invented data unasked.
        Err((exit::USAGE, no_target(config)))
    }

    /// A client, starting the embedded instance when there is no instance to talk to.
    pub async fn connect(&self, traffic: bool) -> Result<(Client, Option<sim::SimHandle>), Refusal> {
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

/// A profile named that the config does not have, and what to do about it.
fn no_such_profile(name: &str, config: &Config) -> String {
    let path = config::config_path();
    if config.profiles.is_empty() {
        let next =
            if path.exists() { "add one with `hubtop config edit`" } else { "create it with `hubtop config init`" };
        return format!("no profile `{name}`: {} has no profiles; {next}", path.display());
    }
    format!("no profile `{name}` in {} (have: {}); see `hubtop config list`", path.display(), config.names())
}

/// Two instance URLs name the same instance (scheme, host and port; case and a trailing
/// slash aside).
fn same_url(a: &str, b: &str) -> bool {
    let norm = |u: &str| u.trim().trim_end_matches('/').to_ascii_lowercase();
    !a.trim().is_empty() && norm(a) == norm(b)
}

/// Credentials from flags and the environment (secrets never from flags).
fn auth_from_env(g: &Global) -> Result<Auth, String> {
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

#[cfg(test)]
mod tests {
    use super::same_url;

    #[test]
    fn urls_match_whatever_their_case_or_trailing_slash() {
        assert!(same_url("https://Acme.service-now.com/", "https://acme.service-now.com"));
        assert!(!same_url("https://acme.service-now.com", "https://acme-dev.service-now.com"));
        assert!(!same_url("", ""));
    }
}
