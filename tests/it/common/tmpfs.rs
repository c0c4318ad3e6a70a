//! A real tmpfs mount for one test: a full disk, or a read-only folder, under an export.

use std::path::Path;
use std::process::Command;

use super::TempDir;

/// A tmpfs mounted for one test, unmounted on drop.
pub struct Mount {
    dir: TempDir,
}

impl Mount {
    /// A tmpfs of `size` (e.g. `1m`), or `None` where this process may not mount (not root). As root,
    /// a failed mount fails the test: CI runs as root and must run these.
    pub fn tmpfs(size: &str) -> Option<Mount> {
        let dir = TempDir::new("tmpfs");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status();
        match status {
            Ok(status) if status.success() => Some(Mount { dir }),
            other if is_root() => panic!("mounting a tmpfs as root failed: {other:?}"),
            _ => {
                eprintln!("SKIPPED: not root, so no tmpfs to fill or make read-only");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Remounts the tmpfs read-only.
    pub fn read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount read-only");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() == 0 }
}
