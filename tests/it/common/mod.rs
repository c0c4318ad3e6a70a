//! Shared test helpers: start an emulator, sign in over HTTP with reqwest.
#![allow(dead_code)]

pub mod decode_values;
pub mod delta;
pub mod failing_store;
pub mod files;
pub mod kill;
pub mod s3;
pub mod tmpfs;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use tsexport_emulator::{Emulator, EmulatorBuilder, Profile};

/// A fresh emulator with `rows` rows and the given profile, on a free port.
pub async fn start(rows: u64, profile: Profile) -> Emulator {
    Emulator::builder()
        .rows(rows)
        .profile(profile)
        .start()
        .await
        .expect("emulator starts")
}

/// A fresh emulator with `rows` rows and the builder's default profile.
pub async fn emulator(rows: u64) -> Emulator {
    Emulator::builder()
        .rows(rows)
        .start()
        .await
        .expect("emulator")
}

/// `profile` with `settings` (`key=value`) applied.
pub fn with_settings(profile: Profile, settings: &[&str]) -> Profile {
    profile
        .with_overrides(settings.iter().copied())
        .expect("valid emulator settings")
}

pub async fn start_with(builder: EmulatorBuilder) -> Emulator {
    builder.start().await.expect("emulator starts")
}

/// A client with a cookie store and no proxy.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .expect("client")
}

/// A v1 endpoint URL.
pub fn url(emulator: &Emulator, path: &str) -> String {
    format!("{}/{}", emulator.v1_url(), path.trim_start_matches('/'))
}

/// Adds the headers every v1 call must carry.
pub fn v1(request: RequestBuilder) -> RequestBuilder {
    request
        .header("X-Requested-By", "ThoughtSpot")
        .header("Accept-Language", "en-US")
}

/// Logs in as `user` and returns a client holding the session cookie.
pub async fn login_as(emulator: &Emulator, user: &str, password: &str) -> Client {
    let client = client();
    let response = v1(client.post(url(emulator, "session/login")))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .expect("login request");
    assert!(
        response.status() == StatusCode::NO_CONTENT || response.status() == StatusCode::OK,
        "login as {user} failed: {}",
        response.status()
    );
    client
}

pub async fn login(emulator: &Emulator) -> Client {
    login_as(emulator, "tsadmin", "admin").await
}

/// Reads a v1 error body and checks its shape (wire-protocol §1.8); returns (code, debug text).
pub async fn error_body(response: Response) -> (i64, String) {
    let incident = response
        .headers()
        .get("x-callosum-incident-id")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
        .expect("x-callosum-incident-id header");
    let body: serde_json::Value = response.json().await.expect("error body is JSON");
    assert_eq!(body["incident_id_guid"].as_str(), Some(incident.as_str()));
    assert!(body["trace_id_guid"].is_string());
    let debug = body["debug"]
        .as_str()
        .expect("debug is a string")
        .to_string();
    let lines: Vec<String> =
        serde_json::from_str(&debug).expect("debug is a JSON array in a string");
    (body["code"].as_i64().expect("code"), lines.join(" "))
}

pub const RETAIL: &str = tsexport_emulator::ids::RETAIL_SALES;
pub const PINBOARD: &str = tsexport_emulator::ids::RETAIL_PINBOARD;

/// Every variable a scheduler hands its task and `--shard auto` reads: cleared like the connection
/// variables, so a test run inside a Kubernetes Indexed Job (or AWS Batch, or Cloud Run) behaves the
/// same.
pub const SCHEDULER_VARS: [&str; 5] = [
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "AWS_BATCH_JOB_ARRAY_SIZE",
    "CLOUD_RUN_TASK_INDEX",
    "CLOUD_RUN_TASK_COUNT",
];

/// Runs the `tsexport` binary with a clean connection and scheduler environment plus `env`, off the
/// async runtime.
pub async fn run_cli(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tsexport"));
        command.args(&args).stdin(std::process::Stdio::null());
        for name in [
            "TSEXPORT_URL",
            "TSEXPORT_USERNAME",
            "TSEXPORT_PASSWORD",
            "TSEXPORT_PASSWORD_FILE",
            "TSEXPORT_SECRET_KEY",
            "TSEXPORT_TOKEN",
            "TSEXPORT_CONNECTION",
            "TSEXPORT_CONFIG",
            "TSEXPORT_NEW_PASSWORD",
            "RUST_LOG",
        ]
        .iter()
        .chain(&SCHEDULER_VARS)
        {
            command.env_remove(name);
        }
        command.envs(env).output().expect("tsexport runs")
    })
    .await
    .expect("the runner thread")
}

/// Runs the binary against `emu`, signed in as the default user, with `extra` environment.
pub async fn tsexport_on(
    emu: &Emulator,
    args: &[&str],
    extra: &[(&str, &str)],
) -> std::process::Output {
    let url = emu.base_url();
    let mut env = vec![
        ("TSEXPORT_URL", url.as_str()),
        ("TSEXPORT_USERNAME", "tsadmin"),
        ("TSEXPORT_PASSWORD", "admin"),
    ];
    env.extend_from_slice(extra);
    run_cli(args, &env).await
}

/// A finished command's stdout and stderr together.
pub fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether `secret` appears in `text` as a whole word (so `admin` is not found in `tsadmin`).
pub fn has_word(text: &str, secret: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == secret)
}

/// A v2 endpoint URL (`/api/rest/2.0/<path>`).
pub fn v2_url(emulator: &Emulator, path: &str) -> String {
    format!("{}/{}", emulator.v2_url(), path.trim_start_matches('/'))
}

/// POSTs `body` as JSON to a v2 endpoint, with `token` as bearer if given; returns status and the
/// body as JSON (`Null` when it is not JSON).
pub async fn v2_post(
    client: &Client,
    emulator: &Emulator,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut request = client.post(v2_url(emulator, path)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("v2 request");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("v2 body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// A v2 bearer token for tsadmin from `auth/token/full`.
pub async fn v2_token(emulator: &Emulator) -> String {
    let (status, body) = v2_post(
        &client(),
        emulator,
        "auth/token/full",
        None,
        &serde_json::json!({"username": "tsadmin", "password": "admin"}),
    )
    .await;
    assert_eq!(status, 200, "auth/token/full: {body}");
    body["token"].as_str().expect("token").to_string()
}

/// Checks a v2 error body of the default shape (wire-protocol §4.2); returns (code, debug).
pub fn v2_error(body: &serde_json::Value) -> (i64, String) {
    let message = &body["error"]["message"];
    assert!(
        message["incident_id_guid"].is_string() && message["trace_id_guid"].is_string(),
        "v2 error body: {body}"
    );
    (
        message["code"].as_i64().expect("code"),
        message["debug"].as_str().expect("debug").to_string(),
    )
}

/// A folder of its own under the system temp folder (named by `label`, the process and a counter, so
/// tests running at once never share one), deleted with everything in it on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "tsexport-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

// Derefs to its path, so a test passes `&dir` wherever a folder is asked for.
impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
