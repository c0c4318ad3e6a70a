//! The handful of operations the commit protocol needs (list, read, put, move, delete), the same on
//! local disk and on object stores, on `/`-separated paths relative to one root folder.
//!
//! Local disk goes through `std::fs` on the blocking pool, so that a move is a real `rename` (atomic
//! on one file system) rather than object_store's copy-and-delete; object stores go through
//! `object_store`, where a move is a server-side copy followed by a delete.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::error::SinkError;
use super::output::FileOutput;
use super::upload::Uploads;

/// A root folder on local disk or in an object store.
#[derive(Debug, Clone)]
pub(crate) enum Storage {
    Local {
        root: PathBuf,
    },
    Store {
        store: Arc<dyn ObjectStore>,
        root: StorePath,
        /// The root as a URL without a trailing `/`, for messages.
        url: String,
    },
}

/// An object or file found by a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    /// Relative to the storage root.
    pub path: String,
    pub size: u64,
}

/// The outcome of a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moved {
    Done,
    /// There was nothing at the source (maybe an interrupted commit already moved it).
    SourceMissing,
}

/// `a` and `b` joined with `/`; either may be empty.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// Runs file-system work on the blocking pool so it never stalls the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SinkError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SinkError::task("file-system task", e))
}

impl Storage {
    /// The full path or URL of `rel`, for messages and reports.
    pub(crate) fn describe(&self, rel: &str) -> String {
        match self {
            Storage::Local { root } => self.local(root, rel).display().to_string(),
            Storage::Store { url, .. } => join(url, rel),
        }
    }

    fn local(&self, root: &Path, rel: &str) -> PathBuf {
        rel.split('/')
            .filter(|part| !part.is_empty())
            .fold(root.to_path_buf(), |path, part| path.join(part))
    }

    fn key(root: &StorePath, rel: &str) -> StorePath {
        rel.split('/')
            .filter(|part| !part.is_empty())
            .fold(root.clone(), |path, part| path.join(part))
    }

    /// `None` for the root of a bucket, which object_store lists without a prefix.
    fn prefix(root: &StorePath, rel: &str) -> Option<StorePath> {
        let key = Self::key(root, rel);
        (!key.as_ref().is_empty()).then_some(key)
    }

    fn relative(root: &StorePath, location: &StorePath) -> Option<String> {
        let parts: Vec<String> = location
            .prefix_match(root)?
            .map(|part| part.as_ref().to_string())
            .collect();
        Some(parts.join("/"))
    }

    /// Every file under `rel_dir` (recursively) with its path relative to the root, sorted;
    /// nothing if it does not exist.
    pub(crate) async fn list(&self, rel_dir: &str) -> Result<Vec<Listed>, SinkError> {
        let described = self.describe(rel_dir);
        let mut listed = match self {
            Storage::Local { root } => {
                let dir = self.local(root, rel_dir);
                let base = rel_dir.to_string();
                blocking(move || {
                    let mut found = Vec::new();
                    walk(&dir, &base, &mut found).map(|()| found)
                })
                .await?
                .map_err(|e| SinkError::storage("list", described, e))?
            }
            Storage::Store { store, root, .. } => {
                let prefix = Self::prefix(root, rel_dir);
                let objects: Vec<_> = store
                    .list(prefix.as_ref())
                    .try_collect()
                    .await
                    .map_err(|e| SinkError::storage("list", described, e))?;
                objects
                    .into_iter()
                    .filter_map(|object| {
                        Some(Listed {
                            path: Self::relative(root, &object.location)?,
                            size: object.size,
                        })
                    })
                    .collect()
            }
        };
        listed.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(listed)
    }

