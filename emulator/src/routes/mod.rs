//! HTTP routes: one module per v1 API group, the v2 API in [`v2`], the profile's rate limit every
//! request meets first, and the gate every request passes (counting, fault plan, `X-Requested-By`,
//! authentication).

mod body;
mod data;
mod groups;
mod metadata;
mod pdf;
mod session;
mod users;
mod v2;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;

use super::error::{ApiError, ErrorBody, ErrorMarker, V1Error, V1, V2};
use super::faults::Fault;
use super::server::ConnectionKill;
use super::{CountedEndpoint, Endpoint, State};

/// What a handler returns: a response either way.
pub(crate) type Reply = Result<Response, Response>;

pub(crate) type AppState = Arc<State>;

pub(crate) fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/session/login", post(session::login))
        .route("/session/logout", post(session::logout))
        .route("/session/info", get(session::info).post(session::info))
        .route("/session/auth/token", post(session::auth_token))
        .route(
            "/session/login/token",
            get(session::login_token).post(session::login_token),
        )
        .route("/searchdata", post(data::searchdata))
        .route("/pinboarddata", post(data::pinboarddata))
        .route("/export/pinboard/pdf", post(pdf::export))
        .route(
            "/metadata/listobjectheaders",
            get(metadata::list_object_headers),
        )
        .route("/metadata/listvizheaders", get(metadata::list_viz_headers))
        .route("/metadata/details", get(metadata::details))
        .route("/user/transfer/ownership", post(users::transfer_ownership))
        .route("/user/sync", post(users::sync))
        .route("/user/updatepassword", post(users::update_password))
        .route("/user/list", get(users::list))
        .route("/group/addprivilege", post(groups::add_privilege))
        .route("/group/removeprivilege", post(groups::remove_privilege));
    // Pre-7.x trusted auth and the pre-public session/info lived outside tspublic (wire-protocol §1.1).
    let legacy = Router::new()
        .route("/session/auth/token", post(session::auth_token))
        .route(
            "/session/login/token",
            get(session::login_token).post(session::login_token),
        )
        .route("/session/info", get(session::info).post(session::info));
    Router::new()
        .nest("/callosum/v1/tspublic/v1", v1)
        .nest("/callosum/v1", legacy)
        .nest("/api/rest/2.0", v2::router(state.clone()))
        .fallback(any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit,
        ))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            strip_error_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_in_flight,
        ))
        .with_state(state)
}

/// Keeps the high-water mark of requests handled at once, so tests can check a client's cap.
async fn count_in_flight(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let _in_flight = state.faults.enter();
    next.run(request).await
}

/// Profile switches `rate_limit_per_sec` and `rate_limit_burst`: every request, whatever its path,
/// takes a token from its client address's bucket (`cluster.rs`), or is answered 429 with
/// `Retry-After` in the body of the API it was sent to, and reaches no endpoint. Inside
/// `strip_error_body`, so `empty_error_bodies` applies to it like to any other error.
async fn rate_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let wait = match state.cluster.admit(client, tokio::time::Instant::now()) {
        Ok(()) => return next.run(request).await,
        Err(wait) => wait,
    };
    let secs = super::cluster::retry_after_secs(wait);
    let (rate, burst) = state.cluster.rate_limit().unwrap_or_default();
    let debug = format!(
        "Too many requests: this cluster allows {rate} requests per second per client address \
         (bursts of {burst}); retry after {secs} s"
    );
    let path = request.uri().path();
    let is_v2 = path == "/api/rest/2.0" || path.starts_with("/api/rest/2.0/");
    if is_v2 && state.profile.v2 {
        let response = ApiError::<V2>::too_many_requests(secs, debug).into_response();
        super::error::reshape(axum::extract::State(state), response).await
    } else {
        V1Error::too_many_requests(secs, debug).into_response()
    }
}

pub(crate) async fn not_found() -> Response {
    V1Error::not_found("No such endpoint: v1 endpoints live under /callosum/v1/tspublic/v1/")
        .into_response()
}

async fn method_not_allowed() -> Response {
    V1Error::method_not_allowed("Method not allowed for this endpoint").into_response()
}

