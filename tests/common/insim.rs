//! The embedded instance in the test's own process, and clients for it or for a stub.

use std::time::Duration;

use hubtop::client::{Auth, Client, ClientConfig};
use hubtop::sim::SimConfig;

/// No demo data beyond the seed, no traffic, no automatic retries: nothing changes on
/// the instance but what the test does.
pub fn quiet() -> SimConfig {
    SimConfig { demo: false, traffic: 0, retry_interval: Duration::from_secs(3600), ..Default::default() }
}

pub fn basic() -> Auth {
    Auth::Basic { user: "admin".into(), password: "admin".into() }
}

/// A client of `url` without a rate limit, with `f` applied to its configuration.
pub fn client_with(url: &str, auth: Auth, f: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut c = ClientConfig::new(url, auth);
    c.rps = 0.0;
    f(&mut c);
    Client::new(c).expect("client")
}

/// A client of `url` as admin, without a rate limit.
pub fn client(url: &str) -> Client {
    client_with(url, basic(), |_| {})
}