    /// The names directly inside `rel_dir` (files and folders), sorted.
    pub(crate) async fn children(&self, rel_dir: &str) -> Result<Vec<String>, SinkError> {
        let described = self.describe(rel_dir);
        let mut names = match self {
            Storage::Local { root } => {
                let dir = self.local(root, rel_dir);
                blocking(move || -> std::io::Result<Vec<String>> {
                    match std::fs::read_dir(&dir) {
                        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
                        Err(e) => Err(e),
                        Ok(entries) => entries
                            .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
                            .collect(),
                    }
                })
                .await?
                .map_err(|e| SinkError::storage("list", described, e))?
            }
            Storage::Store { store, root, .. } => {
                let prefix = Self::prefix(root, rel_dir);
                let listing = store
                    .list_with_delimiter(prefix.as_ref())
                    .await
                    .map_err(|e| SinkError::storage("list", described, e))?;
                listing
                    .common_prefixes
                    .iter()
                    .chain(listing.objects.iter().map(|object| &object.location))
                    .filter_map(|path| path.filename().map(str::to_string))
                    .collect()
            }
        };
        names.sort();
        Ok(names)
    }

    /// The content of `rel`, or `None` if there is no such file.
    pub(crate) async fn read(&self, rel: &str) -> Result<Option<Bytes>, SinkError> {
        let described = self.describe(rel);
        match self {
            Storage::Local { root } => {
                let path = self.local(root, rel);
                match blocking(move || std::fs::read(path)).await? {
                    Ok(content) => Ok(Some(Bytes::from(content))),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(SinkError::storage("read", described, e)),
                }
            }
            Storage::Store { store, root, .. } => {
                let got = match store.get(&Self::key(root, rel)).await {
                    Ok(got) => got,
                    Err(object_store::Error::NotFound { .. }) => return Ok(None),
                    Err(e) => return Err(SinkError::storage("read", described, e)),
                };
                got.bytes()
                    .await
                    .map(Some)
                    .map_err(|e| SinkError::storage("read", described, e))
            }
        }
    }

