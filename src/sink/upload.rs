//! Object-store uploads fed by synchronous encoders.
//!
//! An encoder runs on the blocking pool and writes into an [`UploadWriter`], which hands filled
//! chunks over a small bounded channel to an async task. The task sends a file that stays under
//! one part as a single PUT and anything larger as a multipart upload with at most two parts in
//! flight, so memory per open file stays bounded whatever the file size. The object appears only
//! when the writer is completed; if the writer is dropped, the run is cancelled or a request
//! fails, the multipart upload is aborted so that no part lingers.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

use super::error::SinkError;

/// Bytes an encoder accumulates before handing them to the upload task.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks waiting in the channel; the encoder blocks when the upload falls behind.
const CHUNKS_QUEUED: usize = 4;
/// The multipart part size. S3 wants at least 5 MiB per part; a file smaller than one part goes
/// up as one PUT, which is cheaper and just as atomic.
pub(crate) const PART_BYTES: usize = 10 << 20;
/// Parts uploading at once per file.
const PARTS_IN_FLIGHT: usize = 2;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The uploads of one run, so that an abort can cancel them and wait until each has cleaned up.
#[derive(Debug)]
pub(crate) struct Uploads {
    cancel: watch::Sender<bool>,
    tasks: Mutex<JoinSet<()>>,
}

impl Uploads {
    pub(crate) fn new() -> Arc<Uploads> {
        Arc::new(Uploads {
            cancel: watch::Sender::new(false),
            tasks: Mutex::new(JoinSet::new()),
        })
    }

    /// Starts an upload to `path`; must be called inside the tokio runtime.
    pub(crate) fn start(
        &self,
        store: Arc<dyn ObjectStore>,
        path: StorePath,
        shown: String,
    ) -> UploadWriter {
        let (chunks, received) = mpsc::channel(CHUNKS_QUEUED);
        let (outcome, done) = oneshot::channel();
        let failure = Arc::new(Mutex::new(None));
        let task = upload(
            store,
            path,
            received,
            self.cancel.subscribe(),
            failure.clone(),
            outcome,
        );
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
        UploadWriter {
            buffer: Vec::new(),
            chunks,
            done,
            failure,
            shown,
        }
    }

    /// Tells every upload of the run to abort. Usable where nothing can be awaited (`Drop`).
    pub(crate) fn cancel(&self) {
        self.cancel.send_replace(true);
    }

    /// Cancels every upload that is still running and waits until each has finished or aborted.
    pub(crate) async fn cancel_and_wait(&self) {
        self.cancel();
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        while tasks.join_next().await.is_some() {}
    }
}

impl Drop for Uploads {
    /// Lets running uploads finish their abort on their own: dropping a `JoinSet` would kill them
    /// mid-request and leave multipart parts behind.
    fn drop(&mut self) {
        self.cancel();
        lock(&self.tasks).detach_all();
    }
}

enum Message {
    Data(Bytes),
    Finish,
}

/// The synchronous end of an upload. Write from the blocking pool only (it blocks when the
/// upload falls behind); complete from async code.
#[derive(Debug)]
pub(crate) struct UploadWriter {
    buffer: Vec<u8>,
    chunks: mpsc::Sender<Message>,
    done: oneshot::Receiver<Result<(), String>>,
    /// Why the task stopped, set before it stops taking chunks, so a failed write can say why.
    failure: Arc<Mutex<Option<String>>>,
    shown: String,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Data(bytes) => write!(f, "Data({} bytes)", bytes.len()),
            Message::Finish => f.write_str("Finish"),
        }
    }
}

impl UploadWriter {
    fn stopped(&self) -> io::Error {
        let reason = lock(&self.failure)
            .clone()
            .unwrap_or_else(|| "the upload was cancelled".to_string());
        io::Error::other(format!("the upload to {} failed: {reason}", self.shown))
    }

    /// Hands everything written so far to the upload and waits until it is stored.
    pub(crate) async fn complete(mut self) -> Result<(), SinkError> {
        let rest = std::mem::take(&mut self.buffer);
        let mut sent = Ok(());
        if !rest.is_empty() {
            sent = self.chunks.send(Message::Data(Bytes::from(rest))).await;
        }
        if sent.is_ok() {
            sent = self.chunks.send(Message::Finish).await;
        }
        match (&mut self.done).await {
            Ok(Ok(())) if sent.is_ok() => Ok(()),
            Ok(Err(reason)) => Err(SinkError::storage("upload", self.shown.clone(), reason)),
            _ => Err(SinkError::Task {
                task: "upload task",
                reason: format!("the upload to {} ended without an answer", self.shown),
            }),
        }
    }
}

impl Write for UploadWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= CHUNK_BYTES {
            let chunk = Bytes::from(std::mem::take(&mut self.buffer));
            if self.chunks.blocking_send(Message::Data(chunk)).is_err() {
                return Err(self.stopped());
            }
        }
        Ok(buf.len())
    }

    /// Nothing to do: bytes are only durable once the upload completes.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

