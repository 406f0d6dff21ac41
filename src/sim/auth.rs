//! Authentication as a real instance does it: Basic `admin`/`admin`, and OAuth tokens
//! from `POST /oauth_token.do` (client credentials, password, refresh token grants).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use parking_lot::Mutex;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "admin";
pub const CLIENT_ID: &str = "hubtop";
pub const CLIENT_SECRET: &str = "hubtop";

pub struct Tokens {
    ttl: Duration,
    /// The admin password and OAuth client secret this instance accepts.
    password: String,
    client_secret: String,
    access: Mutex<HashMap<String, Instant>>,
    refresh: Mutex<HashMap<String, Instant>>,
    counter: Mutex<u64>,
}

#[derive(Debug, PartialEq)]
pub enum Grant<'a> {
    ClientCredentials { client_id: &'a str, client_secret: &'a str },
    Password { client_id: &'a str, client_secret: &'a str, username: &'a str, password: &'a str },
    Refresh { client_id: &'a str, client_secret: &'a str, refresh_token: &'a str },
}

pub struct Issued {
    pub access_token: String,
    /// None for client credentials: there is no user session to refresh.
    pub refresh_token: Option<String>,
    /// Seconds, as a real instance counts them: one less than the token's lifespan.
    pub expires_in: u64,
}

impl Tokens {
    pub fn new(ttl: Duration) -> Self {
        Self::with_secrets(ttl, PASSWORD, CLIENT_SECRET)
    }

    pub fn with_secrets(ttl: Duration, password: &str, client_secret: &str) -> Self {
        Tokens {
            ttl,
            password: password.to_string(),
            client_secret: client_secret.to_string(),
            access: Mutex::default(),
            refresh: Mutex::default(),
            counter: Mutex::new(0),
        }
    }

    fn mint(&self, kind: &str) -> String {
        let mut c = self.counter.lock();
        *c += 1;
        let noise = Instant::now().elapsed().as_nanos() as u64 ^ (*c).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        format!("{kind}{:016x}{:08x}", noise, *c)
    }

    /// Issues tokens for a grant, or says why not (the `error_description`).
    pub fn grant(&self, g: Grant<'_>) -> Result<Issued, &'static str> {
        let client_ok = |id: &str, secret: &str| id == CLIENT_ID && secret == self.client_secret;
        let with_refresh = !matches!(g, Grant::ClientCredentials { .. });
        match g {
            Grant::ClientCredentials { client_id, client_secret } if client_ok(client_id, client_secret) => {}
            Grant::Password { client_id, client_secret, username, password } if client_ok(client_id, client_secret) => {
                if username != USER || password != self.password {
                    return Err("access_denied");
                }
            }
            Grant::Refresh { client_id, client_secret, refresh_token } if client_ok(client_id, client_secret) => {
                let valid = self.refresh.lock().get(refresh_token).is_some_and(|exp| *exp > Instant::now());
                if !valid {
                    return Err("invalid refresh token");
                }
            }
            _ => return Err("access_denied"),
        }
        let access_token = self.mint("at");
        let now = Instant::now();
        self.access.lock().insert(access_token.clone(), now + self.ttl);
        let refresh_token = with_refresh.then(|| {
            let r = self.mint("rt");
            self.refresh.lock().insert(r.clone(), now + Duration::from_secs(100 * 86_400));
            r
        });
        Ok(Issued { access_token, refresh_token, expires_in: self.ttl.as_secs().saturating_sub(1) })
    }

    /// Whether an `Authorization` header value grants access.
    pub fn check(&self, header: Option<&str>) -> bool {
        let Some(h) = header else { return false };
        if let Some(b) = h.strip_prefix("Basic ") {
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b.trim()) else { return false };
            return bytes == format!("{USER}:{}", self.password).as_bytes();
        }
        if let Some(t) = h.strip_prefix("Bearer ") {
            let mut map = self.access.lock();
            let now = Instant::now();
            map.retain(|_, exp| *exp > now);
            return map.contains_key(t.trim());
        }
        false
    }

    /// Expires every access token at once (chaos: "token expiry").
    pub fn expire_all(&self) {
        self.access.lock().clear();
    }
}