/// Profile switch `empty_error_bodies`: keep status and headers, drop the JSON (wire-protocol §7 Q7).
async fn strip_error_body(
    axum::extract::State(state): axum::extract::State<AppState>,
    response: Response,
) -> Response {
    if !state.profile.empty_error_bodies || response.extensions().get::<ErrorMarker>().is_none() {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_TYPE);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    Response::from_parts(parts, Body::empty())
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// No session needed (login and trusted auth).
    Public,
    /// A session cookie, or a bearer token where the profile allows it.
    Session,
}

/// Fault effects that data endpoints apply to their pages.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct DataFaults {
    pub sampling_ratio: Option<f64>,
    pub shift_rows: i64,
    pub wrong_total: Option<u64>,
}

/// A request that passed the gate.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub user: Option<String>,
    pub session: Option<String>,
    /// The bearer token the caller authenticated with (v2), so `expire_session` can revoke it.
    pub token: Option<String>,
    pub data: DataFaults,
    body: body::BodyFaults,
}

impl Ctx {
    /// A request not yet authenticated, with the credentials it carries.
    pub(super) fn new(session: Option<String>, token: Option<String>) -> Self {
        Self {
            user: None,
            session,
            token,
            data: DataFaults::default(),
            body: body::BodyFaults::default(),
        }
    }

    pub(crate) fn user(&self) -> &str {
        self.user.as_deref().unwrap_or_default()
    }

    /// Applies the body faults (truncate, pad, corrupt) to the finished response.
    pub(crate) fn finish(&self, response: Response) -> Response {
        self.body.apply(response)
    }
}

pub(crate) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl State {
    /// Counts the request under `endpoint`'s name and applies the fault plan: waits out delays,
    /// drops the connection, records the body and data faults in `ctx`, and answers in the request's
    /// place (in the body `B` of the request's API) for a fault that does. Every gate starts here,
    /// so every fault behaves alike on both APIs.
    pub(crate) async fn inject_faults<B: ErrorBody>(
        &self,
        endpoint: impl CountedEndpoint,
        parts: &Parts,
        ctx: &mut Ctx,
    ) -> Result<(), Response> {
        let faults = self.faults.on_request(endpoint.rule_name());
        for fault in &faults {
            if let Fault::Delay { millis } = fault {
                tokio::time::sleep(std::time::Duration::from_millis(*millis)).await;
            }
        }
        for fault in faults {
            match fault {
                Fault::Status {
                    status,
                    code,
                    retry_after,
                    debug,
                } => return Err(ApiError::<B>::injected(status, code, retry_after, debug).into()),
                Fault::Drop => {
                    if let Some(kill) = parts.extensions.get::<ConnectionKill>() {
                        kill.0.notify_one();
                    }
                    // The connection task drops this request with its connection.
                    std::future::pending::<()>().await;
                }
                Fault::ExpireSession => {
                    let mut sessions = self.sessions();
                    if let Some(token) = &ctx.token {
                        sessions.revoke_token(token);
                    }
                    if let Some(id) = &ctx.session {
                        sessions.close(id);
                    }
                    return Err(ApiError::<B>::unauthenticated(B::EXPIRED).into());
                }
                Fault::Truncate { after_bytes } => ctx.body.truncate_after = Some(after_bytes),
                Fault::Pad { bytes } => ctx.body.pad = Some(bytes),
                Fault::Corrupt { at_byte, byte } => ctx.body.corrupt = Some((at_byte, byte)),
                Fault::Body { body } => {
                    return Err((
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                        .into_response())
                }
                Fault::Sampling { ratio } => ctx.data.sampling_ratio = Some(ratio),
                Fault::ShiftRows { rows } => ctx.data.shift_rows += rows,
                Fault::WrongTotal { total } => ctx.data.wrong_total = Some(total),
                Fault::Delay { .. } => {}
            }
        }
        Ok(())
    }

    /// Counts the request, applies the fault plan, checks `X-Requested-By` and the caller (session
    /// cookie, or a bearer token where the profile allows it).
    pub(crate) async fn gate(
        &self,
        endpoint: Endpoint,
        parts: &Parts,
        access: Access,
    ) -> Result<Ctx, Response> {
        // A v1 call's fault ends its session only: it authenticated with the cookie.
        let mut ctx = Ctx::new(cookie(parts, "JSESSIONID"), None);
        self.inject_faults::<V1>(endpoint, parts, &mut ctx).await?;
        if !parts.headers.contains_key("x-requested-by") {
            return Err(V1Error::new(
                self.profile.missing_requested_by_status,
                super::error::code::BAD_REQUEST,
                "Missing header X-Requested-By: every v1 call must send it (any value, e.g. ThoughtSpot)",
            )
            .into_response());
        }
        if access == Access::Session {
            let now = self.now_ms();
            let sessions = self.sessions();
            let by_cookie = ctx.session.as_deref().and_then(|id| sessions.user_of(id));
            // v2 tokens work on v1 too where the profile allows bearer auth, until they expire.
            let by_bearer = bearer(parts)
                .filter(|_| self.profile.bearer_on_v1)
                .and_then(|t| sessions.user_of_token(&t, now).map(String::from));
            ctx.user = by_cookie.map(String::from).or(by_bearer);
            if ctx.user.is_none() {
                return Err(
                    V1Error::unauthenticated("Not logged in: call session/login first")
                        .into_response(),
                );
            }
        }
        Ok(ctx)
    }

    /// 403 unless the caller holds ADMINISTRATION.
    pub(crate) fn require_admin(&self, ctx: &Ctx) -> Result<(), V1Error> {
        if self.directory().is_admin(ctx.user()) {
            Ok(())
        } else {
            Err(V1Error::forbidden(format!(
                "User {} does not have the ADMINISTRATION privilege required for this call",
                ctx.user()
            )))
        }
    }
}

/// 415 for a JSON or other non-form body on endpoints that take a form (wire-protocol §1.2: "a wrong one can
/// yield 415"). An empty body passes: parameters may come in the query string.
pub(crate) fn expect_form(params: &super::params::Params) -> Result<(), V1Error> {
    use super::params::BodyKind;
    match params.body_kind {
        BodyKind::Json | BodyKind::Other => Err(V1Error::unsupported_media_type(
            "Invalid content type: send application/x-www-form-urlencoded",
        )),
        _ => Ok(()),
    }
}

/// A runtime filter `col<n>`/`op<n>`/`val<n>` as sent (wire-protocol §3.6); `op` defaults to `EQ` and `val<n>`
/// repeats for operators with several values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuntimeFilter {
    pub column: String,
    pub op: String,
    pub values: Vec<String>,
}

