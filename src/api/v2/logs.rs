//! `logs/fetch` (9.0.0.cl+): one request for the cluster's log entries of a time range, returned as
//! ThoughtSpot sends them (each event a JSON string). Splitting a longer range into requests the
//! cluster accepts is the caller's job (`crate::logs`).

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use serde_json::json;

use crate::api::transport::Call;
use crate::api::{Client, Error};

/// A log `logs/fetch` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LogType {
    /// Security events: sign-ins, failed sign-ins, object and privilege changes (about 30 days kept).
    SecurityAudit,
}

impl LogType {
    /// The `log_type` ThoughtSpot takes.
    pub fn wire_name(self) -> &'static str {
        match self {
            LogType::SecurityAudit => "SECURITY_AUDIT",
        }
    }
}

impl fmt::Display for LogType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogType::SecurityAudit => "security_audit",
        })
    }
}

/// Text that names no [`LogType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log '{0}': use security_audit")]
pub struct UnknownLogType(pub String);

impl FromStr for LogType {
    type Err = UnknownLogType;

    fn from_str(text: &str) -> Result<Self, UnknownLogType> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "security_audit" => Ok(LogType::SecurityAudit),
            _ => Err(UnknownLogType(text.to_string())),
        }
    }
}

/// One entry as the cluster sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    /// When the event happened, RFC 3339 in UTC with microseconds.
    pub date: String,
    /// The event, a JSON object as text.
    pub log: String,
}

/// The entries of one `logs/fetch` call and the bytes its answer took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogBatch {
    /// The entries, in the order the cluster sent them.
    pub entries: Vec<LogEntry>,
    /// Bytes of the JSON answer.
    pub bytes: u64,
}

impl Client {
    /// The `log_type` entries from `start_ms` to `end_ms` (epoch milliseconds), in one call. The
    /// cluster refuses a range over 24 hours (400); `get_all_logs` is always sent, so that a cluster
    /// that would otherwise answer a sample answers every entry.
    pub async fn fetch_logs(
        &self,
        log_type: LogType,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<LogBatch, Error> {
        let call = Call::v2(
            "logs/fetch",
            json!({
                "log_type": log_type.wire_name(),
                "start_epoch_time_in_millis": start_ms,
                "end_epoch_time_in_millis": end_ms,
                "get_all_logs": true,
            }),
        );
        let (_, _, body) = self.inner.send_for_bytes(&call).await?;
        let entries = serde_json::from_slice(&body).map_err(|e| Error::Decode {
            endpoint: call.name(),
            reason: format!("expected an array of {{\"date\", \"log\"}} entries: {e}"),
        })?;
        Ok(LogBatch {
            entries,
            bytes: body.len() as u64,
        })
    }
}
