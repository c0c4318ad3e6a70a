//! REST API v2.0, the data-access subset of wire-protocol §4, under `/api/rest/2.0/`.
//!
//! Every v2 request passes [`gate`]: it is counted under its `v2/` name, the fault plan applies to it
//! exactly as to v1 (same [`inject_faults`](crate::State::inject_faults)), and the caller
//! authenticates with `Authorization: Bearer <token>` or the `JSESSIONID` cookie; `X-Requested-By`
//! is not needed. Bodies are JSON ([`read_json`]); errors use the v2 body ([`V2Error`]).
//!
//! With the profile's `v2` switch off, no v2 path exists: each answers like any unknown path.

mod auth;
mod content;
mod data;
mod logs;
mod metadata;

pub(super) use auth::audit_sign_in;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::Router;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::{bearer, cookie, Access, AppState, Ctx};
use crate::error::{self, V2Error, V2};
use crate::V2Endpoint;

/// The v2 routes, to be nested under `/api/rest/2.0`.
pub(super) fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/auth/token/full", post(auth::token_full))
        .route("/auth/token/revoke", post(auth::token_revoke))
        .route("/auth/session/login", post(auth::session_login))
        .route("/auth/session/logout", post(auth::session_logout))
        .route("/searchdata", post(data::searchdata))
        .route("/metadata/liveboard/data", post(data::liveboard_data))
        .route("/metadata/answer/data", post(data::answer_data))
        .route("/metadata/search", post(metadata::search))
        .route("/logs/fetch", post(logs::fetch))
        .fallback(any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            error::reshape,
        ))
        .layer(axum::middleware::from_fn_with_state(state, require_v2))
}

/// Profile switch `v2`: off, v2 paths answer as unknown paths do (v1 body), and count nowhere.
async fn require_v2(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.profile.v2 {
        next.run(request).await
    } else {
        super::not_found().await
    }
}

async fn not_found(request: Request) -> Response {
    V2Error::not_found(format!(
        "No such v2 endpoint: {} (this emulator serves auth/token/full, auth/token/revoke, \
         auth/session/login, auth/session/logout, searchdata, metadata/liveboard/data, \
         metadata/answer/data, metadata/search and logs/fetch)",
        request.uri().path()
    ))
    .into_response()
}

async fn method_not_allowed() -> Response {
    V2Error::method_not_allowed("Method not allowed: v2 endpoints take POST").into_response()
}

/// Counts the request, applies the fault plan and, for [`Access::Session`], finds the caller by
/// bearer token (first) or session cookie.
pub(super) async fn gate(
    state: &AppState,
    endpoint: V2Endpoint,
    parts: &Parts,
    access: Access,
) -> Result<Ctx, Response> {
    // A v2 fault that expires the caller ends both its token and its session.
    let mut ctx = Ctx::new(cookie(parts, "JSESSIONID"), bearer(parts));
    state.inject_faults::<V2>(endpoint, parts, &mut ctx).await?;
    if access == Access::Session {
        let now = state.now_ms();
        let sessions = state.sessions();
        let user =
            match (&ctx.token, &ctx.session) {
                (Some(token), _) => sessions.user_of_token(token, now).ok_or_else(|| {
                    V2Error::unauthenticated("Invalid, expired or revoked bearer token")
                })?,
                (None, Some(id)) => sessions.user_of(id).ok_or_else(|| {
                    V2Error::unauthenticated("Session expired or unknown: log in again")
                })?,
                (None, None) => return Err(V2Error::unauthenticated(
                    "Not authenticated: send Authorization: Bearer <token> from auth/token/full, \
                     or the session cookie of auth/session/login",
                )
                .into()),
            };
        ctx.user = Some(user.to_string());
    }
    Ok(ctx)
}

/// Largest v2 request body the emulator reads.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The JSON body as `T` and its bytes (for the page cache's key). Not JSON → 415; an empty body is
/// `{}`; unknown fields are ignored (wire-protocol §5 "Parameter handling").
pub(super) async fn read_json<T: DeserializeOwned>(
    parts: &Parts,
    body: Body,
) -> Result<(T, Bytes), V2Error> {
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| V2Error::bad_request(format!("Unreadable request body: {e}")))?;
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return Err(V2Error::unsupported_media_type(
            "Unsupported media type: send the body as application/json",
        ));
    }
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    let value = serde_json::from_slice(text)
        .map_err(|e| V2Error::bad_request(format!("Invalid JSON body: {e}")))?;
    Ok((value, bytes))
}

/// [`read_json`] for calls whose body is optional (logout, revoke): no body at all is `{}` whatever
/// the content type.
pub(super) async fn read_optional_json<T: DeserializeOwned + Default>(
    parts: &Parts,
    body: Body,
) -> Result<T, V2Error> {
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| V2Error::bad_request(format!("Unreadable request body: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    read_json(parts, Body::from(bytes)).await.map(|(v, _)| v)
}

/// A required, non-empty string field.
pub(super) fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, V2Error> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| V2Error::bad_request(format!("Missing required field: {field}")))
}
