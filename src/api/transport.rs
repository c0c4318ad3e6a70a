//! Sending one call: headers, the session, 401 renewal, retries for reads, error decoding.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, ACCEPT, COOKIE};
use reqwest::{Method, Response, StatusCode};
use tokio::sync::Mutex;

use super::concurrency::Signal;
use super::error::{error_chain, parse_error_body, Error};
use super::redact::{redact, SECRET_FIELDS};
use super::retry::{parse_retry_after, Backoff, RetryConfig};
use super::tls::{certificate_error, certificate_problem};
use super::{Credentials, RetryEvent, RetryObserver, Secret};

/// What a call needs from the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Sign-in calls themselves.
    None,
    /// Everything else: a session cookie, or the bearer token.
    Session,
}

/// Which REST API a call belongs to: they live under different paths and authenticate differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// `/callosum/v1/tspublic/v1/`: a session cookie (or a bearer token on clusters that take one).
    V1,
    /// `/api/rest/2.0/`: a bearer token from `auth/token/full`.
    V2,
}

/// What a request presents to say who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pass {
    /// A v1 session: the `JSESSIONID` cookie.
    Cookie(Secret),
    /// `Authorization: Bearer`.
    Bearer(Secret),
}

impl Pass {
    fn secret(&self) -> &Secret {
        match self {
            Pass::Cookie(secret) | Pass::Bearer(secret) => secret,
        }
    }
}

/// A request body.
pub(crate) enum Body {
    Empty,
    Form(Vec<(String, String)>),
    /// A JSON body (v2).
    Json(serde_json::Value),
    /// Built anew for each send (a multipart form can be sent only once).
    Multipart(Box<dyn Fn() -> reqwest::multipart::Form + Send + Sync>),
}

/// One API call, described once and sent as often as retries and renewal need.
pub(crate) struct Call {
    /// The path after `tspublic/v1/` (v1) or `api/rest/2.0/` (v2).
    pub endpoint: &'static str,
    pub version: Version,
    pub method: Method,
    pub query: Vec<(String, String)>,
    pub body: Body,
    /// Reads are retried on transient failures; writes never.
    pub read: bool,
    pub auth: Auth,
    pub accept: &'static str,
    /// Secrets the body carries where [`Transport::sent_secrets`] cannot see them (a multipart form),
    /// so that an error echoing the request has them masked.
    pub secrets: Vec<Secret>,
}

impl Call {
    pub(super) fn read(method: Method, endpoint: &'static str) -> Self {
        Self {
            endpoint,
            version: Version::V1,
            method,
            query: Vec::new(),
            body: Body::Empty,
            read: true,
            auth: Auth::Session,
            accept: "application/json",
            secrets: Vec::new(),
        }
    }

    pub(super) fn write(method: Method, endpoint: &'static str) -> Self {
        Self {
            read: false,
            ..Self::read(method, endpoint)
        }
    }

    /// A v2 read: a POST of `body` as JSON. v2 data and metadata calls are POSTs that change nothing,
    /// so they are retried like any read.
    pub(super) fn v2(endpoint: &'static str, body: serde_json::Value) -> Self {
        Self {
            version: Version::V2,
            body: Body::Json(body),
            ..Self::read(Method::POST, endpoint)
        }
    }

    /// The endpoint as messages and logs name it: v2 paths carry a `v2/` prefix, since some
    /// (`searchdata`) exist in both APIs.
    pub(super) fn name(&self) -> String {
        match self.version {
            Version::V1 => self.endpoint.to_string(),
            Version::V2 => format!("v2/{}", self.endpoint),
        }
    }

    pub(super) fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }

    pub(super) fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.body = Body::Form(fields);
        self
    }
}

/// What one client may take from the cluster and from memory.
#[derive(Debug)]
pub(crate) struct Limits {
    /// The longest wait for one whole response.
    pub timeout: Duration,
    /// Calls in flight at once across every clone of the client: none, fixed or adaptive.
    pub in_flight: super::concurrency::Limiter,
    /// The longest response body read into memory.
    pub max_response_bytes: u64,
    /// The lifetime asked for v2 bearer tokens.
    pub token_validity: Duration,
}