async fn upload(
    store: Arc<dyn ObjectStore>,
    path: StorePath,
    mut chunks: mpsc::Receiver<Message>,
    mut cancel: watch::Receiver<bool>,
    failure: Arc<Mutex<Option<String>>>,
    outcome: oneshot::Sender<Result<(), String>>,
) {
    let result = transfer(store.as_ref(), &path, &mut chunks, &mut cancel).await;
    match &result {
        Ok(()) => tracing::debug!(%path, "upload complete"),
        Err(reason) => {
            tracing::debug!(%path, %reason, "upload stopped");
            *lock(&failure) = Some(reason.clone());
        }
    }
    drop(chunks);
    let _ = outcome.send(result);
}

/// Moves the chunks into the store: one PUT while everything fits one part, else a multipart
/// upload that is aborted on any failure or cancellation.
async fn transfer(
    store: &dyn ObjectStore,
    path: &StorePath,
    chunks: &mut mpsc::Receiver<Message>,
    cancel: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let mut pending: Vec<Bytes> = Vec::new();
    let mut pending_bytes = 0;
    let mut multipart: Option<Parts> = None;
    loop {
        let message = tokio::select! {
            biased;
            _ = cancel.wait_for(|cancelled| *cancelled) => None,
            message = chunks.recv() => message,
        };
        match message {
            Some(Message::Data(bytes)) => {
                pending_bytes += bytes.len();
                pending.push(bytes);
                if pending_bytes < PART_BYTES {
                    continue;
                }
                let part = PutPayload::from_iter(pending.drain(..));
                pending_bytes = 0;
                let parts = match multipart.as_mut() {
                    Some(parts) => parts,
                    None => {
                        let upload = store.put_multipart(path).await.map_err(|e| e.to_string())?;
                        multipart.insert(Parts::new(upload))
                    }
                };
                if let Err(e) = parts.send(part).await {
                    return Err(abort(multipart, e).await);
                }
            }
            Some(Message::Finish) => {
                let Some(mut parts) = multipart.take() else {
                    return store
                        .put(path, PutPayload::from_iter(pending))
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string());
                };
                if pending_bytes > 0 {
                    if let Err(e) = parts.send(PutPayload::from_iter(pending.drain(..))).await {
                        return Err(abort(Some(parts), e).await);
                    }
                }
                return match parts.complete().await {
                    Ok(()) => Ok(()),
                    Err((parts, e)) => Err(abort(Some(parts), e).await),
                };
            }
            None => {
                return Err(abort(multipart, "the upload was cancelled".to_string()).await);
            }
        }
    }
}

/// A multipart upload with at most [`PARTS_IN_FLIGHT`] parts uploading at once. Written here rather
/// than with `object_store::WriteMultipart`, whose `finish` returns without aborting when its last
/// part fails, so that every failure path reaches [`abort`].
struct Parts {
    upload: Box<dyn object_store::MultipartUpload>,
    in_flight: JoinSet<object_store::Result<()>>,
}

impl Parts {
    fn new(upload: Box<dyn object_store::MultipartUpload>) -> Self {
        Self {
            upload,
            in_flight: JoinSet::new(),
        }
    }

    /// Starts uploading `part` once fewer than [`PARTS_IN_FLIGHT`] are uploading.
    async fn send(&mut self, part: PutPayload) -> Result<(), String> {
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.join_one().await?;
        }
        self.in_flight.spawn(self.upload.put_part(part));
        Ok(())
    }

    async fn join_one(&mut self) -> Result<(), String> {
        match self.in_flight.join_next().await {
            Some(Ok(Ok(()))) | None => Ok(()),
            Some(Ok(Err(e))) => Err(e.to_string()),
            Some(Err(e)) => Err(format!("a part upload stopped: {e}")),
        }
    }

    /// Waits for every part, then completes the upload; on failure hands the upload back to abort.
    async fn complete(mut self) -> Result<(), (Parts, String)> {
        while !self.in_flight.is_empty() {
            if let Err(e) = self.join_one().await {
                return Err((self, e));
            }
        }
        match self.upload.complete().await {
            Ok(_) => Ok(()),
            Err(e) => Err((self, e.to_string())),
        }
    }
}

/// Aborts the upload once no part is in flight: a part still uploading when the abort arrives may
/// be stored after it (S3's documentation says to abort only after part uploads have completed),
/// and would linger unseen, and billed, with no upload left to abort it.
async fn abort(multipart: Option<Parts>, reason: String) -> String {
    let Some(mut parts) = multipart else {
        return reason;
    };
    while parts.in_flight.join_next().await.is_some() {}
    match parts.upload.abort().await {
        Ok(()) => reason,
        Err(e) => format!("{reason} (and aborting the multipart upload failed: {e})"),
    }
}
