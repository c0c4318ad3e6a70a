//! Where things go at a destination: the data files, the staging area, the manifest and the
//! `_SUCCESS` marker, for a folder destination and for a single-file one (`out/sales.parquet`).
//!
//! ```text
//! folder:  <dest>/part-00000.parquet, <dest>/<table>/part-00000.parquet
//!          <dest>/_manifest.json, <dest>/_SUCCESS
//!          <dest>/_tsexport_staging/<run-id>/<same relative paths>, .../<run-id>/_manifest.json
//! file:    <parent>/sales.parquet, <parent>/sales.parquet.manifest.json (no _SUCCESS)
//!          <parent>/_tsexport_staging/sales.parquet/<run-id>/sales.parquet
//! ```
//!
//! A single-file destination stages under a folder named after the file, so that several
//! single-file exports into the same folder never clear each other's staging.

use std::path::{Path, PathBuf};

use object_store::path::{Path as StorePath, PathPart};

use super::destination::Destination;
use super::error::SinkError;
use super::manifest::Manifest;
use super::options::{FileFormat, SinkOptions, WriteMode};
use super::storage::{join, Storage};

/// The folder of staged files and commits in progress.
pub const STAGING_DIR: &str = "_tsexport_staging";
/// The manifest of a folder destination.
pub const MANIFEST_FILE: &str = "_manifest.json";
/// The marker that a folder destination holds a complete export.
pub const SUCCESS_FILE: &str = "_SUCCESS";

/// The only names at a destination's top level that tsexport reserves.
pub(crate) const RESERVED_NAMES: [&str; 3] = [STAGING_DIR, MANIFEST_FILE, SUCCESS_FILE];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The destination is a folder of tables and files.
    Folder,
    /// The destination is one file, `name`, in the storage root.
    File { name: String },
}

/// A destination resolved to a storage root and a layout.
#[derive(Debug)]
pub(crate) struct Target {
    pub storage: Storage,
    pub layout: Layout,
    /// The destination as the user gave it, for messages.
    pub shown: String,
}

impl Target {
    /// Resolves `destination` for an export with `options`, refusing what a single-file
    /// destination cannot do.
    pub(crate) fn for_writing(
        destination: &Destination,
        options: &SinkOptions,
    ) -> Result<Target, SinkError> {
        let target = Self::for_reading(destination)?;
        if let Layout::File { name } = &target.layout {
            let usage = |reason: String| Err(SinkError::usage(target.shown.clone(), reason));
            if FileFormat::from_extension(name) != Some(options.format) {
                return usage(format!(
                    "the file name '{name}' does not match the format {}; name the file *.{} or choose the format its extension names",
                    options.format,
                    options.format.extension()
                ));
            }
            if options.rotates() {
                return usage(
                    "a single-file destination holds exactly one file, so it cannot be split by rows or bytes; give a folder instead".to_string(),
                );
            }
            if options.mode == WriteMode::Append {
                return usage(
                    "append adds files next to the existing ones, which needs a folder destination; give the folder, or use the overwrite mode".to_string(),
                );
            }
        }
        Ok(target)
    }

    /// Resolves `destination`: a path whose last part ends in `.parquet`, `.arrow` or `.csv` is a
    /// single file, anything else a folder.
    pub(crate) fn for_reading(destination: &Destination) -> Result<Target, SinkError> {
        let shown = destination.to_string();
        let (storage, layout) = match destination {
            Destination::Local(path) => on_disk(path),
            // A `file://` URL gets what local disk offers and object_store's local store does
            // not: atomic renames, and no empty folders left behind.
            Destination::Store { url, path, .. } if url.starts_with("file:") => {
                on_disk(&PathBuf::from("/").join(path.as_ref()))
            }
            Destination::Store { url, store, path } => {
                let url = url.trim_end_matches('/');
                let name = path
                    .filename()
                    .filter(|name| FileFormat::from_extension(name).is_some());
                match name {
                    Some(name) => {
                        let parts: Vec<PathPart<'_>> = path.parts().collect();
                        let parent: StorePath = parts[..parts.len().saturating_sub(1)]
                            .iter()
                            .cloned()
                            .collect();
                        let parent_url = url.rsplit_once('/').map_or(url, |(parent, _)| parent);
                        (
                            Storage::Store {
                                store: store.clone(),
                                root: parent,
                                url: parent_url.to_string(),
                            },
                            Layout::File {
                                name: name.to_string(),
                            },
                        )
                    }
                    None => (
                        Storage::Store {
                            store: store.clone(),
                            root: path.clone(),
                            url: url.to_string(),
                        },
                        Layout::Folder,
                    ),
                }
            }
        };
        if let Layout::File { name } = &layout {
            if RESERVED_NAMES.contains(&name.as_str()) {
                return Err(SinkError::usage(
                    shown,
                    format!("'{name}' is a name tsexport reserves"),
                ));
            }
        }
        Ok(Target {
            storage,
            layout,
            shown,
        })
    }

    /// The staging folder of all runs for this destination.
    pub(crate) fn staging_base(&self) -> String {
        match &self.layout {
            Layout::Folder => STAGING_DIR.to_string(),
            Layout::File { name } => join(STAGING_DIR, name),
        }
    }

    /// The staging folder of one run.
    pub(crate) fn run_dir(&self, run_id: &str) -> String {
        join(&self.staging_base(), run_id)
    }

