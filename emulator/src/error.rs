//! The v1 error response: status, the flat JSON body of wire-protocol §1.8, and the `x-callosum-*` headers.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::rng::{guid, mix64};

/// ThoughtSpot error codes (wire-protocol §1.8).
pub mod code {
    pub const INTERNAL: i64 = 10000;
    pub const BAD_REQUEST: i64 = 10002;
    pub const UNAUTHENTICATED: i64 = 10003;
}

/// An error response of a v1 endpoint.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: i64,
    pub debug: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
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

    pub fn forbidden(debug: impl Into<String>) -> Self {
        Self::new(403, code::UNAUTHENTICATED, debug)
    }

    pub fn not_found(debug: impl Into<String>) -> Self {
        Self::new(404, code::BAD_REQUEST, debug)
    }

    pub fn internal(debug: impl Into<String>) -> Self {
        Self::new(500, code::INTERNAL, debug)
    }

    pub fn unsupported_media_type(debug: impl Into<String>) -> Self {
        Self::new(415, code::BAD_REQUEST, debug)
    }

    /// The default code for a status, for fault plans that give only a status.
    pub fn code_for(status: u16) -> i64 {
        match status {
            401 | 403 => code::UNAUTHENTICATED,
            400..=499 => code::BAD_REQUEST,
            _ => code::INTERNAL,
        }
    }
}

/// Marks a response as an error so the profile's `empty_error_bodies` switch can strip its body.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMarker;

fn next_incident() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0x1CE);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    guid(mix64(n), mix64(n ^ 0xA5A5))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let incident = next_incident();
        // `debug` is a JSON array encoded inside a string, the form ThoughtSpot's own tools parse.
        let debug = serde_json::to_string(&[&self.debug]).unwrap_or_default();
        let body = serde_json::json!({
            "code": self.code,
            "incident_id_guid": incident,
            "trace_id_guid": incident,
            "debug": debug,
        });
        let mut response = (self.status, axum::Json(body)).into_response();
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
        if let Some(secs) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(secs));
        }
        response.extensions_mut().insert(ErrorMarker);
        response
    }
}
