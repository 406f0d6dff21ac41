//! Logs go to a daily-rotated file in the data directory, never to the terminal (the
//! console owns it). Nothing secret is logged: credentials and tokens only ever appear
//! through `Debug` impls that mask them.
//!
//! The filter is, first found: `--log-level`, `HUBTOP_LOG`, `RUST_LOG` (both in
//! `EnvFilter` syntax, e.g. `hubtop=debug,reqwest=info`), then `hubtop=info,warn`.
//! A panic's message and backtrace are appended to the log and its path printed.

use std::io::Write;
use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;

/// The levels `--log-level` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// The directory of the log files.
pub fn dir() -> PathBuf {
    crate::config::data_dir().join("logs")
}

/// Today's log file (the appender names files by UTC date).
pub fn current_file() -> PathBuf {
    dir().join(format!("hubtop.{}.log", chrono::Utc::now().format("%Y-%m-%d")))
}

/// The filter directives: the flag, else `HUBTOP_LOG`, else `RUST_LOG`, else the default.
/// Returns the directives and where they came from.
pub fn directives(flag: Option<LogLevel>, get: &dyn Fn(&str) -> Option<String>) -> (String, &'static str) {
    if let Some(l) = flag {
        return (format!("hubtop={},warn", l.as_str()), "--log-level");
    }
    for var in ["HUBTOP_LOG", "RUST_LOG"] {
        if let Some(v) = get(var).filter(|v| !v.trim().is_empty()) {
            return (v, if var == "HUBTOP_LOG" { "HUBTOP_LOG" } else { "RUST_LOG" });
        }
    }
    ("hubtop=info,warn".into(), "default")
}

/// Starts file logging; keep the guard alive to flush on exit. A filter that does not
/// parse is reported on stderr and the default is used instead.
pub fn init(flag: Option<LogLevel>) -> Option<WorkerGuard> {
    let dir = dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return None;
    }
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("hubtop")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let (spec, from) = directives(flag, &|k| std::env::var(k).ok());
    let filter = tracing_subscriber::EnvFilter::try_new(&spec).unwrap_or_else(|e| {
        eprintln!("hubtop: {from}: `{spec}` is not a log filter ({e}); logging at info");
        tracing_subscriber::EnvFilter::new("hubtop=info,warn")
    });
    let ok = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().is_ok();
    install_panic_hook();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "hubtop started");
    ok.then_some(guard)
}

/// Appends a panic's message, place and backtrace to today's log (synchronously: the
/// process may be about to end) and says where on stderr. Chains to the hook that was
/// there before, which prints the usual message.
///
/// Call before the console installs its own hook (`tui::install_panic_hook`), which
/// wraps this one: the terminal is restored first, then this runs, so the path is
/// printed on a normal screen.
pub fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let path = current_file();
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
        let trace = std::backtrace::Backtrace::force_capture();
        let entry = format!(
            "{} PANIC thread '{thread}' panicked{place}: {msg}\nbacktrace:\n{trace}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ")
        );
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(entry.as_bytes()))
            .is_ok();
        prev(info);
        if written {
            eprintln!("hubtop: internal error; the message and backtrace are in {}", path.display());
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_then_hubtop_log_then_rust_log_then_the_default() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let both = env(&[("HUBTOP_LOG", "hubtop=trace"), ("RUST_LOG", "debug")]);
        assert_eq!(directives(Some(LogLevel::Warn), &both), ("hubtop=warn,warn".into(), "--log-level"));
        assert_eq!(directives(None, &both), ("hubtop=trace".into(), "HUBTOP_LOG"));
        assert_eq!(directives(None, &env(&[("RUST_LOG", "reqwest=debug")])), ("reqwest=debug".into(), "RUST_LOG"));
        assert_eq!(directives(None, &env(&[("HUBTOP_LOG", " ")])).1, "default");
        assert_eq!(directives(None, &env(&[])), ("hubtop=info,warn".into(), "default"));
    }
}
