//! One error type for every client call. It keeps what ThoughtSpot said (status, error code, incident
//! and trace ids, debug text) and says in plain words what to check. It never holds a secret: request
//! bodies, cookies and tokens are not part of any variant.

use std::time::Duration;

/// What went wrong talking to ThoughtSpot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// ThoughtSpot answered with an error status.
    #[error("{endpoint}: HTTP {status}{}{}: {}. {}", code_text(.code), incident_text(.incident_id), .debug.as_deref().unwrap_or("no details in the response"), hint(*.status))]
    Api {
        /// The endpoint called, as its path after the API prefix (`metadata/details`; v2 paths
        /// carry a `v2/` prefix).
        endpoint: String,
        /// The HTTP status code of the answer.
        status: u16,
        /// ThoughtSpot's error code (10000, 10002, 10003, ...), when the body had one.
        code: Option<i64>,
        /// The incident id (`incident_id_guid`, or the `x-callosum-incident-id` header), when given.
        incident_id: Option<String>,
        /// The trace id (`trace_id_guid`, or the `x-callosum-trace-id` header), when given.
        trace_id: Option<String>,
        /// The `debug` text, unwrapped from its JSON-array form.
        debug: Option<String>,
    },
    /// Sign-in was refused: wrong credentials, MFA, a bad trusted-auth key or token.
    #[error("sign-in as {user} failed: HTTP {status}{}: {}. Check the username and password (or secret key / token); users with MFA cannot use password sign-in", code_text(.code), .debug.as_deref().unwrap_or("no details in the response"))]
    Auth {
        /// The user that tried to sign in (never the password or secret).
        user: String,
        /// The HTTP status code of the refusal.
        status: u16,
        /// ThoughtSpot's error code, when the body had one.
        code: Option<i64>,
        /// The `debug` text, unwrapped from its JSON-array form, when the body had one.
        debug: Option<String>,
    },
    /// The cluster could not be reached.
    #[error("cannot reach ThoughtSpot at {url}: {reason}. Check the URL, the network, and proxy settings (HTTPS_PROXY, NO_PROXY)")]
    Connect {
        /// The cluster's root URL that could not be reached.
        url: String,
        /// Why, as the HTTP or network library said it.
        reason: String,
    },
    /// The cluster's TLS certificate was refused. tsexport always verifies certificates: there is no
    /// switch to skip the check, as a password or secret key sent over an unverified connection
    /// goes to whoever answers. A private CA is trusted with `--ca-cert FILE` (`ca_cert` in a job file
    /// or config connection, [`ClientBuilder::ca_certificate_pem`](super::ClientBuilder::ca_certificate_pem)).
    #[error("the TLS certificate of {url} is not trusted: {reason}. {fix}")]
    Certificate {
        /// The cluster, as `https://host:port`.
        url: String,
        /// What is wrong with the certificate, in plain words and as the TLS library said it.
        reason: String,
        /// What to do about it.
        fix: String,
    },
    /// No answer in time.
    #[error("{endpoint}: no answer within {timeout:?}. The cluster may be overloaded; raise the timeout or ask for fewer rows per page")]
    Timeout {
        /// The endpoint called.
        endpoint: String,
        /// The time limit that ran out.
        timeout: Duration,
    },
    /// The answer broke off or could not be read.
    #[error("{endpoint}: the response broke off or could not be read: {reason}")]
    Transfer {
        /// The endpoint called.
        endpoint: String,
        /// What broke, as the HTTP library said it.
        reason: String,
    },
    /// The answer was longer than the client accepts.
    #[error("{endpoint}: the response is larger than {} MiB, more than any page should be; ask for fewer rows per page (`page_size`), or raise the response size limit (`max_response_size`) if the cluster really sends pages this large", .limit >> 20)]
    TooLarge {
        /// The endpoint called.
        endpoint: String,
        /// The response size limit, in bytes (`max_response_size`).
        limit: u64,
    },
    /// The answer was not what the API documents.
    #[error("{endpoint}: unexpected response: {reason}")]
    Decode {
        /// The endpoint called.
        endpoint: String,
        /// What did not match: the missing key, wrong type or parse error.
        reason: String,
    },
    /// A read kept failing.
    #[error("{endpoint}: gave up after {attempts} attempts in {elapsed:?}; last error: {last}")]
    RetriesExhausted {
        /// The endpoint called.
        endpoint: String,
        /// How many attempts were made, the first one included.
        attempts: u32,
        /// Time from the first attempt until giving up.
        elapsed: Duration,
        /// The error of the last attempt.
        last: Box<Error>,
    },
    /// The cluster does not serve a REST API v2 path (an older release, or a proxy that hides it).
    #[error("{endpoint}: HTTP {status}: this cluster does not serve REST API v2 (it came in 9.0.0.cl). Read through v1 (the `api` setting: v1), or let tsexport choose (auto)")]
    NoV2 {
        /// The v2 endpoint called, with its `v2/` prefix (e.g. `v2/auth/token/full`).
        endpoint: String,
        /// The status that showed v2 is missing: 404, 405 or 501 (wire-protocol §4.1).
        status: u16,
    },
    /// The client was configured wrongly.
    #[error("invalid client configuration: {0}")]
    Config(
        /// What is wrong with the configuration.
        String,
    ),
    /// Writing an export (e.g. a PDF) to its destination failed.
    #[error("cannot write {path}: {reason}")]
    Output {
        /// The destination: a file path or an object store URL.
        path: String,
        /// Why the write failed.
        reason: String,
    },
}

