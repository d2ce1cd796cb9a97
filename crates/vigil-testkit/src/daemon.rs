//! Server processes started by tests, stopped with everything they started: each runs in a
//! process group of its own, and dropping its [`Daemon`] sends SIGTERM to the whole group
//! (so nginx's workers, or a server started through `runuser`, stop with it), waits up to five
//! seconds, then sends SIGKILL to the group.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server process and its process group.
pub struct Daemon {
    /// The process (the group's leader).
    pub child: Child,
}

impl Daemon {
    /// Spawns `cmd` as the leader of a new process group.
    pub fn spawn(cmd: &mut Command) -> std::io::Result<Daemon> {
        use std::os::unix::process::CommandExt;
        Ok(Daemon {
            child: cmd.process_group(0).spawn()?,
        })
    }

    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever of the group is left (the leader may be gone, its children not).
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
