//! `tsexport check`: reach the cluster, sign in, print who and what; with a job file, check its
//! exports too.

use clap::Args;

use super::connect::ConnectionArgs;
use super::CliError;

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// Print the session facts as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// A job file: also resolve each export's source, decode its first page and show the columns,
    /// and prove its destination writable. The exit code is the number of failed checks.
    pub(crate) jobs: Option<std::path::PathBuf>,
}

pub(crate) async fn run(args: CheckArgs) -> Result<(), CliError> {
    if let Some(path) = &args.jobs {
        return super::jobs::check(&args.connection, path).await;
    }
    let client = args.connection.client()?;
    let info = client.session_info().await?;
    let data_api = client.data_api().await?;
    if args.json {
        let mut facts = serde_json::to_value(&info).map_err(|e| CliError::other(e.to_string()))?;
        facts["dataApi"] = serde_json::json!(data_api);
        let text =
            serde_json::to_string_pretty(&facts).map_err(|e| CliError::other(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let rows = [
        ("cluster", client.root_url().to_string()),
        (
            "user",
            format!("{} ({})", info.user_name, or_dash(&info.user_display_name)),
        ),
        ("user id", or_dash(&info.user_guid)),
        ("release", or_dash(&info.release_version)),
        ("api version", or_dash(&info.api_version)),
        ("data api", format!("REST {data_api}")),
        ("time zone", or_dash(&info.timezone)),
        ("locale", or_dash(&info.locale)),
        (
            "privileges",
            if info.privileges.is_empty() {
                "-".into()
            } else {
                info.privileges.join(", ")
            },
        ),
    ];
    for (key, value) in rows {
        println!("{key:<12} {value}");
    }
    Ok(())
}