    /// Where a file that will end up at `final_path` is written first.
    pub(crate) fn staged(&self, run_id: &str, final_path: &str) -> String {
        join(&self.run_dir(run_id), final_path)
    }

    /// The staged manifest: once it exists, the run is committed and rolls forward.
    pub(crate) fn staged_manifest(&self, run_id: &str) -> String {
        join(&self.run_dir(run_id), MANIFEST_FILE)
    }

    /// The manifest readers look for.
    pub(crate) fn manifest_path(&self) -> String {
        match &self.layout {
            Layout::Folder => MANIFEST_FILE.to_string(),
            Layout::File { name } => format!("{name}.manifest.json"),
        }
    }

    /// The `_SUCCESS` marker; a single file has none.
    pub(crate) fn success_path(&self) -> Option<String> {
        match &self.layout {
            Layout::Folder => Some(SUCCESS_FILE.to_string()),
            Layout::File { .. } => None,
        }
    }

    /// The manifest at `rel`, parsed, if there is one.
    pub(crate) async fn read_manifest(&self, rel: &str) -> Result<Option<Manifest>, SinkError> {
        match self.storage.read(rel).await? {
            Some(bytes) => Manifest::from_json(&bytes, &self.storage.describe(rel)).map(Some),
            None => Ok(None),
        }
    }
}

/// The storage and layout of a destination on local disk.
fn on_disk(path: &Path) -> (Storage, Layout) {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| FileFormat::from_extension(name).is_some());
    match name {
        Some(name) => {
            let parent = path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            (Storage::Local { root: parent }, Layout::File { name })
        }
        None => (
            Storage::Local {
                root: path.to_path_buf(),
            },
            Layout::Folder,
        ),
    }
}

/// Whether `name` is a run folder's name (`20261127T234501Z-...`), as opposed to, say, the
/// staging folder of a single-file destination next to a folder destination's runs.
pub(crate) fn is_run_id(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() > 16
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'T'
        && bytes[9..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'Z'
        && bytes[16] == b'-'
}

/// A relative path that could reach outside the destination or into tsexport's own files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{path}' {problem}")]
pub(crate) struct UnsafePath {
    path: String,
    problem: String,
}

/// Checks a relative, `/`-separated path given by a caller (a table name) or read from a manifest
/// (a file to delete): no empty, `.` or `..` parts, nothing an object store would have to escape,
/// and no reserved name at the top, so that it can never reach outside the destination or into
/// tsexport's own files.
pub(crate) fn check_relative(path: &str) -> Result<(), UnsafePath> {
    let unsafe_path = |problem: String| {
        Err(UnsafePath {
            path: path.to_string(),
            problem,
        })
    };
    for (index, part) in path.split('/').enumerate() {
        if part.is_empty() || part == "." || part == ".." {
            return unsafe_path("has an empty, '.' or '..' part".into());
        }
        if part.contains('\\') || PathPart::from(part).as_ref() != part {
            return unsafe_path(format!(
                "has characters that are not safe in object names in '{part}'"
            ));
        }
        if index == 0 && RESERVED_NAMES.contains(&part) {
            return unsafe_path(format!("starts with '{part}', a name tsexport reserves"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_recognised() {
        assert!(is_run_id("20261127T234501Z-4242-0a1b2c3d"));
        assert!(!is_run_id("sales.parquet"));
        assert!(!is_run_id("20261127T234501Z"));
    }

    #[test]
    fn relative_paths_stay_inside() {
        assert!(check_relative("sales").is_ok());
        assert!(check_relative("viz/sales by region").is_ok());
        assert!(check_relative("../x").is_err());
        assert!(check_relative("a//b").is_err());
        assert!(check_relative("_SUCCESS").is_err());
        assert!(check_relative("_tsexport_staging/x").is_err());
        assert!(check_relative("a\\b").is_err());
        assert!(check_relative("a/_manifest.json").is_ok());
    }

    #[test]
    fn file_destinations_are_told_apart_from_folders() {
        let file = Target::for_reading(&Destination::parse("out/sales.parquet").unwrap()).unwrap();
        assert_eq!(
            file.layout,
            Layout::File {
                name: "sales.parquet".into()
            }
        );
        assert_eq!(file.manifest_path(), "sales.parquet.manifest.json");
        assert_eq!(file.staging_base(), "_tsexport_staging/sales.parquet");
        let folder =
            Target::for_reading(&Destination::parse("memory:///lake/sales/").unwrap()).unwrap();
        assert_eq!(folder.layout, Layout::Folder);
        assert_eq!(
            folder.storage.describe("_manifest.json"),
            "memory:///lake/sales/_manifest.json"
        );
        let object =
            Target::for_reading(&Destination::parse("memory:///lake/s.csv").unwrap()).unwrap();
        assert_eq!(object.storage.describe("s.csv"), "memory:///lake/s.csv");
        let options = SinkOptions {
            max_rows_per_file: Some(10),
            ..SinkOptions::default()
        };
        let e = Target::for_writing(&Destination::parse("out/sales.parquet").unwrap(), &options)
            .unwrap_err()
            .to_string();
        assert!(e.contains("exactly one file"), "{e}");
        let csv = SinkOptions {
            format: FileFormat::Csv,
            ..SinkOptions::default()
        };
        let e = Target::for_writing(&Destination::parse("out/sales.parquet").unwrap(), &csv)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not match the format csv"), "{e}");
    }
}