/// Connection settings, credentials and the current session.
pub(crate) struct Transport {
    http: reqwest::Client,
    root: String,
    credentials: Option<Credentials>,
    /// The `JSESSIONID` of the current session, once signed in.
    session: Mutex<Option<Secret>>,
    /// The current v2 bearer token, once one was issued. Held while a new one is fetched, so that
    /// calls needing one at the same moment wait for that single request instead of each sending
    /// their own.
    token: Mutex<Option<super::token::BearerToken>>,
    /// The lifetime asked for v2 tokens.
    token_validity: Duration,
    /// The API data calls use, once known (see [`super::ApiChoice::Auto`]).
    pub(crate) api: tokio::sync::OnceCell<super::ApiVersion>,
    retry: RetryConfig,
    on_retry: Option<RetryObserver>,
    timeout: Duration,
    /// Caps the calls in flight at once across every clone of the client, so that many exports
    /// sharing it cannot overload the cluster, and counts what they meet.
    in_flight: std::sync::Arc<super::concurrency::Limiter>,
    /// The longest response body read into memory; a longer one is refused, not buffered.
    max_response_bytes: u64,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("root", &self.root)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub(super) fn new(
        http: reqwest::Client,
        root: String,
        credentials: Option<Credentials>,
        retry: RetryConfig,
        on_retry: Option<RetryObserver>,
        limits: Limits,
    ) -> Self {
        let Limits {
            timeout,
            in_flight,
            max_response_bytes,
            token_validity,
        } = limits;
        Self {
            http,
            root,
            credentials,
            session: Mutex::new(None),
            token: Mutex::new(None),
            token_validity,
            api: tokio::sync::OnceCell::new(),
            retry,
            on_retry,
            timeout,
            in_flight: std::sync::Arc::new(in_flight),
            max_response_bytes,
        }
    }

    pub(super) fn root(&self) -> &str {
        &self.root
    }

    /// What the client's calls met so far.
    pub(super) fn request_stats(&self) -> super::concurrency::RequestStats {
        self.in_flight.stats()
    }

    /// How reads are retried, for callers that retry more than one request (a download into a file).
    pub(super) fn retry_config(&self) -> &RetryConfig {
        &self.retry
    }

    pub(super) fn url(&self, version: Version, endpoint: &str) -> String {
        match version {
            Version::V1 => format!("{}/tspublic/v1/{endpoint}", self.root),
            Version::V2 => format!("{}/api/rest/2.0/{endpoint}", self.origin()),
        }
    }

    /// `https://host`: the root without `/callosum/v1`.
    pub(super) fn origin(&self) -> &str {
        self.root.strip_suffix("/callosum/v1").unwrap_or(&self.root)
    }

    pub(super) fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Sends `call` and returns the successful response, with its body unread.
    pub(super) async fn send(&self, call: &Call) -> Result<Response, Error> {
        self.with_retries(call, |response| async move { Ok(response) })
            .await
    }

