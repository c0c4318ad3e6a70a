//! `session/*`: login, logout, info and trusted authentication (wire-protocol §2.1–§2.5).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{empty, json, Access, AppState, Reply};
use crate::directory::{LoginFailure, Principal, PrincipalKind, SyncPrincipal, ALL_GROUP};
use crate::error::{code, V1Error};
use crate::params::{parse_bool, parse_list, Params};
use crate::Endpoint;

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, V1Error> {
    params
        .get(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| V1Error::bad_request(format!("Missing required parameter: {name}")))
}

/// Adds the session cookies of wire-protocol §1.6 to `response`.
pub(super) fn with_session_cookies(
    mut response: Response,
    session: &str,
    client: &str,
    user_guid: &str,
    remember: bool,
) -> Response {
    let max_age = if remember { "; Max-Age=604800" } else { "" };
    let headers = response.headers_mut();
    for cookie in [
        format!("JSESSIONID={session}; Path=/; HttpOnly{max_age}"),
        format!("clientId={client}; Path=/; Secure; HttpOnly"),
        format!("userGUID={user_guid}; Path=/"),
        "Callosum-Download-Initiated=false; Path=/".to_string(),
    ] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

pub(super) async fn login(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::SessionLogin, &parts, Access::Public)
        .await?;
    let params = Params::read(&parts, body).await?;
    super::expect_form(&params)?;
    let username = required(&params, "username")?;
    let password = params.get("password").unwrap_or_default();
    let remember = parse_bool("rememberme", params.get("rememberme"), false)?;
    let signed_in = state.directory().authenticate(username, password).is_ok();
    super::v2::audit_sign_in(&state, username, signed_in);
    let guid = {
        let directory = state.directory();
        match directory.authenticate(username, password) {
            Ok(user) => user.guid.clone(),
            Err(LoginFailure::BadCredentials) => {
                return Err(V1Error::unauthenticated(format!("Authentication failed for user {username}")).into())
            }
            Err(LoginFailure::MfaRequired) => {
                return Err(V1Error::new(
                    state.profile.mfa_status,
                    code::UNAUTHENTICATED,
                    format!("Multi-factor authentication is enabled for {username}: basic login is not allowed"),
                )
                .into())
            }
        }
    };
    let (session, client) = state.sessions().open(username);
    Ok(ctx.finish(with_session_cookies(
        empty(state.profile.login_status),
        &session,
        &client,
        &guid,
        remember,
    )))
}

pub(super) async fn logout(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::SessionLogout, &parts, Access::Session)
        .await?;
    Params::read(&parts, body).await?;
    if let Some(session) = &ctx.session {
        state.sessions().close(session);
    }
    state.audit(
        "LOGOUT_SUCCESSFUL",
        "User logout successful",
        Some(ctx.user()),
        serde_json::json!({}),
    );
    Ok(ctx.finish(empty(state.profile.logout_status)))
}

pub(super) async fn info(State(state): State<AppState>, request: Request) -> Reply {
    let is_post = request.method() == axum::http::Method::POST;
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::SessionInfo, &parts, Access::Session)
        .await?;
    Params::read(&parts, body).await?;
    if is_post && !state.profile.session_info_accepts_post {
        return Err(V1Error::new(
            405,
            code::BAD_REQUEST,
            "session/info answers GET only on this cluster",
        )
        .into());
    }
    let now = state.now_ms();
    let body = {
        let directory = state.directory();
        let Some(user) = directory.user(ctx.user()) else {
            return Err(V1Error::unauthenticated("The session's user no longer exists").into());
        };
        let privileges: Vec<String> = directory.privileges_of(&user.name).into_iter().collect();
        let groups: Vec<String> = directory.groups_of(&user.name).into_iter().collect();
        let token = state.sessions().bearer_for(&user.name);
        serde_json::json!({
            "userName": user.name,
            "userDisplayName": user.display_name,
            "userEmail": user.mail,
            "userCreatedTime": user.created_ms,
            "userExpirationTime": now + 365 * 86_400_000_i64,
            "userGUID": user.guid,
            "userGroupNames": groups,
            "apiVersion": "v1",
            "releaseVersion": state.profile.release_version,
            "canChangePassword": true,
            "isSystemUser": user.name == "system" || user.name == "su",
            "logicalModelVersion": 512,
            "userGroupMask": 4,
            "privileges": privileges,
            "expirationTime": now / 1000 + 3 * 3600,
            "authToken": token,
            "locale": "en_US",
            "timezone": state.timezone,
            "dateFormat": {"formatPattern": "MM/dd/yyyy"},
            "timeFormat": {"formatPattern": "HH:mm:ss"},
            "dateTimeFormat": {"formatPattern": "MM/dd/yyyy HH:mm"},
            "integerFormat": {},
            "decimalFormat": {},
            "clientState": {},
            "configInfo": {
                "defaultChartDataSize": 5000,
                "maxFilterValues": 10000,
                "highCardinalityMaxDataSize": 100_000,
                "emulatorProfile": state.profile.name,
            },
        })
    };
    Ok(ctx.finish(json(StatusCode::OK, &body)))
}

