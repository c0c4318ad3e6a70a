//! A real S3-compatible server for tests, in process: s3s-fs (objects as files under a temporary
//! folder) behind s3s's S3 protocol and signature checks, served over HTTP on a free loopback port.
//! Include it with `#[path = "common/s3.rs"] mod s3;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::ObjectStore;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tsexport::sink::Destination;

/// A folder under the system temp folder, deleted with everything in it on drop.
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

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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

impl Drop for S3Server {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts a server on a free port with the bucket `lake` and signature checks on.
pub async fn start_s3() -> S3Server {
    let tempdir = TempDir::new("s3");
    let bucket = "lake".to_string();
    std::fs::create_dir(tempdir.path().join(&bucket)).expect("bucket folder");
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
    let server = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
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
    }
}
