//! `tsexport ls` and `tsexport columns`: what objects the cluster has, and the columns of one.

use crate::api::{ListObjectHeaders, ObjectHeader, ObjectKind as Kind, ObjectType};
use clap::Args;

use super::connect::ConnectionArgs;
use super::{output, resolve, CliError};

#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// What to list.
    #[arg(value_enum)]
    pub(crate) kind: Kind,
    /// For `vizzes`: the pinboard, by id or exact name.
    #[arg(required_if_eq("kind", "vizzes"))]
    pub(crate) pinboard: Option<String>,
    /// Only names matching this ThoughtSpot pattern: case-insensitive, `%` matches any text
    /// (e.g. 'retail%' or '%sales%'); without `%` the whole name must match.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) pattern: Option<String>,
    /// Only objects with this tag; repeat for several (an object matches if it has any of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Print the headers as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) async fn run(args: LsArgs) -> Result<(), CliError> {
    let Some((object_type, subtypes)) = args.kind.object_type() else {
        return vizzes(args).await;
    };
    if let Some(extra) = &args.pinboard {
        return Err(CliError::usage(format!(
            "unexpected argument '{extra}': only `ls vizzes` takes a pinboard"
        )));
    }
    let client = args.connection.client()?;
    let mut request = ListObjectHeaders::default()
        .subtypes(subtypes.iter().copied())
        .tags(args.tags);
    if let Some(pattern) = args.pattern {
        request = request.pattern(pattern);
    }
    let headers = client.list_object_headers(object_type, &request).await?;
    if args.json {
        return output::json(&headers);
    }
    if matches!(args.kind, Kind::Users | Kind::Groups) {
        let rows: Vec<[String; 3]> = headers
            .into_iter()
            .map(|h| [h.name, h.display_name.unwrap_or_default(), h.id])
            .collect();
        output::table(["NAME", "DISPLAY NAME", "ID"], &rows);
    } else {
        let rows: Vec<[String; 4]> = headers
            .iter()
            .map(|h| {
                [
                    h.id.clone(),
                    h.name.clone(),
                    author(h),
                    output::millis(h.modified),
                ]
            })
            .collect();
        output::table(["ID", "NAME", "AUTHOR", "MODIFIED"], &rows);
    }
    Ok(())
}

/// The author's display name where the cluster sends it, else the author's GUID, else `-`.
fn author(header: &ObjectHeader) -> String {
    [&header.author_display_name, &header.author]
        .into_iter()
        .flatten()
        .find(|a| !a.is_empty())
        .cloned()
        .unwrap_or_else(|| "-".into())
}

/// `ls vizzes PINBOARD`.
async fn vizzes(args: LsArgs) -> Result<(), CliError> {
    if args.pattern.is_some() || !args.tags.is_empty() {
        return Err(CliError::usage(
            "--pattern and --tag do not apply to `ls vizzes`",
        ));
    }
    let given = args.pinboard.as_deref().unwrap_or_default();
    let client = args.connection.client()?;
    let pinboard = resolve::object(&client, ObjectType::Pinboard, &[], given).await?;
    let vizzes = client.list_viz_headers(&pinboard.id).await?;
    if args.json {
        return output::json(&vizzes);
    }
    let rows: Vec<[String; 3]> = vizzes
        .into_iter()
        .map(|v| {
            let kind = v.viz_type.map_or_else(|| "-".into(), |t| t.to_string());
            [v.id, v.name, kind]
        })
        .collect();
    output::table(["ID", "NAME", "TYPE"], &rows);
    Ok(())
}

#[derive(Debug, Args)]
pub(crate) struct ColumnsArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The worksheet, table or view, by id or exact name.
    pub(crate) worksheet: String,
    /// Include hidden columns.
    #[arg(long)]
    pub(crate) show_hidden: bool,
    /// Print the columns as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `tsexport columns WORKSHEET`.
pub(crate) async fn columns(args: ColumnsArgs) -> Result<(), CliError> {
    let client = args.connection.client()?;
    let source = resolve::object(&client, ObjectType::LogicalTable, &[], &args.worksheet).await?;
    let details = client
        .metadata_details(ObjectType::LogicalTable, &[&source.id], args.show_hidden)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            CliError::other(format!(
                "the cluster sent no details for '{}' ({})",
                source.name, source.id
            ))
        })?;
    if args.json {
        return output::json(&details.columns);
    }
    let rows: Vec<[String; 4]> = details
        .columns
        .into_iter()
        .map(|c| {
            [
                c.name,
                c.data_type,
                c.kind.to_string(),
                c.default_aggregation.unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::table(["NAME", "DATA TYPE", "KIND", "AGGREGATION"], &rows);
    Ok(())
}
