//! `hubtop profiles`: every profile of the config — its instance, auth kind, protections —
//! and whether its instance answers now. No secret is fetched: each instance is asked,
//! all at once, for one row of `sys_user` without credentials; a 401 in the instance's
//! own words proves it is there as surely as a 200, an HTML page proves it is not (a
//! hibernating instance, a login portal, a proxy).

use std::time::Duration;

use serde_json::json;

use super::output::{Sheet, emit};
use crate::cli::Output;
use crate::client::{Auth, Client, ClientConfig, Error};
use crate::config::{AuthMethod, Config, Profile};
use crate::exit;

/// How long a probe may take, all attempts included.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The instance answered (the HTTP status; 401 without credentials is expected).
    Answers(u16),
    /// Something answered, but not a ServiceNow instance.
    NotAnInstance,
    /// No answer: unreachable, timed out, or TLS refused; the short reason.
    Down(String),
}

impl Reach {
    pub fn ok(&self) -> bool {
        matches!(self, Reach::Answers(_))
    }

    pub fn text(&self) -> String {
        match self {
            Reach::Answers(200) => "✔ answers".into(),
            Reach::Answers(s @ (401 | 403)) => format!("✔ answers (HTTP {s} without credentials)"),
            Reach::Answers(s) => format!("✔ answers (HTTP {s})"),
            Reach::NotAnInstance => "✖ not an instance (an HTML page answered)".into(),
            Reach::Down(why) => format!("✖ no answer: {why}"),
        }
    }
}

pub fn auth_kind(a: AuthMethod) -> &'static str {
    match a {
        AuthMethod::Basic => "basic",
        AuthMethod::OauthClient => "oauth_client",
        AuthMethod::OauthPassword => "oauth_password",
    }
}

/// Reads what an anonymous request's outcome says about the instance.
pub fn classify(r: &Result<(), Error>) -> Reach {
    match r {
        Ok(()) => Reach::Answers(200),
        Err(Error::Auth { status, .. }) => Reach::Answers(*status),
        Err(Error::Forbidden { .. }) => Reach::Answers(403),
        Err(Error::NotFound(_)) => Reach::Answers(404),
        Err(Error::NotInstalled { .. }) => Reach::Answers(400),
        Err(Error::RateLimited { .. }) => Reach::Answers(429),
        Err(Error::Server { status, .. }) => Reach::Answers(*status),
        Err(Error::NotAnInstance { .. }) => Reach::NotAnInstance,
        Err(Error::Invalid(why)) => Reach::Down(why.clone()),
        Err(e) => Reach::Down(e.short()),
    }
}

/// Probes one profile's instance: an anonymous GET of one `sys_user` row, with the
/// profile's TLS settings (`ca_file`, `insecure`), within [`PROBE_TIMEOUT`].
pub async fn probe(p: &Profile) -> Reach {
    // An empty user: no account is named, so no login failure counts against anyone.
    let mut c = ClientConfig::new(&p.instance, Auth::Basic { user: String::new(), password: String::new() });
    c.insecure = p.insecure;
    c.ca_file = p.ca_file.clone();
    c.connect_timeout = PROBE_TIMEOUT;
    c.first_byte_timeout = PROBE_TIMEOUT;
    c.timeout = PROBE_TIMEOUT;
    c.budget = PROBE_TIMEOUT;
    c.read_attempts = 1;
    let client = match Client::new(c) {
        Ok(c) => c,
        Err(e) => return Reach::Down(e.to_string()),
    };
    let q = [("sysparm_limit", "1".to_string()), ("sysparm_fields", "sys_id".to_string())];
    let asked = client.get_json("/api/now/table/sys_user", &q);
    match tokio::time::timeout(PROBE_TIMEOUT, asked).await {
        Ok(r) => classify(&r.map(|_| ())),
        Err(_) => Reach::Down(format!("no answer in {}s", PROBE_TIMEOUT.as_secs())),
    }
}

/// The protections of a profile, as the table shows them.
pub fn protection(p: &Profile) -> &'static str {
    match (p.read_only, p.production) {
        (true, true) => "read-only, prod",
        (true, false) => "read-only",
        (false, true) => "production",
        (false, false) => "—",
    }
}

/// Lists every profile with its reachability; exit code 4 when any does not answer.
pub async fn profiles(config: &Config, output: Output) -> u8 {
    // No profiles is an empty list (exit 0), with what to do next on stderr.
    if config.profiles.is_empty() {
        let path = crate::config::config_path();
        if path.exists() {
            eprintln!("hubtop: no profiles in {}: add one with `hubtop config edit`", path.display());
        } else {
            eprintln!(
                "hubtop: no config at {}: create one with `hubtop config init`, then add a profile (`hubtop config edit`)",
                path.display()
            );
        }
    }
    let reach = futures::future::join_all(config.profiles.values().map(probe)).await;
    let rows = config.profiles.iter().zip(&reach);
    let is_default = |name: &str| config.default_profile.as_deref() == Some(name);
    let sheet = Sheet {
        headers: vec!["profile", "instance", "auth", "protection", "status"],
        rows: rows
            .clone()
            .map(|((name, p), r)| {
                let star = if is_default(name) { "*" } else { "" };
                vec![
                    format!("{name}{star}"),
                    p.instance.clone(),
                    auth_kind(p.auth).into(),
                    protection(p).into(),
                    r.text(),
                ]
            })
            .collect(),
        objects: rows
            .clone()
            .map(|((name, p), r)| {
                json!({
                    "profile": name,
                    "instance": p.instance,
                    "auth": auth_kind(p.auth),
                    "read_only": p.read_only,
                    "production": p.production,
                    "default": is_default(name),
                    "answers": r.ok(),
                    "status": r.text(),
                })
            })
            .collect(),
        names: config.profiles.keys().cloned().collect(),
    };
    emit(&sheet.render(output));
    if reach.iter().all(Reach::ok) { exit::OK } else { exit::UNREACHABLE }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_in_the_instances_words_is_an_answer_an_html_page_is_not() {
        let auth = Err(Error::Auth { status: 401, message: "User Not Authenticated".into() });
        assert_eq!(classify(&auth), Reach::Answers(401));
        assert_eq!(classify(&Ok(())), Reach::Answers(200));
        assert_eq!(classify(&Err(Error::NotAnInstance { snippet: "<html>".into() })), Reach::NotAnInstance);
        assert_eq!(classify(&Err(Error::Network("refused".into()))), Reach::Down("unreachable".into()));
        assert!(!Reach::NotAnInstance.ok());
    }
}
