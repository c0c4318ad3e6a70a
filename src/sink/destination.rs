//! A destination named on the command line or in a job: a local path, or a URL of an object store
//! (`s3://`, `gs://`, `az://`, `file://`, `memory://`), with credentials and endpoint from the
//! standard environment variables of each cloud (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT`,
//! `AWS_ALLOW_HTTP`, `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`, ...).

use std::path::PathBuf;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::buffered::BufWriter;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;
use object_store::ObjectStore;

/// Why a destination cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DestinationError {
    /// The text does not name a destination tsexport can write to.
    #[error("'{given}' is not a usable destination: {reason}")]
    Invalid {
        /// The destination as given.
        given: String,
        /// What is wrong with it.
        reason: String,
    },
    #[error("cannot set up {scheme} storage for '{given}': {reason}. Check the {scheme} settings in the environment")]
    /// The object store client cannot be set up (settings missing from the environment).
    Store {
        /// The destination as given.
        given: String,
        /// `s3`, `gs` or `az`.
        scheme: String,
        /// What the object store client said.
        reason: String,
    },
}

/// A local file path or an object in a store.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A path on this machine.
    Local(PathBuf),
    /// A location in an object store.
    Store {
        /// The URL as given, for messages and manifests.
        url: String,
        /// The store client.
        store: Arc<dyn ObjectStore>,
        /// The location inside the store.
        path: StorePath,
    },
}

impl Destination {
    /// Reads `given`: anything with `scheme://` is an object-store URL, everything else a local path.
    pub fn parse(given: &str) -> Result<Self, DestinationError> {
        let invalid = |reason: &str| DestinationError::Invalid {
            given: given.to_string(),
            reason: reason.to_string(),
        };
        if !given.contains("://") {
            if given.is_empty() {
                return Err(invalid("it is empty"));
            }
            return Ok(Destination::Local(PathBuf::from(given)));
        }
        let url = reqwest::Url::parse(given).map_err(|e| invalid(&e.to_string()))?;
        let scheme = url.scheme().to_string();
        let store_error = |e: object_store::Error| DestinationError::Store {
            given: given.to_string(),
            scheme: scheme.clone(),
            reason: e.to_string(),
        };
        let key = url.path().trim_start_matches('/');
        let store: Arc<dyn ObjectStore> = match scheme.as_str() {
            "s3" | "s3a" => Arc::new(
                AmazonS3Builder::from_env()
                    .with_url(given)
                    .build()
                    .map_err(store_error)?,
            ),
            "gs" => Arc::new(
                GoogleCloudStorageBuilder::from_env()
                    .with_url(given)
                    .build()
                    .map_err(store_error)?,
            ),
            "az" | "azure" | "abfs" | "abfss" => Arc::new(
                MicrosoftAzureBuilder::from_env()
                    .with_url(given)
                    .build()
                    .map_err(store_error)?,
            ),
            "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|_| invalid("a file:// URL needs an absolute path"))?;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        invalid(&format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                let store = LocalFileSystem::new();
                let path =
                    StorePath::from_absolute_path(&path).map_err(|e| invalid(&e.to_string()))?;
                return Ok(Destination::Store {
                    url: given.to_string(),
                    store: Arc::new(store),
                    path,
                });
            }
            "memory" => Arc::new(InMemory::new()),
            other => {
                return Err(invalid(&format!(
                    "unknown scheme '{other}://'; use a path, s3://, gs://, az:// or file://"
                )))
            }
        };
        if key.is_empty() {
            return Err(invalid(
                "the URL names no object: add a path after the bucket",
            ));
        }
        Ok(Destination::Store {
            url: given.to_string(),
            store,
            path: StorePath::from(key),
        })
    }

    /// A writer for an object-store destination. The object appears only when the writer is shut
    /// down successfully (one PUT, or a completed multipart upload); `abort` discards it.
    pub fn object_writer(&self) -> Option<BufWriter> {
        match self {
            Destination::Store { store, path, .. } => {
                Some(BufWriter::new(store.clone(), path.clone()))
            }
            Destination::Local(_) => None,
        }
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Local(path) => write!(f, "{}", path.display()),
            Destination::Store { url, .. } => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls() {
        assert!(matches!(
            Destination::parse("out/report.pdf").unwrap(),
            Destination::Local(_)
        ));
        assert!(matches!(
            Destination::parse("memory:///a/b.pdf").unwrap(),
            Destination::Store { .. }
        ));
        let e = Destination::parse("ftp://host/x").unwrap_err().to_string();
        assert!(e.contains("unknown scheme 'ftp://'"), "{e}");
        assert!(Destination::parse("").is_err());
    }
}
