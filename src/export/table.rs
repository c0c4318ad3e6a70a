//! An export to a lake table (`format = "delta"`): the export's one table is read into Parquet
//! files under the table's root ([`crate::lake::TableFiles`]) and committed as one new version of
//! the table, which replaces what the mode or the window says ([`Replace`]). What a folder's
//! manifest holds (source, query, rows expected, sampling ratio, tool version; never a
//! credential) goes into the commit's `commitInfo.tsexport`.

use std::collections::BTreeSet;
use std::time::Instant;

use chrono_tz::Tz;
use serde_json::{Map, Value};

use super::{Export, ExportError, Summary, Table};
use crate::api::ApiVersion;
use crate::lake::TableFormat;
use crate::sink::Destination;

/// How a commit to a lake table fits the runs around it; the job runner sets one per window
/// ([`Export::table_scope`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableScope {
    /// Replace only the files of these partition values (a window's), and refuse rows outside
    /// them; None: what the mode says (overwrite: every file; append: none).
    pub partitions: Option<BTreeSet<String>>,
    /// Application transactions (`txn`) the commit records, `(app id, version)`; a writer that
    /// commits one of them first makes this commit a conflict.
    pub transactions: Vec<(String, i64)>,
    /// An application transaction that only moves forward: committed as the larger of its
    /// version in the table and this one (a windowed export's last committed window).
    pub progress: Option<(String, i64)>,
    /// More of tsexport's record in the commit (the window, the run date).
    pub info: Map<String, Value>,
}

impl Export {
    /// Sets how a commit to a lake table fits the runs around it.
    pub fn table_scope(mut self, scope: TableScope) -> Self {
        self.scope = scope;
        self
    }

    /// Reads the export's one table into the lake table at `destination` and commits it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn run_table(
        &self,
        format: TableFormat,
        given: String,
        destination: Destination,
        zone: Tz,
        api: ApiVersion,
        tables: Vec<Table>,
        started: Instant,
    ) -> Result<Summary, ExportError> {
        match format {
            #[cfg(feature = "delta")]
            TableFormat::Delta => {
                self.run_delta(given, destination, zone, api, tables, started)
                    .await
            }
            #[cfg(not(feature = "delta"))]
            TableFormat::Delta => {
                let _ = (given, destination, zone, api, tables, started);
                Err(ExportError::NoTableSupport(format))
            }
        }
    }

    /// [`run_table`](Export::run_table) for a Delta table.
    #[cfg(feature = "delta")]
    async fn run_delta(
        &self,
        given: String,
        destination: Destination,
        zone: Tz,
        api: ApiVersion,
        tables: Vec<Table>,
        started: Instant,
    ) -> Result<Summary, ExportError> {
        use super::landing::Landing;
        use super::DriftPolicy;
        use crate::lake::delta::{Table as DeltaTable, TableCommit};
        use crate::lake::{LakeError, Replace};
        use crate::sink::{DataFiles, WriteMode};
        use serde_json::json;

        let [table] = tables.as_slice() else {
            return Err(ExportError::TableNeedsOneViz {
                vizzes: tables.len(),
            });
        };
        let mut delta = DeltaTable::open(&destination).await?;

        let mode = self.options.sink.mode;
        delta.check_mode(mode)?;
        let files = DataFiles::open(&destination, self.options.sink.clone())?;
        let mut landing = Landing::Table {
            files: &files,
            allowed: self.scope.partitions.clone(),
        };
        let (landed, summary) = self
            .write_table(&mut landing, table, zone, delta.column_types())
            .await?;
        let written = landed.files();
        let Some((plan, partitions)) = landed.into_parts().1 else {
            return Err(ExportError::StreamStopped(
                "a table export landed outside its table".into(),
            ));
        };
        let replace = match (&self.scope.partitions, mode) {
            (Some(values), _) => Replace::Partitions(values.clone()),
            (None, WriteMode::Append) => Replace::Nothing,
            (None, _) => Replace::Everything,
        };
        let mut info = json!({
            "version": crate::VERSION,
            "source": self.source_json(&tables, api),
            "rows": summary.rows,
            "rows_expected": summary.rows_expected,
            "sampling_ratio": summary.sampling_ratio,
            "pages": summary.pages,
            "restarts": summary.restarts,
            "run": files.run_id(),
        });
        if let Value::Object(record) = &mut info {
            record.extend(self.scope.info.clone());
        }
        let commit = TableCommit {
            plan: &plan,
            partitions: &partitions,
            replace,
            mode,
            add_columns: self.options.on_drift == DriftPolicy::Widen,
            transactions: self.scope.transactions.clone(),
            progress: self.scope.progress.clone(),
            info,
            run: files.run_id().to_string(),
        };
        let committed = match delta.commit(&commit).await {
            Ok(committed) => committed,
            // A commit that may yet land keeps the files its log entry would name.
            Err(error @ LakeError::Unsettled { .. }) => return Err(error.into()),
            Err(error) => {
                if let Err(cleanup) = files.delete(&written).await {
                    tracing::warn!(%cleanup, "could not delete this run's uncommitted files; `tsexport delta vacuum` removes them");
                }
                return Err(error.into());
            }
        };
        self.report(super::Progress::Committed {
            rows: summary.rows,
            files: written.len(),
        });
        Ok(Summary {
            destination: given,
            manifest: committed.log_entry,
            rows: summary.rows,
            files: written.len(),
            bytes: written.iter().map(|f| f.bytes).sum(),
            tables: vec![summary],
            seconds: started.elapsed().as_secs_f64(),
            table_version: Some(committed.version),
        })
    }
}
