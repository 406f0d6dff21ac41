//! The command line: the console by default, the embedded instance, and the
//! scriptable commands operators use in shell scripts and runbooks.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::Entity;

#[derive(Debug, Parser)]
#[command(
    name = "hubtop",
    version,
    about = "A terminal operations console for ServiceNow integrations",
    long_about = "A terminal operations console for ServiceNow integrations: FM providers, outbound and \
                  inbound queues, flow executions and sync history, live.\n\nWithout a profile or \
                  --instance, hubtop starts its embedded instance (a simulated ServiceNow with FM \
                  providers, live traffic and failures) and opens the console on it.",
    after_help = "Examples:\n  hubtop                          open the console on the embedded demo instance\n  \
                  hubtop --profile prod           open the console on a configured instance\n  \
                  hubtop get outbound --state error -o json\n  \
                  hubtop sim --port 8080 --traffic 120\n\n\
                  Exit codes:\n  \
                  0  done\n  \
                  1  failed: the action or its flow failed (the instance said so)\n  \
                  2  usage error, or refused before anything was sent (read-only, a rule, a field or value \
                  the table does not have, a trigger the instance lacks, a bad config)\n  \
                  3  authentication failed\n  \
                  4  unreachable, or not a ServiceNow instance\n  \
                  5  not permitted (the instance answered 403)\n  \
                  6  sent, outcome unknown: the instance may have acted; check the record before sending \
                  again, never resend blindly\n\n\
                  Environment: HUBTOP_PROFILE, HUBTOP_INSTANCE, HUBTOP_USER, HUBTOP_PASSWORD, \
                  HUBTOP_CLIENT_SECRET, HUBTOP_LOG / RUST_LOG (log filter), HUBTOP_CONFIG_DIR, HUBTOP_DATA_DIR, NO_COLOR"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct Global {
    /// Instance base URL, e.g. https://acme.service-now.com
    #[arg(long, global = true, env = "HUBTOP_INSTANCE")]
    pub instance: Option<String>,
    /// User name (Basic auth, or the OAuth password grant with --client-id). Password from HUBTOP_PASSWORD.
    #[arg(long, global = true, env = "HUBTOP_USER")]
    pub user: Option<String>,
    /// OAuth client id; the secret comes from HUBTOP_CLIENT_SECRET.
    #[arg(long, global = true)]
    pub client_id: Option<String>,
    /// A profile from the config file (`get` takes several, comma-separated: a,b).
    #[arg(long, global = true, env = "HUBTOP_PROFILE")]
    pub profile: Option<String>,
    /// Accept invalid TLS certificates (never the default).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Refuse every mutating action.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// When the instance rate-limits for a long time (an hourly rule), wait until then
    /// instead of stopping at once.
    #[arg(long, global = true)]
    pub wait: bool,
    /// Log level for the log file in the data directory [default: info, or HUBTOP_LOG / RUST_LOG].
    #[arg(long, global = true, value_enum)]
    pub log_level: Option<crate::logging::LogLevel>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedded instance standalone (for curl, scripts, other clients).
    Sim(SimArgs),
    /// List records: providers, workorders, outbound, inbound, executions, history.
    #[command(
        after_help = "Examples:\n  hubtop get outbound --state error\n  hubtop get outbound --state error --profile dev,prod -o json\n  hubtop get workorders --provider \"Acme Facilities\" -o json\n  hubtop get history --query 'status=failed^ORDERBYDESCsys_created_on' --limit 20"
    )]
    Get(GetArgs),
    /// Every profile: its instance, auth, read-only / production, and whether it answers now.
    #[command(after_help = "Probes each instance at once, without credentials (an instance answers \
                            even when it refuses), 3 s at most.\nExit code 4 when any does not answer as an \
                            instance.\n\nExamples:\n  hubtop profiles\n  hubtop profiles -o json")]
    Profiles {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Retry queue entries (set their state to ready): outbound or inbound sys_ids or numbers.
    #[command(after_help = "Example:\n  hubtop retry ISO0001012 ISO0001013")]
    Retry {
        ids: Vec<String>,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Skip queue entries (set their state to skipped).
    #[command(after_help = "Example:\n  hubtop skip ISO0001012")]
    Skip {
        ids: Vec<String>,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Run a failed execution's flow again with its recorded inputs.
    #[command(after_help = "Example:\n  hubtop rerun 3f1c…")]
    Rerun {
        execution: String,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Create the work order at its provider (runs the provider's create subflow).
    #[command(after_help = "Example:\n  hubtop create WPT0001020")]
    Create {
        number: String,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Update the work order at its provider: changed fields and a comment.
    #[command(after_help = "Example:\n  hubtop update WPT0001020 --set priority=1 --comment 'Escalated by caller'")]
    Update {
        number: String,
        #[arg(long)]
        comment: Option<String>,
        /// FIELD=VALUE, repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Cancel the work order at its provider.
    #[command(after_help = "Example:\n  hubtop cancel WPT0001020")]
    Cancel {
        number: String,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Check what an instance has for hubtop (tables, fields, choices, roles, companion,
    /// triggers) through its documented metadata tables; `--write` stores it in the profile.
    #[command(
        after_help = "Examples:\n  hubtop doctor --profile dev\n  hubtop doctor --profile dev --write\n\nExit 0 only when what the console needs is there."
    )]
    Doctor {
        /// Store what was found (tables, field and choice mapping, triggers) in --profile.
        #[arg(long)]
        write: bool,
    },
    /// The config file: `path` prints where it is, `init` writes a commented default.
    #[command(after_help = "Examples:\n  hubtop config path\n  hubtop config init")]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Serve integration health for Prometheus (/metrics, OpenMetrics) from polls of each profile's instance.
    #[command(after_help = "Each instance is polled on hubtop's schedule (the profile's metrics_interval_secs, \
                            default 60 s), never per scrape.\n\nExamples:\n  hubtop metrics --profile prod\n  \
                            hubtop metrics --all-profiles --listen 127.0.0.1:9464")]
    Metrics(crate::metrics::MetricsArgs),
    /// Store the secret of --profile in the OS keyring (read from the terminal, never echoed).
    #[command(after_help = "Example:\n  hubtop login --profile prod")]
    Login,
    /// Measure the console against the embedded instance (each scenario beside its baseline).
    #[command(after_help = "Examples:\n  hubtop bench --quick\n  hubtop bench --rows 1000000 --json")]
    Bench {
        /// Outbound entries in the large instance.
        #[arg(long)]
        rows: Option<usize>,
        /// A short run (under a minute): fewer rows, shorter phases.
        #[arg(long)]
        quick: bool,
        /// One JSON object per figure instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The console under fire: faults, token expiry and outages against a scripted operator; checks at the end.
    #[command(after_help = "Examples:\n  hubtop chaos --duration 60s\n  hubtop chaos --duration 2m --seed 42")]
    Chaos {
        #[arg(long, default_value = "60s")]
        duration: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Snapshot an instance's integration state into one file, to rehearse on (GET only).
    Snapshot(crate::cmd::snapshot::SnapshotArgs),
    /// Open the console on the embedded instance started from a snapshot (`--report`: what it changed).
    Rehearse(crate::cmd::rehearse::RehearseArgs),
    /// Print shell completions.
    #[command(after_help = "Example:\n  hubtop completions bash > /etc/bash_completion.d/hubtop")]
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  hubtop man > ~/.local/share/man/man1/hubtop.1")]
    Man,
}

/// How an acting command waits for the outcome, or only shows what it would send.
#[derive(Debug, Args, Clone, Default, PartialEq)]
pub struct ActArgs {
    /// Follow the outcome this long (e.g. 120s, 2m) [default: the profile's follow_secs, else 120 s].
    /// Progress goes to stderr; no outcome within it exits 6 (sent, outcome unknown).
    #[arg(long, value_name = "DURATION", value_parser = parse_follow, conflicts_with = "no_follow")]
    pub follow: Option<std::time::Duration>,
    /// Send and report at once, without following the outcome.
    #[arg(long)]
    pub no_follow: bool,
    /// Show what would be sent (method, path, body) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A follow window: a number of seconds, or a duration with its unit (ms, s, m).
fn parse_follow(v: &str) -> Result<std::time::Duration, String> {
    match v.trim().parse::<u64>() {
        Ok(secs) => Ok(std::time::Duration::from_secs(secs)),
        Err(_) => crate::sim::faults::parse_duration(v),
    }
}

#[derive(Debug, Subcommand, Clone, Copy, PartialEq, Eq)]
pub enum ConfigAction {
    /// Print the config file's path.
    Path,
    /// Write a commented default config (never over an existing file).
    Init,
}

pub use crate::sim::args::SimArgs;

/// `get`'s kinds: each kind with a list of its own, by its name (and aliases), from the
/// domain's registry.
impl ValueEnum for Entity {
    fn value_variants<'a>() -> &'a [Self] {
        &Entity::LISTED
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).aliases(self.desc().aliases.iter().copied()))
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Output {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct GetArgs {
    pub entity: Entity,
    /// Filter by state (choice value, e.g. error).
    #[arg(long)]
    pub state: Option<String>,
    /// Filter by provider (title or sys_id).
    #[arg(long)]
    pub provider: Option<String>,
    /// An encoded query, ANDed with the other filters.
    #[arg(long)]
    pub query: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(short, long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}