    /// Sends `call` and reads the whole body, retrying reads whose body breaks off.
    pub(super) async fn send_for_bytes(
        &self,
        call: &Call,
    ) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
        let (endpoint, root, timeout) = (call.name(), self.root.as_str(), self.timeout);
        let endpoint = endpoint.as_str();
        let limit = self.max_response_bytes;
        self.with_retries(call, move |response| async move {
            let (status, headers) = (response.status(), response.headers().clone());
            let body = read_capped(response, limit).await.map_err(|e| match e {
                Capped::TooLarge => Error::TooLarge {
                    endpoint: endpoint.to_string(),
                    limit,
                },
                Capped::Broken(e) => classify(endpoint, root, timeout, e),
            })?;
            Ok((status, headers, body))
        })
        .await
    }

    /// Sends `call` and decodes a JSON body.
    pub(super) async fn send_for_json<T: serde::de::DeserializeOwned>(
        &self,
        call: &Call,
    ) -> Result<T, Error> {
        let (_, _, body) = self.send_for_bytes(call).await?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            endpoint: call.name(),
            reason: e.to_string(),
        })
    }

    async fn with_retries<T, F, Fut>(&self, call: &Call, finish: F) -> Result<T, Error>
    where
        F: Fn(Response) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let started = Instant::now();
        let mut backoff = Backoff::new(&self.retry);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = {
                // Held for the request and the reading of its body, not for the wait before a retry.
                // Sign-in calls take none: they run inside the call that needed them, which holds one.
                let permit = match call.auth {
                    Auth::Session => Some(self.in_flight.acquire().await),
                    Auth::None => None,
                };
                let outcome = match self.send_renewing(call).await {
                    Ok(response) => finish(response).await.map_err(Failure::from),
                    Err(failure) => Err(failure),
                };
                if let Some(permit) = permit {
                    let signal = signal_of(&outcome, permit.sent().elapsed());
                    permit.finish(&call.name(), signal);
                }
                outcome
            };
            let (error, retry_after) = match outcome {
                Ok(value) => return Ok(value),
                Err(Failure {
                    error,
                    retry_after,
                    sign_in: false,
                }) if call.read && error.is_transient() => (error, retry_after),
                Err(Failure { error, .. }) => return Err(error),
            };
            let wait = backoff.next(retry_after);
            let too_long = retry_after.is_some_and(|w| w > self.retry.max_retry_after);
            if attempt > self.retry.max_retries
                || too_long
                || started.elapsed() + wait > self.retry.retry_timeout
            {
                if attempt == 1 {
                    return Err(error);
                }
                return Err(Error::RetriesExhausted {
                    endpoint: call.name(),
                    attempts: attempt,
                    elapsed: started.elapsed(),
                    last: Box::new(error),
                });
            }
            let event = RetryEvent {
                endpoint: call.name(),
                attempt,
                wait,
                error: error.to_string(),
            };
            tracing::warn!(
                endpoint = call.name(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                "{}; retrying",
                event.error
            );
            if let Some(observer) = &self.on_retry {
                observer(&event);
            }
            self.in_flight.count_retry();
            tokio::time::sleep(wait).await;
        }
    }

    /// One send, plus one renewal and resend if a session call is refused with 401. A 401 means
    /// nothing was done, so even a write may be sent again after signing in.
    async fn send_renewing(&self, call: &Call) -> Result<Response, Failure> {
        let pass = self.pass(call).await.map_err(Failure::sign_in)?;
        match self.send_once(call, pass.as_ref()).await {
            Err(Failure { error, .. })
                if error.status() == Some(401) && self.can_renew(pass.as_ref()) =>
            {
                tracing::info!(
                    endpoint = call.name(),
                    "session or token refused (expired?); signing in again"
                );
                self.forget(pass.as_ref()).await;
                let renewed = self.pass(call).await.map_err(Failure::sign_in)?;
                self.send_once(call, renewed.as_ref()).await
            }
            other => other,
        }
    }

    /// Whether a refused `pass` can be replaced: only one tsexport obtained itself. A bearer token the
    /// user gave cannot be renewed.
    fn can_renew(&self, pass: Option<&Pass>) -> bool {
        pass.is_some()
            && matches!(
                self.credentials,
                Some(Credentials::Password { .. } | Credentials::TrustedAuth { .. })
            )
    }

    /// What `call` presents: nothing for sign-in calls; on v1 the session cookie (signing in first
    /// if there is none yet) or the user's bearer token; on v2 a bearer token, fetched or refreshed
    /// when due.
    async fn pass(&self, call: &Call) -> Result<Option<Pass>, Error> {
        if call.auth == Auth::None {
            return Ok(None);
        }
        if let Some(Credentials::Bearer { token }) = &self.credentials {
            return Ok(Some(Pass::Bearer(token.clone())));
        }
        Ok(match call.version {
            Version::V1 => self.session().await?.map(Pass::Cookie),
            Version::V2 => self.bearer().await?.map(Pass::Bearer),
        })
    }

    /// The session cookie, signing in first if there is none yet.
    async fn session(&self) -> Result<Option<Secret>, Error> {
        match &self.credentials {
            None | Some(Credentials::Bearer { .. }) => Ok(None),
            Some(credentials) => {
                let mut session = self.session.lock().await;
                if session.is_none() {
                    // Boxed: signing in sends calls through this transport, which may sign in.
                    let signed_in = Box::pin(super::auth::sign_in(self, credentials)).await?;
                    *session = Some(signed_in);
                }
                Ok(session.clone())
            }
        }
    }

    /// The v2 bearer token, fetched when there is none or the current one is due for refresh. The
    /// lock is held while fetching, which collapses concurrent refreshes into one request.
    pub(crate) async fn bearer(&self) -> Result<Option<Secret>, Error> {
        match &self.credentials {
            None => Ok(None),
            Some(Credentials::Bearer { token }) => Ok(Some(token.clone())),
            Some(credentials) => {
                let mut token = self.token.lock().await;
                let now = Instant::now();
                if token.as_ref().is_none_or(|t| t.is_due(now)) {
                    let fresh =
                        Box::pin(super::token::fetch(self, credentials, self.token_validity))
                            .await?;
                    *token = Some(fresh);
                }
                Ok(token.as_ref().map(|t| t.secret().clone()))
            }
        }
    }

    /// Drops `stale` if it is still the current session or token (another call may have renewed it
    /// already).
    async fn forget(&self, stale: Option<&Pass>) {
        match stale {
            Some(Pass::Cookie(stale)) => {
                let mut session = self.session.lock().await;
                if session.as_ref() == Some(stale) {
                    *session = None;
                }
            }
            Some(Pass::Bearer(stale)) => {
                let mut token = self.token.lock().await;
                if token.as_ref().is_some_and(|t| t.secret() == stale) {
                    *token = None;
                }
            }
            None => {}
        }
    }

    /// Ends the local session; the next call signs in again.
    pub(super) async fn take_session(&self) -> Option<Secret> {
        self.session.lock().await.take()
    }

    /// Forgets the v2 token this client fetched (never one the user gave); the next v2 call fetches
    /// another.
    pub(super) async fn take_token(&self) -> Option<Secret> {
        self.token.lock().await.take().map(|t| t.secret().clone())
    }

    pub(super) async fn send_once(
        &self,
        call: &Call,
        pass: Option<&Pass>,
    ) -> Result<Response, Failure> {
        let mut request = self
            .http
            .request(call.method.clone(), self.url(call.version, call.endpoint))
            .query(&call.query)
            .header("X-Requested-By", "ThoughtSpot")
            .header("Accept-Language", "en-US")
            .header(ACCEPT, call.accept);
        request = match pass {
            Some(Pass::Cookie(cookie)) => {
                request.header(COOKIE, format!("JSESSIONID={}", cookie.expose()))
            }
            Some(Pass::Bearer(token)) => request.bearer_auth(token.expose()),
            None => request,
        };
        request = match &call.body {
            Body::Empty => request,
            Body::Form(fields) => request.form(fields),
            Body::Json(value) => request.json(value),
            Body::Multipart(build) => request.multipart(build()),
        };
        let response = request
            .send()
            .await
            .map_err(|e| Failure::from(classify(&call.name(), &self.root, self.timeout, e)))?;
        if response.status().is_success() || response.status().is_redirection() {
            return Ok(response);
        }
        // v2 answers errors with 400, 401, 403 or 500 (wire-protocol §4.1): an unknown path means no v2.
        if call.version == Version::V2 && matches!(response.status().as_u16(), 404 | 405 | 501) {
            return Err(Failure::from(Error::NoV2 {
                endpoint: call.name(),
                status: response.status().as_u16(),
            }));
        }
        Err(api_error(&call.name(), response, &self.sent_secrets(call, pass)).await)
    }

    /// Every secret a request for `call` carries: the credentials, the session cookie, the values of
    /// secret form fields, and the call's own [`Call::secrets`].
    fn sent_secrets<'a>(&'a self, call: &'a Call, pass: Option<&'a Pass>) -> Vec<&'a str> {
        let mut secrets: Vec<&str> = call.secrets.iter().map(Secret::expose).collect();
        secrets.extend(pass.map(|p| p.secret().expose()));
        secrets.extend(match &self.credentials {
            Some(Credentials::Password { password: s, .. })
            | Some(Credentials::TrustedAuth { secret_key: s, .. })
            | Some(Credentials::Bearer { token: s }) => Some(s.expose()),
            None => None,
        });
        if let Body::Form(fields) = &call.body {
            secrets.extend(
                fields
                    .iter()
                    .filter(|(name, _)| SECRET_FIELDS.contains(&name.as_str()))
                    .map(|(_, value)| value.as_str()),
            );
        }
        secrets
    }
}

