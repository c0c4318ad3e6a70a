//! REST v2 bearer tokens: `auth/token/full` by password or trusted-auth secret key (wire-protocol §4.3), and
//! when to refresh them.
//!
//! A token is refreshed ahead of its expiry rather than after a 401: an export's pages keep flowing
//! across the change, and no request is sent with a token the cluster is about to refuse. The 401
//! path stays as the fallback for tokens revoked early or clocks that disagree.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use super::error::Error;
use super::transport::{Auth, Call, Transport};
use super::{Credentials, Secret};

/// A token and when to stop using it.
#[derive(Debug)]
pub(crate) struct BearerToken {
    secret: Secret,
    refresh_at: Instant,
}

impl BearerToken {
    pub(super) fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Whether a new token should be fetched before the next call.
    pub(super) fn is_due(&self, now: Instant) -> bool {
        now >= self.refresh_at
    }
}

/// When to refresh a token that lives `lifetime` from `issued`: a quarter of its life early, at most
/// a minute early. A 300 s token (the default) is used for 240 s; a 2 s token for 1.5 s. Early enough
/// that a request sent just before the refresh still arrives with a valid token, late enough that
/// tokens are not fetched needlessly often.
pub(crate) fn refresh_at(issued: Instant, lifetime: Duration) -> Instant {
    let margin = (lifetime / 4).min(Duration::from_secs(60));
    issued + lifetime.saturating_sub(margin)
}

/// The `Token` response fields this client reads; times are epoch ms, as integers or floats.
#[derive(Debug, Deserialize)]
struct TokenResponse {
    token: String,
    #[serde(default)]
    creation_time_in_millis: Option<f64>,
    #[serde(default)]
    expiration_time_in_millis: Option<f64>,
}

/// Asks for a full-access token for the credentials' user, valid for `validity`.
///
/// The token's lifetime is taken from the response as `expiration - creation`, both by the cluster's
/// clock, so a local clock that is off does not matter; it is counted from when the request was sent,
/// which errs on the early side.
pub(crate) async fn fetch(
    transport: &Transport,
    credentials: &Credentials,
    validity: Duration,
) -> Result<BearerToken, Error> {
    let validity_secs = validity.as_secs().clamp(1, i32::MAX as u64);
    let body = match credentials {
        Credentials::Password { username, password } => json!({
            "username": username,
            "password": password.expose(),
            "validity_time_in_sec": validity_secs,
        }),
        Credentials::TrustedAuth {
            username,
            secret_key,
        } => json!({
            "username": username,
            "secret_key": secret_key.expose(),
            "validity_time_in_sec": validity_secs,
        }),
        Credentials::Bearer { .. } => {
            return Err(Error::Config(
                "a given bearer token is used as it is; this is a bug in tsexport".into(),
            ))
        }
    };
    // Like v1 sign-in, it is sent again after a transient failure: a second token does no harm.
    let call = Call {
        auth: Auth::None,
        ..Call::v2("auth/token/full", body)
    };
    let sent = Instant::now();
    let response: TokenResponse = transport
        .send_for_json(&call)
        .await
        .map_err(|e| super::auth::refused_as_auth(e, credentials))?;
    if response.token.is_empty() {
        return Err(Error::Decode {
            endpoint: call.name(),
            reason: "the cluster issued an empty token".into(),
        });
    }
    let lifetime = match (
        response.creation_time_in_millis,
        response.expiration_time_in_millis,
    ) {
        (Some(created), Some(expires)) if expires > created => {
            Duration::from_secs_f64(((expires - created) / 1000.0).min(validity_secs as f64))
        }
        _ => Duration::from_secs(validity_secs),
    };
    tracing::debug!(
        lifetime_secs = lifetime.as_secs_f64(),
        "issued a REST v2 bearer token"
    );
    Ok(BearerToken {
        secret: Secret::new(response.token),
        refresh_at: refresh_at(sent, lifetime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_refreshed_a_quarter_early_and_at_most_a_minute_early() {
        let t0 = Instant::now();
        let at = |secs: f64| refresh_at(t0, Duration::from_secs_f64(secs)) - t0;
        assert_eq!(at(300.0), Duration::from_secs(240));
        assert_eq!(at(2.0), Duration::from_millis(1500));
        assert_eq!(at(3600.0), Duration::from_secs(3540));
        assert_eq!(at(0.0), Duration::ZERO);
        let token = BearerToken {
            secret: Secret::new("t"),
            refresh_at: refresh_at(t0, Duration::from_secs(4)),
        };
        assert!(!token.is_due(t0 + Duration::from_millis(2999)));
        assert!(token.is_due(t0 + Duration::from_secs(3)));
    }
}
