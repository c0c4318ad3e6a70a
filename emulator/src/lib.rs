//! An embedded ThoughtSpot: the v1 REST API of `docs/wire-protocol.md` (under
//! `/callosum/v1/tspublic/v1/`) and its REST API v2.0 data-access subset (under `/api/rest/2.0/`,
//! wire-protocol §4, when the profile's `v2` switch is on), served over real HTTP from deterministic, seeded
//! data, with switchable behaviour ([`Profile`]) and deliberate failures ([`FaultPlan`]).
//!
//! It is written from the wire spec alone and shares no code with the client, so that a
//! misunderstanding in one cannot hide behind the same misunderstanding in the other.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tsexport_emulator::{Emulator, Profile};
//! let emulator = Emulator::builder().rows(10_000).seed(7).profile(Profile::modern()).start().await?;
//! println!("ThoughtSpot at {} (login tsadmin / admin)", emulator.base_url());
//! # Ok(()) }
//! ```
//!
//! Besides the server, the crate exposes the parts the client's tests and benchmarks drive without
//! HTTP: the data sets ([`data`]), the search engine ([`search`]) and the page renderer
//! ([`render`]), so they can produce exactly the bytes the emulator serves.

#![warn(missing_docs, unreachable_pub)]
#![deny(rustdoc::broken_intra_doc_links)]

mod audit;
mod auth;
mod catalog;
mod clock;
mod cluster;
pub mod data;
mod directory;
mod error;
mod faults;
pub mod ids;
mod page_cache;
mod params;
mod pdf;
pub mod profile;
pub mod render;
pub mod rng;
mod routes;
pub mod search;
mod server;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use auth::IssuedSecrets;
pub use clock::{Clock, ManualClock, SystemClock};
pub use faults::{Fault, FaultPlan, FaultPlanError, FaultRule};
pub use profile::Profile;

/// The default login.
pub const DEFAULT_USERNAME: &str = "tsadmin";
/// The default login's password.
pub const DEFAULT_PASSWORD: &str = "admin";
/// The default trusted-authentication secret key.
pub const DEFAULT_SECRET_KEY: &str = "6a8e3c1f-2b4d-4e5f-9a7b-0c1d2e3f4a5b";

/// The v1 endpoints, by their path after `/callosum/v1/tspublic/v1/`.
// Each variant names the endpoint at its `path()` (`SearchData` is `searchdata`): a line each would
// only repeat the path.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    SessionLogin,
    SessionLogout,
    SessionInfo,
    SessionAuthToken,
    SessionLoginToken,
    SearchData,
    PinboardData,
    ExportPinboardPdf,
    ListObjectHeaders,
    ListVizHeaders,
    MetadataDetails,
    TransferOwnership,
    UserSync,
    UpdatePassword,
    UserList,
    AddPrivilege,
    RemovePrivilege,
}

impl Endpoint {
    /// Every v1 endpoint.
    pub const ALL: [Endpoint; 17] = [
        Endpoint::SessionLogin,
        Endpoint::SessionLogout,
        Endpoint::SessionInfo,
        Endpoint::SessionAuthToken,
        Endpoint::SessionLoginToken,
        Endpoint::SearchData,
        Endpoint::PinboardData,
        Endpoint::ExportPinboardPdf,
        Endpoint::ListObjectHeaders,
        Endpoint::ListVizHeaders,
        Endpoint::MetadataDetails,
        Endpoint::TransferOwnership,
        Endpoint::UserSync,
        Endpoint::UpdatePassword,
        Endpoint::UserList,
        Endpoint::AddPrivilege,
        Endpoint::RemovePrivilege,
    ];

    /// The path after `/callosum/v1/tspublic/v1/`, which is also its name in fault rules and
    /// request counters.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::SessionLogin => "session/login",
            Endpoint::SessionLogout => "session/logout",
            Endpoint::SessionInfo => "session/info",
            Endpoint::SessionAuthToken => "session/auth/token",
            Endpoint::SessionLoginToken => "session/login/token",
            Endpoint::SearchData => "searchdata",
            Endpoint::PinboardData => "pinboarddata",
            Endpoint::ExportPinboardPdf => "export/pinboard/pdf",
            Endpoint::ListObjectHeaders => "metadata/listobjectheaders",
            Endpoint::ListVizHeaders => "metadata/listvizheaders",
            Endpoint::MetadataDetails => "metadata/details",
            Endpoint::TransferOwnership => "user/transfer/ownership",
            Endpoint::UserSync => "user/sync",
            Endpoint::UpdatePassword => "user/updatepassword",
            Endpoint::UserList => "user/list",
            Endpoint::AddPrivilege => "group/addprivilege",
            Endpoint::RemovePrivilege => "group/removeprivilege",
        }
    }

    /// The endpoint at `path` (after `/callosum/v1/tspublic/v1/`).
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.path() == path)
    }
}

