//! `auth/token/full`, `auth/token/revoke`, `auth/session/login` and `auth/session/logout`
//! (wire-protocol §4.1, §4.3).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{gate, read_json, read_optional_json, required};
use crate::directory::{LoginFailure, PrincipalKind, SyncPrincipal, ALL_GROUP};
use crate::error::V2Error;
use crate::routes::session::with_session_cookies;
use crate::routes::{empty, json, Access, AppState, Reply};
use crate::V2Endpoint;

/// Token lifetime when the request gives none (wire-protocol §4.3).
const DEFAULT_VALIDITY_SECS: i64 = 300;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenRequest {
    username: Option<String>,
    password: Option<String>,
    secret_key: Option<String>,
    validity_time_in_sec: Option<i64>,
    auto_create: Option<bool>,
    display_name: Option<String>,
    email: Option<String>,
    group_identifiers: Option<Vec<String>>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// Checks the secret key and, with `auto_create`, creates a missing user (JIT provisioning).
fn trusted_sign_in(
    state: &AppState,
    req: &TokenRequest,
    username: &str,
    secret: &str,
) -> Result<(), V2Error> {
    let Some(expected) = state.secret_key.as_deref() else {
        return Err(V2Error::trusted_auth_off());
    };
    if secret != expected {
        return Err(V2Error::bad_credentials(format!(
            "Authentication failed for user {username}: invalid secret key"
        )));
    }
    let mut directory = state.directory();
    if directory.user(username).is_some() {
        return Ok(());
    }
    if !req.auto_create.unwrap_or(false) {
        return Err(V2Error::bad_credentials(format!(
            "User {username} not found (send auto_create: true to create it)"
        )));
    }
    let created = SyncPrincipal {
        name: username.to_string(),
        display_name: req.display_name.clone(),
        description: None,
        principal_type_enum: PrincipalKind::LocalUser,
        group_names: std::iter::once(ALL_GROUP.to_string())
            .chain(req.group_identifiers.clone().unwrap_or_default())
            .collect(),
        visibility: None,
        mail: req.email.clone(),
        password: None,
    };
    directory
        .sync(&[created], true, false, None, state.now_ms())
        .map(|_| ())
        .map_err(|e| V2Error::bad_request(format!("Cannot create user {username}: {e}")))
}

fn password_sign_in(state: &AppState, username: &str, password: &str) -> Result<(), V2Error> {
    match state.directory().authenticate(username, password) {
        Ok(_) => Ok(()),
        Err(LoginFailure::BadCredentials) => Err(V2Error::bad_credentials(format!(
            "Authentication failed for user {username}: invalid username or password"
        ))),
        Err(LoginFailure::MfaRequired) => Err(V2Error::bad_credentials(format!(
            "Multi-factor authentication is enabled for {username}: use secret_key instead"
        ))),
    }
}

/// `POST auth/token/full`: a bearer token for a user, by password or trusted-auth secret key. When
/// both are sent the secret key wins (§7 Q16).
pub(super) async fn token_full(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::TokenFull, &parts, Access::Public).await?;
    let (req, _) = read_json::<TokenRequest>(&parts, body).await?;
    let username = required(&req.username, "username")?.to_string();
    let signed_in = match (given(&req.secret_key), given(&req.password)) {
        (Some(secret), _) => trusted_sign_in(&state, &req, &username, secret),
        (None, Some(password)) => password_sign_in(&state, &username, password),
        (None, None) => {
            return Err(
                V2Error::bad_request("Invalid request: send either password or secret_key").into(),
            )
        }
    };
    audit_sign_in(&state, &username, signed_in.is_ok());
    signed_in?;
    let validity = req.validity_time_in_sec.unwrap_or(DEFAULT_VALIDITY_SECS);
    if validity <= 0 {
        return Err(V2Error::bad_request(format!(
            "Invalid parameter value for validity_time_in_sec: {validity}"
        ))
        .into());
    }
    let user_id = state
        .directory()
        .user(&username)
        .map(|u| u.guid.clone())
        .unwrap_or_default();
    let created = state.now_ms();
    let expires = created.saturating_add(validity.saturating_mul(1000));
    let token = state.sessions().issue_expiring_token(&username, expires);
    let body = json!({
        "token": token,
        "creation_time_in_millis": created,
        "expiration_time_in_millis": expires,
        "scope": {"access_type": "FULL", "org_id": 0, "metadata_id": null},
        "valid_for_user_id": user_id,
        "valid_for_username": username,
    });
    Ok(ctx.finish(json(StatusCode::OK, &body)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RevokeRequest {
    token: Option<String>,
}

/// `POST auth/token/revoke`: revokes the token in the body, else the one the call was made with.
/// 204 (9.5.0.cl+).
pub(super) async fn token_revoke(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::TokenRevoke, &parts, Access::Session).await?;
    let req = read_optional_json::<RevokeRequest>(&parts, body).await?;
    if let Some(token) = given(&req.token).or(ctx.token.as_deref()) {
        state.sessions().revoke_token(token);
    }
    Ok(ctx.finish(empty(204)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginRequest {
    username: Option<String>,
    password: Option<String>,
    remember_me: Option<bool>,
}

/// `POST auth/session/login`: a cookie session, by username and password or by a bearer token in
/// `Authorization` (wire-protocol §4.1). 204 with `JSESSIONID` and `clientId`.
pub(super) async fn session_login(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::SessionLogin, &parts, Access::Public).await?;
    let req = read_optional_json::<LoginRequest>(&parts, body).await?;
    let username = match (given(&req.username), ctx.token.as_deref()) {
        (Some(username), _) => {
            let password = given(&req.password).unwrap_or_default();
            let signed_in = state.directory().authenticate(username, password).is_ok();
            audit_sign_in(&state, username, signed_in);
            if !signed_in {
                return Err(V2Error::unauthenticated(format!(
                    "Authentication failed for user {username}"
                ))
                .into());
            }
            username.to_string()
        }
        (None, Some(token)) => state
            .sessions()
            .user_of_token(token, state.now_ms())
            .map(String::from)
            .ok_or_else(|| V2Error::unauthenticated("Invalid, expired or revoked bearer token"))?,
        (None, None) => return Err(V2Error::bad_request("Missing required field: username").into()),
    };
    let guid = state
        .directory()
        .user(&username)
        .map(|u| u.guid.clone())
        .unwrap_or_default();
    let (session, client) = state.sessions().open(&username);
    Ok(ctx.finish(with_session_cookies(
        empty(204),
        &session,
        &client,
        &guid,
        req.remember_me.unwrap_or(false),
    )))
}

/// `POST auth/session/logout`: ends the cookie session. 204.
pub(super) async fn session_logout(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::SessionLogout, &parts, Access::Session).await?;
    read_optional_json::<serde_json::Value>(&parts, body).await?;
    if let Some(session) = &ctx.session {
        state.sessions().close(session);
    }
    Ok(ctx.finish(empty(204)))
}

/// Records a sign-in in the audit log: a failed one names the user it tried in `data` only, as
/// ThoughtSpot's events do.
pub(in crate::routes) fn audit_sign_in(state: &AppState, username: &str, succeeded: bool) {
    let data = json!({"userName": username});
    if succeeded {
        state.audit(
            "LOGIN_SUCCESSFUL",
            "User login successful",
            Some(username),
            data,
        );
    } else {
        state.audit("LOGIN_FAILED", "User login failed", None, data);
    }
}
