//! `export/pinboard/pdf` (wire-protocol §2.8): a Liveboard as a PDF, streamed to a writer or a file.
//!
//! The export changes nothing on the cluster, so it is a read and is retried on transient failures, but
//! only until the response starts: once bytes have gone to the writer a broken transfer is an error,
//! since the writer cannot take them back. Writing to a file goes through `<path>.partial` and a rename,
//! so a failed or cancelled export never leaves half a PDF at `path`.

use std::path::{Path, PathBuf};

use reqwest::multipart::Form;
use reqwest::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::error::error_chain;
use super::retry::Backoff;
use super::transport::{Body, Call};
use super::wire::{flag, json_list, wire_enum};
use super::{Client, Error};

const ENDPOINT: &str = "export/pinboard/pdf";

/// Every PDF starts with this.
const PDF_MAGIC: &[u8] = b"%PDF-";

wire_enum! {
    /// How the Liveboard is laid out in the PDF.
    closed enum PdfLayout {
        /// As in the UI.
        Pinboard = "PINBOARD",
        /// One visualization per page; needed to pick vizzes or truncate tables.
        Visualization = "VISUALIZATION",
    }
}

wire_enum! {
    /// The page orientation of the PDF (`orientation`).
    closed enum PdfOrientation {
        /// Taller than wide.
        Portrait = "PORTRAIT",
        /// Wider than tall; the default.
        Landscape = "LANDSCAPE",
    }
}

/// Options of a PDF export. `Default` gives the server's documented defaults; all of them are sent
/// explicitly anyway, so the result does not depend on a cluster's (or library's) idea of a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfOptions {
    /// The layout (`layout_type`); [`PdfLayout::Pinboard`] by default.
    pub layout: PdfLayout,
    /// The page orientation (`orientation`); landscape by default.
    pub orientation: PdfOrientation,
    /// Only these vizzes; needs [`PdfLayout::Visualization`] (the server refuses it otherwise).
    pub visualization_ids: Vec<String>,
    /// Only the first page of each table; [`PdfLayout::Visualization`] only.
    pub truncate_tables: bool,
    /// The cluster's custom logo in the footer.
    pub include_logo: bool,
    /// Text printed in the footer of every page (`footer_text`); `None` sends none.
    pub footer_text: Option<String>,
    /// Number the pages (`include_page_number`); on by default.
    pub include_page_number: bool,
    /// Start with a cover page naming the Liveboard (`include_cover_page`); on by default.
    pub include_cover_page: bool,
    /// Add a page listing the Liveboard's filters (`include_filter_page`); on by default.
    pub include_filter_page: bool,
}

impl Default for PdfOptions {
    fn default() -> Self {
        Self {
            layout: PdfLayout::Pinboard,
            orientation: PdfOrientation::Landscape,
            visualization_ids: Vec::new(),
            truncate_tables: false,
            include_logo: true,
            footer_text: None,
            include_page_number: true,
            include_cover_page: true,
            include_filter_page: true,
        }
    }
}

impl PdfOptions {
    /// The form fields for `pinboard`, snake_case as the spec requires.
    fn fields(&self, pinboard: &str) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("id", pinboard.to_string()),
            ("layout_type", self.layout.as_str().to_string()),
            ("orientation", self.orientation.as_str().to_string()),
            ("truncate_tables", flag(self.truncate_tables).to_string()),
            ("include_logo", flag(self.include_logo).to_string()),
            (
                "include_page_number",
                flag(self.include_page_number).to_string(),
            ),
            (
                "include_cover_page",
                flag(self.include_cover_page).to_string(),
            ),
            (
                "include_filter_page",
                flag(self.include_filter_page).to_string(),
            ),
        ];
        if !self.visualization_ids.is_empty() {
            fields.push(("visualization_ids", json_list(&self.visualization_ids)));
        }
        if let Some(footer) = &self.footer_text {
            fields.push(("footer_text", footer.clone()));
        }
        fields
    }
}

