//! `session/*`: who is signed in, signing in and out (wire-protocol §2.1–§2.5).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::transport::{Auth, Call, Pass};
use super::{Client, Error};

/// What `session/info` tells about the signed-in user and the cluster. Unknown keys are ignored and
/// every field but the user name may be missing.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The signed-in user's name (`userName`).
    pub user_name: String,
    /// The user's display name (`userDisplayName`), when sent.
    #[serde(default)]
    pub user_display_name: Option<String>,
    /// The user's e-mail address (`userEmail`), when sent.
    #[serde(default)]
    pub user_email: Option<String>,
    /// The user's GUID (`userGUID`), when sent.
    #[serde(default, rename = "userGUID")]
    pub user_guid: Option<String>,
    /// The user's privileges (`DATADOWNLOADING`, ...), from all of their groups; empty when not sent.
    #[serde(default)]
    pub privileges: Vec<String>,
    /// The zone data epochs are to be read in (wire-protocol §3.4).
    #[serde(default)]
    pub timezone: Option<String>,
    /// The user's locale (`locale`), e.g. `en-US`, when sent.
    #[serde(default)]
    pub locale: Option<String>,
    /// The cluster's ThoughtSpot release (`releaseVersion`), e.g. `8.4.1.sw`, when sent.
    #[serde(default)]
    pub release_version: Option<String>,
    /// Session expiry, epoch **seconds**.
    #[serde(default)]
    pub expiration_time: Option<f64>,
    /// Account creation, epoch **milliseconds**.
    #[serde(default)]
    pub user_created_time: Option<f64>,
    /// The REST API version the cluster reports (`apiVersion`), when sent; printed by `tsexport check`.
    #[serde(default)]
    pub api_version: Option<String>,
}

impl Client {
    /// Signs in now rather than on the first call (e.g. to check credentials).
    pub async fn sign_in(&self) -> Result<(), Error> {
        self.session_info().await.map(|_| ())
    }

    /// `GET session/info`.
    pub async fn session_info(&self) -> Result<SessionInfo, Error> {
        self.inner
            .send_for_json(&Call::read(Method::GET, "session/info"))
            .await
    }

    /// Ends what this client opened: `POST session/logout` for a v1 session, and v2
    /// `auth/token/revoke` for a bearer token it fetched (a token the user gave is theirs to keep).
    /// Each is forgotten either way, and each is tried even if the other fails.
    pub async fn logout(&self) -> Result<(), Error> {
        let session = match self.inner.take_session().await {
            Some(session) => {
                let call = Call {
                    auth: Auth::None,
                    ..Call::write(Method::POST, "session/logout")
                };
                self.inner
                    .send_once(&call, Some(&Pass::Cookie(session)))
                    .await
                    .map(|_| ())
            }
            None => Ok(()),
        };
        let token = match self.inner.take_token().await {
            Some(token) => {
                let call = Call {
                    auth: Auth::None,
                    read: false,
                    ..Call::v2("auth/token/revoke", json!({"token": token.expose()}))
                };
                self.inner
                    .send_once(&call, Some(&Pass::Bearer(token)))
                    .await
                    .map(|_| ())
            }
            None => Ok(()),
        };
        session.and(token).map_err(|f| f.error)
    }
}
