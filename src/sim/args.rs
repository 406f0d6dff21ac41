//! `hubtop sim`'s command line: how the embedded instance is started standalone.

use clap::Args;

#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 = any free port; the first line printed shows it).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The seed of the traffic and the faults (the same seed, the same run).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Traffic events per minute (0 = none).
    #[arg(long, default_value_t = 30)]
    pub traffic: u32,
    /// Faults on the instance API, e.g. "latency=50ms,error=0.2,rate_limit=0.05,malformed=0.02,html=0.01,reset=0.01,acl_read=0.1,acl_write=0.1".
    #[arg(long, default_value = "")]
    pub faults: String,
    /// An inbound REST rate-limit rule for every user, e.g. "500/hour" (429 + Retry-After past it).
    #[arg(long)]
    pub rate_limit: Option<String>,
    /// What a query term on a field the table does not have does: ignore (match every
    /// row) or no-rows (the property glide.invalid_query.returns_no_rows set to true).
    #[arg(long, value_parser = ["ignore", "no-rows"], default_value = "ignore")]
    pub invalid_query: String,
    /// The admin user's time zone (display values follow it), e.g. Europe/Paris; empty = the system's (UTC).
    #[arg(long, default_value = "")]
    pub user_tz: String,
    /// Start the instance broken: field:TABLE.FIELD, table:TABLE or role:ROLE. Repeatable.
    #[arg(long = "break", value_name = "WHAT")]
    pub breaks: Vec<String>,
    /// APIs the instance does not have: flow-trigger, companion, flow-reporting (comma-separated); ifm-report: IFM
    /// marks a changed work order pending and never reports an outcome.
    #[arg(long, value_delimiter = ',')]
    pub without: Vec<String>,
    /// Seed this many outbound entries (and proportional other records).
    #[arg(long, default_value_t = 0)]
    pub rows: usize,
    /// OAuth access token lifetime in seconds.
    #[arg(long, default_value_t = 1800)]
    pub token_ttl: u64,
    /// Seconds between automatic retries of a failed outbound entry.
    #[arg(long, default_value_t = 60)]
    pub retry_interval: u64,
    /// The password of user `admin` (from the environment, as a real secret would be).
    #[arg(long, env = "HUBTOP_SIM_PASSWORD", default_value = "admin", hide_env_values = true)]
    pub admin_password: String,
    /// The secret of OAuth client `hubtop`.
    #[arg(long, env = "HUBTOP_SIM_CLIENT_SECRET", default_value = "hubtop", hide_env_values = true)]
    pub client_secret: String,
    /// Start from a snapshot (`hubtop snapshot`) instead of the demo data: no traffic, the
    /// snapshot's records, providers and clock.
    #[arg(long, value_name = "FILE")]
    pub load: Option<std::path::PathBuf>,
    /// With --load: how the snapshot's providers answer (as their latest sync history says, ok, down).
    #[arg(long, value_enum, default_value_t = crate::snapshot::load::Providers::AsRecorded, requires = "load")]
    pub providers: crate::snapshot::load::Providers,
}
