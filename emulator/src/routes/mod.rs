//! HTTP routes: one module per v1 API group, the v2 API in [`v2`], and the gate every request passes
//! first (counting, fault plan, `X-Requested-By`, authentication).

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

use super::error::{ApiError, ErrorMarker};
use super::faults::Fault;
use super::server::ConnectionKill;
use super::{Endpoint, State};

/// What a handler returns: a response either way.
pub type Reply = Result<Response, Response>;

impl From<ApiError> for Response {
    fn from(e: ApiError) -> Self {
        e.into_response()
    }
}

pub type AppState = Arc<State>;

pub fn router(state: AppState) -> Router {
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

pub async fn not_found() -> Response {
    ApiError::not_found("No such endpoint: v1 endpoints live under /callosum/v1/tspublic/v1/")
        .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        405,
        super::error::code::BAD_REQUEST,
        "Method not allowed for this endpoint",
    )
    .into_response()
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
pub enum Access {
    /// No session needed (login and trusted auth).
    Public,
    /// A session cookie, or a bearer token where the profile allows it.
    Session,
}

/// Fault effects that data endpoints apply to their pages.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DataFaults {
    pub sampling_ratio: Option<f64>,
    pub shift_rows: i64,
    pub wrong_total: Option<u64>,
}

/// A request that passed the gate.
#[derive(Debug)]
pub struct Ctx {
    pub user: Option<String>,
    pub session: Option<String>,
    /// The bearer token the caller authenticated with (v2), so `expire_session` can revoke it.
    pub token: Option<String>,
    pub data: DataFaults,
    body: body::BodyFaults,
}

impl Ctx {
    pub fn user(&self) -> &str {
        self.user.as_deref().unwrap_or_default()
    }

    /// Applies the body faults (truncate, pad, corrupt) to the finished response.
    pub fn finish(&self, response: Response) -> Response {
        self.body.apply(response)
    }
}

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
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

pub fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// A fault that answers the request in the fault's place; each API renders it in its own error shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Injected {
    /// An error status with the body of the request's API.
    Status {
        status: u16,
        code: Option<i64>,
        retry_after: Option<u64>,
        debug: Option<String>,
    },
    /// The credential the request used is gone: end it, answer 401.
    ExpireSession,
    /// 200 with exactly this body.
    Body(String),
}

impl Injected {
    /// `status`, code and debug text of an injected status, defaults filled in.
    pub fn status_parts(
        status: u16,
        code: Option<i64>,
        debug: Option<String>,
    ) -> (u16, i64, String) {
        (
            status,
            code.unwrap_or_else(|| ApiError::code_for(status)),
            debug.unwrap_or_else(|| format!("Injected failure: HTTP {status}")),
        )
    }

