//! Credentials and the OAuth token cache. Tokens live in memory only and are never
//! logged: `Debug` of every type here hides them.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

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
