//! REST API v2.0 (wire-protocol §4): data through `searchdata`, `metadata/liveboard/data` and
//! `metadata/answer/data`, column types and listings through `metadata/search`, and deciding whether
//! a cluster serves v2 at all.

mod data;
mod logs;
mod metadata;

use serde_json::json;

pub use data::AnswerRequest;
pub use logs::{LogBatch, LogEntry, LogType, UnknownLogType};
pub use metadata::{MetadataSearch, MetadataSearchItem, MetadataSelector};

use super::transport::{Call, Transport};
use super::{ApiVersion, Credentials, Error};

/// Asks the cluster whether it serves v2, with the first call v2 would make anyway: fetching a token
/// (kept for the calls that follow), or with a token the user gave, a one-row `metadata/search`.
///
/// v2 is not served when that path is unknown (404, 405, 501), or when what answers is no API (a
/// sign-in page with 200, say). Any other failure is the answer's own: wrong credentials are wrong
/// whichever API is asked.
pub(crate) async fn probe(transport: &Transport) -> Result<ApiVersion, Error> {
    let asked = match transport.credentials() {
        Some(Credentials::Password { .. } | Credentials::TrustedAuth { .. }) => {
            transport.bearer().await.map(|_| ())
        }
        Some(Credentials::Bearer { .. }) | None => {
            let call = Call::v2(
                "metadata/search",
                json!({"metadata": [{"type": "LOGICAL_TABLE"}], "record_size": 1}),
            );
            transport
                .send_for_json::<serde_json::Value>(&call)
                .await
                .map(|_| ())
        }
    };
    match asked {
        Ok(()) => {
            tracing::info!("the cluster serves REST API v2; reading data through it");
            Ok(ApiVersion::V2)
        }
        Err(error @ (Error::NoV2 { .. } | Error::Decode { .. })) => {
            tracing::info!(%error, "the cluster does not serve REST API v2; reading data through v1");
            Ok(ApiVersion::V1)
        }
        Err(error) => Err(error),
    }
}
