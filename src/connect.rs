//! Connection settings as a person gives them: explicit values, then the environment
//! (`TSEXPORT_*`), then a named connection in the config file, then a job file's `[connection]`, in
//! that order. The command line and the Python package resolve a client through [`Connection`], so
//! the same settings reach the same cluster whichever way tsexport is called.
//!
//! Secrets come from a value given in code, the environment, or a file; none has a command-line
//! flag, so none ends up in shell history or `ps`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::api::{ApiChoice, ClientBuilder, Credentials, RetryConfig, Secret};
use crate::failure::FailureKind;
use crate::jobs::ConnectionSettings;

/// How to reach and sign in to a cluster. Every field is optional: an unset one is taken from the
/// environment, then from a job file, then from the named connection of the config file.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// Cluster address (`TSEXPORT_URL`).
    pub url: Option<String>,
    /// User to sign in as (`TSEXPORT_USERNAME`).
    pub username: Option<String>,
    /// The password (`TSEXPORT_PASSWORD`).
    pub password: Option<Secret>,
    /// File whose first line is the password (`TSEXPORT_PASSWORD_FILE`).
    pub password_file: Option<PathBuf>,
    /// The trusted-authentication secret key (`TSEXPORT_SECRET_KEY`).
    pub secret_key: Option<Secret>,
    /// File whose first line is the secret key.
    pub secret_key_file: Option<PathBuf>,
    /// A bearer token (`TSEXPORT_TOKEN`).
    pub token: Option<Secret>,
    /// File whose first line is a bearer token.
    pub token_file: Option<PathBuf>,
    /// A named connection (`[connections.NAME]`) of the config file (`TSEXPORT_CONNECTION`).
    pub connection: Option<String>,
    /// The config file (`TSEXPORT_CONFIG`) [default: `~/.config/tsexport/config.toml`].
    pub config: Option<PathBuf>,
    /// Seconds to wait for one response.
    pub timeout: Option<u64>,
    /// PEM file of a private CA (or a self-signed certificate) to trust.
    pub ca_cert: Option<PathBuf>,
    /// Retries of a failed read before giving up.
    pub retries: Option<u32>,
    /// Largest response accepted, in bytes.
    pub max_response_size: Option<u64>,
    /// The REST API data is read through [default: auto].
    pub api: Option<ApiChoice>,
}

/// Asks a person for the password of a user, when no setting gives one (the command line's prompt
/// on a terminal). `None` means nobody can be asked.
pub type PasswordPrompt<'a> = Option<&'a dyn Fn(&str) -> Result<Secret, ConnectError>>;

/// Why a connection cannot be resolved. Messages name the settings and the environment variables.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// No cluster address anywhere.
    #[error("no cluster address: give `url`, set TSEXPORT_URL, or name a connection")]
    NoUrl,
    /// No user, and no bearer token.
    #[error(
        "no user: give `username` or set TSEXPORT_USERNAME (or TSEXPORT_TOKEN for a bearer token)"
    )]
    NoUser,
    /// A user but no password, secret key or token, and nobody to ask.
    #[error("no password for {user}: give `password`, or set TSEXPORT_PASSWORD or TSEXPORT_PASSWORD_FILE")]
    NoPassword {
        /// The user.
        user: String,
    },
    /// A secret, config or certificate file cannot be read, or holds nothing.
    #[error("cannot read the {what} file {path}: {reason}")]
    File {
        /// What the file holds.
        what: &'static str,
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A connection is named but there is no config file to look it up in.
    #[error("no config file: give `config` or set TSEXPORT_CONFIG")]
    NoConfig,
    /// The config file does not parse.
    #[error("config file {path} is not valid: {reason}")]
    Config {
        /// The file.
        path: String,
        /// What the parser said.
        reason: String,
    },
    /// The named connection is not in the config file.
    #[error("no connection '{name}' in {path}; it has: {known}")]
    UnknownConnection {
        /// The name asked for.
        name: String,
        /// The config file.
        path: String,
        /// The names it has, or "none".
        known: String,
    },
    /// A prompt for the password failed.
    #[error("cannot read the password: {0}")]
    Prompt(String),
}

