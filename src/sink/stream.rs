//! `--out -`: an export written straight into a byte stream (stdout, a pipe, a socket), in the
//! chosen format but with no staging, manifest or commit: a stream cannot be taken back, so the
//! reader decides what to do with a broken one. Arrow goes out in the IPC *stream* format, which
//! needs no seeking and can be read while it arrives.
//!
//! The writer is synchronous like the `Write` it wraps; async callers run it on the blocking pool.
//! The encoders write into a small shared buffer that is drained into the output after each call,
//! so the output need not be `Send` (a locked stdout is not) although the Parquet writer's is.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::encoder::{Encoder, Encoding};
use super::error::SinkError;
use super::options::{FileFormat, SinkOptions};

/// What the stream is called in messages.
const SHOWN: &str = "the output stream";

/// Writes batches of one schema to any `Write` as Parquet, an Arrow IPC stream or CSV.
pub struct StreamWriter<W: Write> {
    encoder: Encoder<Pending>,
    pending: Pending,
    out: W,
    rows: u64,
}

/// Bytes an encoder produced that have not reached the output yet.
#[derive(Debug, Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Pending {
    fn drain_into(&self, out: &mut impl Write) -> Result<(), SinkError> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        out.write_all(&bytes)
            .map_err(|e| encode_error(e.to_string()))
    }
}

impl<W: Write> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter")
            .field("encoder", &self.encoder)
            .field("rows", &self.rows)
            .finish()
    }
}

impl<W: Write> StreamWriter<W> {
    /// Starts the stream (magic bytes, schema or CSV header) in `options.format`; the codec and
    /// row-group size apply to Parquet; rotation and mode do not apply.
    pub fn new(out: W, schema: SchemaRef, options: &SinkOptions) -> Result<Self, SinkError> {
        Self::with_metadata(out, schema, options, &[])
    }

    /// [`StreamWriter::new`] with key-value metadata for Parquet (with `tsexport.version` added).
    pub fn with_metadata(
        mut out: W,
        schema: SchemaRef,
        options: &SinkOptions,
        metadata: &[(String, String)],
    ) -> Result<Self, SinkError> {
        options.validate()?;
        let encoding = match options.format {
            FileFormat::Parquet => Encoding::Parquet,
            FileFormat::ArrowIpc => Encoding::ArrowStream,
            FileFormat::Csv => Encoding::Csv,
        };
        let pending = Pending::default();
        let encoder = Encoder::new(encoding, pending.clone(), &schema, options, metadata)
            .map_err(|e| encode_error(e.to_string()))?;
        pending.drain_into(&mut out)?;
        Ok(StreamWriter {
            encoder,
            pending,
            out,
            rows: 0,
        })
    }

    /// Encodes `batch` and writes it to the stream.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.encoder
            .write(batch)
            .map_err(|e| encode_error(e.to_string()))?;
        self.pending.drain_into(&mut self.out)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Ends the stream (Parquet footer, IPC end-of-stream marker) and flushes it.
    pub fn finish(self) -> Result<(), SinkError> {
        self.into_inner().map(drop)
    }

    /// [`StreamWriter::finish`], giving the output back.
    pub fn into_inner(self) -> Result<W, SinkError> {
        let StreamWriter {
            encoder,
            pending,
            mut out,
            ..
        } = self;
        encoder.finish().map_err(|e| encode_error(e.to_string()))?;
        pending.drain_into(&mut out)?;
        out.flush().map_err(|e| encode_error(e.to_string()))?;
        Ok(out)
    }
}

fn encode_error(reason: String) -> SinkError {
    SinkError::Encode {
        path: SHOWN.to_string(),
        reason,
    }
}
