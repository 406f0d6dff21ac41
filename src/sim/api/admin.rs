//! OAuth tokens (`/oauth_token.do`) and the instance's own test hooks (`/sim/…`).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::{Map, json};

use super::{S, error};
use crate::sim::auth::Grant;

/// A token answer as a real instance gives it: `expires_in` a number, and a refresh
/// token only for grants that carry a user (none for client credentials; RFC 6749
/// §4.4.3 says it should not be included, and a real instance leaves it out).
pub async fn oauth(State(sim): S, Form(f): Form<HashMap<String, String>>) -> Response {
    let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let grant = match g("grant_type") {
        "client_credentials" => {
            Grant::ClientCredentials { client_id: g("client_id"), client_secret: g("client_secret") }
        }
        "password" => Grant::Password {
            client_id: g("client_id"),
            client_secret: g("client_secret"),
            username: g("username"),
            password: g("password"),
        },
        "refresh_token" => Grant::Refresh {
            client_id: g("client_id"),
            client_secret: g("client_secret"),
            refresh_token: g("refresh_token"),
        },
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "unsupported_grant_type", "error_description": "unsupported grant type"})),
            )
                .into_response();
        }
    };
    match sim.auth.grant(grant) {
        Ok(t) => {
            let mut m = Map::new();
            m.insert("access_token".into(), json!(t.access_token));
            if let Some(r) = t.refresh_token {
                m.insert("refresh_token".into(), json!(r));
            }
            m.insert("scope".into(), json!("useraccount"));
            m.insert("token_type".into(), json!("Bearer"));
            m.insert("expires_in".into(), json!(t.expires_in));
            Json(m).into_response()
        }
        Err(why) => (StatusCode::UNAUTHORIZED, Json(json!({"error": "access_denied", "error_description": why})))
            .into_response(),
    }
}

pub async fn counters(State(sim): S) -> Response {
    Json(sim.counters.snapshot()).into_response()
}

pub async fn set_faults(State(sim): S, body: String) -> Response {
    match crate::sim::Faults::parse(&body) {
        Ok(f) => {
            sim.set_faults(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "Invalid fault spec", Some(&e)),
    }
}
