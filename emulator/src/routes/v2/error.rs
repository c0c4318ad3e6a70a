//! The v2 error response (wire-protocol §4.2, §7 Q19): `{"error": {"message": {...}}}`, with the shape of
//! `message` chosen by the profile's `v2_error_message` switch.
//!
//! Handlers build a [`V2Error`], which renders the default shape and records its parts in the
//! response's extensions; [`reshape`] (a layer on the v2 router) renders the other shapes from those
//! parts, so the switch is read in one place and every v2 error, injected ones included, follows it.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::profile::V2ErrorMessage;
use crate::rng::{guid, mix64};
use crate::routes::AppState;

/// v2 error codes (wire-protocol §4.2, §7 Q19).
pub mod code {
    /// 500.
    pub const INTERNAL: i64 = 10000;
    /// 400: an invalid request (missing field, unknown identifier, bad query).
    pub const BAD_REQUEST: i64 = 10002;
    /// 401: no valid token or session.
    pub const UNAUTHENTICATED: i64 = 10003;
    /// 403: trusted authentication is switched off.
    pub const TRUSTED_AUTH_OFF: i64 = 10023;
    /// 401 from `auth/token/full`: wrong password or secret key.
    pub const BAD_CREDENTIALS: i64 = 10097;
}

/// An error response of a v2 endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Error {
    pub status: StatusCode,
    pub code: i64,
    pub debug: String,
    pub retry_after: Option<u64>,
}

impl V2Error {
    pub fn new(status: u16, code: i64, debug: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            debug: debug.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(debug: impl Into<String>) -> Self {
        Self::new(400, code::BAD_REQUEST, debug)
    }

    pub fn unauthenticated(debug: impl Into<String>) -> Self {
        Self::new(401, code::UNAUTHENTICATED, debug)
    }

    pub fn bad_credentials(debug: impl Into<String>) -> Self {
        Self::new(401, code::BAD_CREDENTIALS, debug)
    }

    pub fn trusted_auth_off() -> Self {
        Self::new(
            403,
            code::TRUSTED_AUTH_OFF,
            "Trusted authentication is not enabled on this cluster",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            415,
            code::BAD_REQUEST,
            "Unsupported media type: send the body as application/json",
        )
    }

    pub fn not_found(debug: impl Into<String>) -> Self {
        Self::new(404, code::BAD_REQUEST, debug)
    }

    pub fn internal(debug: impl Into<String>) -> Self {
        Self::new(500, code::INTERNAL, debug)
    }

    /// The body in `shape`, with `incident` as both incident and trace id.
    fn body(&self, shape: V2ErrorMessage, incident: &str) -> Value {
        let message = match shape {
            V2ErrorMessage::Object => json!({
                "code": self.code, "incident_id_guid": incident, "trace_id_guid": incident,
                "debug": self.debug,
            }),
            V2ErrorMessage::DebugOnly => json!({"debug": self.debug}),
            V2ErrorMessage::String => Value::String(self.debug.clone()),
            V2ErrorMessage::NestedDebug => {
                let lines = serde_json::to_string(&[&self.debug]).unwrap_or_default();
                json!({
                    "code": self.code, "incident_id_guid": incident, "trace_id_guid": incident,
                    "debug": {"debug": lines},
                })
            }
        };
        json!({"error": {"message": message}})
    }
}

/// What [`reshape`] needs to render another shape: the error and its incident id.
#[derive(Debug, Clone)]
struct Rendered {
    error: V2Error,
    incident: String,
}

fn next_incident() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0x2E0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    guid(mix64(n ^ 0x7652), mix64(n ^ 0x5A5A))
}

fn render(error: &V2Error, shape: V2ErrorMessage, incident: &str) -> Response {
    let mut response = (error.status, axum::Json(error.body(shape, incident))).into_response();
    if let Some(secs) = error.retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    response
}

impl IntoResponse for V2Error {
    fn into_response(self) -> Response {
        let incident = next_incident();
        let mut response = render(&self, V2ErrorMessage::Object, &incident);
        response.extensions_mut().insert(Rendered {
            error: self,
            incident,
        });
        response
    }
}

impl From<V2Error> for Response {
    fn from(e: V2Error) -> Self {
        e.into_response()
    }
}

/// Renders v2 errors in the profile's `v2_error_message` shape.
pub async fn reshape(State(state): State<AppState>, response: Response) -> Response {
    let shape = state.profile.v2_error_message;
    if shape == V2ErrorMessage::Object {
        return response;
    }
    match response.extensions().get::<Rendered>().cloned() {
        Some(rendered) => render(&rendered.error, shape, &rendered.incident),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_carries_the_debug_text() {
        let e = V2Error::bad_request("Bad tokens: [Nope]");
        let object = e.body(V2ErrorMessage::Object, "i");
        assert_eq!(object["error"]["message"]["code"], 10002);
        assert_eq!(object["error"]["message"]["trace_id_guid"], "i");
        assert_eq!(
            e.body(V2ErrorMessage::DebugOnly, "i")["error"]["message"],
            json!({"debug": "Bad tokens: [Nope]"})
        );
        assert_eq!(
            e.body(V2ErrorMessage::String, "i")["error"]["message"],
            "Bad tokens: [Nope]"
        );
        let nested = e.body(V2ErrorMessage::NestedDebug, "i");
        let inner = nested["error"]["message"]["debug"]["debug"]
            .as_str()
            .unwrap();
        let lines: Vec<String> = serde_json::from_str(inner).unwrap();
        assert_eq!(lines, ["Bad tokens: [Nope]"]);
    }
}
