//! `tsexport completions SHELL` and `tsexport man`: shell completions and the roff man page, both
//! generated from the same clap definitions as `--help`, so they never drift from the flags.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CliError};

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for; source the output from its startup file, e.g.
    /// `tsexport completions bash > ~/.local/share/bash-completion/completions/tsexport`.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write one page per command (tsexport.1, tsexport-search.1, ...) into this folder instead of
    /// printing the top-level page on stdout.
    #[arg(long, value_name = "FOLDER")]
    pub(crate) out: Option<PathBuf>,
}

/// Prints the completion script for `args.shell` on stdout.
pub(crate) fn completions(args: CompletionsArgs) -> Result<(), CliError> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "tsexport", &mut std::io::stdout());
    Ok(())
}

/// Prints the man page on stdout, or writes every command's page into `--out`.
pub(crate) fn man(args: ManArgs) -> Result<(), CliError> {
    let command = Cli::command();
    match args.out {
        None => clap_mangen::Man::new(command)
            .render(&mut std::io::stdout())
            .map_err(|e| CliError::other(format!("cannot write the man page: {e}"))),
        Some(folder) => {
            std::fs::create_dir_all(&folder)
                .map_err(|e| CliError::other(format!("cannot create {}: {e}", folder.display())))?;
            clap_mangen::generate_to(command, &folder).map_err(|e| {
                CliError::other(format!(
                    "cannot write the man pages into {}: {e}",
                    folder.display()
                ))
            })?;
            eprintln!("wrote the man pages into {}", folder.display());
            Ok(())
        }
    }
}