/// The v2 endpoints, by their path after `/api/rest/2.0/`. Fault rules and request counters name them
/// `v2/` + that path (e.g. `v2/searchdata`), so they never collide with a v1 name.
// Each variant names the endpoint at its `path()` (`TokenFull` is `auth/token/full`): a line each
// would only repeat the path.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum V2Endpoint {
    TokenFull,
    TokenRevoke,
    SessionLogin,
    SessionLogout,
    SearchData,
    LiveboardData,
    AnswerData,
    MetadataSearch,
    LogsFetch,
}

impl V2Endpoint {
    /// Every v2 endpoint.
    pub const ALL: [V2Endpoint; 9] = [
        V2Endpoint::TokenFull,
        V2Endpoint::TokenRevoke,
        V2Endpoint::SessionLogin,
        V2Endpoint::SessionLogout,
        V2Endpoint::SearchData,
        V2Endpoint::LiveboardData,
        V2Endpoint::AnswerData,
        V2Endpoint::MetadataSearch,
        V2Endpoint::LogsFetch,
    ];

    /// The path after `/api/rest/2.0/`.
    pub fn path(self) -> &'static str {
        match self {
            V2Endpoint::TokenFull => "auth/token/full",
            V2Endpoint::TokenRevoke => "auth/token/revoke",
            V2Endpoint::SessionLogin => "auth/session/login",
            V2Endpoint::SessionLogout => "auth/session/logout",
            V2Endpoint::SearchData => "searchdata",
            V2Endpoint::LiveboardData => "metadata/liveboard/data",
            V2Endpoint::AnswerData => "metadata/answer/data",
            V2Endpoint::MetadataSearch => "metadata/search",
            V2Endpoint::LogsFetch => "logs/fetch",
        }
    }

    /// The name fault rules and request counters use: `v2/` + [`path`](Self::path).
    pub fn rule_name(self) -> &'static str {
        match self {
            V2Endpoint::TokenFull => "v2/auth/token/full",
            V2Endpoint::TokenRevoke => "v2/auth/token/revoke",
            V2Endpoint::SessionLogin => "v2/auth/session/login",
            V2Endpoint::SessionLogout => "v2/auth/session/logout",
            V2Endpoint::SearchData => "v2/searchdata",
            V2Endpoint::LiveboardData => "v2/metadata/liveboard/data",
            V2Endpoint::AnswerData => "v2/metadata/answer/data",
            V2Endpoint::MetadataSearch => "v2/metadata/search",
            V2Endpoint::LogsFetch => "v2/logs/fetch",
        }
    }

    /// The endpoint fault rules and request counters name `name` (`v2/` + its path).
    pub fn from_rule_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.rule_name() == name)
    }
}

/// An endpoint of either API, as fault rules and request counters name it.
pub trait CountedEndpoint: Copy {
    /// The name fault rules and request counters use.
    fn rule_name(self) -> &'static str;
}

impl CountedEndpoint for Endpoint {
    fn rule_name(self) -> &'static str {
        self.path()
    }
}

impl CountedEndpoint for V2Endpoint {
    fn rule_name(self) -> &'static str {
        V2Endpoint::rule_name(self)
    }
}

/// Whether fault rules may name `name`: a v1 path, a `v2/` name, or `*`.
pub(crate) fn is_rule_endpoint(name: &str) -> bool {
    name == "*" || Endpoint::from_path(name).is_some() || V2Endpoint::from_rule_name(name).is_some()
}

/// Everything an emulator is started with. `Default` is the emulator of `docs/emulator.md`: v2021 profile,
/// 1,000,000 rows, seed 42.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// The cluster's behaviour where versions and settings differ.
    pub profile: Profile,
    /// Rows of the Retail Sales worksheet.
    pub rows: u64,
    /// Seed of every generated value.
    pub seed: u64,
    /// Failures to inject.
    pub faults: FaultPlan,
    /// Serve DATE and DATE_TIME cells as `{"v":{"s":..}}`.
    pub custom_calendar: bool,
    /// The cluster time zone (`session/info.timezone`); DATE cells are local midnights in it.
    pub timezone: String,
    /// `None` switches trusted authentication off (`session/auth/token` answers 500).
    pub secret_key: Option<String>,
    /// Bearer tokens accepted from the start, `(token, user)`.
    pub bearer_tokens: Vec<(String, String)>,
    /// What "now" is, for session and token expiry and modification times.
    pub clock: Arc<dyn Clock>,
    /// Bytes of rendered data pages to keep in memory and serve again (0: always stream).
    pub page_cache_bytes: usize,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            profile: Profile::v2021(),
            rows: 1_000_000,
            seed: 42,
            faults: FaultPlan::default(),
            custom_calendar: false,
            timezone: "America/Chicago".into(),
            secret_key: Some(DEFAULT_SECRET_KEY.into()),
            bearer_tokens: Vec::new(),
            clock: Arc::new(SystemClock),
            page_cache_bytes: 0,
        }
    }
}