    /// The injected 200 body.
    pub fn body_response(body: String) -> Response {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

impl State {
    /// Counts the request under `name` and applies the fault plan: waits out delays, drops the
    /// connection, records the body and data faults in `ctx`, and returns a fault that answers in the
    /// request's place. Shared by the v1 and v2 gates, so every fault behaves alike on both APIs.
    pub async fn inject_faults(
        &self,
        name: &'static str,
        parts: &Parts,
        ctx: &mut Ctx,
    ) -> Result<(), Injected> {
        let faults = self.faults.on_request(name);
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
                } => {
                    return Err(Injected::Status {
                        status,
                        code,
                        retry_after,
                        debug,
                    })
                }
                Fault::Drop => {
                    if let Some(kill) = parts.extensions.get::<ConnectionKill>() {
                        kill.0.notify_one();
                    }
                    // The connection task drops this request with its connection.
                    std::future::pending::<()>().await;
                }
                Fault::ExpireSession => return Err(Injected::ExpireSession),
                Fault::Truncate { after_bytes } => ctx.body.truncate_after = Some(after_bytes),
                Fault::Pad { bytes } => ctx.body.pad = Some(bytes),
                Fault::Corrupt { at_byte, byte } => ctx.body.corrupt = Some((at_byte, byte)),
                Fault::Body { body } => return Err(Injected::Body(body)),
                Fault::Sampling { ratio } => ctx.data.sampling_ratio = Some(ratio),
                Fault::ShiftRows { rows } => ctx.data.shift_rows += rows,
                Fault::WrongTotal { total } => ctx.data.wrong_total = Some(total),
                Fault::Delay { .. } => {}
            }
        }
        Ok(())
    }

    /// Counts the request, applies the fault plan, checks `X-Requested-By` and the caller.
    pub async fn gate(
        &self,
        endpoint: Endpoint,
        parts: &Parts,
        access: Access,
    ) -> Result<Ctx, Response> {
        let session = cookie(parts, "JSESSIONID");
        let mut ctx = Ctx {
            user: None,
            session: session.clone(),
            token: None,
            data: DataFaults::default(),
            body: body::BodyFaults::default(),
        };
        match self.inject_faults(endpoint.path(), parts, &mut ctx).await {
            Ok(()) => {}
            Err(Injected::Status {
                status,
                code,
                retry_after,
                debug,
            }) => {
                let (status, code, debug) = Injected::status_parts(status, code, debug);
                let mut e = ApiError::new(status, code, debug);
                e.retry_after = retry_after;
                return Err(e.into_response());
            }
            Err(Injected::ExpireSession) => {
                if let Some(id) = &session {
                    self.sessions().close(id);
                }
                return Err(
                    ApiError::unauthenticated("Session expired. Please log in again.")
                        .into_response(),
                );
            }
            Err(Injected::Body(body)) => return Err(Injected::body_response(body)),
        }
        if !parts.headers.contains_key("x-requested-by") {
            return Err(ApiError::new(
                self.profile.missing_requested_by_status,
                super::error::code::BAD_REQUEST,
                "Missing header X-Requested-By: every v1 call must send it (any value, e.g. ThoughtSpot)",
            )
            .into_response());
        }
        if access == Access::Session {
            let now = self.now_ms();
            let sessions = self.sessions();
            let by_cookie = session.as_deref().and_then(|id| sessions.user_of(id));
            // v2 tokens work on v1 too where the profile allows bearer auth, until they expire.
            let by_bearer = bearer(parts)
                .filter(|_| self.profile.bearer_on_v1)
                .and_then(|t| sessions.user_of_token(&t, now).map(String::from));
            ctx.user = by_cookie.map(String::from).or(by_bearer);
            if ctx.user.is_none() {
                return Err(
                    ApiError::unauthenticated("Not logged in: call session/login first")
                        .into_response(),
                );
            }
        }
        Ok(ctx)
    }

    /// 403 unless the caller holds ADMINISTRATION.
    pub fn require_admin(&self, ctx: &Ctx) -> Result<(), ApiError> {
        if self.directory().is_admin(ctx.user()) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "User {} does not have the ADMINISTRATION privilege required for this call",
                ctx.user()
            )))
        }
    }
}

/// 415 for a JSON or other non-form body on endpoints that take a form (wire-protocol §1.2: "a wrong one can
/// yield 415"). An empty body passes: parameters may come in the query string.
pub fn expect_form(params: &super::params::Params) -> Result<(), ApiError> {
    use super::params::BodyKind;
    match params.body_kind {
        BodyKind::Json | BodyKind::Other => Err(ApiError::unsupported_media_type(
            "Invalid content type: send application/x-www-form-urlencoded",
        )),
        _ => Ok(()),
    }
}

/// A runtime filter `col<n>`/`op<n>`/`val<n>` as sent (wire-protocol §3.6); `op` defaults to `EQ` and `val<n>`
/// repeats for operators with several values.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeFilter {
    pub column: String,
    pub op: String,
    pub values: Vec<String>,
}

impl RuntimeFilter {
    /// The filters of a request, from the query string, and from the body too if `include_body`.
    pub fn read(params: &super::params::Params, include_body: bool) -> Vec<Self> {
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
    pub fn resolve(&self, table: &dyn super::data::Table) -> Result<super::search::Filter, String> {
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
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, axum::Json(value)).into_response()
}

/// An empty response with `status` (204 or 200).
pub fn empty(status: u16) -> Response {
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::NO_CONTENT)
        .into_response()
}
