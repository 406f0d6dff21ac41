//! Configuration: profiles (one per instance), keys, theme; paths from `directories`.
//! Secrets are never in the file: a profile names where to get them (environment,
//! command, OS keyring), and they live in memory only.

pub mod fields;
pub mod secrets;

pub use fields::DefaultView;
pub use secrets::{Keyring, OsKeyring, SecretSource, fetch_secret};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::client::{Auth, ClientConfig, Tables};

pub const DEFAULT_CONFIG: &str = include_str!("../../assets/config.toml");

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub default_profile: Option<String>,
    /// The view the console opens with (`fleet`: one row per profile).
    #[serde(default)]
    pub default_view: DefaultView,
    #[serde(default = "default_theme")]
    pub theme: String,
    #[serde(default = "yes")]
    pub mouse: bool,
    /// `audit.jsonl` is rotated when it would grow past this many MiB…
    #[serde(default = "default_audit_max_mb")]
    pub audit_max_mb: u64,
    /// …keeping this many old files (`audit.jsonl.1` newest).
    #[serde(default = "default_audit_keep")]
    pub audit_keep: usize,
    #[serde(default, deserialize_with = "fields::keys_table")]
    pub keys: BTreeMap<String, String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

impl Default for Config {
    /// What an empty file means.
    fn default() -> Self {
        Config {
            default_profile: None,
            default_view: DefaultView::default(),
            theme: default_theme(),
            mouse: true,
            audit_max_mb: default_audit_max_mb(),
            audit_keep: default_audit_keep(),
            keys: BTreeMap::new(),
            profiles: BTreeMap::new(),
        }
    }
}

/// The audit log's rotation as the config sets it. Defined here, not in `audit`: the
/// audit log takes its rotation and path and knows nothing of the config file.
impl crate::audit::Rotation {
    /// From the config's `audit_max_mb` and `audit_keep`.
    pub fn from_config(c: &Config) -> Self {
        crate::audit::Rotation { max_bytes: c.audit_max_mb.max(1) * 1024 * 1024, keep: c.audit_keep.max(1) }
    }
}

fn default_audit_max_mb() -> u64 {
    10
}

fn default_audit_keep() -> usize {
    5
}

fn default_theme() -> String {
    "default".into()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    #[default]
    Basic,
    OauthClient,
    OauthPassword,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub instance: String,
    #[serde(default)]
    pub auth: AuthMethod,
    pub user: Option<String>,
    pub client_id: Option<String>,
    pub secret: Option<SecretSource>,
    pub client_secret: Option<SecretSource>,
    #[serde(default = "default_refresh")]
    pub refresh_secs: f64,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_rps")]
    pub rps: f64,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub production: bool,
    pub theme: Option<String>,
    #[serde(default)]
    pub insecure: bool,
    /// Largest answer accepted from the instance, in MiB; bigger ones are refused.
    #[serde(default = "default_max_response_mb")]
    pub max_response_mb: usize,
    /// A PEM file of extra trusted roots (a private CA, a TLS-inspecting proxy), added
    /// to the OS store and the bundled roots. Relative to the config file's directory.
    pub ca_file: Option<PathBuf>,
    /// The instance's hourly request budget this profile stays within (0 = none).
    #[serde(default = "default_max_requests_per_hour")]
    pub max_requests_per_hour: u32,
    /// How long an action's outcome is followed, in seconds (`--follow` overrides; 0 = not followed).
    pub follow_secs: Option<u64>,
    /// Seconds between polls of `hubtop metrics` (default 60).
    pub metrics_interval_secs: Option<u64>,
    /// Share polls with the other consoles of this OS user on the same instance and
    /// user (answers kept a few seconds in the data directory; see client::share).
    #[serde(default)]
    pub share_polls: bool,
    #[serde(default)]
    pub tables: Tables,
    /// Field names and choice values of this instance (`hubtop doctor --write` fills it).
    #[serde(default)]
    pub mapping: crate::domain::Mapping,
    /// How create and rerun start a flow (`[profiles.NAME.triggers]`).
    #[serde(default)]
    pub triggers: crate::client::trigger::Triggers,
    /// The companion update set's application scope (`companion = "x_acme_hubtop"`).
    #[serde(default = "default_companion")]
    pub companion: String,
}

