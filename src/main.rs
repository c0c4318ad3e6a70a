//! The `tsexport` binary: parse, run, map the error to an exit code.

mod cli;

use clap::Parser;

fn main() {
    bounded_heap();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(cli::exit::OTHER);
        }
    };
    runtime.block_on(run());
}

/// Keeps glibc's heap from growing with the number of pages: a page body and its Arrow buffers are
/// tens of MB, freed after each page. By default glibc raises its mmap threshold to the largest block
/// freed, so from the second page on such buffers come from the heap arenas (one per thread, up to
/// 8 per core), where fragmentation keeps them resident; a fixed threshold returns them to the
/// system when freed, and two arenas bound the rest.
fn bounded_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

async fn run() {
    let args = cli::Cli::parse();
    cli::init_logging(args.verbose, args.log_format);
    let code = match cli::run(args).await {
        Ok(()) => cli::exit::OK,
        Err(e) => {
            if cli::JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed) {
                tracing::error!(exit_code = e.exit_code, "{e}");
            } else {
                eprintln!("error: {e}");
            }
            e.exit_code
        }
    };
    std::process::exit(code);
}
