//! Credentials and the OAuth token cache. Tokens live in memory only and are never
//! logged: `Debug` of every type here hides them.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::time::Instant;

use super::status::{backoff, check_status};
use super::{Client, Error, Result, lenient, record};

#[derive(Clone)]
pub enum Auth {
    Basic {
        user: String,
        password: String,
    },
    /// OAuth client credentials grant.
    OAuthClient {
        client_id: String,
        client_secret: String,
    },
    /// OAuth password grant.
    OAuthPassword {
        client_id: String,
        client_secret: String,
        user: String,
        password: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Auth::OAuthClient { client_id, .. } => write!(f, "OAuthClient({client_id}, ***)"),
            Auth::OAuthPassword { client_id, user, .. } => write!(f, "OAuthPassword({client_id}, {user}, ***)"),
        }
    }
}

impl Auth {
    /// Who the header shows: the user, or the OAuth client.
    pub fn principal(&self) -> &str {
        match self {
            Auth::Basic { user, .. } | Auth::OAuthPassword { user, .. } => user,
            Auth::OAuthClient { client_id, .. } => client_id,
        }
    }

    pub fn is_oauth(&self) -> bool {
        !matches!(self, Auth::Basic { .. })
    }

    /// The form of a token request; a refresh token is used when there is one.
    pub fn token_form(&self, refresh: Option<&str>) -> Vec<(&'static str, String)> {
        let (id, secret) = match self {
            Auth::OAuthClient { client_id, client_secret } | Auth::OAuthPassword { client_id, client_secret, .. } => {
                (client_id.clone(), client_secret.clone())
            }
            Auth::Basic { .. } => return Vec::new(),
        };
        let mut form = vec![("client_id", id), ("client_secret", secret)];
        match (refresh, self) {
            (Some(rt), _) => {
                form.push(("grant_type", "refresh_token".into()));
                form.push(("refresh_token", rt.to_string()));
            }
            (None, Auth::OAuthPassword { user, password, .. }) => {
                form.push(("grant_type", "password".into()));
                form.push(("username", user.clone()));
                form.push(("password", password.clone()));
            }
            _ => form.push(("grant_type", "client_credentials".into())),
        }
        form
    }
}

#[derive(Clone)]
pub struct Token {
    pub access: String,
    pub refresh: Option<String>,
    pub expires_at: Instant,
    /// Refreshed this long before it expires, so no request races the expiry.
    pub margin: Duration,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(***, expires in {:?})", self.expires_at.saturating_duration_since(Instant::now()))
    }
}

impl Token {
    pub fn new(access: String, refresh: Option<String>, expires_in: Duration) -> Token {
        let margin = Duration::from_secs(60).min(expires_in / 5);
        Token { access, refresh, expires_at: Instant::now() + expires_in, margin }
    }

    pub fn fresh(&self) -> bool {
        Instant::now() + self.margin < self.expires_at
    }
}

impl Client {
    /// A bearer token that is fresh, fetching or refreshing one if needed.
    pub(super) async fn bearer(&self, force: bool) -> Result<String> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref().filter(|t| !force && t.fresh()) {
            return Ok(t.access.clone());
        }
        let refresh = slot.as_ref().and_then(|t| t.refresh.clone());
        let token = match refresh {
            Some(rt) => match self.fetch_token(Some(&rt)).await {
                Ok(t) => t,
                Err(e @ Error::RateLimited { until: Some(_), .. }) => return Err(e),
                Err(_) => self.fetch_token(None).await?,
            },
            None => self.fetch_token(None).await?,
        };
        let access = token.access.clone();
        *slot = Some(token);
        Ok(access)
    }

    async fn fetch_token(&self, refresh: Option<&str>) -> Result<Token> {
        let form = self.config.auth.token_form(refresh);
        let mut last = Error::Network("no attempt".into());
        for attempt in 0..self.config.read_attempts {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt, &last)).await;
            }
            if let Some(e) = self.gate_closed() {
                return Err(e);
            }
            let _permit = self.limiter.acquire().await;
            let req = self.http.post(self.url("/oauth_token.do")).form(&form);
            let ans = match self.exchange(req, self.config.first_byte_timeout).await {
                Ok(a) => a,
                Err(f) if f.error.is_transient() => {
                    last = f.error;
                    continue;
                }
                Err(f) => return Err(f.error),
            };
            self.monitor.observe(&ans.headers);
            if ans.status == StatusCode::TOO_MANY_REQUESTS
                && let Some(e) = self.long_rate_limit(&ans)
            {
                return Err(e);
            }
            if ans.status == StatusCode::UNAUTHORIZED || ans.status == StatusCode::BAD_REQUEST {
                let v = lenient::parse(&ans.body).unwrap_or(Value::Null);
                let why = v.get("error_description").and_then(Value::as_str).unwrap_or("token request refused");
                return Err(Error::Auth {
                    status: ans.status.as_u16(),
                    message: format!("OAuth: {}", crate::sanitize::sanitize(why)),
                });
            }
            match check_status(&ans, "/oauth_token.do").and_then(|_| record::decode_envelope(&ans.body)) {
                Ok(v) => {
                    let access = v.get("access_token").and_then(Value::as_str).unwrap_or("");
                    if access.is_empty() {
                        return Err(Error::Decode {
                            what: "token answer has no access_token".into(),
                            snippet: String::new(),
                        });
                    }
                    let expires = v
                        .get("expires_in")
                        .and_then(|e| e.as_u64().or_else(|| e.as_str()?.parse().ok()))
                        .unwrap_or(1800);
                    let refresh = v.get("refresh_token").and_then(Value::as_str).map(str::to_string);
                    return Ok(Token::new(access.to_string(), refresh, Duration::from_secs(expires)));
                }
                Err(e) if e.is_transient() => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }
}
