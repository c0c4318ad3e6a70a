//! Connection settings for the commands that talk to a cluster: flags, environment, or a named profile
//! in a config file, in that order. Secrets come from the environment, a file, or a terminal prompt;
//! none has a command-line flag, so none ends up in shell history or `ps`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Deserialize;
use tsexport::api::{ApiChoice, Client, Credentials, RetryConfig, Secret};
use tsexport::jobs::ConnectionSettings;

use super::CliError;

#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Cluster address, e.g. https://example.thoughtspot.cloud (with or without /callosum/v1).
    #[arg(long, env = "TSEXPORT_URL", global = true)]
    pub url: Option<String>,
    /// User to sign in as (password from TSEXPORT_PASSWORD, TSEXPORT_PASSWORD_FILE or a prompt).
    #[arg(long, env = "TSEXPORT_USERNAME", global = true)]
    pub username: Option<String>,
    /// File holding the sign-in password (first line). Named apart from `users sync --password-file`,
    /// the password given to created users.
    #[arg(
        id = "login_password_file",
        long = "login-password-file",
        env = "TSEXPORT_PASSWORD_FILE",
        value_name = "FILE",
        global = true
    )]
    pub password_file: Option<PathBuf>,
    /// File holding the trusted-authentication secret key (or set TSEXPORT_SECRET_KEY).
    #[arg(long, value_name = "FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,
    /// File holding a bearer token (or set TSEXPORT_TOKEN).
    #[arg(long, value_name = "FILE", global = true)]
    pub token_file: Option<PathBuf>,
    /// Named connection in the config file.
    #[arg(
        long = "connection",
        env = "TSEXPORT_CONNECTION",
        value_name = "NAME",
        global = true
    )]
    pub connection: Option<String>,
    /// Config file with [connections.NAME] tables (default ~/.config/tsexport/config.toml).
    #[arg(long, env = "TSEXPORT_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Seconds to wait for one response.
    #[arg(long, value_name = "SECS", global = true)]
    pub timeout: Option<u64>,
    /// PEM file of a private CA (or a self-signed certificate) to trust. Certificates are always
    /// verified; there is no switch to skip the check.
    #[arg(long, value_name = "FILE", global = true)]
    pub ca_cert: Option<PathBuf>,
    /// Retries of a failed read (connection errors, timeouts, broken bodies, 429, 502-504) before
    /// giving up [default: 5].
    #[arg(long, value_name = "N", global = true)]
    pub retries: Option<u32>,
    /// Largest response accepted, e.g. 512M [default: 512M]; a longer one fails instead of filling
    /// memory.
    #[arg(long, value_name = "SIZE", global = true, value_parser = super::export::parse_size)]
    pub max_response_size: Option<u64>,
    /// The REST API data is read through: v1, v2, or auto (ask the cluster once; v2 when it is
    /// served) [default: auto]. Listing, users, groups and PDF always use v1.
    #[arg(long, value_name = "v1|v2|auto", global = true)]
    pub api: Option<ApiChoice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    connections: std::collections::BTreeMap<String, ConnectionSettings>,
}

fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("tsexport").join("config.toml"))
}

/// The first line of a secret file; an unreadable or empty file is a usage error naming it.
pub fn read_secret_file(path: &Path, what: &str) -> Result<Secret, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })?;
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if first.is_empty() {
        return Err(CliError::usage(format!(
            "the {what} file {} is empty",
            path.display()
        )));
    }
    Ok(Secret::new(first))
}

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

