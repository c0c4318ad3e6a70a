//! Parquet with the columns of each batch encoded in parallel. Encoding and compressing is the
//! slowest stage of an export (zstd runs at about half the speed of decoding JSON), and the columns of
//! a row group are independent, so they are split across `threads` scoped threads per batch, the
//! pattern of parquet's `ArrowColumnWriter` docs. The file is the one `ArrowWriter` writes: the same
//! properties, the Arrow schema in the footer, row groups of at most `max_rows` rows.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnWriter, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

/// A Parquet file being written, one row group at a time.
pub struct ParallelParquetWriter<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The open row group's column writers, and the rows in it.
    open: Option<(Vec<ArrowColumnWriter>, usize)>,
    max_rows: usize,
    threads: usize,
}

impl<W: Write + Send> std::fmt::Debug for ParallelParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelParquetWriter")
            .field("row_groups", &self.file.flushed_row_groups().len())
            .field("open_rows", &self.open.as_ref().map(|(_, rows)| *rows))
            .field("max_rows", &self.max_rows)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> ParallelParquetWriter<W> {
    /// A writer of `schema` into `out`, encoding the columns of each row group on `threads` threads.
    pub fn try_new(
        out: W,
        schema: SchemaRef,
        properties: WriterProperties,
        threads: usize,
    ) -> Result<Self> {
        let max_rows = properties.max_row_group_row_count().unwrap_or(1024 * 1024);
        // ArrowWriter sets the file up (Arrow schema in the footer, schema conversion) exactly as a
        // plain export would; only the encoding is taken over.
        let (file, factory) = ArrowWriter::try_new(out, schema.clone(), Some(properties))?
            .into_serialized_writer()?;
        Ok(Self {
            file,
            factory,
            schema,
            open: None,
            max_rows: max_rows.max(1),
            threads: threads.max(1),
        })
    }

    /// Adds `batch`; a full row group is encoded and written out.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut batch = batch.clone();
        while batch.num_rows() > 0 {
            if self.open.is_none() {
                let index = self.file.flushed_row_groups().len();
                self.open = Some((self.factory.create_column_writers(index)?, 0));
            }
            let (writers, rows) = self
                .open
                .as_mut()
                .ok_or_else(|| ParquetError::General("no row group is open".into()))?;
            let take = batch.num_rows().min(self.max_rows - *rows);
            let part = batch.slice(0, take);
            encode(writers, &self.schema, &part, self.threads)?;
            *rows += take;
            batch = batch.slice(take, batch.num_rows() - take);
            if *rows >= self.max_rows {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Bytes encoded into the open row group, not yet in `W`.
    pub fn in_progress_size(&self) -> usize {
        self.open.as_ref().map_or(0, |(writers, _)| {
            writers.iter().map(|w| w.get_estimated_total_bytes()).sum()
        })
    }

    /// Closes the open row group (its columns in parallel) and appends it to the file.
    fn flush(&mut self) -> Result<()> {
        let Some((writers, _)) = self.open.take() else {
            return Ok(());
        };
        let chunks = in_parallel(writers, self.threads, |writer| writer.close())?;
        let mut row_group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        Ok(())
    }

    /// Writes the last row group and the footer, and gives `W` back.
    pub fn into_inner(self) -> Result<W> {
        self.close().map(|(out, _)| out)
    }

    /// Writes the last row group and the footer, and gives `W` back with the metadata of every
    /// row group, whose column statistics a table format's log records for the file.
    pub fn close(mut self) -> Result<(W, Vec<RowGroupMetaData>)> {
        self.flush()?;
        let row_groups = self.file.flushed_row_groups().to_vec();
        Ok((self.file.into_inner()?, row_groups))
    }
}

/// Encodes `batch` into the column writers, each column on one of `threads` threads.
fn encode(
    writers: &mut [ArrowColumnWriter],
    schema: &SchemaRef,
    batch: &RecordBatch,
    threads: usize,
) -> Result<()> {
    // Flat schemas only (ThoughtSpot results are flat): one leaf, one writer per column.
    let mut work: Vec<(&mut ArrowColumnWriter, usize)> =
        writers.iter_mut().zip(0..schema.fields().len()).collect();
    let per_thread = work.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks_mut(per_thread)
            .map(|share| {
                scope.spawn(move || -> Result<()> {
                    for (writer, column) in share.iter_mut() {
                        let field = schema.field(*column);
                        for leaf in compute_leaves(field, batch.column(*column))? {
                            writer.write(&leaf)?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|handle| {
            handle
                .join()
                .map_err(|_| ParquetError::General("a column encoder panicked".into()))?
        })
    })
}

/// `f` applied to every item on up to `threads` threads, results in the items' order.
fn in_parallel<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let per_thread = items.len().div_ceil(threads).max(1);
    let mut shares: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        shares.push(items.by_ref().take(per_thread).collect());
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| scope.spawn(move || share.into_iter().map(f).collect::<Result<Vec<R>>>()))
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            all.extend(
                handle
                    .join()
                    .map_err(|_| ParquetError::General("a column encoder panicked".into()))??,
            );
        }
        Ok(all)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::sync::Arc;

    #[test]
    fn the_file_reads_back_like_one_from_arrow_writer() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("value", DataType::Float64, true),
        ]));
        let batch = |start: i64, n: i64| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from_iter_values(start..start + n)),
                    Arc::new(StringArray::from_iter_values(
                        (start..start + n).map(|i| format!("row {i}")),
                    )),
                    Arc::new(Float64Array::from_iter(
                        (start..start + n).map(|i| (i % 7 != 0).then_some(i as f64 / 3.0)),
                    )),
                ],
            )
            .expect("batch")
        };
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(1000))
            .build();
        let mut writer = ParallelParquetWriter::try_new(Vec::new(), schema.clone(), properties, 2)
            .expect("writer");
        writer.write(&batch(0, 2500)).expect("write");
        writer.write(&batch(2500, 700)).expect("write");
        let bytes = writer.into_inner().expect("close");
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).expect("parquet");
        assert_eq!(reader.metadata().num_row_groups(), 4, "1000-row groups");
        let expected = batch(0, 3200);
        let mut offset = 0;
        for read in reader.build().expect("reader") {
            let read = read.expect("batch");
            assert_eq!(read, expected.slice(offset, read.num_rows()));
            offset += read.num_rows();
        }
        assert_eq!(offset, 3200);
    }
}