/// Removes the partial file when dropped, unless the export finished: covers errors and cancellation
/// (a dropped future) alike.
struct PartialFile {
    path: PathBuf,
    done: bool,
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.done {
            // Nothing more to do if it is already gone.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Client {
    /// Exports Liveboard `pinboard` as a PDF into `writer`, chunk by chunk as it arrives (a large PDF is
    /// never held in memory), and returns the number of bytes written. The writer is flushed at the end.
    /// A 200 answer that is not a PDF (a proxy's login page, say) is refused before anything is written.
    pub async fn export_pdf_to<W>(
        &self,
        pinboard: &str,
        options: &PdfOptions,
        mut writer: W,
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin,
    {
        self.stream_pdf(pinboard, options, &mut writer, "the PDF writer")
            .await
    }

    /// Exports Liveboard `pinboard` as a PDF object at `location` of `store`, streamed into an upload
    /// that becomes visible only when complete (one PUT, or a completed multipart upload): on any
    /// failure the upload is aborted and nothing appears. `shown` names the object in errors (its
    /// URL, say). Returns the PDF's size in bytes.
    pub async fn export_pdf_to_store(
        &self,
        pinboard: &str,
        options: &PdfOptions,
        store: std::sync::Arc<dyn object_store::ObjectStore>,
        location: &object_store::path::Path,
        shown: &str,
    ) -> Result<u64, Error> {
        let mut upload = object_store::buffered::BufWriter::new(store, location.clone());
        let written = self.stream_pdf(pinboard, options, &mut upload, shown).await;
        let finished = match written {
            Ok(size) => upload
                .shutdown()
                .await
                .map(|()| size)
                .map_err(|e| Error::Output {
                    path: shown.to_string(),
                    reason: format!("the upload did not complete: {e}"),
                }),
            Err(error) => Err(error),
        };
        if finished.is_err() {
            if let Err(abort) = upload.abort().await {
                tracing::warn!(object = shown, %abort, "could not abort the PDF's upload");
            }
        }
        finished
    }

    /// Exports Liveboard `pinboard` as a PDF file at `path`, replacing any file there only once the whole
    /// PDF has arrived. Returns the PDF's size in bytes. A download that breaks off is started again
    /// from the beginning (a file, unlike a writer, can be), within the client's retry budget.
    pub async fn export_pdf_to_file(
        &self,
        pinboard: &str,
        options: &PdfOptions,
        path: impl AsRef<Path>,
    ) -> Result<u64, Error> {
        let path = path.as_ref();
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let mut partial = PartialFile {
            path: PathBuf::from(partial),
            done: false,
        };
        let shown = partial.path.display().to_string();
        let output_error = |e: std::io::Error| Error::Output {
            path: shown.clone(),
            reason: e.to_string(),
        };

        // As folder exports do: `--out reports/2026/board.pdf` makes `reports/2026`.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| Error::Output {
                    path: parent.display().to_string(),
                    reason: e.to_string(),
                })?;
        }
        let retry = self.inner.retry_config();
        let mut backoff = Backoff::new(retry);
        let mut attempt = 0;
        let (size, writer) = loop {
            attempt += 1;
            let file = tokio::fs::File::create(&partial.path)
                .await
                .map_err(output_error)?;
            let mut writer = tokio::io::BufWriter::new(file);
            match self
                .stream_pdf(pinboard, options, &mut writer, &shown)
                .await
            {
                Ok(size) => break (size, writer),
                Err(error @ Error::Transfer { .. }) if attempt <= retry.max_retries => {
                    let wait = backoff.next(None);
                    tracing::warn!(
                        endpoint = ENDPOINT,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "{error}; downloading the PDF again"
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(error) => return Err(error),
            }
        };
        // On disk before the rename, so a crash cannot leave an empty file under the final name.
        writer.into_inner().sync_all().await.map_err(output_error)?;
        tokio::fs::rename(&partial.path, path)
            .await
            .map_err(|e| Error::Output {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        partial.done = true;
        Ok(size)
    }

    async fn stream_pdf<W>(
        &self,
        pinboard: &str,
        options: &PdfOptions,
        writer: &mut W,
        destination: &str,
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin,
    {
        let fields = options.fields(pinboard);
        let build = move || {
            fields.iter().fold(Form::new(), |form, (name, value)| {
                form.text(*name, value.clone())
            })
        };
        let call = Call {
            body: Body::Multipart(Box::new(build)),
            accept: "application/octet-stream",
            ..Call::read(Method::POST, ENDPOINT)
        };
        let mut response = self.inner.send(&call).await?;

        let broken = |e: reqwest::Error| Error::Transfer {
            endpoint: ENDPOINT.to_string(),
            reason: error_chain(&e.without_url()),
        };
        let output_error = |e: std::io::Error| Error::Output {
            path: destination.to_string(),
            reason: e.to_string(),
        };
        // The first bytes are held back until they show a PDF.
        let mut head = Vec::with_capacity(PDF_MAGIC.len());
        let mut written = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(broken)? {
            let bytes: &[u8] = if head.len() < PDF_MAGIC.len() {
                head.extend_from_slice(&chunk);
                if head.len() < PDF_MAGIC.len() {
                    continue;
                }
                check_magic(&head)?;
                &head
            } else {
                &chunk
            };
            writer.write_all(bytes).await.map_err(output_error)?;
            written += bytes.len() as u64;
        }
        if head.len() < PDF_MAGIC.len() {
            check_magic(&head)?;
        }
        writer.flush().await.map_err(output_error)?;
        Ok(written)
    }
}

fn check_magic(head: &[u8]) -> Result<(), Error> {
    if head.starts_with(PDF_MAGIC) {
        return Ok(());
    }
    let start = String::from_utf8_lossy(&head[..head.len().min(40)]).into_owned();
    Err(Error::Decode {
        endpoint: ENDPOINT.to_string(),
        reason: format!("the answer is not a PDF; it starts with {start:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_all_flags_are_sent() {
        let fields = PdfOptions::default().fields("pb");
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("layout_type"), Some("PINBOARD"));
        assert_eq!(get("orientation"), Some("LANDSCAPE"));
        assert_eq!(get("truncate_tables"), Some("false"));
        assert_eq!(get("include_page_number"), Some("true"));
        assert_eq!((get("visualization_ids"), get("footer_text")), (None, None));
        let picked = PdfOptions {
            layout: PdfLayout::Visualization,
            visualization_ids: vec!["v1".into()],
            ..Default::default()
        };
        assert_eq!(
            picked.fields("pb").last().map(|(_, v)| v.as_str()),
            Some(r#"["v1"]"#)
        );
    }

    #[test]
    fn only_pdfs_pass() {
        assert!(check_magic(b"%PDF-1.4\n").is_ok());
        let e = check_magic(b"<html>login</html>").unwrap_err().to_string();
        assert!(e.contains("not a PDF") && e.contains("<html>"), "{e}");
        assert!(check_magic(b"").is_err());
    }
}
