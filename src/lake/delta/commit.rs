//! One tsexport commit as one Delta commit: `add` actions for the run's files (with statistics),
//! `remove` actions for what they replace, the schema (a new table's protocol and metadata, or a
//! widened schema), application transactions and tsexport's `commitInfo`.
//!
//! Concurrent writers. The log entry is written with put-if-absent, so one writer wins each
//! version. A writer that loses reads the log again and checks the versions that won against what
//! it read at first: if they added or removed a file in the partitions it replaces (for an
//! overwrite, anywhere in the table) or committed the same application transaction, it fails with
//! [`LakeError::Conflict`] naming the version; otherwise it computes its actions again on the new
//! version and retries. So two windows of one table commit side by side, two appends both land,
//! and two writers replacing the same day never both succeed. (The `deltalake` crate's own conflict
//! checker needs its SQL engine to tell partitions apart; this rule needs only the file list.)

use std::collections::{BTreeMap, BTreeSet, HashMap};

use deltalake_core::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake_core::kernel::{Action, Add, MetadataExt, Protocol, Remove, StructType, Transaction};
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use serde_json::{json, Value};

use super::schema::{self, Evolution};
use super::stats::stats_json;
use super::{log_error, lost_race, Table, CHECKPOINT_INTERVAL};
use crate::lake::{LakeError, PartitionFiles, Replace, TablePlan};
use crate::sink::WriteMode;

/// How many times a commit retries on top of other writers' versions.
const MAX_ATTEMPTS: usize = 20;

/// What a commit holds.
#[derive(Debug)]
pub struct TableCommit<'a> {
    /// The table's columns and partitioning.
    pub plan: &'a TablePlan,
    /// The files of this run, per partition.
    pub partitions: &'a [PartitionFiles],
    /// What they replace.
    pub replace: Replace,
    /// `error-if-exists` refuses a table that exists; the others are told by `replace`.
    pub mode: WriteMode,
    /// Whether columns new to the table are added (`on_drift` widen) or an error.
    pub add_columns: bool,
    /// Application transactions, `(app id, version)`; another writer committing one of them
    /// first is a conflict.
    pub transactions: Vec<(String, i64)>,
    /// An application transaction that only moves forward: committed as the larger of the
    /// table's version of it and this one, never a conflict.
    pub progress: Option<(String, i64)>,
    /// tsexport's record of the export, under `commitInfo.tsexport`; its `run` key must be
    /// [`TableCommit::run`].
    pub info: Value,
    /// The run's id (its files carry it), by which a commit whose answer was lost is recognised
    /// in the log.
    pub run: String,
}

/// A commit that landed.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The table version it made.
    pub version: u64,
    /// Its log entry, as a full path or URL.
    pub log_entry: String,
    /// Files it added.
    pub files_added: usize,
    /// Files it removed (replaced).
    pub files_removed: usize,
    /// Times it computed its actions again on top of another writer's version.
    pub retries: usize,
}

impl Table {
    /// Refuses a table that exists when `mode` is error-if-exists.
    pub fn check_mode(&self, mode: WriteMode) -> Result<(), LakeError> {
        match (mode, self.version()) {
            (WriteMode::ErrorIfExists, Some(version)) => Err(LakeError::Exists {
                table: self.shown.clone(),
                version,
            }),
            _ => Ok(()),
        }
    }