fn code_text(code: &Option<i64>) -> String {
    code.map(|c| format!(" (ThoughtSpot code {c})"))
        .unwrap_or_default()
}

fn incident_text(incident: &Option<String>) -> String {
    incident
        .as_ref()
        .map(|i| format!(" [incident {i}]"))
        .unwrap_or_default()
}

/// What to check, by status.
fn hint(status: u16) -> &'static str {
    match status {
        400 => "Check the parameters: an id, name, query or option the cluster does not accept",
        401 => "The session is missing or expired; check the credentials",
        403 => "The user lacks the privilege or access this call needs; ask a ThoughtSpot administrator",
        404 => "Check the object id: it does not exist or is not visible to this user",
        415 => "The request's content type was refused; this cluster version may expect another form",
        429 => "The cluster is rate-limiting; wait and try again",
        500 => "ThoughtSpot rejected or failed the request; the message above says why",
        502..=504 => "The cluster or a proxy in front of it is unavailable; try again later",
        _ => "See the ThoughtSpot message above",
    }
}

impl Error {
    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Auth { status, .. } | Error::NoV2 { status, .. } => {
                Some(*status)
            }
            Error::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// ThoughtSpot's error code, if the body carried one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } | Error::Auth { code, .. } => *code,
            Error::RetriesExhausted { last, .. } => last.code(),
            _ => None,
        }
    }

    /// Whether retrying a read may help: connection failures, timeouts, broken transfers, 429, 502-504.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect { .. } | Error::Timeout { .. } | Error::Transfer { .. } => true,
            Error::Api { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// Reads an error body leniently, v1 or v2: any of it may be missing, the body may be empty or not
/// JSON, and headers fill in the ids when the body has none (wire-protocol §1.8, §4.2, §6).
///
/// - v1: the flat object `{code, incident_id_guid, trace_id_guid, debug}`.
/// - v2: `{"error": {"message": ...}}` where `message` is that flat object, or only its `debug`, or
///   plain text.
///
/// `debug` may be plain text, a JSON array of strings inside a string, or an object holding another
/// `debug`.
pub(crate) fn parse_error_body(
    body: &[u8],
    incident_header: Option<String>,
    trace_header: Option<String>,
) -> (Option<i64>, Option<String>, Option<String>, Option<String>) {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let flat = match json.as_ref().and_then(|j| j.get("error")) {
        Some(error) => error.get("message").unwrap_or(error),
        None => json.as_ref().unwrap_or(&serde_json::Value::Null),
    };
    let field = |name: &str| flat.get(name).and_then(|v| v.as_str()).map(String::from);
    let code = flat.get("code").and_then(|v| v.as_i64());
    let debug = match (flat, flat.get("debug")) {
        (serde_json::Value::String(text), _) => Some(unwrap_debug(text)),
        (_, Some(debug)) => debug_text(debug),
        _ if json.is_none() && !body.is_empty() => Some(
            String::from_utf8_lossy(&body[..body.len().min(500)])
                .trim()
                .to_string(),
        ),
        _ => None,
    };
    (
        code,
        field("incident_id_guid").or(incident_header),
        field("trace_id_guid").or(trace_header),
        debug,
    )
}

/// A `debug` value as text: a string (unwrapped from its JSON-array form), an object's own `debug`,
/// or anything else as JSON.
fn debug_text(debug: &serde_json::Value) -> Option<String> {
    match debug {
        serde_json::Value::String(text) => Some(unwrap_debug(text)),
        serde_json::Value::Null => None,
        serde_json::Value::Object(inner) if inner.contains_key("debug") => {
            debug_text(&inner["debug"])
        }
        other => Some(other.to_string()),
    }
}

/// `"[\"a\", \"b\"]"` -> `a; b`; anything else as it is.
fn unwrap_debug(text: &str) -> String {
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(lines) => lines.join("; "),
        Err(_) => text.to_string(),
    }
}

