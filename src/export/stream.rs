//! An export written straight into a byte stream ([`Export::to_writer`]): stdout, a pipe, a socket.
//! Nothing can be taken back once written, so there is no staging or commit, and a value that does
//! not fit its column stops the export instead of widening it (give a type hint).

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_util::TryStreamExt;

use super::{Export, ExportError, ExportSource};
use crate::read::TableSource;
use crate::select::pinboard_vizzes_named;
use crate::sink::StreamWriter;

/// What [`Export::to_writer`] wrote.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    /// Rows written.
    pub rows: u64,
    /// The Arrow schema the rows were written with.
    pub schema: SchemaRef,
}

impl Export {
    /// Reads the export's one table and writes it to `out` as it arrives, in the options' format
    /// (Arrow IPC stream, CSV or Parquet). A pinboard export must pick exactly one viz. The
    /// destination given with [`to`](Export::to), if any, is not used. Encoding runs on the blocking
    /// pool, so `out` may be slow without stalling the runtime.
    pub async fn to_writer<W>(self, out: W) -> Result<StreamSummary, ExportError>
    where
        W: Write + Send + 'static,
    {
        if let Some(format) = self.options.table {
            return Err(ExportError::TableToStream(format));
        }
        let source = match self.source {
            ExportSource::Search(request) => TableSource::Search(request),
            ExportSource::Answer(request) => TableSource::Answer(request),
            ExportSource::Log(request) => TableSource::Log(request),
            ExportSource::Pinboard { pinboard, vizzes } => {
                if vizzes.len() != 1 {
                    return Err(ExportError::StreamNeedsOneViz {
                        vizzes: vizzes.len(),
                    });
                }
                let viz = pinboard_vizzes_named(&self.client, &pinboard, &pinboard, &vizzes)
                    .await?
                    .into_iter()
                    .next()
                    .map(|v| v.id)
                    .unwrap_or_default();
                TableSource::Viz { pinboard, viz }
            }
        };
        let mut batches = self
            .client
            .read(source)
            .options(self.options.read)
            .batches()
            .await?;
        let schema = batches.schema();
        let sink = self.options.sink;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let writer_schema = schema.clone();
        let writer = tokio::task::spawn_blocking(move || {
            let mut writer = StreamWriter::new(out, writer_schema, &sink)?;
            for batch in receiver {
                writer.write(&batch)?;
            }
            let rows = writer.rows();
            writer.finish().map(|()| rows)
        });
        let mut read_error = None;
        loop {
            match batches.try_next().await {
                Ok(Some(batch)) => {
                    // A closed channel means the writer stopped; its error is reported below.
                    if sender.send(batch).is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            }
        }
        drop(sender);
        let written = writer
            .await
            .map_err(|e| ExportError::StreamStopped(e.to_string()))?;
        if let Some(error) = read_error {
            return Err(error.into());
        }
        Ok(StreamSummary {
            rows: written?,
            schema,
        })
    }
}
