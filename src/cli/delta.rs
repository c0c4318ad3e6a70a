//! `tsexport delta history TABLE` and `tsexport delta vacuum TABLE --retain 168h`: upkeep of the
//! Delta tables exports write. Object-store credentials come from the environment, as for exports.

use std::time::Duration;

use crate::lake::delta::Table;
use crate::sink::Destination;
use clap::{Args, Subcommand};

use super::{output, CliError};

#[derive(Debug, Args)]
pub(crate) struct DeltaArgs {
    #[command(subcommand)]
    pub(crate) command: DeltaCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DeltaCommand {
    /// Show a table's commits, newest first: version, time, operation, files, rows, the export.
    History {
        /// The table's root: a local folder or an s3://, gs://, az:// URL.
        table: String,
        /// Commits to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete files no version within the retention needs (and those of killed runs).
    Vacuum {
        /// The table's root: a local folder or an s3://, gs://, az:// URL.
        table: String,
        /// Keep the files versions newer than this need: hours (168h) or days (7d); at least
        /// the table's delta.deletedFileRetentionDuration (7 days unless set).
        #[arg(long, default_value = "168h", value_parser = parse_retention)]
        retain: Duration,
        /// List the files without deleting them.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `168h` or `7d`.
fn parse_retention(text: &str) -> Result<Duration, String> {
    let bad = || format!("'{text}' is not a retention: use hours (168h) or days (7d)");
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let number: u64 = number.parse().map_err(|_| bad())?;
    let hours = match unit {
        "h" => number,
        "d" => number.checked_mul(24).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(
        hours.checked_mul(3600).ok_or_else(bad)?,
    ))
}

pub(crate) async fn run(args: DeltaArgs) -> Result<(), CliError> {
    match args.command {
        DeltaCommand::History { table, limit, json } => {
            let table = open(&table).await?;
            let history = table.history(limit).await.map_err(lake)?;
            if json {
                return output::json(&history);
            }
            let rows: Vec<[String; 6]> = history
                .iter()
                .map(|entry| {
                    let export = entry.tsexport.as_ref();
                    let window = export
                        .and_then(|e| e.get("window"))
                        .map(|w| format!(" {}..{}", text(&w["start"]), text(&w["end"])))
                        .unwrap_or_default();
                    [
                        entry.version.to_string(),
                        output::millis(entry.timestamp),
                        entry.operation.clone().unwrap_or_default(),
                        format!("+{} -{}", entry.files_added, entry.files_removed),
                        entry.rows_added.to_string(),
                        export
                            .and_then(|e| e.get("export"))
                            .map(|name| format!("{}{window}", text(name)))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(
                [
                    "version",
                    "time",
                    "operation",
                    "files",
                    "rows added",
                    "export",
                ],
                &rows,
            );
            Ok(())
        }
        DeltaCommand::Vacuum {
            table,
            retain,
            dry_run,
        } => {
            let table = open(&table).await?;
            let vacuumed = table.vacuum(retain, dry_run).await.map_err(lake)?;
            let verb = if dry_run { "would delete" } else { "deleted" };
            for file in &vacuumed.files {
                println!("{verb} {file}");
            }
            println!("{verb} {} files", vacuumed.files.len());
            Ok(())
        }
    }
}

async fn open(table: &str) -> Result<Table, CliError> {
    let destination = Destination::parse(table).map_err(|e| CliError::usage(e.to_string()))?;
    Table::open(&destination).await.map_err(lake)
}

fn lake(error: crate::lake::LakeError) -> CliError {
    CliError::of_kind(error.kind(), error.to_string())
}

fn text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_takes_hours_or_days() {
        assert_eq!(parse_retention("168h"), Ok(Duration::from_secs(168 * 3600)));
        assert_eq!(parse_retention("7d"), Ok(Duration::from_secs(168 * 3600)));
        assert!(parse_retention("7w").is_err());
        assert!(parse_retention("h").is_err());
    }
}