impl Error {
    /// The kind of this failure, for exit codes and reports.
    pub fn kind(&self) -> crate::failure::FailureKind {
        use crate::failure::FailureKind as K;
        match self {
            Error::Auth { .. }
            | Error::Api {
                status: 401 | 403, ..
            } => K::Auth,
            // Retrying cannot help; the fix is configuration (`--ca-cert`) or the cluster's certificate.
            Error::Config(_) | Error::Certificate { .. } | Error::NoV2 { .. } => K::Usage,
            Error::Connect { .. }
            | Error::Timeout { .. }
            | Error::Transfer { .. }
            | Error::RetriesExhausted { .. } => K::Server,
            Error::Api { status, .. } if *status >= 500 || *status == 429 => K::Server,
            Error::Api { .. } => K::Usage,
            Error::Decode { .. } | Error::Output { .. } | Error::TooLarge { .. } => K::Other,
        }
    }
}

/// An error and its sources, `outer: inner: ...`: a transport or body error's own message says
/// little ("error sending request"), its causes say what happened.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_every_shape() {
        let (code, incident, _, debug) = parse_error_body(
            br#"{"code":10003,"incident_id_guid":"i-1","debug":"[\"Authentication failed\"]"}"#,
            None,
            None,
        );
        assert_eq!(
            (code, incident.as_deref(), debug.as_deref()),
            (Some(10003), Some("i-1"), Some("Authentication failed"))
        );
        let (code, incident, trace, debug) =
            parse_error_body(b"", Some("h-1".into()), Some("t-1".into()));
        assert_eq!(
            (code, incident.as_deref(), trace.as_deref(), debug),
            (None, Some("h-1"), Some("t-1"), None)
        );
        let (_, _, _, debug) = parse_error_body(br#"{"debug":"plain words"}"#, None, None);
        assert_eq!(debug.as_deref(), Some("plain words"));
        let (_, _, _, debug) = parse_error_body(b"<html>Bad Gateway</html>", None, None);
        assert_eq!(debug.as_deref(), Some("<html>Bad Gateway</html>"));
    }

    #[test]
    fn v2_error_bodies_in_every_shape() {
        let (code, incident, trace, debug) = parse_error_body(
            br#"{"error":{"message":{"code":10002,"incident_id_guid":"i-2","trace_id_guid":"t-2","debug":"Invalid parameter values: logical_table_identifier"}}}"#,
            None,
            None,
        );
        assert_eq!(
            (
                code,
                incident.as_deref(),
                trace.as_deref(),
                debug.as_deref()
            ),
            (
                Some(10002),
                Some("i-2"),
                Some("t-2"),
                Some("Invalid parameter values: logical_table_identifier")
            )
        );
        let (code, _, _, debug) = parse_error_body(
            br#"{"error":{"message":{"debug":"only this"}}}"#,
            None,
            None,
        );
        assert_eq!((code, debug.as_deref()), (None, Some("only this")));
        let (_, _, _, debug) =
            parse_error_body(br#"{"error":{"message":"plain text"}}"#, None, None);
        assert_eq!(debug.as_deref(), Some("plain text"));
        let (_, incident, _, debug) = parse_error_body(
            br#"{"error":{"message":{"debug":{"debug":"[\"a\",\"b\"]"}}}}"#,
            Some("h-3".into()),
            None,
        );
        assert_eq!(
            (incident.as_deref(), debug.as_deref()),
            (Some("h-3"), Some("a; b"))
        );
        let (code, _, _, debug) = parse_error_body(br#"{"error":null}"#, None, None);
        assert_eq!((code, debug), (None, None));
    }

    #[test]
    fn messages_say_what_to_check() {
        let e = Error::Api {
            endpoint: "searchdata".into(),
            status: 400,
            code: Some(10002),
            incident_id: Some("abc".into()),
            trace_id: None,
            debug: Some("Search did not find '[Nope]'".into()),
        };
        let text = e.to_string();
        assert!(
            text.contains("HTTP 400 (ThoughtSpot code 10002) [incident abc]: Search did not find"),
            "{text}"
        );
        assert!(text.contains("Check the parameters"), "{text}");
        assert!(!e.is_transient());
    }
}