    /// Whether there is a file at `rel`.
    pub(crate) async fn exists(&self, rel: &str) -> Result<bool, SinkError> {
        let described = self.describe(rel);
        match self {
            Storage::Local { root } => {
                let path = self.local(root, rel);
                match blocking(move || std::fs::metadata(path)).await? {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(SinkError::storage("look for", described, e)),
                }
            }
            Storage::Store { store, root, .. } => match store.head(&Self::key(root, rel)).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(SinkError::storage("look for", described, e)),
            },
        }
    }

    /// Writes `content` to `rel` so that readers see the old content or the new, never a part:
    /// one PUT on object stores; on disk, a write to `temp_rel` then a rename over `rel`.
    pub(crate) async fn put(
        &self,
        rel: &str,
        content: Bytes,
        temp_rel: &str,
    ) -> Result<(), SinkError> {
        let described = self.describe(rel);
        match self {
            Storage::Local { root } => {
                let path = self.local(root, rel);
                let temp = self.local(root, temp_rel);
                blocking(move || write_then_rename(&temp, &path, &content))
                    .await?
                    .map_err(|e| SinkError::storage("write", described, e))
            }
            Storage::Store { store, root, .. } => store
                .put(&Self::key(root, rel), PutPayload::from(content))
                .await
                .map(|_| ())
                .map_err(|e| SinkError::storage("write", described, e)),
        }
    }

    /// Deletes the file at `rel`; a missing file is fine. On disk, folders left empty are removed.
    pub(crate) async fn delete(&self, rel: &str) -> Result<(), SinkError> {
        let described = self.describe(rel);
        match self {
            Storage::Local { root } => {
                let path = self.local(root, rel);
                let root = root.clone();
                blocking(move || match std::fs::remove_file(&path) {
                    Ok(()) => {
                        remove_empty_parents(&root, &path);
                        Ok(())
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e),
                })
                .await?
                .map_err(|e| SinkError::storage("delete", described, e))
            }
            Storage::Store { store, root, .. } => match store.delete(&Self::key(root, rel)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(SinkError::storage("delete", described, e)),
            },
        }
    }

    /// Moves `from` to `to`, replacing what is at `to`.
    pub(crate) async fn rename(&self, from: &str, to: &str) -> Result<Moved, SinkError> {
        let described = format!("{} to {}", self.describe(from), self.describe(to));
        match self {
            Storage::Local { root } => {
                let source = self.local(root, from);
                let target = self.local(root, to);
                let root = root.clone();
                blocking(move || {
                    if !source.exists() {
                        return Ok(Moved::SourceMissing);
                    }
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::rename(&source, &target)?;
                    remove_empty_parents(&root, &source);
                    Ok(Moved::Done)
                })
                .await?
                .map_err(|e: std::io::Error| SinkError::storage("move", described, e))
            }
            Storage::Store { store, root, .. } => {
                let source = Self::key(root, from);
                match store.copy(&source, &Self::key(root, to)).await {
                    Ok(()) => {}
                    Err(object_store::Error::NotFound { .. }) => return Ok(Moved::SourceMissing),
                    Err(e) => return Err(SinkError::storage("move", described, e)),
                }
                match store.delete(&source).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(Moved::Done),
                    Err(e) => Err(SinkError::storage("delete", self.describe(from), e)),
                }
            }
        }
    }

    /// Deletes `rel_dir` and everything under it; on disk, parents left empty go too.
    pub(crate) async fn delete_tree(&self, rel_dir: &str) -> Result<(), SinkError> {
        let described = self.describe(rel_dir);
        match self {
            Storage::Local { root } => {
                let dir = self.local(root, rel_dir);
                let root = root.clone();
                blocking(move || remove_tree(&root, &dir))
                    .await?
                    .map_err(|e| SinkError::storage("delete", described, e))
            }
            Storage::Store { .. } => {
                for file in self.list(rel_dir).await? {
                    self.delete(&file.path).await?;
                }
                Ok(())
            }
        }
    }

    /// A new file at `rel` to stream into: a local file, or an object-store upload that is
    /// tracked by `uploads` and appears only when completed.
    pub(crate) async fn create(
        &self,
        rel: &str,
        uploads: &Uploads,
    ) -> Result<FileOutput, SinkError> {
        let described = self.describe(rel);
        match self {
            Storage::Local { root } => {
                let path = self.local(root, rel);
                let shown = described.clone();
                blocking(move || FileOutput::create_local(path, shown))
                    .await?
                    .map_err(|e| SinkError::storage("create", described, e))
            }
            Storage::Store { store, root, .. } => Ok(FileOutput::Upload(uploads.start(
                store.clone(),
                Self::key(root, rel),
                described,
            ))),
        }
    }

    /// Synchronous best-effort removal of a local folder, for `Drop`, where nothing can be awaited.
    /// Object stores are left to the caller.
    pub(crate) fn remove_local_tree_now(&self, rel_dir: &str) {
        if let Storage::Local { root } = self {
            let _ = remove_tree(root, &self.local(root, rel_dir));
        }
    }
}

/// Collects the files under `dir` as paths relative to the storage root (`base` is `dir`'s).
fn walk(dir: &Path, base: &str, found: &mut Vec<Listed>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = join(base, &name);
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &rel, found)?;
        } else {
            found.push(Listed {
                path: rel,
                size: entry.metadata()?.len(),
            });
        }
    }
    Ok(())
}

fn write_then_rename(temp: &Path, path: &Path, content: &[u8]) -> std::io::Result<()> {
    for folder in [temp.parent(), path.parent()].into_iter().flatten() {
        std::fs::create_dir_all(folder)?;
    }
    {
        use std::io::Write;
        let mut file = std::fs::File::create(temp)?;
        file.write_all(content)?;
        file.sync_all()?;
    }
    std::fs::rename(temp, path)
}

fn remove_tree(root: &Path, dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {
            remove_empty_parents(root, dir);
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes the empty folders above `path`, up to (not including) `root`, so that deleting files
/// does not leave a trail of empty folders behind.
fn remove_empty_parents(root: &Path, path: &Path) {
    let mut current = path.parent();
    while let Some(folder) = current {
        if folder == root || !folder.starts_with(root) || std::fs::remove_dir(folder).is_err() {
            break;
        }
        current = folder.parent();
    }
}
