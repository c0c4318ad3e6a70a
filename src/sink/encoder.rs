//! Arrow batches to file bytes, one encoder per format, over any synchronous `Write`. Used for the
//! files of an export and for `--out -`.
//!
//! Encoders are synchronous and CPU-bound: callers run them on the blocking pool.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::metadata::{KeyValue, RowGroupMetaData};
use parquet::file::properties::WriterProperties;

use super::options::{Codec, SinkOptions};
use super::parallel_parquet::ParallelParquetWriter;

/// The key-value metadata key that records the writing tool's version.
pub const VERSION_KEY: &str = "tsexport.version";

/// The byte layout to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Parquet,
    /// Arrow IPC file format: a footer indexes the batches; needs the whole file.
    ArrowFile,
    /// Arrow IPC stream format: readable while it arrives, for pipes.
    ArrowStream,
    Csv,
}

/// An open encoder writing into `W`.
pub(crate) enum Encoder<W: Write + Send> {
    Parquet(ParallelParquetWriter<W>),
    ArrowFile(arrow_ipc::writer::FileWriter<W>),
    ArrowStream(arrow_ipc::writer::StreamWriter<W>),
    Csv(arrow_csv::Writer<W>),
}

impl<W: Write + Send> std::fmt::Debug for Encoder<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoder::Parquet(_) => "Encoder::Parquet",
            Encoder::ArrowFile(_) => "Encoder::ArrowFile",
            Encoder::ArrowStream(_) => "Encoder::ArrowStream",
            Encoder::Csv(_) => "Encoder::Csv",
        })
    }
}

/// Why a file could not be encoded, as the format's writer said it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EncodeError {
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// The Parquet compression for `codec`.
pub(crate) fn parquet_compression(codec: Codec) -> Result<Compression, EncodeError> {
    Ok(match codec {
        Codec::Zstd(level) => {
            Compression::ZSTD(ZstdLevel::try_new(level).map_err(EncodeError::from)?)
        }
        Codec::Snappy => Compression::SNAPPY,
        Codec::Lz4 => Compression::LZ4_RAW,
        Codec::Gzip(level) => {
            Compression::GZIP(GzipLevel::try_new(level).map_err(EncodeError::from)?)
        }
        Codec::None => Compression::UNCOMPRESSED,
    })
}

/// Threads that encode the columns of a Parquet row group: one per core, up to four.
fn encoding_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// The caller's metadata plus the tool version, which always wins over a caller's value.
fn with_version(metadata: &[(String, String)]) -> Vec<(String, String)> {
    metadata
        .iter()
        .filter(|(key, _)| key != VERSION_KEY)
        .cloned()
        .chain([(VERSION_KEY.to_string(), crate::VERSION.to_string())])
        .collect()
}

impl<W: Write + Send> Encoder<W> {
    /// Starts a file: writes what comes before the first batch (magic bytes, schema, CSV header).
    /// `metadata` goes into the file where the format has a place for it (Parquet key-value
    /// metadata, the Arrow IPC file footer), with `tsexport.version` added.
    pub(super) fn new(
        encoding: Encoding,
        out: W,
        schema: &SchemaRef,
        options: &SinkOptions,
        metadata: &[(String, String)],
    ) -> Result<Self, EncodeError> {
        let metadata = with_version(metadata);
        match encoding {
            Encoding::Parquet => {
                let properties = WriterProperties::builder()
                    .set_compression(parquet_compression(options.codec)?)
                    .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
                    .set_key_value_metadata(Some(
                        metadata
                            .into_iter()
                            .map(|(key, value)| KeyValue::new(key, value))
                            .collect(),
                    ))
                    .build();
                ParallelParquetWriter::try_new(out, schema.clone(), properties, encoding_threads())
                    .map(Encoder::Parquet)
                    .map_err(EncodeError::from)
            }
            Encoding::ArrowFile => {
                let mut writer = arrow_ipc::writer::FileWriter::try_new(out, schema)
                    .map_err(EncodeError::from)?;
                for (key, value) in metadata {
                    writer.write_metadata(key, value);
                }
                Ok(Encoder::ArrowFile(writer))
            }
            Encoding::ArrowStream => arrow_ipc::writer::StreamWriter::try_new(out, schema)
                .map(Encoder::ArrowStream)
                .map_err(EncodeError::from),
            Encoding::Csv => {
                let mut writer = arrow_csv::WriterBuilder::new().with_header(true).build(out);
                // The header is written with the first batch; an empty one makes sure that even a
                // file without rows names its columns.
                writer
                    .write(&RecordBatch::new_empty(schema.clone()))
                    .map_err(EncodeError::from)?;
                Ok(Encoder::Csv(writer))
            }
        }
    }

    pub(super) fn write(&mut self, batch: &RecordBatch) -> Result<(), EncodeError> {
        match self {
            Encoder::Parquet(writer) => writer.write(batch).map_err(EncodeError::from),
            Encoder::ArrowFile(writer) => writer.write(batch).map_err(EncodeError::from),
            Encoder::ArrowStream(writer) => writer.write(batch).map_err(EncodeError::from),
            Encoder::Csv(writer) => writer.write(batch).map_err(EncodeError::from),
        }
    }

    /// Bytes encoded but not yet handed to `W` (the Parquet row group in progress), so that file
    /// rotation by size counts them.
    pub(super) fn buffered_bytes(&self) -> u64 {
        match self {
            Encoder::Parquet(writer) => writer.in_progress_size() as u64,
            _ => 0,
        }
    }

    /// Writes what ends the file (last row group, footer, end-of-stream marker) and gives `W` back,
    /// with the Parquet row groups' metadata (none for the other formats).
    pub(super) fn finish(self) -> Result<(W, Vec<RowGroupMetaData>), EncodeError> {
        match self {
            Encoder::Parquet(writer) => writer.close().map_err(EncodeError::from),
            Encoder::ArrowFile(writer) => Ok((writer.into_inner()?, Vec::new())),
            Encoder::ArrowStream(writer) => Ok((writer.into_inner()?, Vec::new())),
            Encoder::Csv(writer) => Ok((writer.into_inner(), Vec::new())),
        }
    }
}
