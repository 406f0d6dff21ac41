//! Where to connect, and how records are printed: the options the console, the
//! commands and the connection target share, in a module of their own so that they
//! depend on these and not on the whole command line.

use clap::{Args, ValueEnum};

/// Where to connect and how. On the console (no command) and, through [`command`](super::command), on
/// the commands that talk to an instance: nowhere else (`hubtop sim --instance` is an
/// error, not an option ignored).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Connection options")]
pub struct Global {
    /// Instance base URL, e.g. https://acme.service-now.com (credentials from --user or --client-id).
    #[arg(long, env = "HUBTOP_INSTANCE", value_name = "URL")]
    pub instance: Option<String>,
    /// User name (Basic auth, or the OAuth password grant with --client-id). Password from HUBTOP_PASSWORD.
    #[arg(long, env = "HUBTOP_USER")]
    pub user: Option<String>,
    /// OAuth client id; the secret comes from HUBTOP_CLIENT_SECRET.
    #[arg(long)]
    pub client_id: Option<String>,
    /// A profile from the config file (`hubtop config list`); `get` takes several, comma-separated: a,b.
    /// Not with --instance (a profile has its instance).
    #[arg(long, env = "HUBTOP_PROFILE", value_name = "NAME", add = clap_complete::ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,
    /// Use the embedded demo instance (simulated data), whatever profile the environment names.
    #[arg(long)]
    pub demo: bool,
    /// Accept invalid TLS certificates (never the default; prefer a profile's ca_file).
    #[arg(long)]
    pub insecure: bool,
    /// Refuse every mutating action.
    #[arg(long)]
    pub read_only: bool,
    /// When the instance rate-limits for a long time (an hourly rule), wait until then
    /// instead of stopping at once.
    #[arg(long)]
    pub wait: bool,
}

impl Global {
    /// Whether any target was named: an instance, a profile (flag, environment or the
    /// config's default), or the demo.
    pub fn names_a_target(&self, config: &crate::config::Config) -> bool {
        self.demo || self.instance.is_some() || self.profile.is_some() || config.default_profile.is_some()
    }
}

/// The profile names of the config, for completing `--profile` (read when the shell asks).
fn profile_candidates() -> Vec<clap_complete::CompletionCandidate> {
    let Ok(config) = crate::config::Config::load(&crate::config::config_path()) else { return Vec::new() };
    config
        .profiles
        .iter()
        .map(|(name, p)| clap_complete::CompletionCandidate::new(name).help(Some(p.instance.clone().into())))
        .collect()
}

/// How records are printed.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Output {
    /// The console's list columns, headers and cells, fitted to the terminal.
    #[default]
    Table,
    /// The table's columns and the kind's other fields, never cut to the terminal.
    Wide,
    /// JSON: ServiceNow field names, raw values (with --display, value and display value).
    Json,
    /// YAML, as JSON.
    Yaml,
    /// CSV (RFC 4180): the table's fields by name, display values.
    Csv,
    /// One identifier a line: the number, else the sys_id.
    Name,
}
