//! The ThoughtSpot REST client: v1 `tspublic/v1` (`docs/wire-protocol.md` §2) and the REST
//! v2.0 data-access calls (§4).
//!
//! One [`Client`] holds the connection settings, the credentials and the session. The v1 session is
//! established lazily on the first call, kept, and renewed once when a call is refused with 401
//! (ThoughtSpot expires idle sessions). v2 calls carry a bearer token from `auth/token/full`,
//! fetched on first use and refreshed before it expires. Reads are retried on transient failures
//! ([`RetryConfig`]); writes (user sync, passwords, ownership, privileges) are sent once.
//!
//! Data is read through the API [`ClientBuilder::api`] chooses ([`ApiChoice`]): v1, v2, or whichever
//! the cluster serves.
//!
//! ```no_run
//! # async fn run() -> Result<(), tsexport::api::Error> {
//! use tsexport::api::{Client, Credentials, Secret};
//! let client = Client::builder("https://example.thoughtspot.cloud")
//!     .credentials(Credentials::password("analyst", Secret::new("from-a-vault")))
//!     .build()?;
//! let me = client.session_info().await?;
//! println!("signed in as {} on {}", me.user_name, me.release_version.unwrap_or_default());
//! # Ok(()) }
//! ```

mod auth;
mod concurrency;
mod data;
mod error;
mod find;
mod groups;
mod metadata;
mod pdf;
mod redact;
mod retry;
mod session;
mod tls;
mod token;
mod transport;
mod users;
mod v2;
mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use concurrency::{
    AdaptiveLimit, InFlight, InvalidInFlight, RequestStats, DEFAULT_MAX_IN_FLIGHT,
};
pub(crate) use data::day_start_ms;
pub use data::{
    parse_param, Counters, DataFormat, InvalidParam, InvalidSort, Page, ParamValue,
    PinboardRequest, SearchRequest, SortBy, SortOrder, VizPage,
};
pub use error::Error;
pub use find::{FindError, ObjectKind};
pub use retry::{Jitter, RetryConfig};
pub use session::SessionInfo;
pub use v2::{
    AnswerRequest, LogBatch, LogEntry, LogType, MetadataSearch, MetadataSearchItem,
    MetadataSelector, UnknownLogType,
};
// Types of the metadata, users, groups and pdf modules are re-exported below this line.
pub use groups::Privilege;
pub use metadata::{
    Category, ColumnDetails, ColumnKind, ListObjectHeaders, ObjectDetails, ObjectHeader,
    ObjectType, SortKey, SubType, TagRef, VizHeader, VizType,
};
pub use pdf::{PdfLayout, PdfOptions, PdfOrientation};
pub use users::{Principal, PrincipalType, SyncDiff, SyncOptions, Visibility};
pub use wire::ParseEnumError;

/// A secret string: passwords, secret keys, tokens. Its `Debug` shows `***` and it has no `Display`,
/// so it cannot end up in logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret so that it is never printed.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the client signs in.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `session/login` with a username and password: a cookie session.
    Password {
        /// The user to sign in as.
        username: String,
        /// That user's password.
        password: Secret,
    },
    /// Trusted authentication: `session/auth/token` with the cluster's secret key, then
    /// `session/login/token`: a cookie session for `username` without its password.
    TrustedAuth {
        /// The user to sign in as.
        username: String,
        /// The cluster's trusted-authentication secret key (`secret_key`).
        secret_key: Secret,
    },
    /// A bearer token sent on every call (clusters from about 2024 accept one on v1).
    Bearer {
        /// The token, sent as `Authorization: Bearer <token>`.
        token: Secret,
    },
}

impl Credentials {
    /// A user name and password (`session/login`).
    pub fn password(username: impl Into<String>, password: Secret) -> Self {
        Credentials::Password {
            username: username.into(),
            password,
        }
    }

    /// Trusted authentication: the cluster's secret key is exchanged for a login token for `username`.
    pub fn trusted(username: impl Into<String>, secret_key: Secret) -> Self {
        Credentials::TrustedAuth {
            username: username.into(),
            secret_key,
        }
    }

    /// A bearer token obtained elsewhere, sent on every call.
    pub fn bearer(token: Secret) -> Self {
        Credentials::Bearer { token }
    }

    /// Who the credentials sign in as, for messages.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Password { username, .. } | Credentials::TrustedAuth { username, .. } => {
                username
            }
            Credentials::Bearer { .. } => "the bearer token's user",
        }
    }
}