impl RuntimeFilter {
    /// The filters of a request, from the query string, and from the body too if `include_body`.
    pub(crate) fn read(params: &super::params::Params, include_body: bool) -> Vec<Self> {
        let get = |name: &str| {
            if include_body {
                params.get(name)
            } else {
                params.query(name)
            }
        };
        let mut filters = Vec::new();
        for n in 1.. {
            let Some(column) = get(&format!("col{n}")) else {
                break;
            };
            filters.push(Self {
                column: column.to_string(),
                op: get(&format!("op{n}")).unwrap_or("EQ").to_string(),
                values: params
                    .all(&format!("val{n}"), include_body)
                    .into_iter()
                    .map(String::from)
                    .collect(),
            });
        }
        filters
    }

    /// The filter against `table`; `Err` says which column or operator it does not know.
    pub(crate) fn resolve(
        &self,
        table: &dyn super::data::Table,
    ) -> Result<super::search::Filter, String> {
        use super::search::{find_column, Filter, FilterOp, Literal};
        let column = find_column(table, &self.column).ok_or_else(|| self.column.clone())?;
        let op = FilterOp::from_runtime(&self.op)
            .ok_or_else(|| format!("{} (operator {})", self.column, self.op))?;
        Ok(Filter {
            column,
            op,
            values: self
                .values
                .iter()
                .map(|v| Literal::from_runtime(v))
                .collect(),
        })
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, axum::Json(value)).into_response()
}

/// An empty response with `status` (204 or 200).
pub(crate) fn empty(status: u16) -> Response {
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::NO_CONTENT)
        .into_response()
}
