//! `hubtop login --profile NAME`: reads the secret without echo and stores it in the keyring.

use crate::cli::Global;
use crate::config::{self, Config, Keyring};
use crate::exit;

pub fn login(g: &Global, config: &Config, keyring: &dyn Keyring) -> u8 {
    let Some(name) = g.profile.as_deref().or(config.default_profile.as_deref()) else {
        eprintln!(
            "hubtop: login needs --profile NAME (the profiles: hubtop config list; none yet: hubtop config init)"
        );
        return exit::USAGE;
    };
    let Some(p) = config.profiles.get(name) else {
        let next =
            if config.profiles.is_empty() { "create one: hubtop config init" } else { "see: hubtop config list" };
        eprintln!("hubtop: no profile `{name}` in {} ({next})", config::config_path().display());
        return exit::USAGE;
    };
    let mut wanted = vec![("secret", p.secret.as_ref())];
    if p.auth == config::AuthMethod::OauthPassword {
        wanted.push(("client_secret", p.client_secret.as_ref()));
    }
    let mut stored = 0;
    for (what, src) in wanted {
        if !src.is_some_and(|s| s.keyring) {
            continue;
        }
        let prompt = format!("{what} for profile {name}: ");
        let secret = match rpassword::prompt_password(prompt) {
            Ok(s) if !s.is_empty() => s,
            _ => {
                eprintln!("hubtop: no secret read; nothing stored");
                return exit::USAGE;
            }
        };
        if let Err(e) = keyring.set(name, what, &secret) {
            eprintln!("hubtop: {e}");
            return exit::FAILED;
        }
        stored += 1;
    }
    if stored == 0 {
        eprintln!(
            "hubtop: profile `{name}` takes no secret from the keyring (set `secret = {{ keyring = true }}`: hubtop config edit)"
        );
        return exit::USAGE;
    }
    println!("stored in the OS keyring for profile {name}");
    exit::OK
}