/// What a call's outcome says about the cluster's load.
fn signal_of<T>(outcome: &Result<T, Failure>, latency: Duration) -> Signal {
    match outcome {
        Ok(_) => Signal::Ok { latency },
        Err(Failure {
            error: Error::Timeout { .. },
            ..
        }) => Signal::Overloaded,
        Err(Failure {
            error, retry_after, ..
        }) => match error.status() {
            Some(429) => Signal::RateLimited {
                retry_after: *retry_after,
            },
            Some(500..=599) => Signal::Overloaded,
            _ => Signal::Neutral,
        },
    }
}

/// An error plus the server's `Retry-After`, if it sent one.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    pub retry_after: Option<Duration>,
    /// The failure was signing in: a write, so the read that needed it is not retried either.
    pub sign_in: bool,
}

impl Failure {
    fn sign_in(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
            sign_in: true,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
            sign_in: false,
        }
    }
}

/// Turns a non-success response into an [`Error::Api`], reading the body leniently.
async fn api_error(endpoint: &str, response: Response, sent: &[&str]) -> Failure {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let retry_after = parse_retry_after(header("retry-after").as_deref());
    let (incident, trace) = (
        header("x-callosum-incident-id"),
        header("x-callosum-trace-id"),
    );
    // An error body is only ever a short message; a huge one is cut, not buffered.
    let body = read_capped(response, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
    let (code, incident_id, trace_id, debug) = parse_error_body(&body, incident, trace);
    let debug = debug.map(|text| redact(&text, sent));
    let error = Error::Api {
        endpoint: endpoint.to_string(),
        status,
        code,
        incident_id,
        trace_id,
        debug,
    };
    Failure {
        error,
        retry_after,
        sign_in: false,
    }
}

/// The most of an error body read: ThoughtSpot's are a few hundred bytes.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Why a body could not be read whole.
enum Capped {
    TooLarge,
    Broken(reqwest::Error),
}

/// Reads the body chunk by chunk and stops as soon as it passes `limit` bytes (or announces that it
/// will), so a hostile or runaway response costs at most `limit` bytes of memory. The buffer is sized
/// up front, from `Content-Length` or else the largest body read so far, and large ones come from a
/// small pool ([`BodyBuffer`]): mapping and faulting in a fresh 13 MB block for each page of a long
/// export cost about a third of its page faults.
async fn read_capped(mut response: Response, limit: u64) -> Result<Bytes, Capped> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(Capped::TooLarge);
    }
    let expected = response
        .content_length()
        .unwrap_or_else(|| LargestBody::get().min(limit));
    let mut body = BodyBuffer::take(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(Capped::Broken)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(Capped::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    LargestBody::record(body.len());
    Ok(Bytes::from_owner(BodyBuffer(body)))
}

/// A response body whose buffer goes back to a small pool when the last `Bytes` over it is dropped,
/// so the next page reuses memory already mapped instead of faulting in a fresh block.
struct BodyBuffer(Vec<u8>);

static BODY_POOL: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

impl BodyBuffer {
    /// Buffers kept: the pages a read holds at once, about.
    const POOLED: usize = 4;
    /// Smaller bodies (metadata, error bodies) are cheap to allocate and are not pooled.
    const MIN: usize = 1 << 20;
    /// A larger one (a body near `--max-response-size`) is freed, not kept resident for the run.
    const MAX: usize = 64 << 20;

    fn take(want: usize) -> Vec<u8> {
        if want < Self::MIN {
            return Vec::with_capacity(want);
        }
        let mut pool = BODY_POOL.lock().unwrap_or_else(|e| e.into_inner());
        match pool.iter().position(|b| b.capacity() >= want) {
            Some(i) => pool.swap_remove(i),
            None => Vec::with_capacity(want.next_multiple_of(Self::MIN)),
        }
    }
}

impl AsRef<[u8]> for BodyBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for BodyBuffer {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if (Self::MIN..=Self::MAX).contains(&buffer.capacity()) {
            let mut pool = BODY_POOL.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < Self::POOLED {
                buffer.clear();
                pool.push(buffer);
            }
        }
    }
}

/// The largest response body read so far: the size hint for bodies sent without `Content-Length`.
struct LargestBody;

static LARGEST_BODY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl LargestBody {
    fn get() -> u64 {
        LARGEST_BODY.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn record(len: usize) {
        LARGEST_BODY.fetch_max(len as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Sorts a transport error into connect, timeout or broken transfer, without the URL (which may hold a
/// query the user considers sensitive) and never with a header.
fn classify(endpoint: &str, root: &str, timeout: Duration, error: reqwest::Error) -> Error {
    let (timed_out, connect) = (error.is_timeout(), error.is_connect());
    if let Some(problem) = certificate_problem(&error) {
        return certificate_error(root, problem);
    }
    let reason = error_chain(&error.without_url());
    if timed_out {
        Error::Timeout {
            endpoint: endpoint.to_string(),
            timeout,
        }
    } else if connect {
        Error::Connect {
            url: root.to_string(),
            reason,
        }
    } else {
        Error::Transfer {
            endpoint: endpoint.to_string(),
            reason,
        }
    }
}
