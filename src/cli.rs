//! The command line: the console by default, the embedded instance, and the
//! scriptable commands operators use in shell scripts and runbooks.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::Entity;

pub mod args;
pub mod global;

pub use args::{MetricsArgs, RehearseArgs, SimArgs, SnapshotArgs};
pub use global::{Global, Output};

#[derive(Debug, Parser)]
#[command(
    name = "hubtop",
    version,
    about = "A terminal operations console for ServiceNow integrations",
    long_about = "A terminal operations console for ServiceNow integrations: FM providers, outbound and \
                  inbound queues, flow executions and sync history, live.\n\nWithout a command, hubtop \
                  opens the console: on --profile, --instance or the config's default profile, else on \
                  its embedded demo instance (a simulated ServiceNow with FM providers, live traffic and \
                  failures), marked [DEMO]. The other commands need a target: a profile (`hubtop config \
                  init`), --instance, or --demo for the embedded instance.",
    after_help = "Examples:\n  hubtop                          open the console (the embedded demo without a profile)\n  \
                  hubtop --profile prod           open the console on a configured instance\n  \
                  hubtop get outbound --state error -o json --profile prod\n  \
                  hubtop get outbound ISO0001012  one record, every field\n  \
                  hubtop --demo get outbound      the embedded demo instance\n  \
                  hubtop sim --port 8080 --traffic 120\n\n\
                  Exit codes:\n  \
                  0  done (also when the reader of the output went away: `| head`); with --no-follow: \
                  sent and accepted, outcome not followed\n  \
                  1  failed: the instance answered with an error: the action or its flow failed, or a \
                  read was refused (a table it lacks, a server error)\n  \
                  2  usage error, or refused before anything was sent (read-only, a rule, a field or value \
                  the table does not have, a trigger the instance lacks, a bad config, no target)\n  \
                  3  authentication failed\n  \
                  4  unreachable, or not a ServiceNow instance\n  \
                  5  not permitted (the instance answered 403)\n  \
                  6  sent, outcome unknown: the instance may have acted; check the record before sending \
                  again, never resend blindly\n  \
                  7  not found: a record named does not exist (nothing was sent for it)\n\n\
                  A command over several records (retry A B C) exits with the most severe of their \
                  outcomes, in this order: 6, 1, 4, 3, 5, 2, 7, 0 — an unknown outcome first (check before \
                  sending anything again), then a failure the instance reported, then what was not sent \
                  (unreachable, authentication, not permitted, refused, not found). Each record's outcome \
                  has its own line, and a last line counts them.\n\n\
                  Environment: HUBTOP_PROFILE, HUBTOP_INSTANCE, HUBTOP_USER, HUBTOP_PASSWORD, \
                  HUBTOP_CLIENT_SECRET, HUBTOP_LOG / RUST_LOG (log filter), HUBTOP_CONFIG_DIR, HUBTOP_DATA_DIR, \
                  NO_COLOR, VISUAL / EDITOR (config edit)"
)]
pub struct Cli {
    /// Log level for the log file in the data directory [default: info, or HUBTOP_LOG / RUST_LOG].
    #[arg(long, global = true, value_enum)]
    pub log_level: Option<crate::logging::LogLevel>,
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands that talk to an instance, and the connection options each takes.
const CONNECTED: &[(&str, &[&str])] = &[
    ("get", ALL_CONNECTION),
    ("retry", ALL_CONNECTION),
    ("skip", ALL_CONNECTION),
    ("rerun", ALL_CONNECTION),
    ("create", ALL_CONNECTION),
    ("update", ALL_CONNECTION),
    ("cancel", ALL_CONNECTION),
    ("doctor", ALL_CONNECTION),
    ("login", &["profile"]),
    // They only read, from real instances (not the embedded demo).
    ("metrics", READ_ONLY_CONNECTION),
    ("snapshot", READ_ONLY_CONNECTION),
];

const READ_ONLY_CONNECTION: &[&str] = &["instance", "user", "client_id", "profile", "insecure", "wait"];

const ALL_CONNECTION: &[&str] = &["instance", "user", "client_id", "profile", "demo", "insecure", "read_only", "wait"];

/// The command line's definition: the derived one, with the connection options added to
/// the commands they apply to (under their own heading).
pub fn command() -> clap::Command {
    use clap::{Args as _, CommandFactory as _};
    let conn: Vec<clap::Arg> =
        Global::augment_args(clap::Command::new("connection")).get_arguments().cloned().collect();
    let mut cmd = Cli::command();
    for (name, ids) in CONNECTED {
        let args: Vec<clap::Arg> = conn.iter().filter(|a| ids.contains(&a.get_id().as_str())).cloned().collect();
        cmd = cmd.mut_subcommand(*name, |s| s.args(args));
    }
    cmd
}

/// Parses the process's arguments (exits with a usage message and code 2 on an error).
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

/// Parses `args`: a connection option given after the command wins over one given before it.
pub fn parse_from<I, T>(args: I) -> Cli
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches as _;
    use clap::parser::ValueSource::CommandLine;
    let mut def = command();
    let m = def.try_get_matches_from_mut(args).unwrap_or_else(|e| e.exit());
    let mut cli = Cli::from_arg_matches(&m).unwrap_or_else(|e| e.format(&mut def).exit());
    // (An id the command does not define is asked with try_contains_id first: asking
    // for its source would panic in a debug build.)
    let typed = |m: &clap::ArgMatches, id: &str| {
        m.try_contains_id(id).unwrap_or(false) && m.value_source(id) == Some(CommandLine)
    };
    if let Some((name, sub)) = m.subcommand() {
        let applies = CONNECTED.iter().find(|(n, _)| *n == name).map_or(&[][..], |(_, ids)| *ids);
        for id in ALL_CONNECTION {
            if typed(&m, id) && !applies.contains(id) {
                let flag = format!("--{}", id.replace('_', "-"));
                def.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("{flag} does not apply to `hubtop {name}`"),
                )
                .exit();
            }
            if !typed(sub, id) {
                continue;
            }
            let g = &mut cli.global;
            let text = || sub.get_one::<String>(id).cloned();
            match *id {
                "instance" => g.instance = text(),
                "user" => g.user = text(),
                "client_id" => g.client_id = text(),
                "profile" => g.profile = text(),
                "demo" => g.demo = true,
                "insecure" => g.insecure = true,
                "read_only" => g.read_only = true,
                "wait" => g.wait = true,
                _ => {}
            }
        }
        // A value from the environment (HUBTOP_INSTANCE, HUBTOP_PROFILE…) is read by both
        // levels alike; the top level already has it.
    }
    let g = &cli.global;
    let typed_anywhere = |id: &str| typed(&m, id) || m.subcommand().is_some_and(|(_, sub)| typed(sub, id));
    // Two targets named on the command line: say so rather than pick one. (A profile
    // from HUBTOP_PROFILE beside --instance keeps lending that instance its protections.)
    if typed_anywhere("profile") && typed_anywhere("instance") {
        def.error(
            clap::error::ErrorKind::ArgumentConflict,
            "--profile and --instance name two targets; give one (a profile has its instance)",
        )
        .exit();
    }
    if g.demo {
        for id in ["instance", "profile"] {
            if typed_anywhere(id) {
                def.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("--demo and --{id} name two targets; give one"),
                )
                .exit();
            }
        }
    }
    cli
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedded instance standalone (for curl, scripts, other clients).
    Sim(SimArgs),
    /// List records (providers, workorders, outbound, inbound, executions, history), or show some by number.
    #[command(after_help = "Output (-o):\n  \
                            table  the console's list columns, headers and cells (times relative, durations \
                            with their unit, tries of the most), fitted to the terminal (default); executions \
                            add the sys_id (rerun takes it). Providers lack the console's HEALTH, OK % and ERR, \
                            which cost more requests (the queues and history per provider): see them in the console\n  \
                            wide   the table's columns and the kind's other fields (sys_id…), never cut to the terminal\n  \
                            json   the records as the instance sends them, ServiceNow field names, raw values\n  \
                            yaml   the same as YAML\n  \
                            csv    the table's fields with their names as headers, display values as the \
                            instance gives them (absolute times, plain numbers), RFC 4180, one header line\n  \
                            name   one identifier a line (the number, else the sys_id), for xargs\n\
                            With --display, json and yaml carry each field as {\"value\": raw, \"display_value\": \
                            shown} (the Table API's sysparm_display_value=all): a reference's sys_id beside \
                            the name the table shows.\n\
                            One record named (get outbound ISO0001012) prints every field with its label and \
                            display value; -o json gives the object.\n\n\
                            Examples:\n  hubtop get outbound --state error\n  \
                            hubtop get outbound ISO0001012\n  \
                            hubtop get outbound ISO0001012 ISO0001013 -o yaml --display\n  \
                            hubtop get outbound --state error -o csv --no-headers --fields number,state\n  \
                            hubtop get outbound --state error -o name | xargs hubtop retry\n  \
                            hubtop get outbound --state error --watch\n  \
                            hubtop get outbound --state error --profile dev,prod -o json\n  \
                            hubtop get workorders --provider \"Acme Facilities\" -o json\n  \
                            hubtop get history --query 'status=failed^ORDERBYDESCsys_created_on' --limit 20")]
    Get(GetArgs),
    /// Every profile: its instance, auth, read-only / production, and whether it answers now.
    #[command(after_help = "Probes each instance at once, without credentials (an instance answers \
                            even when it refuses), 3 s at most.\nExit code 4 when any does not answer as an \
                            instance.\n\nExamples:\n  hubtop profiles\n  hubtop profiles -o json")]
    Profiles {
        /// Output format: table, wide, json, yaml, csv or name (the profile names).
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Retry queue entries (set their state to ready): outbound or inbound sys_ids or numbers.
    #[command(after_help = "Each entry is followed until the queue processed it or it failed again \
                            (exit 1), like every action; --no-follow sends and reports at once.\n\n\
                            Examples:\n  hubtop retry ISO0001012 ISO0001013\n  \
                            hubtop retry --no-follow ISO0001012")]
    Retry {
        /// Entries: numbers (ISO…, ISI…) or sys_ids.
        ids: Vec<String>,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Skip queue entries (set their state to skipped).
    #[command(after_help = "Example:\n  hubtop skip ISO0001012")]
    Skip {
        /// Entries: numbers (ISO…, ISI…) or sys_ids.
        ids: Vec<String>,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Run a failed execution's flow again with its recorded inputs.
    #[command(after_help = "Example:\n  hubtop rerun 3f1c…")]
    Rerun {
        /// The execution's sys_id (sys_flow_context).
        execution: String,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Create the work order at its provider (runs the provider's create subflow).
    #[command(after_help = "Example:\n  hubtop create WPT0001020")]
    Create {
        /// The work order's number or sys_id.
        number: String,
        #[command(flatten)]
        act: ActArgs,
    },
    /// Update the work order at its provider: changed fields and a comment.
    #[command(after_help = "Example:\n  hubtop update WPT0001020 --set priority=1 --comment 'Escalated by caller'")]
    Update {
        /// The work order's number or sys_id.
        number: String,
        /// A comment sent with the update (the work order's comments journal).
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
        /// The work order's number or sys_id.
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
    /// The config file: where it is, a commented default, its profiles, editing and checking it.
    #[command(after_help = "Examples:\n  hubtop config init\n  hubtop config list\n  hubtop config edit\n  \
                            hubtop config check\n  hubtop config path")]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Serve integration health for Prometheus (/metrics, OpenMetrics) from polls of each profile's instance.
    #[command(after_help = "Each instance is polled on hubtop's schedule (the profile's metrics_interval_secs, \
                            default 60 s), never per scrape.\n\nExamples:\n  hubtop metrics --profile prod\n  \
                            hubtop metrics --all-profiles --listen 127.0.0.1:9464")]
    Metrics(MetricsArgs),
    /// Store the secret of --profile in the OS keyring (read from the terminal, never echoed).
    #[command(after_help = "Example:\n  hubtop login --profile prod")]
    Login,
    /// Measure the console against the embedded instance (a developer harness; see the README).
    #[command(hide = true, after_help = "Examples:\n  hubtop bench --quick\n  hubtop bench --rows 1000000 --json")]
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
    /// The console under fire: faults, token expiry and outages against a scripted operator (a developer harness).
    #[command(
        hide = true,
        after_help = "Examples:\n  hubtop chaos --duration 60s\n  hubtop chaos --duration 2m --seed 42"
    )]
    Chaos {
        /// How long to run, e.g. 60s or 2m.
        #[arg(long, default_value = "60s")]
        duration: String,
        /// The seed of the faults and of the scripted operator (the same seed, the same run).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Snapshot an instance's integration state into one file, to rehearse on (GET only).
    Snapshot(SnapshotArgs),
    /// Open the console on the embedded instance started from a snapshot (`--report`: what it changed).
    Rehearse(RehearseArgs),
    /// Print the shell completion script (completes commands, options, profile names and record kinds).
    #[command(after_help = "The script asks hubtop for candidates as you type (profile names come from \
                            the config then), so it stays right when profiles change.\n\n\
                            Examples:\n  hubtop completions bash > ~/.local/share/bash-completion/completions/hubtop\n  \
                            hubtop completions zsh > ~/.zfunc/_hubtop\n  \
                            hubtop completions fish > ~/.config/fish/completions/hubtop.fish")]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = "Example (where `man` finds it for a binary in ~/.cargo/bin):\n  \
                            mkdir -p ~/.cargo/share/man/man1 && hubtop man > ~/.cargo/share/man/man1/hubtop.1")]
    Man,
}

/// How an acting command waits for the outcome, or only shows what it would send.
#[derive(Debug, Args, Clone, Default, PartialEq)]
pub struct ActArgs {
    /// How long to follow the outcome (e.g. 120s, 2m). Every action is followed by default,
    /// retry and skip too (a retry until the queue processed the entry or it failed again),
    /// for the profile's follow_secs, else 120 s. Progress goes to stderr; the exit code is
    /// the outcome's (1 failed again); no outcome within the window exits 6 (sent, outcome
    /// unknown).
    #[arg(long, value_name = "DURATION", value_parser = parse_follow, conflicts_with = "no_follow")]
    pub follow: Option<std::time::Duration>,
    /// Do not follow: send, and exit 0 once the instance accepted the request. The outcome
    /// is then unknown: the audit log records "sent", never "ok".
    #[arg(long)]
    pub no_follow: bool,
    /// Show what would be sent (method, path, body) and send nothing; what would be
    /// refused is refused, with the real command's reason and exit code. Never audited.
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm a bulk action (more than one record) on a production profile, where the
    /// console asks for the count typed; without it such a command is refused.
    #[arg(long)]
    pub yes: bool,
}

/// A follow window: a number of seconds, or a duration with its unit (ms, s, m).
fn parse_follow(v: &str) -> Result<std::time::Duration, String> {
    match v.trim().parse::<u64>() {
        Ok(secs) => Ok(std::time::Duration::from_secs(secs)),
        Err(_) => crate::time::parse_duration(v),
    }
}

#[derive(Debug, Subcommand, Clone, Copy, PartialEq, Eq)]
pub enum ConfigAction {
    /// Print the config file's path.
    Path,
    /// Write a commented default config (never over an existing file).
    Init,
    /// The profiles: instance, auth, where the secret comes from (never the secret), protections.
    List {
        /// Output format: table or json (the others as for `get`).
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Open the config in $VISUAL or $EDITOR; saved only when it is valid.
    Edit,
    /// Check the config: syntax, every profile, and that each secret's source is there.
    Check,
}

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

#[derive(Debug, Args, Clone)]
pub struct GetArgs {
    /// The kind of record.
    pub entity: Entity,
    /// Only these records: numbers (or titles for providers) or sys_ids.
    #[arg(value_name = "NUMBER")]
    pub ids: Vec<String>,
    /// Filter by state, value or label, any case (e.g. error). The field differs by kind:
    /// outbound, inbound, executions: state (the STATE column); workorders: the integration
    /// state (the INTEGRATION column; their own state: --query 'state=…'); history: status.
    /// Providers have none.
    #[arg(long)]
    pub state: Option<String>,
    /// Filter by provider: its title (exact, else ignoring case) or sys_id.
    #[arg(long)]
    pub provider: Option<String>,
    /// An encoded query, ANDed with the other filters.
    #[arg(long)]
    pub query: Option<String>,
    /// At most this many records (the instance's first page of that size).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Output format: table, wide, json, yaml, csv or name (see below).
    #[arg(short, long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// No header line (table, wide, csv).
    #[arg(long)]
    pub no_headers: bool,
    /// Only these fields, comma-separated (columns of table, wide and csv; the fields of json and yaml).
    #[arg(long, value_delimiter = ',', value_name = "FIELD,…")]
    pub fields: Vec<String>,
    /// json and yaml: each field as {"value": raw, "display_value": what the table shows}.
    #[arg(long)]
    pub display: bool,
    /// Keep watching: print again whenever the result changes (one small request a poll
    /// while nothing changes), until interrupted.
    #[arg(short, long)]
    pub watch: bool,
    /// Seconds between polls with --watch [default: the profile's refresh_secs, else 3; at least 1].
    #[arg(long, value_name = "SECS", requires = "watch")]
    pub interval: Option<f64>,
}