fn default_companion() -> String {
    crate::client::trigger::DEFAULT_COMPANION.into()
}

fn default_max_response_mb() -> usize {
    32
}

fn default_max_requests_per_hour() -> u32 {
    1800
}

fn default_refresh() -> f64 {
    3.0
}
fn default_concurrency() -> usize {
    6
}
fn default_rps() -> f64 {
    20.0
}

/// The config and data directories (`HUBTOP_CONFIG_DIR` / `HUBTOP_DATA_DIR` override).
pub fn config_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HUBTOP_CONFIG_DIR") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("", "", "hubtop")
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".hubtop"))
}

pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HUBTOP_DATA_DIR") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("", "", "hubtop")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".hubtop"))
}

pub fn config_path() -> PathBuf {
    config_dir().join("config.toml")
}

/// A config problem: which file, where, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Config {
    /// Parses config text; errors name the file, the line and the problem.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text.as_bytes()[..s.start.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1);
            let at = line.map(|l| format!(":{l}")).unwrap_or_default();
            ConfigError(format!("{}{at}: {}", path.display(), fields::with_hint(e.message())))
        })?;
        let mut cfg = cfg;
        cfg.validate(path)?;
        // A relative ca_file is next to the config file, wherever hubtop runs from.
        if let Some(dir) = path.parent() {
            for p in cfg.profiles.values_mut() {
                if let Some(ca) = p.ca_file.as_mut().filter(|c| c.is_relative()) {
                    *ca = dir.join(&*ca);
                }
            }
        }
        Ok(cfg)
    }

    /// Loads the file if it exists; a missing file is the empty config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError(format!("{}: cannot read: {e}", path.display()))),
        }
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let p = path.display();
        if let Some(d) = &self.default_profile
            && !self.profiles.contains_key(d)
        {
            return Err(ConfigError(format!("{p}: default_profile `{d}` is not a profile (have: {})", self.names())));
        }
        if crate::theme::Theme::by_name(&self.theme).is_none() {
            return Err(ConfigError(format!("{p}: theme `{}` is unknown (default, light, none)", self.theme)));
        }
        if self.audit_max_mb == 0 || self.audit_keep == 0 {
            return Err(ConfigError(format!("{p}: audit_max_mb and audit_keep are at least 1")));
        }
        for (name, pr) in &self.profiles {
            let bad = |why: String| Err(ConfigError(format!("{p}: profile `{name}`: {why}")));
            if let Some(why) = fields::instance_url_problem(&pr.instance) {
                return bad(why);
            }
            if pr.ca_file.as_ref().is_some_and(|c| c.as_os_str().is_empty()) {
                return bad("ca_file is empty (a path to a PEM file of trusted roots)".into());
            }
            match pr.auth {
                AuthMethod::Basic if pr.user.is_none() => return bad("auth = \"basic\" needs user".into()),
                AuthMethod::OauthClient if pr.client_id.is_none() => {
                    return bad("auth = \"oauth_client\" needs client_id".into());
                }
                AuthMethod::OauthPassword if pr.client_id.is_none() || pr.user.is_none() => {
                    return bad("auth = \"oauth_password\" needs client_id and user".into());
                }
                AuthMethod::OauthPassword if pr.client_secret.is_none() => {
                    return bad("auth = \"oauth_password\" needs client_secret = { env | command | keyring }".into());
                }
                _ => {}
            }
            for (label, s) in [("secret", &pr.secret), ("client_secret", &pr.client_secret)] {
                if let Some(s) = s {
                    let n = usize::from(s.env.is_some()) + usize::from(s.command.is_some()) + usize::from(s.keyring);
                    if n != 1 {
                        return bad(format!("{label} needs exactly one of env, command, keyring"));
                    }
                }
            }
            if pr.secret.is_none() {
                return bad("secret = { env = \"…\" } (or command, or keyring = true) is missing".into());
            }
            if pr.refresh_secs < 0.5 || pr.concurrency == 0 || pr.rps < 0.0 {
                return bad("refresh_secs ≥ 0.5, concurrency ≥ 1 and rps ≥ 0 (0 = unpaced)".into());
            }
            if let Some(t) = &pr.theme
                && crate::theme::Theme::by_name(t).is_none()
            {
                return bad(format!("theme `{t}` is unknown (default, light, none)"));
            }
        }
        Ok(())
    }

    pub fn names(&self) -> String {
        self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    /// The profile to use: `--profile`, else `default_profile`, else none (embedded instance).
    pub fn select(&self, requested: Option<&str>) -> Result<Option<(String, &Profile)>, ConfigError> {
        let name = requested.or(self.default_profile.as_deref());
        match name {
            None => Ok(None),
            Some(n) => match self.profiles.get(n) {
                Some(p) => Ok(Some((n.to_string(), p))),
                None => Err(ConfigError(format!(
                    "no profile `{n}` in {} (have: {})",
                    config_path().display(),
                    if self.profiles.is_empty() { "none".to_string() } else { self.names() }
                ))),
            },
        }
    }
}