    /// Commits `commit` as one new version; see the module documentation for other writers.
    pub async fn commit(&mut self, commit: &TableCommit<'_>) -> Result<Committed, LakeError> {
        if self.stale {
            self.reload().await?;
        }
        let adds = adds(commit.plan, commit.partitions);
        let read_scope = self.files_in(&commit.replace)?;
        let mut read_transactions = HashMap::new();
        for (app, _) in &commit.transactions {
            read_transactions.insert(app.clone(), self.transaction_version(app).await?);
        }
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                self.reload().await?;
                self.check_winners(commit, &read_scope, &read_transactions)
                    .await?;
            }
            self.check_mode(commit.mode)?;
            let mut actions = self.schema_actions(commit)?;
            let removes = self.removes(&commit.replace)?;
            let files_removed = removes.len();
            actions.extend(removes);
            actions.extend(adds.iter().cloned().map(Action::Add));
            let mut transactions: Vec<Transaction> = commit
                .transactions
                .iter()
                .map(|(app, version)| Transaction::new(app, *version))
                .collect();
            if let Some((app, version)) = &commit.progress {
                let recorded = self.transaction_version(app).await?.unwrap_or(i64::MIN);
                transactions.push(Transaction::new(app, recorded.max(*version)));
            }
            let properties = CommitProperties::default()
                .with_max_retries(0)
                .with_metadata([("tsexport".to_string(), commit.info.clone())])
                .with_application_transactions(transactions);
            let operation = self.operation(commit);
            let log_store = self.log_store();
            let state = if self.exists {
                Some(
                    self.inner
                        .snapshot()
                        .map_err(|e| log_error(&self.shown, "read the log", e))?
                        .clone(),
                )
            } else {
                None
            };
            let attempted = self.version().map_or(0, |v| v + 1);
            let checkpoint_interval = self.checkpoint_interval();
            let prepared = CommitBuilder::from(properties)
                .with_actions(actions)
                .build(
                    state
                        .as_ref()
                        .map(|s| s as &dyn deltalake_core::kernel::transaction::TableReference),
                    log_store,
                    operation,
                )
                .into_prepared_commit_future()
                .await
                .map_err(|e| log_error(&self.shown, "prepare the commit", e))?;
            let version = match prepared.await {
                Ok(written) => {
                    let version = written.version;
                    // The version is committed. What the Delta library does next (read the new
                    // version back, then a checkpoint and log clean-up when one is due) only helps
                    // readers: it runs only at a checkpoint's version, and its failure is a
                    // warning, never a failed export.
                    if (version + 1).is_multiple_of(checkpoint_interval) {
                        if let Err(error) = written.await {
                            tracing::warn!(table = %self.shown, version, %error, "committed, but the checkpoint or log clean-up after it failed; readers replay the log instead");
                        }
                    }
                    version
                }
                // "Already exists" may be this run's own entry: a write that landed, whose answer
                // was lost, and that the object store's client sent again.
                Err(error) if lost_race(&error) => {
                    match self.entry_of_run(attempted, &commit.run).await? {
                        Some(true) => attempted,
                        _ => {
                            tracing::debug!(table = %self.shown, attempt, "another writer committed first; checking what it changed");
                            continue;
                        }
                    }
                }
                Err(error) => match self.entry_of_run(attempted, &commit.run).await {
                    Ok(Some(true)) => attempted,
                    Ok(Some(false)) => {
                        tracing::debug!(table = %self.shown, attempt, "another writer committed first; checking what it changed");
                        continue;
                    }
                    Ok(None) | Err(_) => {
                        return Err(LakeError::Unsettled {
                            table: self.shown.clone(),
                            version: attempted,
                            run: commit.run.clone(),
                            reason: error.to_string(),
                        })
                    }
                },
            };
            // Read again only when used again: the commit stands whatever a read would say now.
            self.stale = true;
            tracing::debug!(table = %self.shown, version, attempt, "committed");
            return Ok(Committed {
                version,
                log_entry: format!(
                    "{}/_delta_log/{version:020}.json",
                    self.shown.trim_end_matches('/')
                ),
                files_added: adds.len(),
                files_removed,
                retries: attempt,
            });
        }
        Err(LakeError::Conflict {
            table: self.shown.clone(),
            version: self.version().unwrap_or(0),
            what: format!("kept winning: {MAX_ATTEMPTS} commits of other writers in a row"),
        })
    }

    /// Commits between checkpoints: the table's `delta.checkpointInterval` (the protocol's default
    /// 100 where unset), or tsexport's for a table it creates.
    fn checkpoint_interval(&self) -> u64 {
        let Some(metadata) = self.metadata_json() else {
            return CHECKPOINT_INTERVAL.into();
        };
        metadata["configuration"]["delta.checkpointInterval"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .filter(|n: &u64| *n > 0)
            .unwrap_or(100)
    }

    /// Whose log entry `version` is, after a commit whose answer was an error (a write can land
    /// even when its answer is lost): Some(true) this run's (`run`, as its `commitInfo` records),
    /// Some(false) another writer's, None no entry.
    async fn entry_of_run(&self, version: u64, run: &str) -> Result<Option<bool>, LakeError> {
        let entry = self
            .log_store()
            .read_commit_entry(version)
            .await
            .map_err(|e| log_error(&self.shown, "read the log", e))?;
        Ok(entry.map(|bytes| {
            bytes.split(|b| *b == b'\n').any(|line| {
                serde_json::from_slice::<Value>(line)
                    .is_ok_and(|action| action["commitInfo"]["tsexport"]["run"] == run)
            })
        }))
    }

    /// After losing a race: the winners must not have touched what this commit replaces or its
    /// application transactions.
    async fn check_winners(
        &self,
        commit: &TableCommit<'_>,
        read_scope: &BTreeMap<String, Option<String>>,
        read_transactions: &HashMap<String, Option<i64>>,
    ) -> Result<(), LakeError> {
        let conflict = |what: String| LakeError::Conflict {
            table: self.shown.clone(),
            version: self.version().unwrap_or(0),
            what,
        };
        let scope = self.files_in(&commit.replace)?;
        if &scope != read_scope {
            let changed: BTreeSet<String> = scope
                .iter()
                .filter(|(path, _)| !read_scope.contains_key(*path))
                .chain(
                    read_scope
                        .iter()
                        .filter(|(path, _)| !scope.contains_key(*path)),
                )
                .map(|(_, value)| value.clone().unwrap_or_else(|| "the table".into()))
                .collect();
            let list: Vec<String> = changed.into_iter().collect();
            return Err(conflict(format!(
                "changed the files this commit replaces (in {})",
                list.join(", ")
            )));
        }
        for (app, read) in read_transactions {
            if self.transaction_version(app).await? != *read {
                return Err(conflict(format!("committed '{app}' too")));
            }
        }
        Ok(())
    }

    /// The live files that `replace` covers, with their partition value.
    fn files_in(&self, replace: &Replace) -> Result<BTreeMap<String, Option<String>>, LakeError> {
        if !self.exists || *replace == Replace::Nothing {
            return Ok(BTreeMap::new());
        }
        let state = self
            .inner
            .snapshot()
            .map_err(|e| log_error(&self.shown, "read the log", e))?;
        let partition = self.partition_columns().into_iter().next();
        let mut files = BTreeMap::new();
        for file in state.log_data().iter() {
            let value = partition
                .as_ref()
                .and_then(|column| file.partition_values_map().remove(column).flatten());
            let covered = match replace {
                Replace::Everything => true,
                Replace::Partitions(values) => value.as_ref().is_some_and(|v| values.contains(v)),
                Replace::Nothing => false,
            };
            if covered {
                files.insert(file.path().to_string(), value);
            }
        }
        Ok(files)
    }

    /// `remove` actions for the live files `replace` covers.
    fn removes(&self, replace: &Replace) -> Result<Vec<Action>, LakeError> {
        if !self.exists || *replace == Replace::Nothing {
            return Ok(Vec::new());
        }
        let state = self
            .inner
            .snapshot()
            .map_err(|e| log_error(&self.shown, "read the log", e))?;
        let scope = self.files_in(replace)?;
        let now = chrono::Utc::now().timestamp_millis();
        Ok(state
            .log_data()
            .iter()
            .filter(|file| scope.contains_key(file.path().as_ref()))
            .map(|file| {
                Action::Remove(Remove {
                    path: file.path().to_string(),
                    data_change: true,
                    deletion_timestamp: Some(now),
                    extended_file_metadata: Some(true),
                    partition_values: Some(file.partition_values_map()),
                    size: Some(file.size()),
                    ..Remove::default()
                })
            })
            .collect())
    }

    /// The protocol and metadata a new table starts with, or the metadata a changed schema needs;
    /// or why this commit cannot change the table's schema as it would have to.
    fn schema_actions(&self, commit: &TableCommit<'_>) -> Result<Vec<Action>, LakeError> {
        let plan = commit.plan;
        let new_schema = schema::schema(plan);
        let partition_columns: Vec<String> =
            plan.partition.iter().map(|p| p.name.clone()).collect();
        let configuration = [(
            "delta.checkpointInterval".to_string(),
            CHECKPOINT_INTERVAL.to_string(),
        )];
        let (Some(existing), Some(metadata)) = (self.schema_json(), self.metadata_json()) else {
            let protocol: Protocol = serde_json::from_value(if schema::needs_timestamp_ntz(plan) {
                json!({"minReaderVersion": 3, "minWriterVersion": 7,
                       "readerFeatures": ["timestampNtz"], "writerFeatures": ["timestampNtz"]})
            } else {
                json!({"minReaderVersion": 1, "minWriterVersion": 2})
            })
            .map_err(|e| self.schema_error(e))?;
            let metadata = deltalake_core::kernel::new_metadata(
                &self.struct_type(new_schema)?,
                partition_columns,
                configuration,
            )
            .map_err(|e| log_error(&self.shown, "build the table's metadata", e.into()))?;
            return Ok(vec![Action::Protocol(protocol), Action::Metadata(metadata)]);
        };
        let existing_partitions = self.partition_columns();
        let whole = commit.replace == Replace::Everything;
        if existing_partitions != partition_columns && !whole {
            return Err(LakeError::PartitionChanged {
                table: self.shown.clone(),
                existing: existing_partitions,
                new: partition_columns,
            });
        }
        let state = self
            .inner
            .snapshot()
            .map_err(|e| log_error(&self.shown, "read the log", e))?;
        match schema::evolve(&existing, plan) {
            Ok(Evolution::Same) if existing_partitions == partition_columns => Ok(Vec::new()),
            // Replacing every file may replace the schema and partitioning too (history keeps the
            // old versions readable); the table keeps its id and settings.
            _ if whole => {
                let table_id = metadata["id"].as_str().unwrap_or_default().to_string();
                let replaced = deltalake_core::kernel::new_metadata(
                    &self.struct_type(new_schema)?,
                    partition_columns,
                    configuration,
                )
                .map_err(|e| log_error(&self.shown, "build the table's metadata", e.into()))?
                .with_table_id(table_id)
                .map_err(|e| log_error(&self.shown, "build the table's metadata", e.into()))?;
                Ok(vec![Action::Metadata(replaced)])
            }
            Ok(Evolution::Same) => Ok(Vec::new()),
            Ok(Evolution::Added { columns, merged }) => {
                if !commit.add_columns {
                    return Err(LakeError::NewColumn {
                        table: self.shown.clone(),
                        column: columns.join(", "),
                    });
                }
                let widened = state
                    .metadata()
                    .clone()
                    .with_schema(&self.struct_type(merged)?)
                    .map_err(|e| log_error(&self.shown, "widen the table's schema", e.into()))?;
                Ok(vec![Action::Metadata(widened)])
            }
            Err((column, existing, new)) => Err(LakeError::TypeChanged {
                table: self.shown.clone(),
                column,
                existing,
                new,
            }),
        }
    }

    fn struct_type(&self, schema: Value) -> Result<StructType, LakeError> {
        serde_json::from_value(schema).map_err(|e| self.schema_error(e))
    }

    fn schema_error(&self, error: serde_json::Error) -> LakeError {
        LakeError::Log {
            table: self.shown.clone(),
            action: "build the table's schema",
            reason: error.to_string(),
        }
    }

    /// The operation `commitInfo` names: WRITE, with the partition predicate of a window.
    fn operation(&self, commit: &TableCommit<'_>) -> DeltaOperation {
        let partition = commit.plan.partition.as_ref();
        let predicate = match (&commit.replace, partition) {
            (Replace::Partitions(values), Some(partition)) => Some(format!(
                "{} IN ({})",
                partition.name,
                values
                    .iter()
                    .map(|v| format!("'{}'", v.replace('\'', "''")))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        };
        DeltaOperation::Write {
            mode: match commit.replace {
                Replace::Nothing => SaveMode::Append,
                _ => SaveMode::Overwrite,
            },
            partition_by: partition.map(|p| vec![p.name.clone()]),
            predicate,
        }
    }
}

/// `add` actions for the run's files.
fn adds(plan: &TablePlan, partitions: &[PartitionFiles]) -> Vec<Add> {
    let now = chrono::Utc::now().timestamp_millis();
    let key = plan.partition.as_ref().map(|p| p.name.clone());
    partitions
        .iter()
        .flat_map(|partition| {
            let values: std::collections::HashMap<String, Option<String>> = key
                .iter()
                .map(|key| (key.clone(), partition.value.clone()))
                .collect();
            partition.files.iter().map(move |file| Add {
                path: file.path.clone(),
                partition_values: values.clone(),
                size: file.bytes as i64,
                modification_time: now,
                data_change: true,
                stats: Some(stats_json(plan, file)),
                ..Add::default()
            })
        })
        .collect()
}
