//! `hubtop metrics`'s command line.

use clap::Args;

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
