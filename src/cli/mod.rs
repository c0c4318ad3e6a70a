//! The command line: parses arguments, runs library calls, reports. No business logic lives here.
//!
//! It lives in the library, behind the `cli` feature, so that the `tsexport` binary and the Python
//! package's `tsexport` command run this one implementation through [`main`].

mod check;
mod connect;
#[cfg(feature = "delta")]
mod delta;
#[cfg(feature = "emulator")]
mod demo;
mod docs;
#[cfg(feature = "emulator")]
mod emulator;
mod export;
mod groups;
mod jobs;
mod ls;
mod output;
mod pdf;
mod resolve;
mod users;

use crate::failure::FailureKind;
use clap::{Parser, Subcommand};

/// Exit codes, documented in README.md. Those of a failure come from its [`FailureKind`].
pub(crate) mod exit {
    use crate::failure::FailureKind;

    /// Success.
    pub(crate) const OK: i32 = 0;
    /// Anything not covered below.
    pub(crate) const OTHER: i32 = FailureKind::Other.exit_code();
    /// Bad flags, job file or configuration, or a request the cluster refused as invalid (400/404).
    pub(crate) const USAGE: i32 = FailureKind::Usage.exit_code();
}

/// tsexport: export ThoughtSpot query results to Parquet, and a local ThoughtSpot emulator.
#[derive(Debug, Parser)]
#[command(name = "tsexport", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    /// Log lines as text, or as one JSON object per line for log collectors.
    #[arg(long, value_name = "text|json", default_value = "text", global = true)]
    pub(crate) log_format: LogFormat,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Export a search to Parquet (or Arrow, or CSV) on local disk, an object store, or stdout.
    Search(export::SearchArgs),
    /// Export a pinboard's vizzes, one folder each (or one viz with --viz).
    Pinboard(export::PinboardArgs),
    /// Export a saved Answer (through REST API v2).
    Answer(export::AnswerArgs),
    /// Export ThoughtSpot's security audit log over a range of days (REST API v2 logs/fetch; needs
    /// the ADMINISTRATION privilege).
    Logs(export::LogsArgs),
    /// Run the exports of a job file (`tsexport jobs init` writes an example).
    Run(jobs::RunArgs),
    /// Export past windows of a job file's exports that have a window.
    Backfill(jobs::BackfillArgs),
    /// Reach the cluster and sign in; with a job file, also try each export's source and destination.
    Check(check::CheckArgs),
    /// Job files: write an example, print their JSON Schema.
    Jobs(jobs::JobsArgs),
    /// Start the embedded emulator and read from it with the client: sign in, list, page every row.
    #[cfg(feature = "emulator")]
    Demo(emulator::DemoArgs),
    /// Serve the ThoughtSpot REST API (v1, and the v2 data calls) from seeded data, until interrupted.
    #[cfg(feature = "emulator")]
    Emulator(emulator::EmulatorArgs),
    /// List pinboards, answers, worksheets, tables, views, users, groups, or a pinboard's vizzes.
    Ls(ls::LsArgs),
    /// Show the columns of a worksheet, table or view: data type, kind and aggregation.
    Columns(ls::ColumnsArgs),
    /// Export a pinboard as a PDF.
    Pdf(pdf::PdfArgs),
    /// Users: list, sync from a file, set a password, transfer ownership.
    Users(users::UsersArgs),
    /// Grant or revoke a privilege on groups.
    Groups(groups::GroupsArgs),
    /// Delta tables: history, vacuum.
    #[cfg(feature = "delta")]
    Delta(delta::DeltaArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(docs::CompletionsArgs),
    /// Print the roff man page, or write one page per command into a folder.
    Man(docs::ManArgs),
}

/// A failure the CLI reports: a message for stderr and an exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct CliError {
    pub(crate) message: String,
    pub(crate) exit_code: i32,
}

impl CliError {
    /// A failure of `kind`, with the exit code documented for it.
    pub(crate) fn of_kind(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: kind.exit_code(),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: exit::USAGE,
        }
    }

    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: exit::OTHER,
        }
    }
}

impl From<crate::api::Error> for CliError {
    fn from(error: crate::api::Error) -> Self {
        CliError::of_kind(error.kind(), error.to_string())
    }
}

/// Checks that `args` (the program name first) is a command line `tsexport` accepts, without
/// running it (so `--shard auto` is not resolved): for tests and tools that check command lines written
/// elsewhere (deploy manifests, DAGs). The error is clap's message, as `tsexport` would print it;
/// `--help` and `--version` count as errors too, since they run nothing.
pub fn check_arguments<I, T>(args: I) -> Result<(), String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(args)
        .map(drop)
        .map_err(|e| e.render().to_string())
}

/// Runs the command line `args` (the program name first, as `std::env::args_os` gives it) to the end
/// and returns the exit code: what the `tsexport` binary and the Python package's `tsexport` command
/// call. Help, version and flag errors are printed as clap prints them.
pub fn main<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = match Cli::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            // Help and version go to stdout with code 0; flag errors to stderr with code 2.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::OTHER;
        }
    };
    init_logging(args.verbose, args.log_format);
    match runtime.block_on(run(args)) {
        Ok(()) => exit::OK,
        Err(e) => {
            if JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed) {
                tracing::error!(exit_code = e.exit_code, "{e}");
            } else {
                eprintln!("error: {e}");
            }
            e.exit_code
        }
    }
}

/// Runs a parsed command line.
async fn run(cli: Cli) -> Result<(), CliError> {
    let result = match cli.command {
        Command::Search(args) => export::search(args).await,
        Command::Pinboard(args) => export::pinboard(args).await,
        Command::Answer(args) => export::answer(args).await,
        Command::Logs(args) => export::logs(args).await,
        Command::Run(args) => jobs::run(args).await,
        Command::Backfill(args) => jobs::backfill(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Jobs(args) => jobs::jobs(args),
        #[cfg(feature = "emulator")]
        Command::Demo(args) => emulator::demo(args).await,
        #[cfg(feature = "emulator")]
        Command::Emulator(args) => emulator::serve(args).await,
        Command::Ls(args) => ls::run(args).await,
        Command::Columns(args) => ls::columns(args).await,
        Command::Pdf(args) => pdf::run(args).await,
        Command::Users(args) => users::run(args).await,
        Command::Groups(args) => groups::run(args).await,
        #[cfg(feature = "delta")]
        Command::Delta(args) => delta::run(args).await,
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
    };
    connect::sign_out_all().await;
    result
}

/// Log to stderr at the level the `-v` flags ask for; `RUST_LOG` overrides.
/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Set when logs are JSON, so that commands print no free text lines on stderr between them.
pub(crate) static JSON_LOGS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

pub(crate) fn init_logging(verbose: u8, format: LogFormat) {
    JSON_LOGS.store(
        format == LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
    // The Delta library logs a lost commit race, which tsexport then resolves, as a warning and
    // each commit attempt as info: its own lines start at -vv, so the default output stays
    // tsexport's.
    let level = match verbose {
        0 => "warn,deltalake_core=error",
        1 => "info,deltalake_core=warn",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
