//! Error responses: one [`ApiError`] (status, ThoughtSpot code, debug text, `Retry-After`) for both
//! APIs, rendered in the body of the API that answers: v1's flat JSON with the `x-callosum-*` headers
//! (wire-protocol §1.8, [`V1`]) or v2's `{"error": {"message": {...}}}` (wire-protocol §4.2, §7 Q19,
//! [`V2`]). Handlers name [`V1Error`] or [`V2Error`]; the type says which body a `?` renders.
//!
//! A v2 error renders the default shape of `message` and records its parts in the response's
//! extensions; [`reshape`] (a layer on the v2 router) renders the profile's `v2_error_message` shape
//! from those parts, so the switch is read in one place and every v2 error, injected ones included,
//! follows it.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::profile::V2ErrorMessage;
use crate::rng::{guid, mix64};
use crate::routes::AppState;

/// ThoughtSpot error codes (wire-protocol §1.8, §4.2, §7 Q19).
pub(crate) mod code {
    /// 500.
    pub(crate) const INTERNAL: i64 = 10000;
    /// 400: an invalid request (missing field, unknown identifier, bad query).
    pub(crate) const BAD_REQUEST: i64 = 10002;
    /// 401: no valid session or token.
    pub(crate) const UNAUTHENTICATED: i64 = 10003;
    /// 403 from v2 `auth/token/full`: trusted authentication is switched off.
    pub(crate) const TRUSTED_AUTH_OFF: i64 = 10023;
    /// 401 from v2 `auth/token/full`: wrong password or secret key.
    pub(crate) const BAD_CREDENTIALS: i64 = 10097;
}

/// How an API writes an [`ApiError`] on the wire.
pub(crate) trait ErrorBody: Sized + 'static {
    /// What the API answers when a fault plan's `expire_session` ends the caller's credential.
    const EXPIRED: &'static str;

    /// The whole response: status, body, headers.
    fn render(error: ApiError<Self>) -> Response;
}

/// The v1 body (wire-protocol §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct V1;

/// The v2 body (wire-protocol §4.2), in the profile's `v2_error_message` shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct V2;

/// An error response of a v1 endpoint.
pub(crate) type V1Error = ApiError<V1>;
/// An error response of a v2 endpoint.
pub(crate) type V2Error = ApiError<V2>;

/// An error response; `B` chooses the body it renders as.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError<B> {
    pub(crate) status: StatusCode,
    pub(crate) code: i64,
    pub(crate) debug: String,
    pub(crate) retry_after: Option<u64>,
    body: PhantomData<B>,
}

impl<B: ErrorBody> ApiError<B> {
    pub(crate) fn new(status: u16, code: i64, debug: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            debug: debug.into(),
            retry_after: None,
            body: PhantomData,
        }
    }

    /// A fault plan's `status` fault, with the defaults for what the rule leaves out.
    pub(crate) fn injected(
        status: u16,
        code: Option<i64>,
        retry_after: Option<u64>,
        debug: Option<String>,
    ) -> Self {
        let code = code.unwrap_or(match status {
            401 | 403 => code::UNAUTHENTICATED,
            400..=499 => code::BAD_REQUEST,
            _ => code::INTERNAL,
        });
        let debug = debug.unwrap_or_else(|| format!("Injected failure: HTTP {status}"));
        Self {
            retry_after,
            ..Self::new(status, code, debug)
        }
    }

    pub(crate) fn bad_request(debug: impl Into<String>) -> Self {
        Self::new(400, code::BAD_REQUEST, debug)
    }

    pub(crate) fn unauthenticated(debug: impl Into<String>) -> Self {
        Self::new(401, code::UNAUTHENTICATED, debug)
    }

    pub(crate) fn bad_credentials(debug: impl Into<String>) -> Self {
        Self::new(401, code::BAD_CREDENTIALS, debug)
    }

    pub(crate) fn forbidden(debug: impl Into<String>) -> Self {
        Self::new(403, code::UNAUTHENTICATED, debug)
    }

    pub(crate) fn trusted_auth_off() -> Self {
        Self::new(
            403,
            code::TRUSTED_AUTH_OFF,
            "Trusted authentication is not enabled on this cluster",
        )
    }

    pub(crate) fn not_found(debug: impl Into<String>) -> Self {
        Self::new(404, code::BAD_REQUEST, debug)
    }

    pub(crate) fn method_not_allowed(debug: impl Into<String>) -> Self {
        Self::new(405, code::BAD_REQUEST, debug)
    }

    pub(crate) fn unsupported_media_type(debug: impl Into<String>) -> Self {
        Self::new(415, code::BAD_REQUEST, debug)
    }

    /// 429 from the profile's rate limit, with `Retry-After: retry_after` (seconds).
    pub(crate) fn too_many_requests(retry_after: u64, debug: impl Into<String>) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(429, code::BAD_REQUEST, debug)
        }
    }

    pub(crate) fn internal(debug: impl Into<String>) -> Self {
        Self::new(500, code::INTERNAL, debug)
    }
}

impl<B: ErrorBody> IntoResponse for ApiError<B> {
    fn into_response(self) -> Response {
        B::render(self)
    }
}

impl<B: ErrorBody> From<ApiError<B>> for Response {
    fn from(e: ApiError<B>) -> Self {
        e.into_response()
    }
}

/// Marks a v1 error response so the profile's `empty_error_bodies` switch can strip its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorMarker;

