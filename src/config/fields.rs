//! The parts of the config file that need more than serde: the view to open with, the
//! `[keys]` table (where a top-level setting appended to the end of the file lands),
//! and instance URLs (no credentials in them, and none echoed in an error).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Deserializer};

use crate::domain::Entity;

/// Every top-level setting, in the order the default config lists them. A line
/// appended after the last table belongs to that table, so these names inside a table
/// get a hint instead of a bare "unknown".
pub const TOP_LEVEL: &[&str] = &["default_profile", "default_view", "theme", "mouse", "audit_max_mb", "audit_keep"];

/// The hint for a top-level setting found inside a table.
pub fn misplaced(name: &str) -> String {
    format!("`{name}` is a top-level setting: move it above the first [table]")
}

/// The view the console opens with: the overview, the fleet, or the list of a kind
/// that has one (by the kind's name, from the domain's registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultView {
    #[default]
    Overview,
    /// One row per profile.
    Fleet,
    List(Entity),
}

impl DefaultView {
    pub const ALL: &[DefaultView] = &{
        let mut all = [DefaultView::Overview; 2 + Entity::LISTED.len()];
        all[1] = DefaultView::Fleet;
        let mut i = 0;
        while i < Entity::LISTED.len() {
            all[i + 2] = DefaultView::List(Entity::LISTED[i]);
            i += 1;
        }
        all
    };

    /// The name used in the file and in `:name` in the console.
    pub fn name(self) -> &'static str {
        match self {
            DefaultView::Overview => "overview",
            DefaultView::Fleet => "fleet",
            DefaultView::List(e) => e.name(),
        }
    }
}

impl<'de> Deserialize<'de> for DefaultView {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        static NAMES: LazyLock<Vec<&'static str>> =
            LazyLock::new(|| DefaultView::ALL.iter().map(|v| v.name()).collect());
        let name = String::deserialize(d)?;
        match DefaultView::ALL.iter().find(|v| v.name() == name) {
            Some(v) => Ok(*v),
            None => Err(serde::de::Error::unknown_variant(&name, &NAMES)),
        }
    }
}

/// `[keys]`: action = "key". A top-level setting here was meant above the first table.
pub fn keys_table<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    use serde::de::Error;
    let raw = BTreeMap::<String, toml::Value>::deserialize(d)?;
    let mut keys = BTreeMap::new();
    for (action, v) in raw {
        if TOP_LEVEL.contains(&action.as_str()) {
            return Err(D::Error::custom(format!("[keys]: {}", misplaced(&action))));
        }
        match v {
            toml::Value::String(k) => {
                keys.insert(action, k);
            }
            _ => {
                return Err(D::Error::custom(format!(
                    "[keys]: `{action}` takes a key in quotes, e.g. {action} = \"ctrl-t\""
                )));
            }
        }
    }
    Ok(keys)
}

/// Adds the hint to serde's "unknown field `x`" when `x` is a top-level setting
/// (it was appended under a profile's table).
pub fn with_hint(message: &str) -> String {
    let unknown = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next());
    match unknown {
        Some(name) if TOP_LEVEL.contains(&name) => format!("{}; {}", message.trim_end(), misplaced(name)),
        _ => message.to_string(),
    }
}

/// The URL with any `user:password@` removed, for messages.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    if scheme.is_empty() { format!("{host}{path}") } else { format!("{scheme}://{host}{path}") }
}

/// What is wrong with an instance URL, never echoing credentials: it must be http(s),
/// with a host, and no `user:password@` (the user goes in `user`, the password in `secret`).
pub fn instance_url_problem(url: &str) -> Option<String> {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Some(format!("instance `{}` must be a URL starting with https://", redact(url)));
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.contains('@') {
        return Some(format!(
            "instance `{}` must not carry credentials (user:password@): put the user in `user` and the password \
             in `secret`",
            redact(url)
        ));
    }
    if authority.is_empty() {
        return Some("instance has no host".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_refused_and_never_echoed() {
        let p = instance_url_problem("https://admin:s3cr3t@acme.service-now.com/x").unwrap();
        assert!(p.contains("credentials") && p.contains("acme.service-now.com/x"), "{p}");
        assert!(!p.contains("s3cr3t") && !p.contains("admin"), "{p}");
        let p = instance_url_problem("ftp://u:pw@x").unwrap();
        assert!(!p.contains("pw"), "{p}");
        assert_eq!(instance_url_problem("https://acme.service-now.com"), None);
        assert_eq!(instance_url_problem("http://127.0.0.1:8080/"), None);
        assert!(instance_url_problem("https://").is_some());
        // An @ in the path is not a credential.
        assert_eq!(instance_url_problem("https://acme.example.com/a@b"), None);
    }

    #[test]
    fn the_hint_is_added_only_for_top_level_names() {
        assert!(with_hint("unknown field `theme`, expected one of …").contains("move it above the first [table]"));
        assert_eq!(with_hint("unknown field `pasword`, expected …"), "unknown field `pasword`, expected …");
    }
}
