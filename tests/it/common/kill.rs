//! SIGKILL for a `tsexport` process at a chosen moment.

use std::process::Command;
use std::time::Duration;

/// Starts `command` and SIGKILLs it after `after`, off the async runtime; returns whether it was
/// still running.
pub async fn kill_after(mut command: Command, after: Duration) -> bool {
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("tsexport starts");
        std::thread::sleep(after);
        let running = child.try_wait().expect("status").is_none();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        running
    })
    .await
    .expect("runner")
}

/// Most of `kills` must land while the export runs (`killed_running` of them), or the trials only
/// test kills before start-up or after the end.
pub fn assert_most_landed_mid_run(killed_running: usize, kills: usize) {
    assert!(
        killed_running >= kills / 2,
        "most kills must land while the export runs ({killed_running} of {kills})"
    );
}
