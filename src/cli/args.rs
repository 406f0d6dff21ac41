//! The arguments of the commands whose work lives in a room of its own (`sim`,
//! `metrics`, `snapshot`, `rehearse`): here, below both the parser and the commands, so that
//! the command line names them without importing the code that runs them.

use std::path::PathBuf;

use clap::Args;

use crate::snapshot::load::Providers;

/// `hubtop sim`: how the embedded instance is started standalone.
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
    #[arg(long, value_enum, default_value_t = Providers::AsRecorded, requires = "load")]
    pub providers: Providers,
}

/// `hubtop metrics`.
#[derive(Debug, Args, Clone)]
pub struct MetricsArgs {
    /// Address to serve /metrics and /healthz on. Loopback by default; any other address
    /// must be given here, and then anyone who reaches it reads the queue figures.
    #[arg(long, default_value = "127.0.0.1:9464", value_name = "ADDR:PORT")]
    pub listen: String,
    /// Every profile of the config file (instead of --profile a,b).
    #[arg(long, conflicts_with = "instance")]
    pub all_profiles: bool,
    /// How often each instance is asked, e.g. 60s or 5m [default: the profile's
    /// metrics_interval_secs, else 60s]. Scrapes never ask the instance: they read the last poll.
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
}

/// `hubtop snapshot`.
#[derive(Debug, Args, Clone)]
#[command(after_help = "Examples:\n  hubtop snapshot --profile prod -o prod.snap\n  \
                        hubtop snapshot --profile prod -o prod.snap --since 3d\n  \
                        hubtop rehearse prod.snap\n\n\
                        Reads only (GET), within the profile's hourly request budget. Payload-like fields \
                        (bodies, payloads, descriptions, comments, error texts) are kept as length and hash \
                        unless --keep-payloads; credentials are never written. Interrupted, it leaves no file \
                        (or the previous one).")]
pub struct SnapshotArgs {
    /// The file to write (replaced whole, never left half-written).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// The window: records changed since then (e.g. 7d, 12h, 90m), plus every queue entry
    /// still in error or ready whatever its age.
    #[arg(long, default_value = "7d")]
    pub since: String,
    /// Keep payloads, bodies, descriptions and comments as they are.
    #[arg(long)]
    pub keep_payloads: bool,
}

/// `hubtop rehearse`.
#[derive(Debug, Args, Clone)]
#[command(after_help = "Examples:\n  hubtop rehearse prod.snap\n  hubtop rehearse prod.snap --providers down\n  \
                        hubtop rehearse prod.snap --report\n\n\
                        Nothing is sent to the snapshot's instance. The rehearsal's audit goes to \
                        FILE.rehearsal-audit.jsonl and its end state to FILE.rehearsal-end, which --report reads.")]
pub struct RehearseArgs {
    /// A file written by `hubtop snapshot`.
    pub file: PathBuf,
    /// How the snapshot's providers answer: as their latest sync history says, all healthy, or all down.
    #[arg(long, value_enum, default_value_t = Providers::AsRecorded)]
    pub providers: Providers,
    /// Print what the last rehearsal of FILE changed, as text for a change request.
    #[arg(long)]
    pub report: bool,
}