impl ErrorBody for V1 {
    const EXPIRED: &'static str = "Session expired. Please log in again.";

    fn render(error: V1Error) -> Response {
        static INCIDENTS: AtomicU64 = AtomicU64::new(0x1CE);
        let n = INCIDENTS.fetch_add(1, Ordering::Relaxed);
        let incident = guid(mix64(n), mix64(n ^ 0xA5A5));
        // `debug` is a JSON array encoded inside a string, the form ThoughtSpot's own tools parse.
        let debug = serde_json::to_string(&[&error.debug]).unwrap_or_default();
        let body = json!({
            "code": error.code,
            "incident_id_guid": incident,
            "trace_id_guid": incident,
            "debug": debug,
        });
        let mut response = (error.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&incident) {
            headers.insert("x-callosum-incident-id", value.clone());
            headers.insert("x-callosum-trace-id", value);
        }
        headers.insert(
            "cache-control",
            HeaderValue::from_static("no-store, no-cache, must-revalidate"),
        );
        headers.insert("pragma", HeaderValue::from_static("no-cache"));
        if let Some(secs) = error.retry_after {
            headers.insert("retry-after", HeaderValue::from(secs));
        }
        response.extensions_mut().insert(ErrorMarker);
        response
    }
}

impl ErrorBody for V2 {
    const EXPIRED: &'static str =
        "Token or session expired: request a new token with auth/token/full";

    fn render(error: V2Error) -> Response {
        static INCIDENTS: AtomicU64 = AtomicU64::new(0x2E0);
        let n = INCIDENTS.fetch_add(1, Ordering::Relaxed);
        let incident = guid(mix64(n ^ 0x7652), mix64(n ^ 0x5A5A));
        let mut response = render_v2(&error, V2ErrorMessage::Object, &incident);
        response
            .extensions_mut()
            .insert(RenderedV2 { error, incident });
        response
    }
}

/// What [`reshape`] needs to render another shape: the error and its incident id.
#[derive(Debug, Clone)]
struct RenderedV2 {
    error: V2Error,
    incident: String,
}

/// The v2 body in `shape`, with `incident` as both incident and trace id.
fn v2_body(error: &V2Error, shape: V2ErrorMessage, incident: &str) -> Value {
    let message = match shape {
        V2ErrorMessage::Object => json!({
            "code": error.code, "incident_id_guid": incident, "trace_id_guid": incident,
            "debug": error.debug,
        }),
        V2ErrorMessage::DebugOnly => json!({"debug": error.debug}),
        V2ErrorMessage::String => Value::String(error.debug.clone()),
        V2ErrorMessage::NestedDebug => {
            let lines = serde_json::to_string(&[&error.debug]).unwrap_or_default();
            json!({
                "code": error.code, "incident_id_guid": incident, "trace_id_guid": incident,
                "debug": {"debug": lines},
            })
        }
    };
    json!({"error": {"message": message}})
}

fn render_v2(error: &V2Error, shape: V2ErrorMessage, incident: &str) -> Response {
    let body = v2_body(error, shape, incident);
    let mut response = (error.status, axum::Json(body)).into_response();
    if let Some(secs) = error.retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    response
}

/// Renders v2 errors in the profile's `v2_error_message` shape.
pub(crate) async fn reshape(State(state): State<AppState>, response: Response) -> Response {
    let shape = state.profile.v2_error_message;
    if shape == V2ErrorMessage::Object {
        return response;
    }
    match response.extensions().get::<RenderedV2>().cloned() {
        Some(rendered) => render_v2(&rendered.error, shape, &rendered.incident),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v2_shape_carries_the_debug_text() {
        let e = V2Error::bad_request("Bad tokens: [Nope]");
        let object = v2_body(&e, V2ErrorMessage::Object, "i");
        assert_eq!(object["error"]["message"]["code"], 10002);
        assert_eq!(object["error"]["message"]["trace_id_guid"], "i");
        assert_eq!(
            v2_body(&e, V2ErrorMessage::DebugOnly, "i")["error"]["message"],
            json!({"debug": "Bad tokens: [Nope]"})
        );
        assert_eq!(
            v2_body(&e, V2ErrorMessage::String, "i")["error"]["message"],
            "Bad tokens: [Nope]"
        );
        let nested = v2_body(&e, V2ErrorMessage::NestedDebug, "i");
        let inner = nested["error"]["message"]["debug"]["debug"]
            .as_str()
            .unwrap();
        let lines: Vec<String> = serde_json::from_str(inner).unwrap();
        assert_eq!(lines, ["Bad tokens: [Nope]"]);
    }

    #[test]
    fn a_v1_error_carries_its_incident_headers_and_the_empty_body_marker() {
        let response = V1Error::bad_request("Bad tokens: [Nope]").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().contains_key("x-callosum-incident-id"));
        assert!(response.extensions().get::<ErrorMarker>().is_some());
    }

    #[test]
    fn injected_statuses_get_the_code_of_their_class() {
        let e = V1Error::injected(503, None, Some(2), None);
        assert_eq!((e.code, e.retry_after), (code::INTERNAL, Some(2)));
        assert_eq!(e.debug, "Injected failure: HTTP 503");
        assert_eq!(
            V2Error::injected(403, None, None, None).code,
            code::UNAUTHENTICATED
        );
        assert_eq!(V2Error::injected(429, Some(7), None, None).code, 7);
    }
}
