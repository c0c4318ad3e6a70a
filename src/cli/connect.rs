//! Connection flags for the commands that talk to a cluster, turned into [`crate::connect`]'s
//! settings (flags, environment, job file, named connection, in that order), and the terminal
//! prompt for a password none of them gives.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::api::{AdaptiveLimit, ApiChoice, Client, Credentials, Secret};
use crate::connect::{self, ConnectError, Connection};
use crate::jobs::ConnectionSettings;

use super::CliError;

#[derive(Debug, Clone, Args)]
pub(crate) struct ConnectionArgs {
    /// Cluster address, e.g. https://example.thoughtspot.cloud (with or without /callosum/v1).
    #[arg(long, env = "TSEXPORT_URL", global = true)]
    pub(crate) url: Option<String>,
    /// User to sign in as (password from TSEXPORT_PASSWORD, TSEXPORT_PASSWORD_FILE or a prompt).
    #[arg(long, env = "TSEXPORT_USERNAME", global = true)]
    pub(crate) username: Option<String>,
    /// File holding the sign-in password (first line). Named apart from `users sync --password-file`,
    /// the password given to created users.
    #[arg(
        id = "login_password_file",
        long = "login-password-file",
        env = "TSEXPORT_PASSWORD_FILE",
        value_name = "FILE",
        global = true
    )]
    pub(crate) password_file: Option<PathBuf>,
    /// File holding the trusted-authentication secret key (or set TSEXPORT_SECRET_KEY).
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) secret_key_file: Option<PathBuf>,
    /// File holding a bearer token (or set TSEXPORT_TOKEN).
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) token_file: Option<PathBuf>,
    /// Named connection in the config file.
    #[arg(
        long = "connection",
        env = "TSEXPORT_CONNECTION",
        value_name = "NAME",
        global = true
    )]
    pub(crate) connection: Option<String>,
    /// Config file with [connections.NAME] tables (default ~/.config/tsexport/config.toml).
    #[arg(long, env = "TSEXPORT_CONFIG", value_name = "FILE", global = true)]
    pub(crate) config: Option<PathBuf>,
    /// Seconds to wait for one response.
    #[arg(long, value_name = "SECS", global = true)]
    pub(crate) timeout: Option<u64>,
    /// PEM file of a private CA (or a self-signed certificate) to trust. Certificates are always
    /// verified; there is no switch to skip the check.
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Retries of a failed read (connection errors, timeouts, broken bodies, 429, 502-504) before
    /// giving up [default: 5].
    #[arg(long, value_name = "N", global = true)]
    pub(crate) retries: Option<u32>,
    /// Largest response accepted, e.g. 512M [default: 512M]; a longer one fails instead of filling
    /// memory.
    #[arg(long, value_name = "SIZE", global = true, value_parser = super::export::parse_size)]
    pub(crate) max_response_size: Option<u64>,
    /// The REST API data is read through: v1, v2, or auto (ask the cluster once; v2 when it is
    /// served) [default: auto]. Listing, users, groups and PDF always use v1.
    #[arg(long, value_name = "v1|v2|auto", global = true)]
    pub(crate) api: Option<ApiChoice>,
}

impl ConnectionArgs {
    /// The flags as library connection settings: the one place they are turned into them. The
    /// environment variables clap read for the flags are the ones the library reads.
    fn connection(&self) -> Connection {
        Connection {
            url: self.url.clone(),
            username: self.username.clone(),
            password_file: self.password_file.clone(),
            secret_key_file: self.secret_key_file.clone(),
            token_file: self.token_file.clone(),
            connection: self.connection.clone(),
            config: self.config.clone(),
            timeout: self.timeout,
            ca_cert: self.ca_cert.clone(),
            retries: self.retries,
            max_response_size: self.max_response_size,
            api: self.api,
            ..Connection::default()
        }
    }

    /// Builds a client from flags, environment and the named connection.
    pub(crate) fn client(&self) -> Result<Client, CliError> {
        self.client_and_credentials().map(|(client, _)| client)
    }

    /// The client of one export: with an adaptive limit on its calls when `limit` is given.
    pub(crate) fn client_adapting(&self, limit: Option<AdaptiveLimit>) -> Result<Client, CliError> {
        self.build(&ConnectionSettings::default(), None, limit)
            .map(|(client, _)| client)
    }

    /// The client and the credentials it signs in with (`users set-password` needs the password).
    pub(crate) fn client_and_credentials(&self) -> Result<(Client, Credentials), CliError> {
        self.build(&ConnectionSettings::default(), None, None)
    }

    /// The client for a job file: its `[connection]` over the named profile, flags and environment
    /// over both, and at most `max_requests` calls in flight, adapting within them when `limit` is
    /// given.
    pub(crate) fn client_for_jobs(
        &self,
        job_file: &ConnectionSettings,
        max_requests: usize,
        limit: Option<AdaptiveLimit>,
    ) -> Result<Client, CliError> {
        self.build(job_file, Some(max_requests), limit)
            .map(|(client, _)| client)
    }

    fn build(
        &self,
        job_file: &ConnectionSettings,
        max_requests: Option<usize>,
        limit: Option<AdaptiveLimit>,
    ) -> Result<(Client, Credentials), CliError> {
        let ask = |user: &str| prompt_password(user).map_err(|e| ConnectError::Prompt(e.message));
        let resolved = self
            .connection()
            .resolve(job_file, Some(&ask))
            .map_err(connect_error)?;
        let mut builder = resolved.builder;
        if let Some(n) = max_requests {
            builder = builder.max_requests_in_flight(n);
        }
        if let Some(limit) = limit {
            builder = builder.adaptive_in_flight(limit);
        }
        let client = builder
            .build()
            .map_err(|e| CliError::usage(e.to_string()))?;
        OPENED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(client.clone());
        Ok((client, resolved.credentials))
    }
}

/// A connection error in the words of the flags.
fn connect_error(error: ConnectError) -> CliError {
    CliError::usage(match error {
        ConnectError::NoUrl => {
            "no cluster address: give --url, set TSEXPORT_URL, or use --connection NAME".to_string()
        }
        ConnectError::NoUser => "no user: give --username or set TSEXPORT_USERNAME (or TSEXPORT_TOKEN for a bearer token)".to_string(),
        ConnectError::NoConfig => {
            "no config file: give --config FILE or set TSEXPORT_CONFIG".to_string()
        }
        ConnectError::Prompt(message) => message,
        other => other.to_string(),
    })
}

/// The first line of a secret file; an unreadable or empty file is a usage error naming it.
pub(crate) fn read_secret_file(path: &Path, what: &'static str) -> Result<Secret, CliError> {
    connect::read_secret_file(path, what).map_err(connect_error)
}

/// Every client a command built, so that [`sign_out_all`] can end their sessions.
static OPENED: std::sync::Mutex<Vec<Client>> = std::sync::Mutex::new(Vec::new());

/// Signs out of every session the command opened: a CLI run should not leave sessions behind on
/// the cluster until they time out. Failures are only logged; the command's own outcome stands.
pub(crate) async fn sign_out_all() {
    let clients: Vec<Client> =
        std::mem::take(&mut *OPENED.lock().unwrap_or_else(|e| e.into_inner()));
    for client in clients {
        if let Err(e) = client.logout().await {
            tracing::debug!("sign-out failed: {e}");
        }
    }
}

pub(crate) fn prompt_password(username: &str) -> Result<Secret, CliError> {
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
