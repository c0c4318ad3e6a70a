//! `tsexport users list|sync|set-password|transfer`.

use std::path::PathBuf;

use crate::api::{Credentials, Principal, Secret, SyncDiff, SyncOptions};
use clap::{Args, Subcommand};

use super::connect::{prompt_password, read_secret_file, ConnectionArgs};
use super::{output, CliError};

#[derive(Debug, Args)]
pub(crate) struct UsersArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    #[command(subcommand)]
    pub(crate) command: UsersCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Every user and group (user/list).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Make ThoughtSpot's users and groups match FILE (a JSON array of principals, user/sync format).
    ///
    /// Shows the diff and changes nothing unless --apply. Users and groups missing from FILE are kept
    /// unless --remove-deleted is given. Note: ThoughtSpot's own default for user/sync is to delete
    /// them; tsexport always sends its choice explicitly.
    Sync {
        file: PathBuf,
        /// Change the cluster (without it, a dry run).
        #[arg(long)]
        apply: bool,
        /// Delete principals that are not in FILE (their content goes to the admin account).
        #[arg(long)]
        remove_deleted: bool,
        /// File with the password for users the sync creates.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password. The new one comes from --new-password-file, TSEXPORT_NEW_PASSWORD or a
    /// prompt; the API also needs the signed-in user's current password, so sign in with a password.
    SetPassword {
        name: String,
        #[arg(long, value_name = "FILE")]
        new_password_file: Option<PathBuf>,
    },
    /// Move objects from one user to another (all of FROM's objects unless --object is given).
    Transfer {
        from: String,
        to: String,
        /// An object id to move (repeatable).
        #[arg(long = "object", value_name = "ID")]
        objects: Vec<String>,
    },
}

pub(crate) async fn run(args: UsersArgs) -> Result<(), CliError> {
    match args.command {
        UsersCommand::List { json } => {
            let client = args.connection.client()?;
            let principals = client.list_users().await?;
            if json {
                return output::json(&principals);
            }
            let rows: Vec<[String; 4]> = principals
                .iter()
                .map(|p| {
                    let kind = if p.is_user() { "user" } else { "group" };
                    [
                        p.name.clone(),
                        p.display_name.clone(),
                        kind.to_string(),
                        p.group_names.join(", "),
                    ]
                })
                .collect();
            output::table(["NAME", "DISPLAY NAME", "TYPE", "GROUPS"], &rows);
            Ok(())
        }
        UsersCommand::Sync {
            file,
            apply,
            remove_deleted,
            password_file,
            json,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
            let principals: Vec<Principal> = serde_json::from_str(&text).map_err(|e| {
                CliError::usage(format!(
                    "{} is not a JSON array of principals (user/sync format): {e}",
                    file.display()
                ))
            })?;
            let password = password_file
                .map(|p| read_secret_file(&p, "new-user password"))
                .transpose()?;
            let client = args.connection.client()?;
            let options = SyncOptions {
                apply,
                remove_deleted,
                password,
            };
            let diff = client.sync_users(&principals, &options).await?;
            if json {
                return output::json(&diff);
            }
            print_diff(&diff, apply);
            Ok(())
        }
        UsersCommand::SetPassword {
            name,
            new_password_file,
        } => {
            let (client, credentials) = args.connection.client_and_credentials()?;
            let Credentials::Password {
                password: current, ..
            } = credentials
            else {
                return Err(CliError::usage(
                    "set-password needs password sign-in: ThoughtSpot asks for the signed-in user's current password",
                ));
            };
            let new = match new_password_file {
                Some(path) => read_secret_file(&path, "new password")?,
                None => match std::env::var("TSEXPORT_NEW_PASSWORD")
                    .ok()
                    .filter(|v| !v.is_empty())
                {
                    Some(value) => Secret::new(value),
                    None => prompt_new_password(&name)?,
                },
            };
            client.update_password(&name, &current, &new).await?;
            println!("password of {name} changed");
            Ok(())
        }
        UsersCommand::Transfer { from, to, objects } => {
            let client = args.connection.client()?;
            client.transfer_ownership(&from, &to, &objects).await?;
            match objects.len() {
                0 => println!("moved all objects of {from} to {to}"),
                n => println!("moved {n} object(s) from {from} to {to}"),
            }
            Ok(())
        }
    }
}

fn prompt_new_password(name: &str) -> Result<Secret, CliError> {
    let first = prompt_password(&format!("{name} (new)"))?;
    let second = prompt_password(&format!("{name} (new, again)"))?;
    if first != second {
        return Err(CliError::usage(
            "the two new passwords differ; nothing changed",
        ));
    }
    Ok(first)
}

fn print_diff(diff: &SyncDiff, applied: bool) {
    let verb = if applied {
        ""
    } else {
        " (dry run: nothing changed; --apply to change)"
    };
    let rows: Vec<[String; 3]> = [
        ("users", "added", &diff.users_added),
        ("users", "updated", &diff.users_updated),
        ("users", "deleted", &diff.users_deleted),
        ("groups", "added", &diff.groups_added),
        ("groups", "updated", &diff.groups_updated),
        ("groups", "deleted", &diff.groups_deleted),
    ]
    .into_iter()
    .map(|(kind, change, names)| [kind.to_string(), change.to_string(), names.join(", ")])
    .collect();
    output::table(["KIND", "CHANGE", "NAMES"], &rows);
    println!("sync{verb}");
}
