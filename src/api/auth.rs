//! Signing in: a password, or trusted authentication's token exchange, ending in a session cookie.

use reqwest::header::SET_COOKIE;
use reqwest::{Method, Response};

use super::error::Error;
use super::transport::{Auth, Call, Transport};
use super::{Credentials, Secret};

/// Signs in with `credentials` and returns the new session's `JSESSIONID`. Sign-in is a POST but is
/// retried like a read after a transient failure (see [`sign_in_call`]); refused credentials are
/// not transient, so they are not sent twice.
pub(crate) async fn sign_in(
    transport: &Transport,
    credentials: &Credentials,
) -> Result<Secret, Error> {
    let refused = |e: Error| refused_as_auth(e, credentials);
    let response = match credentials {
        Credentials::Password { username, password } => {
            let call = sign_in_call("session/login").form(vec![
                ("username".into(), username.clone()),
                ("password".into(), password.expose().to_string()),
                ("rememberme".into(), "false".into()),
            ]);
            transport.send(&call).await.map_err(refused)?
        }
        Credentials::TrustedAuth {
            username,
            secret_key,
        } => {
            let token_call = Call {
                accept: "text/plain",
                ..sign_in_call("session/auth/token")
            }
            .form(vec![
                ("secret_key".into(), secret_key.expose().to_string()),
                ("username".into(), username.clone()),
                ("access_level".into(), "FULL".into()),
            ]);
            let token = transport.send(&token_call).await.map_err(refused)?;
            let token = Secret::new(
                token
                    .text()
                    .await
                    .map_err(|e| Error::Transfer {
                        endpoint: "session/auth/token".into(),
                        reason: e.without_url().to_string(),
                    })?
                    .trim()
                    .to_string(),
            );
            let login = sign_in_call("session/login/token").form(vec![
                ("username".into(), username.clone()),
                ("auth_token".into(), token.expose().to_string()),
                ("no_url_redirection".into(), "true".into()),
            ]);
            transport.send(&login).await.map_err(refused)?
        }
        Credentials::Bearer { .. } => {
            return Err(Error::Config(
                "a bearer token needs no session; this is a bug in tsexport".into(),
            ))
        }
    };
    session_cookie(&response).ok_or_else(|| Error::Decode {
        endpoint: "session/login".into(),
        reason: "sign-in succeeded but no JSESSIONID cookie came back".into(),
    })
}

/// A sign-in call's failure as what it means: the cluster refusing these credentials (400, 401,
/// 403, or the 500 some builds answer bad trusted-auth keys with) is [`Error::Auth`]; anything else
/// stays as it was. Shared by v1 sign-in and v2 token requests.
pub(crate) fn refused_as_auth(error: Error, credentials: &Credentials) -> Error {
    match error {
        Error::Api {
            status: status @ (400 | 401 | 403 | 500),
            code,
            debug,
            ..
        } => Error::Auth {
            user: credentials.user().to_string(),
            status,
            code,
            debug,
        },
        other => other,
    }
}

/// A sign-in call. It is a POST, but it may be sent again after a transient failure: repeating it
/// only opens another session, so a nightly job does not fail on one 503 at sign-in.
fn sign_in_call(endpoint: &'static str) -> Call {
    Call {
        auth: Auth::None,
        read: true,
        ..Call::write(Method::POST, endpoint)
    }
}

/// The `JSESSIONID` value among the response's `Set-Cookie` headers.
fn session_cookie(response: &Response) -> Option<Secret> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|cookie| cookie.split(';').next())
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "JSESSIONID")
        .map(|(_, value)| Secret::new(value))
}
