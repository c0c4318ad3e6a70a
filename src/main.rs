//! The `tsexport` binary: the command line of [`tsexport::cli`], in a process with a bounded heap.

fn main() {
    bounded_heap();
    std::process::exit(tsexport::cli::main(std::env::args_os()));
}

/// Keeps glibc's heap from growing with the number of pages: a page body and its Arrow buffers are
/// tens of MB, freed after each page. By default glibc raises its mmap threshold to the largest block
/// freed, so from the second page on such buffers come from the heap arenas (one per thread, up to
/// 8 per core), where fragmentation keeps them resident; a fixed threshold returns them to the
/// system when freed, and two arenas bound the rest. The threshold is 512 KiB, not 1 MiB: the Arrow
/// buffers of a 100,000-row page are 400-800 KB, and below the threshold they left holes in the
/// arenas that made the peak grow with the number of pages (about +20% at 10M rows against 3M).
fn bounded_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 512 << 10);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
