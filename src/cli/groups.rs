//! `tsexport groups grant|revoke PRIVILEGE GROUP...`.

use crate::api::Privilege;
use clap::{Args, Subcommand};

use super::connect::ConnectionArgs;
use super::CliError;

#[derive(Debug, Args)]
pub(crate) struct GroupsArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    #[command(subcommand)]
    pub(crate) command: GroupsCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum GroupsCommand {
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

pub(crate) async fn run(args: GroupsArgs) -> Result<(), CliError> {
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