/// Builds and starts an [`Emulator`].
#[derive(Debug, Clone, Default)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
}

impl EmulatorBuilder {
    /// Address to listen on; the default `127.0.0.1:0` picks a free port.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.config.bind = addr;
        self
    }

    /// The cluster's behaviour where versions and settings differ (default [`Profile::v2021`]).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Rows of the Retail Sales worksheet (generated lazily: memory does not grow with it).
    pub fn rows(mut self, rows: u64) -> Self {
        self.config.rows = rows;
        self
    }

    /// Seed of every generated value: the same seed serves the same data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Failures to inject.
    pub fn faults(mut self, faults: FaultPlan) -> Self {
        self.config.faults = faults;
        self
    }

    /// Serve DATE and DATE_TIME cells as `{"v":{"s":..}}`.
    pub fn custom_calendar(mut self, on: bool) -> Self {
        self.config.custom_calendar = on;
        self
    }

    /// The cluster time zone, an IANA name (default `America/Chicago`).
    pub fn timezone(mut self, tz: impl Into<String>) -> Self {
        self.config.timezone = tz.into();
        self
    }

    /// The trusted-auth secret key; `None` switches trusted auth off.
    pub fn secret_key(mut self, key: Option<String>) -> Self {
        self.config.secret_key = key;
        self
    }

    /// Accepts `token` as a bearer token for `user` (with a profile that allows bearer on v1).
    pub fn bearer_token(mut self, token: impl Into<String>, user: impl Into<String>) -> Self {
        self.config.bearer_tokens.push((token.into(), user.into()));
        self
    }

    /// What "now" is (default the system clock; [`ManualClock`] for expiry tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self
    }

    /// Keep up to `bytes` of rendered data pages in memory and serve repeated requests from there,
    /// so benchmarks measure the client rather than row generation.
    pub fn page_cache(mut self, bytes: usize) -> Self {
        self.config.page_cache_bytes = bytes;
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// Binds, starts serving on the current Tokio runtime, and returns the running emulator.
    pub async fn start(self) -> Result<Emulator, EmulatorError> {
        let state = Arc::new(State::new(self.config.clone())?);
        let listener = tokio::net::TcpListener::bind(self.config.bind)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: self.config.bind,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: self.config.bind,
                source,
            })?;
        let (shutdown, task) = server::serve(listener, state.clone());
        Ok(Emulator {
            addr,
            state,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }
}

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source} (is another process using the port? try --bind 127.0.0.1:0)")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why it cannot be used.
        source: std::io::Error,
    },
    /// The time zone is not an IANA name.
    #[error("unknown time zone '{0}': use an IANA name such as America/Chicago or UTC")]
    TimeZone(String),
    /// The fault plan has a rule that cannot fire.
    #[error(transparent)]
    Faults(#[from] faults::FaultPlanError),
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// A builder with the defaults of [`EmulatorConfig`].
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:<port>`: what a client is configured with.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:<port>/callosum/v1/tspublic/v1`: where the v1 endpoints live.
    pub fn v1_url(&self) -> String {
        format!("{}/callosum/v1/tspublic/v1", self.base_url())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The profile it serves.
    pub fn profile(&self) -> &Profile {
        &self.state.profile
    }

    /// `http://127.0.0.1:<port>/api/rest/2.0`: where the v2 endpoints live (when the profile's `v2`
    /// switch is on).
    pub fn v2_url(&self) -> String {
        format!("{}/api/rest/2.0", self.base_url())
    }

    /// Requests received so far by `endpoint` (an [`Endpoint`] or a [`V2Endpoint`]), failed and
    /// faulted ones included.
    pub fn request_count(&self, endpoint: impl CountedEndpoint) -> u64 {
        self.state.faults.count(endpoint.rule_name())
    }

    /// Requests received so far by all endpoints.
    pub fn total_requests(&self) -> u64 {
        self.state.faults.total()
    }

    /// The most requests this emulator was handling at once (from arrival to response headers).
    pub fn max_requests_in_flight(&self) -> u64 {
        self.state.faults.max_in_flight()
    }

    /// Requests answered `429 Too Many Requests` by the profile's rate limit (`rate_limit_per_sec`)
    /// so far. They reach no endpoint, so [`request_count`](Self::request_count) and
    /// [`total_requests`](Self::total_requests) leave them out.
    pub fn rate_limited_count(&self) -> u64 {
        self.state.cluster.rate_limited_count()
    }

    /// The most data pages (v1 `searchdata`, `pinboarddata`; v2 `searchdata`,
    /// `metadata/answer/data`, `metadata/liveboard/data`) that were in service at once: holding a
    /// service slot, not waiting for one (profile `max_concurrent`). Counted whatever the profile.
    pub fn max_concurrent_queries(&self) -> u64 {
        self.state.cluster.max_in_service()
    }

    /// A bearer token for `user`, accepted on v1 calls when the profile allows bearer auth.
    pub fn issue_bearer_token(&self, user: &str) -> String {
        self.state.sessions().bearer_for(user)
    }

    /// Every session id, `clientId`, trusted-auth login token and bearer token (v2 `auth/token/full`
    /// tokens included) this emulator has
    /// handed out (or was configured with) so far, ended sessions included: the values a test
    /// searches a client's output for to prove that no credential leaks.
    pub fn issued_secrets(&self) -> IssuedSecrets {
        self.state.sessions().issued().clone()
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// State shared by all requests.
#[derive(Debug)]
pub(crate) struct State {
    pub profile: Profile,
    pub clock: Arc<dyn Clock>,
    pub data: data::DataSets,
    pub catalog: Mutex<catalog::Catalog>,
    pub directory: Mutex<directory::Directory>,
    sessions: Mutex<auth::Sessions>,
    pub faults: faults::FaultEngine,
    pub cache: search::ResultCache,
    pub page_cache: Option<page_cache::PageCache>,
    pub secret_key: Option<String>,
    pub custom_calendar: bool,
    pub timezone: String,
    pub tz: chrono_tz::Tz,
    /// `(session, source + query)` pairs that have seen `pagenumber=1` (profile `require_first_page_one`).
    pub first_pages: Mutex<std::collections::HashSet<(String, String)>>,
    /// The security audit log (`logs/fetch`).
    pub audit: audit::AuditLog,
    /// Service slots, service time and rate limits (the profile's cluster model).
    pub cluster: cluster::Cluster,
}

impl State {
    fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        config.faults.validate()?;
        let tz: chrono_tz::Tz = config
            .timezone
            .parse()
            .map_err(|_| EmulatorError::TimeZone(config.timezone.clone()))?;
        let now = config.clock.now_ms();
        let data = data::DataSets::at(config.seed, config.rows, tz, now);
        let catalog = catalog::Catalog::fixture(&data);
        let mut sessions = auth::Sessions::new(config.seed ^ now as u64);
        for (token, user) in &config.bearer_tokens {
            sessions.register_bearer(token, user);
        }
        let directory = directory::Directory::fixture(1_577_836_800_000);
        let users: Vec<(String, String)> = directory
            .users()
            .map(|u| (u.name.clone(), u.guid.clone()))
            .collect();
        let audit = audit::AuditLog::new(config.seed, now, &users);
        let cluster = cluster::Cluster::new(&config.profile);
        Ok(Self {
            cluster,
            profile: config.profile,
            clock: config.clock,
            data,
            catalog: Mutex::new(catalog),
            directory: Mutex::new(directory),
            sessions: Mutex::new(sessions),
            faults: faults::FaultEngine::new(config.faults),
            cache: search::ResultCache::new(16),
            page_cache: (config.page_cache_bytes > 0)
                .then(|| page_cache::PageCache::new(config.page_cache_bytes)),
            secret_key: config.secret_key,
            custom_calendar: config.custom_calendar,
            timezone: config.timezone,
            tz,
            first_pages: Mutex::new(Default::default()),
            audit,
        })
    }

    pub(crate) fn sessions(&self) -> std::sync::MutexGuard<'_, auth::Sessions> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn directory(&self) -> std::sync::MutexGuard<'_, directory::Directory> {
        self.directory.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn catalog(&self) -> std::sync::MutexGuard<'_, catalog::Catalog> {
        self.catalog.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Records a security event now, by the user named `user` when there is one. Locks the
    /// directory: a caller holding it records through [`audit::AuditLog::record`] instead.
    pub(crate) fn audit(
        &self,
        kind: &'static str,
        description: &'static str,
        user: Option<&str>,
        data: serde_json::Value,
    ) {
        let guid = user.and_then(|name| self.directory().user(name).map(|u| u.guid.clone()));
        let user = user.zip(guid.as_deref());
        self.audit
            .record(self.now_ms(), kind, description, user, data);
    }
}
