//! Where an encoder's bytes go: a local file or an object-store upload, behind one synchronous
//! `Write` so the encoders need not know which. Nothing is final until `complete`: a local file is
//! flushed to disk, an upload is completed (and otherwise aborted).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::error::SinkError;
use super::upload::UploadWriter;

/// Buffer in front of a local file: few, large `write` calls whatever the encoder does.
const LOCAL_BUFFER: usize = 1 << 20;

/// The bytes of one file being written.
#[derive(Debug)]
pub(crate) enum FileOutput {
    Local {
        file: BufWriter<File>,
        /// The full path, for messages.
        shown: String,
    },
    Upload(UploadWriter),
}

impl FileOutput {
    /// Creates (or truncates) the local file at `path`, with its folders.
    pub(crate) fn create_local(path: PathBuf, shown: String) -> io::Result<FileOutput> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = File::create(&path)?;
        Ok(FileOutput::Local {
            file: BufWriter::with_capacity(LOCAL_BUFFER, file),
            shown,
        })
    }

    /// Makes the file whole and durable: flushes and syncs a local file; completes an upload.
    pub(crate) async fn complete(self) -> Result<(), SinkError> {
        match self {
            FileOutput::Local { file, shown } => {
                let synced = tokio::task::spawn_blocking(move || -> io::Result<()> {
                    let file = file.into_inner().map_err(|e| e.into_error())?;
                    file.sync_all()
                })
                .await
                .map_err(|e| SinkError::task("file-system task", e))?;
                synced.map_err(|e| SinkError::storage("write", shown, e))
            }
            FileOutput::Upload(upload) => upload.complete().await,
        }
    }
}

impl Write for FileOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            FileOutput::Local { file, .. } => file.write(buf),
            FileOutput::Upload(upload) => upload.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            FileOutput::Local { file, .. } => file.write_all(buf),
            FileOutput::Upload(upload) => upload.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            FileOutput::Local { file, .. } => file.flush(),
            FileOutput::Upload(upload) => upload.flush(),
        }
    }
}

/// Counts the bytes that pass through into a shared counter, so that the size of a file is known
/// while its encoder (which owns this writer) is busy, without asking the storage.
#[derive(Debug)]
pub(crate) struct Counted<W> {
    inner: W,
    written: Arc<AtomicU64>,
}

impl<W> Counted<W> {
    pub(super) fn new(inner: W, written: Arc<AtomicU64>) -> Self {
        Counted { inner, written }
    }

    pub(super) fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.written.fetch_add(written as u64, Ordering::Relaxed);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
