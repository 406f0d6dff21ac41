//! The arguments of the commands whose work lives in a room of its own (`metrics`,
//! `snapshot`, `rehearse`): here, below both the parser and the commands, so that
//! the command line names them without importing the code that runs them.

use std::path::PathBuf;

use clap::Args;

use crate::snapshot::load::Providers;

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
