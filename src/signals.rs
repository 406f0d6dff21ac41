//! Shutdown signals, installed before anything announces readiness: a signal that
//! arrives between "listening on …" and the handler would otherwise take the default
//! action and kill the process without the orderly exit (and exit code 0) it owes.

/// SIGTERM, SIGHUP and SIGINT. In the console's raw mode ctrl-c arrives as a key;
/// these come from `kill` or a closed terminal.
pub struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Installs the handlers now (needs a tokio runtime).
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [SignalKind::terminate(), SignalKind::hangup(), SignalKind::interrupt()];
            Signals { streams: kinds.into_iter().filter_map(|k| signal(k).ok()).collect() }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves when any of the signals arrives.
    pub async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let recvs = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            futures::future::select_all(recvs).await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
