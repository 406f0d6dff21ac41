//! Harnesses that drive the real console without a terminal: the headless console used by
//! tests, the benchmark (`hubtop bench`) and the chaos run (`hubtop chaos`).

pub mod bench;
pub mod chaos;
pub mod headless;

use std::time::Duration;

use crate::exit;

/// `hubtop bench`: figures as a table, or one JSON object per line.
pub async fn bench_command(rows: Option<usize>, quick: bool, json: bool) -> u8 {
    let opts = bench::BenchOptions { rows: rows.unwrap_or(if quick { 20_000 } else { 1_000_000 }), quick };
    match bench::run(&opts).await {
        Ok(figs) => {
            if json {
                for f in &figs {
                    println!("{}", serde_json::to_string(f).unwrap_or_default());
                }
            } else {
                print!("{}", bench::table(&figs, &opts));
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("hubtop bench: {e}");
            exit::FAILED
        }
    }
}

/// `hubtop chaos`: exit 1 on any failed check.
pub async fn chaos_command(duration: &str, seed: u64) -> u8 {
    let secs = match crate::time::parse_duration(duration) {
        Ok(d) if d >= Duration::from_secs(4) => d,
        _ => {
            eprintln!("hubtop chaos: --duration takes a duration of at least 4s, like 60s or 2m");
            return exit::USAGE;
        }
    };
    match chaos::run(&chaos::ChaosOptions { duration: secs, seed }).await {
        Ok(report) => {
            print!("{}", report.summary());
            if report.passed() { exit::OK } else { exit::FAILED }
        }
        Err(e) => {
            eprintln!("hubtop chaos: {e}");
            exit::FAILED
        }
    }
}