/// Which REST API data is read through, as asked for. The default is [`ApiChoice::Auto`], as on the
/// command line: v1 is deprecated, and `Auto` reads through v2 where it is served and v1 elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiChoice {
    /// `tspublic/v1`: every cluster since 2020; deprecated since 26.6.0.cl but still served.
    V1,
    /// `/api/rest/2.0`: clusters from 9.0.0.cl on.
    V2,
    /// Asks the cluster once, on first use, and takes v2 when it is served (the default).
    #[default]
    Auto,
}

impl std::str::FromStr for ApiChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "v1" | "1" => Ok(ApiChoice::V1),
            "v2" | "2" => Ok(ApiChoice::V2),
            "auto" => Ok(ApiChoice::Auto),
            other => Err(format!(
                "unknown API '{other}': use v1, v2 or auto (auto asks the cluster and takes v2 when it is served)"
            )),
        }
    }
}

/// The REST API data is read through, once decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// REST API v1 (`/callosum/v1/tspublic/v1/`): cookie sessions, `searchdata` and `pinboarddata`.
    V1,
    /// REST API v2.0 (`/api/rest/2.0/`): bearer tokens and JSON bodies (wire-protocol §4).
    V2,
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        })
    }
}

/// The default of [`ClientBuilder::token_validity`]: ThoughtSpot's own default lifetime. Tokens are
/// refreshed before they expire, so a long export needs no longer one.
pub const DEFAULT_TOKEN_VALIDITY: Duration = Duration::from_secs(300);

/// A retry about to happen, for progress reporting and tests.
#[derive(Debug, Clone)]
pub struct RetryEvent {
    /// The call that failed.
    pub endpoint: String,
    /// The attempt that failed, from 1.
    pub attempt: u32,
    /// How long the client waits before the next attempt.
    pub wait: Duration,
    /// Why the attempt failed.
    pub error: String,
}

/// Called before each retry's wait.
pub type RetryObserver = Arc<dyn Fn(&RetryEvent) + Send + Sync>;

/// The default of [`ClientBuilder::max_response_bytes`]: a 100,000-row page of a wide worksheet is
/// tens of MiB, so this leaves room for any real page and none for a runaway body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 512 << 20;

/// Settings for a [`Client`]; `Client::builder(url)` starts one with defaults.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    timeout: Duration,
    connect_timeout: Duration,
    ca_certificate_pem: Option<Vec<u8>>,
    retry: RetryConfig,
    on_retry: Option<RetryObserver>,
    max_requests_in_flight: Option<usize>,
    adaptive: Option<AdaptiveLimit>,
    max_response_bytes: u64,
    api: ApiChoice,
    token_validity: Duration,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Sign-in method; without one, only calls that need no session work.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Longest wait for one whole response (default 5 minutes, as ThoughtSpot's tools use for data).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most a connection may take to open.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Trust this PEM certificate (a private CA) in addition to the system's web roots.
    pub fn ca_certificate_pem(mut self, pem: Vec<u8>) -> Self {
        self.ca_certificate_pem = Some(pem);
        self
    }

    /// How reads are retried: attempts, backoff and the total time allowed.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Called before each retry, e.g. to show it.
    pub fn on_retry(mut self, observer: RetryObserver) -> Self {
        self.on_retry = Some(observer);
        self
    }

    /// At most `n` calls in flight at once, across every clone of the client (default: no cap). A
    /// call holds its place while its response body is read, not while it waits to retry.
    pub fn max_requests_in_flight(mut self, n: usize) -> Self {
        self.max_requests_in_flight = Some(n);
        self
    }

    /// Let the calls in flight adapt to what the cluster sustains, between 1 and `limit.max` (and
    /// [`Self::max_requests_in_flight`], when both are given): see [`AdaptiveLimit`]. Without it,
    /// the client sends whatever its callers ask for, up to `max_requests_in_flight`.
    pub fn adaptive_in_flight(mut self, limit: AdaptiveLimit) -> Self {
        self.adaptive = Some(limit);
        self
    }

    /// The longest response body accepted (default 512 MiB). Pages are read whole, so this also caps
    /// the memory one response can take; a longer body fails the call instead of being buffered.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The REST API data is read through (default v1). Other calls (users, groups, PDF, listing) use
    /// v1 whatever this says.
    pub fn api(mut self, api: ApiChoice) -> Self {
        self.api = api;
        self
    }

    /// The lifetime asked for v2 bearer tokens (default 300 s). The client refreshes a token a
    /// quarter of its life (at most a minute) before it expires.
    pub fn token_validity(mut self, validity: Duration) -> Self {
        self.token_validity = validity;
        self
    }

    /// Checks the settings and builds the client. Proxies come from the environment (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `NO_PROXY`).
    pub fn build(self) -> Result<Client, Error> {
        let root = normalize_base_url(&self.base_url)?;
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("tsexport/", env!("CARGO_PKG_VERSION")))
            // Sign-in answers with a redirect unless told not to; the client must see it, not follow it.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &self.ca_certificate_pem {
            let certificate = reqwest::Certificate::from_pem(pem)
                .map_err(|e| Error::Config(format!("the CA certificate is not valid PEM: {e}")))?;
            http = http.add_root_certificate(certificate);
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            api: self.api,
            inner: Arc::new(transport::Transport::new(
                http,
                root,
                self.credentials,
                self.retry,
                self.on_retry,
                transport::Limits {
                    timeout: self.timeout,
                    in_flight: match (self.adaptive, self.max_requests_in_flight) {
                        (Some(limit), cap) => {
                            let max = cap.map_or(limit.max, |cap| cap.min(limit.max));
                            concurrency::Limiter::adaptive(AdaptiveLimit {
                                max,
                                initial: limit.initial.min(max),
                                ..limit
                            })
                        }
                        (None, Some(n)) => concurrency::Limiter::fixed(n),
                        (None, None) => concurrency::Limiter::unbounded(),
                    },
                    max_response_bytes: self.max_response_bytes,
                    token_validity: self.token_validity,
                },
            )),
        })
    }
}

