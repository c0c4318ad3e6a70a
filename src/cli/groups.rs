//! `tsexport groups grant|revoke PRIVILEGE GROUP...`.

use clap::{Args, Subcommand};
use tsexport::api::Privilege;

use super::connect::ConnectionArgs;
use super::CliError;

#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(subcommand)]
    pub command: GroupsCommand,
}

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Give a privilege (e.g. DATADOWNLOADING) to groups.
    Grant {
        privilege: Privilege,
        #[arg(required = true)]
        groups: Vec<String>,
    },
    /// Take a privilege away from groups.
    Revoke {
        privilege: Privilege,
        #[arg(required = true)]
        groups: Vec<String>,
    },
}

pub async fn run(args: GroupsArgs) -> Result<(), CliError> {
    let client = args.connection.client()?;
    let (privilege, groups, grant) = match args.command {
        GroupsCommand::Grant { privilege, groups } => (privilege, groups, true),
        GroupsCommand::Revoke { privilege, groups } => (privilege, groups, false),
    };
    if grant {
        client.add_privilege(privilege, &groups).await?;
        println!("granted {privilege} to {}", groups.join(", "));
    } else {
        client.remove_privilege(privilege, &groups).await?;
        println!("revoked {privilege} from {}", groups.join(", "));
    }
    Ok(())
}