/// Writes the commented default config; never over an existing file.
pub fn init(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Err(format!("{} already exists; not overwritten", path.display()));
    }
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // It names where secrets come from: readable by the user alone (0600).
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let write = o.open(path).and_then(|mut f| std::io::Write::write_all(&mut f, DEFAULT_CONFIG.as_bytes()));
    write.map_err(|e| format!("{}: {e}", path.display()))
}

/// Creates `dir` and its missing parents readable by the user alone (0700); an existing
/// directory is left as it is.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// What the console and the CLI need from a profile.
pub struct Resolved {
    pub client: ClientConfig,
    /// The hourly request budget (0 = none).
    pub max_requests_per_hour: u32,
    pub refresh: Duration,
    pub read_only: bool,
    pub production: bool,
    pub theme: Option<String>,
}

/// Builds the client config of a profile, fetching its secrets.
pub fn resolve(name: &str, p: &Profile, keyring: &dyn Keyring) -> Result<Resolved, String> {
    let secret = fetch_secret(name, "secret", p.secret.as_ref().ok_or("no secret source")?, keyring)?;
    let auth = match p.auth {
        AuthMethod::Basic => Auth::Basic { user: p.user.clone().unwrap_or_default(), password: secret },
        AuthMethod::OauthClient => {
            Auth::OAuthClient { client_id: p.client_id.clone().unwrap_or_default(), client_secret: secret }
        }
        AuthMethod::OauthPassword => {
            let cs = fetch_secret(
                name,
                "client_secret",
                p.client_secret.as_ref().ok_or("no client_secret source")?,
                keyring,
            )?;
            Auth::OAuthPassword {
                client_id: p.client_id.clone().unwrap_or_default(),
                client_secret: cs,
                user: p.user.clone().unwrap_or_default(),
                password: secret,
            }
        }
    };
    let mut c = ClientConfig::new(&p.instance, auth);
    c.concurrency = p.concurrency;
    c.rps = p.rps;
    c.insecure = p.insecure;
    c.max_body = p.max_response_mb.max(1) * 1024 * 1024;
    c.tables = p.tables.clone();
    c.max_requests_per_hour = p.max_requests_per_hour;
    c.companion = p.companion.clone();
    if p.share_polls {
        let user = p.user.clone().or_else(|| p.client_id.clone()).unwrap_or_default();
        c.share = crate::client::share::Share::open(
            &data_dir().join("share"),
            &c.base_url,
            &user,
            crate::client::share::MAX_AGE,
            crate::client::share::Origin::now(),
        )
        .map_err(|e| format!("profile `{name}`: share_polls: {e}"))
        .map(std::sync::Arc::new)
        .map(Some)?;
    }
    if let Some(ca) = &p.ca_file {
        if !ca.is_file() {
            return Err(format!("profile `{name}`: ca_file {} is not a readable file", ca.display()));
        }
        c.ca_file = Some(ca.clone());
    }
    Ok(Resolved {
        client: c,
        max_requests_per_hour: p.max_requests_per_hour,
        refresh: Duration::from_secs_f64(p.refresh_secs),
        read_only: p.read_only,
        production: p.production,
        theme: p.theme.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_parses() {
        let c = Config::parse(DEFAULT_CONFIG, Path::new("config.toml")).expect("default config is valid");
        assert!(c.profiles.is_empty());
        assert_eq!(c.theme, "default");
    }
}
