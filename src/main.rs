//! The `tsexport` binary: parse, run, map the error to an exit code.

mod cli;

use clap::Parser;

#[tokio::main]
async fn main() {
    let args = cli::Cli::parse();
    cli::init_logging(args.verbose);
    let code = match cli::run(args).await {
        Ok(()) => cli::exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code
        }
    };
    std::process::exit(code);
}
