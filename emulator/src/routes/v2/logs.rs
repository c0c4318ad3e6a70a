//! `logs/fetch` (9.0.0.cl+): the security audit log, at most 24 hours a request, for administrators.
//!
//! The body is `{"log_type": "SECURITY_AUDIT", "start_epoch_time_in_millis": ..,
//! "end_epoch_time_in_millis": .., "get_all_logs": true}`; times are numbers or numeric strings (the
//! documentation's own example sends strings), an absent or empty one takes its default: the end
//! now, the start 24 hours before the end. The answer is an array of `{"date", "log"}`, `log` being
//! the event as a JSON string, newest first; both ends of the range are included.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::{gate, read_json, required};
use crate::error::V2Error;
use crate::routes::{json, Access, AppState, Reply};
use crate::V2Endpoint;

const HOUR_MS: i64 = 3_600_000;
/// The range a request without times covers: the last 24 hours, as documented.
const DEFAULT_SPAN_MS: i64 = 24 * HOUR_MS;
/// Entries answered when `get_all_logs` is false (the emulator's choice: ThoughtSpot documents a
/// limit without its size).
const WITHOUT_ALL_LOGS: usize = 100;

#[derive(Debug, Default, Deserialize)]
struct FetchLogsRequest {
    log_type: Option<String>,
    #[serde(default)]
    start_epoch_time_in_millis: Value,
    #[serde(default)]
    end_epoch_time_in_millis: Value,
    get_all_logs: Option<bool>,
}

pub(super) async fn fetch(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::LogsFetch, &parts, Access::Session).await?;
    let (req, _) = read_json::<FetchLogsRequest>(&parts, body).await?;
    let log_type = required(&req.log_type, "log_type")?;
    if log_type != "SECURITY_AUDIT" {
        return Err(V2Error::bad_request(format!(
            "Invalid parameter values: log_type '{log_type}' (this cluster serves SECURITY_AUDIT)"
        ))
        .into());
    }
    let user = ctx.user.clone().unwrap_or_default();
    if !state.directory().is_admin(&user) {
        return Err(V2Error::forbidden(format!(
            "User {user} does not have the privilege to fetch logs: it needs ADMINISTRATION \
             (Can administer ThoughtSpot)"
        ))
        .into());
    }
    let now = state.now_ms();
    let end = epoch_ms(&req.end_epoch_time_in_millis, "end_epoch_time_in_millis")?.unwrap_or(now);
    let start = epoch_ms(
        &req.start_epoch_time_in_millis,
        "start_epoch_time_in_millis",
    )?
    .unwrap_or(end - DEFAULT_SPAN_MS);
    if end < start {
        return Err(V2Error::bad_request(format!(
            "Invalid parameter values: end_epoch_time_in_millis {end} is before start_epoch_time_in_millis {start}"
        ))
        .into());
    }
    let max_hours = state.profile.logs_max_span_hours;
    if end - start > i64::from(max_hours) * HOUR_MS {
        return Err(V2Error::bad_request(format!(
            "Invalid parameter values: the log duration must not exceed {max_hours} hours, and \
             {start}..{end} spans {:.1} hours; fetch a longer range in several requests",
            (end - start) as f64 / HOUR_MS as f64
        ))
        .into());
    }
    let mut events = state.audit.between(start, end, now);
    if req.get_all_logs == Some(false) {
        events.truncate(WITHOUT_ALL_LOGS);
    }
    let entries: Vec<Value> = events.iter().map(|e| e.entry()).collect();
    Ok(ctx.finish(json(StatusCode::OK, &Value::Array(entries))))
}

/// A time given as a number or a numeric string; `null`, absent or `""` is `None`.
fn epoch_ms(value: &Value, field: &str) -> Result<Option<i64>, V2Error> {
    let number = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match number {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Some(ms as i64)),
        _ => Err(V2Error::bad_request(format!(
            "Invalid parameter values: {field} must be epoch milliseconds, got {value}"
        ))),
    }
}
