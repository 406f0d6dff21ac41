//! `hubtop sim`: the embedded instance as a standalone process until a signal stops it.

use std::io::Write;
use std::time::Duration;

use crate::cli::args::SimArgs;
use crate::exit;
use crate::sim::{self, Breaks, Faults, InvalidQuery, SimConfig, Without};

/// The `SimConfig` a command line asks for, or what is wrong with it.
pub fn config(a: SimArgs) -> Result<SimConfig, String> {
    let faults = Faults::parse(&a.faults).map_err(|e| format!("--faults: {e}"))?;
    let rate_limit = match a.rate_limit.as_deref() {
        None | Some("") => None,
        Some(s) => Some(parse_rate(s).ok_or_else(|| format!("--rate-limit: `{s}` is not like 500/hour"))?),
    };
    let breaks = Breaks::parse(&a.breaks).map_err(|e| format!("--break: {e}"))?;
    let without = Without::parse(&a.without).map_err(|e| format!("--without: {e}"))?;
    Ok(SimConfig {
        port: a.port,
        seed: a.seed,
        traffic: a.traffic,
        faults,
        rows: a.rows,
        token_ttl: Duration::from_secs(a.token_ttl),
        retry_interval: Duration::from_secs(a.retry_interval),
        demo: true,
        admin_password: a.admin_password,
        client_secret: a.client_secret,
        invalid_query: if a.invalid_query == "no-rows" { InvalidQuery::NoRows } else { InvalidQuery::Ignore },
        user_tz: a.user_tz,
        rate_limit,
        breaks,
        without,
    })
}

/// `N/hour` (the only period a rate-limit rule has).
fn parse_rate(s: &str) -> Option<u32> {
    let (n, per) = s.split_once('/')?;
    matches!(per.trim(), "hour" | "h").then_some(())?;
    n.trim().parse().ok().filter(|n| *n > 0)
}

pub async fn run(a: SimArgs) -> u8 {
    let mut signals = crate::signals::Signals::install();
    let load = a.load.clone().map(|p| (p, a.providers));
    let config = match config(a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hubtop sim: {e}");
            return exit::USAGE;
        }
    };
    let started = match load {
        None => sim::start(config).await,
        Some((path, providers)) => match crate::snapshot::Snapshot::read(&path) {
            Err(e) => {
                eprintln!("hubtop sim: --load {e}");
                return exit::USAGE;
            }
            Ok(snap) => crate::snapshot::load::start(&snap, providers, config).await.map(|(h, summary)| {
                eprintln!(
                    "loaded {} records of {} @ {} UTC",
                    snap.total(),
                    snap.header.source_name(),
                    snap.header.taken_at
                );
                for (title, does) in summary {
                    eprintln!("  provider {title}: {does}");
                }
                h
            }),
        },
    };
    let handle = match started {
        Ok(h) => h,
        Err(e) => {
            eprintln!("hubtop sim: {e}");
            return exit::FAILED;
        }
    };
    println!("listening on {}", handle.base_url);
    let _ = std::io::stdout().flush();
    signals.next().await;
    handle.shutdown().await;
    exit::OK
}
