//! Shutdown signals, installed before anything announces readiness: a signal that
//! arrives between "listening on …" and the handler would otherwise take the default
//! action and kill the process without the orderly exit (and exit code 0) it owes.
//! The console and the CLI answer one by stopping to send, waiting a bounded time
//! ([`GRACE`]) for what is in flight and recording the rest as "unknown" (see
//! [`crate::ops::flight`]).

use std::time::Duration;

/// How long a signalled process waits for the answers of what it already sent.
pub const GRACE: Duration = Duration::from_secs(5);

/// Which signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Hup,
    Int,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Hup => "SIGHUP",
            Signal::Int => "SIGINT",
        }
    }

    /// The shell's convention for a process ended by this signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        128 + match self {
            Signal::Hup => 1,
            Signal::Int => 2,
            Signal::Term => 15,
        }
    }
}

/// SIGTERM, SIGHUP and SIGINT. In the console's raw mode ctrl-c arrives as a key;
/// these come from `kill` or a closed terminal.
pub struct Signals {
    #[cfg(unix)]
    streams: Vec<(Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    /// Installs the handlers now (needs a tokio runtime).
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (Signal::Term, SignalKind::terminate()),
                (Signal::Hup, SignalKind::hangup()),
                (Signal::Int, SignalKind::interrupt()),
            ];
            Signals { streams: kinds.into_iter().filter_map(|(s, k)| signal(k).ok().map(|h| (s, h))).collect() }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves when any of the signals arrives, with which.
    pub async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let recvs = self.streams.iter_mut().map(|(s, h)| {
                let s = *s;
                Box::pin(async move {
                    h.recv().await;
                    s
                })
            });
            futures::future::select_all(recvs).await.0
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Int
        }
    }
}
