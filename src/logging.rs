//! Logs go to a daily-rotated file in the data directory, never to the terminal (the
//! console owns it). Nothing secret is logged: credentials and tokens only ever appear
//! through `Debug` impls that mask them.

use tracing_appender::non_blocking::WorkerGuard;

/// Starts file logging at `level`; keep the guard alive to flush on exit.
pub fn init(level: &str) -> Option<WorkerGuard> {
    let dir = crate::config::data_dir().join("logs");
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
    let filter = tracing_subscriber::EnvFilter::try_new(format!("hubtop={level},warn"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("hubtop=info,warn"));
    let ok = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().is_ok();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "hubtop started");
    ok.then_some(guard)
}
