//! `_manifest.json`: what a committed export holds (tables, files, rows, bytes, schemas), where it
//! came from, and which run wrote it. Readers use it to find the files without listing; the next
//! run uses it to know which files tsexport owns (overwrite deletes only those), to continue file
//! numbering and to start from the committed schema (append).
//!
//! The JSON is pretty-printed with a fixed key order (struct order), so two runs of the same job
//! differ only where the data or the times differ.

use arrow_schema::{Schema, SchemaRef};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::destination::Destination;
use super::error::SinkError;
use super::layout::Target;

/// The version of the manifest layout; a reader refuses versions it does not know.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

/// The whole manifest of a committed export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format (`MANIFEST_FORMAT_VERSION` when written).
    pub format_version: u32,
    /// Always "tsexport".
    pub tool: String,
    /// The tsexport version that wrote it.
    pub tool_version: String,
    /// The run that committed this manifest (`20261127T234501Z-<pid>-<random>`).
    pub run_id: String,
    /// RFC 3339, UTC.
    pub committed_at: String,
    /// "overwrite", "append" or "error-if-exists".
    pub mode: String,
    /// "parquet", "arrow" or "csv".
    pub format: String,
    /// The Parquet codec as it parses (`zstd:3`); absent for other formats.
    pub codec: Option<String>,
    /// What the caller said about the source (query, worksheet, cluster, ...), as given.
    pub source: Value,
    /// Rows in all tables.
    pub rows: u64,
    /// Bytes of all files.
    pub bytes: u64,
    /// The tables, in the order they were written.
    pub tables: Vec<ManifestTable>,
}

/// One table: a folder of files (or the root, for the table named "").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestTable {
    /// The table's folder; "" for a single-table export.
    pub name: String,
    /// Rows in the table's files.
    pub rows: u64,
    /// Bytes of the table's files.
    pub bytes: u64,
    /// The columns in readable form.
    pub schema: Vec<ManifestColumn>,
    /// The exact Arrow schema (serde form of `arrow_schema::Schema`), so an append can continue
    /// with the very same types.
    pub arrow_schema: Value,
    /// The table's files, those of earlier runs an append kept included.
    pub files: Vec<ManifestFile>,
    /// Whatever the caller added (rows expected, sampling ratio, visualization id, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestColumn {
    /// The column name.
    pub name: String,
    /// The Arrow data type as Arrow displays it (`Int64`, `Utf8`, `Timestamp(µs, "UTC")`, ...).
    #[serde(rename = "type")]
    pub data_type: String,
    /// Whether the column may hold nulls.
    pub nullable: bool,
}

/// One committed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative to the destination folder, `/`-separated.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Bytes of the file.
    pub bytes: u64,
    /// The run that wrote the file; an append keeps the files of earlier runs. Also how an
    /// interrupted commit knows which files it still has to move.
    pub run_id: String,
}

/// Keys of a table entry that the caller's `extra` cannot replace.
pub(crate) const RESERVED_TABLE_KEYS: [&str; 6] =
    ["name", "rows", "bytes", "schema", "arrow_schema", "files"];

impl Manifest {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain structs, strings, numbers and `Value`s cannot fail.
        let mut json = serde_json::to_vec_pretty(self).unwrap_or_default();
        json.push(b'\n');
        json
    }

    /// Parses a manifest; `path` is only for the error message.
    pub fn from_json(bytes: &[u8], path: &str) -> Result<Manifest, SinkError> {
        let error = |reason: String| SinkError::Manifest {
            path: path.to_string(),
            reason,
        };
        let value: Value = serde_json::from_slice(bytes).map_err(|e| error(e.to_string()))?;
        match value.get("format_version").and_then(Value::as_u64) {
            Some(version) if version == u64::from(MANIFEST_FORMAT_VERSION) => {}
            Some(version) => {
                return Err(error(format!(
                    "its format_version is {version}, this tsexport reads {MANIFEST_FORMAT_VERSION}; use a newer tsexport"
                )))
            }
            None => return Err(error("it has no format_version".to_string())),
        }
        serde_json::from_value(value).map_err(|e| error(e.to_string()))
    }

    /// The table called `name` ("" for a single-table export).
    pub fn table(&self, name: &str) -> Option<&ManifestTable> {
        self.tables.iter().find(|table| table.name == name)
    }

    /// Every file of every table.
    pub fn files(&self) -> impl Iterator<Item = &ManifestFile> {
        self.tables.iter().flat_map(|table| table.files.iter())
    }
}

impl ManifestTable {
    /// The exact Arrow schema of the table.
    pub fn arrow_schema(&self) -> Result<SchemaRef, BadArrowSchema> {
        serde_json::from_value::<Schema>(self.arrow_schema.clone())
            .map(SchemaRef::new)
            .map_err(|source| BadArrowSchema {
                table: self.name.clone(),
                source,
            })
    }
}

/// A table's `arrow_schema` in a manifest that does not read as an Arrow schema.
#[derive(Debug, thiserror::Error)]
#[error("the arrow_schema of table '{table}' cannot be read: {source}")]
pub struct BadArrowSchema {
    /// The table whose schema is broken.
    pub table: String,
    /// What the JSON reader said.
    pub source: serde_json::Error,
}

/// The readable column list of `schema`.
pub(crate) fn columns_of(schema: &Schema) -> Vec<ManifestColumn> {
    schema
        .fields()
        .iter()
        .map(|field| ManifestColumn {
            name: field.name().clone(),
            data_type: field.data_type().to_string(),
            nullable: field.is_nullable(),
        })
        .collect()
}

/// The serde form of `schema` stored as `arrow_schema`.
pub(crate) fn arrow_schema_value(schema: &Schema) -> Value {
    // Arrow's own Serialize impl for a schema: fields, types and metadata; it cannot fail.
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// The manifest of the export committed at `destination` (a folder, or a single file such as
/// `out/sales.parquet`, whose manifest is `out/sales.parquet.manifest.json`), if there is one.
pub async fn read_manifest(destination: &Destination) -> Result<Option<Manifest>, SinkError> {
    let target = Target::for_reading(destination)?;
    target.read_manifest(&target.manifest_path()).await
}