impl ConnectError {
    /// Every connection error is a usage error: the settings need fixing.
    pub fn kind(&self) -> FailureKind {
        FailureKind::Usage
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    connections: std::collections::BTreeMap<String, ConnectionSettings>,
}

/// A resolved connection: the client's settings, and the credentials they sign in with.
#[derive(Debug)]
pub struct Resolved {
    /// The client's settings; add any of your own, then `build()`.
    pub builder: ClientBuilder,
    /// The credentials the client signs in with (`users set-password` needs the password).
    pub credentials: Credentials,
}

impl Connection {
    /// An environment variable, unset when empty.
    fn env(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    /// Resolves the client's settings: these settings over the environment, over a job file's
    /// `[connection]` (`job_file`; `ConnectionSettings::default()` when there is none), over the
    /// named connection of the config file (this one's, else the job file's `profile`).
    /// A token wins over a secret key, which wins over a password; a missing password is asked of
    /// `prompt`.
    pub fn resolve(
        &self,
        job_file: &ConnectionSettings,
        prompt: PasswordPrompt<'_>,
    ) -> Result<Resolved, ConnectError> {
        let name = self
            .connection
            .clone()
            .or_else(|| Self::env("TSEXPORT_CONNECTION"))
            .or_else(|| job_file.profile.clone());
        let profile = merge(job_file, self.profile(name.as_deref())?);
        let url = self
            .url
            .clone()
            .or_else(|| Self::env("TSEXPORT_URL"))
            .or_else(|| profile.url.clone())
            .ok_or(ConnectError::NoUrl)?;
        let credentials = self.credentials(&profile, prompt)?;
        let api = self
            .api
            .or(profile.api.as_ref().map(|api| api.0))
            .unwrap_or(ApiChoice::Auto);
        let mut builder = crate::api::Client::builder(url)
            .credentials(credentials.clone())
            .api(api);
        if let Some(secs) = self.timeout.or(profile.timeout) {
            builder = builder.timeout(Duration::from_secs(secs));
        }
        if let Some(retries) = self.retries.or(profile.retries) {
            builder = builder.retry(RetryConfig {
                max_retries: retries,
                ..RetryConfig::default()
            });
        }
        if let Some(bytes) = self
            .max_response_size
            .or(profile.max_response_size.map(|size| size.0))
        {
            builder = builder.max_response_bytes(bytes);
        }
        if let Some(path) = self.ca_cert.clone().or_else(|| profile.ca_cert.clone()) {
            let pem = std::fs::read(&path).map_err(|e| ConnectError::File {
                what: "CA certificate",
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            builder = builder.ca_certificate_pem(pem);
        }
        Ok(Resolved {
            builder,
            credentials,
        })
    }

    /// The named connection from the config file, if one was asked for.
    fn profile(&self, name: Option<&str>) -> Result<ConnectionSettings, ConnectError> {
        let Some(name) = name else {
            return Ok(ConnectionSettings::default());
        };
        let path = self
            .config
            .clone()
            .or_else(|| Self::env("TSEXPORT_CONFIG").map(PathBuf::from))
            .or_else(default_config_path)
            .ok_or(ConnectError::NoConfig)?;
        let text = std::fs::read_to_string(&path).map_err(|e| ConnectError::File {
            what: "config",
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let config: ConfigFile = toml::from_str(&text).map_err(|e| ConnectError::Config {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        config.connections.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = config.connections.keys().map(String::as_str).collect();
            ConnectError::UnknownConnection {
                name: name.to_string(),
                path: path.display().to_string(),
                known: if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                },
            }
        })
    }

    /// Each secret from its value, else its file, else its environment variable.
    fn credentials(
        &self,
        profile: &ConnectionSettings,
        prompt: PasswordPrompt<'_>,
    ) -> Result<Credentials, ConnectError> {
        let secret = |given: &Option<Secret>,
                      file: Option<&PathBuf>,
                      env: &str,
                      what: &'static str|
         -> Result<Option<Secret>, ConnectError> {
            if let Some(secret) = given {
                return Ok(Some(secret.clone()));
            }
            match file {
                Some(path) => read_secret_file(path, what).map(Some),
                None => Ok(Self::env(env).map(Secret::new)),
            }
        };
        // Secrets given as values beat every file and variable: a caller who passes a password
        // means it, whatever token the environment holds.
        if let Some(token) = &self.token {
            return Ok(Credentials::bearer(token.clone()));
        }
        if let Some(key) = &self.secret_key {
            return Ok(Credentials::trusted(self.username(profile)?, key.clone()));
        }
        if let Some(password) = &self.password {
            return Ok(Credentials::password(
                self.username(profile)?,
                password.clone(),
            ));
        }
        let token_file = self.token_file.as_ref().or(profile.token_file.as_ref());
        if let Some(token) = secret(&self.token, token_file, "TSEXPORT_TOKEN", "token")? {
            return Ok(Credentials::bearer(token));
        }
        let username = self.username(profile)?;
        let key_file = self
            .secret_key_file
            .as_ref()
            .or(profile.secret_key_file.as_ref());
        if let Some(key) = secret(
            &self.secret_key,
            key_file,
            "TSEXPORT_SECRET_KEY",
            "secret key",
        )? {
            return Ok(Credentials::trusted(username, key));
        }
        let env_file = Self::env("TSEXPORT_PASSWORD_FILE").map(PathBuf::from);
        let password_file = self
            .password_file
            .as_ref()
            .or(env_file.as_ref())
            .or(profile.password_file.as_ref());
        let password = match secret(
            &self.password,
            password_file,
            "TSEXPORT_PASSWORD",
            "password",
        )? {
            Some(password) => password,
            None => match prompt {
                Some(ask) => ask(&username)?,
                None => return Err(ConnectError::NoPassword { user: username }),
            },
        };
        Ok(Credentials::password(username, password))
    }
}

impl Connection {
    fn username(&self, profile: &ConnectionSettings) -> Result<String, ConnectError> {
        self.username
            .clone()
            .or_else(|| Self::env("TSEXPORT_USERNAME"))
            .or_else(|| profile.username.clone())
            .ok_or(ConnectError::NoUser)
    }
}

fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("tsexport").join("config.toml"))
}

/// The first line of a secret file; an unreadable or empty file is an error naming it.
pub fn read_secret_file(path: &Path, what: &'static str) -> Result<Secret, ConnectError> {
    let unreadable = |reason: String| ConnectError::File {
        what,
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if first.is_empty() {
        return Err(unreadable("it is empty".to_string()));
    }
    Ok(Secret::new(first))
}

/// `over`'s settings, with `under` filling what it leaves unset.
fn merge(over: &ConnectionSettings, under: ConnectionSettings) -> ConnectionSettings {
    ConnectionSettings {
        profile: over.profile.clone().or(under.profile),
        url: over.url.clone().or(under.url),
        username: over.username.clone().or(under.username),
        password_file: over.password_file.clone().or(under.password_file),
        secret_key_file: over.secret_key_file.clone().or(under.secret_key_file),
        token_file: over.token_file.clone().or(under.token_file),
        timeout: over.timeout.or(under.timeout),
        retries: over.retries.or(under.retries),
        max_response_size: over.max_response_size.or(under.max_response_size),
        ca_cert: over.ca_cert.clone().or(under.ca_cert),
        api: over.api.clone().or(under.api),
    }
}
