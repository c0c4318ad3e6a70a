//! Where exports go: Arrow batches become Parquet (or Arrow IPC, or CSV) files on local disk or
//! any object store, made visible all at once by a commit, so that readers only ever see complete
//! exports.
//!
//! A run: [`Staging::open`] a [`Destination`] with [`SinkOptions`]; get a [`TableWriter`] per
//! table from [`Staging::table`] and write batches into it (files rotate by rows or bytes);
//! finish each table for its [`WrittenTable`]; then [`Staging::commit`] them, or
//! [`Staging::abort`]. The commit protocol is described in `src/sink/commit.rs` and
//! `docs/guarantees.md` (Commit); a stream (the CLI's `--out -`) uses [`StreamWriter`] instead.

mod commit;
mod destination;
mod direct;
mod encoder;
mod error;
mod layout;
mod manifest;
mod options;
mod output;
mod parallel_parquet;
mod partitioned;
mod recovery;
mod side_file;
mod stats;
mod storage;
mod stream;
mod upload;
mod writer;

pub use commit::{Committed, Staging};
pub use destination::{Destination, DestinationError};
pub use direct::DataFiles;
pub use encoder::VERSION_KEY;
pub use error::SinkError;
pub use layout::{MANIFEST_FILE, STAGING_DIR, SUCCESS_FILE};
pub use manifest::{
    read_manifest, BadArrowSchema, Manifest, ManifestColumn, ManifestFile, ManifestTable,
    MANIFEST_FORMAT_VERSION,
};
pub use options::{Codec, FileFormat, InvalidOption, SinkOptions, WriteMode};
pub use parallel_parquet::ParallelParquetWriter;
pub use partitioned::{
    InvalidPartitionSpec, PartitionBy, PartitionError, PartitionSpec, PartitionedWriter,
};
pub use side_file::SideFile;
pub use stats::{ColumnStats, StatValue};
pub use stream::StreamWriter;
pub use writer::{FileReport, TableWriter, WrittenTable};