impl ConnectionArgs {
    /// The named connection from the config file (`--connection`, else the job file's `profile`), if
    /// one was asked for.
    fn profile(&self, job_file: &ConnectionSettings) -> Result<ConnectionSettings, CliError> {
        let Some(name) = self.connection.as_ref().or(job_file.profile.as_ref()) else {
            return Ok(ConnectionSettings::default());
        };
        let path = self
            .config
            .clone()
            .or_else(default_config_path)
            .ok_or_else(|| {
                CliError::usage("no config file: give --config FILE or set TSEXPORT_CONFIG")
            })?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            CliError::usage(format!("cannot read config file {}: {e}", path.display()))
        })?;
        let config: ConfigFile = toml::from_str(&text).map_err(|e| {
            CliError::usage(format!("config file {} is not valid: {e}", path.display()))
        })?;
        config.connections.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = config.connections.keys().map(String::as_str).collect();
            CliError::usage(format!(
                "no connection '{name}' in {}; it has: {}",
                path.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })
    }

    /// Builds a client from flags, environment and the named connection.
    pub fn client(&self) -> Result<Client, CliError> {
        self.client_and_credentials().map(|(client, _)| client)
    }

    /// The client and the credentials it signs in with (`users set-password` needs the password).
    pub fn client_and_credentials(&self) -> Result<(Client, Credentials), CliError> {
        self.build(&ConnectionSettings::default(), None)
    }

    /// The client for a job file: its `[connection]` over the named profile, flags and environment
    /// over both, and at most `max_requests` calls in flight.
    pub fn client_for_jobs(
        &self,
        job_file: &ConnectionSettings,
        max_requests: usize,
    ) -> Result<Client, CliError> {
        self.build(job_file, Some(max_requests))
            .map(|(client, _)| client)
    }

    fn build(
        &self,
        job_file: &ConnectionSettings,
        max_requests: Option<usize>,
    ) -> Result<(Client, Credentials), CliError> {
        let profile = merge(job_file, self.profile(job_file)?);
        let url = self
            .url
            .clone()
            .or_else(|| profile.url.clone())
            .ok_or_else(|| {
                CliError::usage(
                    "no cluster address: give --url, set TSEXPORT_URL, or use --connection NAME",
                )
            })?;
        let username = self.username.clone().or_else(|| profile.username.clone());
        let credentials = self.credentials(username, &profile)?;
        let api = self
            .api
            .or(profile.api.as_ref().map(|api| api.0))
            .unwrap_or(ApiChoice::Auto);
        let mut builder = Client::builder(url)
            .credentials(credentials.clone())
            .api(api);
        if let Some(n) = max_requests {
            builder = builder.max_requests_in_flight(n);
        }
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
            let pem = std::fs::read(&path).map_err(|e| {
                CliError::usage(format!(
                    "cannot read CA certificate {}: {e}",
                    path.display()
                ))
            })?;
            builder = builder.ca_certificate_pem(pem);
        }
        let client = builder
            .build()
            .map_err(|e| CliError::usage(e.to_string()))?;
        OPENED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(client.clone());
        Ok((client, credentials))
    }

    /// A token wins over a secret key, which wins over a password; a missing password is asked for
    /// on a terminal.
    fn credentials(
        &self,
        username: Option<String>,
        profile: &ConnectionSettings,
    ) -> Result<Credentials, CliError> {
        let token = match self.token_file.as_ref().or(profile.token_file.as_ref()) {
            Some(path) => Some(read_secret_file(path, "token")?),
            None => env_secret("TSEXPORT_TOKEN"),
        };
        if let Some(token) = token {
            return Ok(Credentials::bearer(token));
        }
        let username = username.ok_or_else(|| {
            CliError::usage("no user: give --username or set TSEXPORT_USERNAME (or TSEXPORT_TOKEN for a bearer token)")
        })?;
        let secret_key = match self
            .secret_key_file
            .as_ref()
            .or(profile.secret_key_file.as_ref())
        {
            Some(path) => Some(read_secret_file(path, "secret key")?),
            None => env_secret("TSEXPORT_SECRET_KEY"),
        };
        if let Some(key) = secret_key {
            return Ok(Credentials::trusted(username, key));
        }
        let password = match self
            .password_file
            .as_ref()
            .or(profile.password_file.as_ref())
        {
            Some(path) => read_secret_file(path, "password")?,
            None => match env_secret("TSEXPORT_PASSWORD") {
                Some(password) => password,
                None => prompt_password(&username)?,
            },
        };
        Ok(Credentials::password(username, password))
    }
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

/// Every client a command built, so that [`sign_out_all`] can end their sessions.
static OPENED: std::sync::Mutex<Vec<Client>> = std::sync::Mutex::new(Vec::new());

/// Signs out of every session the command opened: a CLI run should not leave sessions behind on
/// the cluster until they time out. Failures are only logged; the command's own outcome stands.
pub async fn sign_out_all() {
    let clients: Vec<Client> =
        std::mem::take(&mut *OPENED.lock().unwrap_or_else(|e| e.into_inner()));
    for client in clients {
        if let Err(e) = client.logout().await {
            tracing::debug!("sign-out failed: {e}");
        }
    }
}

pub fn prompt_password(username: &str) -> Result<Secret, CliError> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "no password for {username}: set TSEXPORT_PASSWORD or TSEXPORT_PASSWORD_FILE (no terminal to ask on)"
        )));
    }
    rpassword::prompt_password(format!("Password for {username}: "))
        .map(Secret::new)
        .map_err(|e| CliError::usage(format!("cannot read the password: {e}")))
}