/// `https://host`, `https://host/`, `https://host/callosum/v1/` all mean `https://host/callosum/v1`.
fn normalize_base_url(url: &str) -> Result<String, Error> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed).map_err(|e| {
        Error::Config(format!("'{url}' is not a URL ({e}); give the cluster address, e.g. https://example.thoughtspot.cloud"))
    })?;
    // Credentials in the URL would travel into logs, errors and manifests; they have their own settings.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(
            "the cluster URL carries a user name or password; remove them from the URL and give them as the client's credentials".into(),
        ));
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "'{url}' must start with https:// (or http:// for a local emulator)"
        )));
    }
    let root = trimmed.strip_suffix("/callosum/v1").unwrap_or(trimmed);
    Ok(format!("{root}/callosum/v1"))
}

/// A ThoughtSpot client. Cheap to clone; clones share the session, the token and the API choice.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<transport::Transport>,
    api: ApiChoice,
}

impl Client {
    /// A client of the cluster at `base_url` (`https://host` is enough).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credentials: None,
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(30),
            ca_certificate_pem: None,
            retry: RetryConfig::default(),
            on_retry: None,
            max_requests_in_flight: None,
            adaptive: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            api: ApiChoice::default(),
            token_validity: DEFAULT_TOKEN_VALIDITY,
        }
    }

    /// What this client's calls (and its clones') met so far: requests, 429s, 5xx, retries, and the
    /// most in flight at once.
    pub fn request_stats(&self) -> RequestStats {
        self.inner.request_stats()
    }

    /// The API data is read through: the one chosen, or for [`ApiChoice::Auto`] the one the cluster
    /// serves, asked once for this client and its clones: with the first call v2 would make anyway
    /// (fetching a token), where a 404 means "not served".
    pub async fn data_api(&self) -> Result<ApiVersion, Error> {
        match self.api {
            ApiChoice::V1 => Ok(ApiVersion::V1),
            ApiChoice::V2 => Ok(ApiVersion::V2),
            ApiChoice::Auto => self
                .inner
                .api
                .get_or_try_init(|| v2::probe(&self.inner))
                .await
                .copied(),
        }
    }

    /// `https://host/callosum/v1`.
    pub fn root_url(&self) -> &str {
        self.inner.root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_with_or_without_callosum_and_slash() {
        for url in [
            "https://ts.example",
            "https://ts.example/",
            "https://ts.example/callosum/v1",
            "https://ts.example/callosum/v1/",
        ] {
            assert_eq!(
                normalize_base_url(url).unwrap(),
                "https://ts.example/callosum/v1",
                "{url}"
            );
        }
        assert!(normalize_base_url("ts.example").is_err());
        assert!(normalize_base_url("ftp://ts.example").is_err());
        let with_password = normalize_base_url("https://etl:hunter2@ts.example")
            .expect_err("credentials in the URL")
            .to_string();
        assert!(!with_password.contains("hunter2"), "{with_password}");
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Credentials::password("me", Secret::new("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
