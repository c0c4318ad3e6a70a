//! A real S3-compatible server for tests, in process: s3s-fs (objects as files under a temporary
//! folder) behind s3s's S3 protocol and signature checks, served over HTTP on a free loopback port.
//! Reach it as `crate::common::s3`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::ObjectStore;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tsexport::sink::Destination;

use super::TempDir;

/// A running S3-compatible server with one bucket.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    /// Where the server keeps its objects (`<tempdir>/<bucket>/<key>`).
    pub tempdir: TempDir,
    /// A client for the bucket, as tsexport's destinations use it.
    pub store: Arc<dyn ObjectStore>,
    server: tokio::task::JoinHandle<()>,
    /// Every connection being served, so that [`stop`](S3Server::stop) can cut them.
    connections: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl S3Server {
    /// The standard AWS environment that points a `tsexport` process at this server.
    pub fn aws_env(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", self.access_key.as_str()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
    }

    /// A destination at `prefix` in the bucket (`s3://<bucket>/<prefix>`), through `self.store`.
    pub fn destination(&self, prefix: &str) -> Destination {
        Destination::Store {
            url: format!("s3://{}/{prefix}", self.bucket),
            store: self.store.clone(),
            path: StorePath::from(prefix),
        }
    }
}

impl S3Server {
    /// Another client for the bucket, with its own retry settings (the default retries for minutes).
    pub fn client(&self, retry: object_store::RetryConfig) -> Arc<dyn ObjectStore> {
        let store = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret_key)
            .with_virtual_hosted_style_request(false)
            .with_retry(retry)
            .build()
            .expect("S3 client");
        Arc::new(store)
    }

    /// Stops the server as a crash would: no more connections, and those open are cut mid-request.
    pub fn stop(&self) {
        self.server.abort();
        for connection in self.connections.lock().expect("connections").drain(..) {
            connection.abort();
        }
    }

    /// A new server (on a new port) over the same objects, as after a restart.
    pub async fn restart(mut self) -> S3Server {
        self.stop();
        let tempdir = std::mem::replace(&mut self.tempdir, TempDir(PathBuf::new()));
        serve(tempdir).await
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a server on a free port with the bucket `lake` and signature checks on.
pub async fn start_s3() -> S3Server {
    let tempdir = TempDir::new("s3");
    std::fs::create_dir(tempdir.path().join("lake")).expect("bucket folder");
    serve(tempdir).await
}

/// Serves the objects under `tempdir` on a free port.
async fn serve(tempdir: TempDir) -> S3Server {
    let bucket = "lake".to_string();
    let (access_key, secret_key) = (
        "tsexport-test".to_string(),
        "tsexport-test-secret".to_string(),
    );

    let file_system = s3s_fs::FileSystem::new(tempdir.path()).expect("s3s-fs root");
    let mut service = S3ServiceBuilder::new(file_system);
    service.set_auth(SimpleAuth::from_single(
        access_key.clone(),
        secret_key.clone(),
    ));
    let service = service.build();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let endpoint = format!("http://{}", listener.local_addr().expect("local address"));
    let connections = Arc::new(std::sync::Mutex::new(Vec::new()));
    let tracked = connections.clone();
    let conditional = Arc::new(tokio::sync::Mutex::new(()));
    let server = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            let conditional = conditional.clone();
            // s3s-fs checks If-None-Match and then writes, in two steps; S3 does both at once. So
            // conditional puts (a Delta commit's log entry) go one at a time, and of two writers
            // racing for one version exactly one wins, as on S3.
            let handler = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let service = service.clone();
                    let conditional = conditional.clone();
                    async move {
                        let conditional_put = request.method() == hyper::Method::PUT
                            && request.headers().contains_key("if-none-match");
                        let _one_at_a_time = if conditional_put {
                            Some(conditional.lock_owned().await)
                        } else {
                            None
                        };
                        hyper::service::Service::call(&service, request).await
                    }
                },
            );
            let connection = tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), handler)
                    .await;
            });
            let mut open = tracked.lock().expect("connections");
            open.retain(|c: &tokio::task::AbortHandle| !c.is_finished());
            open.push(connection.abort_handle());
        }
    });

    // Explicit credentials, endpoint and region: nothing is read from the environment, and the
    // client never looks for a cloud metadata service.
    let store = AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_bucket_name(&bucket)
        .with_access_key_id(&access_key)
        .with_secret_access_key(&secret_key)
        .with_virtual_hosted_style_request(false)
        .build()
        .expect("S3 client");
    S3Server {
        endpoint,
        bucket,
        access_key,
        secret_key,
        tempdir,
        store: Arc::new(store),
        server,
        connections,
    }
}

/// What s3s-fs keeps in its root while a multipart upload is open (`.upload-<id>.json`, and
/// `.upload_id-<id>.part-<n>` per part).
pub fn open_upload_parts(server: &S3Server) -> Vec<String> {
    std::fs::read_dir(server.tempdir.path())
        .expect("s3 root")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with(".upload"))
        .collect()
}

/// Waits up to ten seconds for `condition`, which background uploads make true eventually.
pub async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if condition() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// A one-column batch of random bytes, which no codec can shrink.
pub fn incompressible(seed: u64, rows: usize, width: usize) -> arrow_array::RecordBatch {
    use arrow_schema::{DataType, Field, Schema};
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ (seed << 32);
    let values: Vec<Vec<u8>> = (0..rows)
        .map(|_| {
            (0..width)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect()
        })
        .collect();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "blob",
        DataType::Binary,
        false,
    )]));
    let array = arrow_array::BinaryArray::from_iter_values(values.iter());
    arrow_array::RecordBatch::try_new(schema, vec![Arc::new(array)]).expect("batch")
}
