//! `hubtop snapshot`: an instance's integration state into one file (GET only).

use std::time::Instant;

use crate::cli::args::SnapshotArgs;
use crate::cli::global::Global;
use crate::config::{Config, OsKeyring};
use crate::exit;
use crate::snapshot::take::{self, Options};
use crate::target::Target;

/// `7d`, `12h`, `90m`, `30s`, `2w`.
pub fn parse_since(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    chrono::Duration::try_seconds(n.checked_mul(secs)?)
}

pub async fn run(g: &Global, config: &Config, a: SnapshotArgs) -> u8 {
    let mut signals = crate::signals::Signals::install();
    let Some(since) = parse_since(&a.since) else {
        eprintln!("hubtop snapshot: --since `{}` is not like 7d, 12h or 90m", a.since);
        return exit::USAGE;
    };
    let target = match Target::resolve(g, config, &OsKeyring) {
        Ok(t) => t,
        Err((code, msg)) => return refuse(code, &msg),
    };
    if target.client.is_none() {
        return refuse(
            exit::USAGE,
            "snapshot needs an instance: --profile NAME or --instance URL (for the embedded one, start \
             `hubtop sim` and pass its URL)",
        );
    }
    let (client, _) = match target.connect(false).await {
        Ok(x) => x,
        Err((code, msg)) => return refuse(code, &msg),
    };
    let opts = Options { since, keep_payloads: a.keep_payloads, profile: target.profile.clone(), progress: true };
    let t0 = Instant::now();
    let snap = tokio::select! {
        r = take::take(&client, &opts) => r,
        s = signals.next() => {
            eprintln!("\nhubtop snapshot: interrupted ({}): nothing written", s.name());
            return s.exit_code();
        }
    };
    let snap = match snap {
        Ok(s) => s,
        Err(e) => return refuse(exit::FAILED, &format!("snapshot failed, nothing written: {e}")),
    };
    // Written whole to a temporary file and renamed: a signal now waits for the rename.
    let out = a.output.clone();
    let written = tokio::task::spawn_blocking(move || snap.write(&out).map(|size| (size, snap))).await;
    let (size, snap) = match written {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return refuse(exit::FAILED, &format!("cannot write {}: {e}", a.output.display())),
        Err(e) => return refuse(exit::FAILED, &format!("cannot write {}: {e}", a.output.display())),
    };
    let per: Vec<String> =
        snap.records.iter().map(|(e, r)| format!("{} {}", crate::snapshot::table_key(*e), r.len())).collect();
    eprintln!(
        "hubtop snapshot: wrote {} ({} bytes): {} records ({}), {} requests, {:.1}s; payloads {}",
        a.output.display(),
        size,
        snap.total(),
        per.join(", "),
        snap.requests,
        t0.elapsed().as_secs_f64(),
        snap.header.payloads,
    );
    exit::OK
}

fn refuse(code: u8, msg: &str) -> u8 {
    eprintln!("hubtop snapshot: {msg}");
    code
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_parse() {
        assert_eq!(super::parse_since("7d"), chrono::Duration::try_days(7));
        assert_eq!(super::parse_since("90m"), chrono::Duration::try_minutes(90));
        assert_eq!(super::parse_since("7"), None);
        assert_eq!(super::parse_since("d"), None);
        assert_eq!(super::parse_since("0d"), None);
    }
}
