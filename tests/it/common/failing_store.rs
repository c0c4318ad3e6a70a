//! An object store that fails on purpose, injected as `Destination::Store`: a multipart part that
//! fails (`storage_faults`, `delta_faults`), and the server gone at a Delta commit or the answer to
//! the commit's put lost (`delta_faults`).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::path::Path as StorePath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};
use tsexport::sink::{Codec, Destination, SinkOptions};

use super::s3::{eventually, open_upload_parts, S3Server};

/// What a [`Faulty`] store does wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Every multipart part after the first fails, as a server answering 503 would.
    Parts,
    /// From the put of a log entry on, every request fails: the server is gone at the commit.
    GoneAtCommit,
    /// The put of a log entry reaches the server and writes the entry, and the connection drops
    /// before the answer (object_store sends a conditional put once: it is not idempotent).
    AnswerLost,
    /// The same, and the put is sent again (as after a 5xx answer, which object_store retries):
    /// the second put finds the entry there.
    AnswerLostAndSentAgain,
}

/// An object store that passes everything through but for its [`Fault`], which fires once. A log
/// entry is a Delta table's: a create-if-absent put of `_delta_log/*.json`.
#[derive(Debug)]
pub struct Faulty {
    inner: Arc<dyn ObjectStore>,
    fault: Fault,
    fired: AtomicBool,
    /// Multipart parts sent through this store, the failed ones too.
    pub parts_sent: Arc<AtomicUsize>,
}

impl Faulty {
    pub fn new(inner: Arc<dyn ObjectStore>, fault: Fault) -> Arc<Faulty> {
        Arc::new(Faulty {
            inner,
            fault,
            fired: AtomicBool::new(false),
            parts_sent: Arc::new(AtomicUsize::new(0)),
        })
    }

    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Fails every request once the server is gone.
    fn reachable(&self) -> object_store::Result<()> {
        match self.fault == Fault::GoneAtCommit && self.fired() {
            true => Err(injected("connection refused: the server is gone")),
            false => Ok(()),
        }
    }
}

fn injected(what: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: "S3",
        source: format!("injected: {what}").into(),
    }
}

impl fmt::Display for Faulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Faulty({:?}, {})", self.fault, self.inner)
    }
}

/// A multipart upload that fails every part after the first (counted in `parts_sent`, shared by
/// every upload of one store), as a server answering 503 or a network dropping mid-upload would.
#[derive(Debug)]
struct FailingUpload {
    inner: Box<dyn MultipartUpload>,
    parts_sent: Arc<AtomicUsize>,
}

#[async_trait]
impl MultipartUpload for FailingUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        if self.parts_sent.fetch_add(1, Ordering::SeqCst) == 0 {
            return self.inner.put_part(data);
        }
        Box::pin(async { Err(injected("503 Slow Down while uploading a part")) })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        self.inner.complete().await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.inner.abort().await
    }
}

#[async_trait]
impl ObjectStore for Faulty {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.reachable()?;
        let log_entry = location.as_ref().contains("_delta_log/")
            && location.as_ref().ends_with(".json")
            && opts.mode == PutMode::Create;
        if !log_entry || self.fault == Fault::Parts || self.fired.swap(true, Ordering::SeqCst) {
            return self.inner.put_opts(location, payload, opts).await;
        }
        match self.fault {
            Fault::GoneAtCommit => Err(injected("connection refused: the server is gone")),
            Fault::AnswerLost => {
                self.inner.put_opts(location, payload, opts).await?;
                Err(injected("connection reset before the answer came"))
            }
            Fault::Parts => unreachable!("parts only fail"),
            Fault::AnswerLostAndSentAgain => {
                self.inner
                    .put_opts(location, payload.clone(), opts.clone())
                    .await?;
                self.inner.put_opts(location, payload, opts).await
            }
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.reachable()?;
        let upload = self.inner.put_multipart_opts(location, opts).await?;
        if self.fault != Fault::Parts {
            return Ok(upload);
        }
        self.fired.store(true, Ordering::SeqCst);
        Ok(Box::new(FailingUpload {
            inner: upload,
            parts_sent: self.parts_sent.clone(),
        }))
    }

    async fn get_opts(
        &self,
        location: &StorePath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.reachable()?;
        self.inner.get_opts(location, options).await
    }

    /// Passed through whole while the server is there, so that a single delete reaches it as the
    /// inner store sends it (since object_store 0.13, S3's is a one-key bulk DeleteObjects request).
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        if self.reachable().is_err() {
            return locations
                .map(|_| Err(injected("connection refused: the server is gone")))
                .boxed();
        }
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&StorePath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        if let Err(error) = self.reachable() {
            return futures_util::stream::once(async { Err(error) }).boxed();
        }
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&StorePath>,
    ) -> object_store::Result<ListResult> {
        self.reachable()?;
        self.inner.list_with_delimiter(prefix).await
    }

    /// Both copy modes (overwrite, and create-if-absent) arrive here as options.
    async fn copy_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.reachable()?;
        self.inner.copy_opts(from, to, options).await
    }
}

/// `store` at `prefix` as a destination named `s3://lake/<prefix>` (the test server's bucket).
pub fn destination(store: Arc<dyn ObjectStore>, prefix: &str) -> Destination {
    Destination::Store {
        url: format!("s3://lake/{prefix}"),
        store,
        path: StorePath::from(prefix),
    }
}

/// No compression, so a file's size is known from its rows.
pub fn uncompressed() -> SinkOptions {
    SinkOptions {
        codec: Codec::None,
        row_group_rows: 1024,
        ..SinkOptions::default()
    }
}

/// Checks a write that failed through a [`Fault::Parts`] store: the error says 503 and names `url`
/// (as the `what`), a second part was sent, and the multipart upload is aborted on the server.
pub async fn assert_part_failed(
    server: &S3Server,
    faulty: &Faulty,
    error: &str,
    url: &str,
    what: &str,
) {
    assert!(error.contains("503 Slow Down"), "{error}");
    assert!(error.contains(url), "the error names the {what}: {error}");
    assert!(
        faulty.parts_sent.load(Ordering::SeqCst) >= 2,
        "it got to a second part"
    );
    assert!(
        eventually(|| open_upload_parts(server).is_empty()).await,
        "the multipart upload is aborted: {:?}",
        open_upload_parts(server)
    );
}