pub(super) async fn auth_token(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::SessionAuthToken, &parts, Access::Public)
        .await?;
    let params = Params::read(&parts, body).await?;
    super::expect_form(&params)?;
    let Some(secret) = state.secret_key.as_deref() else {
        return Err(V1Error::internal("Token-based trusted authentication is not enabled").into());
    };
    let given = required(&params, "secret_key")?;
    let username = required(&params, "username")?;
    let access = required(&params, "access_level")?;
    match access {
        "FULL" => {}
        "REPORT_BOOK_VIEW" => {
            let id = required(&params, "id")?;
            if state.catalog().object(id).is_none() {
                return Err(V1Error::bad_request(format!(
                    "Invalid parameter value for id: no object {id}"
                ))
                .into());
            }
        }
        other => {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for access_level: '{other}' (use FULL or REPORT_BOOK_VIEW)"
            ))
            .into())
        }
    }
    if given != secret {
        return Err(V1Error::unauthenticated("Invalid secret key").into());
    }
    let autocreate = parse_bool("autocreate", params.get("autocreate"), false)?;
    {
        let mut directory = state.directory();
        if directory.user(username).is_none() {
            if !autocreate {
                return Err(V1Error::new(
                    state.profile.unknown_user_status,
                    code::BAD_REQUEST,
                    format!("User {username} not found (send autocreate=true to create it)"),
                )
                .into());
            }
            let groups = params.get("groups").map(parse_list).unwrap_or_default();
            let created = SyncPrincipal {
                name: username.to_string(),
                display_name: params.get("display_name").map(String::from),
                description: None,
                principal_type_enum: PrincipalKind::LocalUser,
                group_names: std::iter::once(ALL_GROUP.to_string())
                    .chain(groups)
                    .collect(),
                visibility: None,
                mail: params.get("email").map(String::from),
                password: None,
            };
            directory
                .sync(&[created], true, false, None, state.now_ms())
                .map_err(|e| V1Error::bad_request(format!("Cannot create user {username}: {e}")))?;
        }
    }
    let expires = state.now_ms() + state.profile.login_token_ttl_secs as i64 * 1000;
    let token = state.sessions().issue_login_token(username, expires);
    let response = ([(header::CONTENT_TYPE, "text/plain;charset=utf-8")], token).into_response();
    Ok(ctx.finish(response))
}

pub(super) async fn login_token(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::SessionLoginToken, &parts, Access::Public)
        .await?;
    let params = Params::read(&parts, body).await?;
    super::expect_form(&params)?;
    let username = required(&params, "username")?;
    let token = required(&params, "auth_token")?;
    let no_redirect = parse_bool(
        "no_url_redirection",
        params.get("no_url_redirection"),
        false,
    )?;
    let now = state.now_ms();
    let single_use = state.profile.login_token_single_use;
    if let Err(refusal) = state
        .sessions()
        .redeem_login_token(token, username, now, single_use)
    {
        return Err(V1Error::unauthenticated(format!(
            "Invalid auth token for {username}: {refusal:?}"
        ))
        .into());
    }
    let guid = state
        .directory()
        .user(username)
        .map(|u: &Principal| u.guid.clone())
        .unwrap_or_default();
    let (session, client) = state.sessions().open(username);
    let response = if no_redirect {
        empty(204)
    } else {
        let target = params
            .get("redirect_url")
            .filter(|u| !u.is_empty())
            .unwrap_or("/");
        let mut r = StatusCode::FOUND.into_response();
        if let Ok(location) = HeaderValue::from_str(target) {
            r.headers_mut().insert(header::LOCATION, location);
        }
        r
    };
    Ok(ctx.finish(with_session_cookies(
        response, &session, &client, &guid, false,
    )))
}
